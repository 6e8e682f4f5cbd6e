"""A reprocess's delete with and without the index set aside: ``python -m bench.reprocess
[--calls 900000] [--reps 2]``.

`Store.reset_files` (what ``sessiond reprocess`` runs) deletes a processor's rows of the files
it redoes. DuckDB settles every deleted row against the table's indexes at COMMIT, even when the
same transaction dropped them, so ``reprocess usage`` at figure 3b's state (867k calls) spent
~9 of its 12 s committing the delete from ``usage_calls``. Now a table's indexes are dropped in
a transaction of their own first when the delete takes more than one row in
`store.SET_ASIDE_SHARE` of the rows that stay, and created again after it.

One DuckDB file with ``--calls`` calls (the usage processor's migrations and index, filled as
`bench.calls_lookup` fills it), copied for each run; each run is `Store.reset_files` of the
usage processor timed whole, for every file and for one user's (a fortieth), with the index set
aside as the store decides and with it kept (`SET_ASIDE_SHARE` 0), alternated. Prints medians
per case; fails if the two ways leave different tables or no index.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from bench.calls_lookup import _USERS, _fill
from sessiond.processors.usage import calls
from sessiond.processors.usage.processor import UsageProcessor
from sessiond.state import store as store_module
from sessiond.state.migrations import CORE_STEPS
from sessiond.state.store import Store


def _once(base: Path, work: Path, who: str | None, share: int) -> tuple[float, list[tuple[object, ...]], int]:
    shutil.copy(base, work)
    con = duckdb.connect(str(work))
    files = [r[0] for r in con.execute(
        f"SELECT DISTINCT session_file FROM {calls.CALLS} WHERE ? IS NULL OR username = ?",
        [who, who]).fetchall()]
    saved = store_module.SET_ASIDE_SHARE
    store_module.SET_ASIDE_SHARE = share
    try:
        t = time.perf_counter()
        Store(con).reset_files(UsageProcessor(), files)
        took = time.perf_counter() - t
    finally:
        store_module.SET_ASIDE_SHARE = saved
    left = con.execute(f"SELECT count(*), sum(output_tokens) FROM {calls.CALLS}").fetchall()
    indexes = con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name = ?",
                          [calls.CALLS]).fetchall()[0][0]
    con.close()
    work.unlink()
    return took, left, int(indexes)


def run(n: int, reps: int) -> str:
    out = []
    with tempfile.TemporaryDirectory(prefix="sessiond-reprocess-") as tmp:
        base = Path(tmp) / "base.duckdb"
        t = time.perf_counter()
        _fill(base, n, random.Random(n))
        con = duckdb.connect(str(base))
        for step in CORE_STEPS:  # the store's own tables, as `_fill` makes the processor's
            con.execute(step)
        con.close()
        out.append(f"{n:,} stored calls (filled in {time.perf_counter() - t:.1f} s), "
                   f"medians of {reps}:")
        for label, who in (("every file", None), (f"one user's files ({_USERS[0]})", _USERS[0])):
            times: dict[str, list[float]] = {"index set aside (now)": [], "index kept (before)": []}
            results = set()
            for _ in range(reps):
                for way, share in (("index set aside (now)", store_module.SET_ASIDE_SHARE),
                                   ("index kept (before)", 0)):
                    took, left, indexes = _once(base, Path(tmp) / "work.duckdb", who, share)
                    if indexes != 1:
                        raise AssertionError(f"{way}: {indexes} indexes on {calls.CALLS} after the reset")
                    times[way].append(took)
                    results.add(repr(left))
            if len(results) != 1:
                raise AssertionError(f"{label}: the two ways left different tables: {results}")
            out.append(f"  {label}: " + ", ".join(
                f"{way} {statistics.median(xs):.2f} s" for way, xs in times.items()))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reprocess", description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=900_000, help="stored calls")
    ap.add_argument("--reps", type=int, default=2)
    args = ap.parse_args(argv)
    print(run(args.calls, args.reps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
