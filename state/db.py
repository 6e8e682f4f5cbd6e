"""Opening the state database, with the errors an operator can act on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a file is opened: the CLI's `StateError` import stays light
    import duckdb


class StateError(Exception):
    """The state file cannot be used; the message is one line for the operator."""


def open_state(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) the state file; a held lock or a foreign file is a `StateError`."""
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
            raise StateError(
                f"state file {path} is in use by another process (a running sessiond?): "
                + text.split("Conflicting lock is held in", 1)[-1].split(". See also")[0].strip()
            ) from exc
        if "not a valid DuckDB database" in text:
            raise StateError(f"{path} is not a DuckDB database; refusing to touch it") from exc
        raise StateError(f"cannot open state file {path}: {text}") from exc
    except duckdb.Error as exc:
        raise StateError(f"cannot open state file {path}: {exc}") from exc
