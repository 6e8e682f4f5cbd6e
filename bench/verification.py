"""How the verification rules generalise: precision and recall per detection type on phrasing
families written apart from the rules --
``python -m bench.verification [--half dev|heldout|fresh-N|fresh|both|development|all]``.

The cases are data (`bench/verification_cases/`): *families* of one way of phrasing a
correction, a confirmation or an unprompted definition, and families of near misses (questions,
hedges, quoted text, code, sarcasm, ...), each case an assistant statement, the user turn that
answers it and, for a positive, a key phrase of the fact the detection must carry. Families, not
cases, are split, so that one half measures phrasings the rules were not tuned on:

* ``*.toml`` at the top of the folder are *development* data. Within each type, families sorted
  by the sha256 of their name alternate dev, heldout, dev, ... Both halves have been read by the
  rules' author (the heldout half after a first round), so both are tuned on now; the split is
  kept so that figures stay comparable with earlier rounds;
* ``fresh-N/`` (``fresh-1/`` to ``fresh-65/`` now; ``fresh/`` is the sixty-sixth): the
  earlier held-out rounds (each written by someone else who read no rule and no case, measured without being
  read, figures in the README), each opened for tuning afterwards -- development data now;
* ``fresh/*.toml`` is the held-out half (``half = "fresh"``), written by someone else and never
  read by the rules' author. Its misses are never listed, only its figures, and it is read only
  when asked for (``--half fresh`` or ``all``, the default).

Each family records its half (``half = ...``) and the loader refuses data where that disagrees
with the rule, so the split cannot drift silently.

The processor runs end to end, as the daemon runs it: each family is one session file in a
temporary tree, the real `Service` scans and commits it into a DuckDB file, and every other
file arrives in two appends cut between a statement and the turn answering it (so the statement
is found at merge time). The detections stored are then matched with the labels by line:

* a hit: a detection of the case's type whose content carries the key phrase (case-insensitive);
* a false positive of type T: any other detection of type T (a near miss firing, a wrong type,
  or the right type without the fact);
* precision of T = hits / detections of T; recall of T = cases of T hit / cases of T.

The development halves' misses and false positives are listed (to tune against); the fresh half
is printed as figures only. Exit status 1 when the fresh half misses its targets, 2 when the
half asked for has no families.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
from structlog.testing import capture_logs

from sessiond.daemon.events import LINE_UNREADABLE
from sessiond.daemon.log import configure
from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.verification import VerificationProcessor
from sessiond.processors.verification.detection import DETECTION_TYPES

CASES = Path(__file__).parent / "verification_cases"
FRESH = "fresh"  # the held-out half: the subfolder and the name of the half
DEVELOPMENT = ("dev", "heldout")  # the top-level families, split by the sha256 rule
# Earlier held-out rounds, opened for tuning once measured: development data since, each in its
# own subfolder named as its half (``fresh-N``), in the order of N -- read from the folder, so
# opening a round is moving its files there.
OPENED = tuple(sorted((p.name for p in CASES.glob("fresh-*") if p.is_dir()),
                      key=lambda name: int(name.removeprefix("fresh-"))))
HALVES = (*DEVELOPMENT, *OPENED, FRESH)
NONE = "none"  # the type of a near-miss family
TARGET_PRECISION, TARGET_RECALL = 0.95, 0.90
MIN_CASES = 6
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Case:
    assistant: str  # the statement the turn answers
    user: str
    key: str | None  # a phrase the detection's content must carry; None for a near miss


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    type: str  # a detection type, or "none"
    half: str
    about: str
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Found:
    detection_type: str
    content: str
    extractor: str = "rules"  # or "learned": what found it


@dataclass
class Score:
    """One type's tally on one half."""

    cases: int = 0
    hits: int = 0
    detections: int = 0
    true: int = 0  # detections that are hits

    @property
    def precision(self) -> float:
        return self.true / self.detections if self.detections else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.cases if self.cases else 1.0

    @property
    def met(self) -> bool:
        return self.precision >= TARGET_PRECISION and self.recall >= TARGET_RECALL


@dataclass
class Outcome:
    """Per type scores of one half, and its misses and false positives (family, case, found)."""

    scores: dict[str, Score] = field(default_factory=lambda: {t: Score() for t in DETECTION_TYPES})
    misses: list[tuple[Family, Case, list[Found]]] = field(default_factory=list)
    false_positives: list[tuple[Family, Case, Found]] = field(default_factory=list)


# -- the data ------------------------------------------------------------------------------------

def split(families: Iterable[Family]) -> dict[str, str]:
    """The rule of the top-level families: per type, families by sha256(name) alternate dev,
    heldout (balanced halves)."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for f in families:
        by_type[f.type].append(f.name)
    half: dict[str, str] = {}
    for names in by_type.values():
        ordered = sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
        half.update({n: DEVELOPMENT[i % 2] for i, n in enumerate(ordered)})
    return half


def _case(raw: Any, family: str, positive: bool) -> Case:
    if not isinstance(raw, dict) or not isinstance(raw.get("user"), str) \
            or not isinstance(raw.get("assistant"), str):
        raise ValueError(f"{family}: a case needs the strings 'assistant' and 'user': {raw!r}")
    key = raw.get("key")
    if positive and not (isinstance(key, str) and key.strip()):
        raise ValueError(f"{family}: a positive case needs a 'key' phrase: {raw!r}")
    if not positive and key is not None:
        raise ValueError(f"{family}: a near-miss case has no 'key': {raw!r}")
    return Case(raw["assistant"], raw["user"], key)


def _families(path: Path, default_half: str | None) -> list[Family]:
    """The families of one file, checked: known types, >= 6 cases, keys where needed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: not readable as TOML: {exc}") from exc
    families: list[Family] = []
    for raw in data.get("family", []):
        name, kind = raw.get("name"), raw.get("type")
        if not isinstance(name, str) or kind not in (*DETECTION_TYPES, NONE):
            raise ValueError(f"{path.name}: a family needs a name and a type in "
                             f"{(*DETECTION_TYPES, NONE)}: {name!r}, {kind!r}")
        cases = tuple(_case(c, name, kind != NONE) for c in raw.get("cases", []))
        if len(cases) < MIN_CASES:
            raise ValueError(f"{path.name}: family {name} has {len(cases)} cases, "
                             f"at least {MIN_CASES} are needed")
        families.append(Family(name, kind, str(raw.get("half", default_half)),
                               str(raw.get("about", "")), cases))
    return families


def load(folder: Path = CASES, *, fresh: bool = False) -> list[Family]:
    """The development families (``folder/*.toml``, their recorded split checked against the
    rule, and the opened rounds' subfolders) and, with ``fresh``, the held-out ones of
    ``folder/fresh/*.toml`` -- none when a folder does not exist (yet). Each family's file is
    checked: known types, >= 6 cases."""
    families = [f for path in sorted(folder.glob("*.toml")) for f in _families(path, None)]
    _unique(families)
    rule = split(families)
    wrong = [f"{f.name} (recorded {f.half}, the rule says {rule[f.name]})"
             for f in families if f.half != rule[f.name]]
    if wrong:
        raise ValueError("the recorded split disagrees with the rule: " + ", ".join(wrong))
    # a name may recur across folders: each half runs in its own tree
    for half in (*OPENED, FRESH) if fresh else OPENED:
        families += _subfolder(folder, half)
    return families


def _subfolder(folder: Path, half: str) -> list[Family]:
    """The families of ``folder/<half>/*.toml``, each recorded as that half."""
    held = [f for path in sorted((folder / half).glob("*.toml")) for f in _families(path, half)]
    wrong = [f"{f.name} (recorded {f.half})" for f in held if f.half != half]
    if wrong:
        raise ValueError(f"families under {half}/ are the {half!r} half: " + ", ".join(wrong))
    _unique(held)
    return held


def _unique(families: Sequence[Family]) -> None:
    names = [f.name for f in families]
    if len(set(names)) != len(names):
        raise ValueError(f"family names must be unique: {sorted(n for n in names if names.count(n) > 1)}")


# -- the run -------------------------------------------------------------------------------------

def _lines(family: Family, seq: int) -> tuple[list[bytes], dict[int, Case], int]:
    """The session file of a family: its lines, the case answered on each user line (1-based),
    and where a second append would begin (just before a user turn: its statement is earlier)."""
    out: list[bytes] = []
    labels: dict[int, Case] = {}
    at = T0 + timedelta(hours=seq)

    def record(kind: str, message: dict[str, Any]) -> None:
        nonlocal at
        at += timedelta(seconds=20)
        out.append(orjson.dumps({
            "type": kind, "uuid": f"{family.name}-{len(out) + 1}", "sessionId": family.name,
            "isSidechain": False, "userType": "external",
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "message": message}) + b"\n")

    cut = 0
    for n, case in enumerate(family.cases):
        record("assistant", {"id": f"msg_{seq}_{n}", "type": "message", "role": "assistant",
                             "model": "claude-sonnet-4-5",
                             "content": [{"type": "text", "text": case.assistant}]})
        if n == len(family.cases) // 2:
            cut = len(out)
        record("user", {"role": "user", "content": case.user})
        labels[len(out)] = case
    return out, labels, cut


def detect(families: Sequence[Family], workdir: Path, *, judgement: bool = True) -> dict[str, dict[int, list[Found]]]:
    """Run the processor end to end on one file per family: {family: {line: detections}}
    (``judgement``: the processor's option; false is the rules alone)."""
    root, state = workdir / "root", workdir / "state.duckdb"
    second: list[tuple[Path, bytes]] = []
    for seq, family in enumerate(families):
        lines, _, cut = _lines(family, seq)
        path = root / "bench" / f"{family.name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        if seq % 2:
            path.write_bytes(b"".join(lines[:cut]))
            second.append((path, b"".join(lines[cut:])))
        else:
            path.write_bytes(b"".join(lines))
    settings = Settings(root=root, state=state, watch=False, parse_workers=0)
    with capture_logs() as logged:  # a turn the rules raise on is skipped alone: say so here
        if Service(settings, [VerificationProcessor(judgement=judgement)]).run_once() != 0:
            raise RuntimeError("the verification processor failed on the evaluation tree")
        for path, rest in second:
            with path.open("ab") as fh:
                fh.write(rest)
        if Service(settings, [VerificationProcessor(judgement=judgement)]).run_once() != 0:
            raise RuntimeError("the verification processor failed on the second appends")
    if unread := [e for e in logged if e.get("event") == LINE_UNREADABLE]:
        raise RuntimeError(f"the rules could not read {len(unread)} turn(s), e.g. "
                           f"{unread[0]['file']}:{unread[0]['line']}: {unread[0]['detail']}")
    con = duckdb.connect(str(state), read_only=True)
    try:
        rows = con.execute("SELECT session_file, line_no, detection_type, content, extractor "
                           "FROM verification_detections").fetchall()
    finally:
        con.close()
    out: dict[str, dict[int, list[Found]]] = defaultdict(lambda: defaultdict(list))
    for file, line, kind, content, extractor in rows:
        out[Path(file).stem][int(line)].append(Found(kind, content or "", extractor))
    return out


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").lower().split())


def score(families: Sequence[Family], found: dict[str, dict[int, list[Found]]]) -> Outcome:
    """Match the detections with the labels (see the module docstring for the rules)."""
    outcome = Outcome()
    for seq, family in enumerate(families):
        _, labels, _ = _lines(family, seq)
        for line, case in labels.items():
            got = found.get(family.name, {}).get(line, [])
            hit = False
            for d in got:
                s = outcome.scores[d.detection_type]
                s.detections += 1
                if (d.detection_type == family.type and not hit and case.key is not None
                        and _norm(case.key) in _norm(d.content)):
                    s.true += 1
                    hit = True
                else:
                    outcome.false_positives.append((family, case, d))
            if family.type != NONE:
                outcome.scores[family.type].cases += 1
                outcome.scores[family.type].hits += hit
                if not hit:
                    outcome.misses.append((family, case, got))
    return outcome


def evaluate(half: str, folder: Path = CASES) -> Outcome:
    """Load the cases, run the processor on one half's families, score it."""
    families = [f for f in load(folder, fresh=half == FRESH) if f.half == half]
    return run(families)


def run(families: Sequence[Family], *, judgement: bool = True) -> Outcome:
    """Run the processor on these families in a temporary tree and score what it found
    (``judgement``: false for the rules alone)."""
    with tempfile.TemporaryDirectory(prefix="bench-verification-") as tmp:
        return score(families, detect(families, Path(tmp), judgement=judgement))


# -- the report ----------------------------------------------------------------------------------

def _short(text: str, limit: int = 110) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[:limit - 1] + "…"


def report(half: str, outcome: Outcome, *, details: bool) -> None:
    role = "held out" if half == FRESH else "development"
    print(f"\n{half} half, {role} (targets: precision >= {TARGET_PRECISION}, "
          f"recall >= {TARGET_RECALL})")
    print(f"  {'type':22} {'cases':>5} {'hits':>5} {'found':>5} {'precision':>9} {'recall':>7}  met")
    for kind, s in outcome.scores.items():
        recall = f"{s.recall:7.3f}" if s.cases else f"{'n/a':>7}"  # no cases of this type
        print(f"  {kind:22} {s.cases:5} {s.hits:5} {s.detections:5} {s.precision:9.3f} "
              f"{recall}  {'yes' if s.met else 'NO'}")
    if not details:
        return
    print(f"\n  misses ({len(outcome.misses)}):")
    for family, case, got in outcome.misses:
        seen = "; ".join(f"{d.detection_type}: {_short(d.content, 60)}" for d in got) or "nothing"
        print(f"    [{family.name}] {_short(case.user)!r}\n      key {case.key!r}, found {seen}")
    print(f"\n  false positives ({len(outcome.false_positives)}):")
    for family, case, d in outcome.false_positives:
        print(f"    [{family.name}] {_short(case.user)!r}\n      -> {d.detection_type}: "
              f"{_short(d.content, 90)!r}")


CHOICES = {"dev": ("dev",), "heldout": ("heldout",), **{h: (h,) for h in OPENED}, FRESH: (FRESH,),
           "both": DEVELOPMENT, "development": (*DEVELOPMENT, *OPENED), "all": HALVES}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--half", choices=tuple(CHOICES), default="all",
                    help="both: the development halves (dev and heldout); development: those and "
                    "the opened rounds (everything but fresh); all: those and fresh")
    ap.add_argument("--cases", type=Path, default=CASES, help="the folder of *.toml families")
    ap.add_argument("--rules-alone", action="store_true", help="the processor without the learned judgement")
    args = ap.parse_args(argv)
    configure("warning", "json")
    halves = CHOICES[args.half]
    families = load(args.cases, fresh=FRESH in halves)
    for half in halves:
        chosen = [f for f in families if f.half == half]
        kinds = ", ".join(f"{k} {sum(f.type == k for f in chosen)}" for k in (*DETECTION_TYPES, NONE))
        print(f"{half}: {len(chosen)} families ({kinds}), {sum(len(f.cases) for f in chosen)} cases")
    status = 0
    hits = wrong = ran = 0  # over the development halves that have families
    for half in halves:
        chosen = [f for f in families if f.half == half]
        if not chosen:
            print(f"\n{half} half: no families (in {args.cases / half if half in (*OPENED, FRESH) else args.cases})")
            if args.half == half:
                status = 2  # the one half asked for is not there (yet)
            continue
        outcome = run(chosen, judgement=not args.rules_alone)
        report(half, outcome, details=half != FRESH)
        if half == FRESH:
            if not all(s.met for s in outcome.scores.values()):
                status = 1
        else:
            ran += 1
            hits += sum(s.hits for s in outcome.scores.values())
            wrong += sum(s.detections - s.hits for s in outcome.scores.values())
    if len(halves) > 1:
        # what a change to the rules or the weights moves, in two numbers
        print(f"\ndevelopment halves together ({ran} with families): {hits:,} hits, {wrong:,} false positives")
    return status


if __name__ == "__main__":
    sys.exit(main())
