"""Shared fakes: processors that record, fail or hang, and a fake clock."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from sessiond.processors.contract import (
    PartlyMapped,
    Record,
    Rows,
    SessionFile,
    Unreadable,
    describe,
)


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingProcessor:
    """Commits one row per record with its canonical content: the exactly-once witness."""

    name = "recording"
    version = 1
    interval = 0.0
    tables = ("recorded",)
    migrations = (
        """
        CREATE TABLE recorded (
            session_file VARCHAR NOT NULL,
            line_no      BIGINT NOT NULL,
            byte_offset  BIGINT NOT NULL,
            content      VARCHAR NOT NULL
        )
        """,
    )

    def __init__(self, **options: Any) -> None:
        self.version = int(options.get("version", 1))

    def wants(self, file: SessionFile) -> bool:
        return True

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        return {
            "recorded": [
                {
                    "session_file": r.file,
                    "line_no": r.line,
                    "byte_offset": r.offset,
                    "content": orjson.dumps(r.data, option=orjson.OPT_SORT_KEYS).decode(),
                }
                for r in records
            ]
        }


class PickyProcessor(RecordingProcessor):
    """Records like `RecordingProcessor`, except a record holding ``"unmappable"``: mapping it
    raises, and ``process`` skips it (`PartlyMapped`) -- a processor's rules meeting input they
    cannot handle. Its name and table are the recording processor's, so the same checks apply."""

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        kept, unread = [], []
        for r in records:
            try:
                if "unmappable" in r.data:
                    raise ValueError(f"cannot map {r.data['unmappable']!r}")
            except ValueError as exc:
                unread.append(Unreadable(r.line, r.offset, describe(exc)))
                continue
            kept.append(r)
        rows = super().process(file, kept)
        if unread:
            raise PartlyMapped(rows, unread)
        return rows


class FailingProcessor:
    """Raises on every file it is given."""

    name = "failing"
    version = 1
    interval = 0.0
    tables = ()
    migrations = ()

    def wants(self, file: SessionFile) -> bool:
        return True

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        raise RuntimeError(f"boom on {file.key}")


class ExitingProcessor(FailingProcessor):
    """Raises `SystemExit` (not an `Exception`: nothing in the worker catches it), so its
    worker thread ends: a stand-in for a bug outside the worker's guards."""

    name = "exiting"

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        raise SystemExit(f"exit in {file.key}")


class HangingProcessor:
    """Blocks in `process` until released (class-level event, so subprocesses can't release)."""

    name = "hanging"
    version = 1
    interval = 0.0
    tables = ()
    migrations = ()
    release = threading.Event()
    entered = threading.Event()

    def wants(self, file: SessionFile) -> bool:
        return True

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        type(self).entered.set()
        type(self).release.wait()
        return {}


class FlakyProcessor(RecordingProcessor):
    """Fails the first ``failures`` calls for each file, then records like RecordingProcessor."""

    name = "flaky"
    tables = ("flaky_recorded",)
    migrations = (RecordingProcessor.migrations[0].replace("recorded", "flaky_recorded"),)

    def __init__(self, failures: int = 2, **options: Any) -> None:
        super().__init__(**options)
        self.failures = failures
        self.calls: dict[str, int] = {}

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        n = self.calls[file.key] = self.calls.get(file.key, 0) + 1
        if n <= self.failures:
            raise RuntimeError(f"flaky failure {n} on {file.key}")
        return {"flaky_recorded": super().process(file, records)["recorded"]}


class GatedProcessor:
    """Holds `process` while the ``gate`` file exists (a real pass a test can keep running).

    Files, not events, so a test can drive it inside a daemon subprocess: ``entered`` is
    created when a pass is inside `process`.
    """

    name = "gated"
    version = 1
    interval = 0.0
    tables = ()
    migrations = ()
    _poll = threading.Event()

    def __init__(self, gate: str = "", entered: str = "", **options: Any) -> None:
        self.gate = Path(gate) if gate else None
        self.entered = Path(entered) if entered else None

    def wants(self, file: SessionFile) -> bool:
        return True

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        if self.entered is not None:
            self.entered.touch()
        while self.gate is not None and self.gate.exists():
            self._poll.wait(0.01)
        return {}
