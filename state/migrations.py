"""Schema versions: ordered, idempotent migrations for the core and for each processor.

Each component (``sessiond`` for the core, ``processor:<name>`` for a plugin) has a list of DDL
steps; ``schema_version`` records how many have been applied. A step and its version bump commit
together, so a crash between steps resumes where it stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import duckdb

from sessiond.state.db import StateError

CORE = "sessiond"
SET_ASIDE_TABLE = "sessiond_set_aside_indexes"


def cursor_key(of: str = "") -> str:
    """A cursor's one-column name (core steps 4 and 5) in SQL, of the row ``of`` names (an
    alias and a dot) or the table's own: the processor, a unit separator, the file's key."""
    return f"{of}processor_name || chr(31) || {of}session_file"


CURSOR_KEY = cursor_key()

CORE_STEPS: tuple[str, ...] = (
    """
    CREATE TABLE session_processor_state (
        processor_name    VARCHAR NOT NULL,
        session_file      VARCHAR NOT NULL,
        username          VARCHAR NOT NULL,
        processed_at      TIMESTAMPTZ,
        items_extracted   BIGINT  NOT NULL DEFAULT 0,
        file_hash         VARCHAR NOT NULL,
        offset_bytes      BIGINT  NOT NULL DEFAULT 0,
        lines             BIGINT  NOT NULL DEFAULT 0,
        size              BIGINT  NOT NULL DEFAULT 0,
        mtime_ns          BIGINT  NOT NULL DEFAULT 0,
        ino               BIGINT  NOT NULL DEFAULT 0,
        processor_version INTEGER NOT NULL,
        bad_lines         BIGINT  NOT NULL DEFAULT 0,
        attempts          INTEGER NOT NULL DEFAULT 0,
        last_error        VARCHAR,
        next_retry_at     TIMESTAMPTZ,
        parked            BOOLEAN NOT NULL DEFAULT false,
        PRIMARY KEY (processor_name, session_file)
    )
    """,
    # 2: ctime joins the change check (a same-size rewrite with its mtime put back)
    "ALTER TABLE session_processor_state ADD COLUMN ctime_ns BIGINT DEFAULT 0",
    # 3: indexes a large delete set aside (`Store.reset_files`), to restore if it was cut short
    f"""
    CREATE TABLE {SET_ASIDE_TABLE} (
        index_name VARCHAR PRIMARY KEY,
        table_name VARCHAR NOT NULL,
        sql        VARCHAR NOT NULL,
        dropped_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )
    """,
    # 4: one column that names a cursor, indexed: DuckDB 2.0 reads an index only for a filter on
    # one column, so the keyed UPDATE of a live commit's cursor scanned the whole table on
    # (processor_name, session_file) -- 8.8 ms at 279k cursors, 1.8 ms through this index
    f"""
    ALTER TABLE session_processor_state ADD COLUMN cursor_key VARCHAR;
    UPDATE session_processor_state SET cursor_key = {CURSOR_KEY};
    """,
    # 5: its index (DuckDB creates no index in a transaction that updated the table)
    "CREATE INDEX session_processor_state_key ON session_processor_state (cursor_key)",
)

_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (
    component  VARCHAR PRIMARY KEY,
    version    INTEGER NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def ensure_sessiond_database(con: duckdb.DuckDBPyConnection, *, legacy: bool = False) -> None:
    """Refuse a database that has tables but is not ours (nor the original pipeline's, when
    ``legacy``); create the version table otherwise."""
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    if tables and "schema_version" not in tables and not legacy:
        raise StateError(
            "the state file holds tables but no schema_version: not a sessiond state file "
            f"(tables: {', '.join(sorted(tables)[:5])}); refusing to modify it"
        )
    con.execute(_VERSION_DDL)


def current_version(con: duckdb.DuckDBPyConnection, component: str) -> int:
    # fetchall, not fetchone: a result left unfinished makes DuckDB refuse the connection's
    # next `sql()` (the parse pool's schemas, read right after, were refused on every restart)
    rows = con.execute(
        "SELECT version FROM schema_version WHERE component = ?", [component]
    ).fetchall()
    return int(rows[0][0]) if rows else 0


def migrate(con: duckdb.DuckDBPyConnection, component: str, steps: Sequence[str]) -> int:
    """Apply the steps past the recorded version; returns how many were applied now."""
    done = current_version(con, component)
    if done > len(steps):
        raise StateError(
            f"state file has {component} schema version {done}, newer than this sessiond "
            f"knows ({len(steps)}); upgrade sessiond or use another state file"
        )
    for number, step in enumerate(steps[done:], start=done + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(step)
            con.execute(
                "INSERT INTO schema_version (component, version) VALUES (?, ?) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version, "
                "applied_at = now()",
                [component, number],
            )
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # keep the real error
                con.execute("ROLLBACK")
            raise
    return len(steps) - done


# -- the original pipeline's state ------------------------------------------------------------

LEGACY_TABLE = "session_extraction_state"  # schema v28, one processor: verification


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ?", [table]
        ).fetchall()
    }


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }


def adopt_legacy(con: duckdb.DuckDBPyConnection) -> str | None:
    """If this is an original-pipeline database, make room for our tables; returns the legacy
    state table to import, or None for anything else (which is left untouched).

    v28 has ``session_extraction_state`` (no processor column); v29 renamed it to
    ``session_processor_state`` with ``processor_name`` but no cursor columns -- that one is moved
    aside to ``session_processor_state_v29``. The pipeline's own ``schema_version`` (without our
    ``component`` column) is kept as ``schema_version_legacy``.
    """
    tables = _tables(con)
    v29 = "session_processor_state" in tables and "offset_bytes" not in _columns(
        con, "session_processor_state")
    if not v29 and LEGACY_TABLE not in tables and "session_processor_state_v29" not in tables:
        return None
    if "schema_version" in tables and "component" not in _columns(con, "schema_version"):
        con.execute("ALTER TABLE schema_version RENAME TO schema_version_legacy")
    if v29:
        con.execute("ALTER TABLE session_processor_state RENAME TO session_processor_state_v29")
        return "session_processor_state_v29"
    return LEGACY_TABLE if LEGACY_TABLE in tables else "session_processor_state_v29"


def prepare(con: duckdb.DuckDBPyConnection, components: Sequence[tuple[str, Sequence[str]]]) -> int:
    """Bring a state database up to date: adopt a legacy one, run every migration, import the
    legacy cursors. Returns how many legacy rows were imported (0 on a fresh install)."""
    legacy = adopt_legacy(con)
    ensure_sessiond_database(con, legacy=legacy is not None)
    migrate(con, CORE, CORE_STEPS)
    imported = import_legacy(con, legacy) if legacy else 0
    restore_indexes(con)  # as the state was before a cut-short delete, then the processors' steps
    for component, steps in components:
        migrate(con, component, steps)
    return imported


def restore_indexes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create again the indexes a large delete set aside and did not get to restore (the
    process was killed in between: `Store.reset_files`); returns their names. An index is
    about speed only, so a state without it for a while is still right."""
    restored = []
    aside = con.execute(
        f"SELECT index_name, table_name, sql FROM {SET_ASIDE_TABLE} ORDER BY index_name").fetchall()
    for name, table, sql in aside:
        con.execute("BEGIN TRANSACTION")
        try:
            there = con.execute(
                "SELECT (SELECT count(*) FROM duckdb_indexes() WHERE index_name = ?), "
                "(SELECT count(*) FROM duckdb_tables() WHERE table_name = ?)",
                [name, table]).fetchall()[0]
            if there == (0, 1):  # set aside, and its table is still there
                con.execute(sql)
                restored.append(name)
            con.execute(f"DELETE FROM {SET_ASIDE_TABLE} WHERE index_name = ?", [name])
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # keep the real error
                con.execute("ROLLBACK")
            raise
    return restored


def import_legacy(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Copy legacy rows as cursors to be checked once, and drop the legacy table.

    A legacy row holds an MD5 of the whole file, not a cursor: it is stored as ``md5:<hex>`` at
    offset 0, and the worker's first look at the file decides (see `state.cursor.Plan.LEGACY`):
    unchanged -> the cursor jumps to the end without reprocessing; changed -> redone from 0.
    """
    processor = "processor_name" if "processor_name" in _columns(con, table) else "'verification'"
    con.execute("BEGIN TRANSACTION")
    try:
        count = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        con.execute(
            "INSERT INTO session_processor_state (processor_name, session_file, username, "
            "processed_at, items_extracted, file_hash, processor_version) "
            f"SELECT {processor}, session_file, coalesce(username, split_part(session_file, '/', 1)), "
            "processed_at, coalesce(items_extracted, 0), 'md5:' || coalesce(file_hash, ''), 0 "
            f"FROM {table} ON CONFLICT DO NOTHING"
        )
        con.execute(f"UPDATE session_processor_state SET cursor_key = {CURSOR_KEY} "
                    "WHERE cursor_key IS NULL")
        con.execute(f"DROP TABLE {table}")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # keep the real error
            con.execute("ROLLBACK")
        raise
    return int(count)
