"""A live commit's cursor UPDATE as the cursors grow: ``python -m bench.cursor_update
[--cursors 3000,300000] [--reps 30]``.

A live commit of one file writes its cursor for each processor with one keyed UPDATE
(`state.store._UPDATE`). DuckDB 2.0 reads an index only for a filter on one column: the keyed
UPDATE on the primary key's two columns (processor_name, session_file) scanned the whole table
(8.8 ms at the 100k-file tree's 279k cursors). Core step 4 added ``cursor_key`` (one column
naming the cursor) and an index on it, and the UPDATE filters on that.

Per size, one DuckDB file with the core migrations and that many cursors (three processors,
paths like the bench corpus's); the same random cursors are updated the way the store does now
(by ``cursor_key``) and the way it did before (by the two columns), alternated, each in its own
transaction; 24 cursors (a commit of 8 files) by the joined UPDATE that names their keys
(`_UPDATE_BY_KEYS`, now: the index) and by the plain joined one (before: a scan); and 64, 128
and 256 cursors both ways, with the way the store takes for that many at that size
(`Store._by_keys`: by keys while they are at most one in `_BY_KEYS_SHARE` of the stored
cursors). Prints medians.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from sessiond.state import store
from sessiond.state.migrations import CORE_STEPS

_MANY = (64, 128, 256)  # a busy commit's cursors (files x processors)
_BEFORE = store._UPDATE[:store._UPDATE.index(" WHERE ")] + " WHERE processor_name = ? AND session_file = ?"


def _fill(path: Path, n: int) -> list[dict[str, object]]:
    con = duckdb.connect(str(path))
    for step in CORE_STEPS:
        con.execute(step)
    rows: list[dict[str, object]] = [
        {"processor_name": p, "session_file": f"user{i % 200:03d}/{i:08x}-4b0d-49eb-acc0.jsonl",
         "username": f"user{i % 200:03d}", "processed_at": 1.7e9, "items_extracted": 1,
         "file_hash": "0" * 32, "offset_bytes": 100, "lines": 1, "size": 100, "mtime_ns": 1,
         "ino": i, "processor_version": 1, "bad_lines": 0, "attempts": 0, "last_error": None,
         "next_retry_at": None, "parked": False, "ctime_ns": 1}
        for i in range(n // 3) for p in ("lines", "usage", "verification")]
    with store._registered(con, "_sessiond_cursors", pa.Table.from_pylist(rows, schema=store._CURSOR_SCHEMA)):
        con.execute(store._UPSERT)
    con.execute("CHECKPOINT")
    con.close()
    return rows


def _timed(con: duckdb.DuckDBPyConnection, sql: str, params: list[object],
           table: pa.Table | None = None) -> float:
    """One transaction: the statement (with ``table`` registered as the cursors, if given)."""
    t = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    if table is None:
        con.execute(sql, params).fetchall()
    else:
        with store._registered(con, "_sessiond_cursors", table):
            con.execute(sql, params).fetchall()
    con.execute("COMMIT")
    return time.perf_counter() - t


def run(sizes: list[int], reps: int) -> str:
    out = []
    with tempfile.TemporaryDirectory(prefix="sessiond-cursors-") as tmp:
        for n in sizes:
            rng = random.Random(n)
            path = Path(tmp) / f"cursors-{n}.duckdb"
            rows = _fill(path, n)
            con = duckdb.connect(str(path))
            times: dict[str, list[float]] = {"by cursor_key (now)": [], "by the two columns (before)": [],
                                             "24 by keys (now)": [], "24 joined (before)": []}
            for many in _MANY:
                times[f"{many} joined"], times[f"{many} by keys"] = [], []
            for _ in range(reps):
                for way, sql in (("by cursor_key (now)", store._UPDATE), ("by the two columns (before)", _BEFORE)):
                    row = dict(rng.choice(rows))
                    row["offset_bytes"] = int(row["offset_bytes"]) + 7  # type: ignore[call-overload]
                    key = [store._key(row)] if sql is store._UPDATE else [row["processor_name"], row["session_file"]]
                    params = [row[c] for c in store._CURSOR_COLUMNS[2:]] + key
                    times[way].append(_timed(con, sql, params))
                for many in _MANY:
                    chosen = rng.sample(rows, many)
                    table = pa.Table.from_pylist(chosen, schema=store._CURSOR_SCHEMA)
                    times[f"{many} joined"].append(_timed(con, store._UPDATE_FROM, [], table))
                    by_keys = store._UPDATE_BY_KEYS.format(keys=", ".join("?" * many))
                    times[f"{many} by keys"].append(
                        _timed(con, by_keys, [store._key(r) for r in chosen], table))
                few = rng.sample(rows, 24)  # a commit of 8 files: by their keys now, joined before
                table = pa.Table.from_pylist(few, schema=store._CURSOR_SCHEMA)
                by_keys = store._UPDATE_BY_KEYS.format(keys=", ".join("?" * len(few)))
                times["24 by keys (now)"].append(_timed(con, by_keys, [store._key(r) for r in few], table))
                times["24 joined (before)"].append(_timed(con, store._UPDATE_FROM, [], table))
            con.execute("BEGIN TRANSACTION")  # the plan DuckDB ran (EXPLAIN alone shows a scan)
            plans = con.execute("EXPLAIN ANALYZE " + store._UPDATE, [rows[0][c] for c in store._CURSOR_COLUMNS[2:]]
                                + [store._key(rows[0])]).fetchall()[0][1]
            con.execute("ROLLBACK")
            takes = {many: "by keys" if store.Store(con)._by_keys(many) else "joined" for many in _MANY}
            con.close()
            out.append(f"{n:,} cursors, medians of {reps} (the keyed UPDATE's plan: "
                       f"{'index scan' if 'Index Scan' in plans else 'a scan of the table'}):")
            out.append("  one cursor " + ", ".join(
                f"{way} {statistics.median(xs) * 1e3:.2f} ms" for way, xs in times.items()
                if way.startswith("by ")))
            out.append("  24 cursors " + ", ".join(
                f"{way[3:]} {statistics.median(xs) * 1e3:.2f} ms" for way, xs in times.items()
                if way.startswith("24 ")))
            for many in _MANY:
                out.append(f"  {many} cursors joined {statistics.median(times[f'{many} joined']) * 1e3:.2f} ms, "
                           f"by keys {statistics.median(times[f'{many} by keys']) * 1e3:.2f} ms "
                           f"(the store takes: {takes[many]})")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.cursor_update", description=__doc__.split("\n")[0])
    ap.add_argument("--cursors", default="3000,300000", help="cursor rows, comma-separated sizes")
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args(argv)
    print(run([int(x) for x in args.cursors.split(",")], args.reps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
