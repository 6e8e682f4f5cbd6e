"""The parse pool: processes that examine files for a backfill, so it uses every core.

Reading, hashing, framing, JSON parsing, the processor's `process` and the conversion of its
rows to Arrow are pure (`daemon.examine`) and hold the GIL: in threads, the daemon uses one core
(1.06-1.16 cores measured on a backfill). A worker whose batch has a lot to read hands the
batch's files to these processes and gets `Examined` values back, rows as Arrow tables. They
cross the process boundary as Arrow IPC streams (`_ship`): pickled as tables they cost five
times as much on both sides (0.8 + 0.4 s vs 0.14 + 0.12 s for 100k rows). Cursors, logging,
the `Merging` hooks and the commit stay in the daemon (one writer).

Processes are started on first use (`processes`) with a pickled copy of each processor, and
stopped after ``idle`` seconds without work, so an idle daemon holds no more memory than
without them. A processor that cannot be pickled is examined in its worker's thread, as
without a pool.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pyarrow as pa

from sessiond.daemon import events
from sessiond.daemon.examine import Examined, examine
from sessiond.processors.contract import Processor, SessionFile
from sessiond.state.cursor import Cursor
from sessiond.state.store import Prepared, prepare_rows

# In each pool process: processor name -> (processor, its tables' schemas).
_PROCESSORS: dict[str, tuple[Processor, Mapping[str, pa.Schema]]] = {}


def load(blob: bytes) -> None:
    """Make the pickled processors (what a `ParsePool` hands its executor) the ones this
    process examines files with."""
    _PROCESSORS.update(pickle.loads(blob))


def _start(blob: bytes, daemon: int) -> None:
    load(blob)
    # the daemon's pid as it started us: asking getppid() here would get 1 if it died already
    threading.Thread(target=_exit_with, args=(daemon,), name="parent-watch", daemon=True).start()


Executors = Callable[[bytes, int], Executor]
"""Makes the pool's executor from the pickled processors and the number of workers."""


def processes(blob: bytes, workers: int) -> Executor:
    """The pool's executor: ``spawn`` processes (the daemon has threads, and ``fork`` would
    copy their locks) that end with the daemon."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_start, initargs=(blob, os.getpid()))


def _exit_with(parent: int, every: float = 0.5) -> None:
    """End this process once the daemon is gone. Killed with SIGKILL (or by the OOM killer), the
    daemon cannot stop its pool, and the processes would stay -- holding its stdout and stderr
    open, so whatever reads them (journald's stream, a test) never sees their end."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)


def _examine(name: str, root: Path, file: SessionFile, cursor: Cursor | None, budget: int,
             max_line_bytes: int, skip: tuple[bytes, ...]) -> Examined:
    processor, schemas = _PROCESSORS[name]
    return examine_shipped(processor, schemas, root, file, cursor, budget=budget,
                           max_line_bytes=max_line_bytes, skip=skip)


def examine_shipped(
    processor: Processor, schemas: Mapping[str, pa.Schema], root: Path, file: SessionFile,
    cursor: Cursor | None, *, budget: int, max_line_bytes: int, skip: tuple[bytes, ...],
) -> Examined:
    """What a pool process does for one file (also timed by `bench.ceiling`): `examine`, the
    rows converted with the tables' ``schemas`` and shipped (`_ship`)."""

    def prepare(p: Processor, rows: Mapping[str, Any]) -> Mapping[str, Any]:
        return prepare_rows(p, rows, schemas.__getitem__)

    # No cyclic GC while a file's records are alive: its passes would walk all of them, and
    # nothing here makes cycles (10-15 % of a pool process's time on the 510 MB corpus).
    gc.disable()
    try:
        return _ship(examine(processor, root, file, cursor, budget=budget,
                             max_line_bytes=max_line_bytes, skip=skip, prepare=prepare))
    finally:
        gc.enable()


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()  # type: ignore[no-any-return]


def _ship(result: Examined) -> Examined:
    """The rows as Arrow IPC bytes, to pickle: a plain table as ``(bytes, None)``, a `Prepared`
    one as ``(its columns, its merge fields or b"")`` -- nothing a merge reads stays behind."""
    shipped: dict[str, tuple[bytes, bytes | None]] = {}
    for t, r in result.rows.items():
        if isinstance(r, Prepared):
            shipped[t] = (_ipc(r.arrow), b"" if r.extra is None else _ipc(r.extra))
        else:
            shipped[t] = (_ipc(r), None)
    result.rows = shipped
    return result


def _read_ipc(blob: bytes) -> pa.Table:
    return pa.ipc.open_stream(blob).read_all()


def _unship(result: Examined) -> Examined:
    """`_ship` undone: the tables are read from the bytes without copying them."""
    rows: dict[str, Any] = {}
    for t, (table, extra) in result.rows.items():
        if extra is None:
            rows[t] = _read_ipc(table)
        else:
            rows[t] = Prepared(_read_ipc(table), _read_ipc(extra) if extra else None)
    result.rows = rows
    return result


class PoolBroken(Exception):
    """A pool process died under a batch; examine it in the thread instead."""


class ParsePool:
    def __init__(
        self,
        processors: Sequence[Processor],
        schema: Callable[[str], pa.Schema],
        *,
        workers: int,
        idle: float = 60.0,
        log: Any = None,
        executors: Executors = processes,
    ) -> None:
        """``schema``: a table's Arrow schema (from the state database, read once here);
        ``executors``: where files are examined (tests run the same path in threads)."""
        self.workers = workers
        self._executors = executors
        self._idle = idle
        self._log = log
        shippable: dict[str, tuple[Processor, Mapping[str, pa.Schema]]] = {}
        for p in processors:
            try:
                entry = (p, {t: schema(t) for t in p.tables})
                pickle.dumps(entry)
            except Exception as exc:  # e.g. a client object: that processor stays in-thread
                if log is not None:
                    log.info(events.POOL_IN_THREAD, processor=p.name, reason=repr(exc)[:200])
                continue
            shippable[p.name] = entry
        self._blob = pickle.dumps(shippable)
        self._names = frozenset(shippable)
        self._lock = threading.Lock()
        self._executor: Executor | None = None
        self._busy = 0
        self._last_used = time.monotonic()

    def serves(self, name: str) -> bool:
        return self.workers > 0 and name in self._names

    def examine(
        self, name: str, root: Path, jobs: Sequence[tuple[SessionFile, Cursor | None]], *,
        budget: int, max_line_bytes: int, skip: tuple[bytes, ...],
    ) -> list[Examined]:
        """Examine the files in the pool processes, in parallel; results in the jobs' order."""
        with self._lock:
            if self._executor is None:
                self._executor = self._executors(self._blob, self.workers)
                if self._log is not None:
                    self._log.info(events.POOL_STARTED, workers=self.workers, processors=sorted(self._names))
            executor = self._executor
            self._busy += 1
        try:
            futures: list[Future[Examined]] = [
                executor.submit(_examine, name, root, file, cursor, budget, max_line_bytes, skip)
                for file, cursor in jobs
            ]
            return [_unship(f.result()) for f in futures]
        except BrokenProcessPool as exc:  # a process died (OOM killer, a crash in C code)
            with self._lock:
                if self._executor is executor:
                    self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)
            raise PoolBroken(str(exc)) from exc
        finally:
            with self._lock:
                self._busy -= 1
                self._last_used = time.monotonic()

    def reap(self, now: float | None = None) -> None:
        """Stop the processes once they have had nothing to do for ``idle`` seconds."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._executor is None or self._busy or now - self._last_used < self._idle:
                return
            executor, self._executor = self._executor, None
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
