"""`sessiond sql`: one read-only query over the state, through a running daemon or on the file,
and the public views it is meant for."""

from __future__ import annotations

import datetime as dt
import decimal
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pytest

from sessiond.daemon import sql
from sessiond.processors.usage import schema as usage_schema
from sessiond.state.migrations import prepare
from tests.harness import REPO, Daemon, append, cli, jsonl, run_once, wait_until

SAMPLE = REPO / "examples" / "user_sessions"
SLOW = "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000000) b"


@pytest.fixture
def memory() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS a, 'x' || range AS b FROM range(20)")
    con.execute("CREATE SEQUENCE s")
    return con


# -- the fences, on a plain database ---------------------------------------------------------


@pytest.mark.parametrize("query", [
    "SELECT * FROM t", "  select a from t;  ", "WITH x AS (SELECT 1) SELECT * FROM x",
    "FROM t", "VALUES (1, 2)", "DESCRIBE t", "SHOW TABLES", "SUMMARIZE t",
    "SELECT * FROM t -- a comment",
])
def test_read_statements_are_accepted(memory: duckdb.DuckDBPyConnection, query: str) -> None:
    sql.classify(memory, query)  # no exception


@pytest.mark.parametrize(("query", "reason"), [
    ("INSERT INTO t VALUES (1, 'y')", "INSERT statements are refused"),
    ("UPDATE t SET a = 0", "UPDATE statements are refused"),
    ("DELETE FROM t", "DELETE statements are refused"),
    ("DROP TABLE t", "DROP statements are refused"),
    ("CREATE TABLE u (a INT)", "CREATE statements are refused"),
    ("CREATE TEMP TABLE u AS SELECT 1", "CREATE statements are refused"),
    ("ALTER TABLE t ADD COLUMN c INT", "ALTER statements are refused"),
    ("COPY t TO '/tmp/x.csv'", "COPY statements are refused"),
    ("ATTACH '/tmp/other.duckdb'", "ATTACH statements are refused"),
    ("SET threads = 1", "SET statements are refused"),
    ("PRAGMA memory_limit = '1GB'", "SET statements are refused"),  # DuckDB parses it so
    ("PRAGMA table_info('t')", "PRAGMA statements are refused"),
    ("CALL checkpoint()", "CALL statements are refused"),
    ("CHECKPOINT", "CALL statements are refused"),
    ("EXPORT DATABASE '/tmp/x'", "EXPORT statements are refused"),
    ("INSTALL httpfs", "LOAD statements are refused"),
    ("BEGIN", "TRANSACTION statements are refused"),
    ("EXPLAIN ANALYZE DELETE FROM t", "EXPLAIN statements are refused"),
    ("SELECT 1; DROP TABLE t", "one statement at a time (2 given)"),
    ("SELECT 1; SELECT 2", "one statement at a time (2 given)"),
    ("selec 1", "not valid SQL: Parser Error: syntax error"),
    ("", "no statement given"),
    ("  ;  ", "no statement given"),
])
def test_anything_but_one_read_statement_is_refused(
    memory: duckdb.DuckDBPyConnection, query: str, reason: str
) -> None:
    with pytest.raises(sql.Refused) as refused:
        sql.run(memory.cursor(), query, timeout=5, max_rows=10)
    assert str(refused.value).startswith(reason)
    assert "\n" not in str(refused.value)
    assert memory.execute("SELECT count(*) FROM t").fetchall() == [(20,)]


def test_a_select_that_would_write_fails_in_the_read_only_transaction(
    memory: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(sql.Failed, match="read-only"):
        sql.run(memory.cursor(), "SELECT nextval('s')", timeout=5, max_rows=10)
    assert memory.execute("SELECT nextval('s')").fetchall() == [(1,)]  # it never advanced


def test_the_sandbox_keeps_files_out_and_registered_arrow_in(
    memory: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("key\nhunter2\n")
    assert sql.run(memory.cursor(), f"SELECT * FROM '{secret}'", timeout=5, max_rows=10).rows
    sql.sandbox(memory)
    for query in (f"SELECT * FROM '{secret}'", f"SELECT * FROM read_csv('{secret}')",
                  f"SELECT * FROM read_text('{secret}')", "SELECT * FROM glob('/etc/*')"):
        with pytest.raises(sql.Failed):
            sql.run(memory.cursor(), query, timeout=5, max_rows=10)
    cursor = memory.cursor()  # the daemon's own SQL reads Arrow tables it registers: still fine
    cursor.register("rows", pa.table({"n": [1, 2]}))
    assert cursor.execute("SELECT sum(n) FROM rows").fetchall() == [(3,)]


def test_the_timeout_interrupts_the_query_and_the_connection_goes_on(
    memory: duckdb.DuckDBPyConnection,
) -> None:
    con = memory.cursor()
    with pytest.raises(sql.TimedOut, match=r"interrupted after 0.3 s \(sql_timeout\)"):
        sql.run(con, SLOW, timeout=0.3, max_rows=10)
    assert sql.run(con, "SELECT count(*) FROM t", timeout=0.3, max_rows=10).rows == [[20]]


def test_rows_are_capped_and_the_cut_is_said(memory: duckdb.DuckDBPyConnection) -> None:
    answer = sql.run(memory.cursor(), "SELECT a FROM t ORDER BY a DESC", timeout=5, max_rows=3)
    assert (answer.rows, answer.truncated) == ([[19], [18], [17]], True)
    assert sql.render(answer, "table").endswith("(3 rows, more were cut at sql_max_rows)\n")
    whole = sql.run(memory.cursor(), "SELECT a FROM t", timeout=5, max_rows=20)
    assert (len(whole.rows), whole.truncated) == (20, False)


def test_every_type_renders_as_json_csv_and_a_table(memory: duckdb.DuckDBPyConnection) -> None:
    query = """SELECT 1::HUGEINT * 170141183460469231731687303715884105727 AS big,
                      1.25::DECIMAL(10, 2) AS price, TIMESTAMPTZ '2026-03-02 10:00:00+02' AS at,
                      DATE '2026-03-02' AS day, ['a', 'b'] AS tags, {'k': 1} AS s,
                      NULL AS nothing, 'two\nlines' AS text, '\\x01'::BLOB AS raw"""
    answer = sql.run(memory.cursor(), query, timeout=5, max_rows=10)
    body = orjson.loads(sql.render(answer, "json"))
    assert body["rows"] == [{
        "big": "170141183460469231731687303715884105727", "price": 1.25,
        "at": "2026-03-02T08:00:00+00:00", "day": "2026-03-02", "tags": ["a", "b"],
        "s": {"k": 1}, "nothing": None, "text": "two\nlines", "raw": "01"}]
    assert body["columns"][:3] == ["big", "price", "at"] and body["truncated"] is False
    assert sql.render(answer, "csv").splitlines()[1].startswith(
        '170141183460469231731687303715884105727,1.25,2026-03-02T08:00:00+00:00,2026-03-02,'
        '"[""a"",""b""]"')
    table = sql.render(answer, "table")
    assert "two\\nlines" in table and "NULL" in table and table.endswith("(1 row)\n")
    assert sql.Answer.from_wire(orjson.loads(orjson.dumps(answer.to_wire()))).rows == answer.rows


# -- the public views --------------------------------------------------------------------------


def test_the_public_views_come_by_migration_to_an_existing_state_file(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    steps = usage_schema.MIGRATIONS
    prepare(con, [("processor:usage", steps[:steps.index(usage_schema.PUBLIC_VIEWS)])])
    con.execute("INSERT INTO usage_calls (session_file, username, ts, day, model, message_id, "
                "input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, "
                "cache_creation_5m, cache_creation_1h, total_tokens) VALUES ('u/a.jsonl', 'u', "
                "TIMESTAMPTZ '2026-03-02 10:00:00+00', DATE '2026-03-02', 'm', 'msg', 1, 2, 3, "
                "4, 3, 0, 10)")
    prepare(con, [("processor:usage", usage_schema.MIGRATIONS)])
    rows = con.execute("SELECT day, username, model, api_calls, total_tokens "
                       "FROM public_usage_daily").fetchall()
    assert rows == [(dt.date(2026, 3, 2), "u", "m", 1, 10)]
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'public_sessions'").fetchall())
    assert "HUGEINT" not in types.values()  # every column has a Parquet type


# -- through the daemon, and on the file ----------------------------------------------------------


def _start(root: Path, state: Path, tmp_path: Path, extra: str = "") -> Daemon:
    config = tmp_path / "sessiond.toml"
    config.write_text(f"settle = 0.05\nmax_delay = 0.2\n{extra}")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", "usage,verification")
    d.wait_for("daemon.ready")
    return d


def _caught_up(state: Path, root: Path) -> bool:
    body = orjson.loads(cli("status", "--json", "--state", str(state), "--root", str(root)).stdout)
    return all(p["bytes_behind"] == 0 and p["files_pending"] == 0
               for p in body["processors"].values())


def _sql(state: Path, query: str, *more: str) -> subprocess.CompletedProcess[bytes]:
    return cli("sql", query, "--state", str(state), *more)


def _users(state: Path) -> dict[str, int]:
    """Per-user total tokens as the usage report gives them."""
    body = orjson.loads(cli("report", "usage", "--by", "user", "--json",
                            "--state", str(state)).stdout)
    return {u["user"]: u["totalTokens"] for u in body["users"]}


def test_sql_through_a_running_daemon(state: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(SAMPLE, root)
    d = _start(root, state, tmp_path, "sql_max_rows = 5\nsql_timeout = 1\n")
    try:
        wait_until(lambda: _caught_up(state, root), what="the sample to be processed")
        result = _sql(state, "SELECT username, sum(total_tokens) AS tokens FROM public_usage_daily "
                             "GROUP BY username ORDER BY username", "--format", "json")
        assert result.returncode == 0, result.stderr
        rows = orjson.loads(result.stdout)["rows"]
        assert {r["username"]: r["tokens"] for r in rows} == _users(state)
        assert sum(r["tokens"] for r in rows) == 988_986  # the README's figure for the sample

        csv = _sql(state, "SELECT username, count(*) AS n FROM public_sessions GROUP BY 1 "
                          "ORDER BY 1", "--format", "csv")
        assert csv.stdout.decode().splitlines()[0] == "username,n" and csv.returncode == 0

        for statement in ("DELETE FROM usage_calls", "DROP VIEW public_usage_daily",
                          "COPY usage_calls TO '/tmp/out.csv'", "SELECT 1; DELETE FROM usage_calls"):
            refused = _sql(state, statement)
            assert refused.returncode == 2, statement
            assert refused.stdout == b"" and len(refused.stderr.splitlines()) == 1
        refused = _sql(state, "SELECT * FROM read_text('/etc/passwd')")
        assert refused.returncode == 2 and b"disabled by configuration" in refused.stderr
        assert _sql(state, "SELECT count(*) FROM public_usage_calls").stdout.split()[-3] == b"62"

        capped = _sql(state, "SELECT * FROM public_usage_calls", "--format", "json")
        body = orjson.loads(capped.stdout)
        assert (len(body["rows"]), body["truncated"], capped.returncode) == (5, True, 0)
        assert b"only the first 5 rows" in capped.stderr

        probe = ("import sys\n"
                 "from sessiond.daemon.cli import main\n"
                 f"code = main(['sql', 'SELECT 1', '--state', {str(state)!r}])\n"
                 "print([m for m in ('duckdb', 'pyarrow') if m in sys.modules], file=sys.stderr)\n"
                 "raise SystemExit(code)\n")
        light = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                               timeout=60, check=False)
        assert (light.returncode, light.stderr) == (0, b"[]\n")  # the daemon ran it: no duckdb here

        slow = _sql(state, SLOW)
        assert slow.returncode == 1 and b"interrupted after 1 s" in slow.stderr
        d.wait_for("sql.timeout")
        assert _sql(state, "SELECT 42").returncode == 0  # the daemon goes on

        audits = [a for a in d.named("audit") if a["action"] == "sql"]
        assert [a["status"] for a in audits] == [200, 200] + [400] * 5 + [200, 200, 200, 408, 200]
        assert all(a["params"]["query"] and a["uid"] >= 0 for a in audits)
        assert all(a["result"] is None for a in audits if a["status"] == 200)  # no rows logged
        assert d.wait_for("sql.query", count=6)[2]["rows"] == 1
    finally:
        assert d.stop() == 0


def test_a_query_running_for_seconds_does_not_hold_the_writer(state: Path, tmp_path: Path,
                                                             root: Path) -> None:
    timeout = 3.0
    d = _start(root, state, tmp_path, f"sql_timeout = {timeout}\n")
    try:
        query = subprocess.Popen([sys.executable, "-m", "sessiond", "sql", SLOW,
                                  "--state", str(state)], cwd=REPO, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        appended = threading.Event()
        n = 0
        while query.poll() is None:  # commits keep coming while the query runs
            append(root / "u" / "live.jsonl", jsonl({"type": "user", "uuid": f"u{n}"}))
            n += 1
            appended.wait(0.2)
        _, err = query.communicate()
        assert query.returncode == 1 and b"interrupted" in err
        timed_out = d.wait_for("audit", lambda e: e["action"] == "sql")[0]
        ended = dt.datetime.fromisoformat(timed_out["timestamp"])
        began = ended - dt.timedelta(seconds=timeout)
        during = [e for e in d.named("processor.committed")
                  if began + dt.timedelta(seconds=0.3) < dt.datetime.fromisoformat(e["timestamp"])
                  < ended - dt.timedelta(seconds=0.3)]
        assert len(during) >= 3, (n, during)
        assert d.named("<non-json>") == []  # no progress bar drawn into the log
    finally:
        assert d.stop() == 0


def test_sql_on_the_state_file_when_no_daemon_runs(state: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(SAMPLE, root)
    assert run_once("--root", str(root), "--state", str(state),
                    "--processors", "usage,verification").returncode == 0
    result = _sql(state, "SELECT count(*) AS items FROM public_knowledge_items "
                         "k JOIN public_knowledge_evidence e ON e.item_id = k.id", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout)["rows"] == [{"items": 3}]
    refused = _sql(state, "UPDATE knowledge_items SET status = 'approved'")
    assert refused.returncode == 2 and refused.stderr.startswith(b"sessiond: UPDATE statements")
    assert _sql(state, "SELECT * FROM read_text('/etc/passwd')").returncode == 2
    slow = cli("sql", SLOW, "--state", str(state), "--format", "csv",
               env={"SESSIOND_SQL_TIMEOUT": "2.5"})  # past DuckDB's progress bar's 2 s
    assert (slow.returncode, slow.stdout) == (1, b"")
    assert slow.stderr == b"sessiond: the query was interrupted after 2.5 s (sql_timeout)\n"
    # the file was held only for the query: a daemon can take it at once
    assert run_once("--root", str(root), "--state", str(state),
                    "--processors", "usage,verification").returncode == 0
    missing = cli("sql", "SELECT 1", "--state", str(tmp_path / "none.duckdb"))
    assert missing.returncode == 2 and b"does not exist" in missing.stderr


def test_decimal_cells_are_numbers(memory: duckdb.DuckDBPyConnection) -> None:
    answer = sql.run(memory.cursor(), "SELECT sum(a)::DECIMAL(18, 6) / 3 AS third FROM t",
                     timeout=5, max_rows=1)
    assert isinstance(answer.rows[0][0], float)
    assert answer.rows[0][0] == pytest.approx(float(decimal.Decimal(190) / 3))
