"""Single-thread ceilings of the backfill's steps, outside the daemon (what limits figure 4).

    python -m bench.ceiling [CORPUS]      (default: the largest multi-user corpus in bench/out)

Times, on the whole corpus, each step the daemon does per line: reading, splitting, orjson
parsing (GC on / off / all objects kept alive), parsing with a byte-level prefilter that skips
file-history snapshots, usage ``extract()``, Arrow conversion from rows vs from columns, and
DuckDB's own JSON reader extracting the usage fields (the "out of Python" alternative). Before
those, per processor, the whole of what a pool process does for each file
(`daemon.examine.examine` and shipping the result as Arrow IPC): their sum, over two cores,
bounds a backfill's time from below before anything is written.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa

from bench.figures import OUT
from sessiond.daemon.pool import examine_shipped
from sessiond.processors.contract import Record, SessionFile
from sessiond.processors.usage.extract import extract
from sessiond.processors.usage.processor import UsageProcessor
from sessiond.processors.verification.processor import VerificationProcessor

SNAPSHOT = b'"type":"file-history-snapshot"'


def _largest() -> Path:
    cands = sorted((OUT / "corpus").glob("multi-*"),
                   key=lambda p: -sum(f.stat().st_size for f in p.rglob("*.jsonl")))
    if not cands:
        raise SystemExit("no corpus yet: run `python -m bench --only backfill` first")
    return cands[0]


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else _largest()
    files = sorted(root.rglob("*.jsonl"))
    mb = sum(f.stat().st_size for f in files) / 1e6
    out: list[tuple[str, float]] = []

    def step(name: str, fn):  # type: ignore[no-untyped-def]
        gc.collect()
        t = time.perf_counter()
        value = fn()
        out.append((name, time.perf_counter() - t))
        return value

    # First, in a fresh process: after the steps below have held the whole corpus as objects,
    # the same work takes ~50 % longer (memory to fault in again).
    con = duckdb.connect()
    for processor in (UsageProcessor(), VerificationProcessor()):
        for migration in processor.migrations:
            con.execute(migration)
        schemas = {t: con.sql(f"SELECT * FROM {t} LIMIT 0").to_arrow_table().schema
                   for t in processor.tables}

        def examine_all(p=processor, schemas=schemas) -> None:  # type: ignore[no-untyped-def]
            skip = tuple(getattr(p, "skip_prefixes", ()))
            for f in files:
                key = str(f.relative_to(root))
                file = SessionFile(key, key.split("/")[0])
                if p.wants(file):
                    examine_shipped(p, schemas, root, file, None, budget=1 << 40,
                                    max_line_bytes=64 << 20, skip=skip)

        step(f"{processor.name}: examine() + ship, as a pool process does (read to Arrow IPC)",
             examine_all)

    blobs = step("read files", lambda: [(str(f.relative_to(root)), f.read_bytes()) for f in files])
    split = step("split lines", lambda: [(k, b.split(b"\n")[:-1]) for k, b in blobs])

    def parse_drop() -> None:
        for _, lines in split:
            [orjson.loads(line) for line in lines]

    def parse_gc_off() -> None:
        gc.disable()
        try:
            parse_drop()
        finally:
            gc.enable()

    def parse_prefiltered() -> None:
        for _, lines in split:
            [orjson.loads(line) for line in lines if SNAPSHOT not in line[:160]]

    step("orjson.loads every line, GC on", parse_drop)
    step("orjson.loads every line, GC off", parse_gc_off)
    parsed = step("orjson.loads every line, all kept alive, GC on",
                  lambda: [(k, [orjson.loads(line) for line in lines]) for k, lines in split])
    step("orjson.loads skipping file-history-snapshot lines (bytes check)", parse_prefiltered)

    def run_extract() -> dict[str, list]:
        rows: dict[str, list] = {}
        for k, objs in parsed:
            f = SessionFile(k, k.split("/")[0])
            recs = [Record(k, f.user, 0, i + 1, o) for i, o in enumerate(objs)]
            for table, r in extract(f, recs).items():
                rows.setdefault(table, []).extend(r)
        return rows

    rows = step("usage extract()", run_extract)
    step("pa.Table.from_pylist (usage rows)",
         lambda: [pa.Table.from_pylist(r) for r in rows.values() if r])
    step("pa.Table.from_pydict (same rows as columns)",
         lambda: [pa.Table.from_pydict({c: [x[c] for x in r] for c in r[0]})
                  for r in rows.values() if r])
    con.execute("SET threads=1")
    sql = f"""SELECT count(*), sum(i), sum(o) FROM (
        SELECT CAST(json_extract(json, '$.message.usage.input_tokens') AS BIGINT) AS i,
               CAST(json_extract(json, '$.message.usage.output_tokens') AS BIGINT) AS o
        FROM read_ndjson_objects('{root}/**/*.jsonl')
        WHERE json_extract_string(json, '$.type') = 'assistant')"""
    step("DuckDB read_ndjson_objects + json_extract of usage fields (1 thread)",
         lambda: con.execute(sql).fetchall())
    print(f"corpus {root} ({mb:.0f} MB, {len(files)} files), one thread:")
    for name, seconds in out:
        print(f"  {seconds:6.2f} s  {mb / seconds:6.0f} MB/s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
