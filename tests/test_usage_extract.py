"""Extraction of usage facts from hand-written records: plain lists in, rows out, no database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sessiond.processors.contract import Record, SessionFile
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


def test_bad_token_values_count_zero_and_bad_timestamp_is_null() -> None:
    data = assistant("a1", u={"input_tokens": "7", "output_tokens": 5.0,
                              "cache_creation_input_tokens": -3, "cache_read_input_tokens": None},
                     ts="not a time")
    row = extract(MAIN, recs(data))[USAGE_RECORDS][0]
    assert (row["input_tokens"], row["output_tokens"], row["cache_creation_tokens"],
            row["cache_read_tokens"], row["ts"]) == (0, 5, 0, 0, None)


def test_offset_timestamps_are_converted_to_utc() -> None:
    row = extract(MAIN, recs(assistant("a1", u=usage(), ts="2026-02-10T01:30:00+02:00")))
    assert row[USAGE_RECORDS][0]["ts"] == dt.datetime(2026, 2, 9, 23, 30, tzinfo=dt.UTC)


def test_processor_contract_and_options() -> None:
    p = UsageProcessor()
    assert p.name == "usage" and p.version == 1 and p.interval == 0.0
    assert set(p.tables) == {USAGE_RECORDS, EVENTS, TOOL_RESULTS, USER_RECORDS}
    assert p.wants(MAIN) and p.wants(SUB)
    assert set(p.process(MAIN, [])) == set(p.tables)
    with pytest.raises(TypeError, match="price file"):
        UsageProcessor(prices="/nonexistent/prices.toml")
    with pytest.raises(TypeError, match="plugin catalog"):
        UsageProcessor(plugin_catalog="/nonexistent/catalog.toml")
    with pytest.raises(TypeError):
        UsageProcessor(colour="blue")  # type: ignore[call-arg]
