"""The tailer: verifying a cursor's prefix hash and reading the new complete lines after it.

All reads go through one fd (opened by `discovery.open_session_file`). The hash of
``[0, consumed)`` is built in the same pass that reads the new bytes. Verifying the prefix
before an append costs one sequential read of it at xxh3 speed -- unless the worker still holds
the hash state at the cursor (`daemon.prefixes`): then the bytes an append joins (`windows`:
the first block and the block before the cursor) are compared instead, and the state goes on.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import xxhash

from sessiond.processors.framing import Block, BlockFramer, Framer, Line, Oversize
from sessiond.state.cursor import new_hasher

CHUNK = 1 << 20
BLOCK_READ = 64 << 20  # the largest single read for a block
HEAD = 4096  # the first block: what a rewrite from the start changes first
SEAM = 65536  # the bytes before the cursor, which an append joins


def hash_prefix(fd: int, length: int) -> xxhash.xxh3_128:
    """Hash the first ``length`` bytes of the file; the returned state continues from there.

    Raises EOFError if the file is shorter than ``length``.
    """
    hasher = new_hasher()
    position = 0
    while position < length:
        chunk = os.pread(fd, min(CHUNK, length - position), position)
        if not chunk:
            raise EOFError(f"file ended at {position}, expected {length} bytes")
        hasher.update(chunk)
        position += len(chunk)
    return hasher


def _hash_chunk(hasher: xxhash.xxh3_128, chunk: bytes) -> xxhash.xxh3_128 | None:
    """Feed ``chunk``; if it holds a newline, return a copy of the state just after its last
    one (the hash of everything consumed so far), else None."""
    newline = chunk.rfind(b"\n")
    if newline < 0:
        hasher.update(chunk)
        return None
    view = memoryview(chunk)
    hasher.update(view[: newline + 1])
    snapshot = hasher.copy()
    hasher.update(view[newline + 1 :])
    return snapshot


@dataclass(slots=True)
class Read:
    items: list[Line | Oversize]
    consumed: int  # offset just after the last complete line
    examined: int  # how far the file was read (consumed + partial tail)
    digest: str  # xxh3-128 hex of bytes [0, consumed)
    eof: bool  # the read reached the end of the file (else the budget stopped it)
    state: xxhash.xxh3_128  # the hash state after [0, consumed): an append can go on from it
    block: Block | None = None  # with ``block=True``: the lines as one buffer (``items`` empty)


def read_lines(
    fd: int, start: int, hasher: xxhash.xxh3_128, *, budget: int, max_line_bytes: int,
    block: bool = False,
) -> Read:
    """Read complete lines from ``start`` (where ``hasher`` has hashed ``[0, start)``), as a
    value per line, or with ``block`` as one `Block` (for the SQL form).

    Stops at EOF, or once ``budget`` bytes were read and at least one line completed. An
    unterminated last line is left for later; its bytes are not hashed or consumed.
    """
    framer: Framer | BlockFramer = (BlockFramer if block else Framer)(
        start, max_line_bytes=max_line_bytes)
    items: list[Line | Oversize] = []
    at_consumed = hasher.copy()
    position = start
    eof = False
    # A block is read in one piece up to the budget: its bytes are then kept as read, not copied
    # again to be joined (memory: the budget, as the lines read are held until the commit anyway)
    size = min(max(CHUNK, budget), BLOCK_READ) if block else CHUNK
    while True:
        if position - start >= budget and framer.consumed > start:
            break
        chunk = os.pread(fd, size, position)
        if not chunk:
            eof = True
            break
        snapshot = _hash_chunk(hasher, chunk)
        if snapshot is not None:
            at_consumed = snapshot
        items.extend(framer.feed(chunk) or ())
        position += len(chunk)
    return Read(items, framer.consumed, position, at_consumed.hexdigest(), eof, at_consumed,
                framer.block() if isinstance(framer, BlockFramer) else None)


def windows(fd: int, offset: int) -> tuple[str, str]:
    """Hashes of the file's first `HEAD` bytes and of the `SEAM` bytes before ``offset`` (both
    within ``[0, offset)``): what an append is checked against when the prefix is not re-read."""
    head = os.pread(fd, min(HEAD, offset), 0)
    start = max(0, offset - SEAM)
    seam = os.pread(fd, offset - start, start)
    return (xxhash.xxh3_64_hexdigest(head), xxhash.xxh3_64_hexdigest(seam))


@dataclass(frozen=True, slots=True)
class Whole:
    md5: str  # of the whole file, as the original pipeline computed it
    consumed: int  # offset just after the last newline
    digest: str  # xxh3-128 of [0, consumed)
    lines: int


def hash_whole(fd: int) -> Whole:
    """One pass over the file: its MD5 and the cursor values of all its complete lines."""
    md5 = hashlib.md5(usedforsecurity=False)
    hasher = new_hasher()
    at_consumed = hasher.copy()
    position = consumed = lines = 0
    while chunk := os.pread(fd, CHUNK, position):
        md5.update(chunk)
        snapshot = _hash_chunk(hasher, chunk)
        if snapshot is not None:
            at_consumed = snapshot
            consumed = position + chunk.rfind(b"\n") + 1
            lines += chunk.count(b"\n")
        position += len(chunk)
    return Whole(md5.hexdigest(), consumed, at_consumed.hexdigest(), lines)
