"""The processor contract: what a plugin declares and the values it receives and returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class SessionFile:
    """A session file as processors see it: its key (path relative to the root) and its user."""

    key: str
    user: str

    @property
    def is_subagent(self) -> bool:
        return "/subagents/" in self.key

    @property
    def session_id(self) -> str | None:
        """The session the path names: the file's stem, or for a subagent's file
        (``<user>/<session>/subagents/agent-<id>.jsonl``) the folder above ``subagents/``."""
        parts = self.key.split("/")
        if self.is_subagent:
            return parts[-3] if len(parts) >= 3 else None
        return parts[-1].removesuffix(".jsonl")

    @property
    def agent_id(self) -> str | None:
        """A subagent file's ``<id>`` (from ``agent-<id>.jsonl``), else None."""
        if not self.is_subagent:
            return None
        return self.key.rsplit("/", 1)[-1].removesuffix(".jsonl").removeprefix("agent-")


class Record(NamedTuple):
    """One complete, parsed JSONL line: the object plus where it came from. (A named tuple:
    one is made per line, and a frozen dataclass costs three times as much to make.)"""

    file: str  # session_file key, e.g. "alice/5f0c.jsonl"
    user: str
    offset: int  # byte offset of the line's first byte
    line: int  # 1-based line number in the file
    data: Mapping[str, Any]


Rows = Sequence[Mapping[str, Any]]
"""Output rows for one table. Every row must carry the `session_file` column."""


@runtime_checkable
class Processor(Protocol):
    """A pure mapper from lines to rows; the framework owns reading, cursors and commits. It
    maps in one of three forms: `Mapper` (``process``: Python, per record), `Selecting`
    (``sql``: DuckDB queries over the lines) or `Narrowing` (``select`` in SQL, then
    ``process`` in Python on what it kept).

    * ``name``: stable identifier (cursor key, metric label, CLI argument).
    * ``version``: bump it and every file is redone for this processor, by itself.
    * ``interval``: seconds between passes over its queue (0 = as soon as a file settles).
    * ``migrations``: ordered DDL steps for its own tables (never edit a released step; append).
    * ``tables``: the output tables; each has a ``session_file`` column, so the framework can
      delete one file's outputs on rewrite, reprocess or version bump.
    * ``skip_prefixes`` (optional attribute, bytes): lines that start with one of these are
      counted but never parsed or handed to `process` -- for record types the processor ignores
      anyway, e.g. ``b'{"type":"file-history-snapshot"'`` (a fifth of a transcript's bytes,
      and the biggest lines). A line written another way is parsed as usual, so this only ever
      saves work; it also means a malformed line with that prefix is not reported as bad.
    * ``item_tables`` (optional attribute): the tables whose rows are the processor's *items*,
      what ``items_extracted`` counts (default: all of ``tables``) -- e.g. not a table of
      bookkeeping rows that later appends replace. The count is of the rows stored: for a
      `Merging` processor, the rows its ``merge`` kept.
    * ``shared_tables`` (optional attribute): the tables a `Merging` processor keeps across
      files beside ``tables`` (its ``merge`` and ``after_delete`` write them), e.g. usage's
      deduplicated calls. The framework reads nothing else from it: around a delete of many of
      a table's rows (``sessiond reprocess``), it drops the indexes of ``tables`` and
      ``shared_tables`` and creates them again after (`state.store.Store.reset_files`).
    * ``report`` (optional attribute, str): where the processor's report is, ``package.module``
      or ``package.module:attr`` -- a `Report`; ``sessiond report <name>`` runs it. A string, so
      that loading the processor imports nothing a report needs (duckdb, pyarrow).
    """

    name: str
    version: int
    interval: float
    migrations: Sequence[str]
    tables: Sequence[str]

    def wants(self, file: SessionFile) -> bool:
        """Whether this processor reads that file at all."""
        ...



@runtime_checkable
class Mapper(Protocol):
    """The Python form: the processor maps records (one Python object per line) to rows."""

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        """Map the new complete records of one file to output rows, keyed by table name.
        It may raise `PartlyMapped` to skip the records it could not map and keep the rest."""
        ...


@runtime_checkable
class Selecting(Protocol):
    """The SQL form (`processors.sqlform`): ``sql`` maps each output table to one DuckDB query
    over the relation ``lines`` -- the file's new good lines, as text, with the file's columns --
    that returns the table's columns by name. The lines are never made into Python objects, and
    DuckDB parses each line once per query (``json_transform``), in C++, on its own threads.
    ``skip_prefixes`` applies as in the Python form. A processor declares one form or the other:
    with ``sql``, ``process`` is never called."""

    sql: Mapping[str, str]


@runtime_checkable
class Narrowing(Protocol):
    """The Python form over lines narrowed in SQL first: ``select`` is one DuckDB query over
    ``lines`` (as for `Selecting`) that keeps the lines the processor reads and the values it
    reads from them, in C++, with their ``session_file``, ``line_no`` and ``byte_offset``;
    ``process`` then gets, per file, one `Record` per row it returned, in line order, whose
    ``data`` is the row (its other columns) -- not the line's whole JSON. For a processor
    whose rules must be Python but that reads a small part of a transcript (a few fields of
    some records)."""

    select: str

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]: ...


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record a processor could not map: its code met input it cannot handle (an exception
    on that record alone; ``line.unreadable``) or input the format does not allow, which it
    skips on purpose (``kind="invalid"``, ``line.invalid``: a token count that is a string)."""

    line: int
    offset: int
    error: str  # "ExcType: message", and where it was raised; or what is invalid
    kind: Literal["unreadable", "invalid"] = "unreadable"


class PartlyMapped(Exception):
    """Raised by ``process`` when some records could not be mapped: the rows of the others,
    and the records skipped. The framework keeps those rows, and reports each skipped record
    as a bad line of this processor (``line.unreadable`` or ``line.invalid``, counted in
    ``bad_lines``): one turn its rules cannot read costs that turn, not the file (any other
    exception fails the file's append, for a retry with backoff)."""

    def __init__(self, rows: Mapping[str, Rows], unreadable: Sequence[Unreadable]) -> None:
        super().__init__(rows, unreadable)
        self.rows, self.unreadable = rows, tuple(unreadable)

    def __str__(self) -> str:
        return f"{len(self.unreadable)} record(s) could not be mapped"


def describe(exc: BaseException) -> str:
    """``"ExcType: message (at file.py:123 in function)"``: an error as `Unreadable` reports it,
    with the innermost frame it was raised in."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = "" if tb is None else (
        f" (at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        f" in {tb.tb_frame.f_code.co_name})")
    return f"{type(exc).__name__}: {exc}"[:500] + where


def is_processor(obj: object) -> bool:
    """A `Processor` in one of its forms."""
    return isinstance(obj, Processor) and isinstance(obj, Mapper | Selecting | Narrowing)


def owned_tables(processor: Processor) -> tuple[str, ...]:
    """``tables`` and the optional ``shared_tables`` (see `Processor`)."""
    return (*processor.tables, *getattr(processor, "shared_tables", ()))


def item_tables(processor: Processor) -> frozenset[str]:
    """The tables whose rows ``items_extracted`` counts (see `Processor`)."""
    return frozenset(getattr(processor, "item_tables", None) or processor.tables)


def count_items(processor: Processor, rows: Mapping[str, Any]) -> int:
    """How many items ``rows`` (table -> rows) hold: the rows of `item_tables`."""
    counted = item_tables(processor)
    return sum(len(r) for t, r in rows.items() if t in counted)


@runtime_checkable
class Report(Protocol):
    """A processor's report (a module, or any object with these): ``sessiond report <name>``.

    Its docstring is the command's help line. ``run`` gets a read-only connection to the state
    (the daemon's, or the file's when no daemon runs) and writes everything -- problems too, as
    one ``sessiond: ...`` line -- to ``out``: when the daemon runs it, ``out`` is the only stream
    that reaches the person who asked.
    """

    def add_arguments(self, parser: Any) -> None:
        """Its own options, on an `argparse.ArgumentParser`."""
        ...

    def run(self, con: Any, args: Any, out: Any) -> int:
        """Write the report to ``out``; the command's exit code (0, or 2 for bad usage)."""
        ...


class Tx(Protocol):
    """The narrow view of the open commit transaction given to `Merging` processors.

    The daemon's also has ``memo`` (a dict that lives as long as the database is open in the
    process) and ``on_commit(fn)`` (``fn`` runs once the transaction has committed, never after
    a rollback), for what a processor keeps of what it stored (verification's trails); they are
    not part of the contract, so a processor looks for them and works without them."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a parameterised read and return all rows."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a parameterised write on the processor's own tables."""
        ...

    def relation(self, table: str, rows: Rows) -> str:
        """These rows (with the columns of ``table``, as merge received them) as a name that
        SQL in this transaction can read, until merge returns: set-based work on a batch
        without turning its rows into Python objects (they arrive as Arrow tables)."""
        ...


@runtime_checkable
class Merging(Protocol):
    """Optional: a processor whose outputs depend on what is already stored (e.g. dedup).

    ``merge`` runs inside the commit transaction, before the rows are inserted, with the rows of
    every file in the batch; it returns the rows to insert (it may drop, rewrite or add rows,
    also for tables that are not per-file, such as shared knowledge items). ``after_delete`` runs
    inside the transaction that deleted some files' rows from ``tables`` (rewrite, deletion,
    reprocess), to clean up what those rows kept alive.

    Both get a `Tx`: reads and writes in that transaction; in ``merge``, ``tx.relation(table,
    rows)`` names received rows for SQL -- cheaper than iterating them, which makes a Python
    dict per row.

    ``merge`` receives the rows as they were converted to the tables' columns (in the worker's
    thread or in a pool process alike), so it sees exactly what would be inserted. Keys of a
    row that are not columns but that ``merge`` needs (e.g. how to finish a row with what is
    stored) must be declared in the optional attribute ``merge_fields`` (table -> key names):
    those travel with the rows and are never inserted; any other key is dropped.

    Outputs must be a function of the files' bytes: what ``merge`` and ``after_delete`` leave in
    the tables may not depend on how the bytes were cut into batches or on the order in which
    files arrive (``tests/test_determinism.py`` checks this for every installed processor).
    """

    def merge(self, tx: Tx, rows: Mapping[str, Rows]) -> Mapping[str, Rows]: ...

    def after_delete(self, tx: Tx, files: Sequence[str]) -> None: ...


class Reader(Protocol):
    """A read-only view of the committed state, given to `Enriching` processors."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a parameterised read and return all rows (each query in a read-only transaction
        of its own: it sees what was committed when it ran)."""
        ...


class Pending(NamedTuple):
    """One file's rows of a batch on their way to the commit (`Enriching.enrich`)."""

    file: SessionFile
    rows: Mapping[str, Rows]  # as `Merging.merge` would receive them: converted, `merge_fields` too
    reset: bool  # the file is read from its start: its stored outputs are deleted before these
    # rows are written, so nothing stored for it may be used


class RetryLater(Exception):
    """Raised (or returned for a file) by `Enriching.enrich` when the work cannot be done now
    for a reason that is no file's fault -- a rate budget spent, say: the files wait
    ``retry_in`` seconds (None: the framework's backoff) with no attempt counted, nothing
    committed and nothing parked."""

    def __init__(self, message: str, retry_in: float | None = None) -> None:
        super().__init__(message)
        self.retry_in = retry_in


@runtime_checkable
class Enriching(Protocol):
    """Optional: a processor whose rows need slow work, or the committed state, before they can
    be committed -- e.g. asking a remote model about what it found, with the answers it already
    has looked up in its tables.

    ``enrich`` runs in the processor's own worker thread, once per batch, after its files were
    read (in the thread or the pool) and before the batch is handed to the writer: never inside
    the commit transaction, so however long it takes, only this processor waits -- the single
    writer thread goes on committing everyone else's batches. It gets ``state``, a read-only view
    of what is committed (the worker has confirmed its own earlier batches, so a file's stored
    rows are the ones this batch continues -- unless ``reset``), and the batch's files that have
    rows. It returns, for each of them in order, the rows to commit instead (for any table the
    processor writes, converted like ``process``'s; a table returned as the very object it came
    as is not converted again) -- or an exception: that file failed like a failing ``process``
    (attempts, backoff, parking), or, a `RetryLater`, it waits without an attempt. Raising fails
    every file of the batch the same way (a batch of several is first tried file by file, so the
    file at fault is found). What it returns commits with the file's cursor, in one transaction
    -- rows of a table that is not per-file (a cache) too; a `Merging` processor's ``merge``
    sees them first.
    """

    def enrich(
        self, state: Reader, batch: Sequence[Pending]
    ) -> Sequence[Mapping[str, Rows] | Exception]: ...
