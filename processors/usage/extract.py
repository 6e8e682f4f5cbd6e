"""Extraction: transcript records -> fact rows (pure; no memory between calls, never raises).

Four kinds of fact, each one row per thing seen, keyed to its file and line:

* ``usage_records``   one per record carrying ``message.usage`` that ccusage would count
  (`valid.why_not`; Claude Code writes it on assistant records) -- deduplicated later, in SQL:
  one API call is written as several records;
* ``usage_events``    one per ``tool_use`` block (tool, skill, subagent, MCP call) and one per
  ``<command-name>`` slash command in user text;
* ``usage_tool_results`` one per ``tool_result`` block (its ``is_error`` is joined to the event
  in SQL, since it often arrives in a later append);
* ``usage_user_records`` one per user record (prompt, tool-result carrier, meta), for message
  counts and active time.

Records are untrusted: any field may be missing or of another type. Every value written is
checked here, so a strange record yields NULLs, never an exception, and never a value the Arrow
insert would reject -- but a usage that cannot be counted as it is written (a token count that is
no integer, a time that is none) is not counted at all, as ccusage does, and is reported
(``invalid``: the line and why).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sessiond.processors.contract import Record, SessionFile, Unreadable
from sessiond.processors.usage.plugins import plugin_of
from sessiond.processors.usage.valid import why_not

USAGE_RECORDS = "usage_records"
EVENTS = "usage_events"
TOOL_RESULTS = "usage_tool_results"
USER_RECORDS = "usage_user_records"

SYNTHETIC = "<synthetic>"
COMMAND_TAG = "<command-name>"
_COMMAND = re.compile(r"<command-name>\s*/?([^<>\s]{1,200})\s*</command-name>")

_UTC = dt.UTC

Row = dict[str, Any]


def extract(file: SessionFile, records: Sequence[Record],
            invalid: list[Unreadable] | None = None) -> dict[str, list[Row]]:
    """Map the new records of one file to rows for the four fact tables; a record whose usage
    cannot be counted goes to ``invalid`` (its other rows are kept: its tool calls, its user
    record)."""
    out: dict[str, list[Row]] = {USAGE_RECORDS: [], EVENTS: [], TOOL_RESULTS: [], USER_RECORDS: []}
    ctx = _FileContext(file)
    skipped = [] if invalid is None else invalid
    for record in records:
        data = record.data
        kind = data.get("type")
        if kind == "assistant":
            _assistant(ctx, record, data, out, skipped)
            continue
        if kind == "user":
            _user(ctx, record, data, out)
        # other types (snapshots, summaries, system, progress) carry no usage -- but ccusage counts
        # a ``message.usage`` on any record, and so does this
        message = data.get("message")
        if isinstance(message, dict) and "usage" in message:
            _counted(ctx, record, data, message, out, skipped)
    return out


def _counted(ctx: _FileContext, record: Record, data: Mapping[str, Any], message: Mapping[str, Any],
             out: dict[str, list[Row]], invalid: list[Unreadable],
             base: Row | None = None) -> None:
    """The record's usage row, or the reason it has none in ``invalid``."""
    usage = message.get("usage")
    base = base or _common(ctx, record, data)
    if (why := why_not(data, message, usage, base["ts"])) is not None:
        invalid.append(Unreadable(record.line, record.offset, f"its usage is not counted: {why}",
                                  kind="invalid"))
        return
    assert isinstance(usage, dict)
    out[USAGE_RECORDS].append(_usage_row(base, data, message, usage))


class _FileContext:
    """What every row of one file shares, worked out once per call."""

    __slots__ = ("agent_id", "file", "is_subagent", "session_id", "user")

    def __init__(self, file: SessionFile) -> None:
        self.file = file.key
        self.user = file.user
        self.is_subagent = file.is_subagent
        self.session_id = file.session_id
        self.agent_id = file.agent_id


def _common(ctx: _FileContext, record: Record, data: Mapping[str, Any]) -> Row:
    sidechain = data.get("isSidechain")
    return {
        "session_file": ctx.file,
        "username": ctx.user,
        "line_no": record.line,
        "uuid": _str(data.get("uuid")),
        "session_id": _str(data.get("sessionId")) or ctx.session_id,
        "agent_id": _str(data.get("agentId")) or ctx.agent_id,
        "is_sidechain": sidechain if isinstance(sidechain, bool) else ctx.is_subagent,
        "ts": _timestamp(data.get("timestamp")),
    }


# -- assistant records ----------------------------------------------------------------------


def _assistant(ctx: _FileContext, record: Record, data: Mapping[str, Any],
               out: dict[str, list[Row]], invalid: list[Unreadable]) -> None:
    message = data.get("message")
    if not isinstance(message, dict):
        return
    content = message.get("content")
    tools = [
        (index, block) for index, block in enumerate(content if isinstance(content, list) else ())
        if isinstance(block, dict) and block.get("type") == "tool_use"
    ]
    if "usage" not in message and not tools:
        return
    base = _common(ctx, record, data)
    if "usage" in message:
        _counted(ctx, record, data, message, out, invalid, base)
    events = out[EVENTS]
    for index, block in tools:
        events.append(_tool_event(base, index, block))


def _usage_row(base: Row, data: Mapping[str, Any], message: Mapping[str, Any],
               usage: Mapping[str, Any]) -> Row:
    row = dict(base)
    split = usage.get("cache_creation")
    if isinstance(split, dict):
        c5m: int | None = split.get("ephemeral_5m_input_tokens", 0)
        c1h: int | None = split.get("ephemeral_1h_input_tokens", 0)
    else:
        c5m = c1h = None
    error = data.get("isApiErrorMessage")
    row.update(
        cwd=_str(data.get("cwd")),
        model=_str(message.get("model")),
        message_id=_str(message.get("id")),
        request_id=_str(data.get("requestId")),
        input_tokens=usage["input_tokens"],  # (integers from 0 to 2^53 - 1: `why_not`)
        output_tokens=usage["output_tokens"],
        # the split when there is one (it is what is priced), as ccusage counts: the two agree
        # in every transcript seen, and where they do not, a report is still ccusage's
        cache_creation_tokens=(c5m or 0) + (c1h or 0) if isinstance(split, dict)
        else usage.get("cache_creation_input_tokens", 0),
        cache_read_tokens=usage.get("cache_read_input_tokens", 0),
        cache_creation_5m=c5m,
        cache_creation_1h=c1h,
        speed=_str(usage.get("speed")),
        service_tier=_str(usage.get("service_tier")),
        is_api_error=error if isinstance(error, bool) else False,
    )
    return row


def _tool_event(base: Row, index: int, block: Mapping[str, Any]) -> Row:
    name = _str(block.get("name")) or "unknown"
    tool_id = _str(block.get("id"))
    tool_input = block.get("input")
    tool_input = tool_input if isinstance(tool_input, dict) else {}
    event_type = "tool_use"
    skill = subagent = server = mcp_tool = item = None
    if name == "Skill":
        event_type = "skill"
        skill = item = _str(tool_input.get("skill"))
    elif name in ("Task", "Agent"):
        event_type = "subagent"
        subagent = item = _str(tool_input.get("subagent_type"))
    elif name.startswith("mcp__"):
        event_type = "mcp_call"
        server, _, mcp_tool = name[5:].partition("__")
        mcp_tool = mcp_tool or None
    row = dict(base)
    anchor = base["uuid"] or f"line{base['line_no']}"
    event_id = f"{base['session_file']}:{anchor}:{tool_id or index}"
    row.update(
        event_id=event_id,
        dedup_key=tool_id or (f"{base['uuid']}:{index}" if base["uuid"] else event_id),
        event_type=event_type,
        tool_name=name,
        tool_use_id=tool_id,
        skill_name=skill,
        subagent_type=subagent,
        mcp_server=server,
        mcp_tool=mcp_tool,
        command_name=None,
        item_name=item,
        plugin=plugin_of(item),
    )
    return row


# -- user records ---------------------------------------------------------------------------


def _user(ctx: _FileContext, record: Record, data: Mapping[str, Any],
          out: dict[str, list[Row]]) -> None:
    base = _common(ctx, record, data)
    message = data.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    meta = data.get("isMeta") is True
    compact = data.get("isCompactSummary") is True
    carrier = False
    texts: list[str] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        results = out[TOOL_RESULTS]
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "tool_result":
                carrier = True
                results.append({
                    "session_file": base["session_file"],
                    "username": base["username"],
                    "line_no": base["line_no"],
                    "uuid": base["uuid"],
                    "session_id": base["session_id"],
                    "ts": base["ts"],
                    "tool_use_id": _str(block.get("tool_use_id")),
                    "is_error": block.get("is_error") is True,
                })
            elif kind == "text":
                text = block.get("text")
                if isinstance(text, str):
                    texts.append(text)
    if carrier:
        kind_of = "tool_result"
    elif compact:
        kind_of = "compact_summary"
    elif meta:
        kind_of = "meta"
    else:
        kind_of = "prompt"
    row = dict(base)
    row["kind"] = kind_of
    out[USER_RECORDS].append(row)
    if kind_of == "prompt":
        events = out[EVENTS]
        index = 0
        for text in texts:
            if COMMAND_TAG not in text:
                continue
            for match in _COMMAND.finditer(text):
                events.append(_command_event(base, index, match.group(1)))
                index += 1


def _command_event(base: Row, index: int, command: str) -> Row:
    row = dict(base)
    anchor = base["uuid"] or f"line{base['line_no']}"
    event_id = f"{base['session_file']}:{anchor}:cmd{index}"
    row.update(
        event_id=event_id,
        dedup_key=f"{base['uuid']}:cmd{index}" if base["uuid"] else event_id,
        event_type="slash_command",
        tool_name="/" + command,
        tool_use_id=None,
        skill_name=None,
        subagent_type=None,
        mcp_server=None,
        mcp_tool=None,
        command_name=command,
        item_name=command,
        plugin=plugin_of(command),
    )
    return row


# -- values -----------------------------------------------------------------------------------


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _timestamp(value: object) -> dt.datetime | None:
    """ISO-8601 text -> aware UTC datetime (naive text is taken as UTC); anything else None."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    try:
        return parsed.astimezone(_UTC)
    except (OverflowError, ValueError):  # year 1 with a positive offset, and the like
        return None
