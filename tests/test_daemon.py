"""Integration: ``sessiond`` as a real subprocess -- signals, --once, crashes, CLI errors."""

from __future__ import annotations

import signal
from pathlib import Path

import orjson
import pytest

from sessiond.daemon import events
from tests.harness import REPO, Daemon, append, cli, lines_of, query, run_once, wait_until

SAMPLE = REPO / "examples" / "user_sessions"


def test_sighup_rescans_and_sigterm_exits_cleanly(root: Path, state: Path) -> None:
    d = Daemon("--root", str(root), "--state", str(state), "--no-watch", "--scan-interval", "3600",
               "--processors", "tests.fakes:RecordingProcessor")
    try:
        d.wait_for("daemon.ready")
        append(root / "u" / "a.jsonl", lines_of("a", 3))
        d.signal(signal.SIGHUP)
        d.wait_for("config.reloaded")
        d.wait_for("processor.committed", lambda e: e["items"] == 3)
    finally:
        rc = d.stop()
    assert rc == 0
    assert d.named("daemon.stopped")
    assert query(state, "SELECT count(*) FROM recorded") == [(3,)]


def test_once_processes_everything_and_reports(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", lines_of("a", 5) + b"{not json\n" + b'{"partial":')
    result = run_once("--root", str(root), "--state", str(state), "--processors",
                      "tests.fakes:RecordingProcessor")
    assert result.returncode == 0, result.stderr
    events = [orjson.loads(x) for x in result.stdout.splitlines()]
    summary = next(e for e in events if e["event"] == "run.summary")
    assert summary["processors"]["recording"]["items_extracted"] == 5
    assert summary["processors"]["recording"]["bad_lines"] == 1
    bad = [e for e in events if e["event"] == "line.malformed"]
    assert [(b["file"], b["line"], b["kind"]) for b in bad] == [("u/a.jsonl", 6, "malformed_json")]
    assert query(state, "SELECT offset_bytes, lines, bad_lines FROM session_processor_state") == [
        (len(lines_of("a", 5)) + len(b"{not json\n"), 6, 1)]


def test_once_exits_1_when_a_processor_fails(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", lines_of("a", 1))
    result = run_once("--root", str(root), "--state", str(state), "--processors",
                      "lines,tests.fakes:FailingProcessor")
    assert result.returncode == 1
    assert query(state, "SELECT count(*) FROM lines") == [(1,)]


@pytest.mark.parametrize("batches", [
    "batch_files = 1\n",  # many small transactions, each file read in the worker's thread
    # read in the pool, each batch's commit overlapping the next one's reading
    "batch_files = 4\nparse_workers = 2\nparse_min_bytes = 1\n",
], ids=["thread", "pool"])
def test_kill_9_mid_backfill_loses_and_duplicates_nothing(
        root: Path, state: Path, tmp_path: Path, batches: str) -> None:
    files, per_file = 40, 400
    for i in range(files):
        append(root / f"user{i % 4}" / f"s{i}.jsonl", lines_of(f"s{i}", per_file, pad=200))
    config = tmp_path / "small-batches.toml"
    config.write_text(batches + "pass_bytes = 16384\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", "tests.fakes:RecordingProcessor")
    d.wait_for("processor.committed", count=20)
    children = _children(d.proc.pid)
    assert bool(children) == ("parse_workers" in batches)  # the pool's processes
    d.kill9()
    # they end too: nobody could stop them, and they hold the daemon's stdout and stderr
    wait_until(lambda: not any(_alive(pid) for pid in children), timeout=10,
               what="the pool's processes to end after the daemon's SIGKILL")
    _finished_exactly_once(root, state, files, per_file)


def test_kill_9_while_a_backlog_defers_checkpoints_loses_and_duplicates_nothing(
        root: Path, state: Path, tmp_path: Path) -> None:
    """Commits of `store.BULK_ROWS` rows or more raise DuckDB's checkpoint threshold, so what
    the backlog committed stays in the WAL until the writer settles: a kill in that state
    replays the WAL at the next start, and every line is then recorded once."""
    files, per_file = 96, 400  # batches of 16 files: commits of 6,400 rows
    for i in range(files):
        append(root / f"user{i % 4}" / f"s{i}.jsonl", lines_of(f"s{i}", per_file, pad=200))
    config = tmp_path / "large-batches.toml"
    config.write_text("batch_files = 16\nparse_workers = 0\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", "tests.fakes:RecordingProcessor")
    d.wait_for(events.BACKLOG, timeout=60)
    d.kill9()
    assert not d.named(events.SETTLED)  # killed with the threshold raised
    _finished_exactly_once(root, state, files, per_file)


def test_a_thread_that_dies_stops_the_daemon_with_exit_1(root: Path, state: Path, tmp_path: Path) -> None:
    """A bug outside every guard ends a worker's thread (here `SystemExit` from a processor:
    nothing catches it). Running on without that thread would look healthy and process
    nothing for that processor: the daemon says so (`daemon.thread_died`), stops cleanly and
    exits 1, which systemd restarts (Restart=on-failure); the other processor loses nothing."""
    append(root / "u" / "a.jsonl", lines_of("a", 3))
    config = tmp_path / "threads.toml"
    config.write_text("parse_workers = 0\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", "tests.fakes:RecordingProcessor,tests.fakes:ExitingProcessor")
    died = d.wait_for(events.DAEMON_THREAD_DIED)
    assert died[0]["threads"] == ["worker-exiting"]
    assert d.proc.wait(timeout=30) == 1
    d.wait_for(events.DAEMON_STOPPED)  # a clean stop: the other threads drained
    assert d.stop() == 1
    # what the other processor had not committed yet is there for the next start, once
    again = run_once("--root", str(root), "--state", str(state), "--processors",
                     "tests.fakes:RecordingProcessor")
    assert again.returncode == 0, again.stderr
    assert query(state, "SELECT line_no FROM recorded ORDER BY line_no") == [(1,), (2,), (3,)]


def _finished_exactly_once(root: Path, state: Path, files: int, per_file: int) -> None:
    """After a kill mid-backfill: some lines were recorded, then `run --once` records the rest,
    and each line of ``files`` files of ``per_file`` lines is recorded once."""
    partial = query(state, "SELECT count(*) FROM recorded")[0][0]
    assert 0 < partial < files * per_file, "the kill must land in the middle of the backfill"
    result = run_once("--root", str(root), "--state", str(state), "--processors",
                      "tests.fakes:RecordingProcessor")
    assert result.returncode == 0, result.stderr
    rows = query(state, "SELECT session_file, line_no, content FROM recorded")
    assert len(rows) == files * per_file
    assert len({(r[0], r[1]) for r in rows}) == len(rows)  # no duplicates
    expected = {(f"user{i % 4}/s{i}.jsonl", n + 1) for i in range(files) for n in range(per_file)}
    assert {(r[0], r[1]) for r in rows} == expected  # none missing
    assert all(orjson.loads(r[2])["n"] == r[1] - 1 for r in rows)


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; whoever adopted it reaps it


def test_a_second_daemon_on_the_same_state_refuses(root: Path, state: Path) -> None:
    d = Daemon("--root", str(root), "--state", str(state), "--processors", "lines")
    try:
        d.wait_for("daemon.ready")
        second = run_once("--root", str(root), "--state", str(state), "--processors", "lines")
        assert second.returncode == 2
        assert b"in use by another process" in second.stderr
        assert len(second.stderr.decode().strip().splitlines()) == 1
    finally:
        assert d.stop() == 0


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("settle = 'soon'\n")
    result = cli("run", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.decode().strip() == f"sessiond: {config}: settle: expected a number, got 'soon'"
    result = cli("run", "--config", str(tmp_path / "bad.toml"), "--processors", "nope")
    assert result.returncode == 2


def test_status_reports_nothing_behind_after_once_on_the_sample(tmp_path: Path) -> None:
    state = tmp_path / "state.duckdb"
    result = run_once("--root", str(SAMPLE), "--state", str(state))
    assert result.returncode == 0, result.stderr
    status = cli("status", "--root", str(SAMPLE), "--state", str(state), "--json")
    assert status.returncode == 2, status.stderr  # no daemon runs: "down", figures from the file
    body = orjson.loads(status.stdout)
    assert body["health"] == "down" and body["daemon"] == {"running": False}
    assert body["processors"], "no processor reported"
    for name, p in body["processors"].items():
        assert p["bytes_behind"] == 0, name
        assert p["files_pending"] == 0 and p["files_tracked"] > 0, name
    text = cli("status", "--root", str(SAMPLE), "--state", str(state))
    assert b"not running" in text.stdout and text.returncode == 2


def test_a_daemon_past_restart_rss_restarts_in_place_and_loses_nothing(root: Path, state: Path) -> None:
    """Its resident size above ``restart_rss`` (and grown by a quarter of it since ready): a
    clean stop, then the same process execs a fresh daemon, which goes on from the cursors."""
    append(root / "u" / "a.jsonl", lines_of("a", 3))
    d = Daemon("--root", str(root), "--state", str(state), "--scan-interval", "3600",
               "--processors", "tests.fakes:RecordingProcessor", env={"SESSIOND_RESTART_RSS": "1MB"})
    try:
        d.wait_for("daemon.ready")
        for i in range(2):  # work grows the process past 1 MB + 256 KB of its size when ready
            append(root / "u" / f"b{i}.jsonl", lines_of(f"b{i}", 200, pad=2000))
        restarting = d.wait_for("daemon.restarting", timeout=30)[0]
        assert restarting["rss"] > restarting["rss_when_ready"] + 250_000
        d.wait_for("daemon.stopped")
        d.wait_for("daemon.ready", count=2, timeout=30)  # the same process (its pipes), again
        assert d.proc.poll() is None
        append(root / "u" / "a.jsonl", lines_of("c", 2))
        wait_until(lambda: query_live(state) == 405, timeout=30, what="every line once")
    finally:
        rc = d.stop()
    assert rc == 0
    assert query(state, "SELECT count(*), count(DISTINCT content) FROM recorded") == [(405, 405)]


def query_live(state: Path) -> int:
    """Rows committed so far, read through the daemon (it holds the file)."""
    result = cli("sql", "SELECT count(*) AS n FROM recorded", "--format", "json",
                 "--state", str(state))
    return int(orjson.loads(result.stdout)["rows"][0]["n"]) if result.returncode == 0 else -1
