from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from processors.lines import LinesProcessor
from state.cursor import Cursor
from state.db import StateError, open_state
from state.migrations import CORE, CORE_STEPS, current_version, ensure_sessiond_database, migrate
from state.store import Outcome, Store


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
