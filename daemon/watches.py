"""Which folders the kernel really watches: the watch limit reached while the daemon runs.

watchdog adds an inotify watch for every folder of the tree, and for each new one as it appears;
when ``inotify_add_watch`` fails for any folder but the root -- ``ENOSPC`` once
``fs.inotify.max_user_watches`` is reached -- it skips that folder without a word
(``InotifyWatchGroup._add_callback``, watchdog 7.x). Changes in such a folder make no event, and
only the periodic scan would find them, minutes later.

So after each scan, the folders that hold session files (the root, user folders, session folders
and their ``subagents`` folders) are compared with the watches the kernel lists for this process
in ``/proc/self/fdinfo/<inotify fd>`` (``inotify wd:.. ino:<hex> ..`` lines). A folder already
found watched is not looked at again until the watches are rebuilt (a queue overflow, a
watcher restart); a new one costs a set lookup (and an ``lstat`` for a ``subagents`` folder).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

_WATCH = re.compile(rb"^inotify wd:\S+ ino:([0-9a-f]+) ", re.MULTILINE)


def watched_inodes(proc: Path = Path("/proc/self")) -> set[int] | None:
    """The inodes of everything this process's inotify instances watch; None if the kernel does
    not say (no /proc, or no inotify instance)."""
    try:
        fds = os.listdir(proc / "fd")
    except OSError:
        return None
    found: set[int] | None = None
    for fd in fds:
        try:
            if os.readlink(proc / "fd" / fd) != "anon_inode:inotify":
                continue
            info = (proc / "fdinfo" / fd).read_bytes()
        except OSError:  # closed since the listing
            continue
        found = found or set()
        found.update(int(m.group(1), 16) for m in _WATCH.finditer(info))
    return found


class Coverage:
    """The folders found unwatched, kept from scan to scan.

    A folder that looks unwatched may only be new: watchdog adds its watch from its own thread
    when it reads the folder's creation, which can lag behind a scan. So it is first a
    *suspect* -- already scanned at the short interval -- and is called unwatched (``missing``)
    only if a check at least ``confirm`` seconds later still finds no watch for it.
    """

    def __init__(self, root: Path, *, confirm: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.root = root
        self._confirm = confirm
        self._clock = clock
        self._watched: dict[str, int] = {}  # folder -> inode, found watched
        self.suspects: dict[str, float] = {}  # folder -> when first found unwatched
        self.missing: dict[str, int] = {}  # folder -> inode, found unwatched twice

    @property
    def uncovered(self) -> bool:
        """Whether some folders are (or may be) unwatched: scan at the short interval."""
        return bool(self.missing or self.suspects)

    def reset(self) -> None:
        """Forget what was found watched (the watches were rebuilt): check every folder again."""
        self._watched.clear()

    def check(self, folders: Iterable[tuple[str, int]]) -> list[str] | None:
        """Compare the scan's folders (``(key, inode)``, inode -1 when unknown) with the kernel's
        watches; returns the folders newly found unwatched, or None if the kernel cannot say."""
        present = dict(folders)
        for known in (self._watched, self.suspects, self.missing):
            for gone in [k for k in known if k not in present]:
                del known[gone]
        todo = {k: i for k, i in present.items() if self._watched.get(k) != i}
        if not todo:
            return []
        inodes = watched_inodes()
        if inodes is None:
            return None
        now = self._clock()
        new: list[str] = []
        for key, ino in sorted(todo.items()):
            if ino == -1:
                try:
                    ino = os.lstat(self.root / key).st_ino
                except OSError:  # gone since the scan
                    continue
            if ino in inodes:
                self._watched[key] = present[key]
                self.suspects.pop(key, None)
                self.missing.pop(key, None)
            elif key in self.missing:
                continue
            elif key not in self.suspects:
                self.suspects[key] = now
            elif now - self.suspects[key] >= self._confirm:
                del self.suspects[key]
                self.missing[key] = ino
                new.append(key)
        return new
