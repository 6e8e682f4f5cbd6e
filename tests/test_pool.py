"""The parse pool: a batch examined in other processes commits exactly what the worker's own
thread would have; failures there are the same failures; a pool that breaks falls back."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from daemon import events
from daemon.service import Service
from processors.contract import Record, Rows, SessionFile
from tests.fakes import FailingProcessor, RecordingProcessor
from tests.harness import append, fast_settings, jsonl, query


def tree(root: Path) -> None:
    for user in ("alice", "bob", "carol"):
        for i in range(4):
            append(root / user / f"s{i}.jsonl",
                   jsonl(*({"type": "user", "uuid": f"{user}-{i}-{n}", "n": n} for n in range(30))))
        append(root / user / "s0" / "subagents" / "agent-a.jsonl", jsonl({"type": "assistant", "n": 1}))
    append(root / "alice" / "bad.jsonl", b'{"n": 1}\n{not json\n{"n": 3}\n')


def committed(state: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rows = query(state, "SELECT session_file, line_no, byte_offset, content FROM recorded ORDER BY ALL")
    cursors = query(state, "SELECT session_file, offset_bytes, file_hash, lines, bad_lines, items_extracted "
                           "FROM session_processor_state ORDER BY ALL")
    return rows, cursors


def run(root: Path, state: Path, processors: Sequence[Any], **settings: Any) -> tuple[int, list[dict[str, Any]]]:
    with capture_logs() as logs:
        code = Service(fast_settings(root, state, **settings), processors).run_once()
    return code, logs


def test_the_pool_commits_what_the_thread_commits(tmp_path: Path) -> None:
    tree(tmp_path / "root")
    code, logs = run(tmp_path / "root", tmp_path / "pool.duckdb", [RecordingProcessor()],
                     parse_workers=2, parse_min_bytes=1)
    assert code == 0
    assert [e for e in logs if e["event"] == events.POOL_STARTED]
    code, _ = run(tmp_path / "root", tmp_path / "thread.duckdb", [RecordingProcessor()], parse_workers=0)
    assert code == 0
    pooled, threaded = committed(tmp_path / "pool.duckdb"), committed(tmp_path / "thread.duckdb")
    assert pooled == threaded and len(pooled[0]) == 12 * 30 + 3 + 2
    bad = [e for e in logs if e["event"] == events.LINE_MALFORMED]
    assert [(e["file"], e["line"]) for e in bad] == [("alice/bad.jsonl", 2)]  # logged by the daemon


def test_a_processor_failing_in_the_pool_backs_off_and_parks(tmp_path: Path) -> None:
    tree(tmp_path / "root")
    code, logs = run(tmp_path / "root", tmp_path / "s.duckdb", [FailingProcessor()],
                     parse_workers=2, parse_min_bytes=1, max_attempts=1)
    assert code == 1
    failed = [e for e in logs if e["event"] == events.PROCESSOR_FAILED]
    assert len(failed) == 16 and "boom on" in failed[0]["error"]
    assert "Traceback" in failed[0]["traceback"]  # the pool process's, carried back
    assert query(tmp_path / "s.duckdb", "SELECT count(*) FROM session_processor_state WHERE parked") == [(16,)]


class DiesInPool(RecordingProcessor):
    """Kills its process when run inside a pool process; records normally in the daemon's."""

    name = "dies"
    tables = ("dies_recorded",)
    migrations = (RecordingProcessor.migrations[0].replace("recorded", "dies_recorded"),)

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        if multiprocessing.parent_process() is not None:
            os._exit(3)
        return {"dies_recorded": super().process(file, records)["recorded"]}


def test_a_pool_process_that_dies_is_replaced_by_the_thread(tmp_path: Path) -> None:
    tree(tmp_path / "root")
    code, logs = run(tmp_path / "root", tmp_path / "s.duckdb", [DiesInPool()],
                     parse_workers=2, parse_min_bytes=1)
    assert code == 0
    assert [e["event"] for e in logs if e["event"] == events.POOL_BROKEN]
    assert query(tmp_path / "s.duckdb", "SELECT count(*) FROM dies_recorded") == [(12 * 30 + 3 + 2,)]


class Unpicklable(RecordingProcessor):
    name = "unpicklable"
    tables = ("unpicklable_recorded",)
    migrations = (RecordingProcessor.migrations[0].replace("recorded", "unpicklable_recorded"),)

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()  # like a client object: cannot cross a process boundary

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        return {"unpicklable_recorded": super().process(file, records)["recorded"]}


def test_a_processor_that_cannot_be_pickled_stays_in_its_thread(tmp_path: Path) -> None:
    tree(tmp_path / "root")
    code, logs = run(tmp_path / "root", tmp_path / "s.duckdb", [Unpicklable(), RecordingProcessor()],
                     parse_workers=2, parse_min_bytes=1)
    assert code == 0
    [kept] = [e for e in logs if e["event"] == events.POOL_IN_THREAD]
    assert kept["processor"] == "unpicklable"
    assert query(tmp_path / "s.duckdb", "SELECT (SELECT count(*) FROM unpicklable_recorded), "
                                        "(SELECT count(*) FROM recorded)") == [(365, 365)]
