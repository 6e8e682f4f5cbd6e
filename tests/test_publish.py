"""Parquet snapshots: written atomically by the daemon after commits, read by other processes,
and many hosts' snapshots read as one (`report ... --from DIR`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow.parquet as pq
import pytest

from sessiond.daemon import client, publish
from sessiond.daemon.cli import main
from sessiond.daemon.config import SettingsError
from sessiond.daemon.publish import FILE, SnapshotError
from sessiond.daemon.registry import load
from sessiond.daemon.service import Service
from sessiond.daemon.settings import load_settings
from sessiond.daemon.snapshots import open_snapshots
from tests.harness import REPO, Daemon, append, cli, fast_settings, jsonl, run_once, wait_until

SAMPLE = REPO / "examples" / "user_sessions"
VIEWS = ["public_knowledge_evidence", "public_knowledge_items", "public_sessions",
         "public_tool_events", "public_usage_calls", "public_usage_daily", "public_usage_records"]
# The README's query: per-user tokens over every host's snapshot, each API call once.
PER_USER = """
SELECT username, sum(total_tokens) AS tokens
FROM (
    SELECT * FROM read_parquet('{dir}/public_usage_calls/*/*.parquet',
                               hive_partitioning = true, hive_types = {{'host': 'VARCHAR'}})
    QUALIFY message_id IS NULL OR row_number() OVER (
        PARTITION BY username, message_id, request_id
        ORDER BY total_tokens DESC NULLS LAST, coalesce(is_sidechain, false), ts NULLS LAST,
                 session_file, line_no, host) = 1
)
GROUP BY username ORDER BY username
"""


def call(i: int, *, session: str, output: int, request: str | None = None,
         minute: int = 0) -> dict[str, Any]:
    """An assistant record of API call ``i`` (``msg_<i>``): the same call written again (a
    resumed session's copy, or the final record after a placeholder) shares its ids."""
    return {
        "type": "assistant", "uuid": f"{session}-{i}-{output}", "sessionId": session,
        "timestamp": f"2026-03-02T10:{minute:02d}:00.000Z", "requestId": request or f"req_{i}",
        "message": {"id": f"msg_{i}", "model": "claude-sonnet-4-5-20250929", "role": "assistant",
                    "content": [{"type": "text", "text": "ok"}],
                    "usage": {"input_tokens": 10, "output_tokens": output,
                              "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000}},
    }


def build_state(root: Path, state: Path) -> None:
    processors = load(("usage", "verification"), {})
    assert Service(fast_settings(root, state), processors).run_once() == 0


@pytest.fixture
def sample_state(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(SAMPLE, root)
    state = tmp_path / "state" / "state.duckdb"
    build_state(root, state)
    return state


@pytest.fixture
def reader(sample_state: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(sample_state), read_only=True)
    yield con
    con.close()


def snapshot_ids(directory: Path, host: str) -> dict[str, str]:
    return {view: pq.read_metadata(directory / view / f"host={host}" / FILE)
            .metadata[b"sessiond.snapshot"].decode() for view in VIEWS}


# -- writing ------------------------------------------------------------------------------------


def test_a_publish_writes_every_public_view_from_one_snapshot(
    reader: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    out = tmp_path / "pub"
    snap = publish.publish(reader.cursor(), out, "h1")
    assert sorted(snap.views) == VIEWS
    for view in VIEWS:
        table = pq.read_table(out / view / "host=h1" / FILE)
        assert table.num_rows == snap.views[view] == reader.execute(
            f"SELECT count(*) FROM {view}").fetchall()[0][0]
        assert table.schema.names == [r[0] for r in reader.execute(f"DESCRIBE {view}").fetchall()]
    assert set(snapshot_ids(out, "h1").values()) == {snap.at}
    assert snap.views["public_usage_calls"] == 62
    assert not list(out.rglob(".*"))  # no temporary file left


def test_the_views_of_a_publish_agree_while_the_writer_commits(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(SAMPLE, root)
    state = tmp_path / "state.duckdb"
    build_state(root, state)
    con = duckdb.connect(str(state))
    stop = threading.Event()

    def commits() -> None:  # one call more per transaction, as the writer would
        writer = con.cursor()
        n = 0
        while not stop.is_set():
            writer.execute("INSERT INTO usage_calls SELECT * REPLACE (? AS message_id) "
                           "FROM usage_calls LIMIT 1", [f"extra-{n}"])
            n += 1

    thread = threading.Thread(target=commits)
    thread.start()
    try:
        for _ in range(5):
            publish.publish(con.cursor(), tmp_path / "pub", "h")
            calls = pq.read_table(tmp_path / "pub" / "public_usage_calls" / "host=h" / FILE)
            daily = pq.read_table(tmp_path / "pub" / "public_usage_daily" / "host=h" / FILE)
            assert calls.num_rows == sum(daily.column("api_calls").to_pylist())
    finally:
        stop.set()
        thread.join()
        con.close()
    assert calls.num_rows > 62  # the writer did commit meanwhile


def test_a_failed_publish_leaves_the_previous_snapshot_whole(
    reader: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "pub"
    first = publish.publish(reader.cursor(), out, "h1")
    written = publish._write
    calls = []

    def disk_full(con: Any, view: str, path: Path, metadata: Any) -> int:
        calls.append(view)
        if len(calls) == 3:
            path.write_bytes(b"PAR1 half a file")
            raise OSError(28, "No space left on device")
        return written(con, view, path, metadata)

    monkeypatch.setattr(publish, "_write", disk_full)
    with pytest.raises(SnapshotError, match="No space left on device"):
        publish.publish(reader.cursor(), out, "h1")
    assert set(snapshot_ids(out, "h1").values()) == {first.at}
    assert not list(out.rglob(".*"))
    assert reader.execute("SELECT 1").fetchall() == [(1,)]  # its transaction was rolled back


def test_a_view_the_state_no_longer_has_leaves_the_snapshot(
    reader: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    out = tmp_path / "pub"
    (out / "public_gone" / "host=h1").mkdir(parents=True)
    (out / "public_gone" / "host=h1" / FILE).write_bytes(b"old")
    (out / "public_gone" / "host=h2").mkdir(parents=True)
    (out / "public_gone" / "host=h2" / FILE).write_bytes(b"another host's")
    publish.publish(reader.cursor(), out, "h1")
    assert not (out / "public_gone" / "host=h1" / FILE).exists()
    assert (out / "public_gone" / "host=h2" / FILE).exists()  # not ours to remove


_READER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import pyarrow.parquet as pq
    path, stop = Path(sys.argv[1]), Path(sys.argv[2])
    seen, errors = set(), []
    while not stop.exists():
        try:
            with path.open("rb") as fh:  # one open: what a reader of one file gets
                parquet = pq.ParquetFile(fh)
                table = parquet.read()
                meta = parquet.metadata.metadata
        except FileNotFoundError:
            continue
        except Exception as exc:
            errors.append(repr(exc))
            continue
        seen.add((meta[b"sessiond.snapshot"].decode(), table.num_rows))
    print(json.dumps({"seen": sorted(seen), "errors": errors}))
""")


def test_a_reader_in_another_process_never_sees_a_partial_or_mixed_file(tmp_path: Path) -> None:
    small, big = tmp_path / "small", tmp_path / "big"
    shutil.copytree(SAMPLE / "bob", small / "root" / "bob")
    shutil.copytree(SAMPLE, big / "root")
    for tree in (small, big):
        build_state(tree / "root", tree / "state.duckdb")
    out, stop = tmp_path / "pub", tmp_path / "stop"
    path = out / "public_usage_calls" / "host=h" / FILE
    proc = subprocess.Popen([sys.executable, "-c", _READER, str(path), str(stop)],
                            stdout=subprocess.PIPE, text=True)
    published: dict[str, int] = {}
    try:
        cons = [duckdb.connect(str(t / "state.duckdb"), read_only=True) for t in (small, big)]
        for i in range(20):
            snap = publish.publish(cons[i % 2].cursor(), out, "h")
            published[snap.at] = snap.views["public_usage_calls"]
        for con in cons:
            con.close()
    finally:
        stop.touch()
        stdout, _ = proc.communicate(timeout=60)
    answer = orjson.loads(stdout)
    seen, errors = answer["seen"], answer["errors"]
    assert errors == []
    assert len(seen) > 5  # it did read while files were being replaced
    assert all(published[at] == rows for at, rows in seen)  # each file whole, of one publish
    assert len(set(published.values())) == 2  # two different snapshots, alternately


# -- reading many hosts -------------------------------------------------------------------------


def test_a_report_over_one_hosts_snapshot_is_the_report_over_its_state(
    sample_state: Path, reader: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    publish.publish(reader.cursor(), tmp_path / "pub", "h1")
    reader.close()
    reports = [["usage", "--by", by] for by in ("day", "month", "session", "user", "model",
                                                "tool", "plugin")] + [["verification", "--limit", "0"]]
    for report in reports:
        assert _report(*report, "--from", str(tmp_path / "pub")) == _report(
            *report, "--state", str(sample_state)), report
    by_cli = cli("report", "usage", "--by", "user", "--json", "--from", str(tmp_path / "pub"))
    assert by_cli.returncode == 0 and orjson.loads(by_cli.stdout) == _report(
        "usage", "--by", "user", "--state", str(sample_state))
    empty = cli("report", "usage", "--from", str(tmp_path))
    assert empty.returncode == 2 and b"no sessiond snapshot there" in empty.stderr


def test_a_hosts_views_are_read_from_one_publish(
    reader: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    out = tmp_path / "pub"
    publish.publish(reader.cursor(), out, "h1")
    kept = (out / "public_usage_daily" / "host=h1" / FILE).read_bytes()
    publish.publish(reader.cursor(), out, "h1")
    with open_snapshots(out, attempts=1) as snapshots:
        assert snapshots.mixed == [] and list(snapshots.hosts) == ["h1"]
        daily = snapshots.con.execute("SELECT count(*) FROM public_usage_daily").fetchall()
        # replaced meanwhile: what this connection reads stays the file it opened
        publish.publish(reader.cursor(), out, "h1")
        assert snapshots.con.execute("SELECT count(*) FROM public_usage_daily").fetchall() == daily
    (out / "public_usage_daily" / "host=h1" / FILE).write_bytes(kept)  # as if mid-publish
    with open_snapshots(out, attempts=2, pause=0) as snapshots:
        assert snapshots.mixed == ["h1"]
    mixed = cli("report", "usage", "--from", str(out))
    assert mixed.returncode == 0 and b"come from different publishes" in mixed.stderr
    (out / "public_usage_calls" / "host=h2").mkdir()
    (out / "public_usage_calls" / "host=h2" / FILE).write_bytes(b"not parquet")
    broken = cli("sql", "SELECT 1", "--from", str(out))
    assert broken.returncode == 2 and b"host=h2/data.parquet is no Parquet snapshot" in broken.stderr


def _trees(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Host a: alice and bob; host b: carol, a copy of one of alice's sessions (resumed into
    another file), and the final records of dave's calls whose placeholders are on host a.
    ``union``: every file of both, in one tree."""
    a, b, union = tmp_path / "a", tmp_path / "b", tmp_path / "union"
    for user, host in (("alice", a), ("bob", a), ("carol", b)):
        shutil.copytree(SAMPLE / user, host / user)
    copied = "e64040d1-e3fb-480b-aa18-ec77842a79ae.jsonl"
    (b / "alice").mkdir()
    shutil.copy(SAMPLE / "alice" / copied, b / "alice" / f"resumed-{copied}")
    append(a / "dave" / "s1.jsonl", jsonl(*(call(i, session="s1", output=1) for i in range(3))))
    append(b / "dave" / "s1-final.jsonl", jsonl(*(call(i, session="s1", output=500, minute=1)
                                                   for i in range(4))))
    interrupted = call(9, session="s1", output=0, minute=5)  # no API call, but activity
    interrupted["message"]["model"] = "<synthetic>"
    append(b / "dave" / "s1-final.jsonl", jsonl(interrupted))
    for host in (a, b):
        shutil.copytree(host, union, dirs_exist_ok=True)
    return a, b, union


def _host(tree: Path, tmp_path: Path, name: str, out: Path) -> Daemon:
    config = tmp_path / f"{name}.toml"
    config.write_text(f'settle = 0.05\nmax_delay = 0.2\npublish_dir = "{out}"\n'
                      f'publish_host = "{name}"\npublish_interval = 3600\n')
    state = tmp_path / name / "state.duckdb"
    d = Daemon("--root", str(tree), "--state", str(state), "--config", str(config),
               "--processors", "usage,verification")
    d.wait_for("daemon.ready")
    return d


def _usage(event: dict[str, Any]) -> bool:
    return bool(event["processor"] == "usage")


def _caught_up(state: Path, root: Path) -> bool:
    body = orjson.loads(cli("status", "--json", "--state", str(state), "--root", str(root)).stdout)
    return all(p["bytes_behind"] == 0 and p["files_pending"] == 0
               for p in body["processors"].values())


def _report(*args: str) -> dict[str, Any]:
    """``sessiond report ... --json`` run in this process (the same `cli.main`, without an
    interpreter's start-up per report: the comparisons below run a dozen)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["report", *args, "--json"])
    assert code == 0, out.getvalue()
    return orjson.loads(out.getvalue())  # type: ignore[no-any-return]


def _users(body: dict[str, Any]) -> dict[str, int]:
    return {u["user"]: u["totalTokens"] for u in body["users"]}


def test_two_daemons_two_trees_one_publish_folder(tmp_path: Path) -> None:
    a, b, union = _trees(tmp_path)
    out = tmp_path / "shared"
    hosts = {name: _host(tree, tmp_path, name, out) for name, tree in (("a", a), ("b", b))}
    try:
        for name, tree in (("a", a), ("b", b)):
            state = tmp_path / name / "state.duckdb"
            wait_until(lambda: _caught_up(state, tree), what=f"host {name} to catch up")  # noqa: B023
            done = cli("publish", "--json", "--state", str(state))  # through that daemon
            assert done.returncode == 0, done.stderr
            assert orjson.loads(done.stdout)["host"] == name
        per_host = {name: _users(_report("usage", "--by", "user", "--state",
                                         str(tmp_path / name / "state.duckdb")))
                    for name in hosts}
    finally:
        for d in hosts.values():
            assert d.stop() == 0
    assert sorted(p.name for p in (out / "public_usage_calls").iterdir()) == ["host=a", "host=b"]
    union_state = tmp_path / "union-state" / "state.duckdb"
    assert run_once("--root", str(union), "--state", str(union_state),
                    "--processors", "usage,verification").returncode == 0

    combined = _users(_report("usage", "--by", "user", "--from", str(out)))
    for user in ("bob", "carol"):  # on one host: the sum is that host's
        assert combined[user] == per_host["a"].get(user, 0) + per_host["b"].get(user, 0)
    assert combined["alice"] == per_host["a"]["alice"] < per_host["a"]["alice"] + per_host["b"]["alice"]
    assert combined["dave"] == 4 * (10 + 500 + 100 + 1000)  # each call once, its final record
    # the same answer as one host that had every file, every way the report groups
    for by in ("day", "month", "user", "model", "tool", "plugin"):
        assert _report("usage", "--by", by, "--from", str(out)) == _report(
            "usage", "--by", by, "--state", str(union_state)), by
    # sessions too, but for their message and tool counts: summed over the hosts that have a
    # session (the copied one is on both)
    sessions = _report("usage", "--by", "session", "--from", str(out))
    expected = _report("usage", "--by", "session", "--state", str(union_state))
    for body in (sessions, expected):
        for entry in body["sessions"]:
            entry.pop("summary")
        body.pop("session", None)  # the same entries under ccusage 20's name
    assert sessions == expected
    assert _report("verification", "--limit", "0", "--from", str(out)) == _report(
        "verification", "--limit", "0", "--state", str(union_state))

    per_day = "SELECT day, sum(api_calls) AS calls FROM public_usage_daily GROUP BY day ORDER BY day"
    over_hosts = cli("sql", per_day, "--from", str(out), "--format", "json")
    assert over_hosts.returncode == 0, over_hosts.stderr
    assert orjson.loads(over_hosts.stdout)["rows"] == orjson.loads(
        cli("sql", per_day, "--state", str(union_state), "--format", "json").stdout)["rows"]

    # another engine, in another process: the README's query gives the same per-user totals
    script = ("import duckdb, json; "
              f"print(json.dumps(dict(duckdb.sql('''{PER_USER.format(dir=out)}''').fetchall())))")
    plain = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True)
    assert orjson.loads(plain.stdout) == combined


def test_the_daemon_publishes_after_commits_at_most_once_per_interval(
    tmp_path: Path, state: Path,
) -> None:
    root, out, interval = tmp_path / "root", tmp_path / "pub", 1.0
    shutil.copytree(SAMPLE, root)
    config = tmp_path / "sessiond.toml"
    config.write_text(f'settle = 0.05\nmax_delay = 0.2\npublish_interval = {interval}\n'
                      'publish_host = "solo"\n')
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", "usage,verification", env={"SESSIOND_PUBLISH_DIR": str(out)})
    try:
        d.wait_for("daemon.ready")
        d.wait_for("publish.done", lambda e: e["views"]["public_usage_calls"] == 62)
        for i in range(8):  # commits faster than the interval
            before = len([e for e in d.named("processor.committed") if e["processor"] == "usage"])
            append(root / "erin" / "s.jsonl", jsonl(call(i, session="s", output=7)))
            d.wait_for("processor.committed", _usage, count=before + 1)
        last = d.wait_for("publish.done",
                          lambda e: e["views"]["public_usage_calls"] == 62 + 8)[-1]
        starts = [dt.datetime.fromisoformat(e["at"]) for e in d.named("publish.done")]
        # (`at` is taken a moment after the publish's start is: a few ms of slack)
        assert all(later - earlier >= dt.timedelta(seconds=interval * 0.9)
                   for earlier, later in itertools.pairwise(starts))
        assert len(starts) < 2 + 8  # commits were gathered, not one publish each

        # another process reads the files while the daemon runs: the same per-user totals
        script = "\n".join([
            "import duckdb, json, pyarrow.parquet as pq",
            f"daily = pq.read_table({str(out / 'public_usage_daily')!r})  # host= as a column",
            "sums = daily.group_by('username').aggregate([('total_tokens', 'sum')]).to_pylist()",
            f"plain = dict(duckdb.sql({PER_USER.format(dir=out)!r}).fetchall())",
            "print(json.dumps({'pyarrow': {r['username']: r['total_tokens_sum'] for r in sums},",
            "                  'duckdb': plain}))",
        ])
        other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert other.returncode == 0, other.stderr
        seen = orjson.loads(other.stdout)
        expected = _users(_report("usage", "--by", "user", "--state", str(state)))  # via daemon
        assert seen["pyarrow"] == seen["duckdb"] == expected
        assert expected["erin"] == 8 * (10 + 7 + 100 + 1000)
        code, body = client.request(state.parent / "sessiond.sock", "POST", "/report", {
            "name": "usage", "argv": orjson.dumps(["--from", str(out)]).decode()})
        assert code == 400 and "not by the daemon" in body["error"]  # not the daemon's to read
        now = cli("publish", "--state", str(state))
        assert now.returncode == 0 and b"as host=solo" in now.stdout
        assert [a["action"] for a in d.named("audit")].count("publish") == 1
        status = orjson.loads(cli("status", "--json", "--state", str(state),
                                  "--root", str(root)).stdout)
        assert status["publish"]["last"]["at"] > last["at"] and status["publish"]["error"] is None
    finally:
        assert d.stop() == 0


def test_a_publish_dir_that_cannot_be_written_is_logged_and_the_daemon_goes_on(
    tmp_path: Path, state: Path, root: Path,
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the folder should be")
    config = tmp_path / "sessiond.toml"
    config.write_text(f'settle = 0.05\npublish_dir = "{blocked}"\npublish_interval = 3600\n')
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", "usage")
    try:
        failed = d.wait_for("publish.failed")[0]
        assert failed["dir"] == str(blocked) and "Error" in failed["error"]
        append(root / "u" / "s.jsonl", jsonl(call(1, session="s", output=5)))
        d.wait_for("processor.committed")  # the daemon goes on
        now = cli("publish", "--state", str(state))
        assert now.returncode == 1 and now.stderr.startswith(b"sessiond: cannot publish to")
    finally:
        assert d.stop() == 0
    unset = cli("publish", "--state", str(state))  # no daemon, no publish_dir
    assert unset.returncode == 2 and b"publish_dir is not set" in unset.stderr
    offline = cli("publish", "--state", str(state), env={"SESSIOND_PUBLISH_DIR": str(tmp_path / "p")})
    assert offline.returncode == 0, offline.stderr
    assert (tmp_path / "p" / "public_usage_calls" / f"host={socket.gethostname()}" / FILE).exists()
    # run --once publishes at its end, and a publish that fails fails the run
    once = ("--root", str(root), "--state", str(state), "--processors", "usage")
    assert run_once(*once, env={"SESSIOND_PUBLISH_DIR": str(blocked)}).returncode == 1
    done = run_once(*once, env={"SESSIOND_PUBLISH_DIR": str(tmp_path / "q"),
                                "SESSIOND_PUBLISH_HOST": "batch"})
    assert done.returncode == 0 and (tmp_path / "q" / "public_usage_calls" / "host=batch" / FILE).exists()


def test_publish_settings() -> None:
    settings = load_settings({}, environ={"SESSIOND_PUBLISH_DIR": "/srv/share",
                                          "SESSIOND_PUBLISH_HOST": "web-1.eu"})
    assert (settings.publish_dir, settings.publish_host, settings.publish_interval) == (
        Path("/srv/share"), "web-1.eu", 300.0)
    assert load_settings({}, environ={}).publish_host == socket.gethostname()
    for bad in ("a/b", "host=x", "", "-x"):
        with pytest.raises(SettingsError, match="publish_host"):
            load_settings({}, environ={"SESSIOND_PUBLISH_HOST": bad})
