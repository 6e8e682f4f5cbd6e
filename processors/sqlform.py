"""The SQL form of the processor contract: a processor's output tables as DuckDB queries over the
new complete lines of a file, run in C++ instead of a Python object per line.

A `contract.Selecting` processor declares ``sql``: per output table, one query that reads the
relation ``lines`` and returns that table's columns (by name; types are cast to the table's).
``lines`` has one row per good line -- a JSON object -- of one file:

========================  ========================================================================
``session_file``          the file's key (``alice/5f0c.jsonl``)
``username``              its user
``session_id``            the session its path names (the folder above ``subagents/`` for one)
``agent_id``              ``agent-<id>.jsonl``'s id for a subagent file, else NULL
``is_subagent``           whether the file is under ``<session>/subagents/``
``line_no``               1-based line number in the file
``byte_offset``           offset of the line's first byte
``line``                  the line's text: one JSON object (whitespace, e.g. ``\\r\\n``, may follow)
========================  ========================================================================

The framework frames the bytes (`framing.BlockFramer`: one buffer, no object per line), turns
them into one Arrow string column (zero-copy), and finds what is not a good line in one pass:
blank lines, lines that start with one of the processor's ``skip_prefixes`` (not checked),
malformed JSON or JSON that is not an object -- those become `reader.BadLine`s with the same
kinds and details as the Python form reports (`reader.decode` is asked about the few bad lines
only, so the details are orjson's words either way). Parse a line once per query: DuckDB's
``json_transform(line, <structure>)`` extracts every field in one parse, where one ``->>`` per
field parses the line once per field.

The queries run on an in-memory DuckDB connection of the calling thread (the worker's or a pool
process's), not in the commit transaction: they need nothing stored, and the single writer
thread stays free for everyone's commits. A `contract.Merging` processor still merges the rows
in the transaction, as in the Python form.
"""

from __future__ import annotations

import itertools
import re
import threading
import warnings
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sessiond.processors.contract import Record, SessionFile
from sessiond.processors.framing import Block, BlockFramer, Line
from sessiond.processors.reader import BOM, BadKind, BadLine, Decoded, decode

_local = threading.local()

# A small batch's queries run by `execute` (planned once; `con.sql(...).to_arrow_table()` plans
# twice: a live append's `lines` query 7.3 -> 5.2 ms), whose Arrow result is a copy of the rows:
# free for a small result, but +40-55 % for a query returning 200,000-700,000 lines' text (136 ->
# 192 ms, 428 -> 666 ms) -- so a batch of more than _EXECUTE_BYTES of lines runs by `sql`.
_EXECUTE_BYTES = 2 << 20
# known, so not said; set once here, not around each call (`warnings.catch_warnings` is not
# thread-safe before Python 3.14: the workers' threads would restore each other's filters)
warnings.filterwarnings("ignore", "Arrow output on a DB-API result makes an extra copy", UserWarning)
_PREPARED = 64  # statements kept prepared per connection
_names = itertools.count()

# What a line is, per row of the classification query (see `classify`).
GOOD, MALFORMED, NOT_OBJECT, BLANK, SKIPPED, SUSPECT = range(6)
# DuckDB's parser also takes NaN, Infinity and trailing commas, which JSON (and orjson) do not:
# a line it takes that holds one of these is asked of orjson (`_count`) -- a few lines at most.
_LENIENT = ("NaN", "Infinity", ",}", ",]")
# It also takes a number beyond a double (``1e400``: orjson's "number is infinity") and nesting
# deeper than orjson's 1,024 levels. Asked of orjson too: a number after a JSON value's opening
# (``:``, ``,``, ``[``) with a three-digit exponent or 200 digits, a line of more than 1,000 open
# brackets (strings that merely look so are asked for nothing: orjson takes them).
_OVERFLOW = r"[:,\[]\s*-?[0-9.]*[eE][+-]?[0-9]{3}|[:,\[]\s*-?[0-9]{200}"
_DEEP = 1000
# The tokens and the overflow as one regular expression, a line searched once: the same lines as
# four `contains` and the overflow's, one expression to plan instead of five (one line: 4.5 ->
# 4.0 ms; 20,000 lines: 107 -> 95 ms).
_LENIENT_OR_OVERFLOW = "|".join([*(re.escape(s) for s in _LENIENT), _OVERFLOW])

_CHUNK_BYTES = 2 << 20  # DuckDB scans an Arrow table's chunks in parallel, not one chunk
# A batch of at most this many lines and bytes is judged line by line by `reader.decode` (the
# rules `classify` stands in for): a few us a line, where the query costs ~2 ms however few
# the lines -- a live append's usual batch (see `_judged_here`).
_HERE_LINES = 256
_HERE_BYTES = 128 << 10


def connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory connection (made on first use): UTC, no file or network access,
    no progress bar."""
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(":memory:", config={"enable_external_access": False})
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        _local.con = con
        _local.scans = {}
        _local.prepared = {}
    return con


class _Scan:
    """A name DuckDB reads a batch's table by, registered once per connection (and schema): a
    `register`/`unregister` pair per query cost ~1-1.3 ms of a live append's ~15. DuckDB asks
    it for the rows at each scan (the Arrow C stream interface: the table's chunks as they are,
    read as one stream, on one thread -- a large batch's table is registered instead, and scanned
    in parallel); it holds the table for one query only."""

    __slots__ = ("empty", "table")

    def __init__(self, schema: pa.Schema) -> None:
        self.empty = self.table = schema.empty_table()

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.table.__arrow_c_stream__(requested_schema)


def _read(name: str, table: pa.Table, sql: str, params: list[str] | None = None, *,
          small: bool) -> pa.Table:
    """``sql``'s result, ``table`` read as ``name``. A small batch's (_EXECUTE_BYTES) by
    `execute` of the statement prepared once per connection (planned once: one line's `lines`
    query ~1 ms less), ``table`` handed over by the name's `_Scan`; a large batch's as ever,
    ``table`` registered for the query, which `sql` runs (no copy, and the planner sees the
    table's size, where a `_Scan`'s is unknown to it)."""
    con = connection()
    scan = _scan(con, name, table.schema)
    if not small:
        con.register(name, table)
        try:
            return con.sql(sql, params=params).to_arrow_table()
        finally:
            con.register(name, scan)
    prepared: dict[str, str] = _local.prepared
    statement = prepared.get(sql)
    if statement is None:
        if len(prepared) >= _PREPARED:
            _deallocate(con)
        statement = f"_sessiond_{next(_names)}"
        con.execute(f"PREPARE {statement} AS {sql}")
        prepared[sql] = statement
    if params:  # EXECUTE takes values, not parameters
        statement += "(" + ", ".join("'" + p.replace("'", "''") + "'" for p in params) + ")"
    scan.table = table
    try:
        return con.execute(f"EXECUTE {statement}").to_arrow_table()
    finally:
        scan.table = scan.empty


def _scan(con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema) -> _Scan:
    """The name's `_Scan` for tables of ``schema``, registered (again, and the statements
    prepared over the one it replaces deallocated, if the schema is new)."""
    scans: dict[str, _Scan] = _local.scans
    scan = scans.get(name)
    if scan is None or not scan.empty.schema.equals(schema):
        _deallocate(con)
        scan = scans[name] = _Scan(schema)
        con.register(name, scan)
    return scan


def _deallocate(con: duckdb.DuckDBPyConnection) -> None:
    prepared: dict[str, str] = _local.prepared
    for statement in prepared.values():
        con.execute(f"DEALLOCATE {statement}")
    prepared.clear()


# ``lines``: the batch's good lines with their file's columns. Those columns are on every row
# already (`_relation`: dictionary-encoded by the line's file, no copy per row) -- where a JOIN
# with a table of the files cost a live append's query 2x (one line: ~7 vs ~3.5 ms, by hand).
_LINES = """
WITH lines AS (
    SELECT session_file, username, session_id, agent_id, is_subagent, line_no, byte_offset, line
    FROM _sessiond_lines
    WHERE kind = 0
)
"""


@dataclass(slots=True)
class Framed:
    """A batch's new lines as one Arrow table, classified: ``table`` (file_index, line_no,
    byte_offset, line, kind) for ``files``, and per file what the Python form's
    `reader.Decoded` would count."""

    table: pa.Table
    files: list[SessionFile]
    decoded: list[Decoded] = field(default_factory=list)
    relation: pa.Table | None = None  # ``table`` with the file columns (`_relation`), once asked
    small: bool = True  # at most _EXECUTE_BYTES of lines: its statements run prepared (`_read`)

    def good(self) -> int:
        """Good lines in the batch."""
        return sum(d.lines - len(d.bad) - d.blank - d.skipped for d in self.decoded)


Part = tuple[SessionFile, Block, int]
"""One file's part of a batch: the file, its new lines, the number of the first (1-based)."""


def frame(parts: Sequence[Part], *, skip: tuple[bytes, ...] = (), here: bool = True) -> Framed:
    """The parts' lines as one Arrow table, classified in one pass (`classify`) -- or, for a
    small batch and ``here``, by `reader.decode` (`_judged_here`). One batch, one of each query:
    DuckDB's fixed cost per query (planning, 5-25 ms for a processor's) is paid per batch, not
    per file."""
    tables: list[pa.Table] = []
    decoded: list[Decoded] = []
    for index, (file, block, first_line) in enumerate(parts):
        found = Decoded(lines=block.count + len(block.oversize))
        for number, over in block.oversize:
            found.bad.append(BadLine(first_line + number, over.offset, "line_too_long",
                                     f"{over.length} bytes"))
        tables.append(_arrays(index, file, block, first_line, found, skip))
        decoded.append(found)
    # DuckDB scans an Arrow table's chunks in parallel: a few MB each, cut from each file's
    # columns as they are (slices: no copy of the lines)
    n = sum(t.num_rows for t in tables)
    total = sum(len(block.data) for _, block, _ in parts)
    rows = max(64, n * _CHUNK_BYTES // max(1, total))
    batches = [b for t in tables for b in t.to_batches(max_chunksize=rows)]
    table = pa.Table.from_batches(batches, _EMPTY.schema) if batches else _EMPTY
    files = [file for file, _, _ in parts]
    small = total <= _EXECUTE_BYTES
    by_decode = here and judged_here([block for _, block, _ in parts])
    if by_decode:
        kinds = _judged_here(parts, tables, decoded, skip)
    else:
        kinds = classify(table, skip, small=small) if n else pa.array([], pa.uint8())
    framed = Framed(table.append_column("kind", kinds), files, decoded, small=small)
    if not by_decode:  # the query's kinds: counted, bad lines worded and settled by orjson
        settled = _count(framed, kinds)
        if settled is not kinds:
            framed.table = table.append_column("kind", settled)
    for found in decoded:
        found.bad.sort(key=lambda b: b.line)
    return framed


_EMPTY = pa.table({"file_index": pa.array([], pa.int32()), "line_no": pa.array([], pa.int64()),
                   "byte_offset": pa.array([], pa.int64()),
                   "line": pa.array([], pa.large_string())})


def _arrays(index: int, file: SessionFile, block: Block, first_line: int, found: Decoded,
            skip: tuple[bytes, ...]) -> pa.Table:
    """One file's lines as columns, zero-copy over its block (but for a BOM or bad UTF-8)."""
    n = block.count
    starts = block.starts
    if n and block.offsets[0] == 0 and block.data.startswith(BOM):
        starts = array("q", starts)
        starts[0] += len(BOM)
    line = pa.LargeStringArray.from_buffers(n, pa.py_buffer(starts), pa.py_buffer(block.data))
    numbers = pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(block.numbers)])
    offsets = pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(block.offsets)])
    line_no = pc.add(numbers, first_line)
    try:
        line.validate(full=True)
        text = line
    except pa.ArrowInvalid:  # bytes that are not UTF-8 (rare): those lines are malformed
        text = _valid_utf8(line, line_no, offsets, found, file, skip)
    indexes = pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(array("i", [index]) * n)])
    return pa.table({"file_index": indexes, "line_no": line_no, "byte_offset": offsets,
                     "line": text})


def _valid_utf8(line: pa.Array, line_no: pa.Array, offsets: pa.Array, decoded: Decoded,
                file: SessionFile, skip: tuple[bytes, ...]) -> pa.Array:
    """The lines with bytes that are not UTF-8 counted as the Python form counts them (orjson
    rejects them; unless skipped or blank) and replaced by NULL, which is then neither counted
    again nor read."""
    raw = line.view(pa.large_binary()).to_pylist()
    out: list[str | None] = []
    for i, data in enumerate(raw):
        try:
            out.append(data.decode())
        except UnicodeDecodeError:
            bad = _judged(file, offsets[i].as_py(), line_no[i].as_py(), data, skip)
            decoded.bad.extend(bad.bad)
            decoded.skipped += bad.skipped
            out.append(None)  # classified as neither good nor counted again (see `classify`)
    return pa.array(out, pa.large_string())


def _judged(file: SessionFile, offset: int, number: int, data: bytes,
            skip: tuple[bytes, ...] = ()) -> Decoded:
    """One line (its newline may follow) as the Python form judges it: `reader.decode`."""
    found = Decoded()
    decode([Line(offset, data.rstrip(b"\n"))], file=file.key, user=file.user, first_line=number,
           into=found, skip=skip)
    return found


def judged_here(blocks: Sequence[Block]) -> bool:
    """Whether `frame` (``here``) judges these blocks' lines by `reader.decode` rather than by
    the classification query: a small batch, a live append's (`_HERE_LINES`, `_HERE_BYTES`)."""
    lines = sum(block.count for block in blocks)
    return 0 < lines <= _HERE_LINES and sum(len(block.data) for block in blocks) <= _HERE_BYTES


def _judged_here(parts: Sequence[Part], tables: Sequence[pa.Table], decoded: Sequence[Decoded],
                 skip: tuple[bytes, ...]) -> pa.Array:
    """A small batch's kinds, each line judged by `reader.decode` -- the Python form's rules, so
    its verdicts and words by definition -- and counted into its file's `Decoded`. A line
    already reported as not UTF-8 (NULL in ``line``) stays NULL. orjson may take a line that
    DuckDB's parser, which the queries use, would not (none is known): a query that then fails
    is run again on each file of the batch, classified by DuckDB (`daemon.examine.finish`)."""
    kinds: list[int | None] = []
    for (file, block, first_line), table, found in zip(parts, tables, decoded, strict=True):
        text = table.column("line")
        valid = text.is_valid().to_pylist() if text.null_count else None
        data, starts, offsets, numbers = block.data, block.starts, block.offsets, block.numbers
        for i in range(block.count):
            if valid is not None and not valid[i]:
                kinds.append(None)
                continue
            one = Decoded()  # (each kept line ends with its newline, which decode is not given)
            decode([Line(offsets[i], data[starts[i]:starts[i + 1] - 1])], file=file.key,
                   user=file.user, first_line=first_line + numbers[i], into=one, skip=skip)
            found.bad += one.bad
            found.blank += one.blank
            found.skipped += one.skipped
            kinds.append(GOOD if one.records else BLANK if one.blank
                         else SKIPPED if one.skipped else MALFORMED)
    return pa.array(kinds, pa.uint8())


def classify(table: pa.Table, skip: tuple[bytes, ...], *, small: bool) -> pa.Array:
    """One pass: what each line is (GOOD, MALFORMED, NOT_OBJECT, BLANK, SKIPPED; NULL for a line
    already reported as not UTF-8). JSON is checked by DuckDB's parser; a valid line is an
    object if its first character other than whitespace is ``{``. Run as the batch's queries are
    (`_read`, ``small``): a `_Scan` is read as one stream, on one thread, where a registered table
    is scanned in parallel -- 200,000 lines of the dense corpus classified in 918 ms by a `_Scan`,
    489 ms registered (thirtieth session; ``frame`` in `python -m bench.sqlform_fixed`)."""
    skipped = " OR ".join(["starts_with(line, ?)"] * len(skip)) or "false"
    lenient = (f"regexp_matches(line, '{_LENIENT_OR_OVERFLOW}') OR (strlen(line) > {2 * _DEEP} AND "
               f"strlen(line) - strlen(replace(replace(line, '[', ''), '{{', '')) > {_DEEP})")
    # the blank line's characters written out, not `' ...' || chr(11)`: one less to plan
    sql = f"""
        SELECT CASE
            WHEN line IS NULL THEN NULL
            WHEN {skipped} THEN {SKIPPED}
            WHEN json_valid(line) THEN
                CASE WHEN {lenient} THEN {SUSPECT}
                     WHEN starts_with(line, '{{') OR starts_with(ltrim(line), '{{')
                     THEN {GOOD} ELSE {NOT_OBJECT} END
            WHEN trim(line, ' \t\r\n\f\v') = '' THEN {BLANK}
            ELSE {MALFORMED}
        END::UTINYINT AS kind
        FROM _sessiond_frame
    """
    result = _read("_sessiond_frame", table, sql, [p.decode("utf-8", "replace") for p in skip],
                   small=small)
    return result.column(0).combine_chunks()


def _count(framed: Framed, kinds: pa.Array) -> pa.Array:
    """Count each file's blank and skipped lines; report the bad ones with orjson's words
    (`reader.decode` on those lines only, so both forms say the same) and settle the SUSPECT
    ones the same way. Returns the kinds, settled."""
    if pc.max(kinds).as_py() in (None, GOOD):  # every line good (a live append's usual batch)
        return kinds
    index = framed.table.column("file_index")
    counts = pa.table({"f": index, "k": kinds}).group_by(["f", "k"]).aggregate([("k", "count")])
    to_judge = False
    for f, k, count in zip(*(counts.column(c).to_pylist() for c in ("f", "k", "k_count")),
                           strict=True):
        if k == BLANK:
            framed.decoded[f].blank += count
        elif k == SKIPPED:
            framed.decoded[f].skipped += count
        elif k in (MALFORMED, NOT_OBJECT, SUSPECT):
            to_judge = True
    if not to_judge:
        return kinds
    mask = pc.is_in(kinds, pa.array([MALFORMED, NOT_OBJECT, SUSPECT], pa.uint8()))
    settled = kinds.to_pylist()
    positions = pc.indices_nonzero(mask).to_pylist()
    for position, row in zip(positions, framed.table.filter(mask).to_pylist(), strict=True):
        found = _judged(framed.files[row["file_index"]], row["byte_offset"], row["line_no"],
                        row["line"].encode())
        decoded = framed.decoded[row["file_index"]]
        if found.bad:
            decoded.bad.extend(found.bad)
            settled[position] = MALFORMED
        elif row["kind"] == SUSPECT:
            settled[position] = GOOD
        else:  # orjson takes it, DuckDB's parser does not: DuckDB decides (it reads the line)
            kind: BadKind = "not_object" if row["kind"] == NOT_OBJECT else "malformed_json"
            decoded.bad.append(BadLine(row["line_no"], row["byte_offset"], kind,
                                       "rejected by DuckDB's JSON parser"))
    return pa.array(settled, pa.uint8())


def _relation(framed: Framed) -> pa.Table:
    """The batch's lines with the file columns of ``lines`` (`contract.SessionFile`'s) on each
    row: dictionary arrays over one entry per file, indexed by the line's ``file_index`` -- a
    file's NULL (a main file's ``agent_id``) a NULL index, so the columns' types, and the table's
    schema its `_Scan` is registered with, are the same whatever the batch's files."""
    files = framed.files
    index = framed.table.column("file_index").combine_chunks()
    table = framed.table
    for name, keys in (
        ("session_file", [f.key for f in files]),
        ("username", [f.user for f in files]),
        ("session_id", [f.session_id for f in files]),
        ("agent_id", [f.agent_id for f in files]),
    ):
        indices = index
        if None in keys:  # no NULL among a dictionary's values: among its indices
            missing = pa.array([k is None for k in keys], pa.bool_()).take(index)
            indices = pc.if_else(missing, pa.scalar(None, pa.int32()), index)
        values = pa.array(["" if k is None else k for k in keys], pa.string())
        table = table.append_column(name, pa.DictionaryArray.from_arrays(indices, values))
    subagent = pa.array([f.is_subagent for f in files], pa.bool_())
    return table.append_column("is_subagent", subagent.take(index))


def _query(framed: Framed, sql: str) -> pa.Table:
    if framed.relation is None:
        framed.relation = _relation(framed)
    return _read("_sessiond_lines", framed.relation, _LINES + sql, small=framed.small)


def _by_file(result: pa.Table, files: Sequence[SessionFile]) -> dict[str, pa.Table]:
    """A query's result split by ``session_file``: sorted once, then sliced per run of a key
    (a filter per file cost ~0.35 s for 256 files)."""
    if len(files) == 1:
        return {files[0].key: result}
    result = result.sort_by("session_file")
    runs = pc.run_end_encode(result.column("session_file").combine_chunks())
    out: dict[str, pa.Table] = {}
    start = 0
    for key, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
        out[key] = result.slice(start, end - start)
        start = end
    return out


def run(sql: Mapping[str, str], framed: Framed) -> dict[str, dict[str, pa.Table]]:
    """Each table's query over the batch's good lines, once: per file, its tables' rows (a
    table with no rows for the file left out)."""
    out: dict[str, dict[str, pa.Table]] = {f.key: {} for f in framed.files}
    if framed.good() <= 0:
        return out
    for table, query in sql.items():
        result = _query(framed, query)
        if not result.num_rows:
            continue
        for key, rows in _by_file(result, framed.files).items():
            if rows.num_rows and key in out:
                out[key][table] = rows
    return out


def narrow(select_sql: str, framed: Framed) -> dict[str, list[Record]]:
    """The `contract.Narrowing` form: per file, one record per row of the query, in line
    order, its ``data`` the row less the file's columns, ``line_no`` and ``byte_offset`` (the
    record's line and offset)."""
    out: dict[str, list[Record]] = {f.key: [] for f in framed.files}
    if framed.good() <= 0:
        return out
    result = _query(framed, select_sql).sort_by([("session_file", "ascending"),
                                                  ("line_no", "ascending")])
    files = {f.key: f for f in framed.files}
    keys = result.column("session_file").to_pylist()
    lines = result.column("line_no").to_pylist()
    offsets = result.column("byte_offset").to_pylist()
    rows = result.drop_columns(
        [c for c in ("session_file", "username", "line_no", "byte_offset")
         if c in result.column_names]).to_pylist()
    for key, line, offset, row in zip(keys, lines, offsets, rows, strict=True):
        file = files[key]
        out[key].append(Record(file.key, file.user, offset, line, row))
    return out


def select(sql: Mapping[str, str], file: SessionFile, data: bytes, *,
           skip: tuple[bytes, ...] = (), max_line_bytes: int = 1 << 24) -> dict[str, pa.Table]:
    """The queries over the complete lines of ``data`` (a whole file's bytes) as the daemon runs
    them: for tests, benchmarks and tools."""
    framer = BlockFramer(0, max_line_bytes=max_line_bytes)
    framer.feed(data)
    return run(sql, frame([(file, framer.block(), 1)], skip=skip))[file.key]
