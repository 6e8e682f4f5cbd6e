"""Driving a real ``sessiond run`` subprocess: its JSON log, systemd READY, CPU and memory.

The daemon runs as ``python -m daemon.cli run --log-format json --log-level debug``, stdout to
a file (structlog flushes every line). Event times are the log's own ``timestamp`` (ISO-8601
UTC, microseconds, from ``time.time()`` in the daemon), compared with ``time.time()`` taken in
the benchmark right after its own action (same host clock). READY comes from ``NOTIFY_SOCKET``
set to an abstract unix socket the benchmark listens on.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The processes the benchmarks start read compiled modules, as an installed sessiond does (pip
# compiles them at install; the systemd unit's file system is read-only, so nothing is compiled
# at run time): without them, every start and every command compiled ~100 modules from source,
# 80-150 ms a start -- a cost the figures must not count. This machine sets
# PYTHONDONTWRITEBYTECODE for every process, so the package is compiled here once (into its
# `__pycache__` folders, which git ignores), by the paths the imports use: ``sessiond/daemon``
# and the others are links, which compileall does not follow from ``sessiond/``.
_compiled = False


def sessiond_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a ``sessiond`` process started by a benchmark: no config file from
    the caller's environment, and compiled modules (compiled on first use)."""
    global _compiled
    env = {k: v for k, v in os.environ.items()
           if k not in ("SESSIOND_CONFIG", "PYTHONDONTWRITEBYTECODE")}
    if not _compiled:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "sessiond", "sessiond/daemon",
                        "sessiond/processors", "sessiond/state"], cwd=REPO, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        _compiled = True
    env.update(extra or {})
    return env


def log_time(event: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()


class LogTail:
    """Incremental reader of the daemon's JSON-lines log file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pos = 0
        self._partial = b""
        self.events: list[dict[str, Any]] = []
        self.other: list[tuple[int, str]] = []  # non-JSON lines (e.g. watchdog's own logging)

    def poll(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._pos)
                data = f.read()
        except FileNotFoundError:
            return []
        self._pos += len(data)
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()
        new = []
        for line in lines:
            if not line.startswith(b"{"):
                if line.strip():
                    self.other.append((len(self.events) + len(new), line.decode(errors="replace")))
                continue
            try:
                new.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
        self.events.extend(new)
        return new


class Daemon:
    """One ``sessiond run`` in the background, with its log and readiness."""

    def __init__(self, root: Path, state: Path, workdir: Path, *, processors: list[str] | None = None,
                 extra: list[str] | None = None, env: dict[str, str] | None = None,
                 level: str = "debug", prefix: list[str] | None = None,
                 entry: list[str] | None = None) -> None:
        self.log_path = workdir / f"daemon-{os.getpid()}-{int(time.time() * 1000)}.log"
        self.socket_path = workdir / f"ctl-{os.getpid()}.sock"
        name = f"sessiond-bench-{os.getpid()}-{time.monotonic_ns()}"
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._notify.bind(b"\0" + name.encode())
        self._notify.settimeout(0.1)
        # ``entry`` replaces ``-m daemon.cli`` (e.g. a script that patches something first)
        cmd = [*(prefix or []), sys.executable, *(entry or ["-m", "sessiond"]), "run",
               "--root", str(root),
               "--state", str(state), "--socket", str(self.socket_path), "--log-format", "json",
               "--log-level", level]
        if processors:
            cmd += ["--processors", ",".join(processors)]
        cmd += extra or []
        full_env = sessiond_env({"NOTIFY_SOCKET": "@" + name, **(env or {})})
        self.cmd = cmd
        self.started = time.time()
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(cmd, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     cwd=REPO, env=full_env)
        self.tail = LogTail(self.log_path)
        self.ready_at: float | None = None
        self.notifications: list[tuple[float, str]] = []  # everything but WATCHDOG=1
        self.watchdog_pings = 0
        # Drain the notify socket all the time: the daemon's sendto() blocks once a datagram
        # socket's queue is full, which would stall its main loop (and every figure with it).
        self._stopping = threading.Event()
        self._reader = threading.Thread(target=self._notify_loop, name="notify", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    # -- waiting -------------------------------------------------------------------------------
    def _notify_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                data = self._notify.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            now = time.time()
            fields = data.decode(errors="replace").split("\n")
            if fields == ["WATCHDOG=1"]:
                self.watchdog_pings += 1
                continue
            self.notifications.append((now, "\n".join(fields)))
            if "READY=1" in fields and self.ready_at is None:
                self.ready_at = now

    def wait_ready(self, timeout: float = 600) -> float:
        """Seconds from launch to READY=1."""
        deadline = time.time() + timeout
        while self.ready_at is None:
            self._check_alive()
            if time.time() > deadline:
                raise TimeoutError("daemon not ready")
            time.sleep(0.005)
        return self.ready_at - self.started

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 120,
                 since: int = 0) -> dict[str, Any]:
        """The first event (from index ``since``) satisfying ``pred``."""
        deadline = time.time() + timeout
        i = since
        while True:
            self.tail.poll()
            events = self.tail.events
            while i < len(events):
                if pred(events[i]):
                    return events[i]
                i += 1
            self._check_alive()
            if time.time() > deadline:
                raise TimeoutError("event not seen")
            time.sleep(0.01)

    def wait_quiet(self, quiet: float = 2.0, timeout: float = 900,
                   busy: tuple[str, ...] = ("processor.committed", "file.appended",
                                            "file.rewritten")) -> None:
        """Until no work event was logged for ``quiet`` seconds (backfill done)."""
        deadline = time.time() + timeout
        last = time.time()
        while time.time() - last < quiet:
            new = self.tail.poll()
            if any(e.get("event") in busy for e in new):
                last = time.time()
            self._check_alive()
            if time.time() > deadline:
                raise TimeoutError("daemon never went quiet")
            time.sleep(0.05)

    def wait_caught_up(self, timeout: float = 900, quiet: float = 2.0) -> None:
        """Until ``status`` says no processor has a file pending or a byte behind, then quiet:
        a backfill is over (a long merge can leave a gap in the log that `wait_quiet` alone
        would take for the end)."""
        deadline = time.time() + timeout
        while True:
            self.wait_quiet(quiet, timeout=max(1.0, deadline - time.time()))
            got = self.cli("status", "--json")
            if got.returncode == 0:
                per = orjson.loads(got.stdout)["processors"].values()
                if all(p["files_pending"] == 0 and p["bytes_behind"] == 0 for p in per):
                    return
            if time.time() > deadline:
                raise TimeoutError(f"daemon never caught up: {got.stdout[-500:]}{got.stderr[-500:]}")

    def _check_alive(self) -> None:
        if self.proc.poll() is not None:
            self.tail.poll()
            tail = b"".join(orjson.dumps(e) + b"\n" for e in self.tail.events[-5:]).decode()
            raise RuntimeError(f"daemon exited with {self.proc.returncode}:\n{tail}")

    # -- resources ---------------------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        """user + system CPU of the daemon (all threads) so far."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak) in bytes."""
        out = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
        return out

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Another ``sessiond`` command against this daemon (through its control socket)."""
        return subprocess.run([sys.executable, "-m", "sessiond", *args, "--socket",
                               str(self.socket_path)], cwd=REPO, capture_output=True, text=True,
                              timeout=timeout, check=False)

    # -- stopping ----------------------------------------------------------------------------------
    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()
        self._stopping.set()
        self._reader.join(timeout=1)
        self._notify.close()
        self.tail.poll()
        return self.proc.returncode

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def iter_events(self, name: str) -> Iterator[dict[str, Any]]:
        return (e for e in self.tail.events if e.get("event") == name)


def run_once(root: Path, state: Path, processors: list[str] | None = None,
             prefix: list[str] | None = None) -> tuple[float, dict[str, Any] | None, int]:
    """``sessiond run --once``: (wall seconds, run.summary event + its CPU use, exit code).

    The summary gets ``cpu_s`` (user + system of the process) and ``cpu_cores`` (cpu_s / wall):
    ~1.0 on this 2-core machine means one core busy -- the GIL -- and the other idle.
    """
    cmd = [*(prefix or []), sys.executable, "-m", "sessiond", "run", "--once", "--root", str(root),
           "--state", str(state), "--socket", str(state.parent / f"once-{os.getpid()}.sock"),
           "--log-format", "json", "--log-level", "info"]
    if processors:
        cmd += ["--processors", ",".join(processors)]
    env = sessiond_env()
    log = state.parent / f"once-{os.getpid()}-{time.monotonic_ns()}.log"
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    summary = None
    text = log.read_bytes()
    for line in text.splitlines():
        if b'"run.summary"' in line:
            summary = orjson.loads(line)
    if proc.returncode != 0 and summary is None:
        raise RuntimeError(f"run --once failed ({proc.returncode}): {text.decode()[-2000:]}")
    if summary is not None:
        cpu = usage.ru_utime + usage.ru_stime
        summary.update(cpu_s=cpu, cpu_cores=cpu / wall, max_rss=usage.ru_maxrss * 1024)
    return wall, summary, proc.returncode
