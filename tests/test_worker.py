"""The worker under faults: a file cut short under its read, a bug inside a pass, a big batch."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from structlog.testing import capture_logs

from sessiond.daemon import events
from sessiond.daemon import examine as examine_module
from sessiond.daemon.service import Service
from sessiond.processors.contract import RetryLater
from tests.fakes import RecordingProcessor
from tests.harness import append, fast_settings, jsonl, query, running, wait_until


def good(name: str, count: int, start: int = 0) -> bytes:
    return jsonl(*({"type": "user", "uuid": f"{name}-{i}", "n": i} for i in range(start, start + count)))


def numbers(state_or_service: Any, key: str) -> list[int]:
    rows = query(state_or_service, "SELECT content FROM recorded WHERE session_file = ? ORDER BY line_no",
                 [key])
    return [orjson.loads(r[0])["n"] for r in rows]


def test_a_file_truncated_while_its_prefix_is_hashed(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The prefix read hits the end of a file truncated since its fstat: a change during the
    read (looked at again), not an exception that ends the worker."""
    path = root / "u" / "a.jsonl"
    append(path, good("a", 3))
    settings = fast_settings(root, state)
    assert Service(settings, [RecordingProcessor()]).run_once() == 0
    append(path, good("a", 1, 3))  # an append: the next pass verifies the prefix
    real = examine_module.hash_prefix

    def truncated_meanwhile(fd: int, length: int) -> Any:
        monkeypatch.setattr(examine_module, "hash_prefix", real)
        path.write_bytes(good("b", 1, 10))  # shorter than the prefix being hashed
        return real(fd, length)

    monkeypatch.setattr(examine_module, "hash_prefix", truncated_meanwhile)
    svc = Service(settings, [RecordingProcessor()])
    with capture_logs() as logs:
        svc.scan_now()
        svc.workers["recording"].drain()
    stats = svc.workers["recording"].stats
    svc.close()
    names = [e["event"] for e in logs if e["event"].startswith("file.")]
    assert names == [events.FILE_CHANGED_DURING_READ, events.FILE_REWRITTEN]
    assert stats.errors == 0
    assert numbers(state, "u/a.jsonl") == [10]


def test_a_bug_in_a_pass_neither_ends_the_worker_nor_reads_lines_twice(root: Path, state: Path) -> None:
    """An exception escaping a pass after its commit (here: the metrics hook) is logged with
    its traceback; the worker goes on, and what committed is not read again."""
    with capture_logs() as logs, running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        worker = svc.workers["recording"]
        calls: list[float] = []

        def broken_hook(seconds: float) -> None:
            calls.append(seconds)
            if len(calls) == 1:
                raise RuntimeError("bug in a metrics hook")

        worker.on_commit = broken_hook
        append(root / "u" / "a.jsonl", good("a", 2))
        wait_until(lambda: any(e["event"] == events.PROCESSOR_FAILED for e in logs), what="the bug")
        append(root / "u" / "a.jsonl", good("a", 2, 2))
        wait_until(lambda: numbers(svc, "u/a.jsonl") == [0, 1, 2, 3], what="the next lines")
        # the worker thread is alive and committing (its hook runs just after the rows are seen)
        wait_until(lambda: len(calls) >= 2, what="the hook called again")
    [failed] = [e for e in logs if e["event"] == events.PROCESSOR_FAILED]
    assert failed["files"] == ["u/a.jsonl"] and "bug in a metrics hook" in failed["error"]
    assert "Traceback" in failed["traceback"] and failed["retry_in"] > 0
    assert query(state, "SELECT count(*), count(DISTINCT line_no) FROM recorded") == [(4, 4)]


def test_a_batch_stops_reading_at_the_pass_budget(root: Path, state: Path) -> None:
    """However many files a batch may hold, it reads about ``pass_bytes`` before committing:
    the rows it keeps in memory until then stay bounded."""
    for i in range(20):
        append(root / "u" / f"{i}.jsonl", jsonl(*({"n": n, "pad": "x" * 1000} for n in range(10))))
    settings = fast_settings(root, state, batch_files=256, pass_bytes=25_000)
    with capture_logs() as logs:
        assert Service(settings, [RecordingProcessor()]).run_once() == 0
    commits = [e for e in logs if e["event"] == events.PROCESSOR_COMMITTED]
    assert [c["files"] for c in commits] == [3] * 6 + [2]  # ~10 KB each: 3 files pass 25 KB
    assert max(c["bytes"] for c in commits) < 25_000 + 11_000
    assert query(state, "SELECT count(*), count(DISTINCT (session_file, line_no)) FROM recorded") == [
        (200, 200)]
    assert os.path.exists(state)


class MergingRecorder(RecordingProcessor):
    """A `Merging` processor that keeps its rows as they are; a record with ``"bad": true``
    yields a row that does not fit its table (text in a BIGINT column)."""

    name = "merging"
    tables = ("merged",)
    migrations = (RecordingProcessor.migrations[0].replace("recorded", "merged"),)

    def process(self, file: Any, records: Any) -> Any:
        rows = super().process(file, records)["recorded"]
        for row, record in zip(rows, records, strict=True):
            if record.data.get("bad"):
                row["line_no"] = "not a number"
        return {"merged": rows}

    def merge(self, tx: Any, rows: Any) -> Any:
        return rows

    def after_delete(self, tx: Any, files: Any) -> None:
        pass


def test_a_merging_processors_row_that_does_not_fit_fails_only_its_file(root: Path, state: Path) -> None:
    """Rows are converted to Arrow before the commit for `Merging` processors too: the bad file
    fails (and parks), the file beside it in the same batch commits."""
    append(root / "u" / "bad.jsonl", jsonl({"n": 1, "bad": True}))
    append(root / "u" / "good.jsonl", jsonl({"n": 1}, {"n": 2}))
    settings = fast_settings(root, state, max_attempts=1)
    with capture_logs() as logs:
        assert Service(settings, [MergingRecorder()]).run_once() == 1
    assert query(state, "SELECT session_file, count(*) FROM merged GROUP BY 1") == [("u/good.jsonl", 2)]
    assert [(e["event"], e["file"]) for e in logs if e["event"] == events.PROCESSOR_PARKED] == [
        (events.PROCESSOR_PARKED, "u/bad.jsonl")]


@pytest.mark.parametrize("writer", ["started", "not started"])
def test_commit_seconds_are_measured_from_the_hand_over(root: Path, state: Path, writer: str) -> None:
    # with a writer thread the batch is handed over and committed there; without one (offline
    # operations, tests) it is committed while being handed over: either way the commit's
    # seconds count from the hand-over to its end, and the batch's `ms` include them
    for i in range(3):
        append(root / "u" / f"s{i}.jsonl", good(f"s{i}", 5))
    svc = Service(fast_settings(root, state), [RecordingProcessor()])
    worker = svc.workers["recording"]
    seconds: list[float] = []
    worker.on_commit = seconds.append
    if writer == "started":
        svc.writer.start()
    with capture_logs() as logs:
        svc.scan_now()
        worker.drain()
    svc.writer.stop()
    svc.close()
    [committed] = [e for e in logs if e["event"] == events.PROCESSOR_COMMITTED]
    assert len(seconds) == 1 and 0 < seconds[0] <= committed["ms"] / 1000


class BuggyHooks(MergingRecorder):
    """A `Merging` processor with deterministic bugs in its hooks: ``merge`` raises when the
    batch holds a row of ``u/bad.jsonl``, ``after_delete`` when ``u/doomed.jsonl`` is deleted."""

    def merge(self, tx: Any, rows: Any) -> Any:
        if any(r["session_file"] == "u/bad.jsonl" for r in rows.get("merged", ())):
            raise ZeroDivisionError("a bug in merge")
        return rows

    def after_delete(self, tx: Any, files: Any) -> None:
        if "u/doomed.jsonl" in files:
            tx.execute("SELECT * FROM no_such_table")  # a bug in its SQL


def test_a_bug_in_a_merging_hook_fails_and_parks_its_file_not_the_batch(root: Path, state: Path) -> None:
    """An exception from a processor's hook in the commit is that processor's failure for the
    batch's files: the batch is committed file by file, the file that fails gets attempts and
    backoff and, after `max_attempts`, is parked -- with its traceback -- and the others commit."""
    for name in ("a", "bad", "c", "doomed"):
        append(root / "u" / f"{name}.jsonl", good(name, 2))
    settings = fast_settings(root, state, max_attempts=2)
    with capture_logs() as logs:
        assert Service(settings, [BuggyHooks()]).run_once() == 1  # attempt 1: retried
        assert Service(settings, [BuggyHooks()]).run_once() == 1  # attempt 2: parked
    assert query(state, "SELECT session_file, count(*) FROM merged GROUP BY 1 ORDER BY 1") == [
        ("u/a.jsonl", 2), ("u/c.jsonl", 2), ("u/doomed.jsonl", 2)]
    failed = [e for e in logs if e["event"] == events.PROCESSOR_FAILED]
    assert [(e["file"], e["attempts"]) for e in failed] == [("u/bad.jsonl", 1), ("u/bad.jsonl", 2)]
    assert "ZeroDivisionError: a bug in merge" in failed[0]["error"]
    assert "in merge" in failed[0]["traceback"] and "Traceback" in failed[0]["traceback"]
    assert [e["file"] for e in logs if e["event"] == events.PROCESSOR_PARKED] == ["u/bad.jsonl"]
    [first, _] = [e for e in logs if e["event"] == events.PROCESSOR_COMMIT_FAILED]
    assert first["files"] == 4 and first["then"] == "file by file"
    assert query(state, "SELECT session_file, attempts, parked FROM session_processor_state "
                        "WHERE attempts > 0") == [("u/bad.jsonl", 2, True)]
    # a bug in after_delete: the deletion of that file fails, and parks; nothing else waits
    (root / "u" / "doomed.jsonl").unlink()
    append(root / "u" / "a.jsonl", good("a", 1, 2))
    with capture_logs() as logs:
        assert Service(settings, [BuggyHooks()]).run_once() == 1
    [failed_delete] = [e for e in logs if e["event"] == events.PROCESSOR_FAILED]
    assert failed_delete["file"] == "u/doomed.jsonl" and "no_such_table" in failed_delete["error"]
    assert query(state, "SELECT count(*) FROM merged WHERE session_file = 'u/a.jsonl'") == [(3,)]


def test_a_store_error_in_the_commit_is_retried_without_counting_attempts(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's own failures (here an I/O error raised where the rows are written) are not
    the processor's: the batch backs off and is retried, no attempts, nothing parked."""
    import duckdb

    from sessiond.state import store as store_module

    for name in ("a", "b"):
        append(root / "u" / f"{name}.jsonl", good(name, 2))
    real = store_module.Store._insert
    calls = {"n": 0}

    def flaky(self: Any, table: str, batch: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise duckdb.IOException("IO Error: No space left on device")
        real(self, table, batch)

    monkeypatch.setattr(store_module.Store, "_insert", flaky)
    with capture_logs() as logs:
        assert Service(fast_settings(root, state, max_attempts=1), [MergingRecorder()]).run_once() == 1
        assert Service(fast_settings(root, state, max_attempts=1), [MergingRecorder()]).run_once() == 0
    assert [e["event"] for e in logs if e["event"] in (
        events.STORE_COMMIT_FAILED, events.PROCESSOR_COMMIT_FAILED, events.PROCESSOR_FAILED)] == [
        events.STORE_COMMIT_FAILED]
    assert query(state, "SELECT count(*) FROM merged") == [(4,)]
    assert query(state, "SELECT count(*) FROM session_processor_state WHERE attempts > 0 OR parked") == [(0,)]


def test_the_cursor_cache_holds_its_configured_capacity_also_after_a_reload(
        root: Path, state: Path) -> None:
    from dataclasses import replace

    for i in range(5):
        append(root / "u" / f"s{i}.jsonl", good(f"s{i}", 1))
    settings = fast_settings(root, state, cursor_cache=3)
    svc = Service(settings, [RecordingProcessor()], reload=lambda: replace(settings, cursor_cache=1))
    worker = svc.workers["recording"]
    try:
        svc.scan_now()
        worker.drain()
        assert len(worker.cursors) == 3  # the newest three of five
        svc._apply_reload()
        append(root / "u" / "s0.jsonl", good("s0", 1, 1))
        svc.scan_now()
        worker.drain()
        assert len(worker.cursors) == 1  # the reload's capacity, applied at the next commit
    finally:
        svc.close()


def test_duckdbs_memory_limit_is_the_setting_also_after_a_reload(root: Path, state: Path) -> None:
    from dataclasses import replace

    settings = fast_settings(root, state, memory_limit="96MB")
    svc = Service(settings, [RecordingProcessor()], reload=lambda: replace(settings, memory_limit="1GB"))

    def limit() -> str:  # as DuckDB shows it, in its own units
        return str(svc._con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
    try:
        assert limit() == "91.5 MiB"  # 96 MB
        svc._apply_reload()
        assert limit() == "953.6 MiB"  # 1 GB
    finally:
        svc.close()


class Enriched(RecordingProcessor):
    """An `Enriching` processor. Its hook prefixes each row's content with how many rows of the
    file are committed (what its read-only view shows), drops the rows of records ``{"drop":
    true}``, and has faults by file: ``u/bad.jsonl`` gets an exception back, ``u/misfit.jsonl``
    a row that does not fit its table, ``u/later.jsonl`` a `RetryLater` while ``wait`` is set,
    and a batch holding ``u/crash.jsonl`` makes it raise."""

    name = "enriched"

    def __init__(self) -> None:
        super().__init__()
        self.wait = True
        self.calls: list[tuple[str, list[str]]] = []  # (thread, files) of each call
        self.resets: dict[str, bool] = {}

    def enrich(self, state: Any, batch: Any) -> list[Any]:
        self.calls.append((threading.current_thread().name, [p.file.key for p in batch]))
        if any(p.file.key == "u/crash.jsonl" for p in batch):
            raise RuntimeError("a bug in enrich")
        out: list[Any] = []
        for p in batch:
            key = p.file.key
            self.resets[key] = p.reset
            if key == "u/bad.jsonl":
                out.append(ZeroDivisionError("enrich found this file bad"))
            elif key == "u/later.jsonl" and self.wait:
                out.append(RetryLater("not now", retry_in=60.0))
            elif key == "u/misfit.jsonl":
                out.append({"recorded": [{**r, "line_no": "not a number"} for r in p.rows["recorded"]]})
            else:
                [(stored,)] = state.query("SELECT count(*) FROM recorded WHERE session_file = ?", [key])
                out.append({"recorded": [{**r, "content": f"{stored}|{r['content']}"}
                                         for r in p.rows["recorded"] if '"drop":true' not in r["content"]]})
        return out


def test_an_enriching_hook_runs_in_the_workers_thread_on_committed_state(root: Path, state: Path) -> None:
    """The hook runs in the processor's worker thread -- not the writer's -- once per batch,
    reading what is committed (the file's earlier append), and what it returns is what commits:
    rows it rewrote or dropped, items counted as stored; a rewrite is marked ``reset``."""
    path = root / "u" / "a.jsonl"
    append(path, good("a", 2))
    processor = Enriched()
    settings = fast_settings(root, state)
    assert Service(settings, [processor]).run_once() == 0
    append(path, jsonl({"n": 2}, {"n": 3, "drop": True}, {"n": 4}))
    with capture_logs() as logs:
        assert Service(settings, [processor]).run_once() == 0
    assert query(state, "SELECT content FROM recorded ORDER BY line_no") == [
        ('0|{"n":0,"type":"user","uuid":"a-0"}',), ('0|{"n":1,"type":"user","uuid":"a-1"}',),
        ('2|{"n":2}',), ('2|{"n":4}',)]
    assert query(state, "SELECT items_extracted FROM session_processor_state") == [(4,)]
    [appended] = [e for e in logs if e["event"] == events.FILE_APPENDED]
    [committed] = [e for e in logs if e["event"] == events.PROCESSOR_COMMITTED]
    assert appended["items"] == committed["items"] == 2
    assert processor.calls == [("once-enriched", ["u/a.jsonl"])] * 2 and not processor.resets["u/a.jsonl"]
    path.write_bytes(good("b", 1))  # a rewrite: what is stored is about to go, as it says
    assert Service(settings, [processor]).run_once() == 0
    assert processor.resets["u/a.jsonl"]
    assert query(state, "SELECT content FROM recorded") == [('4|{"n":0,"type":"user","uuid":"b-0"}',)]
    svc = Service(settings, [processor])
    try:  # the view it gets reads, and only reads
        with pytest.raises(duckdb.Error, match="read-only"):
            svc.workers["enriched"].store.query("DELETE FROM recorded")
    finally:
        svc.close()
    assert query(state, "SELECT count(*) FROM recorded") == [(1,)]


def test_an_enriching_hooks_failures_are_its_files_and_a_deferral_counts_no_attempt(
        root: Path, state: Path) -> None:
    """A file the hook fails (an exception returned, rows that do not fit, the hook raising for
    the batch -- then tried file by file) gets attempts, backoff and parking like a failing
    ``process``; a file it defers (`RetryLater`) waits without an attempt; the others commit."""
    for name in ("a", "bad", "crash", "later", "misfit"):
        append(root / "u" / f"{name}.jsonl", good(name, 2))
    processor = Enriched()
    settings = fast_settings(root, state, max_attempts=2)
    with capture_logs() as logs:
        assert Service(settings, [processor]).run_once() == 1
    assert query(state, "SELECT DISTINCT session_file FROM recorded") == [("u/a.jsonl",)]
    failed = {e["file"]: e for e in logs if e["event"] == events.PROCESSOR_FAILED}
    assert sorted(failed) == ["u/bad.jsonl", "u/crash.jsonl", "u/misfit.jsonl"]
    assert "ZeroDivisionError: enrich found this file bad" in failed["u/bad.jsonl"]["error"]
    assert "a bug in enrich" in failed["u/crash.jsonl"]["error"]
    assert "in enrich" in failed["u/crash.jsonl"]["traceback"]
    assert all(e["attempts"] == 1 and e["retry_in"] > 0 for e in failed.values())
    [deferred] = [e for e in logs if e["event"] == events.PROCESSOR_DEFERRED]
    assert (deferred["files"], deferred["error"], deferred["retry_in"]) == (1, "not now", 60.0)
    # one call for the batch, then one per file once it raised
    batch, *alone = [files for _, files in processor.calls]
    assert sorted(batch) == ["u/a.jsonl", "u/bad.jsonl", "u/crash.jsonl", "u/later.jsonl",
                             "u/misfit.jsonl"]
    assert alone == [[f] for f in batch]
    assert {thread for thread, _ in processor.calls} == {"once-enriched"}
    [committed] = [e for e in logs if e["event"] == events.PROCESSOR_COMMITTED]
    assert (committed["files"], committed["items"], committed["lines"]) == (4, 2, 2)  # a's lines
    assert query(state, "SELECT session_file, attempts, offset_bytes > 0 FROM session_processor_state "
                        "ORDER BY 1") == [("u/a.jsonl", 0, True), ("u/bad.jsonl", 1, False),
                                          ("u/crash.jsonl", 1, False), ("u/misfit.jsonl", 1, False)]
    processor.wait = False
    with capture_logs() as logs:
        assert Service(settings, [processor]).run_once() == 1  # the faulty ones park
    assert query(state, "SELECT session_file, attempts, parked FROM session_processor_state "
                        "ORDER BY 1") == [("u/a.jsonl", 0, False), ("u/bad.jsonl", 2, True),
                                          ("u/crash.jsonl", 2, True), ("u/later.jsonl", 0, False),
                                          ("u/misfit.jsonl", 2, True)]
    assert query(state, "SELECT session_file, count(*) FROM recorded GROUP BY 1 ORDER BY 1") == [
        ("u/a.jsonl", 2), ("u/later.jsonl", 2)]
