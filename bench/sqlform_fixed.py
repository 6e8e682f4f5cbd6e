"""The SQL form's fixed cost per batch (#13): ``python -m bench.sqlform_fixed [--reps N]``.

Times `sqlform.frame` and `sqlform.run` (medians of repeated runs) for a live append of one
~1 KB line, ~10 lines over 3 files, 20,000 and 200,000 lines of ~800 B (the dense corpus's) and
a few ~100 KB lines, with the `lines` processor's query and a usage-like one. This VM is noisy,
so the module as it was before the thirtieth session (`_Baseline`: its `classify`, `_query`
and `_relation`, copied here) runs in the same process, alternated with the current one rep by
rep; the ratios are current / baseline. Both must give the same kinds, bad lines and rows.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from bench import corpus
from sessiond.processors import sqlform
from sessiond.processors.contract import SessionFile
from sessiond.processors.framing import Block, BlockFramer
from sessiond.processors.lines import LinesProcessor

# A usage-like query: one parse per line for the usage fields of the assistant records.
USAGE = {"calls": """
    SELECT session_file, username, line_no, j.message.id AS message_id, j.requestId AS request_id,
           j.message.usage.input_tokens AS input_tokens,
           j.message.usage.output_tokens AS output_tokens
    FROM (SELECT *, json_transform(line, '{"type": "VARCHAR", "requestId": "VARCHAR",
            "message": {"id": "VARCHAR", "usage": {"input_tokens": "BIGINT",
                                                   "output_tokens": "BIGINT"}}}') AS j
          FROM lines)
    WHERE j.type = 'assistant'
"""}
QUERIES: dict[str, Mapping[str, str]] = {"lines": LinesProcessor.sql, "usage-like": USAGE}

FILES = [SessionFile("alice/5f0c.jsonl", "alice"), SessionFile("alice/77ab.jsonl", "alice"),
         SessionFile("alice/5f0c/subagents/agent-a7.jsonl", "alice")]


class _Baseline:
    """The module's functions as they were before the thirtieth session (`con.sql`, a
    `register`/`unregister` pair per query, four `contains` and the overflow regex apart)."""

    @staticmethod
    def classify(table: pa.Table, skip: tuple[bytes, ...], *, small: bool = True) -> pa.Array:
        GOOD, SKIPPED, NOT_OBJECT, BLANK, MALFORMED, SUSPECT = (
            sqlform.GOOD, sqlform.SKIPPED, sqlform.NOT_OBJECT, sqlform.BLANK, sqlform.MALFORMED,
            sqlform.SUSPECT)
        _DEEP, _LENIENT, _OVERFLOW = sqlform._DEEP, sqlform._LENIENT, sqlform._OVERFLOW
        con = sqlform.connection()
        skipped = " OR ".join(["starts_with(line, ?)"] * len(skip)) or "false"
        lenient = " OR ".join([*(f"contains(line, '{s}')" for s in _LENIENT),
                               f"regexp_matches(line, '{_OVERFLOW}')",
                               f"(strlen(line) > {2 * _DEEP} AND strlen(line) - strlen("
                               f"replace(replace(line, '[', ''), '{{', '')) > {_DEEP})"])
        sql = f"""
            SELECT CASE
                WHEN line IS NULL THEN NULL
                WHEN {skipped} THEN {SKIPPED}
                WHEN json_valid(line) THEN
                    CASE WHEN {lenient} THEN {SUSPECT}
                         WHEN starts_with(line, '{{') OR starts_with(ltrim(line), '{{')
                         THEN {GOOD} ELSE {NOT_OBJECT} END
                WHEN trim(line, ' \t\r\n\f' || chr(11)) = '' THEN {BLANK}
                ELSE {MALFORMED}
            END::UTINYINT AS kind
            FROM _sessiond_lines
        """
        con.register("_sessiond_lines", table)
        try:
            result = con.sql(sql, params=[p.decode("utf-8", "replace") for p in skip]
                             ).to_arrow_table()
        finally:
            con.unregister("_sessiond_lines")
        return result.column(0).combine_chunks()

    @staticmethod
    def _relation(framed: sqlform.Framed) -> pa.Table:
        files = framed.files
        index = framed.table.column("file_index").combine_chunks()
        table = framed.table
        for name, values in (
            ("session_file", pa.array([f.key for f in files], pa.string())),
            ("username", pa.array([f.user for f in files], pa.string())),
            ("session_id", pa.array([f.session_id for f in files], pa.string())),
            ("agent_id", pa.array([f.agent_id for f in files], pa.string())),
        ):
            column = (values.take(index) if values.null_count
                      else pa.DictionaryArray.from_arrays(index, values))
            table = table.append_column(name, column)
        subagent = pa.array([f.is_subagent for f in files], pa.bool_())
        return table.append_column("is_subagent", subagent.take(index))

    @staticmethod
    def _query(framed: sqlform.Framed, sql: str) -> pa.Table:
        con = sqlform.connection()
        if framed.relation is None:
            framed.relation = _Baseline._relation(framed)
        con.register("_sessiond_lines", framed.relation)
        try:
            return con.sql(sqlform._LINES + sql).to_arrow_table()
        finally:
            con.unregister("_sessiond_lines")


_BASE_CON: list[duckdb.DuckDBPyConnection] = []


def _base_connection() -> duckdb.DuckDBPyConnection:
    """The baseline's own connection, made as `sqlform.connection` makes one (its registrations
    and the current module's apart)."""
    if not _BASE_CON:
        con = duckdb.connect(":memory:", config={"enable_external_access": False})
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        _BASE_CON.append(con)
    return _BASE_CON[0]


@contextmanager
def baseline() -> Iterator[None]:
    """`sqlform` with the baseline's functions in place of the current ones."""
    names = ("classify", "_query", "_relation", "connection")
    kept = {n: getattr(sqlform, n) for n in names}
    for n in names[:-1]:
        setattr(sqlform, n, getattr(_Baseline, n))
    sqlform.connection = _base_connection
    try:
        yield
    finally:
        for n, f in kept.items():
            setattr(sqlform, n, f)


def _blocks(lines: list[bytes], files: list[SessionFile]) -> list[sqlform.Part]:
    """The lines dealt to the files in turn, each file's share one block."""
    parts = []
    for i, file in enumerate(files):
        framer = BlockFramer(0, max_line_bytes=1 << 24)
        framer.feed(b"".join(lines[i::len(files)]))
        block: Block = framer.block()
        parts.append((file, block, 1))
    return parts


def dense(n: int) -> list[bytes]:
    """``n`` lines of the dense corpus (~800 B each; 20,000 made, repeated beyond)."""
    spec = corpus.dense(mb=min(n, 20_000) * 800 / 1e6 * 2.5, files=12, users=2)
    out: list[bytes] = []
    for job in corpus.jobs(spec):
        for path, data in corpus.build_file(job):
            if path.endswith(".jsonl"):
                out.extend(data.splitlines(keepends=True))
        if len(out) >= n:
            break
    while len(out) < n:
        out.extend(out[:n - len(out)])
    return out[:n]


def cases() -> dict[str, tuple[list[sqlform.Part], int]]:
    """name -> (the batch's parts, reps)."""
    rng = random.Random(13)
    appended = [corpus.append_line(rng, "alice", "5f0c") for _ in range(10)]
    long = [corpus.append_line(rng, "alice", "5f0c", size=100_000) for _ in range(8)]
    many = dense(200_000)
    return {
        "1 line": (_blocks(appended[:1], FILES[:1]), 60),
        "10 lines, 3 files": (_blocks(appended, FILES), 60),
        "8 lines of 100 KB": (_blocks(long, FILES[:1]), 30),
        "20,000 lines": (_blocks(many[:20_000], FILES), 9),
        "200,000 lines": (_blocks(many, FILES), 3),
    }


def _time(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _same(a: tuple[sqlform.Framed, Any], b: tuple[sqlform.Framed, Any]) -> bool:
    """The same kinds, counts, bad lines and rows (as sets: any order)."""
    def rows(out: Mapping[str, Mapping[str, pa.Table]]) -> dict[tuple[str, str], list[Any]]:
        return {(k, t): sorted(map(repr, rows.to_pylist()))
                for k, tables in out.items() for t, rows in tables.items()}
    (fa, ra), (fb, rb) = a, b
    return (fa.table.column("kind").equals(fb.table.column("kind")) and fa.decoded == fb.decoded
            and rows(ra) == rows(rb))


def measure(parts: list[sqlform.Part], sql: Mapping[str, str], reps: int) -> dict[str, float]:
    """Median frame and run seconds, current and baseline alternated rep by rep."""
    times: dict[str, list[float]] = {k: [] for k in ("frame", "run", "base frame", "base run")}
    outs = {}
    for rep in range(reps + 2):  # the first two warm up
        for which in ("current", "baseline") if rep % 2 else ("baseline", "current"):
            with baseline() if which == "baseline" else _nothing():
                t_frame, framed = _time(lambda: sqlform.frame(parts))
                t_run, out = _time(lambda: sqlform.run(sql, framed))  # noqa: B023
            if rep >= 2:
                prefix = "base " if which == "baseline" else ""
                times[prefix + "frame"].append(t_frame)
                times[prefix + "run"].append(t_run)
            outs[which] = (framed, out)
    if not _same(outs["current"], outs["baseline"]):
        raise SystemExit("the current and the baseline functions disagree")
    return {k: statistics.median(v) for k, v in times.items()}


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=float, default=1.0, help="scale every case's reps")
    args = parser.parse_args(argv)
    print(f"DuckDB {duckdb.__version__}, pyarrow {pa.__version__}; medians, ms "
          "(baseline -> current, ratio)")
    print(f"{'batch':20s} {'query':10s} {'frame':>26s} {'run':>26s} {'frame + run':>26s}")
    for name, (parts, reps) in cases().items():
        for query, sql in QUERIES.items():
            m = measure(parts, sql, max(1, round(reps * args.reps)))
            cells = []
            for old, new in ((m["base frame"], m["frame"]), (m["base run"], m["run"]),
                             (m["base frame"] + m["base run"], m["frame"] + m["run"])):
                cells.append(f"{old * 1e3:8.1f} -> {new * 1e3:8.1f} {new / old:5.2f}")
            print(f"{name:20s} {query:10s} " + " ".join(f"{c:>26s}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
