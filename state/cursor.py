"""Cursors: how far one processor has consumed one file, and the pure decisions made from them.

A cursor says: the first ``offset`` bytes (always ending just after a newline) hash to
``file_hash`` and were processed by ``version`` of the processor. Everything here is a pure
function of values, so the append / rewrite / unchanged logic is unit-tested without files.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import xxhash


def new_hasher() -> xxhash.xxh3_128:
    return xxhash.xxh3_128()


EMPTY_HASH = new_hasher().hexdigest()
LEGACY_PREFIX = "md5:"  # file_hash of a cursor imported from the original pipeline


class Stat(NamedTuple):
    """What one ``stat`` tells about a file: enough to notice any change (a tuple: the scan
    compares 100k of them)."""

    size: int
    mtime_ns: int
    ino: int
    # ctime: a rewrite of the same size whose mtime was put back (`cp -p`, `rsync -t
    # --inplace`) still moves it, since utime cannot set ctime. 0 = unknown (older cursors).
    ctime_ns: int = 0


# A file's stat as plain values: (size, mtime_ns, ino, ctime_ns) -- equal to the `Stat` of the
# same values.
StatTuple = tuple[int, int, int, int]

# What the scan keeps per file: its stat packed into one int, equal exactly when the four values
# are (`seen`; the scan's loop packs inline). An int of four 64-bit fields takes 60 bytes where a
# tuple of four such ints takes 200: at 100k files the index holds 7 MB instead of 24 (measured by
# hand), in a daemon whose resident target is 200 MB. Never negative (see `scanner.UNSEEN`).
Seen = int
M64 = (1 << 64) - 1  # a field; the times may be negative (before 1970): masked, signed again


def seen(stat: StatTuple) -> Seen:
    size, mtime_ns, ino, ctime_ns = stat
    return size | (mtime_ns & M64) << 64 | ino << 128 | (ctime_ns & M64) << 192


_NO_STAT = seen((0, 0, M64, 0))  # read back signed: inode -1, which no file has


def seen_words(packed: Iterable[Seen]) -> bytes:
    """The stats `seen` packed, each as its four fields -- size, mtime_ns, ino, ctime_ns -- in
    64-bit two's complement, little-endian, side by side (a negative value, no stat --
    `scanner.UNSEEN` --, as inode -1): what a status at 100k files reads as columns in C."""
    return b"".join((p if p >= 0 else _NO_STAT).to_bytes(32, "little") for p in packed)


def seen_stats(packed: Iterable[Seen]) -> Iterator[StatTuple]:
    """The stats `seen` packed, as tuples (`seen_words`, read back)."""
    return struct.iter_unpack("<qqqq", seen_words(packed))


@dataclass(frozen=True, slots=True)
class Cursor:
    processor: str
    file: str
    user: str
    version: int
    offset: int = 0
    file_hash: str = EMPTY_HASH
    lines: int = 0
    # The file as seen when read; `size` is how far it was examined (the read position), so a
    # pass cut short by the per-pass budget never looks "unchanged".
    size: int = 0
    mtime_ns: int = 0
    ino: int = 0
    ctime_ns: int = 0
    items: int = 0
    bad_lines: int = 0
    attempts: int = 0
    last_error: str | None = None
    next_retry_at: float | None = None  # epoch seconds
    parked: bool = False
    processed_at: float | None = None  # epoch seconds

    @property
    def stat(self) -> Stat:
        return Stat(self.size, self.mtime_ns, self.ino, self.ctime_ns)


class Plan(enum.Enum):
    UNCHANGED = "unchanged"  # nothing to read
    FRESH = "fresh"  # no usable cursor: read from 0, nothing to delete
    VERIFY = "verify"  # hash the first `offset` bytes; equal -> append, else rewrite
    REWRITE = "rewrite"  # delete this processor's outputs for the file, read from 0
    LEGACY = "legacy"  # imported from the original pipeline: an MD5 of the whole file, no offset


@dataclass(frozen=True, slots=True)
class Decision:
    plan: Plan
    reason: str


def decide(cursor: Cursor | None, stat: Stat, version: int) -> Decision:
    """What to do with a file whose current stat is ``stat``, given the processor's cursor."""
    if cursor is None:
        return Decision(Plan.FRESH, "new")
    if cursor.file_hash.startswith(LEGACY_PREFIX):
        return Decision(Plan.LEGACY, "legacy")
    if cursor.version != version:
        return Decision(Plan.REWRITE, "version")
    if cursor.offset == 0:
        if cursor.stat == stat:
            return Decision(Plan.UNCHANGED, "unchanged")
        return Decision(Plan.FRESH, "unread")
    if stat.size < cursor.offset:
        return Decision(Plan.REWRITE, "truncated")
    if cursor.stat == stat:
        return Decision(Plan.UNCHANGED, "unchanged")
    return Decision(Plan.VERIFY, "changed")


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff after the ``attempts``-th consecutive failure (1-based)."""
    if attempts <= 0:
        return 0.0
    return float(min(cap, base * (2 ** min(attempts - 1, 40))))
