"""Where a live append's latency goes: ``python -m bench.breakdown [--files N] [--rate R]
[--seconds S] [--processors lines,usage,verification]``.

Figure 3 times write -> committed from the daemon's log; this runs the real `Service` (inotify,
DuckDB file, all processors) in this process, with timing wrappers on a few of its methods, and
splits each append's latency in three:

* **debounce**: the write until the debouncer releases the file (`Dispatcher.dispatch`): the
  ``settle`` window;
* **queue**: release until the batch that reads it starts, for the processor that committed it
  last (`Worker.run_batch`);
* **batch**: that batch's start until its commit is confirmed (`Worker._committed`): reading,
  processing, waiting for the writer, the commit; and per processor its **prepare** part, the
  batch's start until it is handed to the writer (`Writer.submit`).

Then the writer thread's time by statement (`_Tx.execute/query`, `Store._insert`, ...), totals
and per call, and the commits' sizes: what a commit costs, and what it is made of. The wrappers
cost a few microseconds a call; the figures are for comparing, like every figure here.

The tree is generated (``--files`` transcripts of 20 lines, ~1 KB each) in a temporary folder;
appends of ~1 KB go to random files at ``--rate`` per second for ``--seconds``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import corpus
from sessiond.daemon import dispatcher, worker, writer
from sessiond.daemon.log import configure
from sessiond.daemon.registry import load
from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.state import store

_lock = threading.Lock()


class Recorder:
    """Timing wrappers on the daemon's classes (put on by `install`, taken off by `remove`)."""

    def __init__(self) -> None:
        self.released: dict[str, list[float]] = {}
        self.started: dict[tuple[str, str], list[float]] = {}
        self.confirmed: dict[tuple[str, str], list[tuple[float, int]]] = {}
        self.commits: list[tuple[float, int, int]] = []  # seconds, processors, files
        # per processor: a live batch's start until it is handed to the writer (reading,
        # framing, processing, converting), and the batch's start in this thread
        self.prepare: dict[str, list[float]] = collections.defaultdict(list)
        self._batch = threading.local()
        self.writer: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
        self._undo: list[tuple[Any, str, Any]] = []

    def clear(self) -> None:
        for d in (self.released, self.started, self.confirmed, self.writer, self.prepare):
            d.clear()
        self.commits.clear()

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        self._undo.append((owner, name, original))
        setattr(owner, name, functools.wraps(original)(make(original)))

    def install(self) -> None:
        rec = self

        def dispatch(f: Any) -> Any:
            def g(self: Any, files: Any) -> Any:
                files = list(files)
                t = time.perf_counter()
                with _lock:
                    for file in files:
                        rec.released.setdefault(file.key, []).append(t)
                return f(self, files)
            return g

        def run_batch(f: Any) -> Any:
            def g(self: Any, files: Any, **kw: Any) -> Any:
                t = rec._batch.started = time.perf_counter()
                with _lock:
                    for file in files:
                        rec.started.setdefault((self.processor.name, file.key), []).append(t)
                return f(self, files, **kw)
            return g

        def committed(f: Any) -> Any:
            def g(self: Any, outcomes: Any, *a: Any, **kw: Any) -> Any:
                t = time.perf_counter()
                with _lock:
                    for o in outcomes:
                        rec.confirmed.setdefault((self.processor.name, o.cursor.file), []).append(
                            (t, o.cursor.offset))
                return f(self, outcomes, *a, **kw)
            return g

        def submit(f: Any) -> Any:
            def g(self: Any, processor: Any, outcomes: Any) -> Any:
                started = getattr(rec._batch, "started", None)
                if started is not None:
                    with _lock:
                        rec.prepare[processor.name].append(time.perf_counter() - started)
                    rec._batch.started = None  # a retry file by file is not a batch
                return f(self, processor, outcomes)
            return g

        def commit(f: Any) -> Any:
            def g(self: Any, batches: Any) -> Any:
                t = time.perf_counter()
                try:
                    return f(self, batches)
                finally:
                    rec.commits.append((time.perf_counter() - t, len(batches),
                                        sum(len(b.outcomes) for b in batches)))
            return g

        def timed(label: str, detail: Callable[[tuple[Any, ...]], str]) -> Callable[[Any], Any]:
            def make(f: Any) -> Any:
                def g(*a: Any, **kw: Any) -> Any:
                    t = time.perf_counter()
                    try:
                        return f(*a, **kw)
                    finally:
                        if threading.current_thread().name == "writer":
                            entry = rec.writer[f"{label} {detail(a)}".strip()]
                            entry[0] += 1
                            entry[1] += time.perf_counter() - t
                return g
            return make

        def sql(a: tuple[Any, ...]) -> str:
            return " ".join(str(a[1]).split())[:64] if len(a) > 1 else ""

        self._patch(dispatcher.Dispatcher, "dispatch", dispatch)
        self._patch(worker.Worker, "run_batch", run_batch)
        self._patch(worker.Worker, "_committed", committed)
        self._patch(writer.Writer, "submit", submit)
        self._patch(writer.Writer, "_commit", commit)
        self._patch(store._Tx, "execute", timed("execute", sql))
        self._patch(store._Tx, "query", timed("query", sql))
        self._patch(store.Store, "_insert", timed("insert into", lambda a: str(a[1])))
        self._patch(store.Store, "_updated", timed("cursor: keyed UPDATE", lambda a: ""))
        self._patch(store.Store, "_updated_joined", timed("cursor: UPDATE joined (Arrow)", lambda a: ""))
        self._patch(store.Store, "_write", timed("(all writes, merges and cursors)", lambda a: ""))
        self._patch(store.Store, "_transaction", timed("(whole transaction)", lambda a: ""))

    def remove(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


def run(files: int, rate: float, seconds: float, processors: list[str], workdir: Path,
        tree: tuple[Path, Path] | None = None) -> str:
    """``tree``: an existing (root, state) to append to instead of a generated tree -- the
    state is copied into ``workdir`` first, the root's files are appended to."""
    rng = random.Random(3)
    if tree is None:
        root = workdir / "root"
        paths = []
        for i in range(files):
            p = root / f"u{i % 10}" / f"s{i}.jsonl"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(b"".join(corpus.append_line(rng, f"u{i % 10}", "bench", 1024) for _ in range(20)))
            paths.append(p)
    else:
        root = tree[0]
        shutil.copy2(tree[1], workdir / "state.duckdb")
        paths = sorted(root.glob("*/*.jsonl"))[:files]
        files = len(paths)
    rec = Recorder()
    rec.install()
    settings = Settings(root=root, state=workdir / "state.duckdb", log_level="warning")
    service = Service(settings, load(processors, {}))
    thread = threading.Thread(target=lambda: service.run(install_signals=False), daemon=True)
    writes: list[tuple[str, float, int]] = []
    try:
        thread.start()
        deadline = time.monotonic() + 600
        def started() -> bool:  # a generated tree backfilled, or an existing one scanned
            if tree is not None:
                return service.first_scan_done.is_set()
            return all(sum(k[0] == p for k in rec.confirmed) >= files for p in processors)

        while not started():
            if time.monotonic() > deadline:
                raise TimeoutError("the backfill of the generated tree did not end")
            time.sleep(0.05)
        if tree is not None:  # each file's first append after a start reads its prefix once
            for p in paths:
                with open(p, "ab") as f:
                    f.write(corpus.append_line(rng, "x", "bench", 1024))
            warm = {(proc, p.relative_to(root).as_posix()) for proc in processors for p in paths}
            while not warm <= set(rec.confirmed):
                if time.monotonic() > deadline:
                    raise TimeoutError("the warm-up appends were not committed")
                time.sleep(0.05)
        time.sleep(1.0)
        rec.clear()
        t0, i = time.perf_counter(), 0
        while time.perf_counter() - t0 < seconds:
            due = t0 + i / rate
            if due > time.perf_counter():
                time.sleep(due - time.perf_counter())
            p = paths[rng.randrange(files)]
            with open(p, "ab") as f:
                f.write(corpus.append_line(rng, "x", "bench", 1024))
            writes.append((p.relative_to(root).as_posix(), time.perf_counter(), p.stat().st_size))
            i += 1
        time.sleep(3.0)
    finally:
        service.request_stop()
        thread.join(60)
        rec.remove()
    total: list[float] = []
    segments: dict[str, list[float]] = {"debounce": [], "queue": [], "batch": []}
    for key, written, end in writes:
        done = []
        for proc in processors:
            times = [t for t, offset in rec.confirmed.get((proc, key), []) if offset >= end and t >= written]
            if times:
                done.append((min(times), proc))
        if len(done) < len(processors):
            continue
        finished, slowest = max(done)
        total.append(finished - written)
        released = [t for t in rec.released.get(key, []) if t >= written]
        started = [t for t in rec.started.get((slowest, key), []) if released and t >= released[0]]
        if released and started:
            segments["debounce"].append(released[0] - written)
            segments["queue"].append(started[0] - released[0])
            segments["batch"].append(finished - started[0])
    out = [f"{len(writes)} appends of ~1 KB at {rate:g}/s for {seconds:g} s over {files} files, "
           f"processors {','.join(processors)}; {len(total)} committed by all",
           f"  write -> committed: p50 {_pct(total, .5):.0f} ms, p90 {_pct(total, .9):.0f}, "
           f"p99 {_pct(total, .99):.0f}, max {_pct(total, 1):.0f}"]
    out += [f"  {name:9} p50 {_pct(v, .5):6.1f} ms  p90 {_pct(v, .9):6.1f}  p99 {_pct(v, .99):6.1f}"
            for name, v in segments.items()]
    for name, v in sorted(rec.prepare.items()):
        out.append(f"  prepare {name:13} p50 {_pct(v, .5):6.1f} ms  p90 {_pct(v, .9):6.1f}  "
                   f"p99 {_pct(v, .99):6.1f}  (batch start -> handed to the writer, {len(v)} batches)")
    secs = [c[0] for c in rec.commits]
    shared = sum(c[1] > 1 for c in rec.commits)
    out.append(f"  writer: {len(secs)} commits ({shared} shared by processors), median "
               f"{_pct(secs, .5):.1f} ms, p99 {_pct(secs, .99):.1f}; busy {sum(secs):.1f} s of "
               f"{seconds:g}; median files per commit "
               f"{sorted(c[2] for c in rec.commits)[len(secs) // 2] if secs else 0}")
    out.append("  the writer thread's time by call (total, calls, per call):")
    for label, (n, t) in sorted(rec.writer.items(), key=lambda kv: -kv[1][1])[:14]:
        out.append(f"    {t:6.2f} s {n:5d} x {t / n * 1000:6.2f} ms  {label}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.breakdown", description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--processors", default="lines,usage,verification")
    ap.add_argument("--tree", nargs=2, type=Path, metavar=("ROOT", "STATE"),
                    help="append to the first --files transcripts of an existing tree whose state "
                         "is STATE (copied first; the tree's files ARE appended to), e.g. figure "
                         "3b's bench/out/work/latency-big: a commit's cost at a large state")
    args = ap.parse_args(argv)
    configure("warning", "json")
    with tempfile.TemporaryDirectory(prefix="sessiond-breakdown-") as tmp:
        print(run(args.files, args.rate, args.seconds, args.processors.split(","), Path(tmp),
                  tuple(args.tree) if args.tree else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
