"""Reading many hosts' Parquet snapshots (`daemon.publish`) as one DuckDB database.

``sessiond report NAME --from DIR`` and ``sessiond sql --from DIR`` open an in-memory DuckDB
whose views read every host's files in ``DIR``, named so that the reports' own queries run on
it unchanged: each processor's schema says how its public views read over many hosts
(``ACROSS_HOSTS``: usage deduplicated per user and message id / request id, across hosts too)
and which names its report reads (``REPORT_VIEWS``).
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from sessiond.daemon.publish import FILE, VIEW_NAME, SnapshotError
from sessiond.daemon.sql import quiet

# Processor schema modules that say how their public views read over many hosts
# (``ACROSS_HOSTS``) and which views their report reads (``REPORT_VIEWS``).
SCHEMAS = ("sessiond.processors.usage.schema", "sessiond.processors.verification.schema")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rules() -> tuple[dict[str, str], dict[str, str]]:
    """The processors' ``ACROSS_HOSTS`` and ``REPORT_VIEWS``, merged."""
    across: dict[str, str] = {}
    report: dict[str, str] = {}
    for name in SCHEMAS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue  # that processor is not part of this build
        across.update(getattr(module, "ACROSS_HOSTS", {}))
        report.update(getattr(module, "REPORT_VIEWS", {}))
    return across, report


@dataclass(slots=True)
class Snapshots:
    """Many hosts' snapshots as one in-memory DuckDB (`open_snapshots`); close it after use.

    Every file is opened once, up front, and read through ``/proc/self/fd/N``: a publish that
    replaces a file meanwhile does not change what this connection reads, so all the queries
    of one report see the same snapshot of each host."""

    con: duckdb.DuckDBPyConnection
    hosts: dict[str, str | None]  # host -> its snapshot's time (sessiond.snapshot)
    mixed: list[str]  # hosts whose views came from different publishes (one was under way)
    _fds: list[int] = field(default_factory=list)

    def close(self) -> None:
        self.con.close()
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> Snapshots:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def snapshot_files(directory: Path) -> dict[str, dict[str, Path]]:
    """{view: {host: file}} of the snapshots in ``directory``."""
    if not directory.is_dir():
        raise SnapshotError(f"--from {directory}: not a directory")
    out: dict[str, dict[str, Path]] = {}
    for folder in sorted(directory.iterdir()):
        if VIEW_NAME.match(folder.name):
            hosts = {f.parent.name.removeprefix("host="): f
                     for f in sorted(folder.glob(f"host=*/{FILE}"))}
            if hosts:
                out[folder.name] = hosts
    return out


def _snapshot_id(fd: int) -> str | None:
    meta = pq.read_metadata(f"/proc/self/fd/{fd}").metadata or {}
    value = meta.get(b"sessiond.snapshot")
    return value.decode() if value is not None else None


def _open_files(directory: Path) -> tuple[dict[str, dict[str, int]], dict[str, set[str | None]], list[int]]:
    """Open every file; {view: {host: fd}}, each host's snapshot ids, and the fds."""
    fds: list[int] = []
    opened: dict[str, dict[str, int]] = {}
    ids: dict[str, set[str | None]] = {}
    try:
        for view, hosts in snapshot_files(directory).items():
            for host, path in hosts.items():
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                except FileNotFoundError:
                    continue  # a view that was just dropped
                fds.append(fd)
                opened.setdefault(view, {})[host] = fd
                try:
                    ids.setdefault(host, set()).add(_snapshot_id(fd))
                except (OSError, pa.ArrowException) as exc:
                    raise SnapshotError(f"--from {directory}: {path} is no Parquet snapshot: "
                                        f"{exc}") from exc
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return opened, ids, fds


def open_snapshots(directory: Path, *, attempts: int = 20, pause: float = 0.05) -> Snapshots:
    """An in-memory DuckDB over every host's snapshot in ``directory``:

    * ``hosts.<view>``: every host's rows of a view, with a ``host`` column;
    * ``<view>``: the view over all hosts as its processor defines it (``ACROSS_HOSTS``: usage
      deduplicated per user and message id / request id, ...), else ``hosts.<view>`` as it is;
    * the names the processors' reports read (``REPORT_VIEWS``: ``usage_calls``, ...), so a
      report's ``run`` works here as on the state.

    A host's files are taken from one publish: if they carry different snapshot times (a
    publish was renaming its files), they are opened again, up to ``attempts`` times.
    """
    for attempt in range(attempts):
        opened, ids, fds = _open_files(directory)
        mixed = sorted(h for h, found in ids.items() if len(found - {None}) > 1)
        if not mixed or attempt == attempts - 1:
            break
        for fd in fds:
            os.close(fd)
        time.sleep(pause)
    if not opened:
        raise SnapshotError(f"--from {directory}: no sessiond snapshot there "
                            f"(<view>/host=<host>/{FILE}); is it a publish_dir?")
    hosts = {h: max((i for i in found if i is not None), default=None) for h, found in ids.items()}
    con = duckdb.connect()
    snapshots = Snapshots(con, hosts, mixed, fds)
    try:
        _create_views(con, opened)
    except duckdb.Error as exc:
        snapshots.close()
        raise SnapshotError(f"--from {directory}: cannot read the snapshots: "
                            f"{str(exc).splitlines()[0]}") from exc
    except BaseException:
        snapshots.close()
        raise
    return snapshots


def _create_views(con: duckdb.DuckDBPyConnection, opened: dict[str, dict[str, int]]) -> None:
    across, report = _rules()
    con.execute("SET TimeZone = 'UTC'")
    quiet(con)
    con.execute("CREATE SCHEMA hosts")
    for view, hosts in opened.items():
        # one read per host, its name as a column; BY NAME: hosts on different versions may
        # have different columns (they only ever grow)
        parts = [f"SELECT *, {_literal(host)} AS host FROM read_parquet('/proc/self/fd/{fd}')"
                 for host, fd in sorted(hosts.items())]
        con.execute(f'CREATE VIEW hosts."{view}" AS ' + " UNION ALL BY NAME ".join(parts))
    for view in opened:
        if view not in across:
            con.execute(f'CREATE VIEW "{view}" AS SELECT * FROM hosts."{view}"')
    for definitions in (across, report):
        for name, sql in definitions.items():
            try:  # in order: later ones read earlier ones
                con.execute(f'CREATE VIEW "{name}" AS {sql}')
            except duckdb.CatalogException:
                continue  # its snapshot is not there: what reads it says so when asked
