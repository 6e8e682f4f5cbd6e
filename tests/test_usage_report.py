"""`sessiond report usage`: ccusage's JSON shapes, filters, and end-to-end figures.

The end-to-end expectations come from a small reference implementation of the dedup rule and
the reference price table written here, independent of the processor's code and price file,
and from ccusage 20.0.24 itself: its `daily`/`monthly`/`session --json` outputs on the tree in
`tests/fixtures/ccusage20/` (re-record with `python tests/fixtures/record.py ccusage`).
"""

from __future__ import annotations

import io
import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from sessiond.daemon import cli
from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.usage import UsageProcessor
from sessiond.processors.usage import report as usage_report
from sessiond.state.migrations import ensure_sessiond_database
from tests.harness import cli as run_cli
from tests.harness import run_once

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "user_sessions"
CCUSAGE20 = Path(__file__).resolve().parent / "fixtures" / "ccusage20"

# USD per million tokens: input, output, cache write 5m, cache write 1h, cache read
REFERENCE_PRICES = {
    "claude-sonnet-4-5": (3.0, 15.0, 3.75, 6.0, 0.30),
    "claude-opus-4-1": (15.0, 75.0, 18.75, 30.0, 1.50),
    "claude-haiku-4-5": (1.0, 5.0, 1.25, 2.0, 0.10),
}
TOKEN_KEYS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
CCUSAGE_ROW = {*TOKEN_KEYS, "totalTokens", "totalCost", "modelsUsed", "modelBreakdowns",
               "period", "agent", "metadata"}
CCUSAGE_BREAKDOWN = {*TOKEN_KEYS, "modelName", "cost"}
CCUSAGE_TOTALS = {*TOKEN_KEYS, "totalTokens", "totalCost"}


# -- helpers ---------------------------------------------------------------------------------


def ingest(root: Path, state: Path) -> None:
    assert Service(Settings(root=root, state=state), [UsageProcessor()]).run_once() == 0


def report(state: Path, *argv: str, expect: int = 0) -> Any:
    config = state.parent / "empty.toml"
    config.touch()
    args = cli.parser().parse_args(
        ["report", "usage", "--state", str(state), "--config", str(config), *argv])
    buf = io.StringIO()
    with duckdb.connect(str(state), read_only=True) as con:
        assert usage_report.run(con, args, buf) == expect
    return orjson.loads(buf.getvalue()) if "--json" in argv and expect == 0 else buf.getvalue()


def sample_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.jsonl"))


def reference_calls(root: Path) -> list[dict[str, Any]]:
    """Per user: one record per (message.id, requestId), the largest total, main thread on a
    tie; records without message.id as they are; `<synthetic>` never."""
    best: dict[tuple[str, str, str | None], tuple[tuple[int, bool], dict[str, Any]]] = {}
    loose: list[dict[str, Any]] = []
    for path in sample_files(root):
        user = path.relative_to(root).parts[0]
        for line in path.read_text("utf-8").splitlines():
            rec = json.loads(line)
            msg = rec.get("message")
            if rec.get("type") != "assistant" or not isinstance(msg, dict):
                continue
            usage = msg.get("usage")
            if not isinstance(usage, dict) or msg.get("model") == "<synthetic>":
                continue
            split = usage.get("cache_creation") or {}
            c = {
                "user": user, "day": rec["timestamp"][:10], "model": msg["model"],
                "session": rec["sessionId"],
                "in": usage["input_tokens"], "out": usage["output_tokens"],
                "create": usage["cache_creation_input_tokens"],
                "read": usage["cache_read_input_tokens"],
                "c1h": split.get("ephemeral_1h_input_tokens", 0),
            }
            if "id" not in msg:
                loose.append(c)
                continue
            total = c["in"] + c["out"] + c["create"] + c["read"]
            rank = (total, not rec.get("isSidechain", False))
            key = (user, msg["id"], rec.get("requestId"))
            if key not in best or rank > best[key][0]:
                best[key] = (rank, c)
    return [c for _, c in best.values()] + loose


def reference_cost(c: dict[str, Any]) -> float:
    family = "-".join(c["model"].split("-")[:4])
    i, o, w5, w1, r = REFERENCE_PRICES[family]
    dollars: float = (c["in"] * i + c["out"] * o + (c["create"] - c["c1h"]) * w5
                      + c["c1h"] * w1 + c["read"] * r)
    return dollars / 1e6


def reference_by(calls: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "inputTokens": 0, "outputTokens": 0, "cacheCreationTokens": 0, "cacheReadTokens": 0,
        "totalCost": 0.0, "models": set()})
    for c in calls:
        g = out[c[key]]
        g["inputTokens"] += c["in"]
        g["outputTokens"] += c["out"]
        g["cacheCreationTokens"] += c["create"]
        g["cacheReadTokens"] += c["read"]
        g["totalCost"] += reference_cost(c)
        g["models"].add(c["model"])
    return dict(out)


def assert_matches(entry: dict[str, Any], expected: dict[str, Any]) -> None:
    for k in TOKEN_KEYS:
        assert entry[k] == expected[k], k
    assert entry["totalTokens"] == sum(expected[k] for k in TOKEN_KEYS)
    assert entry["totalCost"] == pytest.approx(expected["totalCost"], abs=1e-6)
    assert set(entry["modelsUsed"]) == expected["models"]
    assert sum(b["cost"] for b in entry["modelBreakdowns"]) == pytest.approx(entry["totalCost"])


def without_costs(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry minus float costs (DuckDB may sum doubles in any order: compare them apart)."""
    out = {k: v for k, v in entry.items() if k != "totalCost"}
    out["modelBreakdowns"] = sorted(
        ({k: v for k, v in b.items() if k != "cost"} for b in entry["modelBreakdowns"]),
        key=lambda b: str(b["modelName"]))
    return out


def copy_in_appends(src: Path, dst: Path, state: Path, parts: int = 3) -> None:
    """Copy the tree in ``parts`` appends cut at arbitrary bytes (mid-line too), ingesting
    after each, the way a live session grows."""
    files = sample_files(src)
    for step in range(1, parts + 1):
        for f in files:
            data = f.read_bytes()
            target = dst / f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data[: len(data) * step // parts])
        ingest(dst, state)


@pytest.fixture(scope="module")
def sample_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sample")
    state = tmp / "state.duckdb"
    copy_in_appends(SAMPLE, tmp / "root", state)
    return state


# -- end to end on the sample tree -------------------------------------------------------------


def test_sample_daily_json_equals_the_reference(sample_state: Path) -> None:
    got = report(sample_state, "--json")
    calls = reference_calls(SAMPLE)
    expected = reference_by(calls, "day")
    assert [d["date"] for d in got["daily"]] == sorted(expected)
    for entry in got["daily"]:
        assert_matches(entry, expected[entry["date"]])
    totals = reference_by([{**c, "all": "all"} for c in calls], "all")["all"]
    assert {k: got["totals"][k] for k in TOKEN_KEYS} == {k: totals[k] for k in TOKEN_KEYS}
    assert got["totals"]["totalCost"] == pytest.approx(totals["totalCost"], abs=1e-6)
    assert got["unpricedModels"] == []


def test_sample_user_json_equals_the_reference(sample_state: Path) -> None:
    got = report(sample_state, "--by", "user", "--json")
    expected = reference_by(reference_calls(SAMPLE), "user")
    assert [u["user"] for u in got["users"]] == ["alice", "bob", "carol"]
    for entry in got["users"]:
        assert_matches(entry, expected[entry["user"]])


def test_sample_dedup_really_removed_split_records(sample_state: Path) -> None:
    with duckdb.connect(str(sample_state), read_only=True) as con:
        (records,), = con.execute("SELECT count(*) FROM usage_records").fetchall()
        (kept,), = con.execute("SELECT count(*) FROM usage_calls").fetchall()
    assert kept == len(reference_calls(SAMPLE)) < records


def test_ccusage_daily_shape_keys_exactly(sample_state: Path) -> None:
    got = report(sample_state, "--json")
    assert {"daily", "totals"} <= set(got)
    for entry in got["daily"]:
        assert set(entry) == CCUSAGE_ROW | {"date"}
        assert entry["period"] == entry["date"] and entry["agent"] == "all"
        assert entry["metadata"] == {"agents": ["claude"]}
        assert entry["modelsUsed"] == sorted(entry["modelsUsed"])
        for b in entry["modelBreakdowns"]:
            assert set(b) == CCUSAGE_BREAKDOWN
        costs = [b["cost"] for b in entry["modelBreakdowns"]]
        assert costs == sorted(costs, reverse=True)
        assert "<synthetic>" not in entry["modelsUsed"]
    assert set(got["totals"]) == CCUSAGE_TOTALS


def test_by_month_session_user_model_shapes(sample_state: Path) -> None:
    daily = report(sample_state, "--json")["totals"]
    monthly = report(sample_state, "--by", "month", "--json")
    assert [m["month"] for m in monthly["monthly"]] == ["2026-02"]
    assert set(monthly["monthly"][0]) == CCUSAGE_ROW | {"month"}

    sessions = report(sample_state, "--by", "session", "--json")
    assert len(sessions["session"]) == 8  # subagent files count for their parent session
    assert sessions["sessions"] == sessions["session"]  # the older name, the same entries
    for s in sessions["session"]:
        assert CCUSAGE_ROW | {"sessionId", "lastActivity", "projectPath"} <= set(s)
        assert s["period"] == s["sessionId"] and s["agent"] == "claude"
        assert s["metadata"]["lastActivity"][:10] == s["lastActivity"]
        assert s["summary"]["startedAt"].endswith("Z")
        assert s["projectPath"].startswith("/home/")
    last = [s["lastActivity"] for s in sessions["session"]]
    assert last == sorted(last)
    users = report(sample_state, "--by", "user", "--json")
    models = report(sample_state, "--by", "model", "--json")
    assert {m["model"] for m in models["models"]} == {
        "claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"}
    assert all(m["priced"] for m in models["models"])
    for other in (monthly, sessions, users, models):
        assert other["totals"]["totalTokens"] == daily["totalTokens"]
        assert other["totals"]["totalCost"] == pytest.approx(daily["totalCost"], abs=1e-9)


def test_session_summary_in_the_session_report(sample_state: Path) -> None:
    sessions = report(sample_state, "--by", "session", "--user", "alice", "--json")["session"]
    mrr = next(s for s in sessions if s["sessionId"].startswith("e64040d1"))["summary"]
    # the MRR session has a 27-minute pause: wall time counts it, active time does not
    assert mrr["wallSeconds"] > 27 * 60 > mrr["activeSeconds"] > 0
    assert mrr["toolErrors"] == 1  # the failed Bash run ("Exit code 1")
    assert mrr["skills"] == 1 and mrr["primaryModel"] == "claude-sonnet-4-5-20250929"
    churn = next(s for s in sessions if s["sessionId"].startswith("91b8e413"))["summary"]
    assert churn["subagents"] == 1
    assert set(next(s for s in sessions if s["sessionId"].startswith("91b8e413"))
               ["modelsUsed"]) == {"claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"}


def test_by_tool_and_plugin(sample_state: Path) -> None:
    tools = report(sample_state, "--by", "tool", "--json")
    for row in tools["tools"]:
        assert set(row) == {"day", "tool_name", "source", "invocations", "error_count",
                            "distinct_users", "distinct_sessions"}
    bash = [r for r in tools["tools"] if r["tool_name"] == "Bash"]
    assert sum(r["error_count"] for r in bash) == 1
    assert ("2026-02-11", "Skill", "acme-tools") in {
        (r["day"], r["tool_name"], r["source"]) for r in tools["tools"]}
    assert ("mcp__github__create_issue", "mcp:github") in {
        (r["tool_name"], r["source"]) for r in tools["tools"]}
    bob = report(sample_state, "--by", "tool", "--user", "bob", "--json")
    assert {r["distinct_users"] for r in bob["tools"]} == {1}
    assert bob["totals"]["invocations"] < tools["totals"]["invocations"]

    catalog = sample_state.parent / "catalog.toml"
    catalog.write_text('[plugins]\nacme-tools = "curated"\n')
    items = report(sample_state, "--by", "plugin", "--plugin-catalog", str(catalog), "--json")
    got = {(i["item_type"], i["item_name"], i["plugin"], i["tier"]) for i in items["items"]}
    assert got == {
        ("skill", "acme-tools:deploy", "acme-tools", "curated"),
        ("skill", "pdf", None, "builtin"),
        ("subagent", "Explore", None, "builtin"),
        ("subagent", "general-purpose", None, "builtin"),
        ("slash_command", "review", None, "builtin"),
        ("slash_command", "compact", None, "builtin"),
    }


def test_user_and_day_filters(sample_state: Path) -> None:
    calls = reference_calls(SAMPLE)
    bob = report(sample_state, "--user", "bob", "--json")
    expected = reference_by([c for c in calls if c["user"] == "bob"], "day")
    assert [d["date"] for d in bob["daily"]] == sorted(expected)
    for entry in bob["daily"]:
        assert_matches(entry, expected[entry["date"]])

    one = report(sample_state, "--since", "2026-02-10", "--until", "20260210", "--json")
    assert [d["date"] for d in one["daily"]] == ["2026-02-10"]
    assert one["totals"]["totalTokens"] == one["daily"][0]["totalTokens"]
    later = report(sample_state, "--since", "2026-02-11", "--by", "user", "--json")
    expected_later = reference_by([c for c in calls if c["day"] >= "2026-02-11"], "user")
    assert {u["user"] for u in later["users"]} == set(expected_later)
    for entry in later["users"]:
        assert_matches(entry, expected_later[entry["user"]])

    nothing = report(sample_state, "--user", "nobody", "--json")
    assert nothing["daily"] == [] and nothing["totals"]["totalTokens"] == 0
    report(sample_state, "--since", "2026-02-11", "--until", "2026-02-10", expect=2)
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["report", "usage", "--since", "last tuesday"])


def test_human_output_is_a_table_with_totals_and_the_estimate_note(sample_state: Path) -> None:
    text = report(sample_state)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["Date", "Models"]
    assert any(line.startswith("2026-02-10") for line in lines)
    total = next(line for line in lines if line.startswith("Total"))
    assert lines.index(total) > max(i for i, line in enumerate(lines) if line.startswith("2026"))
    assert "estimates" in text and "Unpriced" not in text
    for by in ("month", "session", "user", "model", "tool", "plugin"):
        assert "Total" in report(sample_state, "--by", by)


# -- appends, unknown models, the CLI ----------------------------------------------------------


def test_appending_changes_the_report_by_exactly_the_appended_records(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "state.duckdb"
    shutil.copytree(SAMPLE, root)
    ingest(root, state)
    before = report(state, "--by", "user", "--json")
    bob_file = root / "bob" / "ba8ded69-a4e8-4c19-a455-675c0bf6349c.jsonl"
    new = {"input_tokens": 7, "output_tokens": 900, "cache_creation_input_tokens": 1000,
           "cache_read_input_tokens": 20000, "cache_creation": {
               "ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 0}}
    base = {"type": "assistant", "sessionId": "ba8ded69-a4e8-4c19-a455-675c0bf6349c",
            "isSidechain": False, "requestId": "req_new", "timestamp": "2026-02-11T17:40:00.000Z"}
    lines = [
        {**base, "uuid": "n1", "message": {"id": "msg_new", "model": "claude-haiku-4-5-20251001",
                                           "usage": {**new, "output_tokens": 4}, "content": []}},
        {**base, "uuid": "n2", "message": {"id": "msg_new", "model": "claude-haiku-4-5-20251001",
                                           "usage": new, "content": []}},
        {"type": "file-history-snapshot", "snapshot": {}},
    ]
    with bob_file.open("ab") as fh:
        fh.write(b"".join(orjson.dumps(r) + b"\n" for r in lines))
    ingest(root, state)
    after = report(state, "--by", "user", "--json")
    old = {u["user"]: u for u in before["users"]}
    cur = {u["user"]: u for u in after["users"]}
    for user in ("alice", "carol"):
        assert without_costs(cur[user]) == without_costs(old[user])
        assert cur[user]["totalCost"] == pytest.approx(old[user]["totalCost"], abs=1e-12)
    delta = {k: cur["bob"][k] - old["bob"][k] for k in (*TOKEN_KEYS, "totalTokens")}
    assert delta == {"inputTokens": 7, "outputTokens": 900, "cacheCreationTokens": 1000,
                     "cacheReadTokens": 20000, "totalTokens": 21907}
    cost = (7 * 1 + 900 * 5 + 1000 * 1.25 + 20000 * 0.1) / 1e6
    assert cur["bob"]["totalCost"] - old["bob"]["totalCost"] == pytest.approx(cost, abs=1e-9)


def test_unknown_models_are_listed_as_unpriced(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "state.duckdb"
    (root / "dana").mkdir(parents=True)
    rec = {"type": "assistant", "uuid": "x1", "sessionId": "s", "timestamp": "2026-03-01T00:00:00Z",
           "message": {"id": "m", "model": "claude-mystery-9", "usage": {
               "input_tokens": 5, "output_tokens": 6, "cache_creation_input_tokens": 0,
               "cache_read_input_tokens": 0}}}
    (root / "dana" / "s.jsonl").write_bytes(orjson.dumps(rec) + b"\n")
    ingest(root, state)
    got = report(state, "--json")
    assert got["unpricedModels"] == ["claude-mystery-9"]
    assert got["daily"][0]["totalTokens"] == 11 and got["daily"][0]["totalCost"] == 0
    assert got["daily"][0]["modelsUsed"] == ["claude-mystery-9"]
    text = report(state)
    assert "Unpriced models (tokens counted, cost 0): claude-mystery-9" in text
    prices = tmp_path / "prices.toml"
    prices.write_text('[[price]]\nmodels = ["claude-mystery"]\ninput = 1e6\noutput = 0\n')
    assert report(state, "--prices", str(prices), "--json")["totals"]["totalCost"] == 5
    report(state, "--prices", str(tmp_path / "missing.toml"), expect=2)


def test_cli_report_through_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, state = tmp_path / "root", tmp_path / "state.duckdb"
    shutil.copytree(SAMPLE / "bob", root / "bob")
    ingest(root, state)
    config = tmp_path / "sessiond.toml"
    config.write_text(f'[processor.usage]\nprices = "{tmp_path / "nope.toml"}"\n')
    capsys.readouterr()
    argv = ["report", "usage", "--state", str(state), "--config", str(config), "--json"]
    assert cli.main(argv) == 2  # the configured price file is read by the report too
    assert "nope.toml" in capsys.readouterr().out
    config.write_text("")
    assert cli.main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    assert {d["date"] for d in got["daily"]} == {"2026-02-10", "2026-02-11"}


def test_report_on_a_state_file_without_usage_data(tmp_path: Path) -> None:
    state = tmp_path / "state.duckdb"
    with duckdb.connect(str(state)) as con:
        ensure_sessiond_database(con)
    assert "no usage data" in report(state, "--json", expect=2)


# -- ccusage 20.0.24, recorded on tests/fixtures/ccusage20/tree ------------------------------------

CCUSAGE20_REPORTS = [("day", "daily"), ("month", "monthly"), ("session", "session")]
COST_TOLERANCE = 0.005  # relative: ccusage sums doubles, we sum exact decimals
LEGACY_KEYS = {"day": {"date"}, "month": {"month"},
               "session": {"sessionId", "lastActivity", "projectPath"}}


@pytest.fixture(scope="module")
def ccusage20_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Our `report usage --by day|month|session --json`, through the CLI, on a state built by
    `sessiond run --once` over the fixture tree."""
    tmp = tmp_path_factory.mktemp("ccusage20")
    root, state, config = tmp / "root", tmp / "state.duckdb", tmp / "empty.toml"
    shutil.copytree(CCUSAGE20 / "tree", root)
    config.touch()
    done = run_once("--root", str(root), "--state", str(state), "--config", str(config),
                    "--processors", "usage")
    assert done.returncode == 0, done.stderr.decode()
    out = {}
    for by, _ in CCUSAGE20_REPORTS:
        got = run_cli("report", "usage", "--by", by, "--json", "--root", str(root),
                      "--state", str(state), "--config", str(config))
        assert got.returncode == 0, got.stderr.decode()
        out[by] = orjson.loads(got.stdout)
    return out


def assert_like_ccusage(ours: Any, theirs: Any, where: str) -> None:
    """Every key of ``theirs`` is in ``ours`` with an equal value: tokens and names exactly,
    costs within `COST_TOLERANCE`; lists of objects element by element, in order."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        for key, value in theirs.items():
            assert key in ours, f"{where}: no {key!r}"
            assert_like_ccusage(ours[key], value, f"{where}.{key}")
    elif isinstance(theirs, list) and theirs and isinstance(theirs[0], dict):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_like_ccusage(a, b, f"{where}[{i}]")
    elif where.endswith(("Cost", ".cost")):
        assert ours == pytest.approx(theirs, rel=COST_TOLERANCE, abs=1e-12), where
    else:
        assert ours == theirs, where


def test_the_recorded_outputs_are_ccusage_20_0_24s() -> None:
    assert (CCUSAGE20 / "VERSION").read_text().split() == ["ccusage", "20.0.24"]


@pytest.mark.parametrize(("by", "name"), CCUSAGE20_REPORTS)
def test_reports_carry_ccusage_20s_keys_and_values(
    ccusage20_reports: dict[str, Any], by: str, name: str
) -> None:
    theirs = json.loads((CCUSAGE20 / f"{name}.json").read_text())
    ours = ccusage20_reports[by]
    mine = {e["period"]: e for e in ours[name]}
    assert sorted(mine) == sorted(e["period"] for e in theirs[name])
    for entry in theirs[name]:
        assert_like_ccusage(mine[entry["period"]], entry, f"{name}[{entry['period']}]")
    assert_like_ccusage(ours["totals"], theirs["totals"], "totals")
    # ... and what older consumers read is still there
    for entry in ours[name]:
        assert LEGACY_KEYS[by] <= set(entry)
        if by != "session":
            assert entry["date" if by == "day" else "month"] == entry["period"]
    if by == "session":
        assert ours["sessions"] == ours["session"]


def test_the_ccusage_fixture_exercises_what_it_claims(ccusage20_reports: dict[str, Any]) -> None:
    """The tree has old claude-3 names priced (not zero), two months, a session spanning UTC
    midnight, subagent files, split and streamed records, unpriced models, and orders where
    file order is not time order."""
    daily = ccusage20_reports["day"]
    assert [m["period"] for m in ccusage20_reports["month"]["monthly"]] == ["2026-01", "2026-02"]
    costs = {b["modelName"]: b["cost"] for d in daily["daily"] for b in d["modelBreakdowns"]}
    for model in ("claude-3-opus-20240229", "claude-3-opus", "claude-3-sonnet-20240229",
                  "claude-3-haiku", "claude-3-haiku-20240307", "claude-3-5-sonnet",
                  "claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022"):
        assert costs[model] > 0, model
    assert daily["unpricedModels"] == daily["totals"]["unpricedModels"] == [
        "claude-mystery-9", "claude-opus-4-9"]
    # alice's claude-mystery-9 was used after bob's claude-opus-4-9 that day, and is listed first
    last_day = daily["daily"][-1]["modelBreakdowns"]
    assert [b["modelName"] for b in last_day[-2:]] == ["claude-mystery-9", "claude-opus-4-9"]
    # the subagent used sonnet 4.6 before the main thread used opus 4.6: file order wins
    b2 = next(s for s in ccusage20_reports["session"]["session"] if s["period"].startswith("c4e6"))
    assert b2["modelsUsed"] == ["claude-haiku-4-5-20251001", "claude-3-5-haiku-20241022",
                                "claude-opus-4-6", "claude-sonnet-4-6"]
    spans = [s for s in ccusage20_reports["session"]["session"]
             if s["summary"]["startedAt"][:10] != s["summary"]["endedAt"][:10]]
    assert len(spans) == 1 and spans[0]["summary"]["subagents"] == 1
    every_record = sum(
        sum(v for k, v in rec["message"]["usage"].items() if k.endswith("_tokens"))
        for f in (CCUSAGE20 / "tree").rglob("*.jsonl")
        for rec in map(json.loads, f.read_text().splitlines()) if rec["type"] == "assistant")
    assert every_record > daily["totals"]["totalTokens"]  # there were copies to remove
