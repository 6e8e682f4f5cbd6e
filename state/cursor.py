"""Cursors: how far one processor has consumed one file, and the pure decisions made from them.

A cursor says: the first ``offset`` bytes (always ending just after a newline) hash to
``file_hash`` and were processed by ``version`` of the processor. Everything here is a pure
function of values, so the append / rewrite / unchanged logic is unit-tested without files.
"""

from __future__ import annotations

import enum
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


# What the scan keeps per file: (size, mtime_ns, ino, ctime_ns), a plain tuple (cheaper to build
# 100k times than a `Stat`, and equal to the `Stat` of the same values).
StatTuple = tuple[int, int, int, int]


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
