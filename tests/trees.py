"""Hypothesis strategies for whole session trees in Claude Code's shape, and ways of reading them.

A `Tree` is the final bytes of every file: several users; sessions whose API calls are written
as several records sharing ``message.id`` (early ones with a placeholder output count); tool
calls whose results come records later; sidechain records and subagent files; a session resumed
into a second file that copies its history; file-history snapshots; malformed lines; a partial
last line; and user turns that correct, confirm or define facts drawn from families of
near-duplicate restatements (so knowledge items merge, chain and split).

A `Plan` is one way the daemon may have come to read those bytes: each file cut into chunks at
arbitrary byte offsets (mid-line included), the chunks written over several rounds with the
daemon run between rounds under different settings (how much a pass reads, pool or thread,
files per batch), a file first written with other content and later rewritten, a file that
exists for a while and is deleted.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import strategies as st

BASE = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

# Families of restatements of one fact: members are near duplicates of each other (some only
# through a chain), and different families are not.
FACTS: tuple[tuple[str, ...], ...] = (
    ("MRR excludes one-time setup fees.", "MRR excludes the one-time setup fees.",
     "MRR excludes all one-time setup fees!", "MRR includes one-time setup fees."),
    # chains: each near the next, the ends not near each other (a deletion in the middle splits)
    ("churn is counted per logo each month.", "churn is counted per logo each month and region.",
     "Churn is counted per account each month and region.", "churn is counted per logo, monthly."),
    ("fiscal quarters start in February.", "our fiscal quarters start in February.",
     "our fiscal quarters start on the first of February.",
     "our fiscal years start on the first of February."),
    ("`fct_mrr` stores MRR per customer and month.",
     "`fct_mrr` holds the MRR of each customer for every calendar month."),
    ("prod runs in eu-west-1 on the main cluster.", "Prod runs in eu-west-1, on the main cluster."),
    ("all timestamps are stored in UTC.",),
)
_FACTS = st.sampled_from([f for family in FACTS for f in family])

CLAIMS = (
    "MRR is the sum of all invoice lines in the month.",
    "Churn is counted per logo, monthly.",
    "Fiscal quarters start in January.",
    "The `fct_mrr` table stores MRR per customer and month.",
    "Shall I add it to the report?",
    "Done. The tests pass.",
)

_CORRECTIONS = ("no, that's wrong — {}", "Not quite: {}", "actually, {}", "wrong — {}")
_CONFIRMATIONS = ("yes, {}", "correct — {}", "exactly, {}")
_BARE_CONFIRMATIONS = ("exactly", "yes, exactly", "that's right", "correct")
_DEFINITIONS = ("FYI {}", "For reference, {}", "btw {}", "Heads up: {}")
_NEUTRAL = ("ok", "go on", "what about ARR?", "please add a test for it", "thanks", "hmm")
# facts with no lead word, which the rules miss and the learned judgement takes for corrections of
# some claims and not of others (`processors/verification/learned.py`)
_BARE_FACTS = ("its the sum of subscription lines only since march", "counted per account since the 2024 change",
               "per account, since march", "we count it per account since 2024")

USER_TEXT = st.one_of(
    st.tuples(st.sampled_from(_CORRECTIONS), _FACTS).map(lambda t: t[0].format(t[1])),
    st.tuples(st.sampled_from(_CONFIRMATIONS), _FACTS).map(lambda t: t[0].format(t[1])),
    st.sampled_from(_BARE_CONFIRMATIONS),
    st.tuples(st.sampled_from(_DEFINITIONS), _FACTS).map(lambda t: t[0].format(t[1])),
    st.sampled_from(_NEUTRAL),
    st.sampled_from(_BARE_FACTS),
)

BAD_LINES = (b'{"type":"user","message":\n', b"[1, 2, 3]\n", b'{"a": "\xff\xfe"}\n', b"\n",
             b"not json at all\n")
SNAPSHOT = {"type": "file-history-snapshot", "messageId": "x", "snapshot": {"files": {}}}


@dataclass
class _Session:
    """Builds one file's records; times advance by drawn steps (0 s included: ties)."""

    user: str
    session_id: str
    t: datetime
    lines: list[bytes] = field(default_factory=list)
    calls: int = 0
    pending_tools: list[str] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        self.lines.append(orjson.dumps(record) + b"\n")

    def base(self, kind: str, step: int, *, sidechain: bool = False, stamp: bool = True) -> dict[str, Any]:
        self.t += timedelta(seconds=step)
        rec: dict[str, Any] = {"type": kind, "uuid": f"{self.session_id}-{len(self.lines)}",
                               "sessionId": self.session_id, "isSidechain": sidechain,
                               "userType": "external", "cwd": f"/home/{self.user}/repo"}
        if stamp:
            rec["timestamp"] = self.t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return rec

    def user_turn(self, text: str, step: int, stamp: bool) -> None:
        rec = self.base("user", step, stamp=stamp)
        rec["message"] = {"role": "user", "content": text}
        self.add(rec)

    def tool_result(self, step: int) -> None:
        if not self.pending_tools:
            return
        tool = self.pending_tools.pop(0)
        rec = self.base("user", step)
        rec["toolUseResult"] = {"stdout": "ok", "stderr": ""}
        rec["message"] = {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool, "content": "ok", "is_error": step % 3 == 0}]}
        self.add(rec)

    def call(self, blocks: list[dict[str, Any]], tokens: tuple[int, int, int, int], step: int,
             *, sidechain: bool = False, model: str = "claude-sonnet-4-5") -> None:
        """One API call, one record per content block, sharing message.id and requestId."""
        self.calls += 1
        mid, req = f"msg_{self.session_id}_{self.calls}", f"req_{self.session_id}_{self.calls}"
        inp, out, create, read = tokens
        for i, block in enumerate(blocks):
            rec = self.base("assistant", step if i == 0 else 0, sidechain=sidechain)
            rec["requestId"] = req
            last = i == len(blocks) - 1
            rec["message"] = {
                "id": mid, "type": "message", "role": "assistant", "model": model,
                "content": [block],
                "usage": {"input_tokens": inp, "output_tokens": out if last else 1,
                          "cache_creation_input_tokens": create, "cache_read_input_tokens": read},
            }
            if block["type"] == "tool_use":
                self.pending_tools.append(block["id"])
            self.add(rec)


@st.composite
def _session(draw: st.DrawFn, user: str, session_id: str, sidechain: bool = False) -> _Session:
    start = BASE + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    s = _Session(user, session_id, start)
    steps = st.integers(0, 90)
    for _ in range(draw(st.integers(1, 6))):
        if not sidechain:
            s.user_turn(draw(USER_TEXT), draw(steps), stamp=draw(st.integers(0, 9)) > 0)
        texts = draw(st.lists(st.sampled_from(CLAIMS), min_size=1, max_size=2))
        blocks: list[dict[str, Any]] = [{"type": "text", "text": t} for t in texts]
        if draw(st.booleans()):
            blocks.append({"type": "tool_use", "id": f"toolu_{session_id}_{len(s.lines)}",
                           "name": draw(st.sampled_from(["Bash", "Read", "Edit", "mcp__db__query"])),
                           "input": {"command": "ls"}})
        tokens = draw(st.tuples(*[st.integers(0, 5000)] * 4))
        s.call(blocks, tokens, draw(steps), sidechain=sidechain)
        if s.pending_tools and draw(st.booleans()):
            s.tool_result(draw(steps))  # else: its result comes after a later turn
        extra = draw(st.sampled_from(["none", "none", "snapshot", "bad", "sidechain"]))
        if extra == "snapshot":
            s.add(SNAPSHOT)
        elif extra == "bad":
            s.lines.append(draw(st.sampled_from(BAD_LINES)))
        elif extra == "sidechain" and not sidechain:
            s.call([{"type": "text", "text": "sub-task done"}], (10, 5, 0, 0), 1, sidechain=True)
    while s.pending_tools:
        s.tool_result(1)
    return s


@dataclass(frozen=True)
class Tree:
    files: dict[str, bytes]  # key -> final bytes

    def __repr__(self) -> str:  # the bytes would be tens of kB: keys, sizes and digests
        return "Tree(" + ", ".join(f"{k}: {len(v)} B {hashlib.sha1(v).hexdigest()[:8]}"
                                   for k, v in sorted(self.files.items())) + ")"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis's printer
        printer.text(repr(self))


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    files: dict[str, bytes] = {}
    users = draw(st.lists(st.sampled_from(["alice", "bob", "carol"]), min_size=1, max_size=3,
                          unique=True))
    for u in users:
        for n in range(draw(st.integers(1, 2))):
            sid = f"{u[0]}{n}"
            s = draw(_session(u, sid))
            files[f"{u}/{sid}.jsonl"] = b"".join(s.lines)
            if draw(st.integers(0, 3)) == 0:  # a subagent's transcript
                sub = draw(_session(u, sid, sidechain=True))
                files[f"{u}/{sid}/subagents/agent-{sid}.jsonl"] = b"".join(sub.lines)
            if draw(st.integers(0, 3)) == 0:  # resumed: history copied, then more
                more = draw(_session(u, f"{sid}r"))
                files[f"{u}/{sid}r.jsonl"] = b"".join(s.lines) + b"".join(more.lines)
    for key in list(files):
        if draw(st.integers(0, 4)) == 0:  # a partial last line, still being written
            files[key] += b'{"type":"user","message":{"role":"user","content":"und'
    return Tree(files)


@dataclass(frozen=True)
class Round:
    """Writes, then one run of the daemon with these settings."""

    writes: tuple[tuple[str, int, int], ...]  # (key, start, end): bytes of the final content
    pass_bytes: int
    pool: bool
    batch_files: int


@dataclass(frozen=True)
class Plan:
    rounds: tuple[Round, ...]
    rewritten: tuple[str, ...]  # files first written with other content (round 0), redone
    ghosts: tuple[str, ...]  # files that exist from round 0 and are deleted in the last round


@st.composite
def plans(draw: st.DrawFn, tree: Tree) -> Plan:
    n = draw(st.integers(1, 3))
    writes: list[list[tuple[str, int, int]]] = [[] for _ in range(n)]
    for key, data in sorted(tree.files.items()):
        cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(data) - 1)), max_size=3))))
        bounds = [0, *[c for c in cuts if 0 < c < len(data)], len(data)]
        at = sorted(draw(st.lists(st.integers(0, n - 1), min_size=len(bounds) - 1,
                                  max_size=len(bounds) - 1)))
        for (start, end), r in zip(itertools.pairwise(bounds), at, strict=True):
            writes[r].append((key, start, end))
    rounds = []
    for r in range(n):
        keys = draw(st.permutations(sorted({k for k, _, _ in writes[r]})))
        order = [w for k in keys for w in writes[r] if w[0] == k]  # files in any order
        rounds.append(Round(tuple(order), draw(st.sampled_from([97, 1500, 16 << 20])),
                            draw(st.booleans()), draw(st.sampled_from([1, 2, 256]))))
    keys = sorted(tree.files)
    rewritten = tuple(k for k in keys if n > 1 and draw(st.integers(0, 4)) == 0)
    ghosts = tuple(f"{k.split('/')[0]}/ghost{i}.jsonl"
                   for i, k in enumerate(keys[:2]) if n > 1 and draw(st.integers(0, 3)) == 0)
    return Plan(tuple(rounds), rewritten, ghosts)
