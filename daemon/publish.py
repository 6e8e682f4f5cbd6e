"""Parquet snapshots of the public views: written atomically, after commits, on a thread.

Layout: ``<publish_dir>/<view>/host=<host>/data.parquet``, one file per public view (every
``public_*`` view of the state) per host -- Hive-style partitions that DuckDB, Spark, Trino,
pandas and pyarrow read as they are, with ``host`` as a column.

A publish exports every view from **one read-only DuckDB transaction** (one snapshot of the
state: the views agree with each other), streaming each to a hidden temporary file in its
final folder (``.data.parquet.<pid>.tmp``: engines skip names that start with a dot, and the
``*.parquet`` glob does not match it), fsyncs it, and only when all of them are written renames
each over its ``data.parquet`` and fsyncs the folder. ``rename(2)`` replaces a file atomically,
so a reader opens either the previous snapshot of a view or the new one, never a part or a mix;
the previous file goes only when the new one is in place; a reader that already opened it keeps
reading it (on a local file system; on NFS a reader mid-read may get ESTALE and must retry). One
file per view, not versioned names plus a pointer: a glob over the folder (how every engine
reads it) would see two versions between a new file's arrival and the old one's removal.

The daemon's `Publisher` publishes after commits, at most once per ``publish_interval``, on its
own thread and its own connection: a publish never holds the writer (DuckDB's snapshot) or a
worker. `daemon.snapshots` is the other side: reading every host's files as one database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from sessiond import __version__
from sessiond.daemon import events
from sessiond.daemon.sql import quiet

if TYPE_CHECKING:
    from sessiond.daemon.settings import Settings

FILE = "data.parquet"
VIEW_NAME = re.compile(r"^public_[a-z0-9_]+$")  # a public view, and its folder
_BATCH_ROWS = 122_880  # a DuckDB row group: Parquet row groups of the same size


class SnapshotError(Exception):
    """Snapshots that cannot be written or read (unset publish_dir, a full disk, no snapshot
    in a --from folder): one line for the operator."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one publish wrote."""

    directory: str
    host: str
    at: str  # UTC, ISO-8601: also in every file's metadata (sessiond.snapshot)
    views: dict[str, int]  # rows per view
    bytes: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"dir": self.directory, "host": self.host, "at": self.at, "views": self.views,
                "bytes": self.bytes, "ms": round(self.seconds * 1000, 1)}


def public_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The state's public views (``public_*`` in ``main``), by name."""
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT internal ORDER BY view_name"
    ).fetchall()
    return [r[0] for r in rows if VIEW_NAME.match(r[0])]


def publish(con: duckdb.DuckDBPyConnection, directory: Path, host: str) -> Snapshot:
    """Write every public view of ``con``'s database under ``directory`` for ``host``; see the
    module docstring for how. ``con`` must be a connection of its own (a cursor): its time zone
    is set to UTC and it holds a read-only transaction while the files are written. A failure
    (a full disk, an unmounted share) is a `SnapshotError`; the previous files then stay."""
    try:
        return _publish(con, directory, host)
    except (OSError, duckdb.Error, pa.ArrowException) as exc:
        raise SnapshotError(f"cannot publish to {directory}: {type(exc).__name__}: "
                            f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc


def _publish(con: duckdb.DuckDBPyConnection, directory: Path, host: str) -> Snapshot:
    started = time.perf_counter()
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    metadata = {b"sessiond.snapshot": at.encode(), b"sessiond.host": host.encode(),
                b"sessiond.version": __version__.encode()}
    con.execute("SET TimeZone = 'UTC'")
    quiet(con)
    staged: list[tuple[Path, Path]] = []
    rows: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION READ ONLY")
    try:
        for view in public_views(con):
            folder = directory / view / f"host={host}"
            folder.mkdir(parents=True, exist_ok=True)
            _remove_stale(folder)
            temp = folder / f".{FILE}.{os.getpid()}.tmp"
            staged.append((temp, folder / FILE))
            rows[view] = _write(con, view, temp, metadata)
    except BaseException:
        for temp, _ in staged:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
    size = sum(temp.stat().st_size for temp, _ in staged)
    for temp, final in staged:  # all written: now each view's switch, back to back
        os.replace(temp, final)
    for _, final in staged:  # then make the renames durable
        _fsync_dir(final.parent)
    _remove_dropped(directory, host, rows.keys())
    return Snapshot(str(directory), host, at, rows, size, time.perf_counter() - started)


def _remove_dropped(directory: Path, host: str, views: Iterable[str]) -> None:
    """This host's file of a view the state no longer has: a reader would take it for part of
    the snapshot just written."""
    kept = set(views)
    for old in directory.glob(f"public_*/host={host}/{FILE}"):
        if old.parent.parent.name not in kept:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()


def _write(con: duckdb.DuckDBPyConnection, view: str, path: Path,
           metadata: dict[bytes, bytes]) -> int:
    """Stream one view into a Parquet file (bounded memory: one batch at a time); fsync it."""
    reader = con.sql(f'SELECT * FROM "{view}"').to_arrow_reader(_BATCH_ROWS)
    schema = reader.schema.with_metadata({**(reader.schema.metadata or {}), **metadata})
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
            count += batch.num_rows
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return count


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(folder: Path) -> None:
    """Temporary files a crashed publish of this host left (each host writes only its own
    folders, and one publish runs at a time per host)."""
    for stale in folder.glob(f".{FILE}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


class Publisher:
    """Publishes after commits, at most once per interval, on its own thread.

    `changed` (called after every commit) only sets a flag; the thread publishes when the flag
    is set and ``publish_interval`` has passed since the last publish began. At start the flag
    is set: the last run may have committed after its last publish. A failure (a full disk, an
    unmounted share) is logged, the previous snapshot stays, and the next try comes an interval
    later. `publish_now` (``sessiond publish``) publishes at once, one publish at a time.
    """

    def __init__(self, connect: Callable[[], duckdb.DuckDBPyConnection],
                 settings: Callable[[], Settings], log: Any,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._connect = connect
        self._settings = settings  # the live settings: a reload may set or move publish_dir
        self._log = log
        self._clock = clock
        self._cond = threading.Condition()
        self._dirty = True
        self._stopped = False
        self._last: float | None = None  # clock() when the last publish began
        self._one = threading.Lock()
        self.state: dict[str, Any] = {"last": None, "error": None}
        self._thread: threading.Thread | None = None

    def changed(self) -> None:
        with self._cond:
            self._dirty = True
            self._cond.notify()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)
        self._thread.start()

    def stop(self, wait: float = 60.0) -> bool:
        """Stop the thread, after the publish it may be writing; False if it did not end."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is None:
            return True
        self._thread.join(timeout=wait)
        return not self._thread.is_alive()

    def _due(self) -> float | None:
        """Seconds until the next publish is due (0: now), or None when none is wanted."""
        settings = self._settings()
        if not self._dirty or settings.publish_dir is None:
            return None
        if self._last is None:
            return 0.0
        return max(0.0, self._last + settings.publish_interval - self._clock())

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (due := self._due()) != 0.0:
                    self._cond.wait(timeout=1.0 if due is None else min(due, 1.0))
                if self._stopped:
                    return
            try:
                self.publish_now()
            except SnapshotError:
                continue  # logged (publish.failed); tried again an interval later
            except Exception as exc:  # a bug: say so, and keep the thread for the next try
                self.state["error"] = repr(exc)
                self._log.error(events.PUBLISH_FAILED, dir=str(self._settings().publish_dir),
                                host=self._settings().publish_host, error=repr(exc),
                                retry_in=self._settings().publish_interval,
                                traceback="".join(traceback.format_exception(exc))[-4000:])
                with self._cond:
                    self._dirty = True

    def publish_now(self) -> Snapshot:
        """Publish now (the caller's thread); `SnapshotError` if publish_dir is not set or the
        files cannot be written -- the previous snapshot then stays."""
        settings = self._settings()
        if settings.publish_dir is None:
            raise SnapshotError("publish_dir is not set (config key publish_dir, or "
                                "SESSIOND_PUBLISH_DIR)")
        with self._one:
            with self._cond:
                self._dirty = False  # commits from now on are in a later snapshot
                self._last = self._clock()
            con = self._connect()
            try:
                snapshot = publish(con, settings.publish_dir, settings.publish_host)
            except SnapshotError as exc:
                with self._cond:
                    self._dirty = True
                self.state["error"] = str(exc)
                self._log.error(events.PUBLISH_FAILED, dir=str(settings.publish_dir),
                                host=settings.publish_host, error=str(exc),
                                retry_in=settings.publish_interval)
                raise
            finally:
                con.close()
        self.state.update(last=snapshot.as_dict(), error=None)
        self._log.info(events.PUBLISH_DONE, **snapshot.as_dict())
        return snapshot
