"""Schema versions: ordered, idempotent migrations for the core and for each processor.

Each component (``sessiond`` for the core, ``processor:<name>`` for a plugin) has a list of DDL
steps; ``schema_version`` records how many have been applied. A step and its version bump commit
together, so a crash between steps resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from state.db import StateError

CORE = "sessiond"

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
)

_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (
    component  VARCHAR PRIMARY KEY,
    version    INTEGER NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def ensure_sessiond_database(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a database that has tables but is not ours; create the version table otherwise."""
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    if tables and "schema_version" not in tables:
        raise StateError(
            "the state file holds tables but no schema_version: not a sessiond state file "
            f"(tables: {', '.join(sorted(tables)[:5])}); refusing to modify it"
        )
    con.execute(_VERSION_DDL)


def current_version(con: duckdb.DuckDBPyConnection, component: str) -> int:
    row = con.execute(
        "SELECT version FROM schema_version WHERE component = ?", [component]
    ).fetchone()
    return int(row[0]) if row else 0


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
            con.execute("ROLLBACK")
            raise
    return len(steps) - done
