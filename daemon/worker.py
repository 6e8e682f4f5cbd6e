"""The worker of one processor: takes files from its queue, reads what is new, commits.

Per file: open it safely, decide from the cursor (unchanged / fresh / verify / rewrite), read the
new complete lines within the per-pass budget, decode them, run the processor, and collect an
`Outcome`. A batch of outcomes commits in one transaction. Failures are classified: a bad line is
counted and skipped; an I/O error backs off; a processor exception backs off and, after
``max_attempts``, parks the file for this processor.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sessiond.daemon import events
from sessiond.daemon.examine import Examined, Found, examine, finish, prepared, unprepared
from sessiond.daemon.pool import ParsePool, PoolBroken
from sessiond.daemon.prefixes import Prefix, Prefixes
from sessiond.daemon.reads import Reads, block_form
from sessiond.daemon.workqueue import WorkQueue
from sessiond.daemon.writer import Ticket, Writer
from sessiond.processors.contract import (
    Enriching,
    Pending,
    Processor,
    RetryLater,
    Rows,
    SessionFile,
    count_items,
)
from sessiond.state.cursor import Cursor, StatTuple, backoff_seconds
from sessiond.state.store import Outcome, Prepared, ProcessorError, Store


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    interval: float
    max_attempts: int
    backoff_base: float
    backoff_cap: float
    max_line_bytes: int
    pass_bytes: int
    batch_files: int
    parse_min_bytes: int = 8 * 1024 * 1024  # a batch with this much to read goes to the pool
    cursor_cache: int = 4096  # cursors kept in memory per processor (see `CursorCache`)
    verify_after: float = 60.0  # an append may skip re-reading the prefix this long (`prefixes`)


@dataclass(slots=True)
class Stats:
    """Counters of one processor since start (read by status and the run summary)."""

    scanned: int = 0
    processed: int = 0
    skipped: int = 0
    errors: int = 0
    items_extracted: int = 0
    bytes: int = 0
    lines: int = 0
    bad_lines: int = 0
    last_commit: float | None = None
    errors_detail: list[dict[str, str]] = field(default_factory=list)

    def copy(self) -> Stats:
        return replace(self, errors_detail=list(self.errors_detail))

    def since(self, before: Stats) -> Stats:
        """What happened between ``before`` (a copy) and now."""
        errors = self.errors - before.errors
        return Stats(
            scanned=self.scanned - before.scanned, processed=self.processed - before.processed,
            skipped=self.skipped - before.skipped, errors=errors,
            items_extracted=self.items_extracted - before.items_extracted,
            bytes=self.bytes - before.bytes, lines=self.lines - before.lines,
            bad_lines=self.bad_lines - before.bad_lines, last_commit=self.last_commit,
            errors_detail=self.errors_detail[len(self.errors_detail) - errors:] if errors else [],
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned, "processed": self.processed, "skipped": self.skipped,
            "errors": self.errors, "items_extracted": self.items_extracted,
            "bytes": self.bytes, "lines": self.lines, "bad_lines": self.bad_lines,
            "errors_detail": list(self.errors_detail[-20:]),
        }


# the event of a bad line, by its kind (`processors.reader.BadLine`); malformed JSON otherwise
_BAD_EVENTS = {"line_too_long": events.LINE_TOO_LONG, "unreadable": events.LINE_UNREADABLE,
               "invalid": events.LINE_INVALID}

_Note = tuple[Callable[..., Any], str, dict[str, Any]]  # a file event to log: level, name, keys


def _stored(notes: list[_Note], changed: dict[str, int]) -> list[_Note]:
    """The file events with ``items`` as stored: plus what the merge added, minus what it
    dropped (``changed``, per file)."""
    if not changed:
        return notes
    return [(level, event, {**keys, "items": keys["items"] + changed.get(keys["file"], 0)})
            if keys.get("file") in changed and "items" in keys else (level, event, keys)
            for level, event, keys in notes]


def _readable(rows: Mapping[str, Any]) -> Mapping[str, Rows]:
    """A file's rows as `Enriching.enrich` reads them, like a merge: `Prepared` (a processor
    that does not merge has plain Arrow tables)."""
    return {t: v if isinstance(v, Prepared) else Prepared(v) for t, v in rows.items()}


@dataclass(slots=True)
class _InFlight:
    """A batch handed to the writer whose commit the worker has not confirmed yet."""

    ticket: Ticket
    requeue: list[tuple[SessionFile, float | None]]
    files: list[SessionFile]
    started: float  # time.perf_counter() when the batch began
    submitted: float
    nbytes: int
    nlines: int
    once: bool
    notes: list[_Note]  # the files' log events


class CursorCache:
    """The cursors a worker loaded or committed lately: at most ``capacity``, oldest out.

    The store is the truth. Holding every cursor in memory cost ~1 KB per (processor, file)
    -- 300 MB at 100k files and three processors -- so the worker loads a batch's missing
    cursors in one query (`Store.load`, a scan of the state table: ~5-15 ms at 300k rows) and
    keeps what it commits: files being appended to stay here, a backfill streams through.
    Only the worker's own thread, or an operation holding its pass lock, touches this.
    """

    def __init__(self, store: Store, processor: str, capacity: int = 4096) -> None:
        self._store = store
        self._processor = processor
        self.capacity = capacity  # may change on reload; the excess goes at the next put
        self._cursors: dict[str, Cursor] = {}

    def __len__(self) -> int:
        return len(self._cursors)

    def lookup(self, keys: list[str]) -> dict[str, Cursor]:
        """The cursors of these files that exist, loading those not in memory."""
        found = {k: c for k in keys if (c := self._cursors.get(k)) is not None}
        missing = [k for k in keys if k not in found]
        if missing:
            loaded = self._store.load(self._processor, missing)
            for cursor in loaded.values():
                self.put(cursor)
            found.update(loaded)
        return found

    def put(self, cursor: Cursor) -> None:
        cursors = self._cursors
        cursors.pop(cursor.file, None)  # re-inserted last: the newest
        cursors[cursor.file] = cursor
        while len(cursors) > self.capacity:
            del cursors[next(iter(cursors))]

    def discard(self, key: str) -> None:
        self._cursors.pop(key, None)


class Worker:
    def __init__(
        self,
        processor: Processor,
        queue: WorkQueue,
        store: Store,
        *,
        root: Path,
        settings: WorkerSettings,
        log: Any,
        writer: Writer | None = None,
        pool: ParsePool | None = None,
        reads: Reads | None = None,
        sharers: Callable[[Processor, SessionFile], int] | None = None,
        borrow: Callable[[str, int, str], Prefix | None] | None = None,
        mono: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.processor = processor
        self.queue = queue
        self.store = store
        self.root = root
        self.settings = settings
        self.cursors = CursorCache(store, processor.name, settings.cursor_cache)
        # Hash states at the cursors of files read here lately (`daemon.prefixes`): kept once
        # their commit is confirmed (`_pending` until then); `_verify`: files queued for the
        # lazy check of their whole prefix
        self.prefixes = Prefixes(settings.cursor_cache)
        self._borrow = borrow  # (file, offset, digest) -> another worker's state there, if any
        self._pending: dict[str, Prefix] = {}
        self._verify: set[str] = set()
        self._verify_checked = 0.0
        # How a batch commits: handed to the service's shared `Writer`, or (a writer not
        # started) committed on this worker's own store.
        self._writer = writer or Writer(store)
        # A pool batch's commit overlaps the reading of the next batch (see `run_batch`); only
        # the worker's thread, or an operation holding the pass lock, touches it.
        self._in_flight: _InFlight | None = None
        self._notes: list[_Note] = []  # see `_say`
        self.skip: tuple[bytes, ...] = tuple(getattr(processor, "skip_prefixes", ()))
        # The SQL forms map a batch at once, with DuckDB's threads: not in the pool
        self._block = block_form(processor)
        self._pool = (pool if pool is not None and pool.serves(processor.name) and not self._block
                      else None)
        # Reads shared with the other processors that read a file's lines the same way
        self._reads = reads
        self._sharers = sharers
        self.stats = Stats()
        self.busy = False
        # Held while a batch runs: `process` (run now) answers "busy" instead of running twice.
        self.pass_lock = threading.Lock()
        self.on_commit: Callable[[float], None] | None = None  # commit seconds (metrics)
        # (file, the stat it was read at; None: found gone) for each file a commit read (scanner)
        self.on_seen: Callable[[str, StatTuple | None], None] | None = None
        self._commit_failures = 0  # consecutive: the store's retry backs off exponentially
        self._deferrals = 0  # consecutive batches with a `RetryLater`: one naming no wait backs off
        self._log = log.bind(processor=processor.name)
        self._mono = mono
        self._wall = wall

    # -- loops -----------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Serve the queue on the processor's cadence until ``stop`` is set."""
        interval = self.settings.interval
        next_pass = 0.0
        while not stop.is_set():
            now = self._mono()
            if now < next_pass:
                stop.wait(next_pass - now)
                continue
            self._queue_checks(now)
            batch = self.queue.take(self.settings.batch_files)
            if not batch:
                ready = min((t for t in (self.queue.next_ready(), self._next_check()) if t is not None),
                            default=None)
                self.queue.wait(None if ready is None else max(0.0, ready - now))
                continue
            started = now
            while batch and not stop.is_set():
                # Held per batch, not per pass: under a steady flow of appends a pass never
                # ends, and `reprocess`/`retry` (which wait for this lock) must still get a turn.
                with self.pass_lock:
                    self._run_batch_guarded(batch)
                batch = self.queue.take(self.settings.batch_files)
                if not batch and self._in_flight is not None:
                    with self.pass_lock:  # confirm it: that may queue its files again
                        self.settle()
                    batch = self.queue.take(self.settings.batch_files)
            with self.pass_lock:  # stopping: confirm what is still in flight
                self.settle()
            if batch:  # stopping: leave them for the next start (cursors make that safe)
                for file in batch:
                    self.queue.put(file)
            next_pass = started + interval

    def _run_batch_guarded(self, batch: list[SessionFile]) -> None:
        """`run_batch`, surviving a bug in it (see `_failed_batch`)."""
        try:
            self.run_batch(batch)
        except Exception as exc:
            self._failed_batch(exc, batch)

    def _failed_batch(self, exc: Exception, batch: list[SessionFile]) -> None:
        """A bug while handling a batch: logged with its traceback, the batch retried on
        backoff, the worker thread kept alive (it is the processor's only one)."""
        delay = backoff_seconds(1, base=self.settings.backoff_base, cap=self.settings.backoff_cap)
        self.stats.errors += 1
        self._log.error(events.PROCESSOR_FAILED, file=None, files=[f.key for f in batch[:20]],
                        error=repr(exc)[:2000], retry_in=delay,
                        traceback="".join(traceback.format_exception(exc))[-4000:])
        # The store is the truth: what committed before the failure is loaded from it again.
        for f in batch:
            self.cursors.discard(f.key)
            self.queue.put(f, self._mono() + delay)

    def drain(self, *, once: bool = True) -> Stats:
        """Process everything queued now, ignoring cadence (and, with ``once``, backoff)."""
        before = self.stats.copy()
        later: list[tuple[SessionFile, float | None]] = []
        while True:
            batch = self.queue.take(self.settings.batch_files, ignore_ready=once)
            if batch:
                later.extend(self.run_batch(batch, once=once))
            elif self._in_flight is not None:
                later.extend(self.settle())  # which may queue its files again (more to read)
            else:
                break
        for file, ready in later:  # failures retry after the drain, on their backoff
            self.queue.put(file, ready)
        return self.stats.since(before)

    def run_now(self) -> Stats | None:
        """A pass over the whole queue right now -- files waiting out a backoff included (the
        operator asked) -- or None if a pass is already running."""
        if not self.pass_lock.acquire(blocking=False):
            return None
        try:
            return self.drain(once=True)
        finally:
            self.pass_lock.release()

    # -- one batch: many files, one transaction -----------------------------------------------

    def run_batch(
        self, files: list[SessionFile], *, once: bool = False
    ) -> list[tuple[SessionFile, float | None]]:
        """Visit the files and commit what they produced in one transaction. Files to retry
        later are queued again -- or, with ``once``, returned, so a drain does not spin on them.

        A batch examined in the pool stays in flight when this returns: the writer commits it
        while the next batch is read, and the next call (or `settle`) confirms it -- updates the
        cursors, counts and logs. At most one batch is in flight, and a batch that shares a
        file with it waits for it first, so no file is read from a cursor older than the store's.
        """
        self.busy = True
        try:
            deferred: list[tuple[SessionFile, float | None]] = []
            flight = self._in_flight
            if flight is not None and {f.key for f in files} & {f.key for f in flight.files}:
                deferred += self.settle()
            started = time.perf_counter()
            outcomes: list[Outcome] = []
            requeue: list[tuple[SessionFile, float | None]] = []
            self._notes = []
            bytes0, lines0 = self.stats.bytes, self.stats.lines
            cursors = self.cursors.lookup([f.key for f in files])
            pooled = self._pooled(files, cursors)
            if pooled is None:  # a live batch: a commit starting while it is read waits for it
                self._writer.begin()  # (a backfill's takes longer than any gather)
            found: list[tuple[SessionFile, Examined | None]]
            if pooled is not None:
                taken, rest = pooled
                self.queue.unget(rest)
                found = self._found_in_pool(taken, cursors, requeue, once=once)
            else:
                found = self._found_here(files, cursors, requeue, once=once)
            if self._block:  # read first, then classified and mapped together (`finish`)
                finish(self.processor, [(f, r) for f, r in found if r is not None],
                       skip=self.skip, prepare_many=self.store.prepare_many)
            elif pooled is None:  # mapped file by file, converted to Arrow together
                prepared(self.processor, [r for _, r in found if r is not None],
                         self.store.prepare_many)
            for file, r in found:
                self.stats.scanned += 1
                outcome = None if r is None else self._apply(file, cursors.get(file.key), r, requeue)
                if outcome is None:
                    self.stats.skipped += 1
                else:
                    outcomes.append(outcome)
            deferred += self.settle()  # the previous batch: one in flight at most
            outcomes = self._enrich(outcomes, requeue)
            if not outcomes:
                return deferred + self._requeue(requeue, once=once)
            submitted = time.perf_counter()  # before: without a writer thread, submit commits
            self._in_flight = _InFlight(
                ticket=self._writer.submit(self.processor, outcomes), requeue=requeue,
                files=[SessionFile(o.cursor.file, o.cursor.user) for o in outcomes], started=started,
                submitted=submitted, nbytes=self.stats.bytes - bytes0,
                nlines=self.stats.lines - lines0, once=once, notes=self._notes)
            if pooled is None:  # a live batch: confirmed now, its latency is what counts
                deferred += self.settle()
            return deferred
        finally:
            self.busy = False
            self._writer.end()

    def settle(self) -> list[tuple[SessionFile, float | None]]:
        """Confirm the batch in flight, if any (see `run_batch`): wait for its commit, update
        the cursors, count, log, queue its files to retry. Call it with the pass lock held
        (the worker's thread, or an operation about to touch cursors). Returns, for a drain
        with ``once``, the files to retry after it."""
        flight, self._in_flight = self._in_flight, None
        if flight is None:
            return []
        try:
            self._confirm(flight)
        except Exception as exc:
            self._failed_batch(exc, flight.files)
            return []
        return self._requeue(flight.requeue, once=flight.once)

    def _requeue(
        self, requeue: list[tuple[SessionFile, float | None]], *, once: bool
    ) -> list[tuple[SessionFile, float | None]]:
        deferred: list[tuple[SessionFile, float | None]] = []
        for file, ready in requeue:
            if once and ready is not None:
                deferred.append((file, ready))
            else:
                self.queue.put(file, ready)
        return deferred

    def _pooled(
        self, files: list[SessionFile], cursors: dict[str, Cursor]
    ) -> tuple[list[SessionFile], list[SessionFile]] | None:
        """For a batch with at least ``parse_min_bytes`` to read (by its files' sizes and
        cursors): the files to examine in the pool -- up to ``pass_bytes``, as in the thread --
        and the rest. None: examine in this thread."""
        if self._pool is None or len(files) < 2:
            return None
        budget, total, version = self.settings.pass_bytes, 0, self.processor.version
        for i, file in enumerate(files):
            if total >= budget:
                return (files[:i], files[i:]) if total >= self.settings.parse_min_bytes else None
            try:
                size = os.lstat(self.root / file.key).st_size
            except OSError:
                size = 0
            c = cursors.get(file.key)
            total += size - c.offset if c is not None and c.version == version and c.offset <= size else size
        return (files, []) if total >= self.settings.parse_min_bytes else None

    def _found_here(
        self, files: list[SessionFile], cursors: dict[str, Cursor],
        requeue: list[tuple[SessionFile, float | None]], *, once: bool,
    ) -> list[tuple[SessionFile, Examined | None]]:
        """Each file examined in this thread (None: not due), until the batch has read
        ``pass_bytes``: the rest go back to the front of the queue for the next batch (the
        rows of a batch are held until its commit)."""
        found: list[tuple[SessionFile, Examined | None]] = []
        read = 0
        for i, file in enumerate(files):
            if read >= self.settings.pass_bytes:
                self.queue.unget(files[i:])
                break
            cursor = cursors.get(file.key)
            r = self._examine(file, cursor) if self._due(file, cursor, requeue, once=once) else None
            if r is not None and r.kind is Found.READ:
                read += r.consumed - r.start
            found.append((file, r))
        return found

    def _found_in_pool(
        self, files: list[SessionFile], cursors: dict[str, Cursor],
        requeue: list[tuple[SessionFile, float | None]], *, once: bool,
    ) -> list[tuple[SessionFile, Examined | None]]:
        """The files examined in the pool processes, in parallel (None: not due)."""
        assert self._pool is not None
        due = [f for f in files if self._due(f, cursors.get(f.key), requeue, once=once)]
        try:
            examined = self._pool.examine(
                self.processor.name, self.root, [(f, cursors.get(f.key)) for f in due],
                budget=self.settings.pass_bytes, max_line_bytes=self.settings.max_line_bytes,
                skip=self.skip)
        except PoolBroken as exc:
            self._log.error(events.POOL_BROKEN, error=str(exc)[:2000])
            examined = [self._examine(f, cursors.get(f.key)) for f in due]
            prepared(self.processor, examined, self.store.prepare_many)
        by_key = {f.key: r for f, r in zip(due, examined, strict=True)}
        return [(f, by_key.get(f.key)) for f in files]

    def _confirm(self, flight: _InFlight) -> None:
        outcomes = flight.ticket.outcomes
        try:
            flight.ticket.wait()
        except ProcessorError as exc:  # the processor's hook or SQL: find the file, count it
            self._one_by_one(flight, exc)
            return
        except Exception as exc:  # the store's (disk full, read-only, lock): retry the batch
            self._say(flight.notes)
            self._store_failed(exc, outcomes, flight.requeue)
            return
        self._commit_failures = 0
        self._say(_stored(flight.notes, flight.ticket.changed))
        self._committed(outcomes, flight.ticket.finished - flight.submitted,
                        flight.ticket.finished - flight.started, flight.nbytes, flight.nlines,
                        flight.ticket.changed)

    def _store_failed(self, exc: Exception, outcomes: Sequence[Outcome],
                      requeue: list[tuple[SessionFile, float | None]]) -> None:
        """Transient: the batch is retried after a backoff, without counting attempts."""
        self._commit_failures += 1
        delay = backoff_seconds(self._commit_failures, base=self.settings.backoff_base,
                                cap=self.settings.backoff_cap)
        # A failed write can make the rollback fail too; then the write's error is the cause.
        cause = exc.__cause__ or exc.__context__
        self._log.warning(
            events.STORE_COMMIT_FAILED, files=len(outcomes), error=repr(exc)[:2000],
            cause=None if cause is None else repr(cause)[:2000],
            failures=self._commit_failures, retry_in=delay,
        )
        self.stats.errors += 1
        for o in outcomes:
            self._pending.pop(o.cursor.file, None)
            requeue.append((SessionFile(o.cursor.file, o.cursor.user), self._mono() + delay))

    def _committed(self, outcomes: Sequence[Outcome], commit_seconds: float, seconds: float,
                   nbytes: int, nlines: int, changed: dict[str, int]) -> None:
        """``changed``: per file, the items a merge added or dropped (`Store.commit_many`):
        items are counted as stored."""
        # First, before anything that could raise: the in-memory cursors must match what just
        # committed, or the next pass would read those lines again.
        for o in outcomes:
            kept = self._pending.pop(o.cursor.file, None)
            if o.deleted:
                self.cursors.discard(o.cursor.file)
                self.prefixes.discard(o.cursor.file)
                continue
            if kept is not None and (kept.offset, kept.digest) == (o.cursor.offset, o.cursor.file_hash):
                self.prefixes.put(o.cursor.file, kept)
            if o.cursor.file in changed:
                self.cursors.put(replace(o.cursor, items=o.cursor.items + changed[o.cursor.file]))
            else:
                self.cursors.put(o.cursor)
        if self.on_seen is not None:  # what the scanner knows, before a hook that may fail
            for o in outcomes:
                c = o.cursor
                if o.deleted:
                    self.on_seen(c.file, None)
                elif c.attempts == 0:  # read, not failed
                    self.on_seen(c.file, (c.size, c.mtime_ns, c.ino, c.ctime_ns))
        if self.on_commit is not None:
            self.on_commit(commit_seconds)
        total_items = sum(changed.values())
        for o in outcomes:
            if o.cursor.attempts == 0 and not o.deleted:
                self.stats.processed += 1
            total_items += count_items(self.processor, o.rows)
        self.stats.items_extracted += total_items
        self.stats.last_commit = self._wall()
        self._log.info(events.PROCESSOR_COMMITTED, files=len(outcomes), items=total_items,
                       ms=round(seconds * 1000, 1), bytes=nbytes, lines=nlines)

    def _one_by_one(self, flight: _InFlight, exc: ProcessorError) -> None:
        """The processor's part of the batch's commit failed (its `Merging` hook, its rows):
        commit the files one at a time, so the others go on and the one that fails is found.
        That one is a processor failure like a failing ``process()``: attempts, backoff and,
        after ``max_attempts``, parking, with its traceback logged (once per failure)."""
        outcomes = flight.ticket.outcomes
        self._log.warning(events.PROCESSOR_COMMIT_FAILED, files=len(outcomes),
                          error=str(exc)[:2000], then="file by file" if len(outcomes) > 1 else "")
        notes = {n[2]["file"]: n for n in flight.notes}
        for o in outcomes:
            file = SessionFile(o.cursor.file, o.cursor.user)
            note = notes.get(file.key)
            error: BaseException = exc
            if len(outcomes) > 1:
                started = time.perf_counter()
                ticket = self._writer.submit(self.processor, [o])
                try:
                    ticket.wait()
                except ProcessorError as own:
                    error = own
                except Exception as own:
                    self._store_failed(own, [o], flight.requeue)
                    continue
                else:
                    self._say(_stored([note] if note else [], ticket.changed))
                    keys = note[2] if note else {}
                    self._committed([o], ticket.finished - started, ticket.finished - started,
                                    keys.get("bytes", 0), keys.get("lines", 0), ticket.changed)
                    continue
            self._file_failed(file, o, error, flight.requeue)

    def _file_failed(self, file: SessionFile, o: Outcome, error: BaseException,
                     requeue: list[tuple[SessionFile, float | None]]) -> None:
        """Record a commit that failed for this file (what it read is not committed)."""
        cause = error.__cause__ or error
        before = o.cursor if o.deleted else self.cursors.lookup([file.key]).get(file.key)
        failure = self._processor_failure(
            file, before, f"{type(cause).__name__}: {cause}"[:2000],
            "".join(traceback.format_exception(cause))[-4000:], requeue)
        ticket = self._writer.submit(self.processor, [failure])
        try:
            ticket.wait()
        except Exception as own:  # even the failure cannot be recorded: the store's problem
            self._store_failed(own, [failure], requeue)
            return
        self.cursors.put(failure.cursor)

    @staticmethod
    def _say(notes: list[_Note]) -> None:
        """Log a batch's file events: when its commit is known, just before the commit's own
        event, so every ``processor.committed`` follows the reads it commits -- also when the
        next batch was read while this one committed."""
        for level, event, keys in notes:
            level(event, **keys)

    # -- the Enriching hook ------------------------------------------------------------------

    def _enrich(self, outcomes: list[Outcome],
                requeue: list[tuple[SessionFile, float | None]]) -> list[Outcome]:
        """An `Enriching` processor's hook on the batch: here, in the worker's thread, after
        the previous batch's commit was confirmed and before this one goes to the writer --
        never inside the commit, so however long it takes, only this processor waits. Each
        file's rows become the hook's (converted here, as `examine` converts ``process``'s); a
        file it failed gets a processor failure instead, and one it deferred (`RetryLater`)
        leaves the batch and waits, no attempt counted."""
        p = self.processor
        if not isinstance(p, Enriching):
            return outcomes
        todo = [i for i, o in enumerate(outcomes) if o.rows and not o.deleted]
        if not todo:
            return outcomes
        batch = [Pending(SessionFile(outcomes[i].cursor.file, outcomes[i].cursor.user),
                         _readable(outcomes[i].rows), outcomes[i].reset) for i in todo]
        results = self._enriched(p, batch)
        out: list[Outcome | None] = list(outcomes)
        waiting: list[tuple[SessionFile, RetryLater]] = []
        for i, pending, result in zip(todo, batch, results, strict=True):
            if isinstance(result, RetryLater):
                self._unread(pending.file, requeue)
                waiting.append((pending.file, result))
                out[i] = None
            elif isinstance(result, Exception):
                out[i] = self._enrich_failed(outcomes[i], result, requeue)
            else:
                out[i] = self._enriched_outcome(outcomes[i], pending, result, requeue)
        if waiting:
            self._defer(waiting, requeue)
        else:
            self._deferrals = 0
        return [o for o in out if o is not None]

    def _enriched(self, p: Enriching, batch: list[Pending]) -> list[Mapping[str, Rows] | Exception]:
        """The hook's result per file. When it raises, each file gets that error -- after a
        try file by file if there are several, so the file at fault is found and the others
        go on (as `_one_by_one` does for a commit)."""
        try:
            results = list(p.enrich(self.store, batch))
            if len(results) != len(batch):
                raise ValueError(f"enrich returned {len(results)} results for {len(batch)} files")
        except RetryLater as exc:
            return [exc] * len(batch)
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
            return [self._enriched(p, [one])[0] for one in batch]
        return results

    def _enriched_outcome(self, o: Outcome, pending: Pending, rows: Mapping[str, Rows],
                          requeue: list[tuple[SessionFile, float | None]]) -> Outcome:
        """The outcome with the hook's rows: the tables it returned as they came stay as
        converted; the others are converted now (rows that do not fit fail the file)."""
        new = {t: v for t, v in rows.items() if v is not pending.rows.get(t)}
        if not new and rows.keys() == o.rows.keys():
            return o  # all as they came (e.g. nothing to ask about)
        try:
            converted = dict(self.store.prepare(self.processor, new)) if new else {}
        except Exception as exc:
            return self._enrich_failed(o, exc, requeue)
        converted.update((t, o.rows[t]) for t in rows if t not in new and t in o.rows)
        delta = count_items(self.processor, converted) - count_items(self.processor, o.rows)
        if delta:  # the cursor, the stats and the file's log event count the rows stored
            self._notes = _stored(self._notes, {o.cursor.file: delta})
        return replace(o, rows=converted, cursor=replace(o.cursor, items=o.cursor.items + delta))

    def _enrich_failed(self, o: Outcome, error: Exception,
                       requeue: list[tuple[SessionFile, float | None]]) -> Outcome:
        """The hook failed this file: a processor failure, as if ``process`` had raised."""
        file = SessionFile(o.cursor.file, o.cursor.user)
        self._unread(file, requeue)
        before = self.cursors.lookup([file.key]).get(file.key)
        return self._processor_failure(
            file, before, f"{type(error).__name__}: {error}"[:2000],
            "".join(traceback.format_exception(error))[-4000:], requeue)

    def _unread(self, file: SessionFile, requeue: list[tuple[SessionFile, float | None]]) -> None:
        """Take back what reading this file added to the batch -- its log event, its counts,
        its queue entry, the prefix it would keep -- since none of it is committed now."""
        for _, _, keys in self._notes:
            if keys.get("file") == file.key:
                self.stats.bytes -= keys.get("bytes", 0)
                self.stats.lines -= keys.get("lines", 0)
                self.stats.bad_lines -= keys.get("bad_lines", 0)
        self._notes = [n for n in self._notes if n[2].get("file") != file.key]
        requeue[:] = [(f, ready) for f, ready in requeue if f.key != file.key]
        self._pending.pop(file.key, None)

    def _defer(self, waiting: list[tuple[SessionFile, RetryLater]],
               requeue: list[tuple[SessionFile, float | None]]) -> None:
        """Files the hook could not do now: back in the queue after the wait it named (else an
        exponential backoff), no attempt counted, nothing committed."""
        self._deferrals += 1
        backoff = backoff_seconds(self._deferrals, base=self.settings.backoff_base,
                                  cap=self.settings.backoff_cap)
        delays = [backoff if exc.retry_in is None else max(0.0, exc.retry_in) for _, exc in waiting]
        self.stats.errors += 1  # the files are not done (`run --once` says so)
        self._log.warning(events.PROCESSOR_DEFERRED, files=len(waiting),
                          error=str(waiting[0][1])[:2000], retry_in=min(delays))
        now = self._mono()
        requeue.extend((file, now + delay) for (file, _), delay in zip(waiting, delays, strict=True))

    # -- one file ----------------------------------------------------------------------------

    def _due(
        self, file: SessionFile, cursor: Cursor | None,
        requeue: list[tuple[SessionFile, float | None]], *, once: bool,
    ) -> bool:
        """Whether to look at the file now: not if parked, nor (unless ``once``) backing off
        -- unless it is gone: its cursor and outputs go now."""
        if cursor is not None and cursor.version == self.processor.version:
            if cursor.parked:
                return not os.path.lexists(self.root / file.key)
            if not once and cursor.next_retry_at is not None:
                wait = cursor.next_retry_at - self._wall()
                if wait > 0 and os.path.lexists(self.root / file.key):
                    requeue.append((file, self._mono() + wait))
                    return False
        return True

    def _examine(self, file: SessionFile, cursor: Cursor | None) -> Examined:
        kept = self.prefixes.get(file.key)
        if (cursor is not None and self._borrow is not None
                and (kept is None or (kept.offset, kept.digest) != (cursor.offset, cursor.file_hash))):
            kept = self._borrow(file.key, cursor.offset, cursor.file_hash) or kept
        verify = file.key in self._verify
        self._verify.discard(file.key)
        now = self._mono()
        after = self.settings.verify_after
        if kept is not None and (after <= 0 or (kept.unverified_since is not None
                                 and now - kept.unverified_since >= after)):
            kept = None  # its time is up: this append reads the whole prefix again
        r = examine(self.processor, self.root, file, cursor, budget=self.settings.pass_bytes,
                    max_line_bytes=self.settings.max_line_bytes, skip=self.skip,
                    prepare=unprepared, prefix=kept, verify=verify, keep_prefix=True,
                    reads=self._reads,
                    uses=self._sharers(self.processor, file) if self._sharers is not None else 0)
        if r.prefix is not None:
            if r.skipped and kept is not None:
                r.prefix.unverified_since = kept.unverified_since or now
            if r.kind is Found.UNCHANGED:
                self.prefixes.put(file.key, r.prefix)  # a lazy check that found it unchanged
            else:
                self._pending[file.key] = r.prefix
        return r

    def _queue_checks(self, now: float) -> None:
        """Queue the files whose prefix has gone unverified for ``verify_after`` seconds (they
        went quiet: an append would have checked it), at most once a second."""
        if now - self._verify_checked < 1.0 or self.settings.verify_after <= 0:
            return
        self._verify_checked = now
        for key in self.prefixes.unverified(now, self.settings.verify_after):
            prefix = self.prefixes.get(key)
            if key not in self._verify and prefix is not None:
                self._verify.add(key)
                self.queue.put(SessionFile(key, prefix.user))

    def _next_check(self) -> float | None:
        """When `_queue_checks` will next find a file due, if any."""
        since = self.prefixes.oldest_unverified()
        return None if since is None else max(since + self.settings.verify_after,
                                             self._verify_checked + 1.0)

    def _apply(
        self, file: SessionFile, cursor: Cursor | None, r: Examined,
        requeue: list[tuple[SessionFile, float | None]],
    ) -> Outcome | None:
        """Log, count and queue what `examine` found; the outcome to commit, if any."""
        p = self.processor
        if r.kind is Found.GONE:
            if cursor is None or not self.root.is_dir():
                return None  # never seen, or the whole root is gone (unmounted): not a deletion
            self._notes.append((self._log.info, events.FILE_DELETED, {"user": file.user, "file": file.key}))
            return Outcome(cursor=cursor, rows={}, deleted=True)
        if r.kind is Found.NOT_REGULAR:
            self._log.info(events.FILE_NOT_REGULAR, user=file.user, file=file.key)
            return None
        if r.kind is Found.IO_ERROR:
            return self._io_failure(file, cursor, r, requeue)
        if r.kind is Found.CHANGED:
            self._log.info(events.FILE_CHANGED_DURING_READ, user=file.user, file=file.key)
            requeue.append((file, None))
            return None
        if r.kind is Found.UNCHANGED or r.stat is None:
            return None
        stat = r.stat
        if r.kind is Found.ADOPTED and cursor is not None:
            return Outcome(cursor=replace(
                cursor, version=p.version, offset=r.consumed, file_hash=r.digest,
                lines=r.whole_lines, size=stat.size, mtime_ns=stat.mtime_ns, ino=stat.ino,
                ctime_ns=stat.ctime_ns, processed_at=self._wall()), rows={})
        for bad in r.bad:
            self._log.warning(_BAD_EVENTS.get(bad.kind, events.LINE_MALFORMED), user=file.user,
                              file=file.key, line=bad.line, offset=bad.offset, kind=bad.kind,
                              detail=bad.detail)
        if not r.eof:
            requeue.append((file, None))  # more to read: back of the queue, others go first
        if r.error is not None:
            return self._processor_failure(file, cursor, r.error, r.detail, requeue)
        base = cursor if r.start > 0 else None  # an append continues the cursor's counts
        new = Cursor(
            processor=p.name, file=file.key, user=file.user, version=p.version,
            offset=r.consumed, file_hash=r.digest,
            lines=(base.lines if base else 0) + r.lines,
            size=stat.size if r.eof else r.examined, mtime_ns=stat.mtime_ns, ino=stat.ino,
            ctime_ns=stat.ctime_ns,
            items=(base.items if base else 0) + r.items,
            bad_lines=(base.bad_lines if base else 0) + len(r.bad),
            processed_at=self._wall(),
        )
        nbytes = r.consumed - r.start
        self.stats.bytes += nbytes
        self.stats.lines += r.lines
        self.stats.bad_lines += len(r.bad)
        event = events.FILE_REWRITTEN if r.rewrite else events.FILE_APPENDED
        level = self._log.debug if event == events.FILE_APPENDED else self._log.info
        # file_hash: the new cursor's prefix hash, so a reader of the log can prove what was read
        self._notes.append((level, event, {
            "user": file.user, "file": file.key, "reason": r.reason, "offset": r.start,
            "bytes": nbytes, "lines": r.lines, "items": r.items, "bad_lines": len(r.bad),
            "file_hash": r.digest}))
        return Outcome(cursor=new, rows=r.rows, reset=r.rewrite)

    # -- failures ----------------------------------------------------------------------------

    def _failed_cursor(self, file: SessionFile, cursor: Cursor | None) -> Cursor:
        if cursor is None:
            return Cursor(processor=self.processor.name, file=file.key, user=file.user,
                          version=self.processor.version)
        return cursor

    def _io_failure(
        self, file: SessionFile, cursor: Cursor | None, r: Examined,
        requeue: list[tuple[SessionFile, float | None]],
    ) -> Outcome:
        """Transient: the file may become readable; back off, never park."""
        old = self._failed_cursor(file, cursor)
        attempts = old.attempts + 1
        delay = backoff_seconds(attempts, base=self.settings.backoff_base, cap=self.settings.backoff_cap)
        error = r.error or r.detail
        self.stats.errors += 1
        self._record_error(file, f"{error.split(':', 1)[0]}: {r.detail}")
        self._log.warning(events.FILE_UNREADABLE, user=file.user, file=file.key,
                          error=r.detail, attempts=attempts, retry_in=delay)
        requeue.append((file, self._mono() + delay))
        return Outcome(cursor=replace(old, attempts=attempts, last_error=error,
                                      next_retry_at=self._wall() + delay), rows={})

    def _processor_failure(
        self, file: SessionFile, cursor: Cursor | None, error: str, trace: str,
        requeue: list[tuple[SessionFile, float | None]],
    ) -> Outcome:
        old = self._failed_cursor(file, cursor)
        attempts = old.attempts + 1
        parked = attempts >= self.settings.max_attempts
        delay = backoff_seconds(attempts, base=self.settings.backoff_base, cap=self.settings.backoff_cap)
        self.stats.errors += 1
        self._record_error(file, error)
        self._log.error(events.PROCESSOR_FAILED, user=file.user, file=file.key, error=error,
                        attempts=attempts, retry_in=None if parked else delay, traceback=trace)
        if parked:
            self._log.error(events.PROCESSOR_PARKED, user=file.user, file=file.key,
                            attempts=attempts, error=error)
        else:
            requeue.append((file, self._mono() + delay))
        return Outcome(cursor=replace(old, attempts=attempts, last_error=error, parked=parked,
                                      next_retry_at=None if parked else self._wall() + delay),
                       rows={})

    def _record_error(self, file: SessionFile, error: str) -> None:
        self.stats.errors_detail.append({"session": file.key, "error": error})
        del self.stats.errors_detail[:-100]
