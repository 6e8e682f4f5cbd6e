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

* `merge` (new records, inside the commit): in SQL over the batch's records, which reach it as
  Arrow tables (`Tx.relation`): the batch's calls are inserted, then every row of the keys they
  touched is ranked and all but the first deleted. (It compared in Python before: a dict per
  record, a quarter of the writer thread's time in a backfill.)
* `after_delete` (a file's records were deleted on rewrite or deletion): the keys whose winner
  was in those files are picked again, in SQL, from the records that remain.

Because the rank is a total order (``session_file, line_no`` is unique), the winner of a key is
the same whatever order its records arrive in -- so the table always equals `calls_sql` over
``usage_records``, the rule as it was written in the view (tests check both against each other).
"""

from __future__ import annotations

from collections.abc import Sequence

from processors.contract import Rows, Tx
from processors.usage.extract import SYNTHETIC, USAGE_RECORDS

CALLS = "usage_calls"

COLUMNS: tuple[str, ...] = (
    "session_file", "username", "line_no", "uuid", "session_id", "agent_id", "is_sidechain", "ts",
    "day", "cwd", "model", "message_id", "request_id", "input_tokens", "output_tokens",
    "cache_creation_tokens", "cache_read_tokens", "cache_creation_5m", "cache_creation_1h",
    "total_tokens", "speed", "service_tier",
)
"""The columns of ``usage_calls``, in order: the view's, so ``SELECT *`` readers see no change."""

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
_DELETE_BEATEN = f"""
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


def merge(tx: Tx, records: Rows) -> None:
    """Add the calls of new ``usage_records`` rows (of any files) to ``usage_calls`` and delete
    the stored calls they beat, in the same transaction."""
    batch = tx.relation(USAGE_RECORDS, records)
    tx.execute(_INSERT_NEW.format(rule=calls_sql(batch)))
    tx.execute(_DELETE_BEATEN.format(batch=batch))


def after_delete(tx: Tx, files: Sequence[str]) -> None:
    """Keep ``usage_calls`` equal to the rule once the records of ``files`` are gone."""
    names = list(files)
    tx.execute(_REPICK, [names])
    tx.execute(_DELETE_FILES, [names])
