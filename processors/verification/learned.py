"""A learned second opinion on the rules: a turn they found nothing in may still be a verification.

The phrase rules generalise poorly to phrasings they were not written against (README,
"Verification"): each held-out round lifted by a tuning round moved the *next* writer's figures
by 0.00-0.01. A classifier over the same evaluation data generalises further: trained on all
rounds but one and measured on that one (leave one round out), it finds much of what the rules
miss on the round left out. So the rules decide first, and where no candidate of theirs finished
for a turn that answers a statement, the turn is a detection of the model's most probable type
when the model is at least `ADD` sure -- its content the sentence of the turn the model rates
highest for that type (`LATER`, `SHARED`) among those that state a fact by the rules' own test
(`prose.is_fact`: no question, hedge or instruction; "also post in #data-eng when done" is
none), and none when no sentence does; for a confirmation, the statement's claim, as a bare
"exactly" gets from the rules. With no statement (a session's first turn, an instruction most of the time) the
model does not judge: it was trained on answers to statements only.

It overrules the rules in two ways (`looked_again`). It drops a detection that rests on the
fact alone, with no word of the person's saying what it is, in a turn it is at least `VETO` sure
is none of the three -- news of the moment, a complaint, a change asked of the code. A veto of every rules
detection it rated unlikely (trained on the families alone) cost more hits than false positives
and dropped textbook ones ("no, that's wrong -- MRR excludes one-time setup fees" after "Fixed."):
a "no" or an "exactly" is overruled only when the model is `VETO_MARKED` (0.99) sure. And it
retypes one kind (`retyped`): a rules definition the model is at least `RETYPE` sure is a
correction is one -- a correction said as a warning or a reminder, where the rules found no
value of the statement's set right.

The model is a multinomial logistic regression over sparse binary features of the user turn
(words, word pairs, the first and last words, each later sentence's first words, the shapes
of code it names, its length) and of how it meets the statement (shared words, a number the
statement did not have, the statement asking, the statement reporting the assistant's own work
and the code the turn names after such a report). It is trained by ``python -m bench.learned`` on
the development cases (`bench/verification_cases`, never the held-out half), deterministically,
and kept as data in ``learned.json`` beside this module; ``tests/test_verification_learned.py``
checks that the file is what training gives today.

Deterministic: features in the order they are made (no set iteration), weights read from a
file, the same arithmetic in the same order -- a function of the two texts only, whatever the
hash seed. The statement and the turn a judgement reads are the ones a detection row carries,
so a turn judged when its append is read and one judged at merge time (its statement began in an
earlier append) come out the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any, Final

import orjson

from sessiond.processors.verification.claims import contradicted, echoed_instead, finish, said_again
from sessiond.processors.verification.contrast import redefines
from sessiond.processors.verification.detection import (
    DETECTION_TYPES,
    QUOTE_CHARS,
    DetectionType,
    Lead,
)
from sessiond.processors.verification.phrases import corrects_another
from sessiond.processors.verification.prose import (
    EM,
    EN,
    is_fact,
    mocked,
    prepare,
    sentences,
    title_of,
    upper_first,
)

NAME: Final = "learned"  # the `extractor` of the detections it adds
CLASSES: Final = ("none", "correction", "confirmation", "unprompted_definition")
ADD: Final = 0.8  # an added detection: the model's most probable type at least this sure
# which sentence of a longer turn is the detection's content (`decide`): the one the model rates
# highest for the type, less `LATER` for each fact sentence before it, and for a correction plus
# `SHARED` for each of the statement's words it names (up to 3) -- the sentence that names what
# it sets right ("It's on Thursdays, not Tuesdays." over "Tuesday night is the C1 slot.").
# Of the development halves' 3,762 corrections and definitions of several fact sentences the model
# types right, the key is in the sentence chosen in 3,248 with both at 0, 3,322 with these
# (version 49's weights, `python -m bench.learned --sentences [--later 0 --shared 0]`)
LATER: Final = 0.02
SHARED: Final = 0.1
# a turn with fewer words of its own is left to the rules: the model has nothing of the turn's
# to read in "🎉🎉" or "🚀", and its answer would be what it learned of turns in general
MIN_WORDS: Final = 1
MAX_TOKENS: Final = 200
WEIGHTS: Final = "learned.json"
FORMAT: Final = 1

_TOKEN = re.compile(r"[a-z0-9_']+|[?!:]|\u2014|--|->")
# where a turn's later sentences begin: after an end mark, a line break or a dash between words
# ("thanks for the summary. correct, the cap is 20 -- and run it again"); not `prose.sentences`,
# which reads the rules' prepared text: the model reads the turn's words alone, cheaply
_PARTS = re.compile(r"[.!?;]+\s+|\n+|\s+[-\u2014]+\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# the shapes of code a turn names -- an inline `span`, a call, an operator, camelCase or snake_case,
# a file name -- which the tokens above lose: a review of the assistant's work ("with
# max_retries=3 that's only 2 attempts, use `range(1, n + 1)`") states findings as plain as a fact.
# 24 folds of `bench.learned --folds`: 349 -> 341 detections on 10,830 ordinary turns, 14,068 ->
# 14,079 hits, 772 -> 766 false positives
_SHAPES = (("k:tick", re.compile(r"`[^`\n]+`")), ("k:call", re.compile(r"[A-Za-z_]\w*\(")),
           ("k:op", re.compile(r"[<>!=]=|=>|&&|\|\||\+=")),
           ("k:camel", re.compile(r"\b[a-z]+[A-Z]\w*|\b[A-Z][a-z]+[A-Z]\w*")),
           ("k:snake", re.compile(r"\b[a-z]+_[a-z_]+\b")),
           ("k:file", re.compile(r"\w\.(?:py|js|ts|tsx|go|rs|sql|json|ya?ml|toml|md|txt|csv|tf|sh|rb|java|kt|swift)\b")))
_STOP = frozenset(("the", "a", "an", "is", "are", "was", "were", "of", "to", "in", "on", "for", "and",
                   "or", "it", "that", "this", "be", "with", "as", "at", "by", "from", "we", "i", "you",
                   "our"))


def _lower(text: str) -> str:
    return text.replace("\u2019", "'").lower()


def features(statement: str | None, text: str) -> list[str]:
    """The turn's features, in a fixed order, each once: its own, then how it meets the
    statement."""
    said = _lower(text[:QUOTE_CHARS])
    tokens = _TOKEN.findall(said)[:MAX_TOKENS]
    own = _own(text, said, tokens)
    asked = _lower(statement or "")
    return list(dict.fromkeys(own + _between(asked, said, tokens) + _after_work(asked, own)))


def _words(text: str) -> int:
    """How many words the model reads in a turn (`_TOKEN`'s, not punctuation; a word in a
    script it does not tokenise is no feature of it either)."""
    return sum(1 for t in _TOKEN.findall(_lower(text)) if any(c.isalnum() for c in t))


def _own(text: str, said: str, tokens: list[str]) -> list[str]:
    out = [f"u:{t}" for t in tokens]
    out += [f"b:{a}_{b}" for a, b in pairwise(tokens)]
    out += [f"first:{t}" for t in tokens[:3]]
    if tokens:
        out += [f"f1:{tokens[0]}", f"last:{tokens[-1]}"]
    if len(tokens) > 1:
        out.append(f"f2:{tokens[0]}_{tokens[1]}")
    out.append(f"len:{min(6, int(math.log2(1 + len(tokens))))}")
    # each later sentence's first words: the moment often sits in the middle of a longer turn
    # ("ok. correct, ...", "thanks. no, it's ..."), where `first` does not reach (13 folds of
    # `bench.learned --folds`: 219 -> 201 detections on 5,870 ordinary turns, 7,774 -> 7,775 hits,
    # 484 -> 482 false positives)
    for part in _PARTS.split(said)[1:]:
        opening = _TOKEN.findall(part[:40])[:2]
        if opening:
            out.append(f"s1:{opening[0]}")
            if len(opening) > 1:
                out.append(f"s2:{opening[0]}_{opening[1]}")
    head = text[:QUOTE_CHARS]
    if "```" in head:
        out.append("code")
    out += [name for name, shape in _SHAPES if shape.search(head)]
    if text.lstrip().startswith(">"):
        out.append("quote")
    return out


# the statement reports the assistant's own work ("I've added ...", "Done -- ...", "Here's the
# updated query"): most turns after one review that work, and a finding about the code ("the
# cache key doesn't include the tenant", "end is exclusive here") reads like a fact about the world
_WORK = re.compile(r"\b(?:i'?ve|i have|i)\s+(?:just\s+|now\s+|also\s+)?(?:added|updated|changed|fixed|implemented|"
                   r"wrote|written|created|moved|renamed|removed|deleted|refactored|replaced|wired|switched|rewrote|"
                   r"extracted|split|merged|bumped|migrated|converted|made|set up|cleaned up|pushed|committed|"
                   r"generated|drafted|ran|built|modified|adjusted|tweaked|reworked|dropped|restored|reverted)\b|"
                   r"^\W*(?:done|fixed|updated|added|implemented|all set|all done)\b|"
                   r"\bhere'?s (?:the|an?) (?:updated|new|revised|fixed|diff|query|script|patch|draft|change)")
_CODED: Final = ("code", *(name for name, _ in _SHAPES))


def _after_work(asked: str, own: list[str]) -> list[str]:
    """`_worked` when the statement reports the assistant's work, nothing otherwise."""
    return [] if _WORK.search(asked) is None else _worked(own)


def _worked(own: list[str]) -> list[str]:
    """That the statement reported work, and then each shape of code the turn names (`_SHAPES`):
    a linear model needs the pair to tell "`await` is missing on line 40" after "I've added the
    retry" from the same words after a claim. 24 folds of `bench.learned --folds`: 354 -> 316
    detections on 10,830 ordinary turns, 14,409 -> 14,423 hits, 847 -> 855 false positives."""
    return ["a:work", *(f"x:{f}" for f in own if f in _CODED)]


def _content_words(tokens: Iterable[str]) -> frozenset[str]:
    """Words of three letters or more, but the commonest (`_STOP`), of a lowered text's tokens."""
    return frozenset(w for w in tokens if len(w) > 2 and w not in _STOP)


def _between(asked: str, said: str, tokens: list[str]) -> list[str]:
    """What the statement and the turn share (each set of these is one of `_meetings`)."""
    theirs, mine = _content_words(_TOKEN.findall(asked)), _content_words(tokens)
    shared = len(theirs & mine)
    out = [f"ov:{min(shared, 5)}"]
    if theirs:
        out.append(f"ovr:{min(4, 4 * shared // len(theirs))}")
    their_numbers, my_numbers = set(_NUMBER.findall(asked)), set(_NUMBER.findall(said))
    if my_numbers - their_numbers:
        out.append("newnum")
    if my_numbers & their_numbers:
        out.append("samenum")
    elif my_numbers and their_numbers:
        out.append("othernum")
    if asked.rstrip().endswith("?"):
        out.append("a?")
    return out


def _meetings(numbers: bool) -> list[tuple[str, ...]]:
    """Every set of `_between` features a statement could give a turn (and a few it could not):
    the shared words' count and share, the numbers' (when the turn has one), the question."""
    shares = [("ov:0",)] + [(f"ov:{k}", f"ovr:{j}") for k in range(6) for j in range(5) if j == 0 or k > 0]
    kinds = [(new, same) for new in ((), ("newnum",)) for same in ((), ("samenum",), ("othernum",))] \
        if numbers else [((), ())]
    return [(*share, *new, *same, *asked) for share in shares for new, same in kinds for asked in ((), ("a?",))]


_MEETINGS = {numbers: _meetings(numbers) for numbers in (False, True)}


Weights = Mapping[str, Sequence[float]]


@cache
def weights() -> Weights:
    """The trained weights (``learned.json``): one row of `CLASSES` weights per feature."""
    data, table = read_weights(resources.files(__package__).joinpath(WEIGHTS).read_bytes())
    if data.get("format") != FORMAT or tuple(data.get("classes", ())) != CLASSES:
        raise ValueError(f"{WEIGHTS}: format {data.get('format')!r}, classes {data.get('classes')!r}: "
                         f"expected format {FORMAT} and {CLASSES} (python -m bench.learned)")
    return table


_WEIGHTS_KEY = b'"weights":{'
_ROW = re.compile(rb'"(?:[^"\\]|\\.)*":\[[^\]]*\]')  # "feature":[numbers] -- no string inside
_ROWS_AT_ONCE = 200


def read_weights(raw: bytes) -> tuple[dict[str, Any], dict[str, tuple[float, ...]]]:
    """The file's other fields, and its weights as rows of floats in the file's order.

    Read `_ROWS_AT_ONCE` rows at a time when the weights are the file's last field (as the trainer
    writes it): parsed whole, the 77k rows' lists and floats (~29 MB) stayed with every process
    that reads turns after they were freed (Python's allocator keeps their arenas), where this
    leaves ~15 MB. Equal floats are one object (a few thousand values at three decimals), zeros
    apart: -0.0 == 0.0 as a key would make one the other."""
    at = raw.find(_WEIGHTS_KEY)
    rows = [m.end() for m in _ROW.finditer(raw, at + len(_WEIGHTS_KEY))] if at > 0 else []
    try:
        if not rows or raw[rows[-1]:].strip() != b"}}":
            raise ValueError("not the trainer's layout")
        data = orjson.loads(raw[:at].rstrip().removesuffix(b",") + b"}")
    except ValueError:  # (orjson's error is one) another layout: parsed whole
        data = orjson.loads(raw)
        return data, {k: tuple(v) for k, v in data.pop("weights", {}).items()}
    table: dict[str, tuple[float, ...]] = {}
    same: dict[float, float] = {}
    start = at + len(_WEIGHTS_KEY)
    for i in range(_ROWS_AT_ONCE - 1, len(rows) + _ROWS_AT_ONCE - 1, _ROWS_AT_ONCE):
        end = rows[min(i, len(rows) - 1)]
        for key, row in orjson.loads(b"{" + raw[start:end].lstrip(b",") + b"}").items():
            table[key] = tuple([same.setdefault(w, w) if w else w for w in row])
        start = end
    return data, table


def probabilities(feats: Iterable[str], table: Weights | None = None) -> tuple[float, ...]:
    """P(class) for `CLASSES`, from a turn's features."""
    return _softmax(_scored([0.0] * len(CLASSES), feats, weights() if table is None else table))


def _scored(scores: list[float], feats: Iterable[str], table: Weights) -> list[float]:
    """``scores`` plus the features' weights, added in the features' order."""
    for f in feats:
        row = table.get(f)
        if row is not None:
            for i, w in enumerate(row):
                scores[i] += w
    return scores


def _softmax(scores: list[float]) -> tuple[float, ...]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return tuple(e / total for e in exps)


def judged(statement: str | None, text: str) -> dict[str, float]:
    return dict(zip(CLASSES, probabilities(features(statement, text)), strict=True))


def may_add(quote: str) -> bool:
    """Whether some statement could make `decide` add a detection to this turn. False is exact
    (`sureness_at_most`, less a margin: `_fronts` compares meetings by their weights' margins, which
    may round otherwise than the sums `judged` makes): a turn no statement could make a detection
    of is not kept waiting for its statement."""
    return sureness_at_most(quote) >= ADD - 1e-9  # (a turn in mockery, `decide` refuses: it may wait)


def sureness_at_most(quote: str) -> float:
    """The most probable verification type's probability at its highest over every way a
    statement can meet the turn (`_meetings`, after a report of work or not): an upper bound of
    what `judged` gives the turn after any statement. For each type only the meetings no other
    one beats for it are tried (`_fronts`)."""
    quote = quote[:QUOTE_CHARS]
    said = _lower(quote)
    table = weights()
    # the turn's own features each once, then the statement's, in `features`' order: the same sums
    own = _own(quote, said, _TOKEN.findall(said)[:MAX_TOKENS])
    base = _scored([0.0] * len(CLASSES), dict.fromkeys(own), table)
    works = ((), tuple(_worked(own)))  # after a statement of no work, or of some
    fronts = _fronts(table)[_NUMBER.search(said) is not None]
    return max(_softmax(_scored(list(base), meeting + work, table))[kind]
               for kind, front in enumerate(fronts, 1) for meeting in front for work in works)


_FRONT: tuple[object, dict[bool, tuple[tuple[tuple[str, ...], ...], ...]]] = (None, {})


def _fronts(table: Weights) -> dict[bool, tuple[tuple[tuple[str, ...], ...], ...]]:
    """Per verification type, the meetings whose weights no other meeting's beat for that type
    (with numbers in the turn, and without). A type's probability grows with its score's margin
    over each other class's, and the turn's features and a report of work add the same to every
    meeting: a meeting whose margins are all at most another's never gives the type more. Of 312
    meetings (54 without a number), 27 (19) are tried with version 33's weights: `may_add` 1.0 ->
    0.15 ms a call. Made once per table of weights."""
    global _FRONT
    held = _FRONT
    if held[0] is not table:
        held = (table, {numbers: tuple(_front(_MEETINGS[numbers], table, kind) for kind in range(1, len(CLASSES)))
                        for numbers in (False, True)})
        _FRONT = held
    return held[1]


def _front(meetings: Sequence[tuple[str, ...]], table: Weights, kind: int) -> tuple[tuple[str, ...], ...]:
    """The meetings no other beats for type ``kind``, strongest first; of equal ones, the first."""
    scored = [(tuple(row[kind] - row[k] for k in range(len(CLASSES)) if k != kind), meeting)
              for meeting in meetings for row in [_scored([0.0] * len(CLASSES), meeting, table)]]
    scored.sort(key=lambda m: -sum(m[0]))  # one that beats another has the larger sum
    kept: list[tuple[tuple[float, ...], tuple[str, ...]]] = []
    for margins, meeting in scored:
        if not any(all(a >= b for a, b in zip(other, margins, strict=True)) for other, _ in kept):
            kept.append((margins, meeting))
    return tuple(meeting for _, meeting in kept)


# the rules' corrections that rest on the fact alone, with no word of the person's saying the
# statement is wrong: a contradiction found by comparing ("contrast": "all money in the API is a
# string with two decimals" after "The `money` helper is imported in three places") or a rule a
# story led to ("framed")
_COMPARED: Final = frozenset(("contrast", "framed"))


def second_look(kind: DetectionType, strength: str | None, statement: str, quote: str,
                p: Mapping[str, float]) -> DetectionType:
    """The type of a rules detection, looked at again (``p``: `judged` of the statement and the
    turn): a correction that rests on the fact alone (`_COMPARED`) is a definition when the model
    is at least `ADD` sure the turn is one -- a fact the person volunteers can share words and
    numbers with the statement without setting it right. Never the other way, and never a
    correction the person marked as one ("no, ..."). Leave one round out (rounds 17 to 21): +3
    hits, -3 false positives."""
    if kind != "correction" or strength not in _COMPARED or redefines(quote, statement):
        return kind  # (a term given another meaning than the statement's is set right, not defined anew)
    return "unprompted_definition" if p["unprompted_definition"] >= ADD else kind


# the rules' detections that rest on the fact alone, with no word of the person's saying what
# it is: a fact compared with the statement or with no lead at all ("plain", "contrast"), set
# against it after a challenge, a warning or an instruction ("marked", "cautioned", "ordered"),
# pointed to ("pointed"), a rule a story led to ("framed") -- not "no, ...", "exactly", "FYI ..."
_UNMARKED: Final = frozenset(("plain", "contrast", "marked", "cautioned", "ordered", "partial", "pointed", "framed"))
VETO: Final = 0.9  # a detection of those is dropped when the model is at least this sure of "none"
VETO_MARKED: Final = 0.99  # and one with a lead word ("no", "exactly", "FYI") when it is this sure


def looked_again(kind: DetectionType, strength: str | None, statement: str | None,
                 quote: str) -> DetectionType | None:
    """A finished rules detection as the model sees it, wherever it is finished (`rules._finished`
    when its append is read, `Merger._detection` at merge time), with one judgement of the turn:
    None when the model overrules it, else its type after the `second_look` and `retyped`.

    The veto: a detection that rests on the fact alone (`_UNMARKED`) in a turn the model is at
    least `VETO` sure is none of the three. Trained on ordinary turns too (`bench.ordinary`), the
    model knows "undo, logs are unreadable now" for the instruction and the news of the moment it
    is. Measured leaving out each file of ordinary turns in turn, and five rounds (fresh-26 to
    fresh-30): 65 -> 53 detections on 900 ordinary turns, no hit lost and 3 false positives fewer
    on the rounds; over the definitions' leads too ("noted", "aside", "warned"), or at 0.8, it
    cost 4-7 hits. A detection with a lead word is vetoed only when the model is `VETO_MARKED`
    sure: "40 gigs. right. streaming then. or chunks. ok let me grab coffee" after "The script
    works on the sample file; the full file is 40GB." is thinking aloud, not a confirmation.
    Measured over ten folds (`python -m bench.learned --folds [--veto-marked P]`: a set of 450
    ordinary turns and two rounds left out each): 252 -> 173 detections on 4,500 ordinary turns,
    5,955 -> 5,937 hits, 444 -> 417 false positives on twenty rounds (earlier folds and other
    thresholds: BENCHMARKS.md, twentieth session)."""
    if statement is None or not statement.strip():
        return kind
    quote = quote[:QUOTE_CHARS]
    p = judged(statement, quote)
    if strength not in _UNMARKED:  # (`_COMPARED` is a part of `_UNMARKED`: no second look either)
        return None if p["none"] >= VETO_MARKED else retyped(kind, p)
    return None if p["none"] >= VETO else retyped(second_look(kind, strength, statement, quote, p), p)


RETYPE: Final = 0.9  # a rules definition is a correction when the model is at least this sure of one


def retyped(kind: DetectionType, p: Mapping[str, float]) -> DetectionType:
    """A rules detection's type, but a definition the model is at least `RETYPE` sure is a
    correction is one: the rules read a fact as a definition when they find no value of the
    statement's it sets right, and miss a correction said as a warning or a reminder ("be
    careful, the lightning feed is in UTC like everything else" after a statement that said local
    time; "Reminder: everything in stationdb is Kelvin"), which the model reads by its words. The
    content stays the rules' (the person's fact). Over 29 folds of `python -m bench.learned
    --folds` (the data of version 33): 16,384 -> 16,434 hits, 1,003 -> 965 false positives, the
    ordinary turns' 428 detections unchanged (it drops and adds none); the rounds the rules were
    tuned on (fresh-1 to fresh-10) -1 hit, +1 false positive. Retyping every type to the model's
    (at 0.9): 16,415 and 969; every type but this way: 16,365 and 1,007 -- the model is the better
    judge of a correction's words only. Its failure: "X, not Y" reads as a correction to it after
    any statement ("the build cache is keyed by the lockfile hash, not the branch name" after
    "I'll get started on the cache.": 0.98)."""
    return "correction" if kind == "unprompted_definition" and p["correction"] >= RETYPE else kind


# a sentence that ends saying a part is right: "time and a half is right", "sites and target are
# right", "the pro rata part is right though" -- not "412 sounds right but median age was 41"
_RIGHT = re.compile(r"(?<!\bnot )\b(?:is|are|'s|'re|was|were|looks?|sounds?|seems?)\s+(?:all\s+|also\s+|still\s+)?"
                    r"(?:right|correct|fine|accurate|good)(?:,?\s+(?:though|too|as well|at least|anyway))?[\s.!]*$", re.I)
_DASH = re.compile(rf"\s(?:[{EM}{EN}]|--?)\s+")


# agreement after a question: "really? a seed packet? ...ok yes, pulled the report, ..."
_AGREED = re.compile(r"\b(?:yes|yep|yup|yeah|ok|okay|correct|right|confirmed|confirms|true|indeed|agreed|exactly|checks out|"
                     r"matches)\b|[\u2714\u2705\U0001f44d]", re.I)
_YOURS = re.compile(r"\b(?:you|u|your|ur)\b", re.I)  # the assistant's own words, maybe: "you said 8 but it's 9"
# how things stand for a day or a week: "the auditor is on site all this week"
_THESE_DAYS = re.compile(r"\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening|week)|right now|"
                         r"at the moment|all (?:this )?(?:week|day))\b", re.I)


def _facts(text: str, kind: str) -> Iterable[str]:
    """The sentences of a turn that are facts (the rules' own test, `is_fact`: no question,
    hedge, instruction, status); for a definition, in a sentence that is none, what its dashes
    set apart: a definition given as an aside of an instruction ("skip anything in 'LH' status --
    that's litigation hold, those can never be deleted -- and ...", "post it in #releases -- that
    channel is mirrored to the public Discord -- and cc the docs folks"). Not for a correction:
    after its dash comes the reason more often than the value."""
    for sentence in sentences(text):
        if is_fact(sentence):
            yield sentence
        elif kind == "unprompted_definition":
            yield from (part for part in _DASH.split(sentence)[1:] if part.strip() and is_fact(part))


def decide(statement: str | None, quote: str) -> tuple[DetectionType, str, str] | None:
    """Type, title and content of a turn the rules found nothing in, when the model is at least
    `ADD` sure it is a verification: the sentence it rates highest for that type, or for a
    confirmation the statement's claim (what the rules make of a bare "exactly")."""
    quote = quote[:QUOTE_CHARS]
    if statement is None or not statement.strip() or _words(quote) < MIN_WORDS:
        return None
    p = judged(statement, quote)
    kind: DetectionType = max(DETECTION_TYPES, key=p.__getitem__)
    text = prepare(quote)
    if p[kind] < ADD or mocked(text):
        return None  # not sure enough, or said in mockery (as for the rules: `candidates`)
    if kind == "confirmation":
        said = sentences(text)
        if said and said[0].rstrip().endswith("?") and not _AGREED.search(text):
            return None  # "is it 15 seconds? I thought we'd changed it": the value doubted, nothing agreed to
        done = finish(Lead("strong", None), statement)
        if done is None:
            return None
        # the fact the person says again, when it is another of the statement's than its claim
        # (by a figure only in the first sentence: later ones doubt the others, "$4.10 seems high")
        earlier = next((e for i, part in enumerate(sentences(text))
                        if (e := echoed_instead(part, statement, done[1], figures=i == 0))), None)
        if earlier is not None:
            content = upper_first(earlier)
            return kind, title_of(content), content
        return kind, *done
    best, top = None, -math.inf
    asked = _content_words(_TOKEN.findall(_lower(statement))) if kind == "correction" else frozenset()
    for n, part in enumerate(_facts(text, kind)):
        if kind == "correction" and _RIGHT.search(part) is not None:
            continue  # a correction is not where the turn agrees ("... Time and a half is right.")
        if kind == "unprompted_definition" and _THESE_DAYS.search(head := part.split(",", 1)[0]) and "mean" not in head:
            continue  # how things stand this week is no definition ("FYI the auditor is on site all this week")
        rated = judged(statement, part)[kind] - LATER * n
        if asked:
            rated += SHARED * min(3, len(asked & _content_words(_TOKEN.findall(_lower(part)))))
        if rated > top:
            best, top = part, rated
    if best is None or (kind == "unprompted_definition" and corrects_another(best)):
        return None  # no fact in the person's own words (a request, a question, a paste), or
        # someone else's words set right (`rules.candidates`)
    if kind == "correction" and corrects_another(best) and _YOURS.search(best) is None \
            and not contradicted(best, statement):
        return None  # someone else's words set right, and not the statement's ("the guest claims the
        # pass was €75 but it was €68" after "I've posted the draft reply to the guest's review")
    # the statement found so is neither ("... is 10 Gbps yes, ...", "86 active employees matches
    # payroll."); here a correction that contradicts the statement stays one: the model chose the
    # sentence, and its figure may be the statement's other one ("telehealth is 20 min, same as
    # in-person follow-up" after "follow-ups are 20 min, ... telehealth visits 15 min")
    if said_again(kind, best, quote, statement) and not (kind == "correction" and contradicted(best, statement)):
        return None
    content = upper_first(best)
    return kind, title_of(content), content
