"""The start marker: a file beside the state file that says "a daemon is starting here".

DuckDB lets one process open the state file for writing, and none other may even read it then.
A daemon starting while a monitoring check reads the file offline would find it locked; and a
check run every few seconds would, sooner or later, keep it from ever starting. So the daemon
writes this marker (its pid) before it opens the state file, and removes it once its control
socket answers; an offline command that finds a live daemon's marker waits for that socket and
asks the daemon instead of opening the file (`daemon.commands`). The daemon itself waits, with
a backoff, for a reader that was already there (`state.db.open_state`).
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path


def marker_path(state: Path) -> Path:
    return state.with_name(state.name + ".starting")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def starting(state: Path) -> int | None:
    """The pid of a daemon starting on this state file, or None (no marker, or a stale one
    left by a daemon killed while it started)."""
    try:
        pid = int(marker_path(state).read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid > 0 and _alive(pid) else None


def serving(path: Path) -> bool:
    """Whether a daemon listens on this control socket now (a stale socket file is not one)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(0.5)
    try:
        sock.connect(os.fspath(path))
    except OSError:
        return False
    finally:
        sock.close()
    return True


class StartMarker:
    """Written by `announce`, removed by `done` (idempotent)."""

    def __init__(self, state: Path) -> None:
        self.path = marker_path(state)
        self._written = False

    def announce(self) -> int | None:
        """Write the marker atomically (a reader never sees it half-written); or, if another
        live daemon's marker is there, leave it and return that daemon's pid. Best effort: a
        state directory that cannot be written is reported when the state file is opened."""
        other = starting(self.path.with_name(self.path.name.removesuffix(".starting")))
        if other is not None and other != os.getpid():
            return other
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(f"{os.getpid()}\n")
            tmp.replace(self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return None
        self._written = True
        return None

    def done(self) -> None:
        if self._written:
            self._written = False
            with contextlib.suppress(OSError):
                self.path.unlink()
