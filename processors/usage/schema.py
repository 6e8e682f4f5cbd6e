"""Schema of the usage processor: four append-only fact tables, the calls, and the views.

Facts carry ``session_file`` so the framework can drop one file's rows on rewrite; there are
no keys (append-only, and DuckDB handles delete + re-insert of a key badly) and one index, on
``usage_calls.message_id`` (step 12: a live commit looks its calls up by it, see
`processors.usage.calls`; a later step that alters ``usage_calls`` must drop it first). The
deduplicated API calls, ``usage_calls``, were a view too; since step 10 they are a table the
processor keeps equal to that view's rule inside every commit (see `processors.usage.calls`),
because every token report reads them. The other answers -- tool events with their results,
session summaries, daily tool usage, plugin items -- are views, so nothing can go stale. Costs
need the price table, which is data outside the database: reports join it at query time (see
`processors.usage.queries`).

Migrations are append-only: never edit a released step; add a new one.
"""

from __future__ import annotations

from sessiond.processors.usage.calls import CALLS, calls_sql
from sessiond.processors.usage.extract import EVENTS, TOOL_RESULTS, USAGE_RECORDS, USER_RECORDS

TABLES: tuple[str, ...] = (USAGE_RECORDS, EVENTS, TOOL_RESULTS, USER_RECORDS)

_RECORDS = """
CREATE TABLE usage_records (
    session_file          VARCHAR NOT NULL,
    username              VARCHAR NOT NULL,
    line_no               BIGINT,
    uuid                  VARCHAR,
    session_id            VARCHAR,
    agent_id              VARCHAR,
    is_sidechain          BOOLEAN,
    ts                    TIMESTAMPTZ,
    cwd                   VARCHAR,
    model                 VARCHAR,
    message_id            VARCHAR,
    request_id            VARCHAR,
    input_tokens          BIGINT,
    output_tokens         BIGINT,
    cache_creation_tokens BIGINT,
    cache_read_tokens     BIGINT,
    cache_creation_5m     BIGINT,   -- NULL: the record has no 5m/1h split
    cache_creation_1h     BIGINT,
    speed                 VARCHAR,
    service_tier          VARCHAR,
    is_api_error          BOOLEAN
)
"""

_EVENTS = """
CREATE TABLE usage_events (
    session_file  VARCHAR NOT NULL,
    username      VARCHAR NOT NULL,
    line_no       BIGINT,
    event_id      VARCHAR,   -- file:record-uuid:tool-id, deterministic
    dedup_key     VARCHAR,   -- the same event copied into another file (resume) shares it
    uuid          VARCHAR,
    session_id    VARCHAR,
    agent_id      VARCHAR,
    is_sidechain  BOOLEAN,
    ts            TIMESTAMPTZ,
    event_type    VARCHAR,   -- tool_use | skill | subagent | mcp_call | slash_command
    tool_name     VARCHAR,   -- Bash, Skill, Task, mcp__github__create_issue, /review
    tool_use_id   VARCHAR,
    skill_name    VARCHAR,
    subagent_type VARCHAR,
    mcp_server    VARCHAR,
    mcp_tool      VARCHAR,
    command_name  VARCHAR,
    item_name     VARCHAR,   -- skill, subagent type or command: what plugins provide
    plugin        VARCHAR    -- prefix of item_name `prefix:local`; NULL = built in
)
"""

_RESULTS = """
CREATE TABLE usage_tool_results (
    session_file VARCHAR NOT NULL,
    username     VARCHAR NOT NULL,
    line_no      BIGINT,
    uuid         VARCHAR,
    session_id   VARCHAR,
    ts           TIMESTAMPTZ,
    tool_use_id  VARCHAR,
    is_error     BOOLEAN
)
"""

_USER = """
CREATE TABLE usage_user_records (
    session_file VARCHAR NOT NULL,
    username     VARCHAR NOT NULL,
    line_no      BIGINT,
    uuid         VARCHAR,
    session_id   VARCHAR,
    agent_id     VARCHAR,
    is_sidechain BOOLEAN,
    ts           TIMESTAMPTZ,
    kind         VARCHAR     -- prompt | tool_result | meta | compact_summary
)
"""

# (Released as a view; step 10 replaced it by a table with the same rule: see calls.py.)
# One API call is written as several assistant records sharing message.id/requestId, early ones
# with a placeholder output count; resumed sessions copy them into other files. Per user, keep
# the copy with the largest total, the main-thread copy on a tie, then the first written.
# Records without message.id count as they are; `<synthetic>` records are not API calls.
_CALLS = """
CREATE VIEW usage_calls AS
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
            ORDER BY input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens DESC,
                     coalesce(is_sidechain, false), ts NULLS LAST, session_file, line_no
        ) END AS pick
    FROM usage_records
    WHERE model IS DISTINCT FROM '<synthetic>'
)
WHERE pick = 1
"""

# A tool_use and its tool_result may arrive in different appends (or files): joined here.
# The same event copied into a resumed session's file counts once per user.
_TOOL_EVENTS = """
CREATE VIEW usage_tool_events AS
WITH results AS (
    SELECT username, tool_use_id, bool_or(is_error) AS is_error, min(ts) AS result_ts
    FROM usage_tool_results
    WHERE tool_use_id IS NOT NULL
    GROUP BY username, tool_use_id
), events AS (
    SELECT *, row_number() OVER (
        PARTITION BY username, dedup_key ORDER BY ts NULLS LAST, session_file, line_no
    ) AS pick
    FROM usage_events
)
SELECT
    e.session_file, e.username, e.line_no, e.event_id, e.uuid, e.session_id, e.agent_id,
    e.is_sidechain, e.ts, CAST(timezone('UTC', e.ts) AS DATE) AS day,
    e.event_type, e.tool_name, e.tool_use_id, e.skill_name, e.subagent_type, e.mcp_server,
    e.mcp_tool, e.command_name, e.item_name, e.plugin,
    r.tool_use_id IS NOT NULL AS has_result,
    coalesce(r.is_error, false) AS is_error,
    r.result_ts
FROM events e
LEFT JOIN results r ON r.username = e.username AND r.tool_use_id = e.tool_use_id
WHERE e.pick = 1
"""

# The original pipeline's per-session summary, keyed by (user, sessionId): a subagent's records
# carry its parent's sessionId, so its tools and tokens count for the parent session, while
# message counts are the main thread's. Active time sums the gaps between consecutive records
# that are at most 10 minutes; a tool_result carrier, meta text and compact summaries are not
# user messages.
_SESSION_SUMMARY = """
CREATE VIEW usage_session_summary AS
WITH activity AS (
    -- copies of a record (resumed files) add zero-length gaps only: no dedup needed here
    SELECT username, session_id, ts FROM usage_user_records
    WHERE ts IS NOT NULL AND session_id IS NOT NULL
    UNION ALL
    SELECT username, session_id, ts FROM usage_records
    WHERE ts IS NOT NULL AND session_id IS NOT NULL
), gaps AS (
    SELECT username, session_id, ts,
           epoch(ts) - epoch(lag(ts) OVER (PARTITION BY username, session_id ORDER BY ts)) AS gap
    FROM activity
), times AS (
    SELECT username, session_id, min(ts) AS started_at, max(ts) AS ended_at,
           coalesce(sum(gap) FILTER (WHERE gap <= 600), 0) AS active_seconds
    FROM gaps
    GROUP BY username, session_id
), prompts AS (
    SELECT username, session_id,
           count(DISTINCT coalesce(uuid, session_file || ':' || line_no)) AS user_messages
    FROM usage_user_records
    WHERE kind = 'prompt' AND NOT coalesce(is_sidechain, false)
    GROUP BY username, session_id
), answers AS (
    SELECT username, session_id,
           count(DISTINCT coalesce(message_id, uuid, session_file || ':' || line_no))
               AS assistant_messages
    FROM usage_records
    WHERE model IS DISTINCT FROM '<synthetic>' AND NOT coalesce(is_sidechain, false)
    GROUP BY username, session_id
), tools AS (
    SELECT username, session_id,
           count(*) FILTER (WHERE event_type <> 'slash_command') AS tool_calls,
           count(*) FILTER (WHERE event_type <> 'slash_command' AND is_error) AS tool_errors,
           count(*) FILTER (WHERE event_type = 'skill') AS skills,
           count(*) FILTER (WHERE event_type = 'subagent') AS subagents,
           count(*) FILTER (WHERE event_type = 'mcp_call') AS mcp_calls,
           count(*) FILTER (WHERE event_type = 'slash_command') AS slash_commands,
           count(DISTINCT tool_name) FILTER (WHERE event_type <> 'slash_command')
               AS distinct_tools
    FROM usage_tool_events
    GROUP BY username, session_id
), calls AS MATERIALIZED (
    SELECT username, session_id, model, input_tokens, output_tokens, cache_creation_tokens,
           cache_read_tokens, total_tokens
    FROM usage_calls
), tokens AS (
    SELECT username, session_id, count(*) AS api_calls,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(cache_creation_tokens) AS cache_creation_tokens,
           sum(cache_read_tokens) AS cache_read_tokens, sum(total_tokens) AS total_tokens
    FROM calls
    GROUP BY username, session_id
), models AS (
    SELECT username, session_id, model AS primary_model FROM (
        SELECT username, session_id, model, row_number() OVER (
            PARTITION BY username, session_id
            ORDER BY count(*) DESC, sum(total_tokens) DESC, model
        ) AS pick
        FROM calls
        WHERE model IS NOT NULL
        GROUP BY username, session_id, model
    )
    WHERE pick = 1
)
SELECT
    t.username, t.session_id, t.started_at, t.ended_at,
    epoch(t.ended_at) - epoch(t.started_at) AS wall_seconds,
    t.active_seconds,
    coalesce(p.user_messages, 0) AS user_messages,
    coalesce(a.assistant_messages, 0) AS assistant_messages,
    coalesce(x.tool_calls, 0) AS tool_calls,
    coalesce(x.tool_errors, 0) AS tool_errors,
    coalesce(x.skills, 0) AS skills,
    coalesce(x.subagents, 0) AS subagents,
    coalesce(x.mcp_calls, 0) AS mcp_calls,
    coalesce(x.slash_commands, 0) AS slash_commands,
    coalesce(x.distinct_tools, 0) AS distinct_tools,
    m.primary_model,
    coalesce(k.api_calls, 0) AS api_calls,
    coalesce(k.input_tokens, 0) AS input_tokens,
    coalesce(k.output_tokens, 0) AS output_tokens,
    coalesce(k.cache_creation_tokens, 0) AS cache_creation_tokens,
    coalesce(k.cache_read_tokens, 0) AS cache_read_tokens,
    coalesce(k.total_tokens, 0) AS total_tokens
FROM times t
LEFT JOIN prompts p USING (username, session_id)
LEFT JOIN answers a USING (username, session_id)
LEFT JOIN tools x USING (username, session_id)
LEFT JOIN tokens k USING (username, session_id)
LEFT JOIN models m USING (username, session_id)
"""

# Tool calls per UTC day. `source` is where the tool came from: `builtin`, the plugin prefix of
# the skill/subagent it ran, or `mcp:<server>`. Reports run the same SELECT with their filters
# (user, window), since distinct counts cannot be re-aggregated from the view's rows.
def daily_tools_sql(where: str = "") -> str:
    return f"""
SELECT
    day, tool_name,
    coalesce(plugin, CASE WHEN event_type = 'mcp_call'
                          THEN 'mcp:' || coalesce(mcp_server, '?') ELSE 'builtin' END) AS source,
    count(*) AS invocations,
    count(*) FILTER (WHERE is_error) AS error_count,
    count(DISTINCT username) AS distinct_users,
    count(DISTINCT username || '/' || coalesce(session_id, session_file)) AS distinct_sessions
FROM usage_tool_events
WHERE event_type <> 'slash_command' {where}
GROUP BY ALL
"""


# Skills, subagents and slash commands, with the plugin they belong to (NULL = built in), per
# UTC day here; reports aggregate any window the same way. The plugin's tier (curated /
# community) comes from the catalog at report time.
def plugin_items_sql(where: str = "", *, by_day: bool = True) -> str:
    day = "day, " if by_day else ""
    return f"""
SELECT
    {day}event_type AS item_type, item_name, plugin,
    count(*) AS invocations,
    count(*) FILTER (WHERE is_error) AS error_count,
    count(DISTINCT username) AS distinct_users,
    count(DISTINCT username || '/' || coalesce(session_id, session_file)) AS distinct_sessions
FROM usage_tool_events
WHERE event_type IN ('skill', 'subagent', 'slash_command') AND item_name IS NOT NULL {where}
GROUP BY ALL
"""


_DAILY_TOOLS = "CREATE VIEW usage_daily_tools AS" + daily_tools_sql()
_PLUGIN_ITEMS = "CREATE VIEW usage_plugin_items AS" + plugin_items_sql()

# Step 10: the calls become a table, filled from the facts already stored (same rule as the
# view); the processor maintains it from then on. One step, so the view and the table swap in
# one transaction. The views that read usage_calls bind it by name at query time.
_CALLS_TABLE = f"""
DROP VIEW {CALLS};
CREATE TABLE {CALLS} (
    session_file          VARCHAR NOT NULL,
    username              VARCHAR NOT NULL,
    line_no               BIGINT,
    uuid                  VARCHAR,
    session_id            VARCHAR,
    agent_id              VARCHAR,
    is_sidechain          BOOLEAN,
    ts                    TIMESTAMPTZ,
    day                   DATE,     -- UTC day of ts
    cwd                   VARCHAR,
    model                 VARCHAR,
    message_id            VARCHAR,
    request_id            VARCHAR,
    input_tokens          BIGINT,
    output_tokens         BIGINT,
    cache_creation_tokens BIGINT,
    cache_read_tokens     BIGINT,
    cache_creation_5m     BIGINT,   -- the split always adds up to cache_creation_tokens
    cache_creation_1h     BIGINT,
    total_tokens          BIGINT,
    speed                 VARCHAR,
    service_tier          VARCHAR
);
INSERT INTO {CALLS} {calls_sql(USAGE_RECORDS)};
"""

# -- the public views (step 11) ----------------------------------------------------------------
# What `sessiond sql` users, the Parquet snapshots (`daemon.publish`) and other engines read:
# documented in the README, with columns that only ever grow. The tables and views above may
# change shape; a change here is a new step that re-creates a view with the same columns (a
# new column goes last). Sums are cast to BIGINT: DuckDB's HUGEINT has no Parquet type.
PUBLIC_CALLS = "public_usage_calls"
PUBLIC_RECORDS = "public_usage_records"
PUBLIC_DAILY = "public_usage_daily"
PUBLIC_SESSIONS = "public_sessions"
PUBLIC_TOOL_EVENTS = "public_tool_events"

_CALL_COLUMNS = """username, session_id, session_file, line_no, uuid, agent_id, is_sidechain, ts,
    day, cwd, model, message_id, request_id, input_tokens, output_tokens, cache_creation_tokens,
    cache_read_tokens, cache_creation_5m, cache_creation_1h, total_tokens, speed, service_tier"""


def usage_daily_sql(calls: str) -> str:
    """Tokens per (UTC day, user, model) over ``calls`` (rows with usage_calls' columns)."""
    return f"""
SELECT day, username, model, count(*) AS api_calls,
       sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
       sum(cache_creation_tokens)::BIGINT AS cache_creation_tokens,
       sum(cache_read_tokens)::BIGINT AS cache_read_tokens,
       sum(cache_creation_5m)::BIGINT AS cache_creation_5m,
       sum(cache_creation_1h)::BIGINT AS cache_creation_1h,
       sum(total_tokens)::BIGINT AS total_tokens,
       min(ts) AS first_ts, max(ts) AS last_ts
FROM {calls}
GROUP BY day, username, model
"""


_SESSION_COUNTS = """user_messages, assistant_messages, tool_calls, tool_errors, skills,
    subagents, mcp_calls, slash_commands"""
_SESSION_TOKENS = """api_calls, input_tokens, output_tokens, cache_creation_tokens,
    cache_read_tokens, total_tokens"""


def _each(columns: str, template: str) -> str:
    """``template`` (with ``{c}``) for each of the comma-separated ``columns``, joined."""
    return ", ".join(template.format(c=c.strip()) for c in columns.split(","))


_SUMMED_COUNTS = _each(_SESSION_COUNTS, "sum({c})::BIGINT AS {c}")
_S_COUNTS = _each(_SESSION_COUNTS, "s.{c}")
_K_TOKENS = _each(_SESSION_TOKENS, "coalesce(k.{c}, 0)::BIGINT AS {c}")

PUBLIC_VIEWS = f"""
CREATE VIEW {PUBLIC_CALLS} AS
SELECT {_CALL_COLUMNS}
FROM usage_calls;

-- every assistant record with usage, copies included (the calls are these, deduplicated)
CREATE VIEW {PUBLIC_RECORDS} AS
SELECT username, session_id, session_file, line_no, uuid, agent_id, is_sidechain, ts, cwd,
       model, message_id, request_id, input_tokens, output_tokens, cache_creation_tokens,
       cache_read_tokens, cache_creation_5m, cache_creation_1h, speed, service_tier, is_api_error
FROM usage_records;

CREATE VIEW {PUBLIC_DAILY} AS {usage_daily_sql("usage_calls")};

CREATE VIEW {PUBLIC_SESSIONS} AS
SELECT username, session_id, started_at, ended_at, wall_seconds, active_seconds,
       {_SESSION_COUNTS}, distinct_tools, primary_model,
       api_calls::BIGINT AS api_calls, input_tokens::BIGINT AS input_tokens,
       output_tokens::BIGINT AS output_tokens,
       cache_creation_tokens::BIGINT AS cache_creation_tokens,
       cache_read_tokens::BIGINT AS cache_read_tokens, total_tokens::BIGINT AS total_tokens
FROM usage_session_summary;

-- dedup_key: what the same event copied into another file (a resumed session) shares
CREATE VIEW {PUBLIC_TOOL_EVENTS} AS
SELECT t.username, t.session_id, t.session_file, t.line_no, t.event_id, k.dedup_key, t.uuid,
       t.agent_id, t.is_sidechain, t.ts, t.day, t.event_type, t.tool_name, t.tool_use_id,
       t.skill_name, t.subagent_type, t.mcp_server, t.mcp_tool, t.command_name, t.item_name,
       t.plugin, t.has_result, t.is_error, t.result_ts
FROM usage_tool_events t
JOIN (SELECT session_file, event_id, min(dedup_key) AS dedup_key
      FROM usage_events GROUP BY session_file, event_id) k
  USING (session_file, event_id);
"""

# The public views over many hosts' snapshots (`sessiond report usage --from DIR`, `sessiond sql
# --from DIR`): ``hosts.<view>`` holds every host's rows with a ``host`` column. A call seen on
# two hosts counts once, by the same rule as `calls.calls_sql` (per user and message id /
# request id, the largest total, then the main thread's copy, the first written; the host
# breaks a tie between identical copies) -- so the calls over all hosts equal the calls of one
# host that had every file. A session's tokens come from those calls; its message and tool
# counts are summed over the hosts that have it (exact while a session's files are on one host).
ACROSS_HOSTS: dict[str, str] = {
    PUBLIC_CALLS: f"""
SELECT * FROM hosts.{PUBLIC_CALLS}
QUALIFY message_id IS NULL OR row_number() OVER (
    PARTITION BY username, message_id, request_id
    ORDER BY total_tokens DESC NULLS LAST, coalesce(is_sidechain, false), ts NULLS LAST,
             session_file, line_no, host
) = 1
""",
    PUBLIC_DAILY: usage_daily_sql(PUBLIC_CALLS),
    PUBLIC_SESSIONS: f"""
WITH s AS (
    SELECT username, session_id, min(started_at) AS started_at, max(ended_at) AS ended_at,
           sum(active_seconds) AS active_seconds,
           {_SUMMED_COUNTS},
           max(distinct_tools) AS distinct_tools,
           arg_max(primary_model, api_calls) AS primary_model, any_value(host) AS host
    FROM hosts.{PUBLIC_SESSIONS}
    GROUP BY username, session_id
), k AS (
    SELECT username, session_id, count(*) AS api_calls,
           sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
           sum(cache_creation_tokens)::BIGINT AS cache_creation_tokens,
           sum(cache_read_tokens)::BIGINT AS cache_read_tokens,
           sum(total_tokens)::BIGINT AS total_tokens
    FROM {PUBLIC_CALLS}
    GROUP BY username, session_id
)
SELECT s.username, s.session_id, s.started_at, s.ended_at,
       epoch(s.ended_at) - epoch(s.started_at) AS wall_seconds, s.active_seconds,
       {_S_COUNTS}, s.distinct_tools,
       s.primary_model,
       {_K_TOKENS},
       s.host
FROM s LEFT JOIN k USING (username, session_id)
""",
    PUBLIC_TOOL_EVENTS: f"""
SELECT * FROM hosts.{PUBLIC_TOOL_EVENTS}
QUALIFY row_number() OVER (
    PARTITION BY username, dedup_key ORDER BY ts NULLS LAST, session_file, line_no, host
) = 1
""",
}

# What the usage report reads, as views over the public ones: over snapshots, the report runs
# unchanged. (The records of every host, copies and all, as on one host that had every file.)
REPORT_VIEWS: dict[str, str] = {
    CALLS: f"SELECT * FROM {PUBLIC_CALLS}",
    USAGE_RECORDS: f"SELECT * FROM {PUBLIC_RECORDS}",
    "usage_session_summary": f"SELECT * FROM {PUBLIC_SESSIONS}",
    "usage_tool_events": f"SELECT * FROM {PUBLIC_TOOL_EVENTS}",
}

MIGRATIONS: tuple[str, ...] = (
    _RECORDS,
    _EVENTS,
    _RESULTS,
    _USER,
    _CALLS,
    _TOOL_EVENTS,
    _SESSION_SUMMARY,
    _DAILY_TOOLS,
    _PLUGIN_ITEMS,
    _CALLS_TABLE,
    PUBLIC_VIEWS,  # 11: the public views (`sessiond sql`, the Parquet snapshots)
    # 12: a live commit finds the stored calls of its message ids through this (a scan of the
    # table otherwise, which grows with it: `processors.usage.calls._STORED`)
    f"CREATE INDEX usage_calls_message_id ON {CALLS} (message_id)",
)
