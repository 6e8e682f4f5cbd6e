"""The writer: one thread commits for every processor, so batches that arrive together share
a transaction.

A DuckDB transaction here costs a fixed 5-15 ms -- BEGIN/COMMIT, the cursor write, registering
Arrow tables -- whether it carries one processor's batch or three, and a file released by the
debouncer goes to every processor at once. So workers hand their outcomes to the writer and
wait (or, for a backfill's batch, go on reading the next one: `submit`). A worker says when it
starts a batch it may hand in (`begin`); the writer takes everything waiting and gives the
batches that were being prepared at that moment -- only those, so that a busy daemon's commits
do not wait for batch after batch -- up to ``gather`` seconds to join; a worker that waits for a
commit (`Ticket.wait`) or has nothing to hand in (`end`) is no longer waited for. Then it
commits it all in one `Store.commit_many`. If that shared commit fails, each batch is committed
alone and gets its own result: one processor's bad batch (a `Merging` hook that raises, rows
that don't fit) never fails another's.

Measured (`bench.breakdown`, 1 KB appends, lines + usage + verification): committing as soon as
the other processors' batches were in left `lines` to prepare beside that commit on two cores
(14-16 ms instead of ~4) and to commit again alone: 104-106 commits per 51 appends at 5/s. Waiting
for the batches being prepared: 51-52 commits, the writer busy 0.6 s of 10 instead of 0.9-1.0; at
200/s over 1,000 files p99 write -> committed 413-422 ms instead of 481-494, the writer busy
7-8 s of 10 instead of 9.7-9.8. Waiting up to 60 ms rather than 20 for them (`GATHER`; under load
a batch takes 30-50 ms to prepare, so 20 ms cut many off to commit alone), alternated, 15 s each:
at 200/s 590-639 -> 303-409 commits, the writer busy 12.2-14.1 -> 7.9-9.5 s of 15, p99 400-409 ->
383-412 ms; at 300/s 372-391 -> 175-194 commits (every one shared), busy 10.7-10.9 -> 5.5-5.7 s,
p99 468-521 -> 458-473 ms; at 5/s over 50 files the same (p99 282-288 ms, 51-54 commits).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sessiond.daemon import events
from sessiond.daemon.log import get_logger
from sessiond.processors.contract import Processor
from sessiond.state.store import BULK_CHECKPOINT, Outcome, Store

GATHER = 0.06  # seconds a commit waits at most for the batches being prepared (see above)
SETTLE_AFTER = 2.0  # seconds with nothing to commit after a backlog before `Store.settle`


@dataclass(slots=True)
class Ticket:
    """A batch handed to the writer: `wait` returns once it committed, or raises its error."""

    processor: Processor
    outcomes: Sequence[Outcome]
    done: threading.Event = field(default_factory=threading.Event)
    leave: Callable[[], None] | None = None  # the writer's `end`: a waiting worker hands in nothing
    owner: int = 0  # the handing-in thread's ident
    error: BaseException | None = None
    finished: float = 0.0  # time.perf_counter() when the commit ended
    changed: dict[str, int] = field(default_factory=dict)  # items a merge added/dropped, per file

    def wait(self) -> None:
        if self.leave is not None and not self.done.is_set():
            self.leave()
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
    def __init__(self, store: Store, *, gather: float = GATHER, log: Any = None) -> None:
        """``gather``: how long a commit waits at most for the batches being prepared when its
        first batch arrived."""
        self._store = store
        self._log = log or get_logger()
        self._gather = gather
        self._changed = threading.Condition()  # guards the three below
        self._tickets: list[Ticket] = []
        self._open: set[int] = set()  # threads preparing a batch they may hand in
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.transactions = 0  # commits made (tests check that batches shared one)

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """After the workers stopped: commit what was handed in, then end the thread."""
        if self._thread is not None:
            with self._changed:
                self._stopping = True
                self._changed.notify_all()
            self._thread.join(timeout)
            self._thread = None

    @property
    def alive(self) -> bool:
        """Whether the writer's thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def begin(self) -> None:
        """The calling thread starts a batch it may hand in: a commit starting now waits for it."""
        with self._changed:
            self._open.add(threading.get_ident())

    def end(self) -> None:
        """The calling thread hands in nothing more for now (idempotent)."""
        with self._changed:
            if self._open:
                self._open.discard(threading.get_ident())
                self._changed.notify_all()

    def commit(self, processor: Processor, outcomes: Sequence[Outcome]) -> None:
        """Commit like `Store.commit` (raising what it raised), sharing the transaction."""
        self.submit(processor, outcomes).wait()

    def submit(self, processor: Processor, outcomes: Sequence[Outcome]) -> Ticket:
        """Hand a batch in and return at once; its `Ticket` tells when it committed."""
        if self._thread is None:  # not started (tests, offline operations): commit directly
            return Ticket.committed_by(self._store.commit, processor, outcomes)
        ticket = Ticket(processor, outcomes, leave=self.end, owner=threading.get_ident())
        with self._changed:
            self._tickets.append(ticket)
            self._open.discard(ticket.owner)
            self._changed.notify_all()
        return ticket

    def _run(self) -> None:
        changed = self._changed
        while True:
            batches: list[Ticket] = []
            with changed:
                while not self._tickets and not self._stopping:
                    if not changed.wait(SETTLE_AFTER if self._store.bulk else None):
                        break  # a quiet moment after a backlog's large commits
                if not self._tickets and self._stopping:
                    return  # stopping, and everything handed in is committed
                if self._tickets:
                    # Being prepared now: worth a few ms to share. Not a thread whose last batch
                    # is among these (a backfill's worker reading its next batch meanwhile, which
                    # takes longer than the gather: its batches are committed one by one anyway).
                    awaited = self._open - {t.owner for t in self._tickets}
                    deadline = time.monotonic() + self._gather
                    while awaited & self._open and not self._stopping:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        changed.wait(left)
                    batches, self._tickets = self._tickets, []
            if batches:
                self._commit(batches)
            else:  # (only after a wait for `SETTLE_AFTER` that no batch ended)
                self._settle()

    def _settle(self) -> None:
        started = time.perf_counter()
        try:
            self._store.settle()
        except Exception as exc:  # the threshold is back; DuckDB checkpoints later by itself
            self._log.warning(events.CHECKPOINT_FAILED, error=str(exc))
        else:
            self._log.info(events.SETTLED, ms=round((time.perf_counter() - started) * 1000, 1))

    def _commit(self, batches: list[Ticket]) -> None:
        bulk = self._store.bulk
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
        if self._store.bulk and not bulk:  # (said once the workers are released)
            self._log.info(events.BACKLOG, threshold=BULK_CHECKPOINT,
                           files=sum(len(b.outcomes) for b in batches))
