"""Operating a real running daemon through its control socket and the CLI."""

from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sessiond.daemon import client
from sessiond.daemon.cli import main as cli_main
from tests.harness import Daemon, append, cli, lines_of, query, wait_until


def start(root: Path, state: Path, tmp_path: Path, *processors: str, extra: str = "") -> tuple[Daemon, Path]:
    config = tmp_path / "sessiond.toml"
    config.write_text(f"settle = 0.05\nmax_delay = 0.5\nbackoff_base = 0.05\nbackoff_cap = 0.2\n{extra}")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", ",".join(processors))
    d.wait_for("control.started")
    d.wait_for("daemon.ready")
    return d, config


def ctl(state: Path, *args: str) -> tuple[int, bytes, bytes]:
    result = cli(*args, "--state", str(state))
    return result.returncode, result.stdout, result.stderr


def test_status_over_the_socket_and_sighup_reload_is_visible(root: Path, state: Path, tmp_path: Path) -> None:
    append(root / "u" / "a.jsonl", lines_of("a", 3))
    d, config = start(root, state, tmp_path, "tests.fakes:RecordingProcessor")
    try:
        sock = state.parent / "sessiond.sock"
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o660
        d.wait_for("processor.committed")
        code, out, err = ctl(state, "status", "--json", "--root", str(root))
        assert code == 0, err
        body = orjson.loads(out)
        assert body["daemon"]["running"] and body["daemon"]["pid"] == d.proc.pid
        assert body["health"] == "ok"
        p = body["processors"]["recording"]
        assert (p["files_tracked"], p["bytes_behind"], p["files_pending"]) == (1, 0, 0)
        assert body["scan"]["files"] == 1 and "missed_by_events" in body["scan"]
        assert body["config"]["reloads"] == 0 and body["config"]["settle"] == 0.05
        config.write_text(config.read_text().replace("settle = 0.05", "settle = 0.1")
                          + "[processor.recording]\ninterval = 7\n")
        d.signal(1)  # SIGHUP
        d.wait_for("config.reloaded")
        body = orjson.loads(ctl(state, "status", "--json", "--root", str(root))[1])
        assert body["config"]["reloads"] == 1 and body["config"]["settle"] == 0.1
        assert body["config"]["intervals"] == {"recording": 7.0}
        code, out, _ = ctl(state, "status", "--root", str(root))
        assert code == 0 and b"daemon: running" in out
    finally:
        assert d.stop() == 0
    assert not (state.parent / "sessiond.sock").exists()


def test_process_answers_busy_during_a_real_pass(root: Path, state: Path, tmp_path: Path) -> None:
    gate, entered = tmp_path / "gate", tmp_path / "entered"
    gate.touch()
    d, _ = start(root, state, tmp_path, "tests.fakes:GatedProcessor", "lines",
                 extra=f'[processor.gated]\ngate = "{gate}"\nentered = "{entered}"\n')
    try:
        append(root / "u" / "a.jsonl", lines_of("a", 2))
        wait_until(entered.exists, what="the gated pass to start")
        code, _, err = ctl(state, "process", "gated")
        assert code == 75, err
        assert b"running a pass" in err
        code, out, err = ctl(state, "process", "lines", "--json")  # another processor is not busy
        assert code == 0, err
        gate.unlink()
        d.wait_for("processor.committed", lambda e: e["processor"] == "gated")
        code, out, err = ctl(state, "process", "gated", "--json")
        assert code == 0, err
        body = orjson.loads(out)
        assert set(body) >= {"scanned", "processed", "skipped", "errors", "items_extracted", "errors_detail"}
        code, _, err = ctl(state, "process", "nope")
        assert code == 2 and b"gated" in err and b"lines" in err
        audits = d.wait_for("audit", count=3)
        assert {a["action"] for a in audits} == {"process"}
        assert all(a["uid"] == os.getuid() and "pid" in a for a in audits)
        assert [a["status"] for a in audits][:2] == [409, 200]
    finally:
        gate.unlink(missing_ok=True)
        assert d.stop() == 0


def test_reprocess_parked_retry_and_rescan(root: Path, state: Path, tmp_path: Path) -> None:
    for user in ("ann", "ben"):
        append(root / user / "a.jsonl", lines_of(user, 2))
    d, _ = start(root, state, tmp_path, "tests.fakes:RecordingProcessor", "tests.fakes:FailingProcessor",
                 extra="max_attempts = 1\n")
    try:
        d.wait_for("processor.parked", count=2)
        code, out, _ = ctl(state, "parked", "--json")
        assert code == 0
        assert sorted(p["file"] for p in orjson.loads(out)["parked"]) == ["ann/a.jsonl", "ben/a.jsonl"]
        code, out, _ = ctl(state, "status", "--json", "--root", str(root))
        assert code == 1 and any("parked" in r for r in orjson.loads(out)["problems"])
        code, out, _ = ctl(state, "retry", "failing", "--file", "ann/a.jsonl")
        assert code == 0 and b"1 file(s)" in out
        d.wait_for("processor.parked", count=3)  # it fails again, and parks again
        before = len(d.named("file.rewritten")) + len(d.named("file.appended"))
        code, out, _ = ctl(state, "reprocess", "recording", "--user", "ben")
        assert code == 0 and b"1 file(s)" in out
        wait_until(lambda: len(d.named("file.appended")) + len(d.named("file.rewritten")) > before)
        append(root / "cat" / "new.jsonl", lines_of("c", 1))
        assert ctl(state, "rescan")[0] == 0
        d.wait_for("file.appended", lambda e: e["processor"] == "recording" and e["file"] == "cat/new.jsonl")
        actions = [a["action"] for a in d.named("audit")]
        assert actions == ["retry", "reprocess", "rescan"]
    finally:
        assert d.stop() == 0
    rows = query(state, "SELECT session_file, count(*) FROM recorded GROUP BY 1 ORDER BY 1")
    assert rows == [("ann/a.jsonl", 2), ("ben/a.jsonl", 2), ("cat/new.jsonl", 1)]


def test_metrics_scrape_parses(root: Path, state: Path, tmp_path: Path) -> None:
    append(root / "u" / "a.jsonl", lines_of("a", 4))
    d, _ = start(root, state, tmp_path, "lines")
    try:
        d.wait_for("processor.committed")
        from sessiond.daemon.client import request

        code, text = request(state.parent / "sessiond.sock", "GET", "/metrics")
        assert code == 200
        families = {f.name: f for f in text_string_to_metric_families(text)}
        for name in ("sessiond_lines_processed", "sessiond_bytes_behind", "sessiond_commit_seconds",
                     "sessiond_scan_duration_seconds", "sessiond_scan_missed_by_events",
                     "sessiond_queue_depth", "sessiond_debounce_releases", "sessiond_files_parked"):
            assert name in families, name
        lines = {s.labels.get("processor"): s.value for s in families["sessiond_lines_processed"].samples
                 if s.name.endswith("_total")}
        assert lines == {"lines": 4.0}
    finally:
        assert d.stop() == 0


def test_every_log_line_is_one_json_object(root: Path, state: Path, tmp_path: Path) -> None:
    append(root / "u" / "a.jsonl", lines_of("a", 2) + b"{bad\n")
    d, _ = start(root, state, tmp_path, "lines", "tests.fakes:FailingProcessor", extra="max_attempts = 2\n")
    try:
        d.wait_for("processor.parked")
        d.signal(1)
        d.wait_for("config.reloaded")
    finally:
        assert d.stop() == 0
    assert len(d.events) > 10
    for e in d.events:
        assert e.get("event") != "<non-json>", e
        assert isinstance(e["event"], str) and e["level"] in {"debug", "info", "warning", "error"}
        assert e["timestamp"].endswith("Z")
    assert d.stderr == b""


def test_cli_without_a_daemon_works_on_the_state_file(root: Path, state: Path, tmp_path: Path) -> None:
    append(root / "u" / "a.jsonl", lines_of("a", 2))
    assert cli("run", "--once", "--root", str(root), "--state", str(state),
               "--processors", "tests.fakes:RecordingProcessor,tests.fakes:FailingProcessor").returncode == 1
    env = {"SESSIOND_PROCESSORS": "tests.fakes:RecordingProcessor,tests.fakes:FailingProcessor",
           "SESSIOND_ROOT": str(root), "SESSIOND_MAX_ATTEMPTS": "1"}
    code = cli("process", "failing", "--state", str(state), env=env).returncode
    assert code == 1  # fails again: attempts 2 >= max 1, parked
    listed = cli("parked", "--json", "--state", str(state), env=env)
    assert [p["file"] for p in orjson.loads(listed.stdout)["parked"]] == ["u/a.jsonl"]
    assert listed.stderr == b""  # its answer, not the offline service's processor.loaded lines
    assert cli("reprocess", "recording", "--state", str(state), env=env).returncode == 0
    assert query(state, "SELECT count(*) FROM recorded") == [(0,)]
    result = cli("process", "recording", "--json", "--state", str(state), env=env)
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout)["items_extracted"] == 2
    assert cli("rescan", "--state", str(state), env=env).returncode == 2  # needs a daemon


def test_reports_go_through_the_running_daemon(state: Path, tmp_path: Path) -> None:
    import shutil

    from tests.harness import REPO

    root = tmp_path / "sample"
    shutil.copytree(REPO / "examples" / "user_sessions", root)
    d, _ = start(root, state, tmp_path, "usage")
    try:
        d.wait_for("processor.committed")
        wait_until(lambda: orjson.loads(ctl(state, "status", "--json", "--root", str(root))[1])
                   ["processors"]["usage"]["bytes_behind"] == 0, what="usage to catch up")
        code, out, err = ctl(state, "report", "usage", "--by", "user", "--json")
        assert code == 0, err  # the daemon holds the database: this went through the socket
        body = orjson.loads(out)
        assert sorted(u["user"] for u in body["users"]) == ["alice", "bob", "carol"]
        code, _, err = ctl(state, "report", "usage", "--by", "nonsense")
        assert code == 2 and b"invalid choice" in err  # parsed by the daemon, a usage error here
        code, _, err = ctl(state, "report", "nope")
        assert code == 2 and b"no report 'nope'" in err
        code, _, err = ctl(state, "report", "usage", "--user", os.fsdecode(b"\xff"))
        assert code == 2 and b"not JSON text" in err  # an argument that is not UTF-8: said
    finally:
        assert d.stop() == 0
    offline = cli("report", "usage", "--by", "user", "--json", "--state", str(state))
    assert offline.returncode == 0 and orjson.loads(offline.stdout) == body


def test_the_client_tells_no_daemon_from_a_broken_answer(tmp_path: Path) -> None:
    # nothing listening: "no daemon" (the CLI then works on the state file itself); something
    # listening that closes without an HTTP answer: an error, not a silent fallback
    with pytest.raises(client.DaemonUnavailable):
        client.request(tmp_path / "none.sock", "GET", "/status")
    (tmp_path / "a-file").touch()
    with pytest.raises(client.DaemonUnavailable, match="Not a directory"):
        client.request(tmp_path / "a-file" / "sessiond.sock", "GET", "/status")
    # a path no Unix socket can have (the daemon serves none there: control.unavailable) is
    # no daemon too, not an OSError: the command goes on with the state file
    deep = tmp_path / ("d" * 120)
    with pytest.raises(client.DaemonUnavailable, match="too long for a Unix socket"):
        client.request(deep / "sessiond.sock", "GET", "/status")
    deep.mkdir()
    offline = cli("status", "--state", str(deep / "s.duckdb"), "--root", str(tmp_path))
    assert offline.returncode == 2 and b"s.duckdb does not exist" in offline.stderr, offline.stderr
    path = tmp_path / "mute.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)

        def answer(times: int) -> None:
            for _ in range(times):
                conn, _ = server.accept()
                conn.recv(1024)
                conn.close()

        thread = threading.Thread(target=answer, args=(2,))
        thread.start()
        with pytest.raises(client.DaemonUnreachable, match="gave no HTTP answer"):
            client.request(path, "GET", "/status", timeout=10)
        # the command says so in one line (exit 2), and does not open the state file
        told = cli("status", "--socket", str(path), "--state", str(tmp_path / "s.duckdb"))
        thread.join(timeout=10)
    assert told.returncode == 2 and told.stderr.startswith(b"sessiond: the daemon on "), told.stderr


def test_a_socket_that_is_not_this_users_is_said_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The socket is mode 0660 (the daemon's user and group): another user's command cannot
    connect. As root every connect succeeds, so the refusal is made at the seam."""
    class Refused(socket.socket):
        def connect(self, address: Any) -> None:
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(client.socket, "socket", Refused)
    with pytest.raises(client.DaemonUnreachable, match=r"Permission denied .*user and group"):
        client.request(tmp_path / "sessiond.sock", "GET", "/status")
    assert cli_main(["status", "--state", str(tmp_path / "s.duckdb")]) == 2
    assert capsys.readouterr().err.startswith("sessiond: cannot talk to the daemon on ")


def test_the_audit_keeps_an_answers_small_fields_not_a_reports_text_or_rows() -> None:
    from sessiond.daemon.control import _audited

    assert _audited({"output": "secret report", "exit": 0}) == {"exit": 0}
    assert _audited({"rows": [[1]], "truncated": False}) == {"truncated": False}
    assert _audited(b"# metrics") is None
