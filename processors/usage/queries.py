"""The report's SQL: prices installed as a temporary table, then grouped reads of the views.

Everything here works on a read-only connection: the price periods of the models present go
into a TEMP table (DuckDB allows temp objects on a read-only database), and token reports price
the deduplicated `usage_calls` summed per (group, model, UTC day) -- prices change by day, and
exact DECIMAL arithmetic makes the price of a sum the sum of the prices, to the last digit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from sessiond.processors.usage.prices import PriceTable, period_rows
from sessiond.processors.usage.schema import daily_tools_sql, plugin_items_sql

# The report's price table. Written with bound values, not from an Arrow table: the command line's
# report then never imports pyarrow (~50 ms of a ~300 ms command).
_PERIODS_COLUMNS = (("model", "VARCHAR"), ("since", "DATE"), ("until", "DATE"), ("input", "DOUBLE"),
                    ("output", "DOUBLE"), ("cache_write_5m", "DOUBLE"), ("cache_write_1h", "DOUBLE"),
                    ("cache_read", "DOUBLE"))

# Tokens of one (group, model, day) priced by the period that holds the day. DECIMAL, not
# DOUBLE: sums of doubles depend on DuckDB's (parallel) summation order, so the same report
# printed different last digits from run to run. Pricing per-call rows instead gives the same
# DECIMALs (the arithmetic is exact) but costs ~20 ms more on 100k calls.
_PRICED_SUMS = """
SELECT
    c.*,
    p.model IS NOT NULL AS priced,
    coalesce((c.input_tokens * p.input::DECIMAL(18, 6)
              + c.output_tokens * p.output::DECIMAL(18, 6)
              + c.cache_creation_5m * p.cache_write_5m::DECIMAL(18, 6)
              + c.cache_creation_1h * p.cache_write_1h::DECIMAL(18, 6)
              + c.cache_read_tokens * p.cache_read::DECIMAL(18, 6)) * 0.000001::DECIMAL(18, 6),
             0::DECIMAL(38, 12)) AS cost
FROM sums c
LEFT JOIN usage_price_periods p
    ON p.model = c.model
   AND (p.since IS NULL OR c.day >= p.since)
   AND (p.until IS NULL OR c.day < p.until)
"""

# Group keys of `--by`: SQL expressions over usage_calls.
KEYS: dict[str, tuple[str, ...]] = {
    "day": ("strftime(day, '%Y-%m-%d')",),
    "month": ("strftime(day, '%Y-%m')",),
    "session": ("username", "session_id"),
    "user": ("username",),
    "model": (),
}


@dataclass(frozen=True, slots=True)
class Window:
    """The report's filters: one user, and an inclusive range of UTC days."""

    user: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def where(self) -> tuple[str, list[Any]]:
        """``AND ...`` conditions (possibly empty) and their parameters."""
        sql: list[str] = []
        params: list[Any] = []
        if self.user is not None:
            sql.append("username = ?")
            params.append(self.user)
        if self.since is not None:
            sql.append("day >= ?")
            params.append(self.since)
        if self.until is not None:
            sql.append("day <= ?")
            params.append(self.until)
        return "".join(f" AND {s}" for s in sql), params


@dataclass(frozen=True, slots=True)
class ModelUsage:
    """Token sums and cost of one model within one group (a day, a user, a session ...)."""

    key: tuple[Any, ...]
    model: str | None
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost: float
    priced: bool
    first_at: float | None  # epoch seconds of the first call
    last_day: str | None  # UTC day of the last call, YYYY-MM-DD
    # (file, line) of the first call in file order: ccusage reads files sorted by path, so its
    # lists (a session's models, breakdowns of equal cost) follow this order, not the clock
    first_seen: tuple[str, int] = ("", 0)

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens + self.output_tokens + self.cache_creation_tokens
                + self.cache_read_tokens)


def has_usage_schema(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'usage_calls'"
    ).fetchall()  # not fetchone: an unfinished result blocks the connection's next sql()
    return bool(rows[0][0])


def install_prices(con: duckdb.DuckDBPyConnection, prices: PriceTable) -> None:
    """Create the TEMP price table (``usage_price_periods``) for the models present."""
    # From the facts, not the deduplicating view: same models, 452 -> 11 ms on the bench corpus.
    models = [r[0] for r in con.execute(
        "SELECT DISTINCT model FROM usage_records "
        "WHERE model IS NOT NULL AND model <> '<synthetic>'"
    ).fetchall()]
    rows = period_rows(prices, models)
    columns = ", ".join(f"{name} {kind}" for name, kind in _PERIODS_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE usage_price_periods ({columns})")
    if rows:
        one = f"({', '.join('?' * len(_PERIODS_COLUMNS))})"
        con.execute(f"INSERT INTO usage_price_periods VALUES {', '.join([one] * len(rows))}",
                    [row[name] for row in rows for name, _ in _PERIODS_COLUMNS])


def model_usage(con: duckdb.DuckDBPyConnection, by: str, window: Window) -> list[ModelUsage]:
    """Token and cost sums per (group key, model), in order of first activity."""
    keys = KEYS[by]
    where, params = window.where()
    select_keys = "".join(f"{k} AS k{i}, " for i, k in enumerate(keys))
    group_keys = "".join(f"k{i}, " for i in range(len(keys)))
    sql = f"""
        WITH sums AS (
            SELECT {select_keys} model, day,
                   sum(input_tokens)::BIGINT AS input_tokens,
                   sum(output_tokens)::BIGINT AS output_tokens,
                   sum(cache_creation_tokens)::BIGINT AS cache_creation_tokens,
                   sum(cache_read_tokens)::BIGINT AS cache_read_tokens,
                   sum(cache_creation_5m)::BIGINT AS cache_creation_5m,
                   sum(cache_creation_1h)::BIGINT AS cache_creation_1h,
                   min(ts) AS first_ts, max(ts) AS last_ts,
                   min({{'file': session_file, 'line': line_no}}) AS first_seen
            FROM usage_calls
            WHERE true {where}
            GROUP BY {group_keys} model, day
        ), priced AS ({_PRICED_SUMS})
        SELECT {group_keys} model,
               sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens),
               sum(cache_read_tokens), sum(cost), bool_and(priced), epoch(min(first_ts)),
               strftime(timezone('UTC', max(last_ts)), '%Y-%m-%d'), min(first_seen)
        FROM priced
        GROUP BY {group_keys} model
        ORDER BY {group_keys} min(first_ts) NULLS LAST, model NULLS LAST
    """
    out: list[ModelUsage] = []
    n = len(keys)
    for row in con.execute(sql, params).fetchall():
        key = tuple(row[:n])
        (model, inp, outp, create, read, cost, priced, first, last, seen) = row[n:]
        out.append(ModelUsage(key, model, int(inp), int(outp), int(create), int(read),
                              float(cost), bool(priced), first, last,
                              (seen["file"], seen["line"] or 0)))
    return out


def session_details(
    con: duckdb.DuckDBPyConnection, window: Window
) -> dict[tuple[str, str], dict[str, Any]]:
    """The session summary rows (plus the most frequent cwd, the earliest on a tie), keyed by
    (user, session id); times as ISO-8601 UTC text."""
    where, params = window.where()
    iso = "'%Y-%m-%dT%H:%M:%S.%gZ'"
    sql = f"""
        WITH cwd AS (
            -- mode() keeps the first value it meets on a tie: order them, or the answer
            -- depends on DuckDB's parallel scan (it changed from run to run)
            SELECT username, session_id,
                   mode(cwd ORDER BY ts NULLS LAST, session_file, line_no) AS project_path
            FROM usage_calls WHERE true {where} GROUP BY username, session_id
        )
        SELECT s.* REPLACE (strftime(timezone('UTC', s.started_at), {iso}) AS started_at,
                            strftime(timezone('UTC', s.ended_at), {iso}) AS ended_at),
               cwd.project_path
        FROM usage_session_summary s JOIN cwd USING (username, session_id)
    """
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description or ()]
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def last_activity(con: duckdb.DuckDBPyConnection, window: Window) -> dict[tuple[str, str], str]:
    """Per (user, session id), when its last usage record was written (ISO-8601 UTC, in ms):
    ccusage 20's ``metadata.lastActivity``, which counts ``<synthetic>`` records (an interrupt,
    an API error) too, so this reads the records, not the calls."""
    where, params = window.where()
    sql = f"""
        SELECT username, session_id,
               strftime(timezone('UTC', max(ts)), '%Y-%m-%dT%H:%M:%S.%gZ')
        FROM (SELECT username, session_id, ts, CAST(timezone('UTC', ts) AS DATE) AS day
              FROM usage_records)
        WHERE ts IS NOT NULL {where}
        GROUP BY username, session_id
    """
    return {(r[0], r[1]): r[2] for r in con.execute(sql, params).fetchall()}


def daily_tools(con: duckdb.DuckDBPyConnection, window: Window) -> list[dict[str, Any]]:
    where, params = window.where()
    return _dicts(con, daily_tools_sql(where) + " ORDER BY day NULLS LAST, invocations DESC, "
                  "tool_name, source", params)


def plugin_items(con: duckdb.DuckDBPyConnection, window: Window) -> list[dict[str, Any]]:
    where, params = window.where()
    return _dicts(con, plugin_items_sql(where, by_day=False)
                  + " ORDER BY plugin NULLS LAST, invocations DESC, item_type, item_name", params)


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
