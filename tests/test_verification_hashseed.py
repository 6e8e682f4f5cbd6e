"""The rules' verdicts do not depend on the interpreter's string hash seed.

Python randomises ``str`` hashes per process (``PYTHONHASHSEED``), so iterating over a set of
words can give another order in each daemon, pool worker or reprocess. A rule that picked "the
first" of a set (the word a value is said of, when a token holds several words: "config.yaml")
decided differently from one run to the next. The same turns are judged here in interpreters
with different seeds and must come out the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Values next to a tag of several words ("env:staging", "team:data": one token, not a value): the
# word a value is said of was whichever of the tag's words a set gave first, so whether "90"
# replaced "80" in the same place depended on the seed.
PAIRS = [
    ("The limit is 80 for staging.", "we set 90 for env:staging"),
    ("The window is 7 for analytics.", "we use 30 for team:analytics"),
    ("The retry count is 3 for payments.", "we allow 5 for svc:payments"),
    ("Retention is 14 in production.", "we keep 30 in env:production"),
    ("The quota is 100 per tenant.", "we grant 500 per tier:tenant"),
    ("The timeout is 5 on checkout.", "we wait 10 on route:checkout"),
]

_JUDGE = """
import json, sys
from sessiond.processors.verification.rules import candidates, finish
out = []
for statement, turn in json.load(sys.stdin):
    for c in candidates(turn, 1):
        out.append([c.detection_type, c.title, c.content] if c.lead is None
                   else [c.detection_type, finish(c.lead, statement)])
print(json.dumps(out))
"""


def _judged(seed: str, pairs: list[tuple[str, str]]) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", _JUDGE], input=json.dumps(pairs), env=env,
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_the_verdicts_are_the_same_under_every_hash_seed() -> None:
    pairs = [(s, t) for s, _ in PAIRS for _, t in PAIRS]  # every turn after every statement
    first = _judged("1", pairs)
    assert json.loads(first), "nothing was found: the pairs no longer exercise the rules"
    for seed in ("2", "3", "4", "5"):
        assert _judged(seed, pairs) == first, seed
