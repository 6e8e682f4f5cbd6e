"""Run every benchmark figure: ``python -m bench [--quick] [--only NAME[,NAME]] [--json FILE]``.

Prints one table (figure, metric, sessiond, baseline, ratio, target, met?) plus notes, and
writes the figures as JSON to bench/out/results-<time>.json (and bench/out/latest.json).
``--profile`` also records py-spy profiles of the hot paths (see `bench.profile`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from bench import ccusage
from bench.figures import FIGURES, FULL, OUT, QUICK, Ctx, Row


def machine() -> dict[str, object]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = 0
    import duckdb

    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem / 1024 / 1024, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "kernel": platform.release(), "ccusage": ccusage.version()}


def fmt(value: float | None, unit: str = "s") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:,.1f} {unit}"


def ratio(r: Row) -> str:
    if r.ratio is None:
        return "-"
    if r.unit in ("MB/s", "files/s"):
        return f"{r.ratio:.2f}x"
    return f"1/{1 / r.ratio:.0f}" if r.ratio < 1 else f"{r.ratio:.2f}x"


def table(rows: list[Row]) -> str:
    head = ("figure", "metric", "sessiond", "baseline", "ratio", "target", "met?")
    body = [(r.figure, r.metric, fmt(r.sessiond, r.unit), fmt(r.baseline, r.unit)
             + (f" ({r.baseline_name})" if r.baseline_name and r.baseline is not None else ""),
             ratio(r), r.target or "-", {True: "yes", False: "NO", None: "-"}[r.met]) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines)


def _stop_on_term() -> None:
    """SIGTERM unwinds like Ctrl-C, so the daemons the figures started are stopped too."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    _stop_on_term()
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (CI smoke, < ~3 min)")
    ap.add_argument("--only", help=f"comma-separated subset of: {', '.join(FIGURES)}")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse the stable tree's ingested state from an earlier run (saves the "
                         "~5 min ingest of 100k files; its timing is then the earlier one)")
    ap.add_argument("--processors", metavar="LIST",
                    help="comma-separated installed processors to run (default: all installed)")
    ap.add_argument("--profile", action="store_true",
                    help="afterwards, record py-spy profiles of backfill, scan, start-up, report")
    args = ap.parse_args(argv)
    names = list(FIGURES) if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        ap.error(f"unknown figure(s) {unknown}; choose from {', '.join(FIGURES)}")
    sizes = QUICK if args.quick else FULL
    ctx = Ctx(sizes, reuse=args.reuse)
    if args.processors:
        chosen = [p.strip() for p in args.processors.split(",") if p.strip()]
        missing = [p for p in chosen if p not in ctx.processors]
        if missing:
            ap.error(f"not installed: {missing}; installed: {', '.join(ctx.processors)}")
        ctx.processors = chosen
    info = machine()
    print(f"# sessiond benchmarks ({'quick' if args.quick else 'full'}): {info['nproc']} x "
          f"{info['cpu']}, {info['ram_gb']} GB RAM, Python {info['python']}, "
          f"DuckDB {info['duckdb']}, {info['ccusage'] or 'ccusage not installed'}; "
          f"processors {','.join(ctx.processors)}", flush=True)
    if info["ccusage"] is None:
        print(f"# note: {ccusage.install_hint()} (its comparisons are skipped)", flush=True)
    rows: list[Row] = []
    errors: dict[str, str] = {}
    started = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        print(f"## {name} ...", file=sys.stderr, flush=True)
        try:
            got = FIGURES[name](ctx)
        except Exception as exc:
            errors[name] = "".join(traceback.format_exception(exc))[-3000:]
            print(f"## {name} FAILED: {exc!r}", file=sys.stderr, flush=True)
            continue
        rows += got
        for r in got:
            print(f"   {r.figure}: {r.metric}: {fmt(r.sessiond, r.unit)} "
                  f"(baseline {fmt(r.baseline, r.unit)}, ratio {ratio(r)}, met {r.met})",
                  file=sys.stderr, flush=True)
        print(f"## {name} done in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    total = time.perf_counter() - started
    print()
    print(table(rows))
    print()
    for r in rows:
        if r.notes:
            print(f"* {r.figure} / {r.metric}: {r.notes}")
    print(f"\n# total {total:.0f} s")
    for name, err in errors.items():
        print(f"\n# {name} FAILED:\n{err}")
    result = {"machine": info, "quick": args.quick, "seconds": total,
              "rows": [asdict(r) for r in rows], "errors": errors,
              "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    OUT.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, default=str)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (OUT / f"results-{stamp}{'-quick' if args.quick else ''}.json").write_text(text)
    (OUT / "latest.json").write_text(text)
    if args.json:
        args.json.write_text(text)
    if args.profile:
        from bench import profile

        profile.main(["all"] + (["--quick"] if args.quick else []))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
