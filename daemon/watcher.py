"""The watcher: watchdog events turned into "this file may have changed" hints, nothing more.

The handler never reads a file or touches the database: it maps a path to a session-file key and
calls ``on_file``; a directory that appears (a new user folder, possibly with files already
inside, which inotify never reports), moves or goes calls ``on_dir`` with its root-relative
path and a ``/`` so its subtree gets scanned -- and the files under it count as owed no event. An overflow
of the kernel's event queue (10,000 files arriving at once) calls ``on_overflow``: events were
lost, and only a scan can tell which.

watchdog (7.x) gives no handler the overflow: it rebuilds its watches and logs a warning
(``Inotify queue overflowed; filesystem events were lost``, from
``watchdog.observers.inotify_c``); upstream gorakhargosh/watchdog#654, open since 2020, asks
for a way to be told. That log record is the only signal, so a `_Said` filter looks for
exactly it -- its logger, its level and the start of its message -- and
``tests/test_bad_inputs.py::test_a_real_inotify_queue_overflow_is_detected`` overflows a real
kernel queue to prove it still works with the watchdog installed.

The first scan adds the folders' watches (`Watcher.adopt`). watchdog's own start walks the whole
tree to watch every folder (its ``os.walk`` and bookkeeping: 0.7-0.9 s at 23,499 folders), and
then the first scan walked it again. With watchdog 7's inotify classes the watch starts on the
root alone, and the scan watches each folder right before it lists it -- the order that lets no
change fall between the scan and the events (`discovery.stat_tree`). Without those classes (another
watchdog), watchdog walks as before and ``adopt`` is never asked for.
``tests/test_watches.py::test_the_first_scan_watches_every_folder_it_lists`` holds the installed
watchdog to it.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer, inotify

from sessiond.daemon.discovery import classify, key_for

_FILE_EVENTS = frozenset({"created", "modified", "closed", "moved", "deleted"})
# The inotify mask: without it watchdog also asks for open and close-without-write events, so
# our own scan (opening 23k folders) overflowed the kernel queue ~12 times, and each overflow
# asked for another scan -- 70 CPU s/min idle with 100k files. With it: 0.03 (bench, figure 6).
_WANTED = (
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent,
    DirCreatedEvent, DirMovedEvent, DirDeletedEvent,
)


# watchdog (7.x) logs an inotify queue overflow from this logger, and tells no handler.
_OVERFLOW = ("watchdog.observers.inotify_c", "Inotify queue overflowed")
# ... and a folder it cannot watch once the watch is running (the limit) from this one.
_REFUSED = ("watchdog.observers.inotify", "Unable to watch")


class _Said(logging.Filter):
    """Sees one of watchdog's loggers' records go by; on a warning that starts with the given
    text, calls ``then``. It lets every record through unchanged."""

    def __init__(self, said: tuple[str, str], then: Callable[[], None]) -> None:
        super().__init__()
        self.logger, self._text = said
        self._then = then

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.levelno == logging.WARNING and isinstance(record.msg, str)
                and record.msg.startswith(self._text)):
            self._then()
        return True

    def install(self) -> None:
        logger = logging.getLogger(self.logger)
        if not logger.isEnabledFor(logging.WARNING):  # a filter sees only what is logged
            logger.setLevel(logging.WARNING)
        logger.addFilter(self)

    def remove(self) -> None:
        logging.getLogger(self.logger).removeFilter(self)


def _root_first() -> Any:
    """An inotify observer class whose recursive watch starts on the root alone, the rest of
    the tree left to `Watcher.adopt` (after the start, watchdog adds the watches of new folders,
    and after a queue overflow rebuilds every watch, as always); None where the installed
    watchdog has no such internals (before 7: its start walks the tree itself)."""
    group: Any = getattr(inotify, "InotifyWatchGroup", None)
    if group is None or not all(hasattr(group, name) for name in ("_add_all_callbacks", "_add_callback")):
        return None

    class RootFirst(group):  # type: ignore[misc]
        walked = False

        def _add_all_callbacks(self, path: bytes) -> None:
            if self.walked:
                super()._add_all_callbacks(path)
                return
            self.walked = True  # the start: the root only (its failure still raises)
            self._add_callback(path)

    class Emitter(inotify.InotifyEmitter):
        def on_thread_start(self) -> None:  # watchdog's own, with the group above
            self._inotify = RootFirst(
                self._inotify_fd, os.fsencode(self.watch.path),
                is_recursive=self.watch.is_recursive, event_mask=self.get_event_mask_from_filter(),
                follow_symlink=self.watch.follow_symlink)

    class RootFirstObserver(inotify.InotifyObserver):
        def __init__(self) -> None:
            super().__init__()
            self._emitter_class = Emitter

    return RootFirstObserver


_RootFirstObserver = _root_first()


class WatcherUnavailable(Exception):
    """inotify cannot watch the tree (watch or instance limit, missing root, ...)."""


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path, on_file: Callable[[str], None],
                 on_dir: Callable[[list[str]], None]):
        self._root = root
        self._on_file = on_file
        self._on_dir = on_dir

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind not in _FILE_EVENTS:
            return  # opened, closed_no_write: no change
        paths = [event.src_path]
        if kind == "moved":
            paths.append(event.dest_path)
        if event.is_directory:
            if kind in ("created", "moved", "deleted"):
                folders = (key_for(self._root, path) for path in paths)
                self._on_dir([f"{folder}/" for folder in folders if folder])
            return
        for path in paths:
            key = key_for(self._root, path)
            if key is not None and classify(key) is not None:
                self._on_file(key)


class Watcher:
    def __init__(self, root: Path, on_file: Callable[[str], None],
                 on_dir: Callable[[list[str]], None], on_overflow: Callable[[], None]):
        self.root = root
        self._handler = _Handler(root, on_file, on_dir)
        self._observer: Any = None
        self._overflow = _Said(_OVERFLOW, on_overflow)
        self._group: Any = None  # watchdog's watch group, while folders wait for `adopt`
        self._refused = _Said(_REFUSED, self._give_up)  # the limit: `adopt` stops trying
        self.failed = False  # `adopt` met watchdog internals it does not know

    @property
    def pending(self) -> bool:
        """Whether the folders below the root wait for the next scan to watch them (`adopt`)."""
        return self._group is not None

    @property
    def running(self) -> bool:
        return self._observer is not None and self._observer.is_alive()

    def start(self) -> None:
        global _RootFirstObserver
        if _RootFirstObserver is not None:
            try:
                self._start(_RootFirstObserver())
                group = next(iter(self._observer.emitters))._inotify
                if not (hasattr(group, "_lock") and hasattr(group, "is_active")):
                    raise TypeError(f"watchdog's watch group is a {type(group).__name__}")
                self._group = group
                self._refused.install()
                return
            except WatcherUnavailable:
                raise
            except Exception:  # watchdog's internals are not what `_root_first` expects
                self.stop()
                _RootFirstObserver = None  # for good: watchdog walks from now on
        self._start(Observer())

    def _start(self, observer: Any) -> None:
        try:
            observer.schedule(self._handler, str(self.root), recursive=True,
                              event_filter=list(_WANTED))
            observer.start()
        except BaseException as exc:
            observer.stop()
            if not isinstance(exc, OSError):
                raise
            reason = {
                errno.ENOSPC: "inotify watch limit reached (fs.inotify.max_user_watches)",
                errno.EMFILE: "inotify instance limit reached (fs.inotify.max_user_instances)",
                errno.ENOENT: "root does not exist",
            }.get(exc.errno or 0, f"{exc.strerror or exc}")
            raise WatcherUnavailable(reason) from exc
        self._observer = observer
        self._overflow.install()

    def adopt(self, folder: str) -> None:
        """Watch ``folder`` (a path under the root) now, if it is not yet: the scan calls this
        right before it lists each folder. A folder that is gone is skipped. Once the watch
        limit refuses one (watchdog's one warning), the rest are not tried: the check of the
        kernel's watches after the scan finds them unwatched (`daemon.watches`). Should
        watchdog's internals fail it otherwise, ``failed`` says so: the caller stops this
        watcher, and the next one lets watchdog walk the tree."""
        group = self._group
        if group is None:
            return
        try:
            with group._lock:
                if group.is_active:
                    group._add_callback(os.fsencode(folder))
        except Exception:  # not watchdog's OSError, which it handles itself
            global _RootFirstObserver
            _RootFirstObserver = None
            self.failed = True
            self._give_up()

    def _give_up(self) -> None:
        self._group = None

    def adopted(self) -> None:
        """No more `adopt`: a scan has listed the whole tree through it (every folder is
        watched, or refused), or the limit was reached. watchdog watches new folders itself."""
        self._group = None
        self._refused.remove()

    def stop(self) -> None:
        self._overflow.remove()
        self.adopted()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
