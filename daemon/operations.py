"""Operator actions on a processor: run now, reprocess, list parked files, retry them.

Each action holds the processor's pass lock, so it never runs beside a batch of that
processor's own worker; the same code serves the control socket (daemon running) and the CLI (no daemon).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from sessiond.daemon.discovery import classify
from sessiond.daemon.scanner import Scanner
from sessiond.daemon.worker import Stats, Worker
from sessiond.processors.contract import SessionFile
from sessiond.state.store import Outcome, Store


class UnknownProcessor(KeyError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown processor {self.name!r} (known: {', '.join(self.known) or 'none'})"


class Busy(Exception):
    """The processor is running a pass; try again later (the CLI's exit 75)."""


class Operations:
    def __init__(
        self,
        workers: Mapping[str, Worker],
        scanner: Scanner,
        scan: Callable[[], None],
        *,
        reader: Callable[[], Store],
        lock_timeout: float = 60.0,
    ) -> None:
        self._workers = workers
        self._reader = reader  # a store on its own connection: reads beside running workers
        self._scanner = scanner
        self._scan = scan
        self._lock_timeout = lock_timeout

    def worker(self, name: str) -> Worker:
        try:
            return self._workers[name]
        except KeyError:
            raise UnknownProcessor(name, sorted(self._workers)) from None

    def process(self, name: str) -> Stats:
        """Scan, then run the processor's queue now; `Busy` if it is already in a pass."""
        worker = self.worker(name)
        if worker.pass_lock.locked():
            raise Busy(name)
        self._scan()
        stats = worker.run_now()
        if stats is None:
            raise Busy(name)
        return stats

    @contextlib.contextmanager
    def _locked(self, worker: Worker) -> Iterator[None]:
        """Hold the processor's pass lock (waiting for a running pass to end, within limits)."""
        if not worker.pass_lock.acquire(timeout=self._lock_timeout):
            raise Busy(worker.processor.name)
        try:
            worker.settle()  # a backfill's batch may still be in flight: its cursors first
            yield
        finally:
            worker.pass_lock.release()

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """No pass of that processor runs in the block (its batch in flight confirmed first):
        for a change to its tables made from outside it, e.g. a review decision."""
        with self._locked(self.worker(name)):
            yield

    def _select(self, worker: Worker, user: str | None, file: str | None) -> list[str]:
        keys = set(worker.store.files(worker.processor.name)) | set(self._scanner.index)
        return sorted(
            k for k in keys
            if (file is None or k == file) and (user is None or k.split("/", 1)[0] == user)
        )

    def reprocess(self, name: str, *, user: str | None = None, file: str | None = None) -> int:
        """Delete outputs and cursors of the matching files and queue them again."""
        worker = self.worker(name)
        with self._locked(worker):
            keys = self._select(worker, user, file)
            if file is not None and file not in keys and classify(file) is not None:
                keys.append(file)
            worker.store.reset_files(worker.processor, keys)
            for key in keys:
                worker.cursors.discard(key)
        self._scanner.forget(keys)
        for key in keys:
            f = classify(key)
            if f is not None and worker.processor.wants(f):
                worker.queue.put(f)
        return len(keys)

    def parked(self, name: str | None = None) -> list[dict[str, Any]]:
        names = [name] if name is not None else sorted(self._workers)
        out = []
        store = self._reader()
        for n in names:
            self.worker(n)  # unknown names raise
            for c in store.troubled(n):
                if c.parked:
                    out.append({"processor": n, "file": c.file, "user": c.user,
                                "attempts": c.attempts, "last_error": c.last_error})
        return out

    def retry(self, name: str, *, file: str | None = None) -> int:
        """Release parked (and backing-off) files of a processor and queue them now."""
        worker = self.worker(name)
        with self._locked(worker):
            chosen = [
                replace(c, attempts=0, parked=False, next_retry_at=None, last_error=None)
                for c in worker.store.troubled(name, file)
            ]
            worker.store.commit(worker.processor, [Outcome(cursor=c, rows={}) for c in chosen])
            for c in chosen:
                worker.cursors.put(c)
        for c in chosen:
            worker.queue.put(SessionFile(c.file, c.user))
        return len(chosen)
