"""Train the verification processor's learned judge (`processors/verification/learned.py`) --
``python -m bench.learned [--check] [--leave-out HALF ... | --folds]``.

Trains on the development cases only (`bench.verification.load()` without the held-out half:
the top-level families and the opened rounds `fresh-1/`..., and `bench.ordinary`'s turns,
each a "none"), each case one example (the
assistant statement and the user turn; its family's type, "none" for a near miss), and writes
``learned.json`` beside the module. Multinomial logistic regression by AdaGrad, a fixed number
of passes over the examples in an order shuffled by a seeded generator: the same cases give the
same weights. Weights are rounded and near-zero ones dropped, to keep the file small.

``--check`` trains and compares with the file instead (exit 1 when they differ by more than
rounding): the cases changed and nobody trained again. ``--leave-out`` trains without the
halves named and prints the rules-and-model figures on them (`bench.verification`): the
leave-one-round-out measure of how the judge generalises (``ordinary``: the development ordinary
turns, measured by `bench.ordinary`). With it, ``--add P`` measures another threshold than
`learned.ADD`, ``--veto P`` another than `learned.VETO` (1: almost no veto), ``--veto-marked P``
another than `learned.VETO_MARKED`, ``--retype P`` another than `learned.RETYPE` (above 1:
none) and ``--no-second-look`` the processor without `learned.second_look`: how those choices
were made, reproducibly. ``--folds`` is the same measure
over folds: each set of ordinary turns in turn left out with two opened rounds. ``--sentences``
counts, over the development cases, the corrections and definitions of several fact sentences
that `learned.decide` types right, and in how many the key is in the sentence it gives (with
``--later P`` and ``--shared P`` for other values of `learned.LATER` and `learned.SHARED`).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson

from bench import ordinary
from bench.verification import Family, load
from sessiond.processors.verification import learned
from sessiond.processors.verification.learned import CLASSES, FORMAT, features

OUT = Path(learned.__file__).with_name(learned.WEIGHTS)
PASSES, RATE, L2, SEED = 15, 0.2, 1e-5, 0
MIN_COUNT = 3  # a feature in fewer training examples is left out (a seventh of the file, same figures)
DIGITS, SMALLEST = 3, 5e-4  # rounding, and the largest |weight| a dropped feature may have
TOLERANCE = 2e-3  # --check: retrained weights may differ by float noise across machines


def examples(families: Iterable[Family]) -> list[tuple[list[str], int]]:
    """Each case's features (those in at least `MIN_COUNT` cases) and its class."""
    data = [(features(case.assistant, case.user), CLASSES.index(f.type))
            for f in families for case in f.cases]
    seen = Counter(x for feats, _ in data for x in feats)
    return [([x for x in feats if seen[x] >= MIN_COUNT], label) for feats, label in data]


def train(data: Sequence[tuple[list[str], int]]) -> dict[str, list[float]]:
    """Weights per feature, one per class."""
    k = len(CLASSES)
    w: dict[str, list[float]] = {}
    g: dict[str, list[float]] = {}
    order = list(range(len(data)))
    rng = random.Random(SEED)
    for _ in range(PASSES):
        rng.shuffle(order)
        for n in order:
            feats, label = data[n]
            rows = [w.setdefault(f, [0.0] * k) for f in feats]
            scores = [sum(row[c] for row in rows) for c in range(k)]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            for c in range(k):
                grad = exps[c] / total - (c == label)
                for f, row in zip(feats, rows, strict=True):
                    acc = g.setdefault(f, [0.0] * k)
                    step = grad + L2 * row[c]
                    acc[c] += step * step
                    if acc[c]:
                        row[c] -= RATE * step / math.sqrt(acc[c])
    return w


def compact(w: dict[str, list[float]]) -> dict[str, list[float]]:
    return {f: [round(x, DIGITS) for x in row] for f, row in sorted(w.items())
            if max(abs(x) for x in row) >= SMALLEST}


def document(w: dict[str, list[float]], cases: int) -> bytes:
    return orjson.dumps({"format": FORMAT, "classes": CLASSES, "cases": cases,
                         "trainer": "python -m bench.learned", "weights": w}) + b"\n"


def differs(a: dict[str, list[float]], b: dict[str, list[float]]) -> list[str]:
    """Features whose weights differ by more than `TOLERANCE`, or that only one side has
    (beyond what rounding near `SMALLEST` explains)."""
    out = []
    for f in a.keys() | b.keys():
        x, y = a.get(f, [0.0] * len(CLASSES)), b.get(f, [0.0] * len(CLASSES))
        if any(abs(p - q) > TOLERANCE for p, q in zip(x, y, strict=True)):
            out.append(f)
    return sorted(out)


def development() -> list[Family]:
    """What the model learns from: the development families and the ordinary turns (each a
    "none"; without them the model learned the families' prevalence -- three turns in four a
    verification -- and took "🎉🎉" or "k lmk whne its dnoe" for one: `bench.ordinary`)."""
    return [*load(), *ordinary.load()]


def trained(leave_out: Sequence[str] = ()) -> tuple[dict[str, list[float]], int]:
    return _trained_on(_without(development(), leave_out))


def _set_of(family: Family) -> str:
    """The set of ordinary turns a family belongs to, by its name: ``ordinary43-...`` -> ``ordinary43``."""
    return family.name.split("-", 1)[0]


def _without(families: Sequence[Family], leave_out: Sequence[str]) -> list[Family]:
    """The families but those of the halves ``leave_out`` names -- a round (``fresh-69``), every
    development ordinary turn (``ordinary``), or one set of them (``ordinary43``)."""
    return [f for f in families if f.half not in leave_out
            and not (f.half == ordinary.HALF and _set_of(f) in leave_out)]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--check", action="store_true", help="compare with the file, do not write")
    ap.add_argument("--leave-out", nargs="+", default=(), metavar="HALF",
                    help="train without these halves (a round, 'ordinary', or one set such as 'ordinary43') "
                         "and measure the judge on them")
    ap.add_argument("--seed", type=int, metavar="N",
                    help=f"with --leave-out or --folds: the order of the examples (default {SEED}; the file is "
                         "always trained with the default)")
    ap.add_argument("--add", type=float, metavar="P",
                    help=f"with --leave-out: the judgement's threshold (default {learned.ADD})")
    ap.add_argument("--no-second-look", action="store_true",
                    help="with --leave-out: no second look at the rules' compared corrections")
    ap.add_argument("--veto", type=float, metavar="P",
                    help=f"with --leave-out: the veto's threshold (default {learned.VETO}; 1 for none)")
    ap.add_argument("--veto-marked", type=float, metavar="P",
                    help=f"with --leave-out: the threshold for a lead word (default {learned.VETO_MARKED}; "
                         "above 1 for none)")
    ap.add_argument("--retype", type=float, metavar="P",
                    help=f"with --leave-out: the threshold to retype a rules definition (default {learned.RETYPE}; "
                         "above 1 for none)")
    ap.add_argument("--folds", action="store_true",
                    help="leave out each file set of ordinary turns with two opened rounds in turn; measure them")
    ap.add_argument("--sentences", action="store_true",
                    help="count the multi-sentence turns whose key is in the sentence the judgement gives")
    ap.add_argument("--later", type=float, metavar="P", help=f"with --sentences: learned.LATER (default {learned.LATER})")
    ap.add_argument("--shared", type=float, metavar="P", help=f"with --sentences: learned.SHARED (default {learned.SHARED})")
    args = ap.parse_args(argv)
    if args.sentences:
        return _sentences(args.later, args.shared)
    knobs = (args.add, args.veto, args.veto_marked, args.retype)
    if (any(k is not None for k in knobs) or args.no_second_look or args.seed is not None) \
            and not (args.leave_out or args.folds):
        ap.error("--add, --no-second-look, --veto, --veto-marked, --retype and --seed measure: "
                 "they need --leave-out or --folds")
    if args.leave_out and (unknown := sorted(set(args.leave_out) - _halves())):
        ap.error(f"no such half or set of ordinary turns: {', '.join(unknown)}")
    if any(p is not None and not 0.0 < p <= 1.0 for p in (args.add, args.veto)) \
            or any(p is not None and p <= 0.0 for p in (args.veto_marked, args.retype)):
        ap.error("--add and --veto are probabilities in (0, 1], --veto-marked and --retype numbers above 0")
    if args.leave_out or args.folds:
        _knobs(*knobs, second_look=not args.no_second_look)
        if args.seed is not None:
            _seed(args.seed)
        return _folds() if args.folds else _leave_out(args.leave_out)
    w, cases = trained()
    if args.check:
        kept = orjson.loads(OUT.read_bytes())["weights"]
        wrong = differs(w, kept)
        print(f"{len(w)} features from {cases} cases; {len(wrong)} differ from {OUT.name}"
              + (f": {wrong[:10]}" if wrong else ""))
        return 1 if wrong else 0
    OUT.write_bytes(document(w, cases))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes): {len(w)} features from {cases} cases")
    return 0


def _seed(n: int) -> None:
    """The order of the examples for a measure (`train` reads `SEED` when it runs)."""
    global SEED
    SEED = n


def _halves() -> set[str]:
    """What ``--leave-out`` may name: every half trained on, and each set of ordinary turns."""
    families = development()
    return {f.half for f in families} | {_set_of(f) for f in families if f.half == ordinary.HALF}


def _knobs(add: float | None, veto: float | None, veto_marked: float | None, retype: float | None, *,
           second_look: bool) -> None:
    """A measure's knobs, set on the module: the processor reads their values when it runs."""
    if add is not None:
        learned.ADD = add  # type: ignore[misc]
    if veto is not None:
        learned.VETO = veto  # type: ignore[misc]
    if veto_marked is not None:
        learned.VETO_MARKED = veto_marked  # type: ignore[misc]
    if retype is not None:
        learned.RETYPE = retype  # type: ignore[misc]
    if not second_look:
        learned.second_look = lambda kind, *_: kind  # type: ignore[assignment]


def _use(families: Sequence[Family]) -> int:
    """Train on these and make the processor use those weights; the number of cases."""
    w, cases = _trained_on(families)
    table = {f: tuple(row) for f, row in w.items()}
    learned.weights = lambda: table  # type: ignore[assignment]
    return cases


def _trained_on(families: Sequence[Family]) -> tuple[dict[str, list[float]], int]:
    data = examples(families)
    return compact(train(data)), len(data)


def _settings() -> str:
    second = learned.second_look is not _SECOND_LOOK
    return (f"threshold {learned.ADD}, veto {learned.VETO}, with a lead word {learned.VETO_MARKED}, "
            f"retype {learned.RETYPE}, second look {'off' if second else 'on'}")


_SECOND_LOOK = learned.second_look


def _leave_out(halves: Sequence[str]) -> int:
    """Train without `halves`, then run `bench.verification` (or `bench.ordinary`, for the half
    ``ordinary``) on each with those weights."""
    from bench import verification
    from sessiond.daemon.log import configure

    configure("warning", "json")
    cases = _use(_without(development(), halves))
    print(f"trained on {cases} cases without {', '.join(halves)}; {_settings()}, seed {SEED}")
    families = load(fresh=True)
    for half in halves:
        if half == ordinary.HALF or half.startswith(ordinary.HALF):
            chosen = [f for f in ordinary.load() if half == ordinary.HALF or _set_of(f) == half]
            turns = sum(len(f.cases) for f in chosen)
            ordinary.report(f"{half} turns", turns, ordinary.fired(chosen, judgement=True), details=False)
            continue
        chosen = [f for f in families if f.half == half]
        verification.report(half, verification.run(chosen), details=False)
    return 0


def _sentences(later: float | None, shared: float | None) -> int:
    """`decide`'s choice of sentence, on every development correction and definition of two or
    more fact sentences that it types right (in-sample: the weights were trained on them)."""
    from bench.verification import _norm
    from sessiond.processors.verification.detection import QUOTE_CHARS
    from sessiond.processors.verification.prose import prepare

    if later is not None:
        learned.LATER = later  # type: ignore[misc]
    if shared is not None:
        learned.SHARED = shared  # type: ignore[misc]
    tally = Counter[tuple[str, bool]]()
    for family in load():
        if family.type not in ("correction", "unprompted_definition"):
            continue
        for case in family.cases:
            got = learned.decide(case.assistant, case.user)
            if got is None or got[0] != family.type or not case.key \
                    or len(list(learned._facts(prepare(case.user[:QUOTE_CHARS]), family.type))) < 2:
                continue
            tally[(family.type, _norm(case.key) in _norm(got[2]))] += 1
    print(f"LATER {learned.LATER}, SHARED {learned.SHARED}")
    for kind in ("correction", "unprompted_definition"):
        print(f"  {kind}: {tally[(kind, True)]} of {tally[(kind, True)] + tally[(kind, False)]} with the key "
              "in the sentence given")
    print(f"  all: {sum(n for (_, hit), n in tally.items() if hit)} of {sum(tally.values())}")
    return 0


def _folds() -> int:
    """Leave out each set of development ordinary turns (the files of one writer: ``ordinary2-*``)
    with two opened rounds -- the latest ones, two per set -- train on the rest, and count what
    the processor finds on what was left out: detections on the ordinary turns (each a false
    positive), hits and false positives on the rounds. The veto's thresholds were set so."""
    from bench import verification
    from sessiond.daemon.log import configure

    configure("warning", "json")
    turns = ordinary.load()
    sets = sorted({f.name.split("-", 1)[0] for f in turns})
    rounds = verification.OPENED[-2 * len(sets):]
    families = load()
    total = Counter[str]()
    print(f"{len(sets)} folds; {_settings()}")
    for n, name in enumerate(sets):
        left = [f for f in turns if f.name.split("-", 1)[0] == name]
        pair = rounds[2 * n:2 * n + 2]
        out = {f.name for f in left}  # (family names are unique: `bench.verification._unique`)
        _use([f for f in development() if f.name not in out and f.half not in pair])
        fired = len(ordinary.fired(left, judgement=True))
        scores = verification.run([f for f in families if f.half in pair]).scores.values()
        hits, false = sum(s.hits for s in scores), sum(s.detections - s.true for s in scores)
        total.update(ordinary=fired, turns=sum(len(f.cases) for f in left), hits=hits, false=false)
        print(f"  {name} and {', '.join(pair)}: {fired} detections on {sum(len(f.cases) for f in left)} "
              f"ordinary turns; {hits} hits, {false} false positives")
    print(f"all folds: {total['ordinary']} detections on {total['turns']} ordinary turns; "
          f"{total['hits']} hits, {total['false']} false positives")
    return 0


if __name__ == "__main__":
    sys.exit(main())
