"""The cursor store: loading cursors and committing outputs together with them.

The one rule: a processor's output rows and its cursor update commit in one DuckDB transaction.
A rewrite (or deletion) first commits its own small transaction that deletes the file's outputs
and rewinds the cursor to 0 -- a consistent state on its own -- so no transaction ever deletes
and re-inserts the same key (which DuckDB handles badly with primary keys).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from sessiond.processors.contract import Merging, Processor, Rows, item_tables, owned_tables
from sessiond.state.cursor import EMPTY_HASH, Cursor, Seen
from sessiond.state.migrations import CURSOR_KEY, SET_ASIDE_TABLE, cursor_key, restore_indexes

STATE_TABLE = "session_processor_state"
# `Store._set_aside`: a table's indexes are dropped around a delete of more than one row in this
# many of the rows that stay (the delete's cost per row against the index over CREATE INDEX's).
SET_ASIDE_SHARE = 16
# A backlog's commits are large: DuckDB checkpoints -- compresses the rows committed since into
# the file -- whenever its WAL passes `checkpoint_threshold` (16 MB by default), and each time it
# seems to read back and compress again the row groups the previous one left part full (py-spy:
# `StringScanPartial` under COMMIT; fewer checkpoints make a smaller file). From a
# commit of `BULK_ROWS` rows on, the threshold is `BULK_CHECKPOINT` until `Store.settle`
# checkpoints and puts it back (the writer, once it has had nothing to commit for a moment).
# `run --once --processors usage`, alternated with the code before, every pair faster: the dense
# 553 MB corpus (commits of ~20k rows), seven pairs over two hours, 22.7-34.7 -> 19.5-28.0 CPU s,
# 15.9-23.7 -> 12.7-18.1 s, the file 147 -> 119 MB, peak RSS 499-534 -> 522-542 MB; the 510 MB
# one (commits of ~15k rows: why 5,000), two pairs, 14.4, 14.4 -> 14.1, 13.1 CPU s, the file
# 68.7 -> 54.8 MB, peak RSS 340-346 -> 460-478 MB. All three processors on the dense corpus
# (verification's rules bound it; its late commits are small): 82.0 -> 80.6 s, the file 177 ->
# 143 MB, peak RSS 603 -> 628 MB.
BULK_ROWS = 5_000
BULK_CHECKPOINT = "256MB"

_CURSOR_COLUMNS = (
    "processor_name", "session_file", "username", "processed_at", "items_extracted",
    "file_hash", "offset_bytes", "lines", "size", "mtime_ns", "ino", "processor_version",
    "bad_lines", "attempts", "last_error", "next_retry_at", "parked", "ctime_ns",
)
_CURSOR_SCHEMA = pa.schema([
    ("processor_name", pa.string()), ("session_file", pa.string()), ("username", pa.string()),
    ("processed_at", pa.float64()), ("items_extracted", pa.int64()), ("file_hash", pa.string()),
    ("offset_bytes", pa.int64()), ("lines", pa.int64()), ("size", pa.int64()),
    ("mtime_ns", pa.int64()), ("ino", pa.int64()), ("processor_version", pa.int32()),
    ("bad_lines", pa.int64()), ("attempts", pa.int32()), ("last_error", pa.string()),
    ("next_retry_at", pa.float64()), ("parked", pa.bool_()), ("ctime_ns", pa.int64()),
])
_TIME_COLUMNS = {"processed_at", "next_retry_at"}
_UPSERT = (
    f"INSERT INTO {STATE_TABLE} ({', '.join(_CURSOR_COLUMNS)}, cursor_key) SELECT "
    + ", ".join(f"to_timestamp({c})" if c in _TIME_COLUMNS else c for c in _CURSOR_COLUMNS)
    + f", {CURSOR_KEY} FROM _sessiond_cursors ON CONFLICT (processor_name, session_file) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*_CURSOR_COLUMNS[2:], "cursor_key"))
)
# The same for a few cursors, as parameters: binding values costs less than registering an Arrow
# table, up to about 8 rows (one statement: 0.6 vs 1.2 ms here, for a 1-row insert).
_FEW = 8
_UPSERT_ROW = "(" + ", ".join(
    "to_timestamp(?)" if c in _TIME_COLUMNS else "?" for c in _CURSOR_COLUMNS) + ", ?)"
_UPSERT_FEW = (
    f"INSERT INTO {STATE_TABLE} ({', '.join(_CURSOR_COLUMNS)}, cursor_key) VALUES {{rows}} "
    + _UPSERT[_UPSERT.index("ON CONFLICT"):]
)
# A live commit's cursors -- one file's, a row per processor -- that exist already: one keyed
# UPDATE each, whose count says whether the row was there. DuckDB plans the upsert as a MERGE
# over a scan of the whole table: 4-6 ms for one row (6-9 ms at 300k cursors), where this
# costs 1.2-1.6 ms a row. It finds the row through the index on `cursor_key` (core steps 4 and 5):
# DuckDB 2.0 reads an index only for a filter on one column -- on (processor_name,
# session_file), the primary key's two, it scanned the table: 10.4 ms at 300k cursors, 3.4 ms
# by the key (`python -m bench.cursor_update`; 8.8 and 1.8 ms on the bench's 100k-file state),
# and DuckDB's native heap grows less per transaction than with any joined form: 3 rows,
# `python -m bench.duckdb_growth 2000 keyed,values 3`: 8.3 ms and +0.9 KB a transaction, against
# 8.2 ms and +2.4 KB for one UPDATE joined with bound VALUES (tried: no faster, under load).
_KEYED = 3
_UPDATE = (
    f"UPDATE {STATE_TABLE} SET "
    + ", ".join(f"{c} = to_timestamp(?)" if c in _TIME_COLUMNS else f"{c} = ?"
                for c in _CURSOR_COLUMNS[2:])
    + " WHERE cursor_key = ?"
)
# More cursors than that: one UPDATE joined with them as an Arrow table (4.2-4.5 ms for 16 rows
# against the upsert's 6-8 ms here; `bench.duckdb_growth`: 10.1 vs 14.1 ms), RETURNING the keys
# it found -- the rest (new files) are upserted after it. Up to `_BY_KEYS` of them, the join
# also names their keys in a list, so DuckDB reads the rows through `cursor_key`'s index; so
# does a larger commit while the table holds `_BY_KEYS_SHARE` times as many cursors
# (`Store._by_keys`). Otherwise DuckDB scans the table, whose cost grows with the cursors stored
# rather than with the commit's. `python -m bench.cursor_update`, committed, medians of 11,
# joined / by keys: 128 cursors at 3k 8.4 / 9.9 ms, at 30k 15.7 / 10.2, at 300k 32.3 / 11.3;
# 256 at 3k 10.5 / 12.8, at 300k 43.1 / 14.9 (and of 7: 768 at 3k 25.4 / 35.2; 2048 at 30k
# 112 / 69, at 300k 200 / 89). `_BY_KEYS_MAX`: DuckDB reads an
# index for at most max(2048, 0.1 % of the rows) matches (`index_scan_max_count`), else scans.
_BY_KEYS = 48
_BY_KEYS_SHARE = 50
_BY_KEYS_MAX = 2048
_COUNT_EVERY = 60.0  # seconds a count of the stored cursors is used for that choice
_UPDATE_FROM = (
    f"UPDATE {STATE_TABLE} SET "
    + ", ".join(f"{c} = to_timestamp(u.{c})" if c in _TIME_COLUMNS else f"{c} = u.{c}"
                for c in _CURSOR_COLUMNS[2:])
    + f" FROM _sessiond_cursors u WHERE {STATE_TABLE}.processor_name = u.processor_name"
    + f" AND {STATE_TABLE}.session_file = u.session_file"
    + f" RETURNING {STATE_TABLE}.processor_name, {STATE_TABLE}.session_file"
)
_UPDATE_BY_KEYS = (
    _UPDATE_FROM[:_UPDATE_FROM.index(" WHERE ")]
    + f" WHERE {STATE_TABLE}.cursor_key = {cursor_key('u.')}"
    + f" AND {STATE_TABLE}.cursor_key IN ({{keys}})"
    + _UPDATE_FROM[_UPDATE_FROM.index(" RETURNING "):]
)


def _key(row: Mapping[str, Any]) -> str:
    """A cursor row's `cursor_key`, as `migrations.cursor_key` makes it in SQL."""
    return f"{row['processor_name']}\x1f{row['session_file']}"


_SELECT = "SELECT " + ", ".join(
    f"epoch({c})" if c in _TIME_COLUMNS else c for c in _CURSOR_COLUMNS
) + f" FROM {STATE_TABLE}"

_ONE_THREAD = threading.Lock()  # see `Store._one_thread`

# Per file the processor wants (`_sessiond_files`), the bytes not yet consumed; see `progress`.
_BEHIND = """
    SELECT count(*) FILTER (WHERE bytes > 0), coalesce(sum(bytes), 0),
           min(mtime_ns) FILTER (WHERE bytes > 0)
    FROM (
        SELECT f.mtime_ns, CASE
            WHEN c.session_file IS NULL OR c.processor_version <> ? THEN f.size
            WHEN (c.size, c.mtime_ns, c.ino, {ctime}) = (f.size, f.mtime_ns, f.ino, f.ctime_ns) THEN 0
            WHEN f.size < c.offset_bytes THEN f.size
            ELSE f.size - c.offset_bytes END AS bytes
        FROM _sessiond_files f
        LEFT JOIN (SELECT * FROM {state} WHERE processor_name = ?) c ON c.session_file = f.key
        WHERE c.parked IS NOT TRUE)
"""


class ProcessorError(Exception):
    """A processor's own part of a commit failed: its `Merging` hook raised, or its rows could not
    be written to (or deleted from) its tables -- a bug in that processor, which the worker
    counts against the files of the batch (attempts, backoff, parking) like a failing `process`.

    An error of the store itself (I/O, a full disk, memory, the lock) is not one of these, even
    when it surfaces inside a hook: it passes through unchanged, and the batch is retried later
    without counting attempts. The original exception is ``__cause__``."""

    def __init__(self, processor: str, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.processor = processor


# Errors of the store, not of a processor's code: retried without counting attempts.
_STORE_ERRORS: tuple[type[BaseException], ...] = (
    OSError, MemoryError, duckdb.IOException, duckdb.OutOfMemoryException, duckdb.FatalException,
    duckdb.InterruptException, duckdb.TransactionException,
)


@contextlib.contextmanager
def _blamed(processor: Processor) -> Iterator[None]:
    """Exceptions in the block are the processor's (`ProcessorError`), unless the store's."""
    try:
        yield
    except _STORE_ERRORS:
        raise
    except Exception as exc:
        raise ProcessorError(processor.name, exc) from exc


class Prepared(Sequence[Mapping[str, Any]]):
    """One file's rows of one table for a `Merging` processor's merge: the Arrow table of the
    table's columns -- converted, and so checked, outside the transaction; what is inserted if
    the merge keeps the rows -- plus ``extra``, the processor's `merge_fields` of those rows.

    The merge reads the rows back from Arrow, whether they were made in this process or in a
    pool process (`daemon.pool` ships only tables): so it sees the same values either way, by
    construction, and a table the merge passes on unread is never turned back into Python
    objects.
    """

    def __init__(self, arrow: pa.Table, extra: pa.Table | None = None) -> None:
        self.arrow = arrow
        self.extra = extra
        self._rows: list[dict[str, Any]] | None = None

    def _list(self) -> list[dict[str, Any]]:
        if self._rows is None:
            rows = self.arrow.to_pylist()
            if self.extra is not None:
                for row, more in zip(rows, self.extra.to_pylist(), strict=True):
                    row.update(more)
            self._rows = rows
        return self._rows

    def __len__(self) -> int:
        return int(self.arrow.num_rows)

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return iter(self._list())


class _Joined(Sequence[Mapping[str, Any]]):
    """Several files' rows of one table as one sequence, made into one list only when read."""

    def __init__(self, pieces: Sequence[Sequence[Mapping[str, Any]]]) -> None:
        self.pieces = pieces
        self._rows: list[Mapping[str, Any]] | None = None

    def __len__(self) -> int:
        return sum(len(p) for p in self.pieces)

    def __getitem__(self, index: Any) -> Any:
        if self._rows is None:
            self._rows = [row for piece in self.pieces for row in piece]
        return self._rows[index]

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return (row for piece in self.pieces for row in piece)


def prepare_rows(
    processor: Processor, rows: Mapping[str, Rows], schema: Callable[[str], pa.Schema]
) -> Mapping[str, Any]:
    """`Store.prepare` with the tables' Arrow schemas given (``schema``): usable where there is
    no database, in a pool process."""
    if not isinstance(processor, Merging):
        return {t: _arrow(r, t, schema) for t, r in rows.items() if len(r)}
    fields: Mapping[str, Sequence[str]] = getattr(processor, "merge_fields", {})
    return {t: Prepared(_arrow(r, t, schema, fields.get(t, ())), _extra(r, fields.get(t, ())))
            for t, r in rows.items() if len(r)}


def _arrow(rows: Rows, table: str, schema: Callable[[str], pa.Schema],
           fields: Sequence[str] = ()) -> pa.Table:
    """Rows as the table's columns: Python rows converted, a query's result conformed."""
    if isinstance(rows, pa.Table):  # the SQL form's
        return _conformed(rows, schema(table), fields)
    return pa.Table.from_pylist(list(rows), schema=schema(table))


def _extra(rows: Rows, fields: Sequence[str]) -> pa.Table | None:
    """A `Merging` processor's `merge_fields` of the rows (their types inferred)."""
    if not fields:
        return None
    if isinstance(rows, pa.Table):
        return rows.select(list(fields))
    return pa.Table.from_pylist([{k: row.get(k) for k in fields} for row in rows])


def prepare_many(
    processor: Processor, rows: Sequence[Mapping[str, Rows]], schema: Callable[[str], pa.Schema]
) -> list[Mapping[str, Any] | Exception]:
    """`prepare_rows` for several files' rows, in order: each table converted once for all of
    them and each file's part a slice of it (no copy) -- pyarrow's conversion costs ~5 us a
    column a call whatever the rows (~100 us for one of usage's tables), which a live batch of
    80 one-line appends paid 80 times per table. The `merge_fields` are still converted per file
    (their types are inferred: a batch could infer others). If a conversion fails, each file is
    converted by itself, so only the files whose rows do not fit fail: their exception stands
    in their place."""
    if len(rows) > 1:
        with contextlib.suppress(Exception):
            return _prepared_together(processor, rows, schema)
    out: list[Mapping[str, Any] | Exception] = []
    for one in rows:
        try:
            out.append(prepare_rows(processor, one, schema))
        except Exception as exc:
            out.append(exc)
    return out


def _prepared_together(
    processor: Processor, rows: Sequence[Mapping[str, Rows]], schema: Callable[[str], pa.Schema]
) -> list[Mapping[str, Any] | Exception]:
    out: list[dict[str, Any]] = [{} for _ in rows]
    merging = isinstance(processor, Merging)
    fields: Mapping[str, Sequence[str]] = getattr(processor, "merge_fields", {})
    for table in dict.fromkeys(t for one in rows for t, r in one.items() if len(r)):
        have = [(i, one[table]) for i, one in enumerate(rows) if len(one.get(table, ()))]
        names = fields.get(table, ()) if merging else ()
        for arrow in (False, True):  # Python rows in one conversion, query results in another
            pieces = [(i, r) for i, r in have if isinstance(r, pa.Table) is arrow]
            if not pieces:
                continue
            joined: Rows = (pa.concat_tables([r for _, r in pieces]) if arrow
                            else [row for _, r in pieces for row in r])
            whole = _arrow(joined, table, schema, names)
            offset = 0
            for i, r in pieces:
                part = whole.slice(offset, len(r))
                out[i][table] = Prepared(part, _extra(r, names)) if merging else part
                offset += len(r)
    return list(out)


def _conformed(table: pa.Table, schema: pa.Schema, fields: Sequence[str] = ()) -> pa.Table:
    """A query's result as the table's columns: by name, in order, cast to their types; a
    column the result lacks is NULL. Raises on a column that is neither the table's nor one of
    the ``fields`` (`Merging.merge_fields`)."""
    extra = set(table.column_names) - set(schema.names) - set(fields)
    if extra:
        raise ValueError(f"columns not in the table: {', '.join(sorted(extra))}")
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
               else pa.nulls(table.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema).combine_chunks()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one pass over one file produced, ready to commit."""

    cursor: Cursor
    rows: Mapping[str, Any]  # table -> rows, or an Arrow table from `Store.prepare`
    reset: bool = False  # delete the file's outputs (rewrite) before adding these rows
    deleted: bool = False  # the file is gone: delete its outputs and its cursor


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cursor_from_row(row: Sequence[object]) -> Cursor:
    (proc, file, user, processed_at, items, fhash, offset, lines, size, mtime, ino, version,
     bad, attempts, last_error, retry, parked, ctime) = row
    return Cursor(
        processor=str(proc), file=str(file), user=str(user), version=int(version),  # type: ignore[call-overload]
        offset=int(offset), file_hash=str(fhash), lines=int(lines), size=int(size),  # type: ignore[call-overload]
        mtime_ns=int(mtime), ino=int(ino), items=int(items), bad_lines=int(bad),  # type: ignore[call-overload]
        attempts=int(attempts), last_error=None if last_error is None else str(last_error),  # type: ignore[call-overload]
        next_retry_at=None if retry is None else float(retry),  # type: ignore[arg-type]
        parked=bool(parked), ctime_ns=int(ctime),  # type: ignore[call-overload]
        processed_at=None if processed_at is None else float(processed_at),  # type: ignore[arg-type]
    )


def _cursor_row(c: Cursor) -> dict[str, object]:
    return {
        "processor_name": c.processor, "session_file": c.file, "username": c.user,
        "processed_at": c.processed_at, "items_extracted": c.items, "file_hash": c.file_hash,
        "offset_bytes": c.offset, "lines": c.lines, "size": c.size, "mtime_ns": c.mtime_ns,
        "ino": c.ino, "processor_version": c.version, "bad_lines": c.bad_lines,
        "attempts": c.attempts, "last_error": c.last_error, "next_retry_at": c.next_retry_at,
        "parked": c.parked, "ctime_ns": c.ctime_ns,
    }


def _as_arrow(rows: Rows, table: str, schema: Callable[[str], pa.Schema]) -> pa.Table:
    """One table's rows -- as prepared, joined, or returned by a merge -- as one Arrow table:
    the tables they were converted to (`Prepared`) as they are, only rows that are Python
    objects anyway made into one. One chunk, not one per file: DuckDB inserts ~100 chunks of
    a few hundred rows three times slower than the same rows in one (0.45 vs 0.15 s, 100k rows)."""
    if isinstance(rows, pa.Table):
        return rows
    if isinstance(rows, Prepared):
        return rows.arrow
    if isinstance(rows, _Joined):
        tables = [_as_arrow(p, table, schema) for p in rows.pieces]
        if not tables:
            return schema(table).empty_table()
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables).combine_chunks()
    return pa.Table.from_pylist(list(rows), schema=schema(table))


def _by_file(rows: Any) -> Counter[str]:
    """How many of these rows (as given to or returned by a merge) each file has."""
    if isinstance(rows, _Joined):
        return sum((_by_file(p) for p in rows.pieces), Counter())
    if isinstance(rows, Prepared):
        rows = rows.arrow
    if isinstance(rows, pa.Table):
        return Counter(rows.column("session_file").to_pylist())
    return Counter(str(r["session_file"]) for r in rows)


def _merged_items(processor: Processor, outcomes: Sequence[Outcome],
                  given: Mapping[str, Rows], kept: Mapping[str, Rows]) -> dict[str, int]:
    """Per file, the items a merge added (> 0) or dropped (< 0). A table the merge passed on
    as it came (the same object) costs nothing to check."""
    changed: Counter[str] = Counter()
    for table in item_tables(processor):
        before, after = given.get(table), kept.get(table)
        if before is after:
            continue
        for o in outcomes:
            changed[o.cursor.file] -= len(o.rows.get(table, ()))
        if after is not None:
            changed.update(_by_file(after))
    return {f: n for f, n in changed.items() if n}


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` readable as ``name`` inside the block. In a transaction that a failure aborted,
    DuckDB refuses to drop it (the ROLLBACK does): that failure is the error to report, not
    the refusal (`tests/test_state.py::test_a_failed_insert_reports_its_own_error`)."""
    con.register(name, table)
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)


_RELATIONS = itertools.count()  # names of `_Tx.relation`s: unique per process


class _Tx:
    """`processors.contract.Tx` over the connection that holds the open transaction; a context
    manager: the relations it registers last until the block (the merge) ends.

    Two more for processors that keep what they read: ``memo``, a dict that lives as long as the
    database is open in this process (shared by the daemon's stores), and ``on_commit(fn)``,
    which calls ``fn`` once the transaction has committed (never if it rolls back): what a
    processor puts in ``memo`` from there is what the database holds."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: Callable[[str], pa.Schema],
                 memo: dict[str, Any] | None = None,
                 after: list[Callable[[], None]] | None = None) -> None:
        self._con = con
        self._schema = schema
        self._relations = contextlib.ExitStack()
        self.memo: dict[str, Any] = {} if memo is None else memo
        self._after = after

    def on_commit(self, fn: Callable[[], None]) -> None:
        if self._after is not None:
            self._after.append(fn)

    def __enter__(self) -> _Tx:
        return self

    def __exit__(self, *exc: object) -> None:
        self._relations.close()

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self._con.execute(sql, list(params)).fetchall()

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self._con.execute(sql, list(params))

    def relation(self, table: str, rows: Rows) -> str:
        name = f"_sessiond_rel_{next(_RELATIONS)}"
        self._relations.enter_context(
            _registered(self._con, name, _as_arrow(rows, table, self._schema)))
        return name


class Store:
    """Cursor reads and transactional commits on one DuckDB connection (one per thread)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, memo: dict[str, Any] | None = None) -> None:
        """``memo``: what processors keep across transactions (`_Tx.memo`); every store that
        writes the same database in this process must share it, or one would keep what another
        changed."""
        self._con = con
        self._schemas: dict[str, pa.Schema] = {}
        self._ctime: bool | None = None
        self.memo: dict[str, Any] = {} if memo is None else memo
        self._after: list[Callable[[], None]] = []
        self._counted = (-_COUNT_EVERY, 0)  # when, and how many cursors were stored (`_by_keys`)
        self._threshold: str | None = None  # `checkpoint_threshold` before a backlog raised it

    def _has_ctime(self) -> bool:
        """False for a state file of an older schema opened read-only (status, parked, ...
        before any daemon migrated it): ctime is then unknown (0), as after the migration.
        Asked once per store: the daemon migrates before it makes its stores."""
        if self._ctime is None:
            self._ctime = bool(self._con.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = ? "
                "AND column_name = 'ctime_ns'", [STATE_TABLE]).fetchall()[0][0])
        return self._ctime

    def _select(self) -> str:
        return _SELECT if self._has_ctime() else _SELECT.replace(", ctime_ns FROM", ", 0 FROM")

    def cursors(self, processor: str | None = None) -> dict[tuple[str, str], Cursor]:
        """All cursors (or one processor's), keyed by (processor, file). Every one becomes a
        Python object: for tests and small trees; the daemon loads what it needs (`load`)."""
        if processor is None:
            rows = self._con.execute(self._select()).fetchall()
        else:
            rows = self._con.execute(self._select() + " WHERE processor_name = ?", [processor]).fetchall()
        out: dict[tuple[str, str], Cursor] = {}
        for row in rows:
            c = _cursor_from_row(row)
            out[(c.processor, c.file)] = c
        return out

    def load(self, processor: str, files: Sequence[str]) -> dict[str, Cursor]:
        """The cursors of some files (those that have one), in one query.

        DuckDB answers this with a scan of the state table, not the primary key (~5-15 ms at
        300k cursors, whether for 1 file or 256): callers batch, and cache what they load.
        """
        if not files:
            return {}
        rows = self._con.execute(
            self._select() + " WHERE processor_name = ? AND session_file IN "
            "(SELECT unnest(?::VARCHAR[]))", [processor, list(files)]).fetchall()
        return {c.file: c for c in map(_cursor_from_row, rows)}

    def tracked(self) -> dict[str, int]:
        """Files with a cursor, per processor."""
        return dict(self._con.execute(
            f"SELECT processor_name, count(*) FROM {STATE_TABLE} GROUP BY ALL").fetchall())

    def troubled(self, processor: str, file: str | None = None) -> list[Cursor]:
        """Cursors of files that failed (backing off) or are parked, ordered by file."""
        sql = self._select() + " WHERE processor_name = ? AND (attempts > 0 OR parked)"
        params: list[object] = [processor]
        if file is not None:
            sql += " AND session_file = ?"
            params.append(file)
        return [_cursor_from_row(r) for r in self._con.execute(sql + " ORDER BY session_file", params).fetchall()]

    def files(self, processor: str) -> list[str]:
        """Every file the processor has a cursor for."""
        return [r[0] for r in self._con.execute(
            f"SELECT session_file FROM {STATE_TABLE} WHERE processor_name = ?", [processor]).fetchall()]

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """`processors.contract.Reader`: one parameterised read of what is committed, in a
        read-only transaction (a statement that would write fails: the worker's connection
        commits nothing but cursors and outputs)."""
        con = self._con
        con.execute("BEGIN TRANSACTION READ ONLY")
        try:
            rows = con.execute(sql, list(params)).fetchall()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        return rows

    def known_stats(self, versions: Mapping[str, int], *,
                    batch_rows: int = 20_000) -> Iterator[tuple[str, Seen | None, int]]:
        """Per file with a cursor of any of the given processors (at any version): (file, the
        stat its clean cursors saw, packed as `cursor.seen` -- None if they disagree or there
        are none --, which processors' cursors are clean: current version, no failure; bit i
        for the i-th of ``versions``). A file without a clean cursor is listed too: it may have
        been deleted while no daemon ran, and the start scan must find it gone.

        The start index of 100k files comes from here, so it is built for memory and time:
        plain aggregates (a `list()` or `count(DISTINCT ...)` here cost 45 MB more resident
        memory that DuckDB does not give back), one thread, streamed as Arrow batches, and each
        stat made as the array of its four 64-bit fields, which Arrow lays out side by side as
        `cursor.seen_words` does: one ``int.from_bytes`` a file (0.17-0.28 s for 100,933 files
        where a tuple of four ints, packed after, took 0.30-0.33 s).
        """
        if not versions:
            return
        ctime = "s.ctime_ns" if self._has_ctime() else "0"
        wanted = pa.table({"name": list(versions), "version": list(versions.values()),
                           "bit": [1 << i for i in range(len(versions))]})
        clean = "s.processor_version = v.version AND s.attempts = 0 AND NOT s.parked"
        columns = ("s.size", "s.mtime_ns", "s.ino", ctime)
        sql = f"""
            SELECT s.session_file,
                   CASE WHEN {" AND ".join(f"min({c}) FILTER (WHERE {clean}) = max({c}) FILTER (WHERE {clean})"
                                           for c in columns)}
                        THEN [{", ".join(f"min({c}) FILTER (WHERE {clean})" for c in columns)}]::BIGINT[4]
                   END,
                   coalesce(bit_or(v.bit) FILTER (WHERE {clean}), 0)
            FROM {STATE_TABLE} s JOIN _sessiond_versions v ON s.processor_name = v.name
            GROUP BY s.session_file
        """
        con = self._con
        packed = int.from_bytes
        with _registered(con, "_sessiond_versions", wanted), self._one_thread():
            for batch in con.sql(sql).to_arrow_reader(batch_rows):
                stats = batch.column(1)
                words = stats.values  # the fields of every row, nulls' too: 4 int64s a row
                data = memoryview(words.buffers()[1]).cast("B")[words.offset * 8:]
                start = stats.offset * 32
                for i, (key, valid, mask) in enumerate(zip(
                        batch.column(0).to_pylist(), stats.is_valid().to_pylist(),
                        batch.column(2).to_pylist(), strict=True)):
                    at = start + i * 32
                    yield key, packed(data[at:at + 32], "little") if valid else None, mask

    def drop_cached_pages(self, limit: str) -> None:
        """Let DuckDB drop the table pages it keeps cached (it frees them only under memory
        pressure): start-up reads the whole cursor table once, and the daemon then lives for
        weeks. Measured: -18 MB resident at 100k files. Lowering the limit evicts; ``limit``
        (the one in force: DuckDB shows it only rounded) is put back at once. Best effort:
        pinned pages make the lower limit fail, harmlessly. Only while nothing else uses the
        database (start-up): a query running meanwhile could fail to get memory."""
        con = self._con
        try:
            con.execute("SET memory_limit = '1MB'")
        except duckdb.Error:
            pass
        finally:
            con.execute(f"SET memory_limit = '{limit}'")

    def limit_memory(self, limit: str) -> None:
        """DuckDB's memory limit (``512MB``, ``1GB``): it keeps table pages cached until it
        reaches it, 80 % of the machine's memory by default -- so a daemon's resident size
        would grow with its state file for weeks. The value is checked by `daemon.settings`."""
        self._con.execute(f"SET memory_limit = '{limit}'")

    @contextlib.contextmanager
    def _one_thread(self) -> Iterator[None]:
        """Run a big aggregate or join on one DuckDB thread: each thread builds its own hash
        table, and memory DuckDB once took stays resident in the daemon (measured: -12 MB at
        start-up with 100k files). The setting is the database's: put back after."""
        con = self._con
        with _ONE_THREAD:  # two at once would each put back the other's "1"
            threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
            con.execute("SET threads = 1")
            try:
                yield
            finally:
                con.execute(f"SET threads = {threads}")

    def progress(self, processor: str, version: int, files: pa.Table) -> dict[str, Any]:
        """A processor's progress against the files as they are now (``files``: an Arrow table
        of the files it wants: key, size, mtime_ns, ino, ctime_ns), in one query.

        ``bytes_behind`` sums, per file: its size if it has no cursor or an old version's; 0 if
        its stat is what the cursor saw (a partial last line is not "behind"); its whole size
        if it shrank below the offset (all of it will be redone); else the bytes after the
        offset. Parked files are not behind: they wait for an operator.
        """
        ctime = "c.ctime_ns" if self._has_ctime() else "0"
        con = self._con
        tracked, failed, parked, last, items, bad = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE attempts > 0 AND NOT parked),
                   count(*) FILTER (WHERE parked), epoch(max(processed_at)),
                   coalesce(sum(items_extracted), 0), coalesce(sum(bad_lines), 0)
            FROM {STATE_TABLE} WHERE processor_name = ?""", [processor]).fetchall()[0]
        with _registered(con, "_sessiond_files", files), self._one_thread():
            pending, behind, oldest = con.execute(
                _BEHIND.format(state=STATE_TABLE, ctime=ctime), [version, processor]
            ).fetchall()[0]
        return {
            "files_tracked": int(tracked), "files_failed": int(failed), "files_parked": int(parked),
            "last_commit_at": None if last is None else float(last), "items_extracted": int(items),
            "bad_lines": int(bad), "files_pending": int(pending), "bytes_behind": int(behind),
            "oldest_pending_mtime": None if oldest is None else oldest / 1e9,
        }

    def commit(self, processor: Processor, outcomes: Sequence[Outcome]) -> dict[str, int]:
        """Commit outputs and cursors of several files; all or nothing (after any resets).
        Returns what a merge changed in the files' items (see `commit_many`)."""
        return self.commit_many([(processor, outcomes)]).get(processor.name, {})

    def commit_many(
        self, batches: Sequence[tuple[Processor, Sequence[Outcome]]]
    ) -> dict[str, dict[str, int]]:
        """`commit` for several processors' batches in one transaction (after one that does
        all their resets): a transaction's fixed cost -- BEGIN/COMMIT, the cursor upsert,
        registering Arrow tables -- is paid once. All or nothing, like `commit`.

        Returns, per processor and file, the items (`processors.contract.item_tables` rows) a
        `Merging` processor's merge added (> 0) or dropped (< 0): the committed cursors'
        ``items_extracted`` count what was stored, and so must the caller's."""
        resets = [(p, r) for p, os in batches if (r := [o for o in os if o.reset or o.deleted])]
        if resets:
            self._transaction(lambda: self._reset_all(resets))
        kept = [(p, k) for p, os in batches if (k := [o for o in os if not o.deleted])]
        if not kept:
            return {}
        if self._threshold is None and sum(len(r) for _, os in kept for o in os
                                           for r in o.rows.values()) >= BULK_ROWS:
            self._threshold = self._con.execute(
                "SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
            self._con.execute(f"SET checkpoint_threshold = '{BULK_CHECKPOINT}'")
        changed: dict[str, dict[str, int]] = {}
        self._transaction(lambda: changed.update(self._write(kept)))
        return changed

    @property
    def bulk(self) -> bool:
        """Whether a large commit raised the checkpoint threshold (`BULK_ROWS`), not yet settled."""
        return self._threshold is not None

    def settle(self) -> None:
        """After a backlog: the checkpoint threshold put back, and what its large commits left
        in the WAL checkpointed now, rather than in the next live commit's COMMIT."""
        if self._threshold is None:
            return
        threshold, self._threshold = self._threshold, None
        self._con.execute(f"SET checkpoint_threshold = '{threshold}'")
        self._con.execute("CHECKPOINT")

    def reset_files(self, processor: Processor, files: Iterable[str]) -> None:
        """Delete a processor's outputs and cursors for files (reprocess them from scratch).

        A table's indexes are set aside around a delete of many of its rows (`_set_aside`)."""
        names = list(files)
        if not names:
            return
        aside = self._set_aside(processor, names)
        try:
            self._transaction(lambda: self._delete(processor, names, drop_cursor=True))
        finally:
            if aside:  # (and any a killed process left aside)
                restore_indexes(self._con)

    def _set_aside(self, processor: Processor, files: list[str]) -> list[tuple[str, str, str]]:
        """Drop, in a transaction of their own, the indexes of the processor's tables that a
        delete of these files' rows would cost more to keep than to build again; returns them
        (name, table, SQL), also recorded in `SET_ASIDE_TABLE` until `migrations.restore_indexes`
        creates them again: after the delete, or after a kill, at the next start.

        DuckDB settles every deleted row against a table's indexes at COMMIT -- even when that
        transaction dropped them -- at ~20-30 us a row: 18.7 s for 900k of `usage_calls`' rows,
        0.07 s with its index dropped first, whose CREATE INDEX takes ~1.2 us a row that stays
        (`python -m bench.reprocess`)."""
        con = self._con
        indexes = con.execute(  # of tables with a `session_file`: what a delete of files takes
            "SELECT index_name, table_name, sql FROM duckdb_indexes() i WHERE schema_name = 'main' "
            "AND table_name IN (SELECT unnest(?::VARCHAR[])) AND sql IS NOT NULL AND EXISTS ("
            "SELECT 1 FROM duckdb_columns() c WHERE c.schema_name = 'main' AND "
            "c.table_name = i.table_name AND c.column_name = 'session_file') ORDER BY index_name",
            [list(owned_tables(processor))]).fetchall()
        aside = []
        for table in sorted({t for _, t, _ in indexes}):
            gone, total = con.execute(
                f"SELECT count(*) FILTER (WHERE session_file IN (SELECT unnest(?::VARCHAR[]))), "
                f"count(*) FROM {_quote(table)}", [files]).fetchall()[0]
            if gone * SET_ASIDE_SHARE > total - gone:
                aside += [i for i in indexes if i[1] == table]
        if aside:
            def drop() -> None:
                for name, table, sql in aside:
                    con.execute(f"INSERT OR REPLACE INTO {SET_ASIDE_TABLE} (index_name, table_name, "
                                "sql) VALUES (?, ?, ?)", [name, table, sql])
                    con.execute(f"DROP INDEX {_quote(name)}")
            self._transaction(drop)
        return aside

    # -- inside transactions ---------------------------------------------------------------

    def _transaction(self, body: object) -> None:
        con = self._con
        self._after = []  # what this transaction's `_Tx.on_commit` collects
        con.execute("BEGIN TRANSACTION")
        try:
            body()  # type: ignore[operator]
            con.execute("COMMIT")
        except BaseException:
            # After some failures (disk full) DuckDB has already aborted the transaction and
            # ROLLBACK itself raises: keep the real error, not that one.
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        try:
            for fn in self._after:
                fn()
        except Exception:  # committed all the same: what was kept may be wrong, so keep nothing
            self.memo.clear()

    def _reset_all(self, batches: Sequence[tuple[Processor, Sequence[Outcome]]]) -> None:
        for processor, outcomes in batches:
            self._reset(processor, outcomes)

    def _reset(self, processor: Processor, outcomes: Sequence[Outcome]) -> None:
        gone = [o.cursor.file for o in outcomes if o.deleted]
        rewound = [o.cursor.file for o in outcomes if not o.deleted]
        self._delete(processor, gone, drop_cursor=True)
        self._delete(processor, rewound, drop_cursor=False)

    def _delete(self, processor: Processor, files: list[str], *, drop_cursor: bool) -> None:
        if not files:
            return
        con = self._con
        with _blamed(processor):
            for table in processor.tables:
                con.execute(
                    f"DELETE FROM {_quote(table)} WHERE session_file IN (SELECT unnest(?::VARCHAR[]))",
                    [files],
                )
            if isinstance(processor, Merging):
                with _Tx(con, self.schema, self.memo, self._after) as tx:
                    processor.after_delete(tx, files)
        where = "processor_name = ? AND session_file IN (SELECT unnest(?::VARCHAR[]))"
        if drop_cursor:
            con.execute(f"DELETE FROM {STATE_TABLE} WHERE {where}", [processor.name, files])
        else:
            con.execute(
                f"UPDATE {STATE_TABLE} SET offset_bytes = 0, file_hash = '{EMPTY_HASH}', lines = 0, "
                "items_extracted = 0, "
                f"bad_lines = 0, size = 0, mtime_ns = 0, ino = 0, ctime_ns = 0 WHERE {where}",
                [processor.name, files],
            )

    def prepare_many(
        self, processor: Processor, rows: Sequence[Mapping[str, Rows]]
    ) -> list[Mapping[str, Any] | Exception]:
        """`prepare` for several files' rows at once (`prepare_many`)."""
        return prepare_many(processor, rows, self.schema)

    def prepare(self, processor: Processor, rows: Mapping[str, Rows]) -> Mapping[str, Any]:
        """Convert one file's rows to Arrow tables now, outside the transaction, so a row that
        does not fit its table fails that file (a processor bug, retried and parked) instead of
        a whole batch's commit. A `Merging` processor's merge reads rows: it gets `Prepared`
        rows, which carry their Arrow table for the commit to write if the merge keeps them."""
        return prepare_rows(processor, rows, self.schema)

    def _write(
        self, batches: Sequence[tuple[Processor, Sequence[Outcome]]]
    ) -> dict[str, dict[str, int]]:
        changed = {}
        for processor, outcomes in batches:
            if delta := self._write_rows(processor, outcomes):
                changed[processor.name] = delta
        rows = []
        for processor, outcomes in batches:
            delta = changed.get(processor.name, {})
            for o in outcomes:
                row = _cursor_row(o.cursor)
                row["items_extracted"] = o.cursor.items + delta.get(o.cursor.file, 0)
                rows.append(row)
        con = self._con
        if len(rows) <= _KEYED:  # a row not there yet (a new file's) is upserted below
            rows = [row for row in rows if not self._updated(row)]
        else:
            there = self._updated_joined(rows)
            rows = [row for row in rows if (row["processor_name"], row["session_file"]) not in there]
        if not rows:
            return changed
        if len(rows) <= _FEW:
            con.execute(_UPSERT_FEW.format(rows=", ".join([_UPSERT_ROW] * len(rows))),
                        [v for row in rows for v in (*(row[c] for c in _CURSOR_COLUMNS), _key(row))])
            return changed
        with _registered(con, "_sessiond_cursors", pa.Table.from_pylist(rows, schema=_CURSOR_SCHEMA)):
            con.execute(_UPSERT)
        return changed

    def _updated_joined(self, rows: Sequence[Mapping[str, object]]) -> set[tuple[Any, ...]]:
        """Write the existing ones of several cursor rows by one UPDATE joined with them as an
        Arrow table (naming their keys for the index, if `_by_keys`); the keys it found."""
        with _registered(self._con, "_sessiond_cursors",
                         pa.Table.from_pylist(list(rows), schema=_CURSOR_SCHEMA)):
            if not self._by_keys(len(rows)):
                return set(self._con.execute(_UPDATE_FROM).fetchall())
            sql = _UPDATE_BY_KEYS.format(keys=", ".join("?" * len(rows)))
            return set(self._con.execute(sql, [_key(row) for row in rows]).fetchall())

    def _by_keys(self, n: int) -> bool:
        """Whether an UPDATE of ``n`` cursors names their keys (reads the index) rather than
        scanning the table: a few always; more while the table holds `_BY_KEYS_SHARE` times as
        many (counted at most every `_COUNT_EVERY` seconds: 0.6-2 ms at 279k cursors)."""
        if n <= _BY_KEYS:
            return True
        if n > _BY_KEYS_MAX:
            return False
        at, count = self._counted
        now = time.monotonic()
        if now - at >= _COUNT_EVERY:
            count = self._con.execute(f"SELECT count(*) FROM {STATE_TABLE}").fetchall()[0][0]
            self._counted = (now, count)
        return n * _BY_KEYS_SHARE <= count

    def _updated(self, row: Mapping[str, object]) -> bool:
        """Write an existing cursor row by its key; False if there was none."""
        params = [row[c] for c in _CURSOR_COLUMNS[2:]] + [_key(row)]
        return bool(self._con.execute(_UPDATE, params).fetchall()[0][0])

    def _write_rows(self, processor: Processor, outcomes: Sequence[Outcome]) -> dict[str, int]:
        """Insert the batch's rows (after the processor's merge); returns, per file, the items
        the merge added or dropped (`commit_many`)."""
        parts: dict[str, list[Any]] = {}
        for o in outcomes:
            for table, value in o.rows.items():
                parts.setdefault(table, []).append(value)
        given: Mapping[str, Rows] = {t: _Joined(ps) for t, ps in parts.items()}
        rows = given
        changed: dict[str, int] = {}
        with _blamed(processor):
            if parts and isinstance(processor, Merging):  # (a failure's cursor has no rows)
                with _Tx(self._con, self.schema, self.memo, self._after) as tx:
                    rows = processor.merge(tx, given)  # what it keeps stays as converted
                changed = _merged_items(processor, outcomes, given, rows)
            for table, table_rows in rows.items():
                if len(table_rows):
                    self._insert(table, _as_arrow(table_rows, table, self.schema))
        return changed

    def _insert(self, table: str, batch: pa.Table) -> None:
        con = self._con
        if batch.num_rows <= _FEW:  # a live append's few rows: as parameters (see `_FEW`)
            columns = batch.column_names
            row = "(" + ", ".join("?" * len(columns)) + ")"
            con.execute(
                f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, columns))}) "
                f"VALUES {', '.join([row] * batch.num_rows)}",
                [v for r in batch.to_pylist() for v in r.values()],
            )
            return
        with _registered(con, "_sessiond_rows", batch):
            con.execute(f"INSERT INTO {_quote(table)} BY NAME SELECT * FROM _sessiond_rows")

    def schema(self, table: str) -> pa.Schema:
        schema = self._schemas.get(table)
        if schema is None:
            schema = self._con.sql(f"SELECT * FROM {_quote(table)} LIMIT 0").to_arrow_table().schema
            self._schemas[table] = schema
        return schema
