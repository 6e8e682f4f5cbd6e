"""The ``usage_calls`` table: one row per API call, kept up to date inside the commit.

One API call is written as several assistant records sharing ``message.id``/``requestId``,
early ones with a placeholder output count; resumed sessions copy them into other files. Per
user and (message id, request id) the call is the record that ranks first by

    total tokens DESC NULLS LAST, coalesce(is_sidechain, false), ts NULLS LAST,
    session_file, line_no

-- the largest total, the main-thread copy on a tie, then the first written. Records without a
message id count as they are; ``<synthetic>`` records are no calls. This used to be a view over
``usage_records``; the row_number() window over every record cost 150-300 ms per report, so the
winners are now stored, and the rule is applied where the records change:

* `merge` (new records, inside the commit), two ways with one result:
  * a big batch (a backfill's: `SQL_FROM` records or more) in SQL over its records, which reach
    it as Arrow tables (`Tx.relation`): the batch's calls are inserted, then every row of the
    keys they touched is ranked and all but the first deleted. In Python this was a dict per
    record, a quarter of the writer thread's time in a backfill; in SQL a 15k-record batch
    merges in 65-75 ms instead of 220-340 ms.
  * a live append's few records in Python with `rank` (the same order): each key's best new
    record is compared with the stored winner, fetched by its message id through the table's
    index; the loser is dropped or deleted by its rowid. The SQL statements' fixed cost (~10 ms a
    commit) would have been most of a live commit's time, and a lookup that joins the keys
    scans the table: its cost grew with the table.
* `after_delete` (a file's records were deleted on rewrite or deletion): the keys whose winner
  was in those files are picked again, in SQL, from the records that remain.

Because the rank is a total order (``session_file, line_no`` is unique), the winner of a key is
the same whatever order its records arrive in -- so the table always equals `calls_sql` over
``usage_records``, the rule as it was written in the view (tests check both against each other).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sessiond.processors.contract import Rows, Tx
from sessiond.processors.kept import Kept, kept, on_commit
from sessiond.processors.usage.extract import SYNTHETIC, USAGE_RECORDS

CALLS = "usage_calls"

COLUMNS: tuple[str, ...] = (
    "session_file", "username", "line_no", "uuid", "session_id", "agent_id", "is_sidechain", "ts",
    "day", "cwd", "model", "message_id", "request_id", "input_tokens", "output_tokens",
    "cache_creation_tokens", "cache_read_tokens", "cache_creation_5m", "cache_creation_1h",
    "total_tokens", "speed", "service_tier",
)
"""The columns of ``usage_calls``, in order: the view's, so ``SELECT *`` readers see no change."""

SQL_FROM = 1024
"""Records in a batch from which `merge` works in SQL (below: in Python; see the docstring).
The SQL merge joins the batch's keys with the whole table, so its cost grows with the stored
calls; the Python one looks them up through the index. A commit of new calls, medians of 12
(`bench.calls_lookup`'s harness, 50k / 900k stored calls): 300 records 51 / 170 ms in SQL
against 40 / 53 in Python, 1,000 records 54 / 126 against 100 / 100, 3,000 records 66 / 152
against 240 / 289. It was 256: a congested live commit (100+ files at 200 appends/s) crossed it
and scanned the table."""

_COPIED = ("session_file", "username", "line_no", "uuid", "session_id", "agent_id",
           "is_sidechain", "ts", "cwd", "model", "message_id", "request_id", "input_tokens",
           "output_tokens", "cache_creation_tokens", "cache_read_tokens", "speed", "service_tier")

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)

Key = tuple[str, str, str | None]
Rank = tuple[Any, ...]

# The rank of a record among the copies of its call (the first wins), over the columns that
# ``usage_records`` and ``usage_calls`` share. Its text is in a released migration step.
_RANK = """input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens
                         DESC NULLS LAST,
                     coalesce(is_sidechain, false), ts NULLS LAST, session_file, line_no"""


def calls_sql(records: str = "usage_records") -> str:
    """The rule in SQL: the calls among the rows of ``records`` (a table or a CTE with the
    columns of ``usage_records``), with the columns of ``usage_calls`` in order.

    Part of a released migration step: change the rule only with a new step that rebuilds the
    table.
    """
    return f"""
SELECT * EXCLUDE (pick) FROM (
    SELECT
        session_file, username, line_no, uuid, session_id, agent_id, is_sidechain, ts,
        CAST(timezone('UTC', ts) AS DATE) AS day,
        cwd, model, message_id, request_id,
        input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
        cache_creation_tokens - least(coalesce(cache_creation_1h, 0), cache_creation_tokens)
            AS cache_creation_5m,
        least(coalesce(cache_creation_1h, 0), cache_creation_tokens) AS cache_creation_1h,
        input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens AS total_tokens,
        speed, service_tier,
        CASE WHEN message_id IS NULL THEN 1 ELSE row_number() OVER (
            PARTITION BY username, message_id, request_id
            ORDER BY {_RANK}
        ) END AS pick
    FROM {records}
    WHERE model IS DISTINCT FROM '{SYNTHETIC}'
)
WHERE pick = 1
"""


# The batch's calls (`calls_sql` over its records), but not a record whose call is stored.
_INSERT_NEW = f"""
INSERT INTO {CALLS}
SELECT n.* FROM ({{rule}}) n
ANTI JOIN {CALLS} c ON c.session_file = n.session_file AND c.line_no IS NOT DISTINCT FROM n.line_no
"""

# Then per key the batch touched, only the row that ranks first stays: the stored winner or
# the batch's best (``session_file, line_no`` is unique: one record's call). Only the columns
# of the rank are read: with ``c.*`` the window carries them all (~15 % slower at 15k records).
_DELETE_RANKED = f"""
DELETE FROM {CALLS} USING (
    SELECT session_file, line_no FROM (
        SELECT session_file, line_no, row_number() OVER (
            PARTITION BY username, message_id, request_id ORDER BY {_RANK}
        ) AS pick
        FROM (
            SELECT c.username, c.message_id, c.request_id, c.input_tokens, c.output_tokens,
                   c.cache_creation_tokens, c.cache_read_tokens, c.is_sidechain, c.ts,
                   c.session_file, c.line_no
            FROM {CALLS} c
            SEMI JOIN (
                SELECT DISTINCT username, message_id, request_id FROM {{batch}}
                WHERE message_id IS NOT NULL AND model IS DISTINCT FROM '{SYNTHETIC}'
            ) k ON c.username = k.username AND c.message_id = k.message_id
               AND c.request_id IS NOT DISTINCT FROM k.request_id
        )
    )
    WHERE pick > 1
) b
WHERE {CALLS}.session_file = b.session_file AND {CALLS}.line_no IS NOT DISTINCT FROM b.line_no
"""

# After the records of some files were deleted: the keys whose winner was in those files get
# their best remaining record (if any); then the winners from those files go. The re-picked
# rows come from other files, so the DELETE cannot touch them.
_REPICK = f"""
INSERT INTO {CALLS}
WITH lost AS (
    SELECT username, message_id, request_id FROM {CALLS}
    WHERE message_id IS NOT NULL AND session_file IN (SELECT unnest(?::VARCHAR[]))
), candidates AS (
    SELECT r.* FROM usage_records r
    JOIN lost k ON r.username = k.username AND r.message_id = k.message_id
               AND r.request_id IS NOT DISTINCT FROM k.request_id
)
{calls_sql("candidates")}
"""

_DELETE_FILES = f"DELETE FROM {CALLS} WHERE session_file IN (SELECT unnest(?::VARCHAR[]))"

# For the Python way: the stored calls of some message ids (any user or request id: the caller
# keeps its keys'), with their rowid and what `rank` needs (ts as integer microseconds, so the
# comparison never depends on time zones of returned values). A plain filter on ``message_id``,
# so DuckDB reads it through the table's index (migration step 12) -- any join with the keys, or
# a DELETE that names them, scans the whole table instead: 100-180 ms a commit at 870k calls
# (figure 3b's state after its 15 GB backfill), growing with the table, where this is 1.5-3 ms.
_STORED = f"""
SELECT rowid, username, message_id, request_id,
       total_tokens, coalesce(is_sidechain, false), epoch_us(ts), session_file, line_no
FROM {CALLS}
WHERE message_id IN ({{ids}})
"""
# Message ids a lookup names at most, as bound values: DuckDB 2.0 reads a list of values through
# the index up to its `index_scan_max_count` (2048) matches, where the same ids as one list
# parameter (`IN (SELECT unnest(?))`, a join) are read through it only up to ~50 (64 ids: 45 ms
# at 870k calls, against 1.5 ms for 50). At the bench's 100k-file state (104k calls), medians of
# 9, in chunks of 48 as one list each / all as values: 96 ids 11.0 / 9.0 ms, 200 20.0 / 12.4,
# 500 40.3 / 22.6, 1000 100 / 57 (a scratch script; both ways give the same rows); a commit's
# merge of 200 records at 900k calls 21.4, 22.4 -> 13.5, 13.5 ms (`python -m bench.calls_lookup
# --calls 900000 --commits 100 --keys 200`, alternated with the code before).
_LOOKUP = 1024

_DELETE_ROWS = f"DELETE FROM {CALLS} WHERE rowid IN (SELECT unnest(?::BIGINT[]))"


def merge(tx: Tx, records: Rows) -> list[dict[str, Any]]:
    """Keep ``usage_calls`` equal to the rule with new ``usage_records`` rows (of any files):
    the stored calls they beat are deleted now, in the same transaction; returned, the calls
    to insert with the batch's rows (none when a big batch inserted them itself)."""
    if len(records) >= SQL_FROM:
        _forget_winners(tx)
        batch = tx.relation(USAGE_RECORDS, records)
        tx.execute(_INSERT_NEW.format(rule=calls_sql(batch)))
        tx.execute(_DELETE_RANKED.format(batch=batch))
        return []
    return _merge_rows(tx, records)


WINNERS = "usage.winners"
"""The stored winner's rank of the keys merged last (16k), in the database's memo
(`processors.kept`): the copies of one API call arrive in consecutive appends (a record per
content block), and a live append whose keys are all kept needs no lookup in the table
(`_STORED`, through its index). Forgotten whole when the table changes otherwise (a big
batch's SQL merge, a file's records deleted): a key not kept is looked up."""


def _winners() -> Kept[Key, Rank]:
    return Kept(16_384)


def _forget_winners(tx: Tx) -> None:
    """``usage_calls`` changes other than by `_merge_rows`: no kept winner is trusted now, nor
    after the commit."""
    winners = kept(tx, WINNERS, _winners)
    if winners is not None:
        winners.clear()
        on_commit(tx, winners.clear)


def rank(total: int | None, sidechain: bool, ts_us: int | None, session_file: str,
         line_no: int | None) -> Rank:
    """Sort key of a record among the copies of its call: the smallest wins (= `_RANK`)."""
    return (total is None, -(total or 0), sidechain, ts_us is None, ts_us or 0, session_file,
            line_no is None, line_no or 0)


def best_of(records: Rows) -> tuple[list[dict[str, Any]], dict[Key, tuple[Rank, dict[str, Any]]]]:
    """The calls of ``records``: those without a message id (each its own call), and each key's
    best record with its rank (synthetic records are no calls)."""
    alone: list[dict[str, Any]] = []
    best: dict[Key, tuple[Rank, dict[str, Any]]] = {}
    for record in records:
        if record.get("model") == SYNTHETIC:
            continue
        row = call_row(record)
        if row["message_id"] is None:
            alone.append(row)
            continue
        key = (row["username"], row["message_id"], row["request_id"])
        r = _rank_of(row)
        held = best.get(key)
        if held is None or r < held[0]:
            best[key] = (r, row)
    return alone, best


def stored_rank(total: Any, sidechain: Any, ts_us: Any, session_file: Any, line_no: Any) -> Rank:
    """The rank of a stored call, from `_STORED`'s columns."""
    return rank(_int(total), bool(sidechain), _int(ts_us), str(session_file), _int(line_no))


def _merge_rows(tx: Tx, records: Rows) -> list[dict[str, Any]]:
    out, best = best_of(records)
    if not best:
        return out
    keys = list(best)
    winners = kept(tx, WINNERS, _winners)
    known = winners.get(keys) if winners is not None else {}
    rowids: dict[tuple[str, int | None], int] = {}  # of the stored calls looked up here
    if len(known) == len(keys):  # every key's stored winner is known: no lookup
        stored = list(known.items())
    else:
        stored = []
        for key, theirs, rowid in _stored(tx, keys):
            stored.append((key, theirs))
            rowids[_where(theirs)] = rowid
    beaten: list[tuple[str, str, int | None]] = []  # (message id, file, line) of each stored call beaten
    won: dict[Key, Rank] = {}
    for key, theirs in stored:
        held = best.get(key)
        if held is None:
            continue
        if theirs <= held[0]:  # the stored call stays (equal: that very record, already stored)
            won[key] = theirs
            del best[key]
        else:
            beaten.append((key[1], *_where(theirs)))
    if beaten:
        _delete(tx, beaten, rowids)
    won.update((key, r) for key, (r, _) in best.items())
    if winners is not None:
        on_commit(tx, lambda: winners.put(won))
    out.extend(row for _, row in best.values())
    return out


def _lookup(tx: Tx, message_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """`_STORED`'s rows for these message ids, `_LOOKUP` ids a statement."""
    ids = sorted(set(message_ids))
    chunks = [ids[i:i + _LOOKUP] for i in range(0, len(ids), _LOOKUP)]
    return [row for chunk in chunks
            for row in tx.query(_STORED.format(ids=", ".join("?" * len(chunk))), chunk)]


def _stored(tx: Tx, keys: Sequence[Key]) -> list[tuple[Key, Rank, int]]:
    """The stored call of each key that has one: its rank and rowid."""
    wanted = set(keys)
    out = []
    for rowid, user, message, request, total, sidechain, ts_us, file, line in _lookup(tx, [k[1] for k in keys]):
        key = (str(user), str(message), None if request is None else str(request))
        if key in wanted:  # (not another user's call, or another request's, of that message id)
            out.append((key, stored_rank(total, sidechain, ts_us, file, line), int(rowid)))
    return out


def _delete(tx: Tx, beaten: Sequence[tuple[str, str, int | None]],
            rowids: Mapping[tuple[str, int | None], int]) -> None:
    """Delete the stored calls ``beaten`` (message id, file, line): by the rowids this merge
    looked up, or, for winners it knew from `WINNERS`, found by their message ids first."""
    found = [rowids[(file, line)] for _, file, line in beaten if (file, line) in rowids]
    unknown = {(file, line): message for message, file, line in beaten if (file, line) not in rowids}
    if unknown:
        found += [int(rowid) for rowid, *_, file, line in _lookup(tx, list(unknown.values()))
                  if (str(file), _int(line)) in unknown]
    if found:
        tx.execute(_DELETE_ROWS, [found])


def _where(r: Rank) -> tuple[str, int | None]:
    """The (file, line) of the record a rank is of (see `rank`)."""
    return str(r[5]), None if r[6] else int(r[7])


def call_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A ``usage_records`` row as a ``usage_calls`` row: the derived columns as `calls_sql`
    computes them (``least`` ignores NULL, ``-`` and ``+`` propagate it)."""
    row = {c: record.get(c) for c in _COPIED}
    ts = row["ts"]
    create = row["cache_creation_tokens"]
    c1h = record.get("cache_creation_1h") or 0
    one_hour = c1h if create is None else min(c1h, create)
    tokens = (row["input_tokens"], row["output_tokens"], create, row["cache_read_tokens"])
    row.update(
        day=ts.astimezone(dt.UTC).date() if isinstance(ts, dt.datetime) else None,
        cache_creation_5m=None if create is None else create - one_hour,
        cache_creation_1h=one_hour,
        total_tokens=None if None in tokens else sum(tokens),  # type: ignore[arg-type]
    )
    return row


def _rank_of(row: Mapping[str, Any]) -> Rank:
    ts = row["ts"]
    ts_us = (ts - _EPOCH) // _MICROSECOND if isinstance(ts, dt.datetime) else None
    return rank(row["total_tokens"], bool(row["is_sidechain"]), ts_us, row["session_file"],
                row["line_no"])


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def after_delete(tx: Tx, files: Sequence[str]) -> None:
    """Keep ``usage_calls`` equal to the rule once the records of ``files`` are gone."""
    _forget_winners(tx)
    names = list(files)
    tx.execute(_REPICK, [names])
    tx.execute(_DELETE_FILES, [names])
