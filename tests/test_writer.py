"""The shared writer: batches handed in together commit in one transaction, and a batch that
fails the shared commit fails alone."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sessiond.daemon import events
from sessiond.daemon import writer as writer_module
from sessiond.daemon.writer import Ticket, Writer
from sessiond.processors.contract import Rows, Tx
from sessiond.processors.lines import LinesProcessor
from sessiond.state import store as store_module
from sessiond.state.cursor import Cursor
from sessiond.state.db import open_state
from sessiond.state.migrations import CORE, CORE_STEPS, ensure_sessiond_database, migrate
from sessiond.state.store import Outcome, ProcessorError, Store
from tests.harness import wait_until


class OtherLines(LinesProcessor):
    name = "other"
    tables = ("other_lines",)
    migrations = (LinesProcessor.migrations[0].replace("TABLE lines", "TABLE other_lines"),)


class BrokenMerge(OtherLines):
    """A `Merging` processor whose hook raises inside the commit transaction."""

    name = "broken"
    tables = ("broken_lines",)
    migrations = (LinesProcessor.migrations[0].replace("TABLE lines", "TABLE broken_lines"),)

    def merge(self, tx: Tx, rows: Mapping[str, Rows]) -> Mapping[str, Rows]:
        raise ValueError("merge bug")

    def after_delete(self, tx: Tx, files: Sequence[str]) -> None:
        pass


def state(path: Path, *processors: Any) -> duckdb.DuckDBPyConnection:
    con = open_state(path)
    ensure_sessiond_database(con)
    migrate(con, CORE, CORE_STEPS)
    for p in processors:
        migrate(con, f"processor:{p.name}", p.migrations)
    return con


def batch(processor: Any, file: str, lines: int) -> list[Outcome]:
    rows = [{"session_file": file, "username": "u", "line_no": i, "byte_offset": i * 10}
            for i in range(1, lines + 1)]
    cursor = Cursor(processor=processor.name, file=file, user="u", version=1, offset=lines * 10,
                    file_hash="h", lines=lines, size=lines * 10)
    return [Outcome(cursor, {processor.tables[0]: rows})]


def hand_in_together(writer: Writer, batches: list[tuple[Any, list[Outcome]]]) -> list[BaseException | None]:
    """Each batch from its own thread, as workers do: all begin, the first hands in, and the
    others hand in only once the first is seen held for them (not committed within 0.1 s)."""
    results: list[BaseException | None] = [None] * len(batches)
    begun = threading.Barrier(len(batches))
    first: list[Ticket] = []
    first_in = threading.Event()

    def hand_in(i: int) -> None:
        writer.begin()
        begun.wait(timeout=30)
        try:
            if i == 0:
                first.append(writer.submit(*batches[0]))
                first_in.set()
                first[0].wait()
                return
            assert first_in.wait(timeout=30)
            if first[0].done.wait(0.1):  # the writer must hold it for this batch, still begun
                raise AssertionError("the first batch committed without waiting for the others")
            writer.commit(*batches[i])
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=hand_in, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    return results


def test_batches_handed_in_together_share_one_transaction(tmp_path: Path) -> None:
    lines, other = LinesProcessor(), OtherLines()
    con = state(tmp_path / "s.duckdb", lines, other)
    writer = Writer(Store(con.cursor()), gather=10.0)
    writer.start()
    try:
        results = hand_in_together(writer, [(lines, batch(lines, "u/a.jsonl", 2)),
                                            (other, batch(other, "u/a.jsonl", 3))])
    finally:
        writer.stop()
    assert results == [None, None]
    assert writer.transactions == 1
    assert con.execute("SELECT (SELECT count(*) FROM lines), (SELECT count(*) FROM other_lines)").fetchall() == [(2, 3)]
    assert sorted(con.execute("SELECT processor_name, offset_bytes FROM session_processor_state").fetchall()) == [
        ("lines", 20), ("other", 30)]


def test_a_failing_batch_does_not_fail_the_others(tmp_path: Path) -> None:
    lines, broken = LinesProcessor(), BrokenMerge()
    con = state(tmp_path / "s.duckdb", lines, broken)
    writer = Writer(Store(con.cursor()), gather=10.0)
    writer.start()
    try:
        results = hand_in_together(writer, [(lines, batch(lines, "u/a.jsonl", 2)),
                                            (broken, batch(broken, "u/a.jsonl", 3))])
    finally:
        writer.stop()
    assert results[0] is None
    assert isinstance(results[1], ProcessorError) and isinstance(results[1].__cause__, ValueError)
    assert "merge bug" in str(results[1])
    assert con.execute("SELECT count(*) FROM lines").fetchall() == [(2,)]
    assert con.execute("SELECT count(*) FROM broken_lines").fetchall() == [(0,)]
    assert con.execute("SELECT processor_name FROM session_processor_state").fetchall() == [("lines",)]


def test_not_started_it_commits_directly(tmp_path: Path) -> None:
    lines = LinesProcessor()
    con = state(tmp_path / "s.duckdb", lines)
    Writer(Store(con.cursor())).commit(lines, batch(lines, "u/a.jsonl", 1))
    assert con.execute("SELECT count(*) FROM lines").fetchall() == [(1,)]


def test_a_batch_with_nothing_to_hand_in_stops_the_wait_at_once(tmp_path: Path) -> None:
    """A worker that began a batch and ends it empty-handed (`end`) is waited for no longer:
    the commit does not sit out the gather (10 s here)."""
    lines = LinesProcessor()
    con = state(tmp_path / "s.duckdb", lines)
    writer = Writer(Store(con.cursor()), gather=10.0)
    writer.start()
    began, handed_in = threading.Event(), threading.Event()

    def empty_handed() -> None:
        writer.begin()
        began.set()
        handed_in.wait(timeout=30)
        writer.end()

    other = threading.Thread(target=empty_handed)
    other.start()
    try:
        assert began.wait(timeout=30)
        ticket = writer.submit(lines, batch(lines, "u/a.jsonl", 1))
        assert not ticket.done.wait(0.2)  # waiting for the other batch
        handed_in.set()
        assert ticket.done.wait(5.0)  # ended: committed without sitting out the 10 s
        ticket.wait()
    finally:
        other.join(timeout=30)
        writer.stop()
    assert writer.transactions == 1


def test_a_worker_reading_its_next_batch_is_not_waited_for(tmp_path: Path) -> None:
    """A backfill's worker hands a batch in and goes on reading the next one (`begin` again):
    that takes longer than any gather, so its batch commits at once, not after 10 s."""
    lines = LinesProcessor()
    con = state(tmp_path / "s.duckdb", lines)
    writer = Writer(Store(con.cursor()), gather=10.0)
    writer.start()
    try:
        writer.begin()
        with writer._changed:  # the writer sees both at once: handed in, and reading again
            ticket = writer.submit(lines, batch(lines, "u/a.jsonl", 1))
            writer.begin()
        assert ticket.done.wait(5.0)
        ticket.wait()
        writer.end()
    finally:
        writer.stop()
    assert writer.transactions == 1


def test_after_a_backlog_the_writer_checkpoints_and_puts_the_threshold_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit of `BULK_ROWS` rows or more raises DuckDB's checkpoint threshold (a backlog's
    commits then stay in the WAL, not compressed into the tables again every 16 MB); once the
    writer has had nothing to commit for `SETTLE_AFTER` seconds it checkpoints -- the WAL is
    empty -- and the threshold is what it was. A small commit raises nothing."""
    monkeypatch.setattr(store_module, "BULK_ROWS", 50)
    monkeypatch.setattr(writer_module, "SETTLE_AFTER", 0.1)
    lines = LinesProcessor()
    path = tmp_path / "s.duckdb"
    con = state(path, lines)
    wal = path.with_name(path.name + ".wal")
    store = Store(con.cursor())

    def seen() -> tuple[bool, str, int]:
        threshold = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
        return store.bulk, threshold, wal.stat().st_size if wal.exists() else 0

    before = seen()[1]
    settled: list[tuple[bool, str, int]] = []
    real = store.settle

    def settle() -> None:
        settled.append(seen())
        real()
        settled.append(seen())

    store.settle = settle  # type: ignore[method-assign]  # the seam: see before and after
    logged: list[tuple[str, dict[str, Any]]] = []

    class Log:
        def info(self, event: str, **keys: Any) -> None:
            logged.append((event, keys))

        warning = info

    writer = Writer(store, log=Log())
    writer.start()
    try:
        writer.commit(lines, batch(lines, "u/a.jsonl", 10))
        assert not store.bulk  # (only a commit raises it: no race with the writer's settle)
        writer.commit(lines, batch(lines, "u/b.jsonl", 60))
        wait_until(lambda: len(settled) == 2, what="the writer's settle after the backlog")
    finally:
        writer.stop()
    (bulk, raised, wal_before), after = settled
    assert bulk and raised != before and wal_before > 0
    assert after == (False, before, 0)
    assert con.execute("SELECT count(*) FROM lines").fetchall() == [(70,)]
    # said once each: the backlog's first large commit, then its checkpoint
    assert [(e, sorted(k)) for e, k in logged] == [
        (events.BACKLOG, ["files", "threshold"]), (events.SETTLED, ["ms"])]
    assert logged[0][1] == {"files": 1, "threshold": store_module.BULK_CHECKPOINT}
