"""The writer: one thread commits for every processor, so batches that arrive together share
a transaction.

A DuckDB transaction here costs a fixed 5-15 ms -- BEGIN/COMMIT, the cursor write, registering
Arrow tables -- whether it carries one processor's batch or three, and a file released by the
debouncer goes to every processor at once. So workers hand their outcomes to the writer and
wait (or, for a backfill's batch, go on reading the next one: `submit`); the writer takes
everything waiting, gives the workers still reading a batch a few milliseconds to join (not
those waiting for a commit: they hand in nothing before it ends; counting them held a commit
5 ms for nothing after each shared one), and commits it all in one `Store.commit_many`. If
that shared commit fails, each batch is committed alone and gets its own result: one
processor's bad batch (a `Merging` hook that raises, rows that don't fit) never fails another's.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sessiond.processors.contract import Processor
from sessiond.state.store import Outcome, Store


@dataclass(slots=True)
class Ticket:
    """A batch handed to the writer: `wait` returns once it committed, or raises its error."""

    processor: Processor
    outcomes: Sequence[Outcome]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    finished: float = 0.0  # time.perf_counter() when the commit ended
    changed: dict[str, int] = field(default_factory=dict)  # items a merge added/dropped, per file

    def wait(self) -> None:
        self.done.wait()
        if self.error is not None:
            raise self.error

    def end(self, error: BaseException | None = None) -> None:
        self.error = error
        self.finished = time.perf_counter()
        self.done.set()

    @classmethod
    def committed_by(cls, commit: Callable[[Processor, Sequence[Outcome]], dict[str, int] | None],
                     processor: Processor, outcomes: Sequence[Outcome]) -> Ticket:
        """A ticket for a commit made right here, now (no writer thread)."""
        ticket = cls(processor, outcomes)
        try:
            ticket.changed = commit(processor, outcomes) or {}
        except Exception as exc:
            ticket.end(exc)
        else:
            ticket.end()
        return ticket


class Writer:
    def __init__(self, store: Store, busy: Callable[[], int], *, gather: float = 0.005) -> None:
        """``busy``: how many workers are inside a batch they have not handed in yet (each
        hands in at most one);
        ``gather``: how long to wait for them at most."""
        self._store = store
        self._busy = busy
        self._gather = gather
        self._queue: queue.SimpleQueue[Ticket | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.transactions = 0  # commits made (tests check that batches shared one)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """After the workers stopped: commit what was handed in, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def commit(self, processor: Processor, outcomes: Sequence[Outcome]) -> None:
        """Commit like `Store.commit` (raising what it raised), sharing the transaction."""
        self.submit(processor, outcomes).wait()

    def submit(self, processor: Processor, outcomes: Sequence[Outcome]) -> Ticket:
        """Hand a batch in and return at once; its `Ticket` tells when it committed."""
        if self._thread is None:  # not started (tests, offline operations): commit directly
            return Ticket.committed_by(self._store.commit, processor, outcomes)
        ticket = Ticket(processor, outcomes)
        self._queue.put(ticket)
        return ticket

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batches = [first]
            deadline = time.monotonic() + self._gather
            while True:
                try:
                    wait = deadline - time.monotonic()
                    if len(batches) >= self._busy() or wait <= 0:
                        nxt = self._queue.get_nowait()  # take what is there, don't wait
                    else:
                        nxt = self._queue.get(timeout=wait)
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                batches.append(nxt)
            self._commit(batches)

    def _commit(self, batches: list[Ticket]) -> None:
        try:
            changed = self._store.commit_many([(b.processor, b.outcomes) for b in batches])
            self.transactions += 1
            for b in batches:
                b.changed = changed.get(b.processor.name, {})
        except BaseException as exc:
            if len(batches) == 1:
                batches[0].error = exc
            else:  # whose batch failed? each alone, each with its own result
                for b in batches:
                    try:
                        b.changed = self._store.commit(b.processor, b.outcomes)
                        self.transactions += 1
                    except BaseException as own:
                        b.error = own
        finally:
            for b in batches:
                b.end(b.error)
