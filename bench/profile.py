"""Profiles of the hot paths with py-spy (sampling; the daemon runs unmodified).

    python -m bench.profile [--quick] {backfill,scan,startup,report,latency,all}

Each target records ``bench/out/profile-<target>.txt`` (py-spy "raw" collapsed stacks, one
line per stack with its sample count; feed it to flamegraph.pl or speedscope for a picture)
and prints a summary: samples per thread, the top functions by *self* time (the frame on top
of the stack) and by *inclusive* time (anywhere in the stack), as shares of all samples.

Needs ``py-spy`` in the venv (``.venv/bin/pip install py-spy``); skipped with a note if absent.
"""

from __future__ import annotations

import argparse
import linecache
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.daemon import REPO, Daemon
from bench.figures import FULL, OUT, QUICK, Ctx, Sizes, backfill_processors

PY_SPY = Path(sys.executable).parent / "py-spy"
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
_BORING = ("threading.py", "<frozen runpy>", "runpy.py", "socketserver.py")
# A thread blocked in one of these is waiting, not working (py-spy's idle detection misses
# some when attached with --pid): such samples are counted apart.
_IDLE = {("Condition.wait", "threading.py"), ("Event.wait", "threading.py"),
         ("_PollLikeSelector.select", "selectors.py"), ("EpollSelector.select", "selectors.py"),
         ("InotifyFD._check_inotify_fd", "watchdog/observers/inotify_c.py"),
         ("DelayedQueue.get", "watchdog/utils/delayed_queue.py"), ("Queue.get", "queue.py"),
         ("Thread._wait_for_tstate_lock", "threading.py")}
# ... and a frame that blocks in C on one line of a function that works on its others: watchdog's
# dispatcher thread waits in `SimpleQueue.get` (the top Python frame is the dispatcher's own), which
# counted 16 % of a latency profile's busy samples. Told by the line's source, not its number.
_IDLE_LINES = {("InotifyFD._dispatch_raw_buffers", "watchdog/observers/inotify_c.py"): "_raw_queue.get()"}


def _idle(func: str, file: str, line: str | None) -> bool:
    short = _short(file)
    if (func, short) in _IDLE:
        return True
    marker = _IDLE_LINES.get((func, short))
    return marker is not None and line is not None and marker in linecache.getline(file, int(line))


def _short(file: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", str(REPO) + "/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def summarise(raw: Path, top: int = 12) -> str:
    """Self and inclusive top functions from a py-spy raw file."""
    threads: Counter[str] = Counter()
    self_fn: Counter[str] = Counter()
    self_line: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        thread = None
        if frames and frames[0].startswith("thread ("):
            thread = frames[0].split(": ", 1)[-1]
            frames = frames[1:]
        top_frame = _FRAME.match(frames[-1]) if frames else None
        if top_frame and _idle(top_frame["func"], top_frame["file"], top_frame["line"]):
            idle += n
            continue
        total += n
        if thread:
            threads[thread] += n
        seen = set()
        parsed = []
        for f in frames:
            m = _FRAME.match(f)
            func, file, lineno = (m["func"], _short(m["file"]), m["line"]) if m else (f, "?", None)
            parsed.append((func, file, lineno))
            key = f"{func} ({file})"
            if key not in seen and not file.startswith(_BORING):
                seen.add(key)
                incl[key] += n
        if parsed:
            func, file, lineno = parsed[-1]
            self_fn[f"{func} ({file})"] += n
            self_line[f"{func} ({file}:{lineno})"] += n
    if not total:
        return "  (no samples)"
    out = [f"  {total} busy samples ({idle} idle-waiting ones left out); by thread: " + ", ".join(
        f"{t} {c / total:.0%}" for t, c in threads.most_common(6))]
    out.append("  top self time (function on top of the stack):")
    out += [f"    {c / total:6.1%}  {k}" for k, c in self_fn.most_common(top)]
    out.append("  top self time by line:")
    out += [f"    {c / total:6.1%}  {k}" for k, c in self_line.most_common(8)]
    out.append("  top inclusive time (function anywhere in the stack):")
    out += [f"    {c / total:6.1%}  {k}" for k, c in incl.most_common(top + 8)]
    return "\n".join(out)


def _record(out: Path, cmd: list[str] | None = None, pid: int | None = None,
            rate: int = 250, duration: float | None = None) -> subprocess.Popen[bytes]:
    args = [str(PY_SPY), "record", "--threads", "--format", "raw", "-r", str(rate), "-o", str(out)]
    if duration:
        args += ["-d", str(int(duration))]
    if pid is not None:
        args += ["--pid", str(pid)]
    else:
        args += ["--", *(cmd or [])]
    return subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _finish(p: subprocess.Popen[bytes], raw: Path, title: str) -> str:
    _, err = p.communicate()
    if not raw.exists():
        return f"{title}: py-spy wrote nothing ({err.decode()[-300:]})"
    return f"{title}  [{raw.relative_to(REPO)}]\n{summarise(raw)}"


def prof_backfill(ctx: Ctx) -> str:
    root, manifest = ctx.backfill()
    w = ctx.scratch("profile-backfill")
    procs = backfill_processors(ctx.processors)
    raw = OUT / "profile-backfill.txt"
    cmd = [sys.executable, "-m", "sessiond", "run", "--once", "--root", str(root), "--state",
           str(w / "state.duckdb"), "--socket", str(w / "s.sock"), "--log-format", "json",
           "--processors", ",".join(procs)]
    t = time.perf_counter()
    with open(w / "log", "wb") as log:
        p = subprocess.Popen([str(PY_SPY), "record", "--threads", "--format", "raw", "-r", "200",
                              "-o", str(raw), "--", *cmd], cwd=REPO, stdout=log,
                             stderr=subprocess.PIPE)
        text = _finish(p, raw, "")
    return (f"backfill: run --once, {manifest['bytes'] / 1e6:.0f} MB, processors {','.join(procs)}"
            f" ({time.perf_counter() - t:.1f} s under py-spy){text}")


_SCAN_LOOP = """
import sys, time
from pathlib import Path
from sessiond.daemon.scanner import Scanner
s = Scanner(Path(sys.argv[1])); s.scan()
t = time.perf_counter(); n = 0
while time.perf_counter() - t < float(sys.argv[2]):
    s.scan(); n += 1
print(n, (time.perf_counter() - t) / n)
"""


def prof_scan(ctx: Ctx) -> str:
    tree, manifest = ctx.stable()
    raw = OUT / "profile-scan.txt"
    p = _record(raw, [sys.executable, "-c", _SCAN_LOOP, str(tree), "8"], rate=500)
    return _finish(p, raw, f"scan: Scanner.scan() in a loop over {manifest['files']} unchanged files")


def prof_startup(ctx: Ctx) -> str:
    tree, manifest = ctx.stable()
    state, _, _ = ctx.stable_state()
    w = ctx.scratch("profile-startup")
    live = w / "state.duckdb"
    shutil.copy2(state, live)
    raw = OUT / "profile-startup.txt"
    d = Daemon(tree, live, w, processors=ctx.processors, level="info")
    p = _record(raw, pid=d.pid, rate=500)
    try:
        ready = d.wait_ready()
        d.wait_quiet(1.0)
    finally:
        d.stop()
    return _finish(p, raw, f"startup: sessiond run to READY with {manifest['files']} files "
                           f"({ready:.2f} s; sampling starts a few ms after exec)")


def prof_report(ctx: Ctx) -> str:
    root, _ = ctx.backfill()
    state, _, _ = ctx.backfill_state()
    raw = OUT / "profile-report.txt"
    cmd = [sys.executable, "-X", "importtime", "-m", "sessiond", "report", "usage", "--by",
           "day", "--json", "--root", str(root), "--state", str(state), "--socket",
           str(state.parent / "none.sock")]
    imp = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False).stderr
    tops = []
    for line in imp.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m[3]) <= 2:  # top-level imports only
            tops.append((int(m[2]), m[4]))
    tops.sort(reverse=True)
    p = _record(raw, [c for c in cmd if c not in ("-X", "importtime")], rate=1000)
    text = _finish(p, raw, "report: sessiond report usage --by day --json (CLI, no daemon)")
    return text + "\n  heaviest top-level imports (cumulative, -X importtime): " + ", ".join(
        f"{name} {us / 1e3:.0f} ms" for us, name in tops[:8])


def prof_latency(ctx: Ctx) -> str:
    """The daemon's CPU while 1 KB appends arrive at 200/s (figure 3's target rate)."""
    from bench.figures import _drive

    src, _ = ctx.latency()
    w = ctx.scratch("profile-latency")
    root = w / "root"
    shutil.copytree(src, root, ignore=shutil.ignore_patterns("manifest.json"))
    keys = sorted(str(p.relative_to(root)) for p in root.rglob("*.jsonl"))[: ctx.sizes.latency_files]
    raw = OUT / "profile-latency.txt"
    seconds, rate = (10.0 if ctx.sizes is QUICK else 20.0), 200.0
    with Daemon(root, w / "state.duckdb", w, processors=ctx.processors, level="info") as d:
        d.wait_ready()
        d.wait_quiet(2.0)
        p = _record(raw, pid=d.pid, rate=500)
        time.sleep(0.5)
        cpu0 = d.cpu_seconds()
        appends, _ = _drive(root, keys, rate, seconds, seed=9)
        time.sleep(1.0)
        cpu = d.cpu_seconds() - cpu0
        p.send_signal(signal.SIGINT)
    return _finish(p, raw, f"latency: daemon while {len(appends)} appends arrive at {rate:.0f}/s "
                           f"({cpu / len(appends) * 1000:.0f} ms CPU per append, all processors)")


TARGETS = {"backfill": prof_backfill, "scan": prof_scan, "startup": prof_startup,
           "report": prof_report, "latency": prof_latency}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("targets", nargs="*", default=["all"],
                    help=f"any of {', '.join(TARGETS)}, or all")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if not PY_SPY.exists():
        print(f"# py-spy not installed ({PY_SPY}): .venv/bin/pip install py-spy")
        return 0
    names = list(TARGETS) if "all" in args.targets else args.targets
    sizes: Sizes = QUICK if args.quick else FULL
    ctx = Ctx(sizes, reuse=True)  # the figures run just ingested the stable tree
    for name in names:
        print(f"\n### profile {TARGETS[name](ctx)}", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
