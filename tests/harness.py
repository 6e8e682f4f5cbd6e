"""Test harness: waiting on conditions, an in-process service, a daemon subprocess."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import orjson

from daemon.service import Service
from daemon.settings import Settings
from processors.contract import Processor

REPO = Path(__file__).resolve().parent.parent
_poll = threading.Event()  # never set: .wait(t) is an interruptible poll interval


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        _poll.wait(0.02)


def fast_settings(root: Path, state: Path, **overrides: Any) -> Settings:
    base = Settings(root=root, state=state, settle=0.05, max_delay=0.5, scan_interval=3600.0,
                    backoff_base=0.05, backoff_cap=0.5, log_level="debug")
    return replace(base, **overrides)


@contextlib.contextmanager
def running(settings: Settings, processors: Sequence[Processor]) -> Iterator[Service]:
    """A real Service (real inotify, real DuckDB) running its main loop in a thread."""
    service = Service(settings, processors)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(service.run(install_signals=False)),
                              name="service-main", daemon=True)
    thread.start()
    try:
        wait_until(service.first_scan_done.is_set, what="first scan")
        yield service
    finally:
        service.request_stop()
        thread.join(timeout=30)
        assert not thread.is_alive(), "service did not stop"
    assert result == [0]


def query(service_or_path: Service | Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    if isinstance(service_or_path, Service):
        con = service_or_path.reader()
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()
    con = duckdb.connect(str(service_or_path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def jsonl(*objects: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(o) + b"\n" for o in objects)


def append(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as fh:
        fh.write(data)


class Daemon:
    """``sessiond run`` as a real subprocess; its JSON log lines are collected as they come."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        full_env.pop("SESSIOND_CONFIG", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "run", "--log-format", "json",
             "--log-level", "debug", *args],
            cwd=REPO, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.events: list[dict[str, Any]] = []
        self.stderr = b""
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._err_reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                event = {"event": "<non-json>", "text": line.decode(errors="replace")}
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()

    def named(self, name: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events if e.get("event") == name]

    def wait_for(self, name: str, predicate: Callable[[dict[str, Any]], bool] = lambda e: True,
                 timeout: float = 20.0, count: int = 1) -> list[dict[str, Any]]:
        def found() -> list[dict[str, Any]] | None:
            hits = [e for e in self.named(name) if predicate(e)]
            if len(hits) >= count:
                return hits
            if self.proc.poll() is not None:
                self._reader.join(timeout=5)
                hits = [e for e in self.named(name) if predicate(e)]
                if len(hits) >= count:
                    return hits
                self._err_reader.join(timeout=5)
                raise AssertionError(
                    f"daemon exited ({self.proc.returncode}) before {name}: "
                    f"{self.stderr.decode(errors='replace')}"
                )
            return None

        return wait_until(found, timeout, what=f"{count}x {name}")  # type: ignore[no-any-return]

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close()

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise
        finally:
            self._close()
        return rc

    def _close(self) -> None:
        self._reader.join(timeout=5)
        self._err_reader.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def run_once(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("SESSIOND_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "daemon.cli", "run", "--once", "--log-format", "json", *args],
        cwd=REPO, env=full_env, capture_output=True, timeout=120, check=False,
    )


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("SESSIOND_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "daemon.cli", *args], cwd=REPO, env=full_env,
                          capture_output=True, timeout=120, check=False)
