"""Examining one file for one processor: everything between "this file changed" and "these rows
and this cursor are ready to commit" that needs no state but the cursor -- so it can run in the
worker's thread or, for a backfill, in another process (`daemon.pool`).

Open the file safely, decide from the cursor (unchanged / fresh / verify / rewrite / legacy),
hash and read the new complete lines within the budget, check the file was not rewritten under
the read, decode, run the processor and convert its rows. The answer is an `Examined` value:
no logging, no counters, no queue -- the worker does those with it.
"""

from __future__ import annotations

import enum
import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sessiond.daemon.discovery import NotRegularFile, open_session_file, stat_of
from sessiond.daemon.prefixes import Prefix
from sessiond.daemon.reads import Key, Reads, block_form
from sessiond.daemon.tailer import HEAD, SEAM, Read, hash_prefix, hash_whole, read_lines, windows
from sessiond.processors import sqlform
from sessiond.processors.contract import (
    Mapper,
    Narrowing,
    PartlyMapped,
    Processor,
    Record,
    Selecting,
    SessionFile,
    count_items,
)
from sessiond.processors.framing import Block
from sessiond.processors.reader import BadLine, Decoded, decode
from sessiond.state.cursor import (
    LEGACY_PREFIX,
    Cursor,
    Decision,
    Plan,
    Stat,
    decide,
    new_hasher,
)


class Found(enum.Enum):
    """What `examine` found."""

    GONE = "gone"  # no such file
    NOT_REGULAR = "not_regular"  # a FIFO, socket, link...
    IO_ERROR = "io_error"  # could not open or read it (transient: back off)
    CHANGED = "changed_during_read"  # rewritten or cut under the read: look again
    UNCHANGED = "unchanged"  # nothing new since the cursor
    ADOPTED = "adopted"  # a legacy cursor whose MD5 still matches: take the file as read
    READ = "read"  # new lines read and processed (``rows``), or the processor failed (``error``)


@dataclass(slots=True)
class Examined:
    kind: Found
    stat: Stat | None = None
    reason: str = ""  # the decision's reason (new, changed, truncated, version, ...)
    rewrite: bool = False  # the processor's outputs for the file must be deleted first
    start: int = 0  # where reading began
    consumed: int = 0  # offset just after the last complete line read
    digest: str = ""  # hash of [0, consumed)
    examined: int = 0  # how far the file was read
    eof: bool = True
    lines: int = 0  # lines read (good or bad)
    bad: list[BadLine] = field(default_factory=list)
    rows: Mapping[str, Any] = field(default_factory=dict)  # prepared: see `Store.prepare`
    items: int = 0  # rows the processor returned for its item tables (before any merge)
    error: str | None = None  # IO_ERROR: the OS error; READ: the processor's exception
    detail: str = ""  # IO_ERROR: the OS's words (strerror); READ with an error: the traceback
    whole_lines: int = 0  # ADOPTED: complete lines of the file
    # READ/UNCHANGED with ``keep_prefix``: the hash state at ``consumed``, for the worker to
    # keep once it committed (`daemon.prefixes`)
    prefix: Prefix | None = None
    skipped: bool = False  # the prefix was checked by its windows only, not re-read
    # READ in the SQL forms: the new lines, and the number of the first, until `finish`
    block: Block | None = None
    first_line: int = 1


def examine(
    processor: Processor,
    root: Path,
    file: SessionFile,
    cursor: Cursor | None,
    *,
    budget: int,
    max_line_bytes: int,
    skip: tuple[bytes, ...],
    prepare: Callable[[Processor, Mapping[str, Any]], Mapping[str, Any]],
    prefix: Prefix | None = None,
    verify: bool = False,
    keep_prefix: bool = False,
    reads: Reads | None = None,
    uses: int = 0,
) -> Examined:
    """``prefix``: the hash state at the cursor, if the worker still has it (an append is then
    checked by the windows, `daemon.prefixes`); ``verify``: re-read the whole prefix even if the
    file looks unchanged (the lazy check); ``keep_prefix``: return the new state (not in the
    pool: a hash state does not pickle); ``reads``: where reads of the same bytes are shared
    with ``uses`` other processors (`daemon.reads`)."""
    try:
        fd = open_session_file(root, file.key)
    except FileNotFoundError:
        return Examined(Found.GONE)
    except NotRegularFile:
        return Examined(Found.NOT_REGULAR)
    except OSError as exc:
        return _io_error(exc)
    try:
        return _read(processor, file, cursor, fd, budget=budget, max_line_bytes=max_line_bytes,
                     skip=skip, prepare=prepare, prefix=prefix, verify=verify,
                     keep_prefix=keep_prefix, reads=reads, uses=uses)
    except EOFError:  # truncated between fstat and the prefix hash
        return Examined(Found.CHANGED)
    except OSError as exc:
        return _io_error(exc)
    finally:
        os.close(fd)


def _io_error(exc: OSError) -> Examined:
    return Examined(Found.IO_ERROR, error=f"{type(exc).__name__}: {exc}", detail=exc.strerror or str(exc))


def _read(
    p: Processor, file: SessionFile, cursor: Cursor | None, fd: int, *, budget: int,
    max_line_bytes: int, skip: tuple[bytes, ...],
    prepare: Callable[[Processor, Mapping[str, Any]], Mapping[str, Any]],
    prefix: Prefix | None, verify: bool, keep_prefix: bool, reads: Reads | None, uses: int,
) -> Examined:
    stat = stat_of(os.fstat(fd))
    decision = decide(cursor, stat, p.version)
    plan = decision.plan
    if plan is Plan.UNCHANGED:
        if not (verify and cursor is not None and cursor.offset > 0):
            return Examined(Found.UNCHANGED, stat=stat)
        hasher = hash_prefix(fd, cursor.offset)  # the lazy check of a quiet file
        if hasher.hexdigest() == cursor.file_hash:
            return Examined(Found.UNCHANGED, stat=stat, prefix=_kept(
                fd, file, stat, cursor.offset, cursor.file_hash, hasher) if keep_prefix else None)
        plan, decision = Plan.REWRITE, Decision(Plan.REWRITE, "rewritten")
    if plan is Plan.LEGACY and cursor is not None:
        whole = hash_whole(fd)
        if whole.md5 == cursor.file_hash.removeprefix(LEGACY_PREFIX):
            # Unchanged since the original pipeline processed it: adopt, don't redo.
            return Examined(Found.ADOPTED, stat=stat, consumed=whole.consumed, digest=whole.digest,
                            whole_lines=whole.lines)
        plan = Plan.REWRITE
    hasher = new_hasher()
    skipped = False
    if plan is Plan.VERIFY and cursor is not None:
        if not verify and _goes_on(prefix, cursor, stat, fd):
            assert prefix is not None
            hasher, skipped = prefix.state.copy(), cursor.offset > HEAD + SEAM
        else:
            hasher = hash_prefix(fd, cursor.offset)
        if hasher.hexdigest() != cursor.file_hash:
            plan, hasher = Plan.REWRITE, new_hasher()
    append = plan is Plan.VERIFY and cursor is not None
    start = cursor.offset if append and cursor is not None else 0
    first_line = (cursor.lines if append and cursor is not None else 0) + 1
    if block_form(p):  # its lines are classified and mapped per batch: `finish`
        read = _shared_read(fd, file, stat, start, hasher, first_line, budget=budget,
                            max_line_bytes=max_line_bytes, reads=reads, uses=uses)
        if read is None:
            return Examined(Found.CHANGED, stat=stat)
        return Examined(
            Found.READ, stat=stat, reason=decision.reason,
            rewrite=plan is Plan.REWRITE and cursor is not None, start=start,
            consumed=read.consumed, digest=read.digest, examined=read.examined, eof=read.eof,
            skipped=skipped, block=read.block, first_line=first_line,
            prefix=_kept(fd, file, stat, read.consumed, read.digest, read.state) if keep_prefix else None)
    read = read_lines(fd, start, hasher, budget=budget, max_line_bytes=max_line_bytes)
    if _torn(fd, stat, read.consumed, read.digest):
        return Examined(Found.CHANGED, stat=stat)
    decoded = Decoded()
    decode(read.items, file=file.key, user=file.user, first_line=first_line, into=decoded, skip=skip)
    out = Examined(
        Found.READ, stat=stat, reason=decision.reason, rewrite=plan is Plan.REWRITE and cursor is not None,
        start=start, consumed=read.consumed, digest=read.digest, examined=read.examined,
        eof=read.eof, lines=decoded.lines, bad=decoded.bad, skipped=skipped,
        prefix=_kept(fd, file, stat, read.consumed, read.digest, read.state) if keep_prefix else None,
    )
    try:
        rows = _process(p, file, decoded.records, out) if isinstance(p, Mapper) else {}
        _mapped(p, out, rows, prepare)
    except Exception as exc:  # a processor bug (or rows that don't fit): the worker backs off
        _failed(out, exc)
    return out


def _process(p: Mapper | Narrowing, file: SessionFile, records: Sequence[Record], out: Examined) -> Mapping[str, Any]:
    """``process``'s rows; the records it skipped (`PartlyMapped`) join the bad lines."""
    if not records:
        return {}
    try:
        return p.process(file, records)
    except PartlyMapped as part:
        out.bad += [BadLine(u.line, u.offset, u.kind, u.error) for u in part.unreadable]
        out.bad.sort(key=lambda b: b.line)
        return part.rows


def _mapped(p: Processor, out: Examined, rows: Mapping[str, Any],
            prepare: Callable[[Processor, Mapping[str, Any]], Mapping[str, Any]]) -> None:
    out.items = count_items(p, rows)
    out.rows = prepare(p, rows)


def _failed(out: Examined, exc: Exception) -> None:
    out.error = f"{type(exc).__name__}: {exc}"[:2000]
    out.detail = "".join(traceback.format_exception(exc))[-4000:]
    out.rows, out.items = {}, 0


def _shared_read(fd: int, file: SessionFile, stat: Stat, start: int, hasher: Any, first_line: int,
                 *, budget: int, max_line_bytes: int, reads: Reads | None, uses: int) -> Read | None:
    """The new complete lines as a block: taken from another processor's read of the same bytes
    (`daemon.reads`), or read here and left for the others. None: changed under the read."""
    key = None if reads is None else Key.of(file.key, stat, start, hasher.hexdigest(), first_line,
                                            budget=budget, max_line_bytes=max_line_bytes)
    shared = None if reads is None or key is None else reads.get(key)
    if shared is not None:
        return replace(shared, state=shared.state.copy())
    read = read_lines(fd, start, hasher, budget=budget, max_line_bytes=max_line_bytes, block=True)
    if _torn(fd, stat, read.consumed, read.digest):
        return None
    if reads is not None and key is not None:
        reads.put(key, replace(read, state=read.state.copy()), uses)
    return read


PrepareMany = Callable[[Processor, Sequence[Mapping[str, Any]]], list[Mapping[str, Any] | Exception]]


def unprepared(p: Processor, rows: Mapping[str, Any]) -> Mapping[str, Any]:
    """A ``prepare`` for `examine` that leaves the rows as mapped, for `prepared` to convert
    with the rest of the batch's."""
    return rows


def prepared(p: Processor, found: Sequence[Examined], prepare_many: PrepareMany) -> None:
    """Convert the rows of several files' `Examined` at once (`Store.prepare_many`: pyarrow's
    fixed cost is paid per table, not per file); a file whose rows do not fit fails alone."""
    todo = [r for r in found if r.rows and r.error is None]
    if not todo:
        return
    for r, rows in zip(todo, prepare_many(p, [r.rows for r in todo]), strict=True):
        if isinstance(rows, Exception):
            _failed(r, rows)
        else:
            r.rows = rows


def finish(p: Processor, found: Sequence[tuple[SessionFile, Examined]], *, skip: tuple[bytes, ...],
           prepare_many: PrepareMany, here: bool = True) -> None:
    """Classify and map the lines a batch read for a processor in the SQL forms, all files at
    once (DuckDB's fixed cost per query is paid per batch): each `Examined` gets its counts,
    bad lines and rows, or its error. If the batch's queries fail, each file is tried alone,
    classified by DuckDB (not ``here``: `sqlform.frame`), so only the file at fault fails --
    a file alone again only if its lines were judged here."""
    todo = [(f, r) for f, r in found if r.kind is Found.READ and r.block is not None]
    if not todo:
        return
    try:
        _finish(p, todo, skip=skip, here=here)
    except Exception as exc:
        judged = here and sqlform.judged_here([r.block for _, r in todo if r.block is not None])
        if len(todo) == 1 and not judged:
            _failed(todo[0][1], exc)
            return
        for one in todo:
            finish(p, [one], skip=skip, prepare_many=prepare_many, here=False)
        return
    prepared(p, [r for _, r in todo], prepare_many)


def _finish(p: Processor, todo: Sequence[tuple[SessionFile, Examined]], *, skip: tuple[bytes, ...],
            here: bool) -> None:
    framed = sqlform.frame([(f, r.block, r.first_line) for f, r in todo if r.block is not None],
                           skip=skip, here=here)
    rows: Mapping[str, Mapping[str, Any]]
    records: Mapping[str, Sequence[Record]] = {}
    if isinstance(p, Selecting):
        rows = sqlform.run(p.sql, framed)
    else:
        assert isinstance(p, Narrowing)
        records, rows = sqlform.narrow(p.select, framed), {}
    for (file, r), decoded in zip(todo, framed.decoded, strict=True):
        r.lines, r.bad, r.block = decoded.lines, decoded.bad, None
        try:
            mine = rows.get(file.key, {}) if isinstance(p, Selecting) else (
                _process(p, file, records.get(file.key, ()), r))
            _mapped(p, r, mine, unprepared)
        except Exception as exc:
            _failed(r, exc)


def _goes_on(prefix: Prefix | None, cursor: Cursor, stat: Stat, fd: int) -> bool:
    """Whether an append can go on from the kept hash state: it is the cursor's, the file is
    the same inode and grew, and the first block and the bytes before the cursor are as read."""
    return (prefix is not None and prefix.offset == cursor.offset
            and prefix.digest == cursor.file_hash and prefix.ino == stat.ino
            and stat.size > cursor.offset and windows(fd, cursor.offset) == prefix.windows)


def _kept(fd: int, file: SessionFile, stat: Stat, offset: int, digest: str,
          state: Any) -> Prefix | None:
    return Prefix(offset, digest, state, stat.ino, windows(fd, offset), file.user) if offset else None


def _torn(fd: int, before: Stat, consumed: int, digest: str) -> bool:
    """Whether the file was rewritten under the read (an in-place copy in progress).

    Only when its stat moved during the read do we pay for hashing the prefix again -- its size
    too, not only its times: a truncate and a longer rewrite inside one tick of the kernel's
    coarse clock can leave mtime and ctime as they were (a long model run read such a file from
    the middle of a line).
    """
    after = stat_of(os.fstat(fd))
    if after == before or consumed == 0:
        return False
    return after.size < consumed or hash_prefix(fd, consumed).hexdigest() != digest
