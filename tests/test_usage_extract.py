"""Extraction of usage facts from hand-written records: plain lists in, rows out, no database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from sessiond.processors.contract import PartlyMapped, Record, SessionFile, Unreadable
from sessiond.processors.usage import UsageProcessor
from sessiond.processors.usage.extract import (
    EVENTS,
    TOOL_RESULTS,
    USAGE_RECORDS,
    USER_RECORDS,
    extract,
)

MAIN = SessionFile("alice/s1.jsonl", "alice")
SUB = SessionFile("alice/s1/subagents/agent-a7.jsonl", "alice")
SONNET = "claude-sonnet-4-5-20250929"


def recs(*datas: dict[str, Any], file: SessionFile = MAIN) -> list[Record]:
    return [Record(file.key, file.user, i * 100, i + 1, d) for i, d in enumerate(datas)]


def usage(inp: int = 3, out: int = 10, create: int = 100, read: int = 1000,
          c5m: int | None = None, c1h: int | None = None) -> dict[str, Any]:
    u: dict[str, Any] = {"input_tokens": inp, "output_tokens": out,
                         "cache_creation_input_tokens": create, "cache_read_input_tokens": read}
    if c5m is not None or c1h is not None:
        u["cache_creation"] = {"ephemeral_5m_input_tokens": c5m or 0,
                               "ephemeral_1h_input_tokens": c1h or 0}
    return u


def assistant(uid: str, *, msg_id: str | None = "msg_1", req: str | None = "req_1",
              model: str = SONNET, u: dict[str, Any] | None = None,
              content: list[Any] | None = None, ts: str = "2026-02-09T10:00:00.000Z",
              **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"model": model, "role": "assistant",
                               "content": content if content is not None else [{"type": "text", "text": "hi"}]}
    if msg_id is not None:
        message["id"] = msg_id
    if u is not None:
        message["usage"] = u
    rec: dict[str, Any] = {"type": "assistant", "uuid": uid, "sessionId": "s1", "timestamp": ts,
                           "isSidechain": False, "message": message, **extra}
    if req is not None:
        rec["requestId"] = req
    return rec


def user(uid: str, content: Any, ts: str = "2026-02-09T10:00:01.000Z", **extra: Any) -> dict[str, Any]:
    return {"type": "user", "uuid": uid, "sessionId": "s1", "timestamp": ts, "isSidechain": False,
            "message": {"role": "user", "content": content}, **extra}


def tool_use(tid: str, name: str, inp: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "tool_use", "id": tid, "name": name, "input": inp or {}}


def tool_result(tid: str, *, error: bool | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tid, "content": "ok"}
    if error is not None:
        block["is_error"] = error
    return block


def test_split_records_of_one_call_each_become_a_fact_with_their_own_tokens() -> None:
    rows = extract(MAIN, recs(
        assistant("a1", u=usage(out=3)),
        assistant("a2", u=usage(out=412)),
    ))[USAGE_RECORDS]
    assert [(r["uuid"], r["message_id"], r["request_id"], r["output_tokens"]) for r in rows] == [
        ("a1", "msg_1", "req_1", 3), ("a2", "msg_1", "req_1", 412)]
    first = rows[0]
    assert first["session_file"] == "alice/s1.jsonl" and first["username"] == "alice"
    assert first["line_no"] == 1 and first["session_id"] == "s1" and first["is_sidechain"] is False
    assert first["ts"] == dt.datetime(2026, 2, 9, 10, tzinfo=dt.UTC)
    assert (first["input_tokens"], first["cache_creation_tokens"], first["cache_read_tokens"]) == (
        3, 100, 1000)
    assert first["cache_creation_5m"] is None and first["cache_creation_1h"] is None


def test_usage_fact_keeps_cache_split_speed_tier_and_missing_ids() -> None:
    u = usage(create=300, c5m=100, c1h=200) | {"speed": "fast", "service_tier": "standard"}
    row = extract(MAIN, recs(assistant("a1", msg_id=None, req=None, u=u)))[USAGE_RECORDS][0]
    assert (row["cache_creation_5m"], row["cache_creation_1h"]) == (100, 200)
    assert (row["speed"], row["service_tier"]) == ("fast", "standard")
    assert row["message_id"] is None and row["request_id"] is None


def test_synthetic_and_api_error_records_are_kept_as_facts_marked_for_the_views() -> None:
    rec = assistant("a1", model="<synthetic>", u=usage(0, 0, 0, 0), isApiErrorMessage=True)
    row = extract(MAIN, recs(rec))[USAGE_RECORDS][0]
    assert row["model"] == "<synthetic>" and row["is_api_error"] is True


def test_subagent_file_defaults_session_agent_and_sidechain_from_its_path() -> None:
    rec = assistant("a1", u=usage())
    del rec["sessionId"], rec["isSidechain"]
    row = extract(SUB, recs(rec, file=SUB))[USAGE_RECORDS][0]
    assert (row["session_id"], row["agent_id"], row["is_sidechain"]) == ("s1", "a7", True)
    rec2 = assistant("a2", u=usage(), agentId="zz", isSidechain=True)
    row2 = extract(SUB, recs(rec2, file=SUB))[USAGE_RECORDS][0]
    assert (row2["agent_id"], row2["is_sidechain"]) == ("zz", True)


def test_tool_uses_are_classified_tool_skill_subagent_mcp() -> None:
    content = [
        {"type": "text", "text": "working"},
        tool_use("t1", "Bash", {"command": "ls"}),
        tool_use("t2", "Skill", {"skill": "acme-tools:deploy"}),
        tool_use("t3", "Skill", {"skill": "pdf"}),
        tool_use("t4", "Task", {"subagent_type": "general-purpose"}),
        tool_use("t5", "Agent", {"subagent_type": "review-kit:critic"}),
        tool_use("t6", "mcp__github__create_issue", {}),
        tool_use("t7", "mcp__my_server__do__thing", {}),
    ]
    rows = extract(MAIN, recs(assistant("a1", content=content)))
    assert rows[USAGE_RECORDS] == []  # no usage on this record: events only
    got = [(e["event_type"], e["tool_name"], e["item_name"], e["plugin"], e["mcp_server"],
            e["mcp_tool"]) for e in rows[EVENTS]]
    assert got == [
        ("tool_use", "Bash", None, None, None, None),
        ("skill", "Skill", "acme-tools:deploy", "acme-tools", None, None),
        ("skill", "Skill", "pdf", None, None, None),
        ("subagent", "Task", "general-purpose", None, None, None),
        ("subagent", "Agent", "review-kit:critic", "review-kit", None, None),
        ("mcp_call", "mcp__github__create_issue", None, None, "github", "create_issue"),
        ("mcp_call", "mcp__my_server__do__thing", None, None, "my_server", "do__thing"),
    ]
    skill = rows[EVENTS][1]
    assert skill["skill_name"] == "acme-tools:deploy" and skill["subagent_type"] is None
    assert rows[EVENTS][3]["subagent_type"] == "general-purpose"


def test_event_ids_are_deterministic_and_redelivery_gives_the_same_rows() -> None:
    batch = recs(assistant("a1", content=[tool_use("t1", "Read"), tool_use("t2", "Grep")]))
    first, again = extract(MAIN, batch)[EVENTS], extract(MAIN, batch)[EVENTS]
    assert first == again
    assert [e["event_id"] for e in first] == ["alice/s1.jsonl:a1:t1", "alice/s1.jsonl:a1:t2"]
    assert [e["dedup_key"] for e in first] == ["t1", "t2"]


def test_tool_results_are_facts_of_their_own_and_the_carrier_is_not_a_prompt() -> None:
    rows = extract(MAIN, recs(
        user("u1", [tool_result("t1", error=True), tool_result("t2")]),
        user("u2", "please continue"),
    ))
    assert [(r["tool_use_id"], r["is_error"]) for r in rows[TOOL_RESULTS]] == [
        ("t1", True), ("t2", False)]
    assert [(r["uuid"], r["kind"]) for r in rows[USER_RECORDS]] == [
        ("u1", "tool_result"), ("u2", "prompt")]


def test_slash_commands_from_user_text_string_or_blocks() -> None:
    text = ("<command-message>review</command-message>\n<command-name>/review</command-name>\n"
            "<command-args>412</command-args>")
    rows = extract(MAIN, recs(
        user("u1", text),
        user("u2", [{"type": "text", "text": "<command-name>/acme-tools:ship</command-name>"}]),
        user("u3", "I typed command-name but no tags"),
        user("u4", "<command-name>/pdf</command-name>", isMeta=True),
        user("u5", "summary mentions <command-name>/x</command-name>", isCompactSummary=True),
    ))
    got = [(e["event_type"], e["tool_name"], e["command_name"], e["plugin"], e["event_id"])
           for e in rows[EVENTS]]
    assert got == [
        ("slash_command", "/review", "review", None, "alice/s1.jsonl:u1:cmd0"),
        ("slash_command", "/acme-tools:ship", "acme-tools:ship", "acme-tools",
         "alice/s1.jsonl:u2:cmd0"),
    ]
    assert [r["kind"] for r in rows[USER_RECORDS]] == [
        "prompt", "prompt", "prompt", "meta", "compact_summary"]


@pytest.mark.parametrize("data", [
    {},
    {"type": "assistant"},
    {"type": "assistant", "message": "text"},
    {"type": "assistant", "message": {"usage": "lots"}},
    {"type": "assistant", "message": {"content": [None, 3, "x", {"type": "tool_use"}]}},
    {"type": "assistant", "message": {"usage": {"input_tokens": "7", "output_tokens": -1,
                                                "cache_creation_input_tokens": 2**70,
                                                "cache_read_input_tokens": True,
                                                "cache_creation": []},
                                      "model": 42, "id": ["x"]},
     "timestamp": "yesterday", "uuid": 5, "isSidechain": "no", "requestId": {}},
    {"type": "user"},
    {"type": "user", "message": {"content": [None, {"type": "tool_result"}, {"type": "text"}]}},
    {"type": "user", "message": {"content": 12}, "timestamp": 1770000000},
    {"type": "file-history-snapshot", "snapshot": {"huge": "x" * 1000}},
    {"type": "summary", "summary": "s", "leafUuid": "u"},
    {"type": "acme-telemetry-ping", "probe": {}},
    {"type": ["assistant"]},
])
def test_untrusted_shapes_never_raise_and_yield_only_typed_values(data: dict[str, Any]) -> None:
    rows = extract(MAIN, recs(data))
    for table_rows in rows.values():
        for row in table_rows:
            for key, value in row.items():
                assert value is None or isinstance(value, (str, int, bool, dt.datetime)), key
            if "input_tokens" in row:
                for k in ("input_tokens", "output_tokens", "cache_creation_tokens",
                          "cache_read_tokens"):
                    assert isinstance(row[k], int) and 0 <= row[k] < 2**53


_MISSING = object()
# One field of a good record changed, and whether ccusage 20.0.24 still counts the record -- each
# measured with its `session --json` on one-record files (`processors/usage/valid.py`).
_SHAPES: list[tuple[str, tuple[str, ...], Any, bool]] = [
    ("input as text", ("message", "usage", "input_tokens"), "100", False),
    ("input negative", ("message", "usage", "input_tokens"), -100, False),
    ("input fractional", ("message", "usage", "input_tokens"), 100.5, False),
    ("input integral float", ("message", "usage", "input_tokens"), 100.0, False),
    ("input null", ("message", "usage", "input_tokens"), None, False),
    ("input bool", ("message", "usage", "input_tokens"), True, False),
    ("input missing", ("message", "usage", "input_tokens"), _MISSING, False),
    ("output missing", ("message", "usage", "output_tokens"), _MISSING, False),
    ("input 2^32", ("message", "usage", "input_tokens"), 2**32 + 5, True),
    ("cache write null", ("message", "usage", "cache_creation_input_tokens"), None, False),
    ("cache write text", ("message", "usage", "cache_creation_input_tokens"), "x", False),
    ("cache write missing", ("message", "usage", "cache_creation_input_tokens"), _MISSING, True),
    ("cache read null", ("message", "usage", "cache_read_input_tokens"), None, False),
    ("split count text", ("message", "usage", "cache_creation"), {"ephemeral_5m_input_tokens": "x"}, False),
    ("split count null", ("message", "usage", "cache_creation"), {"ephemeral_5m_input_tokens": None}, False),
    ("split count float", ("message", "usage", "cache_creation"), {"ephemeral_5m_input_tokens": 1.0}, False),
    ("split text", ("message", "usage", "cache_creation"), "x", False),
    ("split null", ("message", "usage", "cache_creation"), None, True),
    ("split unknown keys", ("message", "usage", "cache_creation"), {"foo": "x"}, True),
    ("usage text", ("message", "usage"), "x", False),
    ("usage null", ("message", "usage"), None, False),
    ("speed number", ("message", "usage", "speed"), 5, False),
    ("speed null", ("message", "usage", "speed"), None, False),
    ("tier number", ("message", "usage", "service_tier"), 5, True),
    ("model number", ("message", "model"), 123, False),
    ("model null", ("message", "model"), None, False),
    ("model empty", ("message", "model"), "", False),
    ("model missing", ("message", "model"), _MISSING, True),
    ("time missing", ("timestamp",), _MISSING, False),
    ("time text", ("timestamp",), "not a time", False),
    ("time number", ("timestamp",), 12345, False),
    ("time naive", ("timestamp",), "2026-01-02T00:00:00", False),
    ("time date only", ("timestamp",), "2026-01-02", False),
    ("time microseconds", ("timestamp",), "2026-01-02T00:00:00.123456Z", False),
    ("time one digit", ("timestamp",), "2026-01-02T00:00:00.1Z", False),
    ("time space", ("timestamp",), "2026-01-02 00:00:00Z", False),
    ("time offset no colon", ("timestamp",), "2026-01-02T00:00:00+0500", False),
    ("time February 30", ("timestamp",), "2026-02-30T00:00:00Z", False),
    ("time hour 24", ("timestamp",), "2026-01-02T24:00:00Z", False),
    ("time without fraction", ("timestamp",), "2026-01-02T00:00:00Z", True),
    ("time offset", ("timestamp",), "2026-01-02T03:00:00.123+05:00", True),
    ("sidechain text", ("isSidechain",), "yes", False),
    ("sidechain null", ("isSidechain",), None, True),
    ("version number", ("version",), 5, False),
    ("version null", ("version",), None, False),
    ("session number", ("sessionId",), 5, False),
    ("session null", ("sessionId",), None, False),
    ("cwd null", ("cwd",), None, False),
    ("cwd number", ("cwd",), 5, True),
    ("cost text", ("costUSD",), "x", False),
    ("cost null", ("costUSD",), None, False),
    ("cost number", ("costUSD",), 1.5, True),
    ("api error text", ("isApiErrorMessage",), "x", False),
    ("message id number", ("message", "id"), 5, True),
    ("request id null", ("requestId",), None, True),
    ("uuid list", ("uuid",), [1], True),
    ("content text", ("message", "content"), "x", True),
]


@pytest.mark.parametrize(("field", "value", "counted"), [s[1:] for s in _SHAPES],
                         ids=[s[0] for s in _SHAPES])
def test_a_usage_is_counted_exactly_when_ccusage_counts_it_and_otherwise_said_why(
        field: tuple[str, ...], value: Any, counted: bool) -> None:
    data = assistant("a1", u=usage(), content=[tool_use("t1", "Bash")])
    parent = data
    for key in field[:-1]:
        parent = parent[key]
    if value is _MISSING:
        del parent[field[-1]]
    else:
        parent[field[-1]] = value
    invalid: list[Unreadable] = []
    rows = extract(MAIN, recs(data), invalid)
    assert len(rows[USAGE_RECORDS]) == counted
    assert len(rows[EVENTS]) == (field != ("message", "content"))  # its tool call is kept either way
    if counted:
        assert invalid == []
        return
    [skipped] = invalid
    assert (skipped.line, skipped.offset, skipped.kind) == (1, 0, "invalid")
    assert field[-1] in skipped.error, skipped.error  # the field is named


def test_the_split_is_the_cache_write_count_when_there_is_one() -> None:
    u = usage(create=50) | {"cache_creation": {"ephemeral_5m_input_tokens": 3, "ephemeral_1h_input_tokens": 4}}
    row = extract(MAIN, recs(assistant("a1", u=u)))[USAGE_RECORDS][0]
    assert (row["cache_creation_tokens"], row["cache_creation_5m"], row["cache_creation_1h"]) == (7, 3, 4)
    u = usage(create=50) | {"cache_creation": {}}
    assert extract(MAIN, recs(assistant("a1", u=u)))[USAGE_RECORDS][0]["cache_creation_tokens"] == 0


def test_a_usage_on_any_record_is_counted_as_ccusage_counts_it() -> None:
    for kind in ("system", "summary", "progress", None):
        rec = assistant("a1", u=usage())
        rec["type"] = kind
        assert len(extract(MAIN, recs(rec))[USAGE_RECORDS]) == 1, kind
    summary = orjson.dumps({"type": "summary", "message": {"usage": usage()}})
    assert not any(summary.startswith(p) for p in UsageProcessor.skip_prefixes)  # its line is read
    said = user("u1", "hi")
    said["message"]["usage"] = usage()
    rows = extract(MAIN, recs(said))
    assert len(rows[USAGE_RECORDS]) == 1 and len(rows[USER_RECORDS]) == 1


def test_the_processor_keeps_the_rest_and_reports_what_it_did_not_count() -> None:
    bad = assistant("a2", msg_id="msg_2", u=usage() | {"input_tokens": "7"})
    with pytest.raises(PartlyMapped) as caught:
        UsageProcessor().process(MAIN, recs(assistant("a1", u=usage()), bad, assistant("a3", msg_id="msg_3", u=usage())))
    assert [r["uuid"] for r in caught.value.rows[USAGE_RECORDS]] == ["a1", "a3"]
    assert [(u.line, u.kind) for u in caught.value.unreadable] == [(2, "invalid")]
    assert "input_tokens is a string ('7'), not an integer" in caught.value.unreadable[0].error


def test_offset_timestamps_are_converted_to_utc() -> None:
    row = extract(MAIN, recs(assistant("a1", u=usage(), ts="2026-02-10T01:30:00+02:00")))
    assert row[USAGE_RECORDS][0]["ts"] == dt.datetime(2026, 2, 9, 23, 30, tzinfo=dt.UTC)


def test_processor_contract_and_options() -> None:
    p = UsageProcessor()
    assert p.name == "usage" and p.version == 2 and p.interval == 0.0
    assert set(p.tables) == {USAGE_RECORDS, EVENTS, TOOL_RESULTS, USER_RECORDS}
    assert p.wants(MAIN) and p.wants(SUB)
    assert set(p.process(MAIN, [])) == set(p.tables)
    with pytest.raises(TypeError, match="price file"):
        UsageProcessor(prices="/nonexistent/prices.toml")
    with pytest.raises(TypeError, match="plugin catalog"):
        UsageProcessor(plugin_catalog="/nonexistent/catalog.toml")
    with pytest.raises(TypeError):
        UsageProcessor(colour="blue")  # type: ignore[call-arg]
