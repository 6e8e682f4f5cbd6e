"""The soak run: the daemon operated for a while, then checked line by line against the files --
``python -m bench.soak [--minutes 10] [--files 1000] [--rate 200]``.

What it does, for ``--minutes``:

* 200 appends/s (``--rate``) of ~1 KB assistant records over 1,000 files (``--files``) of 50 users,
  paced; now and then a file is rewritten (truncated, new content), replaced by a longer copy
  (temp file + rename over it), or deleted (and brought back a while later);
* ``SIGHUP`` every 30 s; ``status`` and ``/metrics`` asked every second over the control socket;
  ``sessiond process lines`` and ``sessiond reprocess lines --file F`` now and then;
* ``kill -9`` and a restart every 2 minutes (``--kill-every``).

At the end the load stops, the daemon catches up (status: nothing pending, no bytes behind), is
stopped with SIGTERM, and the state file is checked against the files: the ``lines`` table holds
every complete line of every file exactly once (file, line number, byte offset), and every
processor's cursor stands at the end of each file's complete lines with their hash; then
``run --once`` must find nothing to do. Printed: the append->commit latency per minute (p50,
p99, max, the slowest processor of each append), and per daemon lifetime its RSS, open file
descriptors and threads after a minute of warm-up and at its end.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bench import corpus
from bench.daemon import REPO, Daemon
from bench.figures import OUT, _commits, _committed_at, pct
from sessiond.daemon import client
from sessiond.state.cursor import new_hasher

PROCESSORS = ["lines", "usage", "verification"]


@dataclass
class Lifetime:
    """One daemon process, from its start to its kill -9 or SIGTERM."""

    daemon: Daemon
    started: float
    samples: list[tuple[float, int, int, int, float]] = field(default_factory=list)
    # (age s, RSS bytes, open fds, threads, CPU s used so far)

    def sample(self) -> None:
        pid = self.daemon.pid
        try:
            rss = self.daemon.memory().get("VmRSS", 0)
            fds = len(os.listdir(f"/proc/{pid}/fd"))
            threads = len(os.listdir(f"/proc/{pid}/task"))
            cpu = self.daemon.cpu_seconds()
        except (OSError, FileNotFoundError):
            return
        self.samples.append((time.time() - self.started, rss, fds, threads, cpu))


class Files:
    """The tree as the benchmark wrote it: each file's current bytes (or None once deleted)."""

    def __init__(self, root: Path, keys: list[str], rng: random.Random) -> None:
        self.root = root
        self.keys = keys
        self.rng = rng
        self.data: dict[str, bytes | None] = {}
        self.appends: list[tuple[str, int, float]] = []  # (key, end offset, time written)
        self.ops: dict[str, int] = defaultdict(int)
        self.gone_at: dict[str, float] = {}
        self.lost_at: dict[str, list[float]] = defaultdict(list)  # rewritten or deleted: bytes gone

    def _line(self, key: str) -> bytes:
        user, name = key.split("/")
        return corpus.append_line(self.rng, user, name.removesuffix(".jsonl"), 1024)

    def create(self, key: str, lines: int) -> None:
        content = b"".join(self._line(key) for _ in range(lines))
        (self.root / key).parent.mkdir(parents=True, exist_ok=True)
        (self.root / key).write_bytes(content)
        self.data[key] = content

    def append(self) -> None:
        key = self.keys[self.rng.randrange(len(self.keys))]
        if self.data.get(key) is None:
            return
        line = self._line(key)
        fd = os.open(self.root / key, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, line)
            end = os.fstat(fd).st_size
        finally:
            os.close(fd)
        self.data[key] = (self.data[key] or b"") + line
        self.appends.append((key, end, time.time()))

    def disturb(self) -> None:
        """One of: rewrite in place, replace by a longer copy, delete, bring a deleted one back."""
        now = time.time()
        back = [k for k, t in self.gone_at.items() if now - t > 20]
        if back:
            key = back[0]
            del self.gone_at[key]
            self.create(key, 3)
            self.ops["recreated"] += 1
            return
        key = self.keys[self.rng.randrange(len(self.keys))]
        old = self.data.get(key)
        if old is None:
            return
        kind = self.rng.choice(["rewrite", "longer_copy", "delete"])
        path = self.root / key
        if kind == "rewrite":
            new = b"".join(self._line(key) for _ in range(2))
            with path.open("r+b") as fh:
                fh.truncate(0)
                fh.write(new)
            self.data[key] = new
            self.lost_at[key].append(now)
        elif kind == "longer_copy":
            new = old + b"".join(self._line(key) for _ in range(3))
            tmp = path.with_name(f".{path.name}.upload")
            tmp.write_bytes(new)
            os.replace(tmp, path)
            self.data[key] = new
        else:
            path.unlink()
            self.data[key] = None
            self.gone_at[key] = now
            self.lost_at[key].append(now)
        self.ops[kind] += 1


def _ask(sock: Path, route: str) -> bool:
    try:
        status, _ = client.request(sock, "GET", route, timeout=10)
    except (client.DaemonUnavailable, OSError):
        return False
    return status == 200


def _complete_lines(data: bytes) -> list[int]:
    """Byte offsets of the complete lines."""
    offsets, at = [], 0
    while (nl := data.find(b"\n", at)) != -1:
        offsets.append(at)
        at = nl + 1
    return offsets


def check(state: Path, files: dict[str, bytes | None]) -> list[str]:
    """Every complete line exactly once in `lines`; every cursor at the end of the complete
    lines, with their hash. Returns the problems (empty: all good)."""
    problems: list[str] = []
    con = duckdb.connect(str(state), read_only=True)
    try:
        rows = con.execute("SELECT session_file, line_no, byte_offset FROM lines").fetchall()
        cursors = con.execute("SELECT processor_name, session_file, offset_bytes, file_hash, lines "
                              "FROM session_processor_state").fetchall()
    finally:
        con.close()
    got: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for f, n, off in rows:
        got[f].append((int(n), int(off)))
    for key, data in files.items():
        want = [] if data is None else [(i + 1, o) for i, o in enumerate(_complete_lines(data))]
        have = sorted(got.pop(key, []))
        if have != want:
            problems.append(f"lines {key}: {len(have)} rows, {len(want)} complete lines"
                            f"{' (duplicates)' if len(set(have)) != len(have) else ''}")
    problems += [f"lines {k}: {len(v)} rows for a file that is not there" for k, v in got.items()]
    by = {(p, f): (o, h, n) for p, f, o, h, n in cursors}
    for key, data in files.items():
        whole = b"" if data is None else data[: data.rfind(b"\n") + 1]
        hasher = new_hasher()
        hasher.update(whole)
        for p in PROCESSORS:
            c = by.get((p, key))
            if data is None:
                if c is not None:
                    problems.append(f"cursor {p} {key}: the file was deleted")
            elif c is None or (c[0], c[1], c[2]) != (len(whole), hasher.hexdigest(), whole.count(b"\n")):
                n = whole.count(b"\n")
                problems.append(f"cursor {p} {key}: {c} != ({len(whole)}, ..., {n})")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--kill-every", type=float, default=120.0)
    ap.add_argument("--hup-every", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--restart-rss", default=None,
                    help="the daemon's restart_rss (restart in place above it); default: the daemon's")
    ap.add_argument("--memory-limit", default=None,
                    help="the daemon's memory_limit (DuckDB's page cache); default: the daemon's")
    args = ap.parse_args()
    work = OUT / f"soak-{time.strftime('%Y%m%d-%H%M%S')}"
    root, state = work / "root", work / "state.duckdb"
    rng = random.Random(args.seed)
    keys = [f"u{i % 50:02d}/s{i:05d}.jsonl" for i in range(args.files)]
    files = Files(root, keys, rng)
    for key in keys:
        files.create(key, 3)
    print(f"# soak: {args.files} files, {args.rate:g} appends/s, {args.minutes:g} min, kill -9 "
          f"every {args.kill_every:g} s, SIGHUP every {args.hup_every:g} s, memory_limit "
          f"{args.memory_limit or 'default'}, restart_rss {args.restart_rss or 'default'}; in {work}", flush=True)
    env = {"SESSIOND_SCAN_INTERVAL": "60"}
    if args.memory_limit:
        env["SESSIOND_MEMORY_LIMIT"] = args.memory_limit
    if args.restart_rss:
        env["SESSIOND_RESTART_RSS"] = args.restart_rss
    lifetimes = [Lifetime(Daemon(root, state, work, processors=PROCESSORS, env=env, level="debug"),
                          time.time())]
    lifetimes[-1].daemon.wait_ready()
    stop = threading.Event()
    polls = {"ok": 0, "failed": 0}

    def poll() -> None:  # status and /metrics every second, as a monitoring system would
        while not stop.wait(1.0):
            sock = lifetimes[-1].daemon.socket_path
            for route in ("/status", "/metrics"):
                polls["ok" if _ask(sock, route) else "failed"] += 1

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    start = time.time()
    end = start + args.minutes * 60
    next_hup, next_kill = start + args.hup_every, start + args.kill_every
    next_disturb, next_process, next_reprocess, next_sample = start + 5, start + 20, start + 45, start
    ops: dict[str, int] = defaultdict(int)
    i = 0
    while (now := time.time()) < end:
        due = start + i / args.rate
        if due > now:
            time.sleep(due - now)
        files.append()
        i += 1
        now = time.time()
        life = lifetimes[-1]
        if now >= next_sample:
            life.sample()
            next_sample = now + 5
        if now >= next_disturb:
            files.disturb()
            next_disturb = now + 5
        if now >= next_hup and life.daemon.ready_at is not None:  # as systemd: after READY=1
            life.daemon.proc.send_signal(signal.SIGHUP)
            ops["sighup"] += 1
            next_hup = now + args.hup_every
        if now >= next_process:
            threading.Thread(target=life.daemon.cli, args=("process", "lines"), daemon=True).start()
            ops["process"] += 1
            next_process = now + 20
        if now >= next_reprocess:
            key = keys[rng.randrange(len(keys))]
            threading.Thread(target=life.daemon.cli, args=("reprocess", "lines", "--file", key),
                             daemon=True).start()
            ops["reprocess"] += 1
            next_reprocess = now + 45
        if now >= next_kill:
            life.sample()
            life.daemon.proc.send_signal(signal.SIGKILL)
            life.daemon.proc.wait()
            life.daemon.stop()
            ops["kill -9"] += 1
            lifetimes.append(Lifetime(Daemon(root, state, work, processors=PROCESSORS, env=env),
                                      time.time()))
            next_kill = now + args.kill_every
    load_seconds = time.time() - start
    last = lifetimes[-1]
    last.sample()
    # catch up: status says nothing is pending or behind, for every processor
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            _, body = client.request(last.daemon.socket_path, "GET", "/status", timeout=10)
            procs = body["processors"].values()
            if all(p["files_pending"] == 0 and p["bytes_behind"] == 0 for p in procs):
                break
        except (client.DaemonUnavailable, OSError, KeyError):
            pass
        time.sleep(0.5)
    last.daemon.wait_quiet(2.0)
    stop.set()
    rc = last.daemon.stop()
    problems = check(state, files.data)
    once = subprocess.run([sys.executable, "-m", "sessiond", "run", "--once", "--root", str(root),
                           "--state", str(state), "--processors", ",".join(PROCESSORS),
                           "--log-format", "json", "--log-level", "debug"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    leftover = [line for line in once.stdout.splitlines()
                if '"event":"file.appended"' in line or '"event":"file.rewritten"' in line]
    report(args, lifetimes, files, ops, polls, load_seconds, rc, problems, leftover)
    return 0 if not problems and not leftover and rc == 0 else 1


def report(args: argparse.Namespace, lifetimes: list[Lifetime], files: Files, ops: dict[str, int],
           polls: dict[str, int], load_seconds: float, rc: int, problems: list[str],
           leftover: list[str]) -> None:
    commits: dict[str, dict[str, list[tuple[int, float, float]]]] = {}
    errors = restarts = 0
    for life in lifetimes:
        life.daemon.tail.poll()
        events = life.daemon.tail.events
        errors += sum(1 for e in events if e.get("level") == "error")
        restarts += sum(1 for e in events if e.get("event") == "daemon.restarting")
        for proc, by_file in _commits(events).items():
            for key, got in by_file.items():
                commits.setdefault(proc, {}).setdefault(key, []).extend(got)
    start = lifetimes[0].started
    per_minute: dict[int, list[float]] = defaultdict(list)
    lost = 0
    for key, end, t in files.appends:
        # a commit counts for this append only before the file's bytes went (rewrite, delete):
        # later ones are of other content that grew past the same offset
        until = min((x for x in files.lost_at.get(key, ()) if x > t), default=float("inf"))
        got = [_committed_at(commits, p, key, end) for p in PROCESSORS]
        if all(g is not None and g[0] < until for g in got):
            per_minute[int((t - start) // 60)].append(max(g[0] for g in got if g) - t)
        else:
            lost += 1  # its file was rewritten or deleted before a commit reached it
    print(f"\nappends {len(files.appends)} in {load_seconds:.0f} s "
          f"({len(files.appends) / load_seconds:.0f}/s); not timed {lost} (their file was "
          f"rewritten or deleted before a commit reached them)")
    print("file operations: " + ", ".join(f"{k} {v}" for k, v in sorted(files.ops.items())))
    print("daemon operations: " + ", ".join(f"{k} {v}" for k, v in sorted(ops.items()))
          + f"; status+metrics polls {polls['ok']} answered, {polls['failed']} not (daemon down)")
    print("\nminute  appends  p50 ms  p99 ms  max ms   (append -> committed by all processors)")
    for minute in sorted(per_minute):
        lat = per_minute[minute]
        print(f"{minute:6d}  {len(lat):7d}  {pct(lat, 50) * 1000:6.0f}  {pct(lat, 99) * 1000:6.0f}  "
              f"{max(lat) * 1000:6.0f}")
    print("\nlifetime  seconds  RSS MB +60s -> end (growth), max  fds +60s -> end  threads +60s -> "
          "end  CPU s/s")
    for n, life in enumerate(lifetimes):
        warm = [s for s in life.samples if s[0] >= 60]
        if len(warm) < 2:
            print(f"{n:8d}  {life.samples[-1][0] if life.samples else 0:7.0f}  (shorter than warm-up)")
            continue
        first, last = warm[0], warm[-1]
        print(f"{n:8d}  {last[0]:7.0f}  {first[1] / 1e6:6.1f} -> {last[1] / 1e6:6.1f} "
              f"({(last[1] / first[1] - 1) * 100:+.1f} %), {max(s[1] for s in warm) / 1e6:6.1f}  "
              f"{first[2]:4d} -> {last[2]:4d}  "
              f"{first[3]:4d} -> {last[3]:4d}  {last[4] / last[0]:.2f}")
    driver = os.times()
    print(f"the soak driver itself used {(driver.user + driver.system) / load_seconds:.2f} CPU s/s")
    print(f"\nerror-level log events: {errors}; restarts in place (restart_rss): {restarts}; "
          f"SIGTERM exit {rc}; exactly-once check: "
          f"{'OK' if not problems else f'{len(problems)} problems'}; run --once afterwards: "
          f"{'nothing to do' if not leftover else f'{len(leftover)} files read'}")
    for p in problems[:20]:
        print("  " + p)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
