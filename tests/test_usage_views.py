"""The usage views on a real DuckDB file, filled by the real pipeline from real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.usage import UsageProcessor
from sessiond.processors.usage.prices import load_prices
from sessiond.processors.usage.queries import Window, install_prices, model_usage

SONNET = "claude-sonnet-4-5-20250929"
OPUS = "claude-opus-4-1-20250805"


# -- helpers ---------------------------------------------------------------------------------


class Tree:
    """A session root in tmp_path, the state file beside it, and the pipeline run on demand."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "root"
        self.state = tmp_path / "state.duckdb"
        self.root.mkdir()

    def write(self, key: str, records: list[dict[str, Any]], *, append: bool = False) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab" if append else "wb") as fh:
            for r in records:
                fh.write(orjson.dumps(r) + b"\n")

    def ingest(self) -> None:
        service = Service(Settings(root=self.root, state=self.state), [UsageProcessor()])
        assert service.run_once() == 0

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.state), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path)


def ts(minute: float, day: int = 9, hour: int = 10) -> str:
    t = dt.datetime(2026, 2, day, hour, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def call(uid: str, msg: str | None, *, out: int, req: str | None = "req", model: str = SONNET,
         inp: int = 10, create: int = 100, read: int = 1000, at: float = 0, session: str = "s1",
         sidechain: bool = False, c1h: int | None = None, tools: list[dict[str, Any]] | None = None,
         day: int = 9) -> dict[str, Any]:
    u: dict[str, Any] = {"input_tokens": inp, "output_tokens": out,
                         "cache_creation_input_tokens": create, "cache_read_input_tokens": read}
    if c1h is not None:
        u["cache_creation"] = {"ephemeral_5m_input_tokens": create - c1h,
                               "ephemeral_1h_input_tokens": c1h}
    message: dict[str, Any] = {"model": model, "role": "assistant", "usage": u,
                               "content": tools or [{"type": "text", "text": "x"}]}
    if msg is not None:
        message["id"] = msg
    rec: dict[str, Any] = {"type": "assistant", "uuid": uid, "sessionId": session,
                           "isSidechain": sidechain, "timestamp": ts(at, day), "message": message,
                           "cwd": "/w"}
    if req is not None:
        rec["requestId"] = req
    return rec


def prompt(uid: str, text: Any, *, at: float = 0, session: str = "s1", sidechain: bool = False,
           **extra: Any) -> dict[str, Any]:
    return {"type": "user", "uuid": uid, "sessionId": session, "isSidechain": sidechain,
            "timestamp": ts(at), "message": {"role": "user", "content": text}, **extra}


def result(uid: str, tool_id: str, *, at: float = 0, error: bool = False,
           session: str = "s1") -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id, "content": "out"}
    if error:
        block["is_error"] = True
    return prompt(uid, [block], at=at, session=session)


def tool(tid: str, name: str, **inp: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tid, "name": name, "input": inp}


def calls(tree: Tree, user: str) -> list[tuple[Any, ...]]:
    return tree.query(
        "SELECT session_file, message_id, output_tokens, is_sidechain FROM usage_calls "
        "WHERE username = ? ORDER BY ts, message_id", [user])


# -- deduplication -----------------------------------------------------------------------------


def test_dedup_per_user_across_files_and_sessions_keeps_the_largest(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [
        call("a1", "msg_1", out=3, at=0),          # streamed placeholder
        call("a2", "msg_1", out=400, at=0.1),      # the final count
        call("a3", "msg_2", out=50, at=1),
    ])
    tree.write("alice/s2.jsonl", [                 # resumed: history copied into a new file
        call("a2", "msg_1", out=400, at=0.1),
        call("b1", "msg_3", out=70, at=5, session="s2"),
    ])
    tree.write("bob/s9.jsonl", [call("c1", "msg_1", out=9, at=0, session="s9")])  # another user
    tree.ingest()
    assert [(m, o) for _, m, o, _ in calls(tree, "alice")] == [
        ("msg_1", 400), ("msg_2", 50), ("msg_3", 70)]
    assert [(m, o) for _, m, o, _ in calls(tree, "bob")] == [("msg_1", 9)]
    assert tree.query("SELECT count(*) FROM usage_records") == [(6,)]


def test_sidechain_copy_loses_a_tie_but_a_larger_sidechain_copy_wins(tree: Tree) -> None:
    tree.write("alice/s1/subagents/agent-x.jsonl", [
        call("s1", "msg_tie", out=20, at=0, sidechain=True),        # written first
        call("s2", "msg_big", out=999, at=1, sidechain=True),
    ])
    tree.write("alice/s1.jsonl", [
        call("m1", "msg_tie", out=20, at=0.5),
        call("m2", "msg_big", out=5, at=1.5),
    ])
    tree.ingest()
    got = {m: (f, o, sc) for f, m, o, sc in calls(tree, "alice")}
    assert got == {
        "msg_tie": ("alice/s1.jsonl", 20, False),
        "msg_big": ("alice/s1/subagents/agent-x.jsonl", 999, True),
    }


def test_missing_message_id_counts_as_is_and_missing_request_id_still_dedups(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [
        call("a1", None, out=11, at=0, req=None),
        call("a2", None, out=11, at=1, req=None),       # same numbers, still two calls
        call("a3", "msg_q", out=2, at=2, req=None),
        call("a4", "msg_q", out=60, at=3, req=None),    # split response without requestId
    ])
    tree.ingest()
    assert sorted(o for _, _, o, _ in calls(tree, "alice")) == [11, 11, 60]


def test_synthetic_records_are_not_calls_and_not_models(tree: Tree) -> None:
    synthetic = call("z1", "9f0e-uuid", out=0, inp=0, create=0, read=0, model="<synthetic>", at=1)
    synthetic["isApiErrorMessage"] = True
    tree.write("alice/s1.jsonl", [call("a1", "msg_1", out=5, at=0), synthetic])
    tree.ingest()
    assert tree.query("SELECT DISTINCT model FROM usage_calls") == [(SONNET,)]
    assert tree.query("SELECT count(*) FROM usage_records WHERE is_api_error") == [(1,)]


# -- costs -----------------------------------------------------------------------------------


def priced(tree: Tree, by: str = "model") -> list[Any]:
    with duckdb.connect(str(tree.state), read_only=True) as con:
        install_prices(con, load_prices())
        return model_usage(con, by, Window())


def test_cache_writes_are_priced_by_ttl_and_unknown_models_are_flagged(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [
        call("a1", "m1", out=1000, inp=2000, create=3000, read=4000, c1h=1000, model=OPUS),
        call("a2", "m2", out=1000, inp=2000, create=3000, read=4000, model=OPUS + "[1m]"),
        call("a3", "m3", out=7, inp=1, create=0, read=0, model="gpt-7-turbo"),
    ])
    tree.ingest()
    rows = {r.model: r for r in priced(tree)}
    # 15 in, 75 out, 18.75 (5m write), 30 (1h write), 1.5 read, per million tokens
    split = (2000 * 15 + 1000 * 75 + 2000 * 18.75 + 1000 * 30 + 4000 * 1.5) / 1e6
    plain = (2000 * 15 + 1000 * 75 + 3000 * 18.75 + 4000 * 1.5) / 1e6
    assert rows[OPUS].cost == pytest.approx(split, abs=1e-12)
    assert rows[OPUS + "[1m]"].cost == pytest.approx(plain, abs=1e-12)
    unknown = rows["gpt-7-turbo"]
    assert (unknown.priced, unknown.cost, unknown.total_tokens) == (False, 0.0, 8)
    assert rows[OPUS].priced


def test_prices_follow_the_day_of_each_call(tree: Tree, tmp_path: Path) -> None:
    f = tmp_path / "prices.toml"
    f.write_text('[[price]]\nmodels = ["acme-1"]\ninput = 0\noutput = 1.0\n'
                 '[[price]]\nmodels = ["acme-1"]\ninput = 0\noutput = 2.0\nsince = 2026-02-10\n')
    tree.write("alice/s1.jsonl", [
        call("a1", "m1", out=1_000_000, inp=0, create=0, read=0, model="acme-1", day=9),
        call("a2", "m2", out=1_000_000, inp=0, create=0, read=0, model="acme-1", day=10),
    ])
    tree.ingest()
    with duckdb.connect(str(tree.state), read_only=True) as con:
        install_prices(con, load_prices(f))
        rows = model_usage(con, "day", Window())
    assert [(r.key, r.cost) for r in rows] == [(("2026-02-09",), 1.0), (("2026-02-10",), 2.0)]


# -- tool events: joined across appends ----------------------------------------------------


def test_tool_result_arriving_in_a_later_append_sets_is_error(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [
        prompt("u1", "run the tests", at=0),
        call("a1", "m1", out=5, at=0.1, tools=[tool("t1", "Bash", command="pytest"),
                                               tool("t2", "Read", file_path="x")]),
    ])
    tree.ingest()
    sql = "SELECT tool_name, has_result, is_error FROM usage_tool_events ORDER BY tool_name"
    assert tree.query(sql) == [("Bash", False, False), ("Read", False, False)]
    tree.write("alice/s1.jsonl", [result("u2", "t1", at=0.2, error=True),
                                  result("u3", "t2", at=0.3)], append=True)
    tree.ingest()
    assert tree.query(sql) == [("Bash", True, True), ("Read", True, False)]
    assert tree.query("SELECT count(*) FROM usage_events") == [(2,)]  # appended, not redone


def test_resumed_copies_of_a_tool_use_count_once(tree: Tree) -> None:
    rec = call("a1", "m1", out=5, tools=[tool("t1", "Skill", skill="acme:ship")])
    tree.write("alice/s1.jsonl", [rec, result("u1", "t1", at=0.1, error=True)])
    tree.write("alice/s2.jsonl", [rec, result("u1", "t1", at=0.1, error=True)])
    tree.ingest()
    assert tree.query("SELECT count(*), count(*) FILTER (WHERE is_error) "
                      "FROM usage_tool_events") == [(1, 1)]


def test_a_rewritten_file_has_its_rows_replaced_not_doubled(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [call("a1", "m1", out=5, at=0),
                                  call("a2", "m2", out=6, at=1, tools=[tool("t1", "Bash")])])
    tree.ingest()
    tree.write("alice/s1.jsonl", [call("z1", "m9", out=123, at=0, inp=1, create=2, read=3),
                                  prompt("u1", "hello again", at=1)])
    tree.ingest()
    assert calls(tree, "alice") == [("alice/s1.jsonl", "m9", 123, False)]
    assert tree.query("SELECT count(*) FROM usage_records") == [(1,)]
    assert tree.query("SELECT count(*) FROM usage_events") == [(0,)]
    assert tree.query("SELECT count(*) FROM usage_user_records") == [(1,)]


# -- session summary and daily tools -----------------------------------------------------------


def test_session_summary(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [
        prompt("u1", "<command-name>/review</command-name>", at=0),
        call("a1", "m1", out=3, at=0 + 1 / 6, tools=[tool("t1", "Bash")]),              # +10 s
        call("a2", "m1", out=30, at=0 + 1 / 6, tools=[tool("t2", "Read")]),             # same call
        result("u2", "t1", at=2 / 6, error=True),                                       # +10 s
        result("u3", "t2", at=2 / 6),
        prompt("u4", "Base directory for this skill", at=2 / 6, isMeta=True),
        call("a3", "m2", out=40, at=3 / 6, model=OPUS,
             tools=[tool("t3", "Task", subagent_type="Explore"),
                    tool("t4", "mcp__github__create_issue")]),                           # +10 s
        prompt("u5", "thanks", at=23.5),                                                # 23 min gap
        call("a4", "m3", out=50, at=23.5 + 1 / 6, model=OPUS,
             tools=[tool("t5", "Skill", skill="acme-tools:deploy")]),                    # +10 s
    ])
    tree.write("alice/s1/subagents/agent-e1.jsonl", [
        prompt("v1", "explore", at=1, sidechain=True),
        call("b1", "m7", out=8, at=1.5, model=SONNET, sidechain=True,
             tools=[tool("t6", "Grep"), tool("t7", "Grep")]),
    ])
    tree.ingest()
    rows = tree.query("SELECT * EXCLUDE (started_at, ended_at) FROM usage_session_summary")
    names = [r[0] for r in tree.query(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'usage_session_summary' ORDER BY ordinal_position")]
    assert len(rows) == 1
    got = dict(zip([n for n in names if n not in ("started_at", "ended_at")], rows[0], strict=True))
    assert got["username"] == "alice" and got["session_id"] == "s1"
    assert got["wall_seconds"] == pytest.approx((23.5 + 1 / 6) * 60, abs=1e-3)
    # gaps: 10 s, 10 s, 10 s, subagent records at 1 and 1.5 min (30 s, 30 s), then
    # 23.5 - 1.5 = 22 min (excluded), then 10 s
    assert got["active_seconds"] == pytest.approx(10 + 10 + 10 + 30 + 30 + 10, abs=1e-3)
    assert (got["user_messages"], got["assistant_messages"]) == (2, 3)
    assert (got["tool_calls"], got["tool_errors"], got["skills"], got["subagents"],
            got["mcp_calls"], got["slash_commands"], got["distinct_tools"]) == (7, 1, 1, 1, 1, 1, 6)
    assert got["primary_model"] == OPUS  # 2 calls each (subagent's too): more tokens wins
    assert got["api_calls"] == 4
    assert got["output_tokens"] == 30 + 40 + 50 + 8
    started, ended = tree.query("SELECT started_at, ended_at FROM usage_session_summary")[0]
    assert started == dt.datetime(2026, 2, 9, 10, tzinfo=dt.UTC)
    assert ended - started == dt.timedelta(minutes=23.5 + 1 / 6)


def test_daily_tools_and_plugin_items(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [
        call("a1", "m1", out=1, at=0, tools=[tool("t1", "Bash"), tool("t2", "Bash")]),
        result("u1", "t1", at=0.1, error=True),
        call("a2", "m2", out=1, at=1, tools=[tool("t3", "Skill", skill="acme-tools:deploy")]),
    ])
    tree.write("bob/s2.jsonl", [
        call("b1", "m1", out=1, at=0, session="s2", tools=[tool("t9", "Bash")]),
        call("b2", "m5", out=1, at=0, session="s2", day=10, tools=[tool("t8", "mcp__gh__pr")]),
        prompt("u5", "<command-name>/acme-tools:ship</command-name>", session="s2"),
    ])
    tree.ingest()
    assert tree.query("SELECT * FROM usage_daily_tools ORDER BY day, tool_name") == [
        (dt.date(2026, 2, 9), "Bash", "builtin", 3, 1, 2, 2),
        (dt.date(2026, 2, 9), "Skill", "acme-tools", 1, 0, 1, 1),
        (dt.date(2026, 2, 10), "mcp__gh__pr", "mcp:gh", 1, 0, 1, 1),
    ]
    assert tree.query("SELECT item_type, item_name, plugin, invocations FROM usage_plugin_items "
                      "ORDER BY item_name") == [
        ("skill", "acme-tools:deploy", "acme-tools", 1),
        ("slash_command", "acme-tools:ship", "acme-tools", 1),
    ]


def test_malformed_lines_are_skipped_and_days_are_utc_whatever_the_timezone(tree: Tree) -> None:
    path = tree.root / "alice" / "s1.jsonl"
    path.parent.mkdir(parents=True)
    late = call("a1", "m1", out=5, at=0, day=9)
    late["timestamp"] = "2026-02-09T23:59:59.999Z"
    path.write_bytes(orjson.dumps(late) + b"\n{not json\n[1, 2]\n"
                     + orjson.dumps(call("a2", "m2", out=6, at=0, day=10)) + b"\n")
    tree.ingest()
    with duckdb.connect(str(tree.state), read_only=True) as con:
        con.execute("SET TimeZone = 'Asia/Tokyo'")
        days = con.execute("SELECT day, output_tokens FROM usage_calls ORDER BY ts").fetchall()
    assert days == [(dt.date(2026, 2, 9), 5), (dt.date(2026, 2, 10), 6)]
