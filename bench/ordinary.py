"""How often the verification processor fires on ordinary turns --
``python -m bench.ordinary [--cases DIR] [--list]``.

`bench.verification` measures the three moments and their near misses on families where three
turns in four are positives. In a real session almost every turn is none of them: instructions,
questions, "ok", pasted output, plans, complaints. A detector can meet its precision target on
the balanced families and still fill a knowledge base with noise at that prevalence, so this
measures the other side: detections per 1,000 ordinary turns, each one a false positive.

The cases were written by hand, apart from the rules, as `bench.verification`'s are, all of
``type = "none"``: ``bench/verification_ordinary/*.toml`` (``half = "ordinary"``) are
development data -- the learned judgement is trained on them (`bench.learned`) and the rules
were mended on what they showed -- and ``fresh/*.toml`` (``half = "ordinary-fresh"``) is held
out: written by another hand, never read nor trained on, printed as figures only. They run the
same way as `bench.verification`'s families (one session file per family, every other file in two
appends), with the judgement and with the rules alone (``judgement = false``), so the figures
say what each part adds. ``--list`` prints every detection on the development turns with the
turn it came from.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.verification import NONE, Family, Found, _families, _lines, _short, _unique, detect
from sessiond.daemon.log import configure
from sessiond.processors.verification.detection import DETECTION_TYPES

CASES = Path(__file__).parent / "verification_ordinary"
HALF = "ordinary"  # the development turns
FRESH = "ordinary-fresh"  # the held-out ones, in the subfolder ``fresh/``


def load(folder: Path = CASES, *, fresh: bool = False) -> list[Family]:
    """The ordinary families of ``folder/*.toml`` (or, with ``fresh``, ``folder/fresh/*.toml``):
    all of type none, each recorded as its half."""
    half = FRESH if fresh else HALF
    where = folder / "fresh" if fresh else folder
    families = [f for path in sorted(where.glob("*.toml")) for f in _families(path, half)]
    wrong = [f.name for f in families if f.type != NONE or f.half != half]
    if wrong:
        raise ValueError(f"the families in {where} are of type {NONE!r} and half {half!r}: {', '.join(wrong)}")
    _unique(families)
    return families


def fired(families: Sequence[Family], *, judgement: bool) -> list[tuple[Family, str, Found]]:
    """Every detection on these turns: (family, the user turn, the detection)."""
    with tempfile.TemporaryDirectory(prefix="bench-ordinary-") as tmp:
        found = detect(families, Path(tmp), judgement=judgement)
    out = []
    for seq, family in enumerate(families):
        by_line = found.get(family.name, {})
        _, labels, _ = _lines(family, seq)  # the line of each case's turn, as `detect` wrote them
        out += [(family, case.user, d) for line, case in labels.items() for d in by_line.get(line, [])]
    return out


def report(title: str, turns: int, hits: list[tuple[Family, str, Found]], *, details: bool) -> None:
    by_type = Counter(d.detection_type for _, _, d in hits)
    by_extractor = Counter(d.extractor for _, _, d in hits)
    rate = 1000 * len(hits) / turns if turns else 0.0
    print(f"\n{title}: {len(hits)} detections on {turns} ordinary turns = {rate:.1f} per 1,000")
    print("  " + ", ".join(f"{k} {by_type[k]}" for k in DETECTION_TYPES)
          + "; by " + (", ".join(f"{k} {n}" for k, n in sorted(by_extractor.items())) or "nothing"))
    if details:
        for family, user, d in hits:
            print(f"    [{family.name}] {_short(user)!r}\n      -> {d.detection_type} ({d.extractor}): "
                  f"{_short(d.content, 90)!r}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--cases", type=Path, default=CASES, help="the folder of *.toml families")
    ap.add_argument("--list", action="store_true", help="print every detection and its turn")
    args = ap.parse_args(argv)
    configure("warning", "json")
    status = 2
    for fresh in (False, True):
        families = load(args.cases, fresh=fresh)
        name = "held out (fresh/)" if fresh else "development"
        if not families:
            print(f"\n{name}: no families")
            continue
        status = 0
        turns = sum(len(f.cases) for f in families)
        details = args.list and not fresh  # the held-out turns are never printed
        print(f"\n{name}: {len(families)} families, {turns} ordinary turns")
        report("  rules and judgement", turns, fired(families, judgement=True), details=details)
        report("  rules alone", turns, fired(families, judgement=False), details=details)
    return status


if __name__ == "__main__":
    sys.exit(main())
