"""`sessiond sql`: one read-only query over the state, bounded in time and rows.

Four fences, each DuckDB's own, so none is a guess about SQL text:

* the statement is classified by DuckDB's parser (`extract_statements`): one statement, of type
  SELECT -- which is also how DuckDB parses ``WITH``, ``FROM``-first, ``VALUES``, ``DESCRIBE``,
  ``SHOW`` and ``SUMMARIZE``. Anything else (``INSERT``, ``COPY``, ``ATTACH``, ``SET``,
  ``PRAGMA``, ``CALL``, ``EXPLAIN`` ...) is `Refused` before it runs;
* it runs inside ``BEGIN TRANSACTION READ ONLY``: a SELECT that would still write (``nextval``
  of a sequence) fails there, and the transaction is DuckDB's snapshot, so the daemon's writer
  commits on beside it;
* the connection cannot touch files (`sandbox`: ``enable_external_access = false``), so
  ``read_text('/proc/self/environ')`` or ``FROM '/etc/passwd'`` cannot read as the daemon;
* a watchdog thread interrupts the query after ``timeout`` seconds, and at most ``max_rows``
  rows come back (one more is fetched to know whether some were cut).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:  # imported where a query runs: a command the daemon answers needs no duckdb
    import duckdb

class Refused(Exception):
    """Not one read statement (or not SQL at all): exit 2, with this one-line reason."""


class Failed(Exception):
    """DuckDB could not run the statement (an unknown column, a bad cast ...): one line."""


class TimedOut(Exception):
    """Interrupted after the statement timeout."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A query's result: JSON-ready cells, and whether rows were cut at the cap."""

    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    truncated: bool
    seconds: float

    def to_wire(self) -> list[Any]:
        """The socket's body: ``[meta, rows]``. An array, not an object, on purpose: the control
        server writes an object body whole into the audit event, and rows don't belong in the
        journal -- the audit keeps the query, the caller and the status."""
        meta = {"columns": self.columns, "types": self.types, "truncated": self.truncated,
                "ms": round(self.seconds * 1000, 1)}
        return [meta, self.rows]

    @classmethod
    def from_wire(cls, body: Sequence[Any]) -> Answer:
        meta, rows = body
        return cls(list(meta["columns"]), list(meta["types"]), list(rows),
                   bool(meta["truncated"]), float(meta["ms"]) / 1000)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def classify(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Raise `Refused` unless ``query`` is exactly one statement that DuckDB parses as SELECT."""
    import duckdb

    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise Refused(f"not valid SQL: {_one_line(exc)}") from None
    if not statements:
        raise Refused("no statement given")
    if len(statements) > 1:
        raise Refused(f"one statement at a time ({len(statements)} given)")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise Refused(f"{kind.name} statements are refused: only read queries run (SELECT, WITH, "
                      "FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE)")


def sandbox(con: duckdb.DuckDBPyConnection) -> None:
    """No file access through this database from now on (its own files and its spill directory
    stay usable; DuckDB cannot turn this back on while the database is open). Registered Arrow
    tables still work, which is all the daemon's own SQL uses. Call it before making cursors:
    they inherit it, and `quiet`."""
    con.execute("SET enable_external_access = false")
    quiet(con)


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar: DuckDB draws one on stdout for a query past two seconds, even when
    stdout is not a terminal -- the daemon's JSON log, or a command's CSV."""
    con.execute("SET enable_progress_bar = false")


class _Watchdog:
    """Interrupts the connection's running query after ``seconds`` -- unless disarmed first.
    The lock makes `disarm` final: once it returns, no interrupt can land on the next
    statement (the ROLLBACK)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self._con = con
        self._lock = threading.Lock()
        self._armed = True
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire) if seconds > 0 else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._armed:
                self.fired = True
                self._con.interrupt()

    def disarm(self) -> None:
        with self._lock:
            self._armed = False
        if self._timer is not None:
            self._timer.cancel()


def run(con: duckdb.DuckDBPyConnection, query: str, *, timeout: float, max_rows: int) -> Answer:
    """Classify, then run ``query`` on ``con`` (a connection of its own: it is interrupted on
    timeout) in a read-only transaction; at most ``max_rows`` rows."""
    import duckdb

    classify(con, query)
    started = time.perf_counter()
    con.execute("SET TimeZone = 'UTC'")  # this connection's: timestamps print as UTC
    quiet(con)
    con.execute("BEGIN TRANSACTION READ ONLY")
    watchdog = _Watchdog(con, timeout)
    try:
        relation = con.sql(query)
        columns, types = list(relation.columns), [str(t) for t in relation.types]
        rows = relation.limit(max_rows + 1).fetchall()
    except duckdb.InterruptException:
        raise TimedOut(f"the query was interrupted after {timeout:g} s (sql_timeout)") from None
    except duckdb.Error as exc:
        if watchdog.fired:  # interrupted while binding or fetching
            raise TimedOut(f"the query was interrupted after {timeout:g} s (sql_timeout)") from None
        raise Failed(_one_line(exc)) from None
    finally:
        watchdog.disarm()
        con.execute("ROLLBACK")
    return Answer(columns, types, [[_plain(v) for v in r] for r in rows[:max_rows]],
                  len(rows) > max_rows, time.perf_counter() - started)


def _plain(value: Any) -> Any:
    """A cell as JSON can carry it: times as ISO-8601 (aware ones in UTC), decimals as numbers,
    integers past 64 bits as text, bytes as hex, nested values element by element."""
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


# -- output -----------------------------------------------------------------------------------


def render(answer: Answer, fmt: str) -> str:
    """The answer as ``table`` (aligned text), ``json`` (an object with ``columns``, ``types``,
    ``rows`` as objects and ``truncated``) or ``csv`` (a header, then the rows)."""
    if fmt == "json":
        body = {"columns": answer.columns, "types": answer.types,
                "rows": [dict(zip(answer.columns, r, strict=True)) for r in answer.rows],
                "truncated": answer.truncated}
        return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(answer.columns)
        writer.writerows([_text(v, "") for v in r] for r in answer.rows)
        return out.getvalue()
    return _table(answer)


def _text(value: Any, null: str) -> str:
    if value is None:
        return null
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return str(value)


_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


def _table(answer: Answer) -> str:
    right = [t.startswith(_NUMERIC) for t in answer.types]
    cells = [[_text(v, "NULL").replace("\n", "\\n") for v in r] for r in answer.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(answer.columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(values, widths, right, strict=True)).rstrip()

    lines = [line(answer.columns), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in cells]
    lines.append(f"({len(cells)} row{'' if len(cells) == 1 else 's'}"
                 + (", more were cut at sql_max_rows)" if answer.truncated else ")"))
    return "\n".join(lines) + "\n"
