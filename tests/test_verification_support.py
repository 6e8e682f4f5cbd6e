"""Builders shared by the verification tests: transcripts in Claude Code's shape, and a runner.

(No tests here; the name only keeps it inside the files the verification work owns.)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.contract import Processor, Record, SessionFile
from sessiond.processors.verification import VerificationProcessor
from tests.harness import query

T0 = datetime(2026, 2, 9, 14, 0, 0, tzinfo=UTC)
_ids = itertools.count(1)


class Transcript:
    """Records of one session, in the nesting Claude Code writes (``message.role/content``)."""

    def __init__(self, session_id: str = "sess-1", start: datetime = T0) -> None:
        self.session_id = session_id
        self.t = start
        self.data: list[dict[str, Any]] = []

    def _base(self, kind: str, **extra: Any) -> dict[str, Any]:
        self.t += timedelta(seconds=10)
        rec = {"type": kind, "uuid": f"u{next(_ids)}", "sessionId": self.session_id,
               "isSidechain": False, "userType": "external",
               "timestamp": self.t.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
        rec.update(extra)
        return rec

    def user(self, content: Any, **extra: Any) -> Transcript:
        rec = self._base("user", **extra)
        rec["message"] = {"role": "user", "content": content}
        self.data.append(rec)
        return self

    def assistant(self, *texts: str, message_id: str | None = None, **extra: Any) -> Transcript:
        """One API response: one record per text block, sharing ``message.id``."""
        mid = message_id or f"msg_{next(_ids):06d}"
        for text in texts:
            rec = self._base("assistant", requestId=f"req_{mid}", **extra)
            rec["message"] = {"id": mid, "type": "message", "role": "assistant",
                              "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": text}]}
            self.data.append(rec)
        return self

    def tool_call(self, text: str = "ls") -> Transcript:
        rec = self._base("assistant")
        rec["message"] = {"id": f"msg_{next(_ids):06d}", "role": "assistant", "model": "claude-sonnet-4-5",
                          "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash",
                                       "input": {"command": text}}]}
        self.data.append(rec)
        return self

    def tool_result(self, text: str) -> Transcript:
        rec = self._base("user", toolUseResult={"stdout": text, "stderr": ""})
        rec["message"] = {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": text}]}
        self.data.append(rec)
        return self

    def raw(self, rec: dict[str, Any]) -> Transcript:
        self.data.append(rec)
        return self

    def records(self, key: str = "alice/s.jsonl", first_line: int = 1) -> list[Record]:
        user = key.split("/", 1)[0]
        out, offset = [], 0
        for n, rec in enumerate(self.data):
            out.append(Record(key, user, offset, first_line + n, rec))
            offset += len(orjson.dumps(rec)) + 1
        return out

    def jsonl(self) -> bytes:
        return b"".join(orjson.dumps(r) + b"\n" for r in self.data)

    def take(self) -> bytes:
        """The lines written since the last take (for appends)."""
        out = b"".join(orjson.dumps(r) + b"\n" for r in self.data)
        self.data = []
        return out


def process(transcript: Transcript, key: str = "alice/s.jsonl",
            processor: VerificationProcessor | None = None) -> dict[str, list[dict[str, Any]]]:
    p = processor or VerificationProcessor()
    out = p.process(SessionFile(key, key.split("/")[0]), transcript.records(key))
    return {k: [dict(r) for r in v] for k, v in out.items()}


def write(root: Path, key: str, data: bytes, *, append: bool = False) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab" if append else "wb") as fh:
        fh.write(data)
    return path


def run_once(root: Path, state: Path, processor: Processor | None = None) -> int:
    settings = Settings(root=root, state=state, watch=False)
    return Service(settings, [processor or VerificationProcessor()]).run_once()


def q(state: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return query(state, sql, params)


def items(state: Path) -> list[tuple[Any, ...]]:
    return q(state, "SELECT id, title, detection_type, status FROM knowledge_items ORDER BY created_at, id")


def evidence(state: Path) -> list[tuple[Any, ...]]:
    return q(state, "SELECT item_id, source_user, session_id, session_file, line_no, detection_type "
                    "FROM verification_evidence ORDER BY session_file, line_no")


def family_toml(name: str, kind: str, half: str | None, cases: list[tuple[str, str, str | None]]) -> str:
    """One family of `bench.verification`'s case files: (assistant, user, key) per case (each a
    TOML basic string: JSON's escapes are TOML's, where a Python repr is not)."""
    def basic(text: str) -> str:
        return orjson.dumps(text).decode()

    rows = ", ".join(
        "{" + f"assistant = {basic(a)}, user = {basic(u)}" + ("" if k is None else f", key = {basic(k)}") + "}"
        for a, u, k in cases)
    recorded = "" if half is None else f'half = "{half}"\n'
    return f'[[family]]\nname = "{name}"\ntype = "{kind}"\n{recorded}cases = [{rows}]\n'
