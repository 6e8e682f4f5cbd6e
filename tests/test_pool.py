"""The parse pool: a batch examined in other processes commits exactly what the worker's own
thread would have; failures there are the same failures; a pool that breaks falls back. Its
batches commit while the next is read, and never with a file read from an unconfirmed cursor."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from sessiond.daemon import events
from sessiond.daemon.pool import ParsePool
from sessiond.daemon.service import Service
from sessiond.daemon.writer import Ticket, Writer
from sessiond.processors.contract import Record, Rows, SessionFile
from tests.fakes import FailingProcessor, RecordingProcessor
from tests.harness import append, fast_settings, jsonl, query, running, wait_until


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


class Steps:
    """The order in which a worker examines batches in the pool, hands them to the writer and
    waits for their commits (recorded by wrapping those three methods)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.steps: list[tuple[str, tuple[str, ...]]] = []
        examine, submit, wait = ParsePool.examine, Writer.submit, Ticket.wait

        def examining(pool: ParsePool, name: str, root: Path, jobs: Any, **kw: Any) -> Any:
            self.steps.append(("examine", tuple(sorted(f.key for f, _ in jobs))))
            return examine(pool, name, root, jobs, **kw)

        def submitting(writer: Writer, processor: Any, outcomes: Any) -> Ticket:
            self.steps.append(("submit", tuple(sorted(o.cursor.file for o in outcomes))))
            return submit(writer, processor, outcomes)

        def waiting(ticket: Ticket) -> None:
            self.steps.append(("wait", tuple(sorted(o.cursor.file for o in ticket.outcomes))))
            wait(ticket)

        monkeypatch.setattr(ParsePool, "examine", examining)
        monkeypatch.setattr(Writer, "submit", submitting)  # before the Service binds it
        monkeypatch.setattr(Ticket, "wait", waiting)

    def index(self, step: str, keys: Sequence[str]) -> int:
        return self.steps.index((step, tuple(sorted(keys))))


@contextlib.contextmanager
def started(root: Path, state: Path, processor: RecordingProcessor | None = None,
            **settings: Any) -> Iterator[Service]:
    """A Service with its writer thread started and its queue filled by a scan (not running)."""
    svc = Service(fast_settings(root, state, parse_workers=2, parse_min_bytes=1, **settings),
                  [processor or RecordingProcessor()])
    svc.writer.start()
    try:
        svc.scan_now()
        yield svc
    finally:
        svc.writer.stop()
        svc.close()


def test_a_pool_batch_commits_while_the_next_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree(tmp_path / "root")
    steps = Steps(monkeypatch)
    with started(tmp_path / "root", tmp_path / "pool.duckdb", batch_files=4) as svc:
        svc.workers["recording"].drain()
    batches = [keys for step, keys in steps.steps if step == "examine"]
    assert len(batches) == 4  # 16 files, 4 per batch
    for before, after in itertools.pairwise(batches):
        # batch i+1 was read while batch i was with the writer; i was confirmed before i+1 went
        assert steps.index("submit", before) < steps.index("examine", after) \
            < steps.index("wait", before) < steps.index("submit", after)
    run(tmp_path / "root", tmp_path / "thread.duckdb", [RecordingProcessor()], parse_workers=0)
    assert committed(tmp_path / "pool.duckdb") == committed(tmp_path / "thread.duckdb")


def test_a_file_still_in_flight_is_read_again_only_after_its_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    tree(root)
    steps = Steps(monkeypatch)
    with started(root, tmp_path / "pool.duckdb", batch_files=4) as svc:
        worker = svc.workers["recording"]
        first = svc.queues["recording"].take(4)
        worker.run_batch(first)  # returns with the batch in flight
        append(root / first[0].key, jsonl({"type": "user", "uuid": "late", "n": 99}))
        again = [first[0], *svc.queues["recording"].take(1)]
        worker.run_batch(again)
        worker.drain()
    assert steps.index("wait", [f.key for f in first]) < steps.index("examine", [f.key for f in again])
    run(root, tmp_path / "thread.duckdb", [RecordingProcessor()], parse_workers=0)
    assert committed(tmp_path / "pool.duckdb") == committed(tmp_path / "thread.duckdb")


def test_an_operation_confirms_the_batch_in_flight_first(tmp_path: Path) -> None:
    root = tmp_path / "root"
    tree(root)
    with started(root, tmp_path / "pool.duckdb", batch_files=4) as svc:
        worker = svc.workers["recording"]
        first = svc.queues["recording"].take(4)
        worker.run_batch(first)
        assert worker.stats.processed == 0  # in flight: not confirmed yet
        svc.ops.reprocess("recording", file=first[0].key)  # waits for the pass lock, then
        assert worker.stats.processed == 4  # confirms the batch before touching cursors
        worker.drain()
    run(root, tmp_path / "thread.duckdb", [RecordingProcessor()], parse_workers=0)
    assert committed(tmp_path / "pool.duckdb") == committed(tmp_path / "thread.duckdb")


def test_a_file_read_in_parts_is_finished_after_its_batch_is_confirmed(tmp_path: Path) -> None:
    # pass_bytes smaller than the long file: its pool batch leaves it with more to read, and it
    # is queued again only when that batch is confirmed -- with nothing else queued by then,
    # the drain must not end there
    root = tmp_path / "root"
    append(root / "a" / "short.jsonl", jsonl({"type": "user", "uuid": "short", "n": 0}))
    append(root / "b" / "long.jsonl", jsonl(*({"type": "user", "uuid": f"long-{n}", "pad": "x" * 1000}
                                              for n in range(3000))))  # 3 MB: 3 reads of 1 MB
    with started(root, tmp_path / "pool.duckdb", pass_bytes=1 << 20) as svc:
        queue = svc.queues["recording"]
        files = sorted(queue.take(10), key=lambda f: f.key)  # short first: both go to the pool
        svc.workers["recording"].run_batch(files)
        svc.workers["recording"].drain()
    run(root, tmp_path / "thread.duckdb", [RecordingProcessor()], parse_workers=0)
    pooled = committed(tmp_path / "pool.duckdb")
    assert pooled == committed(tmp_path / "thread.duckdb") and len(pooled[0]) == 3001


def test_a_running_daemon_finishes_a_file_read_in_parts(tmp_path: Path) -> None:
    # the same in the daemon's own loop: once the queue is empty, the batch in flight is
    # confirmed, and the file it queues again is read on to its end
    root = tmp_path / "root"
    append(root / "a" / "short.jsonl", jsonl({"type": "user", "uuid": "short", "n": 0}))
    long = root / "b" / "long.jsonl"
    append(long, jsonl(*({"type": "user", "uuid": f"long-{n}", "pad": "x" * 1000} for n in range(3000))))
    settings = fast_settings(root, tmp_path / "s.duckdb", parse_workers=2, parse_min_bytes=1,
                             pass_bytes=1 << 20)
    with running(settings, [RecordingProcessor()]) as svc:
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(3001,)],
                   what="both files read to the end")
        offset = query(svc, "SELECT offset_bytes FROM session_processor_state "
                            "WHERE session_file = 'b/long.jsonl'")
    assert offset == [(long.stat().st_size,)]


class Hourly(RecordingProcessor):
    interval = 3600.0  # a pass an hour: what one pass leaves queued waits that long


def test_the_worker_loop_reads_on_what_a_batch_in_flight_queues_again_in_the_same_pass(
        tmp_path: Path) -> None:
    # `run_forever`: when the queue runs empty with a batch in flight, that batch is confirmed
    # and the file it queues again (more to read) is taken in the same pass, as a file read in
    # the worker's thread would be -- not an interval later
    root = tmp_path / "root"
    append(root / "a" / "short.jsonl", jsonl({"type": "user", "uuid": "short", "n": 0}))
    append(root / "b" / "long.jsonl", jsonl(*({"type": "user", "uuid": f"long-{n}", "pad": "x" * 1000}
                                              for n in range(3000))))  # 3 MB: 3 reads of 1 MB
    with started(root, tmp_path / "pool.duckdb", Hourly(), pass_bytes=1 << 20) as svc:
        queue = svc.queues["recording"]
        queue.unget(sorted(queue.take(10), key=lambda f: f.key))  # short first: both to the pool
        stop = threading.Event()
        loop = threading.Thread(target=svc.workers["recording"].run_forever, args=(stop,))
        loop.start()
        try:
            wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(3001,)],
                       what="the long file read to its end within the first pass")
        finally:
            stop.set()
            queue.close()
            loop.join(timeout=10)
        assert not loop.is_alive()


class Noting(RecordingProcessor):
    """A `Merging` processor whose merge needs a key that is not a column (``merge_fields``):
    it stores what merge saw of it."""

    name = "noting"
    tables = ("noted",)
    migrations = (
        "CREATE TABLE noted (session_file VARCHAR NOT NULL, line_no BIGINT NOT NULL, "
        "byte_offset BIGINT NOT NULL, content VARCHAR NOT NULL)",
        "CREATE TABLE noted_seen (session_file VARCHAR, line_no BIGINT, note VARCHAR, first BOOLEAN)",
    )
    merge_fields = {"noted": ("_note", "_first")}  # noqa: RUF012 -- a test's plain dict

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        rows = super().process(file, records)["recorded"]
        return {"noted": [{**r, "_note": f"n{r['line_no']}", "_first": i == 0, "_ignored": 1}
                          for i, r in enumerate(rows)]}

    def merge(self, tx: Any, rows: Mapping[str, Rows]) -> Mapping[str, Rows]:
        for r in rows.get("noted", ()):
            assert "_ignored" not in r  # undeclared keys are dropped, in the thread as in the pool
            tx.execute("INSERT INTO noted_seen VALUES (?, ?, ?, ?)",
                       [r["session_file"], r["line_no"], r["_note"], r["_first"]])
        return rows

    def after_delete(self, tx: Any, files: Sequence[str]) -> None:
        pass


def test_merge_fields_reach_merge_from_the_pool_as_from_the_thread(tmp_path: Path) -> None:
    tree(tmp_path / "root")
    code, logs = run(tmp_path / "root", tmp_path / "pool.duckdb", [Noting()],
                     parse_workers=2, parse_min_bytes=1)
    assert code == 0 and [e for e in logs if e["event"] == events.POOL_STARTED]
    assert run(tmp_path / "root", tmp_path / "thread.duckdb", [Noting()], parse_workers=0)[0] == 0
    seen = "SELECT * FROM noted_seen ORDER BY ALL"
    pooled, threaded = query(tmp_path / "pool.duckdb", seen), query(tmp_path / "thread.duckdb", seen)
    assert pooled == threaded and len(pooled) == 12 * 30 + 3 + 2
    assert ("alice/s0.jsonl", 1, "n1", True) in pooled
    assert query(tmp_path / "pool.duckdb", "SELECT count(*) FROM noted") == [(len(pooled),)]


def test_a_restart_keeps_every_processor_in_the_pool(tmp_path: Path) -> None:
    # a result left open on the connection by the migrations' version check once made reading
    # the tables' schemas fail at every start after the first: the pool served no processor
    tree(tmp_path / "root")
    for _ in range(2):
        with capture_logs() as logs:
            svc = Service(fast_settings(tmp_path / "root", tmp_path / "s.duckdb", parse_workers=2),
                          [RecordingProcessor(), Noting()])
        try:
            assert svc.pool is not None and svc.pool.serves("recording") and svc.pool.serves("noting")
            assert not [e for e in logs if e["event"] == events.POOL_IN_THREAD]
        finally:
            svc.close()


def test_a_commit_is_logged_after_the_reads_it_commits(tmp_path: Path) -> None:
    # batch i+1 is read (and its files logged, once) while batch i commits: each file's
    # `file.appended` must still come after the previous `processor.committed`, so a reader of
    # the log can tell which commit took which read
    tree(tmp_path / "root")
    with capture_logs() as logs, started(tmp_path / "root", tmp_path / "s.duckdb", batch_files=4) as svc:
        svc.workers["recording"].drain()
    batch: list[str] = []
    commits = 0
    for e in logs:
        if e["event"] in (events.FILE_APPENDED, events.FILE_REWRITTEN):
            batch.append(e["file"])
        elif e["event"] == events.PROCESSOR_COMMITTED:
            assert e["files"] == len(batch) == len(set(batch)), (e, batch)
            batch, commits = [], commits + 1
    assert commits == 4 and not batch
