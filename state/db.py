"""Opening the state database, with the errors an operator can act on."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a file is opened: the CLI's `StateError` import stays light
    import duckdb


class StateError(Exception):
    """The state file cannot be used; the message is one line for the operator."""


_HOLDER = re.compile(r"\(PID (\d+)\)")


def open_state(
    path: Path, *, read_only: bool = False, wait: float = 0.0,
    on_locked: Callable[[int | None, str], None] | None = None,
    give_up: Callable[[], str | None] | None = None,
    sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
) -> duckdb.DuckDBPyConnection:
    """Open (or create) the state file; a held lock or a foreign file is a `StateError`.

    ``wait``: seconds to go on trying while another process holds the file -- a short-lived
    reader such as an offline ``sessiond status`` -- with a backoff (50 ms doubling to 1 s);
    ``on_locked(pid, holder)`` is told once, at the first refusal; ``give_up()``, asked at each
    refusal, returns a reason to stop waiting (the holder is a daemon that will not let go).
    """
    deadline = clock() + wait
    delay = 0.05
    told = False
    while True:
        try:
            return _open(path, read_only=read_only)
        except _Locked as locked:
            reason = give_up() if give_up is not None else None
            if reason is not None:
                raise StateError(f"{locked.message} ({reason})") from locked.__cause__
            if clock() + delay > deadline:
                raise StateError(locked.message) from locked.__cause__
            if on_locked is not None and not told:
                on_locked(locked.pid, locked.holder)
                told = True
            sleep(delay)
            delay = min(1.0, delay * 2)


class _Locked(Exception):
    def __init__(self, message: str, holder: str) -> None:
        super().__init__(message)
        self.message = message
        self.holder = holder
        found = _HOLDER.search(holder)
        self.pid = int(found.group(1)) if found else None


def _open(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    import duckdb

    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create state directory {path.parent}: {exc.strerror}") from exc
    elif not path.exists():
        raise StateError(f"state file {path} does not exist (has the daemon never run?)")
    try:
        return duckdb.connect(os.fspath(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            holder = text.split("Conflicting lock is held in", 1)[-1].split(". See also")[0].strip()
            raise _Locked(
                f"state file {path} is in use by another process (a running sessiond?): {holder}",
                holder) from exc
        if "not a valid DuckDB database" in text:
            raise StateError(f"{path} is not a DuckDB database; refusing to touch it") from exc
        raise StateError(f"cannot open state file {path}: {text}") from exc
    except duckdb.Error as exc:
        raise StateError(f"cannot open state file {path}: {exc}") from exc
