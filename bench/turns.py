"""What verification's rules and learned judgement cost a user turn, outside the daemon --
``python -m bench.turns [--repeat N]``.

Every development family of `bench.verification` (dev, heldout and the opened rounds; never the
held-out half) becomes the session file the evaluation runs, its turns paired with their
statements as the processor pairs them, and each exchange goes through `RulesExtractor.extract`
alone, as one append of one turn would. Prints the best of ``--repeat`` passes in ms a turn and
a digest of every candidate: a change meant to keep the outputs keeps the digest. The machine is
noisy: compare two trees by alternating runs (a `git worktree` of the other commit on
``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Sequence

import orjson

from bench.verification import _lines, load
from sessiond.processors.contract import Record
from sessiond.processors.verification import rules
from sessiond.processors.verification.exchanges import Exchange, pair
from sessiond.processors.verification.turns import turns


def exchanges() -> list[Exchange]:
    out: list[Exchange] = []
    for seq, family in enumerate(load()):
        lines, _, _ = _lines(family, seq)
        records = [Record(family.name, "u", 0, n, orjson.loads(line)) for n, line in enumerate(lines, 1)]
        out += pair(turns(records))[0]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--repeat", type=int, default=3, help="passes; the best is printed (default 3)")
    args = ap.parse_args(argv)
    every = exchanges()
    extractor = rules.RulesExtractor(judgement=True)
    best, found = float("inf"), []
    for _ in range(args.repeat):
        start = time.perf_counter()
        found = [extractor.extract((ex,)) for ex in every]
        best = min(best, time.perf_counter() - start)
    digest = hashlib.sha256(repr(found).encode()).hexdigest()[:16]
    print(f"{len(every)} turns, best of {args.repeat}: {best:.3f} s, {1e3 * best / len(every):.3f} ms a turn; "
          f"candidates digest {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
