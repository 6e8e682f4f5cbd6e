"""Model-based test: a real daemon subprocess against a model of what each file's complete lines are.

Hypothesis drives a `RuleBasedStateMachine` that changes files the ways uploads and users do
(appends, partial lines, temp+rename and in-place copies, truncations, deletions, new user
folders) and treats the daemon roughly (SIGHUP, kill -9 at a random moment, SIGTERM restarts,
a mode where watcher events are dropped so only scans see changes). The model keeps each
file's content and every version it ever had.

What is checked, and when:

* after every step, cheaply, from the daemon's JSON log (`CursorLog`): it is alive, it logged
  nothing unexpected, every read started exactly where the last commit ended, and every commit
  ended just after a newline of some version the file really had (nothing partial);
* whenever the daemon stops (SIGTERM or kill -9), from the state file: each file's committed
  rows are exactly the lines (numbers, byte offsets, content) of a newline-terminated prefix of
  a version the file had, that prefix is what its cursor says, and no rows lack a cursor --
  exactly once, even when the kill landed mid-commit;
* at checkpoints and at the end, after the daemon *provably* settled (a barrier file written
  last is committed, and then the cursors followed from its log equal every file's complete
  lines, by length and hash; see `settle`): after SIGTERM, the multiset of (file, content)
  committed equals the model's complete lines -- nothing missing, nothing twice, nothing
  partial -- and a final ``run --once`` finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from tests.harness import (
    CursorLog,
    Daemon,
    Position,
    complete_part,
    events_of,
    prefix_hash,
    query,
    run_once,
    state_cursors,
)

PROCESSOR = "tests.fakes:RecordingProcessor"
NAME = "recording"
USERS = ("alice", "bob smith", "ünï")
SESSIONS = ("s0.jsonl", "s 1.jsonl", "a..b.jsonl", "s0/subagents/agent-1.jsonl")
PATHS = tuple(f"{u}/{s}" for u in USERS for s in SESSIONS)
SETTLE_TIMEOUT = 30.0
# Warnings the daemon may log in this test; anything else at warning or above is a failure.
ALLOWED_WARNINGS = frozenset({"scan.missed_events"})
COUNTED = frozenset({"file.rewritten", "file.deleted", "file.changed_during_read",
                     "scan.missed_events"})
_poll = threading.Event()  # never set: an interruptible poll interval


def canonical(line: bytes) -> str:
    """What RecordingProcessor stores for a line: its object with sorted keys."""
    return orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS).decode()


def lines_of(data: bytes) -> list[tuple[int, int, str]]:
    """(line_no, byte_offset, content) of every complete line of ``data``."""
    out, offset = [], 0
    for number, line in enumerate(data.split(b"\n")[:-1], start=1):
        out.append((number, offset, canonical(line)))
        offset += len(line) + 1
    return out


def config_text(drop_events: bool) -> str:
    # With events, scans are rare: a change the events path misses shows up as a settle timeout.
    # With events dropped, only the scan finds changes, so it runs often.
    return (
        "settle = 0.02\nmax_delay = 0.2\nbackoff_base = 0.05\nbackoff_cap = 0.5\n"
        f"drop_events = {'true' if drop_events else 'false'}\n"
        f"scan_interval = {0.25 if drop_events else 3600}\n"
    )


class DaemonModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Short paths: the control socket beside the state file must fit in sun_path.
        self.tmp = Path(tempfile.mkdtemp(prefix="sdm-"))
        self.root = self.tmp / "root"
        self.root.mkdir()
        self.state = self.tmp / "st" / "state.duckdb"
        self.stage = self.tmp / "stage"  # outside the root
        self.stage.mkdir()
        self.config = self.tmp / "sessiond.toml"
        self.files: dict[str, bytes] = {}  # the model: current content of each file
        self.history: dict[str, list[bytes]] = {}  # every version each path ever had
        self.partial: dict[str, bytes] = {}  # the rest of a partial last line, by file
        self.gone_partial: dict[str, bytes] = {}  # the same, of files deleted meanwhile
        self.counter = 0
        self.new_users = 0
        self.barriers = 0
        self.drop_events = False
        self.daemon: Daemon | None = None
        self.log: CursorLog | None = None
        self.healthy = True
        self.trace: list[str] = []  # the steps so far, for failure messages

    def step(self, text: str) -> None:
        self.trace.append(text)

    @contextlib.contextmanager
    def checking(self) -> Iterator[None]:
        """A failure carries the steps that led to it (a real daemon is not deterministic, so
        hypothesis' replay of the same steps may not fail the same way); ``healthy`` tells
        teardown whether the final check is worth running."""
        self.healthy = False
        try:
            yield
        except AssertionError as exc:
            steps = "\n  ".join(self.trace[-60:])
            raise AssertionError(f"{exc}\n-- after these steps:\n  {steps}") from exc
        self.healthy = True

    # -- helpers -------------------------------------------------------------------------------

    def line(self, key: str, pad: int) -> bytes:
        self.counter += 1
        return orjson.dumps({"k": key, "n": self.counter, "p": "x" * pad}) + b"\n"

    def lines(self, key: str, count: int, pad: int) -> bytes:
        return b"".join(self.line(key, pad) for _ in range(count))

    def write(self, key: str, content: bytes, how: str) -> None:
        """Record a new version of a file (the caller changed it on disk)."""
        self.step(f"{how} {key!r}: {len(self.files.get(key, b''))} -> {len(content)} bytes")
        self.files[key] = content
        self.history.setdefault(key, []).append(content)
        self.gone_partial.pop(key, None)  # a new version: a deleted one's partial line is moot

    def path(self, key: str) -> Path:
        return self.root / key

    def choose(self, data: Any, keys: Any) -> str:
        return str(data.draw(st.sampled_from(sorted(keys))))

    def whole(self) -> list[str]:
        """Files without a partial last line (appending to one would glue onto the partial)."""
        return [k for k in self.files if k not in self.partial]

    def expected(self) -> dict[str, Position]:
        return {k: (len(c := complete_part(v)), prefix_hash(c)) for k, v in self.files.items()}

    def start(self) -> None:
        self.config.write_text(config_text(self.drop_events))
        initial = state_cursors(self.state, NAME)
        self.daemon = Daemon("--root", str(self.root), "--state", str(self.state),
                             "--config", str(self.config), "--processors", PROCESSOR)
        self.log = CursorLog(self.daemon, initial, NAME)
        # SIGHUP before the handlers are installed would end the process: wait for ready.
        self.daemon.wait_for("daemon.ready", timeout=30)

    def settle(self) -> None:
        """Wait until the daemon has provably committed every file's complete lines.

        Equal cursors alone are not enough: a read that began before the last change may still
        be on its way to a commit of what the file used to hold. So a new file (the barrier) is
        written first: the single worker reads files one after another, so once the barrier is
        committed every earlier read is committed too, and after that the cursors must equal
        the files again.
        """
        assert self.log is not None
        key = f"barrier/{self.barriers}.jsonl"
        self.barriers += 1
        self.path(key).parent.mkdir(exist_ok=True)
        content = self.line(key, 0)
        self.path(key).write_bytes(content)
        self.write(key, content, "settle: barrier")
        expected = self.expected()
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while behind := self.log.behind(expected):
            self.check_log()
            if time.monotonic() > deadline:
                raise AssertionError(f"daemon did not settle in {SETTLE_TIMEOUT}s; "
                                     f"file: (committed, expected): {behind}")
            _poll.wait(0.01)

    def stop(self, *, kill: bool) -> None:
        """Stop the daemon, then check the state file is consistent (exactly once)."""
        assert self.daemon is not None and self.log is not None
        if kill:
            self.log.update()
            event(f"kill -9 {'with a read not yet committed' if self.log.pending else 'between batches'}")
            self.daemon.kill9()
        else:
            assert self.daemon.stop() == 0, self.daemon.stderr.decode(errors="replace")
        self.check_log()
        on_disk = state_cursors(self.state, NAME)
        if not kill:  # SIGTERM finishes the batch in flight; the log and the file agree
            assert not self.log.pending, f"reads left uncommitted at SIGTERM: {self.log.pending}"
            assert self.log.behind(on_disk) == {}, "log and state file disagree after SIGTERM"
        self.check_state()
        self.daemon = self.log = None

    def check_state(self) -> None:
        """Each file's rows are the lines of a newline-terminated prefix of one of its versions,
        the prefix its cursor names; no rows without a cursor."""
        cursors = {f: (o, h) for f, o, h in query(
            self.state, "SELECT session_file, offset_bytes, file_hash FROM session_processor_state")}
        rows: dict[str, list[tuple[int, int, str]]] = {}
        for f, n, off, content in query(
                self.state, "SELECT session_file, line_no, byte_offset, content FROM recorded "
                            "ORDER BY session_file, line_no"):
            rows.setdefault(f, []).append((n, off, content))
        assert not rows.keys() - cursors.keys(), f"rows without a cursor: {rows.keys() - cursors.keys()}"
        for f, (offset, digest) in cursors.items():
            got = rows.get(f, [])
            if offset == 0:
                assert got == [], f"{f}: rows at offset 0"
                continue
            prefix = self.version_prefix(f, offset, digest)
            assert prefix is not None, f"{f}: cursor ({offset}, {digest}) matches no version"
            assert got == lines_of(prefix), f"{f}: rows differ from the lines its cursor covers"

    def version_prefix(self, key: str, end: int, digest: str) -> bytes | None:
        for version in self.history.get(key, []):
            if len(version) >= end and version[end - 1 : end] == b"\n":
                prefix = version[:end]
                if prefix_hash(prefix) == digest:
                    return prefix
        return None

    def check_exact(self) -> None:
        """The committed multiset equals the model's complete lines."""
        got = Counter(query(self.state, "SELECT session_file, content FROM recorded"))
        want = Counter((k, c) for k, v in self.files.items() for _, _, c in lines_of(complete_part(v)))
        assert got == want, f"missing: {want - got}; extra: {got - want}"
        assert state_cursors(self.state, NAME).keys() == self.files.keys()

    def check_log(self) -> None:
        assert self.log is not None and self.daemon is not None
        self.log.update()
        for e in self.log.recent:
            level, name = e.get("level"), e.get("event")
            assert name != "<non-json>", e
            if name in COUNTED:  # what the runs exercised: --hypothesis-show-statistics
                event(f"daemon logged {name}" + (f" ({e['reason']})" if "reason" in e else ""))
            if level in ("warning", "error", "critical"):
                assert name in ALLOWED_WARNINGS, f"unexpected {level} event: {e}"
        self.log.recent.clear()
        assert not self.log.problems, self.log.problems
        for key, (end, digest) in self.log.committed:
            if end:
                assert self.version_prefix(key, end, digest) is not None, (
                    f"{key}: committed up to {end}, not the end of a line of any version")
        self.log.committed.clear()

    def checkpoint(self) -> None:
        self.settle()
        self.stop(kill=False)
        self.check_exact()

    # -- set-up ----------------------------------------------------------------------------------

    @initialize(drop=st.booleans(), keys=st.sets(st.sampled_from(PATHS), max_size=4),
                n=st.integers(0, 4))
    def begin(self, drop: bool, keys: set[str], n: int) -> None:
        self.drop_events = drop
        self.step(f"start with drop_events={drop}")
        for key in sorted(keys):  # some files exist before the first start (a backfill)
            content = self.lines(key, n, 40)
            self.path(key).parent.mkdir(parents=True, exist_ok=True)
            self.path(key).write_bytes(content)
            self.write(key, content, "begin")
        self.start()

    # -- files -----------------------------------------------------------------------------------

    @rule(data=st.data(), n=st.integers(0, 5), pad=st.integers(0, 300))
    def create(self, data: Any, n: int, pad: int) -> None:
        free = [k for k in PATHS if k not in self.files]
        if not free:
            return
        key = self.choose(data, free)
        content = self.lines(key, n, pad)
        self.path(key).parent.mkdir(parents=True, exist_ok=True)
        self.path(key).write_bytes(content)
        self.partial.pop(key, None)
        self.write(key, content, "create")

    @precondition(lambda self: any(k not in self.partial for k in self.files))
    @rule(data=st.data(), n=st.integers(1, 5), pad=st.integers(0, 300))
    def append(self, data: Any, n: int, pad: int) -> None:
        key = self.choose(data, self.whole())
        extra = self.lines(key, n, pad)
        with self.path(key).open("ab") as fh:
            fh.write(extra)
        self.write(key, self.files[key] + extra, "append")

    @precondition(lambda self: any(k not in self.partial for k in self.files))
    @rule(data=st.data(), cut=st.integers(1, 30))
    def append_partial(self, data: Any, cut: int) -> None:
        key = self.choose(data, self.whole())
        line = self.line(key, 20)
        head, rest = line[:cut], line[cut:]
        with self.path(key).open("ab") as fh:
            fh.write(head)
        self.partial[key] = rest
        self.write(key, self.files[key] + head, "append_partial")

    @precondition(lambda self: bool(self.partial))
    @rule(data=st.data())
    def complete_partial(self, data: Any) -> None:
        key = self.choose(data, self.partial)
        rest = self.partial.pop(key)
        with self.path(key).open("ab") as fh:
            fh.write(rest)
        self.write(key, self.files[key] + rest, "complete_partial")

    @precondition(lambda self: len(self.files) > 1)
    @rule(n=st.integers(1, 3))
    def append_many(self, n: int) -> None:
        for key in sorted(self.whole()):
            extra = self.lines(key, n, 10)
            with self.path(key).open("ab") as fh:
                fh.write(extra)
            self.write(key, self.files[key] + extra, "append_many")

    def _longer(self, key: str, n: int) -> bytes:
        return self.files[key] + self.partial.pop(key, b"") + self.lines(key, n, 30)

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data(), n=st.integers(1, 4))
    def replace_by_longer_copy(self, data: Any, n: int) -> None:
        """An upload of the longer file: temp file (hidden name) + rename over it."""
        key = self.choose(data, self.files)
        content = self._longer(key, n)
        tmp = self.path(key).with_name("." + self.path(key).name + ".upload")
        tmp.write_bytes(content)
        os.replace(tmp, self.path(key))
        self.write(key, content, "replace_by_longer_copy")

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data(), n=st.integers(1, 4))
    def copy_longer_in_place(self, data: Any, n: int) -> None:
        """An upload of the longer file copied over it in place (truncate, then write)."""
        key = self.choose(data, self.files)
        content = self._longer(key, n)
        staged = self.stage / "copy.jsonl"
        staged.write_bytes(content)
        shutil.copyfile(staged, self.path(key))
        self.write(key, content, "copy_longer_in_place")

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data(), n=st.integers(0, 4))
    def truncate_and_rewrite(self, data: Any, n: int) -> None:
        key = self.choose(data, self.files)
        content = self.lines(key, n, 5)
        self.path(key).write_bytes(content)
        self.partial.pop(key, None)
        self.write(key, content, "truncate_and_rewrite")

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data(), keep=st.integers(0, 3))
    def truncate_and_regrow(self, data: Any, keep: int) -> None:
        """Truncate, then write different bytes past the old end (the first ``keep`` lines
        may stay the same, so the difference is anywhere in the old prefix)."""
        key = self.choose(data, self.files)
        old = self.files[key]
        kept = b"".join(line + b"\n" for line in complete_part(old).split(b"\n")[:-1][:keep])
        content = kept
        while len(content) <= len(old):
            content += self.line(key, 50)
        with self.path(key).open("r+b") as fh:
            fh.truncate(0)
            fh.write(content)
        self.partial.pop(key, None)
        self.write(key, content, "truncate_and_regrow")

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data())
    def delete(self, data: Any) -> None:
        key = self.choose(data, self.files)
        self.path(key).unlink()
        self.step(f"delete {key!r}")
        del self.files[key]
        self._forget_partial(key)

    def _forget_partial(self, key: str) -> None:
        """A deleted file's partial line, kept: `recreate` may bring its bytes back."""
        if key in self.partial:
            self.gone_partial[key] = self.partial.pop(key)

    @precondition(lambda self: any(k not in self.files for k in self.history))
    @rule(data=st.data(), same=st.booleans(), n=st.integers(0, 3))
    def recreate(self, data: Any, same: bool, n: int) -> None:
        """A deleted file comes back at the same path (a new inode), maybe with the same bytes."""
        key = self.choose(data, [k for k in self.history if k not in self.files])
        content = self.history[key][-1] if same else self.lines(key, n, 0)
        rest = self.gone_partial.pop(key, None)
        if same and rest is not None:  # the same bytes end in the same partial line
            self.partial[key] = rest
        self.path(key).parent.mkdir(parents=True, exist_ok=True)
        self.path(key).write_bytes(content)
        self.write(key, content, "recreate")

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data())
    def remove_user_folder(self, data: Any) -> None:
        user = self.choose(data, {k.split("/")[0] for k in self.files})
        shutil.rmtree(self.root / user)
        self.step(f"remove_user_folder {user!r}")
        for key in [k for k in self.files if k.split("/")[0] == user]:
            del self.files[key]
            self._forget_partial(key)

    @precondition(lambda self: self.new_users < 3)
    @rule(n=st.integers(1, 3), sub=st.booleans())
    def new_user_folder(self, n: int, sub: bool) -> None:
        """A user folder appears with files already inside (staged outside, renamed in)."""
        user = f"new{self.new_users}"
        self.new_users += 1
        staged = self.stage / user
        names = [f"t{i}.jsonl" for i in range(n)] + (["t0/subagents/agent-a.jsonl"] if sub else [])
        contents = {}
        for name in names:
            key = f"{user}/{name}"
            contents[key] = self.lines(key, 2, 10)
            (staged / name).parent.mkdir(parents=True, exist_ok=True)
            (staged / name).write_bytes(contents[key])
        staged.rename(self.root / user)
        for key, content in contents.items():
            self.write(key, content, "new_user_folder")

    # -- the daemon ------------------------------------------------------------------------------

    @rule()
    def sighup(self) -> None:
        assert self.daemon is not None
        self.step("sighup")
        self.daemon.signal(signal.SIGHUP)

    @rule()
    def toggle_dropped_events(self) -> None:
        """Reload with watcher events dropped (only scans see changes), or back."""
        assert self.daemon is not None
        self.drop_events = not self.drop_events
        self.step(f"reload with drop_events={self.drop_events}")
        self.config.write_text(config_text(self.drop_events))
        self.daemon.signal(signal.SIGHUP)

    @rule(mid_batch=st.booleans())
    def kill_9_and_restart(self, mid_batch: bool) -> None:
        """kill -9 now, or right after the worker logged a read (its commit about to happen)."""
        assert self.log is not None
        self.step(f"kill -9 ({'mid-batch' if mid_batch else 'now'}) and restart")
        with self.checking():
            if mid_batch and self.log.behind(self.expected()):
                seen = self.log.file_events
                deadline = time.monotonic() + 3
                while self.log.file_events == seen and time.monotonic() < deadline:
                    self.log.update()
                    _poll.wait(0.002)
            self.stop(kill=True)
            self.start()

    @rule(settled=st.booleans())
    def restart(self, settled: bool) -> None:
        """SIGTERM and start again; ``settled``: first wait until it provably caught up, and
        check the state file holds exactly the model's lines (a checkpoint)."""
        self.step(f"restart ({'after settling, checked' if settled else 'now'})")
        with self.checking():
            if settled:
                self.checkpoint()
            else:
                self.stop(kill=False)
            self.start()

    # -- checks ----------------------------------------------------------------------------------

    @invariant()
    def daemon_is_consistent(self) -> None:
        if self.daemon is None:
            return
        with self.checking():
            assert self.daemon.proc.poll() is None, (
                f"daemon exited ({self.daemon.proc.returncode}): "
                f"{self.daemon.stderr.decode(errors='replace')}")
            self.check_log()

    def teardown(self) -> None:
        try:
            if self.healthy and self.daemon is not None:
                self.step("teardown: settle, stop, check, run --once")
                with self.checking():
                    self._final_check()
        finally:
            if self.daemon is not None and self.daemon.proc.poll() is None:
                self.daemon.kill9()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _final_check(self) -> None:
        self.checkpoint()
        once = run_once("--root", str(self.root), "--state", str(self.state),
                        "--config", str(self.config), "--processors", PROCESSOR)
        assert once.returncode == 0, once.stderr
        work = [e for e in events_of(once.stdout)
                if e["event"] in CursorLog.FILE_EVENTS and e.get("bytes", 1)]
        assert not work, f"run --once found work the daemon had left: {work}"
        self.check_exact()


MODEL_SETTINGS = settings(
    # ~60-100 s on 2 cores; SESSIOND_MODEL_EXAMPLES=60 for a deeper run without the slow marker
    max_examples=int(os.environ.get("SESSIOND_MODEL_EXAMPLES", "12")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
    # No shrinking and no example database: every example runs a real daemon for seconds and
    # its timing varies, so a replay rarely fails the same way (and a saved example replayed
    # under another step count confuses hypothesis); the failure message lists the steps.
    phases=[Phase.explicit, Phase.generate],
    database=None,
    report_multiple_bugs=False,
)
DaemonModel.TestCase.settings = MODEL_SETTINGS
TestDaemonModel = pytest.mark.timeout(600)(DaemonModel.TestCase)


class LongDaemonModel(DaemonModel):
    """The same model, many more and longer runs: ``pytest -m slow``."""


LongDaemonModel.TestCase.settings = settings(MODEL_SETTINGS, max_examples=60,
                                             stateful_step_count=60)
TestDaemonModelLong = pytest.mark.slow(pytest.mark.timeout(3600)(LongDaemonModel.TestCase))
