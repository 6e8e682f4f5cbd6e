from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
import pytest

from sessiond.daemon.status import files_table
from sessiond.daemon.worker import CursorCache
from sessiond.processors.contract import Rows, Tx
from sessiond.processors.lines import LinesProcessor
from sessiond.state import store as store_module
from sessiond.state.cursor import Cursor, seen
from sessiond.state.db import StateError, open_state
from sessiond.state.migrations import (
    CORE,
    CORE_STEPS,
    current_version,
    ensure_sessiond_database,
    migrate,
    prepare,
)
from sessiond.state.store import (
    Outcome,
    Prepared,
    ProcessorError,
    Store,
    prepare_many,
    prepare_rows,
)


def fresh(path: Path) -> duckdb.DuckDBPyConnection:
    con = open_state(path)
    ensure_sessiond_database(con)
    migrate(con, CORE, CORE_STEPS)
    migrate(con, "processor:lines", LinesProcessor.migrations)
    return con


def test_migrations_are_ordered_and_idempotent(tmp_path: Path) -> None:
    con = fresh(tmp_path / "s.duckdb")
    assert current_version(con, CORE) == len(CORE_STEPS)
    assert migrate(con, CORE, CORE_STEPS) == 0
    steps = (*LinesProcessor.migrations, "ALTER TABLE lines ADD COLUMN extra VARCHAR")
    assert migrate(con, "processor:lines", steps) == 1
    assert current_version(con, "processor:lines") == 2
    assert migrate(con, "processor:lines", steps) == 0


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    con = fresh(tmp_path / "s.duckdb")
    with pytest.raises(StateError, match="newer than this sessiond"):
        migrate(con, "processor:lines", ())


def test_a_failed_step_leaves_the_version_unchanged(tmp_path: Path) -> None:
    con = fresh(tmp_path / "s.duckdb")
    with pytest.raises(duckdb.Error):
        migrate(con, "processor:x", ("CREATE TABLE x (a INT)", "THIS IS NOT SQL"))
    assert current_version(con, "processor:x") == 1


def test_a_foreign_duckdb_database_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE invoices (id INT)")
    con.close()
    con = open_state(path)
    with pytest.raises(StateError, match="not a sessiond state file"):
        ensure_sessiond_database(con)
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    assert tables == ["invoices"]


def test_a_non_duckdb_file_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "state.duckdb"
    path.write_bytes(b"not a database" * 1000)
    with pytest.raises(StateError, match="not a DuckDB database"):
        open_state(path)
    assert path.read_bytes() == b"not a database" * 1000


def cursor(file: str, offset: int) -> Cursor:
    return Cursor(processor="lines", file=file, user="u", version=1, offset=offset,
                  file_hash="h", lines=1, size=offset)


def row(file: str, line: int) -> dict[str, object]:
    return {"session_file": file, "username": "u", "line_no": line, "byte_offset": 0}


def test_outputs_and_cursor_commit_together(tmp_path: Path) -> None:
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    p = LinesProcessor()
    store.commit(p, [Outcome(cursor("u/a.jsonl", 10), {"lines": [row("u/a.jsonl", 1)]}),
                     Outcome(cursor("u/b.jsonl", 20), {"lines": [row("u/b.jsonl", 1)]})])
    assert con.execute("SELECT count(*) FROM lines").fetchone() == (2,)
    assert {k[1]: c.offset for k, c in store.cursors("lines").items()} == {"u/a.jsonl": 10, "u/b.jsonl": 20}
    # a failure while writing cursors rolls the outputs back too
    bad = Outcome(cursor("u/a.jsonl", 30), {"lines": [row("u/a.jsonl", 2)]})
    bad_cursor = Outcome(Cursor(processor="lines", file="u/c.jsonl", user="u", version=1,
                                offset=-1, file_hash="h", size=2**70), {"lines": [row("u/c.jsonl", 1)]})
    with pytest.raises(Exception):  # noqa: B017 - any failure inside the transaction
        store.commit(p, [bad, bad_cursor])
    assert con.execute("SELECT count(*) FROM lines").fetchone() == (2,)
    assert store.cursors("lines")[("lines", "u/a.jsonl")].offset == 10


def test_rewrite_replaces_a_files_outputs_and_delete_removes_them(tmp_path: Path) -> None:
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    p = LinesProcessor()
    store.commit(p, [Outcome(cursor("u/a.jsonl", 10), {"lines": [row("u/a.jsonl", 1), row("u/a.jsonl", 2)]}),
                     Outcome(cursor("u/b.jsonl", 10), {"lines": [row("u/b.jsonl", 1)]})])
    store.commit(p, [Outcome(cursor("u/a.jsonl", 5), {"lines": [row("u/a.jsonl", 1)]}, reset=True)])
    assert con.execute("SELECT session_file, count(*) FROM lines GROUP BY 1 ORDER BY 1").fetchall() == [
        ("u/a.jsonl", 1), ("u/b.jsonl", 1)]
    store.commit(p, [Outcome(cursor("u/b.jsonl", 10), {}, deleted=True)])
    assert con.execute("SELECT DISTINCT session_file FROM lines").fetchall() == [("u/a.jsonl",)]
    assert list(store.cursors("lines")) == [("lines", "u/a.jsonl")]


def test_cursors_read_from_an_older_schema_read_only(tmp_path: Path) -> None:
    """`status`/`parked` open the file read-only, before any daemon has migrated it."""
    path = tmp_path / "old.duckdb"
    con = open_state(path)
    ensure_sessiond_database(con)
    migrate(con, CORE, CORE_STEPS[:1])  # the schema before ctime_ns
    con.execute("INSERT INTO session_processor_state (processor_name, session_file, username, "
                "file_hash, offset_bytes, processor_version) VALUES ('lines', 'u/a.jsonl', 'u', 'h', 5, 1)")
    con.close()
    con = open_state(path, read_only=True)
    cursors = Store(con).cursors()
    assert cursors[("lines", "u/a.jsonl")].offset == 5
    assert cursors[("lines", "u/a.jsonl")].ctime_ns == 0
    progress = Store(con).progress("lines", 1, files_table({"u/a.jsonl": seen((9, 1, 1, 1))}, ["u/a.jsonl"]))
    assert progress["bytes_behind"] == 4 and progress["files_tracked"] == 1
    assert list(Store(con).known_stats({"lines": 1})) == [("u/a.jsonl", seen((0, 0, 0, 0)), 1)]


def at(c: Cursor, size: int, mtime: int = 5, ino: int = 7, **kw: object) -> Cursor:
    return replace(c, size=size, mtime_ns=mtime, ino=ino, ctime_ns=mtime, **kw)  # type: ignore[arg-type]


def test_progress_counts_only_unread_changes(tmp_path: Path) -> None:
    """Per file: 0 if unchanged since read (a partial last line is not behind), the new bytes
    after an append, everything after a truncation, a new file or a version change; parked
    files are not behind, and count apart."""
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    base = cursor("u/same.jsonl", 100)
    cursors = [
        at(base, 120),  # partial tail of 20 bytes
        at(replace(base, file="u/grown.jsonl"), 120),
        at(replace(base, file="u/cut.jsonl"), 120),
        at(replace(base, file="u/old.jsonl", version=0), 120),
        at(replace(base, file="u/parked.jsonl"), 120, attempts=5, parked=True),
        at(replace(base, file="u/failing.jsonl"), 120, attempts=1),
    ]
    store.commit(LinesProcessor(), [Outcome(c, {}) for c in cursors])
    now = {
        "u/same.jsonl": (120, 5, 7, 5), "u/grown.jsonl": (300, 6, 7, 6),
        "u/cut.jsonl": (60, 6, 7, 6), "u/old.jsonl": (120, 5, 7, 5),
        "u/parked.jsonl": (500, 9, 7, 9), "u/failing.jsonl": (120, 5, 7, 5),
        "u/new.jsonl": (42, 1, 1, 1),
    }
    p = store.progress("lines", 1, files_table({k: seen(st) for k, st in now.items()}, now))
    assert p["bytes_behind"] == 200 + 60 + 120 + 42
    assert (p["files_pending"], p["files_tracked"], p["files_parked"], p["files_failed"]) == (4, 6, 1, 1)
    assert p["oldest_pending_mtime"] == 1 / 1e9


def test_known_stats_lists_every_file_and_the_stat_its_clean_cursors_saw(tmp_path: Path) -> None:
    """The start index: a file is clean for a processor with a current cursor and no failure;
    its stat is the one all clean cursors saw. Files without one are listed too (no stat)."""
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    a = at(cursor("u/a.jsonl", 10), 10)
    store.commit(LinesProcessor(), [
        Outcome(a, {}),
        Outcome(at(replace(a, file="u/b.jsonl"), 10, attempts=1), {}),  # failing: not clean
        Outcome(at(replace(a, file="u/c.jsonl", version=0), 10), {}),  # old version
        Outcome(at(replace(a, processor="other"), 10), {}),  # same stat: clean for both
        Outcome(at(replace(a, processor="other", file="u/d.jsonl"), 10), {}),
        Outcome(at(replace(a, file="u/d.jsonl"), 11), {}),  # stats differ: no stat
        Outcome(at(replace(a, processor="gone", file="u/e.jsonl"), 10), {}),  # not asked for
        Outcome(at(replace(a, file="u/f.jsonl"), 2**40, mtime=-(2**62), ino=2**62), {}),  # 1901
    ])
    known = {k: (st, mask) for k, st, mask in store.known_stats({"lines": 1, "other": 1})}
    assert known == {"u/a.jsonl": (seen((10, 5, 7, 5)), 0b11), "u/b.jsonl": (None, 0),
                     "u/c.jsonl": (None, 0), "u/d.jsonl": (None, 0b11),
                     "u/f.jsonl": (seen((2**40, -(2**62), 2**62, -(2**62))), 0b1)}
    for rows in (1, 2, 4):  # the stats are read as Arrow batches: across their boundaries
        assert {k: (st, m) for k, st, m in store.known_stats({"lines": 1, "other": 1},
                                                             batch_rows=rows)} == known
    assert {k: m for k, _, m in store.known_stats({"other": 1, "lines": 1})}["u/a.jsonl"] == 0b11
    assert {k: (st, m) for k, st, m in store.known_stats({"other": 1})} == {
        "u/a.jsonl": (seen((10, 5, 7, 5)), 0b1), "u/d.jsonl": (seen((10, 5, 7, 5)), 0b1)}


def test_cursor_cache_loads_a_batch_once_and_keeps_the_newest(tmp_path: Path) -> None:
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    store.commit(LinesProcessor(), [Outcome(cursor(f"u/{i}.jsonl", i), {}) for i in range(1, 6)])
    loads: list[list[str]] = []
    real = store.load

    def load(processor: str, files: list[str]) -> dict[str, Cursor]:
        loads.append(sorted(files))
        return real(processor, files)

    store.load = load  # type: ignore[method-assign]  # the seam: count the queries
    cache = CursorCache(store, "lines", capacity=3)
    found = cache.lookup(["u/1.jsonl", "u/2.jsonl", "u/9.jsonl"])
    assert sorted(found) == ["u/1.jsonl", "u/2.jsonl"] and loads == [["u/1.jsonl", "u/2.jsonl", "u/9.jsonl"]]
    assert cache.lookup(["u/1.jsonl"])["u/1.jsonl"].offset == 1 and len(loads) == 1  # from memory
    for i in (3, 4, 5):
        cache.put(cursor(f"u/{i}.jsonl", 40 + i))
    assert len(cache) == 3  # u/1 and u/2 went out: the oldest
    assert cache.lookup(["u/1.jsonl", "u/4.jsonl"])["u/4.jsonl"].offset == 44
    assert loads[-1] == ["u/1.jsonl"]


def test_dropping_cached_pages_keeps_the_memory_limit(tmp_path: Path) -> None:
    con = fresh(tmp_path / "s.duckdb")
    Store(con).limit_memory("300MB")  # as the daemon does (DuckDB's default depends on free RAM)
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()
    Store(con).commit(LinesProcessor(), [Outcome(cursor("u/a.jsonl", 10), {"lines": [row("u/a.jsonl", 1)]})])
    Store(con).drop_cached_pages("300MB")
    assert con.execute("SELECT current_setting('memory_limit')").fetchall() == before
    assert con.execute("SELECT count(*) FROM lines").fetchall() == [(1,)]


@pytest.mark.parametrize("files", [3, 20])  # bound as parameters / registered as Arrow
def test_few_and_many_rows_store_the_same_values(tmp_path: Path, files: int) -> None:
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    cursors = [replace(cursor(f"u/{i}.jsonl", 10 + i), processed_at=1.7e9 + i / 8, attempts=i % 2,
                       next_retry_at=None if i % 2 else 1.8e9, last_error="x\u00e9" if i % 2 else None,
                       ctime_ns=2**62 + i)
               for i in range(files)]
    store.commit(LinesProcessor(), [Outcome(c, {"lines": [row(c.file, 1), row(c.file, 2)]}) for c in cursors])
    assert store.cursors("lines") == {("lines", c.file): c for c in cursors}
    assert con.execute("SELECT count(*), sum(line_no) FROM lines").fetchall() == [(2 * files, 3 * files)]


@pytest.mark.parametrize(("moving", "share", "by_keys"), [
    (1, None, None), (2, None, None), (6, None, True), (40, None, True), (60, None, False),
    (60, 1, True)],
    ids=["keyed-1", "keyed-2+new", "by-keys-6+new", "by-keys-40+new", "joined-60+new",
         "by-keys-60-of-a-large-table+new"])
def test_a_few_existing_cursors_updated_store_what_the_upsert_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moving: int, share: int | None,
        by_keys: bool | None) -> None:
    """A live commit's few cursors: up to `_KEYED` by an UPDATE by key each, a new file's (no
    row to update) by the upsert after it; more by one UPDATE joined with them, which names
    their keys (the index) up to `_BY_KEYS` or while the table holds `_BY_KEYS_SHARE` times as
    many cursors (patched to 1 here: 60 of 61), else scans -- then every value read back."""
    if share is not None:
        monkeypatch.setattr(store_module, "_BY_KEYS_SHARE", share)
    con = fresh(tmp_path / "s.duckdb")
    first = [cursor(f"u/{i}.jsonl", 10) for i in range(moving + 1)]
    Store(con).commit(LinesProcessor(), [Outcome(c, {}) for c in first])
    store = Store(con)  # (a store counts the cursors at most once a minute: these are 61)
    chosen: list[bool] = []
    real = store._by_keys
    store._by_keys = lambda n: chosen.append(real(n)) or chosen[-1]  # type: ignore[method-assign]
    moved = [replace(c, offset=30 + i, lines=3, size=30, file_hash="h2", items=2, bad_lines=1,
                     processed_at=1.7e9 + 1 / 8, attempts=1, next_retry_at=1.8e9 if i % 2 == 0 else None,
                     last_error="x\u00e9" if i % 3 == 0 else None, parked=i == 0, ctime_ns=2**62,
                     mtime_ns=9, ino=8)
             for i, c in enumerate(first[:moving])]
    new = [replace(cursor("u/new.jsonl", 5), processed_at=1.7e9)] if moving != 1 else []
    store.commit(LinesProcessor(), [Outcome(c, {}) for c in [*moved, *new]])
    assert store.cursors("lines") == {("lines", c.file): c for c in [*moved, first[-1], *new]}
    assert chosen == ([] if by_keys is None else [by_keys])


class SqlMerge(LinesProcessor):
    """A `Merging` processor that reads its batch in SQL, through `Tx.relation`."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.seen: list[tuple[Any, ...]] = []

    def merge(self, tx: Tx, rows: Mapping[str, Rows]) -> Mapping[str, Rows]:
        name = tx.relation("lines", rows["lines"])
        self.names.append(name)
        self.seen = tx.query(f"SELECT session_file, count(*), sum(line_no), count(uuid) "
                             f"FROM {name} GROUP BY ALL ORDER BY ALL")
        return rows

    def after_delete(self, tx: Tx, files: Sequence[str]) -> None:
        pass


def test_a_merge_reads_its_rows_in_sql_without_making_them_python(tmp_path: Path) -> None:
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    p = SqlMerge()
    # as from a pool process: only Arrow tables, one per file
    prepared = [Prepared(pa.Table.from_pylist([row(f, 1), {**row(f, 2), "uuid": "x"}],
                                              schema=store.schema("lines")))
                for f in ("u/a.jsonl", "u/b.jsonl")]
    store.commit(p, [Outcome(cursor("u/a.jsonl", 10), {"lines": prepared[0]}),
                     Outcome(cursor("u/b.jsonl", 10), {"lines": prepared[1]})])
    assert p.seen == [("u/a.jsonl", 2, 3, 1), ("u/b.jsonl", 2, 3, 1)]
    assert [r._rows for r in prepared] == [None, None]  # never turned back into Python rows
    assert con.execute("SELECT count(*) FROM lines").fetchall() == [(4,)]
    with pytest.raises(duckdb.CatalogException):  # gone once merge returned
        con.execute(f"SELECT * FROM {p.names[0]}")
    # plain rows (a processor's own, or a test's) are readable the same way
    store.commit(p, [Outcome(cursor("u/a.jsonl", 20), {"lines": [row("u/a.jsonl", 3)]})])
    assert p.names[1] != p.names[0] and p.seen == [("u/a.jsonl", 1, 3, 0)]
    assert con.execute("SELECT count(*) FROM lines").fetchall() == [(5,)]


def test_a_failed_insert_reports_its_own_error(tmp_path: Path) -> None:
    # after a failed INSERT DuckDB refuses everything but ROLLBACK -- also dropping the Arrow
    # table registered for it: that refusal must not replace the error that explains the failure
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    rows = [row("u/a.jsonl", n) for n in range(20)]  # more than a few: the Arrow way
    rows[7] = {**rows[7], "byte_offset": None}  # NOT NULL in the lines table
    with pytest.raises(ProcessorError) as failed:  # its rows: the processor's failure
        store.commit(LinesProcessor(), [Outcome(cursor("u/a.jsonl", 10), {"lines": rows})])
    assert "NOT NULL" in str(failed.value) and isinstance(failed.value.__cause__, duckdb.Error)
    assert con.execute("SELECT count(*) FROM lines").fetchone() == (0,)


class _Remembering(LinesProcessor):
    """A `Merging` processor that keeps, in the database's memo, the files it merged -- through
    `on_commit`, so only what committed."""

    def merge(self, tx: Tx, rows: Mapping[str, Rows]) -> Mapping[str, Rows]:
        files = sorted({str(r["session_file"]) for r in rows.get("lines", ())})
        memo: dict[str, Any] = tx.memo  # type: ignore[attr-defined]
        tx.on_commit(lambda: memo.setdefault("merged", []).extend(files))  # type: ignore[attr-defined]
        return rows

    def after_delete(self, tx: Tx, files: Sequence[str]) -> None:
        return None


def test_on_commit_runs_only_once_the_transaction_committed(tmp_path: Path) -> None:
    """What a processor keeps across transactions (`_Tx.memo`, shared by the stores given the
    same dict) changes through `_Tx.on_commit`: after a commit, never after a rollback."""
    con = fresh(tmp_path / "s.duckdb")
    memo: dict[str, Any] = {}
    store, other = Store(con, memo), Store(con.cursor(), memo)
    p = _Remembering()
    store.commit(p, [Outcome(cursor("u/a.jsonl", 10), {"lines": [row("u/a.jsonl", 1)]})])
    assert memo == {"merged": ["u/a.jsonl"]} and other.memo is memo
    bad_cursor = Outcome(Cursor(processor="lines", file="u/c.jsonl", user="u", version=1,
                                offset=-1, file_hash="h", size=2**70), {"lines": [row("u/c.jsonl", 1)]})
    with pytest.raises(Exception):  # noqa: B017 - any failure inside the transaction
        store.commit(p, [Outcome(cursor("u/b.jsonl", 10), {"lines": [row("u/b.jsonl", 1)]}), bad_cursor])
    assert memo == {"merged": ["u/a.jsonl"]}  # rolled back: nothing kept
    other.commit(p, [Outcome(cursor("u/b.jsonl", 10), {"lines": [row("u/b.jsonl", 1)]})])
    assert memo == {"merged": ["u/a.jsonl", "u/b.jsonl"]}


def test_many_cursors_updated_by_a_join_store_what_the_upsert_would(tmp_path: Path) -> None:
    """A commit of more cursors than `_FEW`: the existing ones by one UPDATE joined with them
    (RETURNING what it found), the new files' by the upsert -- every value read back."""
    con = fresh(tmp_path / "s.duckdb")
    store = Store(con)
    first = [cursor(f"u/{i}.jsonl", 10) for i in range(12)]
    store.commit(LinesProcessor(), [Outcome(c, {}) for c in first])
    moved = [replace(c, offset=30 + i, lines=3, size=30 + i, file_hash="h2", items=2, bad_lines=1,
                     processed_at=1.7e9 + i / 8, attempts=1, next_retry_at=1.8e9 if i % 2 else None,
                     last_error="x\u00e9" if i % 3 else None, parked=i == 4, ctime_ns=2**62,
                     mtime_ns=9, ino=8)
             for i, c in enumerate(first[:10])]
    new = [replace(cursor(f"u/new{i}.jsonl", 5), processed_at=1.7e9) for i in range(3)]
    store.commit(LinesProcessor(), [Outcome(c, {}) for c in [*moved, *new]])
    assert store.cursors("lines") == {("lines", c.file): c for c in [*moved, *first[10:], *new]}
    store.commit(LinesProcessor(), [Outcome(replace(c, offset=99), {}) for c in moved])  # all there
    assert {c.offset for k, c in store.cursors("lines").items() if k[1] in {m.file for m in moved}} == {99}


class _Indexed(LinesProcessor):
    """`lines` with an index of its own, and a shared table (`shared_tables`) indexed too."""

    migrations = (*LinesProcessor.migrations,
                  "CREATE INDEX lines_by_line ON lines (line_no)",
                  "CREATE TABLE lines_shared (session_file VARCHAR, n INTEGER)",
                  "CREATE INDEX lines_shared_n ON lines_shared (n)")
    shared_tables = ("lines_shared",)
    fail_delete = False

    def __init__(self) -> None:
        self.during: list[list[str]] = []  # the indexes there while each delete ran

    def after_delete(self, tx: Tx, files: Sequence[str]) -> None:
        tx.execute("DELETE FROM lines_shared WHERE session_file IN (SELECT unnest(?::VARCHAR[]))",
                   [list(files)])
        self.during.append([r[0] for r in tx.query(
            "SELECT index_name FROM duckdb_indexes() WHERE table_name LIKE 'lines%' ORDER BY 1")])
        if self.fail_delete:
            raise RuntimeError("after_delete failed")

    def merge(self, tx: Tx, rows: Mapping[str, Rows]) -> Mapping[str, Rows]:
        return rows


def _indexed_store(path: Path, files: int) -> tuple[duckdb.DuckDBPyConnection, Store, _Indexed]:
    con = fresh(path)
    p = _Indexed()
    migrate(con, "processor:lines", p.migrations)
    store = Store(con)
    names = [f"u/{i}.jsonl" for i in range(files)]
    store.commit(p, [Outcome(cursor(n, 10), {"lines": [row(n, 1), row(n, 2)]}) for n in names])
    con.execute("INSERT INTO lines_shared SELECT unnest(?::VARCHAR[]), 1", [names])
    return con, store, p


def _indexes(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes() "
                                      "WHERE table_name LIKE 'lines%' ORDER BY 1").fetchall()]


def test_a_large_reset_sets_the_indexes_aside_and_creates_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB settles each deleted row against the table's indexes at COMMIT (~25 us a row, even
    if the transaction dropped them): a reprocess of most of a table drops them first."""
    con, store, p = _indexed_store(tmp_path / "s.duckdb", 40)
    aside: list[list[str]] = []
    real = Store._set_aside

    def spied(self: Store, processor: Any, files: list[str]) -> list[tuple[str, str, str]]:
        out = real(self, processor, files)
        aside.append([name for name, _, _ in out])
        return out

    monkeypatch.setattr(Store, "_set_aside", spied)
    store.reset_files(p, ["u/0.jsonl"])  # 1 of 40 files: cheaper to keep
    assert aside == [[]] and p.during == [["lines_by_line", "lines_shared_n"]]
    store.reset_files(p, [f"u/{i}.jsonl" for i in range(1, 30)])  # 29 of the 39 left
    assert aside[1] == ["lines_by_line", "lines_shared_n"]
    assert _indexes(con) == ["lines_by_line", "lines_shared_n"]
    assert con.execute("SELECT count(*) FROM sessiond_set_aside_indexes").fetchall() == [(0,)]
    assert con.execute("SELECT count(*), count(DISTINCT session_file) FROM lines").fetchall() == [(20, 10)]
    assert con.execute("SELECT count(*) FROM lines_shared").fetchall() == [(10,)]
    assert len(store.cursors("lines")) == 10


def test_a_failed_large_reset_keeps_its_rows_and_its_indexes(tmp_path: Path) -> None:
    con, store, p = _indexed_store(tmp_path / "s.duckdb", 20)
    p.fail_delete = True
    with pytest.raises(ProcessorError, match="after_delete failed"):
        store.reset_files(p, [f"u/{i}.jsonl" for i in range(20)])
    assert p.during == [[]]  # set aside while the delete ran
    assert _indexes(con) == ["lines_by_line", "lines_shared_n"]
    assert con.execute("SELECT count(*) FROM sessiond_set_aside_indexes").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM lines").fetchall() == [(40,)]


def test_indexes_a_killed_reset_had_set_aside_are_created_at_the_next_start(tmp_path: Path) -> None:
    """Killed between the drop and the create: the record of what was dropped says what to
    create again when the state is next prepared; a table dropped since is forgotten."""
    path = tmp_path / "s.duckdb"
    con, _, p = _indexed_store(path, 4)
    for name, table in (("lines_by_line", "lines"), ("lines_shared_n", "lines_shared")):
        sql = con.execute("SELECT sql FROM duckdb_indexes() WHERE index_name = ?", [name]).fetchall()[0][0]
        con.execute("INSERT INTO sessiond_set_aside_indexes (index_name, table_name, sql) "
                    "VALUES (?, ?, ?)", [name, table, sql])
        con.execute(f"DROP INDEX {name}")
    con.execute("INSERT INTO sessiond_set_aside_indexes (index_name, table_name, sql) VALUES "
                "('gone_idx', 'gone', 'CREATE INDEX gone_idx ON gone (x)')")
    con.close()
    con = open_state(path)
    prepare(con, [("processor:lines", p.migrations)])
    assert _indexes(con) == ["lines_by_line", "lines_shared_n"]
    assert con.execute("SELECT count(*) FROM sessiond_set_aside_indexes").fetchall() == [(0,)]


class _Extras(SqlMerge):
    merge_fields: ClassVar[Mapping[str, tuple[str, ...]]] = {"lines": ("note",)}


def _no_file_alone(*args: object) -> None:
    raise AssertionError("converted file by file")


@pytest.mark.parametrize("processor", [LinesProcessor(), _Extras()], ids=["plain", "merging"])
def test_a_batchs_rows_converted_together_are_each_files_converted_alone(
    tmp_path: Path, processor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`prepare_many` converts each table once for the batch and slices it per file: the same
    tables as converting each file alone (`prepare_rows`), the `merge_fields` typed per file;
    a file whose rows do not fit fails alone, the others are converted."""
    store = Store(fresh(tmp_path / "s.duckdb"))
    files: list[Mapping[str, Any]] = [
        {"lines": [{**row("u/a.jsonl", 1), "note": None}, {**row("u/a.jsonl", 2), "note": None}]},
        {},
        {"lines": [{**row("u/b.jsonl", 1), "uuid": "x", "note": 7}]},
        # a query's result: its own types, and the merge's field with the rows
        {"lines": pa.Table.from_pylist([{**row("u/c.jsonl", 4), "line_no": 4.0}
                                        | ({"note": 3} if isinstance(processor, _Extras) else {})])},
    ]
    for batch in (files[:3], [files[0], files[3]], [files[3], files[3]]):
        alone = [prepare_rows(processor, one, store.schema) for one in batch]
        with monkeypatch.context() as m:  # not by falling back to one file at a time
            m.setattr(store_module, "prepare_rows", _no_file_alone)
            together = prepare_many(processor, batch, store.schema)
        assert [sorted(t) for t in together] == [sorted(a) for a in alone]  # type: ignore[arg-type]
        for a, t in zip(alone, together, strict=True):
            assert not isinstance(t, Exception)
            for table in a:
                got, want = t[table], a[table]
                if isinstance(want, Prepared):
                    assert isinstance(got, Prepared)
                    assert (got.extra is None) == (want.extra is None)
                    if want.extra is not None:
                        assert got.extra.schema == want.extra.schema  # inferred per file
                        assert got.extra.to_pylist() == want.extra.to_pylist()
                    got, want = got.arrow, want.arrow
                assert got.schema == want.schema and got.to_pylist() == want.to_pylist()
    bad: list[Mapping[str, Any]] = [files[0], {"lines": [{**row("u/d.jsonl", 1), "line_no": 2**70}]}, files[2]]
    out = prepare_many(processor, bad, store.schema)
    assert isinstance(out[1], Exception) and not isinstance(out[0], Exception)
    assert [len(o["lines"]) for o in (out[0], out[2])] == [2, 1]  # type: ignore[index]


def test_every_way_of_writing_a_cursor_gives_it_its_key_and_the_key_finds_it(tmp_path: Path) -> None:
    """`cursor_key` (core steps 4 and 5) names a cursor in one column, so the keyed UPDATE of a live
    commit reads its index: an older state gets its keys from the migration, the upserts (few
    and many) write them, and a row that somehow has none is still updated (its key missed,
    the upsert by the primary key writes it) and gets its key."""
    path = tmp_path / "s.duckdb"
    con = open_state(path)
    ensure_sessiond_database(con)
    migrate(con, CORE, CORE_STEPS[:3])  # before the key
    con.execute("INSERT INTO session_processor_state (processor_name, session_file, username, "
                "file_hash, offset_bytes, processor_version) VALUES ('lines', 'u/old.jsonl', 'u', 'h', 5, 1)")
    migrate(con, CORE, CORE_STEPS)
    migrate(con, "processor:lines", LinesProcessor.migrations)
    store, p = Store(con), LinesProcessor()
    store.commit(p, [Outcome(cursor(f"u/{i}.jsonl", 10), {}) for i in range(12)])  # many: Arrow
    store.commit(p, [Outcome(cursor("u/few.jsonl", 10), {})])  # one: bound values
    con.execute("UPDATE session_processor_state SET cursor_key = NULL WHERE session_file = 'u/3.jsonl'")

    def keys() -> list[tuple[Any, ...]]:
        return con.execute("SELECT session_file, cursor_key, offset_bytes FROM session_processor_state "
                           "ORDER BY session_file").fetchall()

    assert all(k == f"lines\x1f{f}" for f, k, _ in keys() if f != "u/3.jsonl")
    for name in ("u/old.jsonl", "u/3.jsonl", "u/few.jsonl"):  # each alone: by the key
        store.commit(p, [Outcome(cursor(name, 99), {})])
    assert {f: (k, o) for f, k, o in keys()}["u/3.jsonl"] == ("lines\x1fu/3.jsonl", 99)
    assert [(f, o) for f, _, o in keys() if o == 99] == [("u/3.jsonl", 99), ("u/few.jsonl", 99), ("u/old.jsonl", 99)]
    assert len(keys()) == 14 and all(k == f"lines\x1f{f}" for f, k, _ in keys())
    assert [r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes() "
                                      "WHERE table_name = 'session_processor_state'").fetchall()] == [
        "session_processor_state_key"]
