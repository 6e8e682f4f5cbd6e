"""The knowledge base's near-duplicate search as it grows: ``python -m bench.near_pairs [N]``.

Every commit that brings a new knowledge text holds it against every text of its domain
(`processors.verification.clusters.near_pairs`). Two shapes, on ``N`` generated texts (default
27,000: as many as the full dense corpus's generated prompts make), from a vocabulary of 47
words, spread over 6 domains, 0-3 entities each from a pool of 40, a third of them near
duplicates of an earlier one:

* **backfill** -- the texts arrive in commits of 500, each held against all before it: seconds
  for all ``N``, and the pairs found (a digest, to compare two checkouts);
* **live** -- one new text against the ``N`` known, as a live commit does, after a first call
  (a daemon's caches are warm): median and best of 20, in ms.

The function is imported from ``sessiond``, so an older checkout is measured by pointing
``PYTHONPATH`` at it: ``PYTHONPATH=/path/to/worktree python bench/near_pairs.py``.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import sys
import time

from sessiond.processors.verification import clusters
from sessiond.processors.verification.clusters import Norms, Text

DOMAINS = ("finance", "data", "engineering", "general", "infrastructure", "product")
ENTITIES = tuple(f"{a}{b}" for a in ("Stripe", "Looker", "Airflow", "Snowflake", "Kafka")
                 for b in ("", "DB", "Prod", "EU", "Cloud", "API", "V2", "Ops"))
WORDS = ("cache", "null", "the", "timestamp", "index", "schema", "endpoint", "fiscal", "query",
         "table", "class", "month", "worker", "method", "file", "offset", "daily", "metric",
         "python", "revenue", "invoice", "churn", "cohort", "retention", "deploy", "cluster",
         "region", "replica", "partition", "bucket", "export", "nightly", "batch", "stream",
         "topic", "consumer", "ledger", "refund", "payout", "tax", "quarter", "week", "user",
         "account", "plan", "trial", "seat")


def texts(n: int, seed: int = 7) -> list[Text]:
    """``n`` texts; about a third restate an earlier one of their domain with a word or two
    dropped, changed or added (near duplicates, some only through the entities they share)."""
    rng = random.Random(seed)
    out: list[Text] = []
    for i in range(n):
        if out and rng.random() < 0.35:
            base = out[rng.randrange(len(out))]
            words, domain = base.content.split(), base.domain
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(words))
                op = rng.choice(("drop", "put", "add"))
                if op == "drop" and len(words) > 2:
                    del words[at]
                elif op == "put":
                    words[at] = rng.choice(WORDS)
                else:
                    words.insert(at, rng.choice(WORDS))
            named = [w for w in words if w in ENTITIES]
        else:
            named = rng.sample(ENTITIES, rng.choice((0, 0, 0, 1, 1, 2, 3)))
            words = [*named, *rng.choices(WORDS, k=int(rng.lognormvariate(2.6, 0.5)) + 2)]
            domain = DOMAINS[rng.randrange(len(DOMAINS))]
        content = " ".join(words)
        title = content if len(content) <= 80 else content[:79] + "\u2026"
        out.append(Text(f"kv_{i:012x}", title, content, domain, tuple(named)))
    return out


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 27_000
    all_texts = texts(n + 21)
    known, new = all_texts[:n], all_texts[n:]
    norm = Norms()
    started, pairs, seen = time.perf_counter(), [], []
    for i in range(0, n, 500):
        batch = known[i:i + 500]
        pairs += clusters.near_pairs(batch, seen, norm)
        seen += batch
    backfill = time.perf_counter() - started
    digest = hashlib.sha1(repr(sorted(pairs)).encode()).hexdigest()[:12]
    live = []
    for text in new:  # the first one warms what a running daemon keeps
        t = time.perf_counter()
        clusters.near_pairs([text], known, norm)
        live.append(time.perf_counter() - t)
    live = live[1:]
    print(f"near_pairs from {clusters.__file__}")
    print(f"backfill: {n:,} texts in commits of 500: {backfill:.2f} s, {len(pairs):,} pairs "
          f"(digest {digest})")
    print(f"live: one new text against {n:,}: median {statistics.median(live) * 1000:.1f} ms, "
          f"best {min(live) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
