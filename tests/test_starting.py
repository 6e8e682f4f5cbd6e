"""A monitoring check can't keep the daemon down: the daemon waits for a short-lived reader of the
state file, and a command that finds a daemon starting asks it instead of opening the file."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest
from structlog.testing import capture_logs

from sessiond.daemon import events
from sessiond.daemon.service import Service
from sessiond.daemon.starting import marker_path, starting
from tests.fakes import RecordingProcessor
from tests.harness import REPO, append, cli, fast_settings, jsonl, running, wait_until

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
sys.stdin.readline()  # holds the file until told (a line, or stdin closed)
"""


def _tree(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", jsonl({"type": "user", "uuid": "a", "n": 1}))
    assert Service(fast_settings(root, state), [RecordingProcessor()]).run_once() == 0


def test_the_daemon_waits_for_a_reader_and_says_who_holds_the_file(root: Path, state: Path) -> None:
    _tree(root, state)
    with subprocess.Popen([sys.executable, "-c", HOLD, str(state)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as reader:
        assert reader.stdout is not None and reader.stdout.readline() == b"held\n"

        def let_go_once_the_daemon_waits() -> None:
            wait_until(lambda: any(e["event"] == events.STATE_LOCKED for e in list(logs)),
                       what="the daemon to say it waits")
            assert reader.stdin is not None
            reader.stdin.close()

        with capture_logs() as logs:
            releaser = threading.Thread(target=let_go_once_the_daemon_waits, daemon=True)
            releaser.start()
            with running(fast_settings(root, state), [RecordingProcessor()]):
                pass  # it came up: the open waited for the reader to let go
            releaser.join(timeout=20)
    [locked] = [e for e in logs if e["event"] == events.STATE_LOCKED]
    assert locked["pid"] == reader.pid and locked["wait"] == 30.0


def test_a_reader_that_does_not_let_go_in_lock_wait_stops_the_start(root: Path, state: Path) -> None:
    from sessiond.state.db import StateError

    _tree(root, state)
    with subprocess.Popen([sys.executable, "-c", HOLD, str(state)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as reader:
        assert reader.stdout is not None and reader.stdout.readline() == b"held\n"
        try:
            Service(fast_settings(root, state, lock_wait=0.3), [RecordingProcessor()], announce=True)
        except StateError as exc:
            assert "in use by another process" in str(exc) and str(reader.pid) in str(exc)
        else:
            raise AssertionError("started on a state file another process holds")
        assert not marker_path(state).exists()  # a start that failed leaves no marker
        reader.kill()


def test_a_status_that_finds_the_daemon_starting_asks_it(root: Path, state: Path) -> None:
    _tree(root, state)
    settings = fast_settings(root, state)
    service = Service(settings, [RecordingProcessor()], announce=True)  # holds the file now
    assert starting(state) is not None
    status = subprocess.Popen(
        [sys.executable, "-m", "sessiond", "status", "--json", "--root", str(root),
         "--state", str(state)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(service.run(install_signals=False)))
    thread.start()
    try:
        out, err = status.communicate(timeout=60)
    finally:
        service.request_stop()
        thread.join(timeout=30)
    # opened offline under the starting daemon, it would have failed ("in use", exit 2)
    assert status.returncode in (0, 1), err
    assert orjson.loads(out)["daemon"]["running"] is True
    assert not marker_path(state).exists() and result == [0]


# 50 starts beside two loops of `sessiond status` processes: the limit guards a hang, not the speed
# (on a 2-core machine shared with another test run it took 119 s, past the default 120)
@pytest.mark.timeout(360)
def test_offline_status_in_a_tight_loop_never_keeps_the_daemon_from_starting(
        root: Path, state: Path) -> None:
    """Two monitoring checks run `sessiond status` back to back, offline whenever no daemon
    answers, while the daemon is started and stopped 50 times: it comes up every time."""
    _tree(root, state)
    stop = threading.Event()
    codes: list[int] = []

    def check() -> None:
        while not stop.is_set():
            done = cli("status", "--json", "--root", str(root), "--state", str(state))
            codes.append(done.returncode)

    loops = [threading.Thread(target=check) for _ in range(2)]
    for t in loops:
        t.start()
    try:
        for _ in range(50):
            # start while the checks read the file offline: after one of them found no daemon
            offline = codes.count(2)
            wait_until(lambda seen=offline: codes.count(2) > seen, timeout=60,
                       what="an offline check")
            with running(fast_settings(root, state), [RecordingProcessor()], announce=True):
                pass  # it came up (about one start in three meets a reader and waits for it)
    finally:
        stop.set()
        for t in loops:
            t.join(timeout=60)
    assert len(codes) >= 20 and set(codes) <= {0, 1, 2}
