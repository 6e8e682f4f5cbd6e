"""Test harness: waiting on conditions, an in-process service, a daemon subprocess."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import orjson

from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.contract import Processor
from sessiond.state.cursor import new_hasher

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
def running(settings: Settings, processors: Sequence[Processor], **options: Any) -> Iterator[Service]:
    """A real Service (real inotify, real DuckDB) running its main loop in a thread;
    ``options``: more `Service` arguments."""
    service = Service(settings, processors, **options)
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


def lines_of(name: str, count: int, pad: int = 0) -> bytes:
    """``count`` user records with unique uuids ``name-i`` and ``n = i`` (padded by ``pad`` bytes)."""
    extra = {"pad": "x" * pad} if pad else {}
    return jsonl(*({"type": "user", "uuid": f"{name}-{i}", "n": i, **extra} for i in range(count)))


def append(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as fh:
        fh.write(data)


class Daemon:
    """``sessiond run`` as a real subprocess; its JSON log lines are collected as they come."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, **popen: Any) -> None:
        """``popen``: extra `subprocess.Popen` arguments (``user=``, ``preexec_fn=``, ...)."""
        full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        full_env.pop("SESSIOND_CONFIG", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sessiond", "run", "--log-format", "json",
             "--log-level", "debug", *args],
            cwd=REPO, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,
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
        [sys.executable, "-m", "sessiond", "run", "--once", "--log-format", "json", *args],
        cwd=REPO, env=full_env, capture_output=True, timeout=120, check=False,
    )


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("SESSIOND_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "sessiond", *args], cwd=REPO, env=full_env,
                          capture_output=True, timeout=120, check=False)


def events_of(output: bytes) -> list[dict[str, Any]]:
    """The JSON log events in a subprocess's stdout."""
    return [orjson.loads(line) for line in output.splitlines() if line.startswith(b"{")]


@dataclass(frozen=True, slots=True)
class Measured:
    returncode: int
    stdout: bytes
    stderr: bytes
    max_rss: int  # peak resident set size of the process, bytes

    @property
    def events(self) -> list[dict[str, Any]]:
        return events_of(self.stdout)


def run_once_measured(*args: str, env: dict[str, str] | None = None, timeout: float = 300.0,
                      **popen: Any) -> Measured:
    """`run_once`, also returning the daemon's own peak RSS (``wait4`` of exactly that child,
    unlike RUSAGE_CHILDREN, which is the largest of every child the test process ever had)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("SESSIOND_CONFIG", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sessiond", "run", "--once", "--log-format", "json", *args],
            cwd=REPO, env=full_env, stdout=out, stderr=err, **popen,
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise AssertionError(f"run --once did not finish within {timeout}s")
            _poll.wait(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Measured(proc.returncode, out.read(), err.read(), usage.ru_maxrss * 1024)


def complete_part(data: bytes) -> bytes:
    """The complete lines of a file's content: everything up to its last newline."""
    return data[: data.rfind(b"\n") + 1]


def prefix_hash(data: bytes) -> str:
    """The cursor hash of ``data`` (xxh3-128 hex, as `state.cursor` computes it)."""
    hasher = new_hasher()
    hasher.update(data)
    return hasher.hexdigest()


def state_cursors(state: Path, processor: str) -> dict[str, tuple[int, str]]:
    """(offset, file_hash) of each file's cursor in a state file no daemon holds."""
    if not state.exists():
        return {}
    rows = query(state, "SELECT session_file, offset_bytes, file_hash FROM session_processor_state "
                        "WHERE processor_name = ?", [processor])
    return {f: (int(o), str(h)) for f, o, h in rows}


Position = tuple[int, str]  # a cursor's (offset, file_hash)


class CursorLog:
    """The cursors a daemon subprocess has committed, followed from its JSON log.

    It starts from the state file's cursors (read before the daemon started). Each
    ``file.appended`` / ``file.rewritten`` / ``file.deleted`` event of the processor joins the
    open batch; the batch applies when its ``processor.committed`` arrives and is dropped on
    ``store.commit_failed`` -- exactly what the worker keeps in memory. So ``known`` equal to
    what the files hold *proves* that the daemon has read and committed all of it: a drain
    that is complete, not a sleep. While following, it checks that every read started where the
    last commit ended (a rewrite at 0) and that each batch's file count matches its events.
    """

    FILE_EVENTS = frozenset({"file.appended", "file.rewritten", "file.deleted"})

    def __init__(self, daemon: Daemon, initial: dict[str, Position], processor: str) -> None:
        self.daemon = daemon
        self.processor = processor
        self.known: dict[str, Position] = dict(initial)
        self.pending: dict[str, Position | None] = {}
        self.problems: list[str] = []
        self.committed: list[tuple[str, Position]] = []  # every (file, position) committed
        self.recent: list[dict[str, Any]] = []  # every event consumed; the caller clears it
        self.file_events = 0
        self._seen = 0

    def update(self) -> list[dict[str, Any]]:
        """Consume the events logged since the last call; returns them."""
        with self.daemon._cond:
            new = self.daemon.events[self._seen :]
        self._seen += len(new)
        self.recent.extend(new)
        for e in new:
            if e.get("processor") != self.processor:
                continue
            name = e.get("event")
            if name in self.FILE_EVENTS:
                self._file_event(e)
            elif name == "processor.committed":
                if e.get("files") != len(self.pending):
                    self.problems.append(
                        f"batch of {e.get('files')} files committed after {len(self.pending)} "
                        f"file events: {sorted(self.pending)}")
                for file, position in self.pending.items():
                    if position is None:
                        self.known.pop(file, None)
                    else:
                        self.known[file] = position
                        self.committed.append((file, position))
                self.pending = {}
            elif name == "store.commit_failed":
                self.pending = {}
        return new

    def _file_event(self, e: dict[str, Any]) -> None:
        file, name = e["file"], e["event"]
        self.file_events += 1
        if file in self.pending:
            self.problems.append(f"{file} read twice in one batch")
        if name == "file.deleted":
            self.pending[file] = None
            return
        had = self.known.get(file)
        start = 0 if name == "file.rewritten" or had is None else had[0]
        if e["offset"] != start:
            self.problems.append(f"{name} {file} read from {e['offset']}, its cursor is at {start}")
        if name == "file.rewritten" and had is None:
            self.problems.append(f"{file} rewritten without a cursor")
        self.pending[file] = (e["offset"] + e["bytes"], e["file_hash"])

    def behind(self, expected: dict[str, Position]) -> dict[str, tuple[Position | None, Position | None]]:
        """Files whose committed cursor differs from ``expected``: {file: (known, expected)}."""
        self.update()
        files = expected.keys() | self.known.keys()
        return {f: (self.known.get(f), expected.get(f)) for f in sorted(files)
                if _norm(self.known.get(f)) != _norm(expected.get(f))}


def _norm(position: Position | None) -> Position | None:
    # A cursor rewound to 0 keeps its old hash in the state file; at 0 the hash means nothing.
    if position is not None and position[0] == 0:
        return (0, "")
    return position
