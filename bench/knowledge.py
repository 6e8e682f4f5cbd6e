"""The verification merge's cost: a backfill of a tree with planted verifications, then live
appends -- ``python -m bench.knowledge [--files 300] [--appends 40] [--seed 1]``.

The tree: ``--files`` sessions of 8 users, each a conversation in which people correct, confirm
and define facts drawn from families of near-duplicate restatements (so items merge), between
turns of ordinary talk. Printed:

* the backfill of that tree (verification only, from an empty state, in this process): seconds,
  MB/s, detections, knowledge items, relations;
* per live append (one exchange appended to one file, then scanned and committed, as the daemon
  does for a released file): the time inside ``merge`` and the whole commit, median and p90,
  for appends without a detection, with one of a text already said (it joins an existing item),
  and with one of a text nobody said yet (compared with its domain, placed, related).

``--ways`` instead reads the same tree three ways from empty states -- whole, with
``pass_bytes = 20000``, and through the parse pool on every batch -- and prints what each gave
(items, relations, detections) and whether it equals the whole read, table for table.

Only APIs the first version already had are used (`Service`, `scan_now`, `Worker.drain`), so the
same file measures an older checkout for an A/B in the same hour.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from sessiond.daemon.log import configure
from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.verification import VerificationProcessor

FAMILIES = [
    [f"{metric} {verb} {what}." for verb in ("excludes", "excludes the", "excludes all")]
    for metric, what in (("MRR", "one-time setup fees"), ("ARR", "trial revenue"),
                         ("Net revenue", "refunds and chargebacks"),
                         ("The churn rate", "paused accounts"), ("Bookings", "renewals"))
] + [
    [f"{thing} {verb} {place}." for verb in ("runs in", "is deployed in", "runs only in")]
    for thing, place in (("prod", "eu-west-1"), ("the staging cluster", "us-east-2"),
                         ("the billing service", "its own VPC"), ("the warehouse", "Snowflake"))
] + [
    [f"{what} {verb}." for verb in ("start in February", "starts in February",
                                    "start on the first of February")]
    for what in ("Fiscal quarters", "Our fiscal quarters", "The planning cycles")
] + [[f"The `{t}` table stores one row per {g}." , f"`{t}` holds one row per {g}."]
     for t, g in (("fct_mrr", "customer and month"), ("dim_user", "user"),
                  ("fct_orders", "order line"), ("stg_events", "raw event"))]
LEADS = ["no, that's wrong — {}", "Not quite: {}", "FYI {}", "For reference, {}", "yes, {}",
         "correct — {}"]
TALK = ["ok", "go on", "please add a test for that", "what about the edge cases?",
        "can you run the linter", "thanks, looks good"]
CLAIMS = ["MRR is the sum of all invoice lines in the month.", "Done. The tests pass.",
          "Shall I add it to the report?", "The query joins orders to customers by id."]
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


class Session:
    def __init__(self, sid: str, user: str, rng: random.Random) -> None:
        self.sid, self.user, self.rng, self.n = sid, user, rng, 0
        self.t = T0 + timedelta(minutes=rng.randrange(60 * 24 * 20))

    def _rec(self, kind: str, message: dict[str, Any]) -> bytes:
        self.n += 1
        self.t += timedelta(seconds=self.rng.randrange(5, 90))
        rec = {"type": kind, "uuid": f"{self.sid}-{self.n}", "sessionId": self.sid,
               "isSidechain": False, "userType": "external",
               "timestamp": self.t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "message": message}
        return orjson.dumps(rec) + b"\n"

    def exchange(self, *, verify: bool, fresh: str | None = None) -> bytes:
        if fresh is not None:
            text = f"FYI {fresh}"
        elif verify:
            fact = self.rng.choice(self.rng.choice(FAMILIES))
            text = self.rng.choice(LEADS).format(fact[0].lower() + fact[1:])
        else:
            text = self.rng.choice(TALK)
        out = self._rec("user", {"role": "user", "content": text})
        mid = f"msg_{self.sid}_{self.n}"
        for claim in self.rng.sample(CLAIMS, 2):
            out += self._rec("assistant", {"id": mid, "role": "assistant", "model": "claude-sonnet-4-5",
                                           "content": [{"type": "text", "text": claim}],
                                           "usage": {"input_tokens": 10, "output_tokens": 5}})
        return out


def build(root: Path, files: int, seed: int) -> list[Session]:
    rng = random.Random(seed)
    sessions = []
    for i in range(files):
        s = Session(f"s{i:04d}", f"user{i % 8}", rng)
        path = root / s.user / f"{s.sid}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(s.exchange(verify=rng.random() < 0.3) for _ in range(40)))
        sessions.append(s)
    return sessions


class Timed(VerificationProcessor):
    """Records how long each merge takes."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.merges: list[float] = []

    def merge(self, tx: Any, rows: Mapping[str, Any]) -> Mapping[str, Any]:
        started = time.perf_counter()
        try:
            return super().merge(tx, rows)
        finally:
            self.merges.append(time.perf_counter() - started)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def ways(root: Path, tmp: Path) -> None:
    tables = ("knowledge_items", "knowledge_relations", "verification_detections")
    got: dict[str, list[list[tuple[Any, ...]]]] = {}
    for name, options in (("whole", {"parse_workers": 0}),
                          ("pass_bytes=20000", {"parse_workers": 0, "pass_bytes": 20000}),
                          ("pool", {"parse_workers": 2, "parse_min_bytes": 1})):
        state = tmp / f"{name}.duckdb"
        Service(Settings(root=root, state=state, watch=False, **options),
                [VerificationProcessor()]).run_once()
        con = duckdb.connect(str(state), read_only=True)
        got[name] = [sorted(con.execute(f"SELECT * EXCLUDE (created_at) FROM {t}").fetchall(), key=repr)
                     for t in tables]
        con.close()
        same = "same rows as whole" if got[name] == got["whole"] else "DIFFERENT from whole: " + ", ".join(
            t for t, a, b in zip(tables, got[name], got["whole"], strict=True) if a != b)
        print(f"{name:17} items {len(got[name][0]):4}, relations {len(got[name][1]):4}, "
              f"detections {len(got[name][2]):5}: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--appends", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ways", action="store_true", help="compare three ways of reading the tree")
    args = ap.parse_args()
    configure("warning", "json")
    with tempfile.TemporaryDirectory() as tmp:
        root, state = Path(tmp) / "root", Path(tmp) / "state.duckdb"
        sessions = build(root, args.files, args.seed)
        if args.ways:
            ways(root, Path(tmp))
            return
        mb = sum(p.stat().st_size for p in root.rglob("*.jsonl")) / 1e6
        settings = Settings(root=root, state=state, watch=False, parse_workers=0)
        started = time.perf_counter()
        assert Service(settings, [VerificationProcessor()]).run_once() == 0
        seconds = time.perf_counter() - started
        con = duckdb.connect(str(state), read_only=True)
        counts = [con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                  for t in ("verification_detections", "knowledge_items", "knowledge_relations")]
        con.close()
        print(f"backfill: {args.files} files, {mb:.1f} MB, verification only, thread: "
              f"{seconds:.2f} s = {mb / seconds:.1f} MB/s; detections {counts[0]}, "
              f"items {counts[1]}, relations {counts[2]}")
        p = Timed()
        svc = Service(settings, [p])
        worker = svc.workers[p.name]
        rng = random.Random(args.seed + 1)
        nouns = ["ledger", "invoice", "quota", "cohort", "pipeline", "segment", "tier", "region",
                 "warehouse", "dashboard", "forecast", "backlog", "sprint", "tenant", "vendor",
                 "payout", "refund", "coupon", "budget", "webhook", "replica", "shard", "token"]
        verbs = ["excludes", "is rebuilt from", "never counts", "is keyed by", "lags behind",
                 "is reconciled against", "rolls up into", "expires with"]
        for kind in ("without a detection", "with a detection of a known text",
                     "with a detection of a new text"):
            merges, commits = [], []
            for _ in range(args.appends):
                s = rng.choice(sessions)
                a, b, c = rng.sample(nouns, 3)
                fresh = (f"the {a} {rng.choice(verbs)} the {b} of each {c}."
                         if kind.endswith("new text") else None)
                with (root / s.user / f"{s.sid}.jsonl").open("ab") as fh:
                    fh.write(s.exchange(verify=kind != "without a detection", fresh=fresh))
                p.merges.clear()
                started = time.perf_counter()
                svc.scan_now()
                worker.drain()
                commits.append(time.perf_counter() - started)
                merges.extend(p.merges)
            print(f"live append {kind} ({args.appends}): "
                  f"merge median {statistics.median(merges) * 1000:.2f} ms, "
                  f"p90 {pct(merges, 0.9) * 1000:.2f} ms; scan+read+commit median "
                  f"{statistics.median(commits) * 1000:.1f} ms, p90 {pct(commits, 0.9) * 1000:.1f} ms")
        svc.close()


if __name__ == "__main__":
    main()
