"""The scanner: the periodic full walk that is the truth behind the events.

It keeps an in-memory index of the last seen ``(size, mtime_ns, ino, ctime_ns)`` per file
(packed: `cursor.Seen`) and reports only what differs: new or changed files, and files that
disappeared. It also counts the changes that no watcher event had announced since the previous
scan (``missed_by_events``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sessiond.daemon.discovery import classify, file_of, stat_tree
from sessiond.processors.contract import SessionFile
from sessiond.state.cursor import Seen, StatTuple, seen

# The index entry of a file known from the state but not as read cleanly (a failed or older
# cursor, processors that saw different stats): no stat packs to a negative int, so the next
# scan reports it as changed if it is there and as removed if it is not.
UNSEEN: Seen = -1


@dataclass(frozen=True, slots=True)
class ScanResult:
    files: int
    changed: list[SessionFile]
    removed: list[SessionFile]
    missed: list[str]  # changed or removed keys no watcher event had announced when it began
    errors: list[str] = field(default_factory=list)
    root_exists: bool = True
    seconds: float = 0.0
    folders: list[tuple[str, int]] = field(default_factory=list)  # see `stat_tree`

    @property
    def missed_by_events(self) -> int:
        return len(self.missed)


class Scanner:
    def __init__(self, root: Path, index: Mapping[str, Seen] | None = None) -> None:
        self.root = root
        self._index: dict[str, Seen] = dict(index or {})
        # What commits saw of files since the last scan (`learn`): merged into the index when
        # the next scan starts, under the lock (the scan iterates the index in its own thread)
        self._learned: dict[str, Seen | None] = {}
        self._lock = threading.Lock()

    @property
    def index(self) -> Mapping[str, Seen]:
        return self._index

    def learn(self, key: str, stat: StatTuple | None) -> None:
        """A worker committed what it read of ``key`` at ``stat`` (None: it found the file gone).
        A file the events told of between two scans is then known to the next one: if its
        deletion's event is lost (the kernel's queue overflowed), that scan finds it removed --
        without this, only files some scan had seen could be found gone. And a change the
        events brought is not dispatched again by the scan."""
        packed = None if stat is None else seen(stat)
        with self._lock:
            self._learned[key] = packed

    def knows(self, key: str) -> bool:
        """Whether the next scan starts out knowing ``key`` (seen by a scan, or told by `learn`
        and not forgotten since)."""
        with self._lock:
            if key in self._learned:
                return self._learned[key] is not None
            return key in self._index

    def forget(self, keys: Iterable[str]) -> None:
        """Drop entries so the next scan reports those files again (e.g. after reprocess): when
        it starts, like what `learn` was told of (not now, while a scan may be iterating)."""
        with self._lock:
            for key in keys:
                self._learned[key] = None

    def scan(self, announced: set[str] | None = None,
             watch: Callable[[str], object] | None = None) -> ScanResult:
        """Walk the tree; ``announced`` holds the keys events reported since the last scan,
        or None when no watcher ran for the whole period (nothing counts as missed then);
        ``watch`` is called with each folder's path before it is listed (`stat_tree`)."""
        started = time.perf_counter()
        errors: list[str] = []
        if not os.path.isdir(self.root):
            # An unmounted volume is not a mass deletion: keep the index, report nothing gone.
            return ScanResult(0, [], [], [], errors, root_exists=False,
                              seconds=time.perf_counter() - started)
        with self._lock:
            learned, self._learned = self._learned, {}
        old = self._index
        for key, stat in learned.items():
            if stat is None:
                old.pop(key, None)
            else:
                old[key] = stat
        unreadable: list[str] = []
        changed_keys: list[str] = []
        folders: list[tuple[str, int]] = []
        seen = stat_tree(self.root, errors, unreadable, old, changed_keys, folders, watch)
        changed = [file_of(k) for k in changed_keys]
        missed = [] if announced is None else [k for k in changed_keys if k not in announced]
        if unreadable:  # a folder that could not be listed: its files are unknown, not gone
            prefixes = tuple(unreadable)
            seen.update((k, st) for k, st in old.items() if k.startswith(prefixes) and k not in seen)
        # Unless some key disappeared, every old key is among the unchanged or changed ones.
        fresh = sum(1 for k in changed_keys if k not in old)
        gone = old.keys() - seen.keys() if len(seen) - fresh < len(old) else ()
        removed = [f for f in (classify(k) for k in gone) if f is not None]
        if announced is not None:
            missed.extend(f.key for f in removed if f.key not in announced)
        self._index = seen
        return ScanResult(len(seen), changed, removed, missed, errors,
                          seconds=time.perf_counter() - started, folders=folders)
