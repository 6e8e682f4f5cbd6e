"""A live commit's usage merge as the stored calls grow: ``python -m bench.calls_lookup
[--calls 50000,900000] [--commits 300] [--keys 40]``.

`processors.usage.calls` merges a live append's records in Python: it looks up the stored
calls of their message ids, deletes the ones they beat and inserts the new winners, inside the
commit. Before migration step 12 the lookup joined the keys with ``usage_calls`` -- a scan of
the whole table, whose cost grew with it (figure 3b's state after its 15 GB backfill holds 870k
calls: 100-180 ms a commit). Now it names the message ids in a plain filter, which DuckDB reads
through the table's index -- and the index costs something at every insert, delete and
checkpoint.

Per table size, two DuckDB files with the same ``usage_calls`` rows (the usage processor's
migrations; one without the index, dropped), and the same commits run against both,
alternated commit by commit in one process: each a transaction that merges ``--keys`` records
(new calls, and one in ten a later copy of a recent call, which beats the stored one) by
`calls.merge` and inserts what it returns -- the old way's lookup (the join, kept here) on the
file without the index. WAL checkpoints happen as in the daemon (DuckDB's 16 MB threshold):
their cost lands in the commits that trigger them, so p99 and the total show it. Prints
medians, p99 and totals per size and way; fails if the two ways leave different tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sessiond.processors.usage import calls
from sessiond.processors.usage.processor import UsageProcessor
from sessiond.state.store import Store, _Tx

# The merge before step 12 (`calls._merge_rows` at 8963f2c, the same best records of the batch,
# without the kept winners, which neither way finds here: every key is new or was merged in
# another transaction): the keys joined with the table to find the stored calls, and the beaten
# ones deleted by a join too -- each a scan of the table, whatever its size.
_JOINED = f"""
WITH k AS (
    SELECT unnest(?::VARCHAR[]) AS username, unnest(?::VARCHAR[]) AS message_id,
           unnest(?::VARCHAR[]) AS request_id
)
SELECT c.username, c.message_id, c.request_id,
       c.total_tokens, coalesce(c.is_sidechain, false), epoch_us(c.ts), c.session_file, c.line_no
FROM {calls.CALLS} c
JOIN k ON c.username = k.username AND c.message_id = k.message_id
      AND c.request_id IS NOT DISTINCT FROM k.request_id
"""
_DELETE_JOINED = f"""
DELETE FROM {calls.CALLS} USING (
    SELECT unnest(?::VARCHAR[]) AS session_file, unnest(?::BIGINT[]) AS line_no
) b
WHERE {calls.CALLS}.session_file = b.session_file AND {calls.CALLS}.line_no IS NOT DISTINCT FROM b.line_no
"""


def _joined_merge(tx: _Tx, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out, best = calls.best_of(records)
    keys = list(best)
    rows = tx.query(_JOINED, [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]])
    beaten = []
    for user, message, request, *ranked in rows:
        key = (str(user), str(message), None if request is None else str(request))
        theirs = calls.stored_rank(*ranked)
        if key in best and theirs <= best[key][0]:
            del best[key]
        elif key in best:
            beaten.append(calls._where(theirs))
    if beaten:
        tx.execute(_DELETE_JOINED, [[b[0] for b in beaten], [b[1] for b in beaten]])
    return [*out, *(row for _, row in best.values())]


_START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
_USERS = [f"user{i:03d}" for i in range(40)]


def _record(rng: random.Random, serial: int, user: str, message: str, request: str) -> dict[str, Any]:
    out = rng.randrange(1, 4000)
    return {"session_file": f"{user}/s{serial // 500}.jsonl", "username": user, "line_no": serial,
            "uuid": f"u{serial}", "session_id": f"s{serial // 500}", "agent_id": None,
            "is_sidechain": False, "ts": _START + dt.timedelta(seconds=serial), "cwd": "/w",
            "model": "claude-sonnet-4-5-20250929", "message_id": message, "request_id": request,
            "input_tokens": 3, "output_tokens": out, "cache_creation_tokens": 100,
            "cache_read_tokens": 1000, "cache_creation_1h": 0, "speed": None, "service_tier": "standard"}


def _fill(path: Path, n: int, rng: random.Random) -> None:
    con = duckdb.connect(str(path))
    for step in UsageProcessor().migrations:
        con.execute(step)
    rows = [calls.call_row(_record(rng, i, rng.choice(_USERS), f"msg_{rng.getrandbits(80):x}",
                                   f"req_{rng.getrandbits(80):x}")) for i in range(n)]
    Store(con)._insert(calls.CALLS, pa.Table.from_pylist(rows))
    con.execute("CHECKPOINT")
    con.close()


def _commit(store: Store, records: list[dict[str, Any]],
            merge: Callable[[_Tx, list[dict[str, Any]]], list[dict[str, Any]]]) -> float:
    """One transaction: the merge, then its rows inserted as the daemon's writer inserts them."""
    con = store._con
    start = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    with _Tx(con, store.schema) as tx:
        rows = merge(tx, records)
    if rows:
        store._insert(calls.CALLS, pa.Table.from_pylist(rows, schema=store.schema(calls.CALLS)))
    con.execute("COMMIT")
    return time.perf_counter() - start


def run(sizes: list[int], commits: int, keys: int) -> str:
    out = []
    with tempfile.TemporaryDirectory(prefix="sessiond-calls-") as tmp:
        for n in sizes:
            rng = random.Random(n)
            base = Path(tmp) / f"calls-{n}.duckdb"
            t = time.perf_counter()
            _fill(base, n, rng)
            filled = time.perf_counter() - t
            plain = Path(tmp) / f"calls-{n}-plain.duckdb"
            shutil.copy(base, plain)
            con = duckdb.connect(str(plain))
            con.execute("DROP INDEX usage_calls_message_id")
            con.execute("CHECKPOINT")
            con.close()
            ways = {"index (now)": duckdb.connect(str(base)), "join, no index (before)": duckdb.connect(str(plain))}
            stores = {name: Store(con) for name, con in ways.items()}
            times: dict[str, list[float]] = {name: [] for name in ways}
            recent: list[tuple[str, str, str]] = []
            serial = n
            for _ in range(commits):
                batch = []
                for _ in range(keys):
                    serial += 1
                    if recent and rng.random() < 0.1:  # a later copy of a recent call: beats it
                        user, message, request = rng.choice(recent)
                    else:
                        user, message, request = (rng.choice(_USERS), f"msg_{rng.getrandbits(80):x}",
                                                  f"req_{rng.getrandbits(80):x}")
                        recent = [*recent[-200:], (user, message, request)]
                    batch.append(_record(rng, serial, user, message, request))
                for name in ways:
                    merge = _joined_merge if "before" in name else calls.merge
                    times[name].append(_commit(stores[name], [dict(r) for r in batch], merge))
            tables = [con.execute(f"SELECT * FROM {calls.CALLS} ORDER BY session_file, line_no").fetchall()
                      for con in ways.values()]
            if tables[0] != tables[1]:
                raise AssertionError(f"the two merges left different usage_calls at {n:,} calls")
            sizes_mb = {name: Path(con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchone()[0]).stat().st_size / 2**20  # type: ignore[index]
                        for name, con in ways.items()}
            for con in ways.values():
                con.close()
            out.append(f"{n:,} stored calls (filled in {filled:.1f} s), {commits} commits of {keys} records:")
            for name, xs in times.items():
                xs_ms = sorted(1e3 * x for x in xs)
                out.append(f"  {name:24} median {statistics.median(xs_ms):7.2f} ms  p99 "
                           f"{xs_ms[int(0.99 * (len(xs_ms) - 1))]:7.2f}  max {xs_ms[-1]:7.2f}  total "
                           f"{sum(xs_ms) / 1e3:6.2f} s  file {sizes_mb[name]:.0f} MB")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.calls_lookup", description=__doc__.split("\n")[0])
    ap.add_argument("--calls", default="50000,900000", help="stored calls, comma-separated sizes")
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--keys", type=int, default=40, help="records a commit merges")
    args = ap.parse_args(argv)
    print(run([int(x) for x in args.calls.split(",")], args.commits, args.keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
