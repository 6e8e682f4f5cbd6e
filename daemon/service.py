"""The service: wires state, scanner, watcher, debouncer, queues and workers, and runs the loop.

Threads: the main loop (signals, debounce releases, scan timer, systemd notify), one scanner
thread, watchdog's observer thread, and one worker thread per processor. They meet only at the
debouncer (under a lock), the work queues, and the wake pipe that interrupts the main loop.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import selectors
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from prometheus_client import start_http_server

from sessiond import __version__
from sessiond.daemon import events
from sessiond.daemon.api import routes
from sessiond.daemon.config import SettingsError, size_bytes
from sessiond.daemon.control import ControlError, ControlServer
from sessiond.daemon.debouncer import Debouncer
from sessiond.daemon.discovery import VANISHED, classify, file_of
from sessiond.daemon.dispatcher import Dispatcher
from sessiond.daemon.log import get_logger
from sessiond.daemon.metrics import Metrics
from sessiond.daemon.notify import Notifier
from sessiond.daemon.operations import Operations
from sessiond.daemon.pool import Executors, ParsePool, processes
from sessiond.daemon.prefixes import Prefix
from sessiond.daemon.publish import Publisher, SnapshotError
from sessiond.daemon.reads import Reads, sharers
from sessiond.daemon.scanner import UNSEEN, Scanner
from sessiond.daemon.settings import Settings
from sessiond.daemon.sql import sandbox
from sessiond.daemon.starting import StartMarker, serving
from sessiond.daemon.status import snapshot
from sessiond.daemon.watcher import Watcher, WatcherUnavailable
from sessiond.daemon.watches import Coverage
from sessiond.daemon.worker import Worker, WorkerSettings
from sessiond.daemon.workqueue import WorkQueue
from sessiond.daemon.writer import Writer
from sessiond.processors.contract import Processor
from sessiond.state.cursor import Seen
from sessiond.state.db import StateError, open_state
from sessiond.state.migrations import prepare
from sessiond.state.store import Store

RSS_CHECK_SECONDS = 5.0
# How long a scan's changes that no event had told of wait for their events before they count
# as missed: an event on its way (its change seen by the scan first) is late, not missed.
MISSED_GRACE = 0.25


def _rss() -> int:
    """This process's resident size in bytes (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``): each scan
    builds the index anew and frees the previous one, start-up frees what it read from the
    state, and without this those pages stay resident. Measured at 100k files (`bench --only
    idle`): 200-202 MB after start-up without it, 193-194 MB with it; ~8 ms a call. Nothing
    where the C library has no ``malloc_trim``."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def worker_settings(settings: Settings, processor: Processor) -> WorkerSettings:
    return WorkerSettings(
        interval=settings.interval_for(processor.name, processor.interval),
        max_attempts=settings.max_attempts, backoff_base=settings.backoff_base,
        backoff_cap=settings.backoff_cap, max_line_bytes=settings.max_line_bytes,
        pass_bytes=settings.pass_bytes, batch_files=settings.batch_files,
        parse_min_bytes=settings.parse_min_bytes, cursor_cache=settings.cursor_cache,
        verify_after=settings.verify_after,
    )


def initial_index(processors: Sequence[Processor], store: Store) -> dict[str, Seen]:
    """The scan index at start: a file counts as seen only if every processor that wants it
    has a clean, current cursor for exactly that stat; any other file with a cursor is in it
    as `UNSEEN`, so the first scan dispatches it again -- or, gone, as removed."""
    index: dict[str, Seen] = {}
    bits = [(1 << i, p) for i, p in enumerate(processors)]
    every = (1 << len(processors)) - 1
    for key, stat, clean in store.known_stats({p.name: p.version for p in processors}):
        if clean == every and stat is not None:  # clean for all, so for whichever want it
            index[key] = stat  # (a key that is no session file goes at the first scan)
            continue
        # Not classified (24k subagent files, 0.1 s): a stored key that is no session file by
        # today's rules is never listed by the scan, which then drops it as no session file.
        file = file_of(key)
        index[key] = stat if stat is not None and all(clean & bit for bit, p in bits if p.wants(file)) else UNSEEN
    return index


@dataclass(slots=True)
class _Flags:
    stop: bool = False
    hup: bool = False
    scan: bool = False


class Service:
    def __init__(
        self,
        settings: Settings,
        processors: Sequence[Processor],
        *,
        reload: Callable[[], Settings] | None = None,
        notifier: Notifier | None = None,
        log: Any = None,
        executors: Executors = processes,
        announce: bool = False,
    ) -> None:
        """``executors``: where the parse pool examines files (`daemon.pool.processes`; tests
        pass threads that run the same path); ``announce``: write the start marker
        (`daemon.starting`) until the control socket answers -- the long-running daemon does."""
        self.settings = settings
        self.processors = list(processors)
        self._reload = reload
        self.notifier = notifier or Notifier({})
        self.log = log or get_logger()
        self.started_at = time.time()
        self._flags = _Flags()
        # Set when the resident size passed `restart_rss`: `run` stops cleanly and the command
        # line execs the daemon again in the same process (`commands.run`).
        self.restart = False
        self.crashed: list[str] = []  # threads that ended while the daemon ran (`run` exits 1)
        self._ready_rss = 0
        self._lock = threading.Lock()  # guards debouncer and announced
        self.debouncer = Debouncer(settle=settings.settle, max_delay=settings.max_delay)
        self._announced: set[str] = set()  # keys events told of since the last scan began
        self._folders_changed: set[str] = set()  # folders (`user/`...) events told of, the same
        self._scan_wanted = threading.Event()
        self._stop = threading.Event()
        self.first_scan_done = threading.Event()
        self.last_scan: dict[str, Any] = {}
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.marker = StartMarker(settings.state)
        try:
            other = self.marker.announce() if announce else None
            if other is not None:
                raise StateError(f"another sessiond (PID {other}) is starting on {settings.state}")
            con = open_state(
                settings.state, wait=settings.lock_wait,
                on_locked=lambda pid, holder: self.log.info(
                    events.STATE_LOCKED, state=str(settings.state), pid=pid, holder=holder,
                    wait=settings.lock_wait),
                # a reader lets go; a daemon does not: don't wait for one that answers
                give_up=lambda: (f"a sessiond answers on {settings.socket_path}"
                                 if serving(settings.socket_path) else None))
        except BaseException:
            self.marker.done()
            os.close(self._wake_r)
            os.close(self._wake_w)
            raise
        self._con = con
        try:
            imported = prepare(con, [(f"processor:{p.name}", p.migrations) for p in self.processors])
        except BaseException:
            self.marker.done()
            con.close()
            raise
        if imported:
            self.log.info(events.LEGACY_IMPORTED, rows=imported, state=str(settings.state))
        memo: dict[str, Any] = {}  # what processors keep across commits: one per database
        store = Store(con, memo)
        store.limit_memory(settings.memory_limit)
        sandbox(con)  # `sessiond sql` runs here: no SQL of this database may read or write files
        self._settings_store = Store(con.cursor(), memo)  # the main loop's own (a reload's settings)
        self.queues = {p.name: WorkQueue(time.monotonic) for p in self.processors}
        self.writer = Writer(Store(con.cursor(), memo), log=self.log)
        self.pool = (ParsePool(self.processors, store.schema, workers=settings.parse_workers,
                               log=self.log, executors=executors)
                     if settings.parse_workers > 0 else None)
        self.reads = Reads()  # one read of a file's new bytes for every processor (`daemon.reads`)
        share = sharers(self.processors)
        self.workers = {
            p.name: Worker(
                p, self.queues[p.name], Store(con.cursor(), memo), root=settings.root,
                settings=worker_settings(settings, p), log=self.log, writer=self.writer,
                pool=self.pool, reads=self.reads, sharers=share,
                borrow=functools.partial(self._borrow_prefix, p.name),
            )
            for p in self.processors
        }
        self.dispatcher = Dispatcher([(p, self.queues[p.name]) for p in self.processors])
        self.scanner = Scanner(settings.root, initial_index(self.processors, store))
        tracked = store.tracked()
        store.drop_cached_pages(settings.memory_limit)
        self.watcher: Watcher | None = None
        self.coverage = Coverage(settings.root)  # folders the kernel does not watch
        self._watch_complete = False  # watcher ran through the whole period since last scan
        self._threads: list[threading.Thread] = []
        self._scan_lock = threading.Lock()
        self.scans_total = self.missed_total = self.reloads = self.overflows = 0
        self._skipped: set[str] = set()  # what the last scan skipped (see `_scan`)
        self.ops = Operations(self.workers, self.scanner, self.scan_now,
                              reader=lambda: Store(self.reader()))
        self.metrics = Metrics(self)
        self.publisher = Publisher(self.reader, lambda: self.settings, self.log)
        for name, worker in self.workers.items():
            worker.on_commit = self._on_commit(name)
            worker.on_seen = self.scanner.learn
        self.control: ControlServer | None = None
        self._metrics_http: Any = None
        for p in self.processors:
            self.log.info(events.PROCESSOR_LOADED, processor=p.name, version=p.version,
                          interval=self.workers[p.name].settings.interval,
                          files_tracked=tracked.get(p.name, 0))

    def _borrow_prefix(self, me: str, key: str, offset: int, digest: str) -> Prefix | None:
        """Another worker's hash state of ``key`` at ``offset`` with ``digest``, if one has it
        (`daemon.prefixes`)."""
        for name, worker in self.workers.items():
            prefix = worker.prefixes.peek(key, offset) if name != me else None
            if prefix is not None and prefix.digest == digest:
                return prefix
        return None

    def _on_commit(self, processor: str) -> Callable[[float], None]:
        observe = self.metrics.commit_seconds.labels(processor=processor).observe

        def committed(seconds: float) -> None:
            observe(seconds)
            self.publisher.changed()  # a flag: the publish runs on its own thread

        return committed

    def reader(self) -> Any:
        """A separate DuckDB connection to the same database, for reads from another thread."""
        return self._con.cursor()

    def status(self) -> dict[str, Any]:
        """Live status: cursors as committed, files as they are now, lag from the queues."""
        out = snapshot(self.processors, Store(self.reader()), self.settings.root)
        now = time.monotonic()
        for name, p in out["processors"].items():
            queue, worker = self.queues[name], self.workers[name]
            since = queue.oldest_since()
            p["queued"] = len(queue)
            p["busy"] = worker.busy
            if since is not None:
                p["lag_seconds"] = round(max(p["lag_seconds"], now - since), 3)
            p["stats"] = worker.stats.as_dict()
        cfg = self.settings
        out["config"] = {
            "settle": cfg.settle, "max_delay": cfg.max_delay, "scan_interval": cfg.scan_interval,
            "watch": cfg.watch, "max_attempts": cfg.max_attempts, "lag_threshold": cfg.lag_threshold,
            "intervals": {n: w.settings.interval for n, w in self.workers.items()},
            "reloads": self.reloads, "config_file": str(cfg.config) if cfg.config else None,
        }
        out.update(version=__version__, uptime_seconds=round(time.time() - self.started_at, 3),
                   scan=dict(self.last_scan), state=str(self.settings.state),
                   daemon={"running": True, "pid": os.getpid()},
                   watcher=bool(self.watcher and self.watcher.running),
                   publish={"dir": str(cfg.publish_dir) if cfg.publish_dir else None,
                            "host": cfg.publish_host, "interval": cfg.publish_interval,
                            **self.publisher.state})
        return out

    # -- requests from other threads / signal handlers -----------------------------------

    def _wake(self) -> None:
        # A full pipe means the main loop is already due to wake.
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"\0")

    def request_stop(self) -> None:
        self._flags.stop = True
        self._wake()

    def request_scan(self) -> None:
        self._flags.scan = True
        self._wake()

    def request_reload(self) -> None:
        self._flags.hup = True
        self._wake()

    def _on_file_event(self, key: str) -> None:
        if self.settings.drop_events:
            return
        with self._lock:
            self._announced.add(key)
            earlier = self.debouncer.mark(key, time.monotonic())
        if earlier:
            self._wake()

    def _on_folders(self, folders: list[str]) -> None:
        """Folders appeared, moved or went: scan. Files under them are owed no event (inotify
        tells nothing of a new folder's files until its watch exists, nor of a moved folder's)."""
        if self.settings.drop_events:
            return
        with self._lock:
            self._folders_changed.update(folders)
        self.request_scan()

    # -- scanning ------------------------------------------------------------------------

    def scan_now(self) -> None:
        """One full scan, dispatching what changed (runs on the scanner thread, or inline)."""
        with self._scan_lock:
            self._scan()

    def _scan(self) -> None:
        with self._lock:
            announced = self._announced if self._watch_complete else None
            folders_before, self._announced, self._folders_changed = self._folders_changed, set(), set()
            self._watch_complete = self.watcher is not None and self.watcher.running
        watcher = self.watcher
        adopt = watcher.adopt if watcher is not None and watcher.pending else None
        result = self.scanner.scan(announced, adopt)  # a new watcher's folders: watched now
        if watcher is not None and adopt is not None and result.root_exists:
            watcher.adopted()
            if watcher.failed:  # its folders unwatched: the main loop starts one that walks
                watcher.stop()
        missed = self._unannounced(result.missed, folders_before)
        if missed:  # the events of changes the scan saw may be on their way still
            self._stop.wait(MISSED_GRACE)
            missed = self._unannounced(missed, folders_before)
        self.scans_total += 1
        self.missed_total += len(missed)
        if not result.root_exists:
            self.log.warning(events.SCAN_ROOT_MISSING, root=str(self.settings.root))
        self.dispatcher.dispatch(result.changed)
        self.dispatcher.dispatch(result.removed)
        self.last_scan = {
            "at": time.time(), "seconds": round(result.seconds, 3), "files": result.files,
            "changed": len(result.changed), "removed": len(result.removed),
            "missed_by_events": len(missed), "errors": len(result.errors),
        }
        self.log.info(events.SCAN_DONE, ms=round(result.seconds * 1000, 1), files=result.files,
                      changed=len(result.changed), removed=len(result.removed),
                      missed_by_events=len(missed), errors=result.errors[:10])
        # Each scan names what it skipped; a warning says what is new since the last one, so a
        # name that is not UTF-8 is told once (and again after it was gone), not every scan. A
        # folder deleted while the scan listed its parent was not skipped: no warning.
        lasting = {e for e in result.errors if not e.endswith(VANISHED)}
        skipped = sorted(lasting - self._skipped)
        self._skipped = lasting
        if skipped:
            self.log.warning(events.SCAN_SKIPPED, count=len(skipped), errors=skipped[:10])
        if missed:
            self.log.warning(events.SCAN_MISSED_EVENTS, count=len(missed), files=missed[:10])
        # Ready now: what follows only looks back at this scan. (The first check of the
        # watches reads the kernel's list of every folder's watch: 0.15-0.3 s at 23k folders.)
        if not self.first_scan_done.is_set():
            self.first_scan_done.set()
            self._wake()
        if self.watcher is not None and self.watcher.running and result.root_exists:
            unwatched = self.coverage.check(result.folders)
            if unwatched:
                self.log.warning(
                    events.WATCHER_LIMIT, new=len(unwatched), folders=len(self.coverage.missing),
                    sample=unwatched[:10],
                    reason="inotify could not watch them (fs.inotify.max_user_watches reached?)",
                    fallback=f"scan every {self._scan_every()}s; raise the limit, then reload")
        _trim_heap()

    def _unannounced(self, keys: list[str], folders_before: set[str]) -> list[str]:
        """Of the changes a scan found that no event had told of when it began, those no event
        has told of since either, nor of their folder's appearing, moving or going (inotify
        tells nothing of a new folder's files until its watch exists): missed by the events."""
        if not keys:
            return keys
        with self._lock:
            folders = tuple(folders_before | self._folders_changed)
            return [k for k in keys if k not in self._announced and not k.startswith(folders)]

    def _scan_every(self) -> float:
        """The scan interval: shorter while some folders are not watched."""
        if self.coverage.uncovered:
            return min(self.settings.scan_interval, self.settings.unwatched_scan_interval)
        return self.settings.scan_interval

    def _on_overflow(self) -> None:
        """The kernel's event queue overflowed: events were lost, and watchdog rebuilt its
        watches (some may have failed): scan, and check every folder again."""
        self.overflows += 1
        self.log.warning(events.WATCHER_OVERFLOW, overflows=self.overflows)
        self.coverage.reset()
        self.request_scan()

    def _scanner_loop(self) -> None:
        while not self._stop.is_set():
            self._scan_wanted.wait()
            if self._stop.is_set():
                return
            self._scan_wanted.clear()
            self.scan_now()
            self._wake()

    # -- the watcher ---------------------------------------------------------------------

    def _ensure_watcher(self, *, rescan: bool = True) -> None:
        if not self.settings.watch or (self.watcher is not None and self.watcher.running):
            return
        if not self.settings.root.is_dir():
            return
        watcher = Watcher(self.settings.root, self._on_file_event, self._on_folders,
                          self._on_overflow)
        try:
            watcher.start()
        except WatcherUnavailable as exc:
            self.log.warning(events.WATCHER_UNAVAILABLE, reason=str(exc),
                             fallback=f"scan every {self.settings.scan_interval}s")
            self.settings = replace(self.settings, watch=False)
            return
        self.watcher = watcher
        self.coverage.reset()
        self.log.info(events.WATCHER_STARTED, root=str(self.settings.root),
                      folders="by the next scan" if watcher.pending else "all")
        if rescan:
            self.request_scan()  # whatever appeared before the watch started

    # -- the main loop -------------------------------------------------------------------

    def run(self, *, install_signals: bool = True) -> int:
        """Serve until stopped; returns the exit code (0)."""
        self.log.info(events.DAEMON_STARTING, version=__version__, root=str(self.settings.root),
                      state=str(self.settings.state),
                      processors=[p.name for p in self.processors])
        if install_signals:
            self._install_signals()
        stop = self._stop
        self.writer.start()
        self.publisher.start()
        for name, worker in self.workers.items():
            t = threading.Thread(target=worker.run_forever, args=(stop,),
                                 name=f"worker-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        scanner = threading.Thread(target=self._scanner_loop, name="scanner", daemon=True)
        scanner.start()
        self._ensure_watcher(rescan=False)  # the first scan follows
        self._start_control()
        self.marker.done()  # commands ask the socket from now on (or, without one, the file)
        self._scan_wanted.set()
        last_scan = time.monotonic()  # when the last periodic or asked-for scan was started
        ready = reloading = False
        next_rss_check = 0.0
        selector = selectors.DefaultSelector()
        selector.register(self._wake_r, selectors.EVENT_READ)
        try:
            while True:
                now = time.monotonic()
                with self._lock:
                    deadline = self.debouncer.next_deadline()
                next_scan = last_scan + self._scan_every()  # shorter once folders go unwatched
                timeout = min(1.0, max(0.0, next_scan - now))
                if deadline is not None:
                    timeout = min(timeout, max(0.0, deadline - now))
                if self.notifier.watchdog_interval:
                    timeout = min(timeout, self.notifier.watchdog_interval)
                selector.select(timeout)
                self._drain_wake()
                flags = self._flags
                if flags.stop:
                    break
                if flags.hup:
                    flags.hup = False
                    self.notifier.reloading()
                    self._apply_reload()
                    reloading = True
                    self.first_scan_done.clear()
                    flags.scan = True
                now = time.monotonic()
                if flags.scan or now >= last_scan + self._scan_every():
                    flags.scan = False
                    last_scan = now
                    self._scan_wanted.set()
                with self._lock:
                    released = self.debouncer.due(now)
                if released:
                    self.metrics.debounce_releases.inc(len(released))
                    self.dispatcher.dispatch(f for f in map(classify, released) if f is not None)
                if self.first_scan_done.is_set() and (not ready or reloading):
                    self.notifier.ready(self.status_line())
                    if not ready:
                        self.log.info(events.DAEMON_READY, seconds=round(time.time() - self.started_at, 3))
                        self._ready_rss = _rss()
                    ready, reloading = True, False
                if ready and now >= next_rss_check:
                    next_rss_check = now + RSS_CHECK_SECONDS
                    if self._outgrown():
                        break
                self._ensure_watcher()
                self.reads.expire()
                if self.pool is not None:
                    self.pool.reap()
                if dead := self._dead(scanner):
                    # A bug outside every guard (the scanner, a worker, the writer): running on
                    # without that thread would look healthy and process nothing. Stop, exit 1,
                    # and let systemd start a whole daemon again (Restart=on-failure).
                    self.log.error(events.DAEMON_THREAD_DIED, threads=dead)
                    self.crashed = dead
                    break
                self.notifier.watchdog(time.monotonic())
        finally:
            selector.close()
            self._shutdown(scanner)
        return 1 if self.crashed else 0

    def _dead(self, scanner: threading.Thread) -> list[str]:
        """The daemon's threads that ended while it runs."""
        dead = [t.name for t in (scanner, *self._threads) if not t.is_alive()]
        return dead if self.writer.alive else [*dead, "writer"]

    def _outgrown(self) -> bool:
        """Whether the resident size passed `restart_rss`, having grown by more than a quarter
        of it since the daemon was ready (one that starts above it must not loop): then a clean
        stop, and `commands.run` execs the daemon again -- the state makes that exactly once,
        as any restart. DuckDB's native heap grows under steady commits (~1-6 KB each, not
        freed until the database is closed: BENCHMARKS.md)."""
        limit = size_bytes(self.settings.restart_rss)
        rss = _rss()
        if not limit or rss <= limit or rss - self._ready_rss <= limit // 4:
            return False
        self.log.warning(events.DAEMON_RESTARTING, rss=rss, restart_rss=self.settings.restart_rss,
                         rss_when_ready=self._ready_rss,
                         uptime_seconds=round(time.time() - self.started_at, 3))
        self.restart = True
        return True

    def _start_control(self) -> None:
        try:
            self.control = ControlServer(self.settings.socket_path, routes(self), self.log)
        except ControlError as exc:
            self.log.error(events.CONTROL_UNAVAILABLE, error=str(exc))
        else:
            self.control.start()
            self.log.info(events.CONTROL_STARTED, socket=str(self.settings.socket_path))
        if self.settings.metrics_port:
            self._metrics_http = start_http_server(
                self.settings.metrics_port, addr="127.0.0.1", registry=self.metrics.registry
            )

    def status_line(self) -> str:
        pending = sum(len(q) for q in self.queues.values())
        scan = self.last_scan
        return f"{scan.get('files', 0)} files, {pending} queued, last scan {scan.get('seconds', 0)}s"

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # raised once the pipe is empty
            while os.read(self._wake_r, 4096):
                pass

    def _install_signals(self) -> None:
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)

        def on_stop(signum: int, frame: object) -> None:
            self._flags.stop = True

        def on_hup(signum: int, frame: object) -> None:
            self._flags.hup = True

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_hup)

    def _apply_reload(self) -> None:
        if self._reload is None:
            return
        try:
            new = self._reload()
        except SettingsError as exc:
            self.log.error(events.CONFIG_INVALID, error=str(exc), kept="previous settings")
            return
        ignored = [k for k in ("root", "state", "processors") if getattr(new, k) != getattr(self.settings, k)]
        new = replace(new, root=self.settings.root, state=self.settings.state,
                      processors=self.settings.processors)
        self.settings = new
        with self._lock:
            self.debouncer.settle, self.debouncer.max_delay = new.settle, new.max_delay
        for p in self.processors:
            self.workers[p.name].settings = worker_settings(new, p)
            self.workers[p.name].cursors.capacity = new.cursor_cache
        self._settings_store.limit_memory(new.memory_limit)
        if self.coverage.missing and self.watcher is not None:
            # Folders went unwatched (the watch limit): maybe it was raised. The main loop
            # starts a new watcher, which tries every folder again, and rescans.
            self.watcher.stop()
        self.reloads += 1
        self.log.info(events.CONFIG_RELOADED, needs_restart=ignored)

    def _shutdown(self, scanner: threading.Thread) -> None:
        if self.restart:  # the same process comes back (exec): a reload, to systemd
            self.notifier.reloading()
        else:
            self.notifier.stopping()
        self.log.info(events.DAEMON_STOPPING)
        if self.watcher is not None:
            self.watcher.stop()
        control_idle = self.control is None or self.control.stop()
        if self._metrics_http is not None:
            server, _thread = self._metrics_http
            server.shutdown()
            server.server_close()
        self._stop.set()
        self._scan_wanted.set()
        for q in self.queues.values():
            q.close()
        scanner.join(timeout=30)
        hung = []
        for t in self._threads:
            t.join(timeout=10)
            if t.is_alive():
                hung.append(t.name)
        if not hung:
            self.writer.stop()
        if not self.publisher.stop():  # a publish still writing: its connection stays open
            hung.append("publisher")
        if not control_idle:  # a control request still running: its connection stays open
            hung.append("control")
        self.log.info(events.DAEMON_STOPPED, abandoned=hung)
        if not hung:
            self.close()

    # -- run --once ------------------------------------------------------------------------

    def run_once(self) -> int:
        """Scan, process everything present until every queue is empty, summarise, exit."""
        started = time.perf_counter()
        self.scan_now()
        crashed: list[str] = []

        def drain(name: str, worker: Worker) -> None:
            try:
                worker.drain()
            except Exception as exc:  # a bug: count it, so the run cannot exit 0
                crashed.append(name)
                self.log.error(events.PROCESSOR_FAILED, processor=name, error=repr(exc),
                               traceback="".join(traceback.format_exception(exc))[-4000:])

        threads = [threading.Thread(target=drain, args=(n, w), name=f"once-{n}")
                   for n, w in self.workers.items()]
        self.writer.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.writer.stop()
        summary = {n: w.stats.as_dict() for n, w in self.workers.items()}
        errors = sum(s["errors"] for s in summary.values()) + len(crashed)
        if self.settings.publish_dir is not None:
            try:
                self.publisher.publish_now()
            except SnapshotError:  # logged (publish.failed)
                errors += 1
        self.log.info(events.RUN_SUMMARY, seconds=round(time.perf_counter() - started, 3),
                      files=self.last_scan.get("files", 0), processors=summary)
        self.close()
        return 1 if errors else 0

    def close(self) -> None:
        self.marker.done()
        if self.pool is not None:
            self.pool.close()
        self.notifier.close()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1
        self._con.close()
