"""systemd's notify protocol against a real AF_UNIX datagram socket, and the unit file."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from sessiond.daemon.notify import Notifier
from tests.harness import REPO, Daemon, wait_until


class Listener:
    """A NOTIFY_SOCKET: collects every datagram the daemon sends."""

    def __init__(self, address: str | bytes) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.2)
        self.messages: list[dict[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.messages.append(dict(line.split("=", 1) for line in data.decode().splitlines()))

    def names(self) -> list[str]:
        return [k for m in list(self.messages) for k in m]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def test_notifier_sends_to_a_path_and_an_abstract_socket(tmp_path: Path) -> None:
    for address, env_value in ((str(tmp_path / "notify"), str(tmp_path / "notify")),
                               (b"\0sessiond-test-" + uuid.uuid4().hex.encode(), None)):
        listener = Listener(address)
        value = env_value or "@" + address[1:].decode()  # type: ignore[union-attr]
        n = Notifier({"NOTIFY_SOCKET": value, "WATCHDOG_USEC": "2000000"})
        assert n.watchdog_interval == 1.0
        n.ready("ok")
        n.reloading()
        n.stopping()
        wait_until(lambda got=listener.messages: len(got) == 3, timeout=5)  # type: ignore[misc]
        assert listener.messages[0] == {"READY": "1", "STATUS": "ok"}
        assert listener.messages[1]["RELOADING"] == "1" and int(listener.messages[1]["MONOTONIC_USEC"]) > 0
        assert listener.messages[2] == {"STOPPING": "1"}
        n.close()
        listener.close()


def test_no_socket_means_no_notifications() -> None:
    n = Notifier({})
    assert not n.enabled and n.watchdog_interval is None
    n.ready()  # a no-op, not an error


def test_the_daemon_speaks_the_protocol(root: Path, state: Path, tmp_path: Path) -> None:
    address = b"\0sessiond-daemon-" + uuid.uuid4().hex.encode()
    listener = Listener(address)
    try:
        d = Daemon("--root", str(root), "--state", str(state), "--processors", "lines",
                   env={"NOTIFY_SOCKET": "@" + address[1:].decode(), "WATCHDOG_USEC": "400000"})
        try:
            wait_until(lambda: "READY" in listener.names(), what="READY=1")
            wait_until(lambda: listener.names().count("WATCHDOG") >= 2, what="watchdog pings")
            d.signal(signal.SIGHUP)
            wait_until(lambda: "RELOADING" in listener.names(), what="RELOADING=1")
            reloading = listener.names().index("RELOADING")
            wait_until(lambda: "READY" in listener.names()[reloading:], what="READY=1 after reload")
        finally:
            assert d.stop() == 0
        wait_until(lambda: "STOPPING" in listener.names(), what="STOPPING=1")
        ready = next(m for m in listener.messages if "READY" in m)
        assert "files" in ready["STATUS"]
        reload_msg = next(m for m in listener.messages if "RELOADING" in m)
        assert int(reload_msg["MONOTONIC_USEC"]) > 0
    finally:
        listener.close()


def _analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed (.ci/run installs the systemd package)")
    return path


def _unit_for_this_checkout(tmp_path: Path) -> Path:
    """The shipped unit, with ExecStart pointing at this checkout's sessiond (verify checks it)."""
    exe = Path(sys.executable).parent / "sessiond"
    text = (REPO / "systemd" / "sessiond.service").read_text()
    unit = tmp_path / "sessiond.service"
    unit.write_text(text.replace("/opt/sessiond/venv/bin/sessiond", str(exe)))
    return unit


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _analyze()
    unit = _unit_for_this_checkout(tmp_path)
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=60, check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "sessiond.service" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_the_unit_is_hardened(tmp_path: Path) -> None:
    analyze = _analyze()
    unit = _unit_for_this_checkout(tmp_path)
    result = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", str(unit)],
                            capture_output=True, text=True, timeout=60, check=False,
                            env={**os.environ, "SYSTEMD_COLORS": "0"})
    line = next(x for x in result.stdout.splitlines() if "Overall exposure level" in x)
    score = float(line.split("level for")[1].split(":")[1].split()[0])
    assert score <= 1.0, line  # README records the figure (0.4); 0 = best, 10 = unprotected
