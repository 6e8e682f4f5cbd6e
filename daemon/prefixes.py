"""Prefix hash states kept in memory, so an append to a large file costs what it adds.

A cursor's ``file_hash`` is xxh3-128 of the file's bytes ``[0, offset)``. Checking it before
each append means reading the whole prefix again: 60-65 ms for a 1 KB append to a 73 MB
transcript, against 32 ms for a 20 KB file (measured, issue #13). A worker that committed a file
keeps the hash *state* at the cursor (xxhash states can be copied, not stored), so the next
append of that file can go on hashing from there -- the stored hash stays the hash of the whole
prefix, whoever computed it.

What is checked instead, on the hot path (`examine`): the identity signals -- same inode, the
file grew -- and the hashes of two windows an edit must touch to go unnoticed by them: the
first 4 KiB and the 64 KiB before the cursor (`tailer.windows`). What that cannot see -- a
rewrite confined to the middle of the file that also makes it longer -- is caught by the full
check, which runs lazily: an append more than ``verify_after`` seconds after the first one that
skipped it re-reads the whole prefix, and a file that went quiet with its prefix unverified is
queued for the check once it has been quiet that long (`Worker`), at the worker's idle moments.

The state at an offset is the same for every processor (the hash of the same bytes), so a worker
that has none for a file takes another worker's if it is at its cursor's offset and digest
(`Worker`: ``borrow``; `examine` checks it like its own): after a backfill read in the parse
pool, whose processes cannot send a hash state back, the first live append of a file goes on
from the state the block-form processors (`lines`) kept instead of re-reading the file.

Nothing here is stored: after a restart or an eviction the next append re-reads the prefix once
(the check that catches everything), and goes on from there.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import xxhash


@dataclass(slots=True)
class Prefix:
    """The hash state of a file's ``[0, offset)`` as last committed."""

    offset: int
    digest: str  # == the cursor's file_hash
    state: xxhash.xxh3_128  # copy before use: the entry must stay at `offset`
    ino: int
    windows: tuple[str, str]  # `tailer.windows(fd, offset)` when it was read
    user: str  # the file's user (to queue it for the lazy check)
    # monotonic time of the first append taken on the windows alone since the whole prefix was
    # last hashed; None: it was hashed whole (fresh, a full check, or windows that cover it)
    unverified_since: float | None = None


class Prefixes:
    """The newest ``capacity`` files' prefix states (~1 KB each), least recently used first, and
    for each the state it had before its newest (`peek`: what another worker may still be at)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._map: OrderedDict[str, Prefix] = OrderedDict()
        self._earlier: dict[str, Prefix] = {}

    def __len__(self) -> int:
        return len(self._map)

    def get(self, key: str) -> Prefix | None:
        prefix = self._map.get(key)
        if prefix is not None:
            self._map.move_to_end(key)
        return prefix

    def peek(self, key: str, offset: int) -> Prefix | None:
        """The state at ``offset``, the newest or the one before it, without making it the
        newest: what another worker's thread may ask (dict lookups, atomic under the GIL; an
        entry is never changed in place). A worker that reads a file faster than another is
        often an append ahead of it, so the earlier state is the one the slower one needs."""
        for prefix in (self._map.get(key), self._earlier.get(key)):
            if prefix is not None and prefix.offset == offset:
                return prefix
        return None

    def put(self, key: str, prefix: Prefix) -> None:
        last = self._map.get(key)
        if last is not None and last.offset != prefix.offset:
            self._earlier[key] = last
        self._map[key] = prefix
        self._map.move_to_end(key)
        while len(self._map) > self.capacity:
            old, _ = self._map.popitem(last=False)
            self._earlier.pop(old, None)

    def discard(self, key: str) -> None:
        self._map.pop(key, None)
        self._earlier.pop(key, None)

    def oldest_unverified(self) -> float | None:
        return min((p.unverified_since for p in self._map.values()
                    if p.unverified_since is not None), default=None)

    def unverified(self, now: float, after: float) -> list[str]:
        """Files whose prefix has gone unverified for at least ``after`` seconds."""
        return [k for k, p in self._map.items()
                if p.unverified_since is not None and now - p.unverified_since >= after]
