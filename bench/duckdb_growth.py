"""Where the daemon's resident size grows under a steady load: DuckDB's native heap.

Found by the soak run (``bench.soak``; BENCHMARKS.md): RSS grows ~8 MB a minute at 200 appends/s
while Python's heap (tracemalloc), Arrow's pool and everything ``duckdb_memory()`` reports stay
flat, and ``memory_limit`` does not bound it. glibc's in-use bytes (``mallinfo2``) grow with it.
This reproduces it without the daemon: each transaction writes 17 cursor-like rows to a table
with a primary key, three ways, and prints time per transaction and malloc in-use growth:

* ``upsert`` -- ``INSERT ... SELECT FROM <arrow> ON CONFLICT DO UPDATE`` (what `state.store`
  does for a batch's cursors): grows ~6 KB a transaction, not freed by a checkpoint (a close frees it);
* ``join`` -- ``UPDATE ... FROM <arrow>``: grows the same;
* ``case`` -- one ``UPDATE ... SET x = CASE key WHEN ... END WHERE key IN (...)``: about half;
* ``keyed`` -- ``executemany`` of ``UPDATE ... WHERE key = ?``: flat, but ~2.5x slower here;
* ``values`` -- ``UPDATE ... FROM (VALUES (?, ...), ...)``: as fast as ``keyed`` for 3 rows,
  growing ~2.7x as much (tried for a live commit's cursors, not taken).

Run it again on a new DuckDB release:
``python -m bench.duckdb_growth [transactions] [upsert,join,case,keyed,values] [rows]``.
"""

from __future__ import annotations

import ctypes
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

ROWS = 17  # a live batch's files (the soak's median commit)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _in_use() -> int:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _Mallinfo2
    return int(libc.mallinfo2().uordblks)


def run(way: str, transactions: int, folder: Path, rows_per: int = ROWS) -> tuple[float, float]:
    """(ms per transaction, MB of malloc in-use growth) for one way of writing the rows."""
    con = duckdb.connect(str(folder / f"{way}.duckdb"))
    con.execute("CREATE TABLE s (p VARCHAR NOT NULL, f VARCHAR NOT NULL, h VARCHAR, "
                "off BIGINT, PRIMARY KEY (p, f))")
    con.execute("INSERT INTO s SELECT 'usage', 'f' || i, '', 0 FROM range(1000) r(i)")
    before, start = _in_use(), time.perf_counter()
    for i in range(transactions):
        rows = [("usage", f"f{(i * rows_per + j) % 1000}", f"{i:032x}", i) for j in range(rows_per)]
        con.execute("BEGIN")
        if way == "case":
            keys = [f for _, f, _, _ in rows]
            h = " ".join("WHEN ? THEN ?" for _ in rows)
            con.execute(f"UPDATE s SET h = CASE f {h} END, off = CASE f {h} END "
                        f"WHERE p = ? AND f IN ({', '.join('?' * len(rows))})",
                        [v for _, f, hh, _ in rows for v in (f, hh)]
                        + [v for _, f, _, o in rows for v in (f, o)] + ["usage", *keys])
        elif way == "values":
            con.execute("UPDATE s SET h = u.h, off = u.off FROM (VALUES "
                        + ", ".join(["(?, ?, ?, ?)"] * len(rows)) + ") u(p, f, h, off) "
                        "WHERE s.p = u.p AND s.f = u.f", [v for r in rows for v in r])
        elif way == "keyed":
            con.executemany("UPDATE s SET h = ?, off = ? WHERE p = ? AND f = ?",
                            [(h, o, p, f) for p, f, h, o in rows])
        else:
            batch = pa.table({k: [r[n] for r in rows] for n, k in enumerate(("p", "f", "h", "off"))})
            con.register("_rows", batch)
            if way == "upsert":
                con.execute("INSERT INTO s SELECT * FROM _rows ON CONFLICT (p, f) "
                            "DO UPDATE SET h = excluded.h, off = excluded.off")
            else:
                con.execute("UPDATE s SET h = _rows.h, off = _rows.off FROM _rows "
                            "WHERE s.p = _rows.p AND s.f = _rows.f")
            con.unregister("_rows")
        con.execute("COMMIT")
    ms = (time.perf_counter() - start) / transactions * 1000
    grown = (_in_use() - before) / 1e6  # before closing: a close frees it all
    con.close()
    return ms, grown


def main() -> None:
    transactions = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else ROWS
    print(f"# duckdb {duckdb.__version__}: {transactions} transactions of {rows} rows each")
    with tempfile.TemporaryDirectory() as tmp:
        ways = sys.argv[2].split(",") if len(sys.argv) > 2 else ("upsert", "join", "case", "keyed", "values")
        for way in ways:
            ms, grown = run(way, transactions, Path(tmp), rows)
            print(f"{way:7s} {ms:6.2f} ms/transaction  malloc in-use {grown:+6.1f} MB "
                  f"({grown * 1e6 / transactions:,.0f} B a transaction)", flush=True)


if __name__ == "__main__":
    main()
