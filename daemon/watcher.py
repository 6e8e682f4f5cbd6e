"""The watcher: watchdog events turned into "this file may have changed" hints, nothing more.

The handler never reads a file or touches the database: it maps a path to a session-file key and
calls ``on_file``; a directory that appears (a new user folder, possibly with files already
inside, which inotify never reports) calls ``on_dir`` so its subtree gets scanned. An overflow
of the kernel's event queue (10,000 files arriving at once) calls ``on_overflow``: events were
lost, and only a scan can tell which.

watchdog (7.x) gives no handler the overflow: it rebuilds its watches and logs a warning
(``Inotify queue overflowed; filesystem events were lost``, from
``watchdog.observers.inotify_c``); upstream gorakhargosh/watchdog#654, open since 2020, asks
for a way to be told. That log record is the only signal, so `_OverflowFilter` looks for
exactly it -- its logger, its level and the start of its message -- and
``tests/test_bad_inputs.py::test_a_real_inotify_queue_overflow_is_detected`` overflows a real
kernel queue to prove it still works with the watchdog installed.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from pathlib import Path

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
from watchdog.observers import Observer

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
_OVERFLOW_LOGGER = "watchdog.observers.inotify_c"
_OVERFLOW_MESSAGE = "Inotify queue overflowed"


class _OverflowFilter(logging.Filter):
    """Sees watchdog's own log records go by; on its queue-overflow warning, calls
    ``on_overflow``. It lets every record through unchanged."""

    def __init__(self, on_overflow: Callable[[], None]) -> None:
        super().__init__()
        self._on_overflow = on_overflow

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.levelno == logging.WARNING and isinstance(record.msg, str)
                and record.msg.startswith(_OVERFLOW_MESSAGE)):
            self._on_overflow()
        return True


class WatcherUnavailable(Exception):
    """inotify cannot watch the tree (watch or instance limit, missing root, ...)."""


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path, on_file: Callable[[str], None], on_dir: Callable[[], None]):
        self._root = root
        self._on_file = on_file
        self._on_dir = on_dir

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind not in _FILE_EVENTS:
            return  # opened, closed_no_write: no change
        if event.is_directory:
            if kind in ("created", "moved") or kind == "deleted":
                self._on_dir()
            return
        paths = [event.src_path]
        if kind == "moved":
            paths.append(event.dest_path)
        for path in paths:
            key = key_for(self._root, path)
            if key is not None and classify(key) is not None:
                self._on_file(key)


class Watcher:
    def __init__(self, root: Path, on_file: Callable[[str], None], on_dir: Callable[[], None],
                 on_overflow: Callable[[], None] | None = None):
        self.root = root
        self._handler = _Handler(root, on_file, on_dir)
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self._overflow = _OverflowFilter(on_overflow or on_dir)

    @property
    def running(self) -> bool:
        return self._observer is not None and self._observer.is_alive()

    def start(self) -> None:
        observer = Observer()
        try:
            observer.schedule(self._handler, str(self.root), recursive=True,
                              event_filter=list(_WANTED))
            observer.start()
        except OSError as exc:
            observer.stop()
            reason = {
                errno.ENOSPC: "inotify watch limit reached (fs.inotify.max_user_watches)",
                errno.EMFILE: "inotify instance limit reached (fs.inotify.max_user_instances)",
                errno.ENOENT: "root does not exist",
            }.get(exc.errno or 0, f"{exc.strerror or exc}")
            raise WatcherUnavailable(reason) from exc
        self._observer = observer
        logger = logging.getLogger(_OVERFLOW_LOGGER)
        if not logger.isEnabledFor(logging.WARNING):  # a filter sees only what is logged
            logger.setLevel(logging.WARNING)
        logger.addFilter(self._overflow)

    def stop(self) -> None:
        logging.getLogger(_OVERFLOW_LOGGER).removeFilter(self._overflow)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
