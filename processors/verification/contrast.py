"""Contrast: whether a fact said with no lead word corrects the statement it answers.

It does when it sets itself against what was said: "it's keyed by the lockfile hash, not the
branch name" after "The build cache is keyed by branch name." (what it sets aside was said), "setup
fees aren't part of ARR" after "Setup fees are part of ARR." (a negated clause of what was
affirmed), "it exports to GCS" after "The nightly job exports to S3." (another value in the same
place), "we switched to pnpm" after "We use yarn." (a change), "it's only enabled for the beta
cohort" (a restriction) -- always with something the statement did not say. "Dashboards refresh
every 4 hours, not live" after "Starting the dashboard." rejects nothing that was said.

Words are compared as `keys`: content words cut to a stem, so "retries" meets "retry".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from sessiond.processors.verification import marks as mk
from sessiond.processors.verification import prose as pr
from sessiond.processors.verification.phrases import EM, EMOJI, EN
from sessiond.processors.verification.prose import first_sentence

# Negations and changes carry no content of their own: "aren't" must not make a clause new.
_NOT_CONTENT = frozenset([
    "not", "never", "isn't", "aren't", "wasn't", "weren't", "doesn't", "don't", "didn't", "won't",
    "can't", "cannot", "shouldn't", "hasn't", "haven't", "isnt", "arent", "doesnt", "dont",
    "didnt", "wont", "cant", "longer", "anymore", "now", "actually", "instead", "rather", "until",
    "since", "used", "only", "really", "though", "new", *mk.VAGUE,
    # pronouns with their verb, and words that join clauses: no content of their own
    "i'm", "i've", "i'll", "i'd", "you're", "you've", "you'll", "you'd", "we're", "we've", "we'll",
    "we'd", "they're", "they've", "they'll", "they'd", "it's", "it'll", "that's", "there's",
    "he's", "she's", "unless", "without", "while", "whereas", "although", "because", "also", "too",
    # an interjection says how the value struck one, nothing of it: "18 million, wow", "2.3 gigs jeez"
    "wow", "yikes", "jeez", "geez", "sheesh", "lmao", "lol", "oof", "omg", "whoa", "woah", "damn", "dang",
    "ouch", "huh", "hmm", "meh", "ugh", "haha", "welp",
])
_NEGATED = re.compile(
    r"\b(?:not|never|no longer|(?:is|are|was|were|does|do|did|wo|ca|should|has|have|ai)n'?t|cannot)\b|"
    r"^no\s+(?!(?:idea|worries|problem|rush|need|thanks|way|doubt|clue|matter|wonder)\b)\w", re.I)
_STATEMENT_NEGATED = re.compile(rf"{_NEGATED.pattern}|\b(?:nobody|none|nothing|no)\b", re.I)
# After "not": idioms and hedges, not a rejected value ("not sure", "not yet", "not bad").
_NOT_IDIOM = (r"(?!(?:quite|really|exactly|sure|yet|now|bad|necessarily|only|just|at all|that|so|"
              r"too|much|even|entirely|totally|to|a lot|ideal|a problem|an issue|perfect|what|how|"
              r"why|if|for now|for long|anymore|any more|always|everything|all|everyone|"
              r"a big deal|great|ideal|important|relevant|needed|necessary|helpful|urgent)\b)")
_REJECTED = rf"(?P<neg>[^,.;:!?\u2026{EM}{EN}]{{1,40}}?)"
_CONTRASTS = [re.compile(p, re.I) for p in (
    # "not Y, X" / "it's not Y -- it's X" / "not Y but X"
    rf"^(?:(?:it|that|this)'?s\s+|its\s+|(?:it|that|this) is\s+)?not\s+{_NOT_IDIOM}{_REJECTED}"
    rf"\s*(?:[,;:{EM}{EN}]|\s-+|\s+but\b)\s*(?:(?:it|that|this)'?s\s+|its\s+|rather\s+|instead\s+)?"
    r"(?P<pos>\S.*)$",
    # "X, not Y" / "X not Y" (not after an auxiliary: "it is not Y" is a negated clause)
    rf"^(?P<pos>.*?[\w%$)'\"`])(?:\s*,)?\s+(?:and\s+|but\s+)?not\s+{_NOT_IDIOM}{_REJECTED}"
    rf"\s*(?:[,.;:!?\u2026{EM}{EN}]|\s-|$)",
    # "X rather than Y" / "X instead of Y"
    rf"^(?P<pos>.+?)\s+(?:rather than|instead of|as opposed to)\s+{_REJECTED}\s*(?:[,.;:!?\u2026{EM}{EN}]|\s-|$)",
)]
# words of a side, each with its other side: what "X, not Y" may swap when they are all it says
_SIDES = {a: b for x, y in (("before", "after"), ("above", "below"), ("inside", "outside"), ("over", "under"),
                            ("including", "excluding"), ("with", "without"), ("early", "late"), ("earlier", "later"),
                            ("first", "last"), ("in", "out"), ("on", "off"), ("up", "down"), ("pre", "post"),
                            ("inbound", "outbound"), ("upstream", "downstream"), ("ascending", "descending"),
                            ("asc", "desc"), ("min", "max"), ("minimum", "maximum"), ("gross", "net"))
          for a, b in ((x, y), (y, x))}
_AUX_END = re.compile(r"(?:\b(?:is|are|was|were|be|been|do|does|did|can|could|will|would|should|must|"
                      r"may|might|have|has|had|am|i|we|you|they|it|that|this|and|or|if|why|whether|"
                      r"of|to|'s|'re|'ll|'d|s)|'s|'re)$", re.I)
# A change of what was true: "until 2022", "used to", "we moved to ...", "... now".
_CHANGE = re.compile(
    r"\b(?:used to|(?:until|till)(?!\s+then\b)|no longer|not any ?more|anymore|any more|these days|nowadays|already|"
    # chat drops a letter: "we switchd to ...", "movd off ..."
    r"(?:mov|switch|migrat|chang|upgrad|downgrad|bump|renam)e?d\s+(?:(?:it|them|that|this)\s+)?(?:to|off|from|over|away)\b|"
    r"(?:we|they)\s+(?:(?:mov|switch|migrat|replac|remov|retir|deprecat|renam)e?d|dropp?e?d|ripped out|turned off)|"
    r"(?:ripped|tore|took|pulled)\s+(?:it|them)\s+out|got rid of (?:it|them)|"
    # what the statement relies on is gone: "influx was decommissioned", "the v1 API got retired"
    r"(?:was|were|got|has been|have been)\s+(?:decommissioned|retired|deprecated|sunset(?:ted)?|shut down|turned off|"
    r"ripped out|removed|dropped|killed)|"
    r"replaced (?:by|with)|since (?:\d|last|early|late|mid|we|the|q[1-4]|v\d|jan|feb|mar|apr|may|"
    r"jun|jul|aug|sep|oct|nov|dec|spring|summer|autumn|fall|winter))\b|(?<!\bfor )\bnow\s*[.!]?$", re.I)
# what held before "until": "it was 90 days until the audit" (not a step of how things go, "the
# natural range gets none until bottling")
_PAST = re.compile(r"\b(?:was|were|had|did|used to|been)\b", re.I)


def _changed(text: str) -> bool:
    """Whether a sentence says that something changed (`_CHANGE`; "until" after what was)."""
    return any(m.group().lower() not in ("until", "till") or _PAST.search(text, 0, m.start())
               for m in _CHANGE.finditer(text))


_ONLY = re.compile(r"(?<!-)\b(?:only|solely|exclusively)\b(?!-)", re.I)  # not "append-only", "read-only"
_ALSO = re.compile(r"\b(?:also|too|as well(?: as)?|in addition to|besides|plus|not (?:just|only|merely|solely))\b", re.I)
_ANAPHORIC = re.compile(r"^(?:it|its|it'?s|they|they'?re|theyre|that|thats|that'?s|this|those|these)\b",
                        re.I)


def _stem(word: str) -> str:
    """Cut to five letters, a plural -s first: "retries" meets "retry", "names" "name"."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:5]


@lru_cache(maxsize=1 << 14)
def _word_key(word: str) -> str | None:
    """A word's key (`keys`), None for a stopword, a negation, a vague or a short word. Words
    repeat (a statement's words are asked about once per fact answering it): cached."""
    low = word.lower().strip("'")  # "'active'" is "active"
    if low in pr.STOPWORDS or low in _NOT_CONTENT:
        return None
    if len(word) >= 3 or any(c.isdigit() for c in word) or (len(word) == 2 and word.isupper()):
        return _stem(low)
    return None


def keys(text: str) -> set[str]:
    """Content words (`_stem`), without stopwords, negations and vague words."""
    return {k for w in pr.words(text) if (k := _word_key(w)) is not None}


# A value: a number, a code-like token (amount_usd, eu-west-1, v3, S3), an acronym, a name in
# capitals after the first word, or a number word.
_VALUE = re.compile(r"^(?:.*\d.*|[A-Z]{2,}\w*|\w+[_./]\S*|[#@]\w.*|(?:one|two|three|four|five|six|seven|eight|"
                    r"nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|"
                    r"thousand|million|billion|several|many|multiple|single|both|none|"
                    r"daily|weekly|monthly|quarterly|yearly|annual|annually|"
                    r"hourly|nightly|on|off|enabled|disabled|true|false|public|private|sync|async|"
                    r"required|optional|allowed|blocked|included|excluded|gross|net|inner|outer|"
                    r"asc|desc|ascending|descending|upper|lower|min|max|minimum|maximum|local|"
                    r"manual|manually|automatic|automatically|monday|tuesday|wednesday|thursday|"
                    r"friday|saturday|sunday|january|february|march|april|june|july|august|"
                    r"september|october|november|december)s?)$")


# "on"/"off" before a determiner or a number are prepositions ("enabled on the prod instance",
# "has him on 1,840 minutes"), not a switch
_PREPOSITIONS = frozenset(["on", "off"])
_DETERMINERS = frozenset(["the", "a", "an", "our", "their", "its", "my", "your", "this", "that",
                          "these", "those", "every", "each", "all", "any", "some"])
# "one" after a determiner or an adjective, or before "of", stands for a thing, no number: "the last
# one was on 12 August", "it's one of the newer sites"
_ONE = frozenset(["one", "ones"])
_ONE_AFTER = _DETERMINERS | {"which", "no", "another", "last", "first", "next", "other", "same", "new", "old",
                             "only", "right", "wrong", "big", "small", "latest", "current", "previous"}
_I = frozenset(("i", "i'm", "i've", "i'd", "i'll"))  # capitals, and no name: "80 acres, that I know for sure"
_TOKEN = re.compile(r"[#@]?[\w'$%-]+(?:[./:][\w$%-]+|(?<=\d),\d{3}(?!\d)[\w'$%-]*)*")
# ("2.4", "us-east-1", "#alerts", "6,840" whole)


class _Token(NamedTuple):
    low: str
    value: bool  # a value as written or lowercased
    capital: bool  # begins with a capital
    key: str | None  # its first content word's key ("config.yaml": "confi")
    near: bool  # a content word that is no value: what a value is said of


@lru_cache(maxsize=1 << 14)
def _token(tok: str) -> _Token:
    low = tok.lower()
    key = next((k for w in pr.words(tok) if (k := _word_key(w)) is not None), None)
    low_value = _VALUE.match(low) is not None
    return _Token(low, low_value or _VALUE.match(tok) is not None, tok[:1].isupper(), key,
                  not low_value and key is not None)


Value = tuple[str, str | None, str | None]


@lru_cache(maxsize=1024)
def values_in(text: str, every: bool = False) -> tuple[Value, ...]:
    """Each value of ``text`` (or, with ``every``, each content word) with the content words
    around it: (value, before, after). Cached: a statement's sentences are read once per fact
    that answers it."""
    tokens = [_token(t) for t in _TOKEN.findall(text)]
    before: list[str | None] = []  # the nearest content word before each token
    near = None
    for tok in tokens:
        before.append(near)
        if tok.near:
            near = tok.key
    after: list[str | None] = [None] * len(tokens)
    near = None
    for n in range(len(tokens) - 1, -1, -1):
        after[n] = near
        if tokens[n].near:
            near = tokens[n].key
    return tuple((tok.low, before[n], after[n]) for n, tok in enumerate(tokens)
                 if (tok.value and not _word_here(tokens, n)) or (n and tok.capital and tok.low not in _I)
                 or (every and tok.key is not None))


def _word_here(tokens: Sequence[_Token], n: int) -> bool:
    """A value word that is another part of speech where it stands: "on"/"off" before a
    determiner or a number, "off" of "signed off" (an approval), "one" for a thing."""
    low = tokens[n].low
    then = tokens[n + 1].low if n + 1 < len(tokens) else ""
    if low in _PREPOSITIONS:
        return then in _DETERMINERS or then[:1].isdigit() or (
            low == "off" and n > 0 and tokens[n - 1].low in ("sign", "signs", "signed", "signing"))
    return low in _ONE and ((n > 0 and tokens[n - 1].low in _ONE_AFTER) or then == "of")


_SHORT_ANSWER = re.compile(r"^(?:it'?s|its|it is|they'?re|theyre|they are|that'?s|thats|that is)\s+",
                           re.I)


_KINDS = [(kind, re.compile(p, re.I)) for kind, p in (
    ("number", r"(?![^/_]*[/_])(?:.*\d|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
               r"twenty|thirty|forty|fifty|sixty|ninety|hundred|thousand|million|billion|several|"
               r"many|multiple|single|both|none)s?$)"),  # "runs/0412" is a path, no number
    ("frequency", r"(?:daily|weekly|monthly|quarterly|yearly|annual|annually|hourly|nightly)$"),
    ("weekday", r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?$"),
    ("month", r"(?:january|february|march|april|may|june|july|august|september|october|november|"
              r"december)$"),
    ("switch", r"(?:on|off|enabled|disabled|true|false)$"),
    ("code", r".*[_./]|[#@]"),
)]


@lru_cache(maxsize=1 << 14)
def _kind(value: str) -> str | None:
    """What kind of value it is (a number, a frequency, a weekday, ...), for values of the same
    kind to be compared ("monthly" for "weekly"); None for a value that compares with none."""
    return next((kind for kind, rx in _KINDS if rx.match(value)), None)


def has_value(text: str) -> bool:
    """Whether the text names a value of a kind that compares ("monthly", "v3", "30 days")."""
    return any(_kind(v) for v, _, _ in values_in(text))


def _substitutes(first: str, said: Sequence[str], claimed: bool) -> bool:
    """The fact says what a statement said with another value in the same place: "it exports
    to GCS" after "The nightly job exports to S3.", "they run on node 20" after "... Node 16",
    "churn was 4.5%" after "... churn was 3%". A value of another kind than the one it replaces
    needs two words shared with the statement ("it" counts for the statement's subject); a
    bare value ("monthly", "it's 5000") only answers a claim, not a plan ("I'll use v2": "no,
    the v3 one" is an instruction)."""
    mine = values_in(first)
    theirs = [v for s in said for v in values_in(s, every=True)]
    seen = {quantity(v) for v, _, _ in theirs}
    words = {k for k in keys(" ".join(said)) if not _VALUE.match(k)}  # what the values are of
    shared = len(words & keys(first)) + bool(_ANAPHORIC.match(first))
    enough = shared >= min(2, len(words)) or len(pr.words(first)) <= 4
    head = pr.clauses(first)[0]  # "they're 1536 dims, we switched models in june"
    if claimed and (len(pr.words(first)) <= 3 or (_SHORT_ANSWER.match(head) and len(pr.words(head)) <= 6)):
        # "it's 5000 per batch" after "... processes 1000 rows at a time", "monthly" after
        # "... computed weekly": a value for another of its kind
        kinds = {_kind(v) for v, _, _ in values_in(head) if quantity(v) not in seen}
        if kinds & {_kind(v) for s in said for v, _, _ in values_in(s)} - {None}:
            return True
    if claimed and _VALUE_FIRST.match(head) and len(pr.words(head)) <= 6 and not pr.has_verb(head):
        # a bare value for the statement's ("6% since jan" after "The match is 4% of salary.";
        # "45 -> 52pp" after "... is $45 per person": the value the arrow points to)
        arrow = _ARROW.search(head)
        lead = values_in(head[arrow.end():] if arrow else head)[:1]
        if lead and quantity(lead[0][0]) not in seen and _kind(lead[0][0]) == "number" \
                and any(_kind(v) == "number" for s in said for v, _, _ in values_in(s)):
            return True
    status: bool | None = None  # whether the statement is a status (asked once, when it matters)
    for value, before, after in mine:
        if quantity(value) in seen:
            continue
        for other, b, a in theirs:
            if other != value and ((before and b == before) or (after and a == after)) \
                    and (enough or (_kind(value) is not None and _kind(value) == _kind(other))) \
                    and not _same_switch(value, theirs):
                if _kind(value) == "number" and _kind(other) is None and other.islower():
                    # a number for a word of a status is no value set right: "queue says 14 jobs ahead"
                    # after "The training job is queued.", "... is 0.1%" after "The load test script is ready."
                    if _no_value_for(value, other, before, first):
                        continue
                    if status is None:
                        status = any(mk.STATUS.search(s) for s in said)
                    if status:
                        continue
                return True
    return False


def _no_value_for(value: str, other: str, before: str | None, first: str) -> bool:
    """A number in the place of a word of the statement that it does not set right: a word the
    fact still says ("Chillers are checked every 4 hours" after "Temperature checks for the chillers
    are logged."), a count in words ("one name" after "Zone names are imported ..."), a word for
    things ("150" after "I've filed the ATP swab results"), a thing named by its number ("except
    chiller 5 (raw poultry)")."""
    return (other.isalpha() and _word_key(other) in keys(first)) or not any(c.isdigit() for c in value) \
        or (other.endswith("s") and not other.endswith(("ss", "us", "is", "ays"))) \
        or (bool(before) and not _units(first).get(value)
            and re.search(rf"\b{re.escape(before or '')}\w*\s+{re.escape(value)}\b", first, re.I) is not None)


_ARROW = re.compile(r"\s*(?:-+>|=>|\u2192)\s*")
_VALUE_FIRST = re.compile(r"^[~≈<>]?[$£€¥]?\d")
_WE = re.compile(r"^(?:we|we'?ve|we'?re|our)\b", re.I)
_US = re.compile(r"\b(?:we|our|us)\b", re.I)


def _same_subject(first: str, said: Sequence[str]) -> bool:
    """The fact speaks of what the statement spoke of: "it"/"they", or "we" after "We use yarn."."""
    return bool(_ANAPHORIC.match(first) or (_WE.match(first) and any(_US.search(s) for s in said)))


# Prefixes that negate a word ("insensitive", "non-blocking", "unsupported"); "in"- and its
# variants only before five letters or more ("inside" is no negation of "side").
_NEGATING_PREFIX = {"non-": 4, "non": 4, "un": 4, "dis": 4, "in": 5, "im": 5, "ir": 5, "il": 5}
_A_NEGATES = {"sync", "synchronous", "symmetric", "symmetrical", "typical"}


@lru_cache(maxsize=1 << 14)
def _unnegated(word: str) -> frozenset[str]:
    """What ``word`` negates, if it is a word with a negating prefix, also inside a compound:
    "case-insensitive" -> "case-sensitive", "async" -> "sync"."""
    head, dash, tail = word.rpartition("-")
    out = {head + dash + tail[len(p):] for p, n in _NEGATING_PREFIX.items()
           if tail.startswith(p) and len(tail) - len(p) >= n}
    if tail[1:] in _A_NEGATES and tail.startswith("a"):
        out.add(head + dash + tail[1:])
    if head and head in _NEGATING_PREFIX:  # "non-blocking"
        out.add(tail)
    return frozenset(out)


# Words whose opposite is another word, not a prefix (by `_stem`): "runs serially" against "runs in
# parallel", "public" against "private".
_ANTONYMS = dict(pair for a, b in (
    ("seria", "paral"), ("publi", "priva"), ("manua", "autom"), ("befor", "after"), ("gross", "net"),
    ("inclu", "exclu"), ("enabl", "disab"), ("inbou", "outbo"), ("upper", "lower"), ("ascen", "desce"),
    ("minim", "maxim"), ("inter", "exter"), ("optio", "requi"), ("stati", "dynam"), ("hard", "soft"),
    ("physi", "virtu"), ("perma", "tempo"), ("mutab", "immut"), ("encry", "plain"), ("prepa", "postp"),
    ("activ", "passi"), ("singl", "multi"), ("local", "remot"), ("leade", "follo"), ("prima", "secon"),
    ("allow", "block"), ("accep", "rejec"), ("read", "write"), ("read-", "write"),
) for pair in ((a, b), (b, a)))
# more than one opposite: "permits" against "prohibits" and "forbids", "allows" against "prohibits"
_MORE_ANTONYMS = {w: frozenset(o) for w, o in (
    ("permi", ("prohi", "forbi")), ("prohi", ("permi", "allow")), ("forbi", ("permi", "allow")),
    ("allow", ("prohi", "forbi")), ("singl", ("doubl", "tripl")), ("doubl", ("singl",)),
)}


def _opposite(first: str, said: Sequence[str]) -> bool:
    """A word of the fact is a word of the statement negated, or the other way round, or its
    antonym ("serially" for "in parallel")."""
    mine = {w.lower() for w in pr.words(first)}
    theirs = {w.lower() for s in said for w in pr.words(s)}
    for x, y in ((theirs, mine), (mine, theirs)):
        other = x - y
        if other and any(_unnegated(a) & other for a in y - x):
            return True
    new, gone = {_stem(w) for w in mine - theirs}, {_stem(w) for w in theirs - mine}
    return any(_ANTONYMS.get(w) in gone or bool(_MORE_ANTONYMS.get(w, frozenset()) & gone) for w in new)


# What kind of attribute a value sets, for "the same attribute, another value": a day of the
# month and a weekday both say when ("the 25th" for "the last Friday").
_ORDINAL = re.compile(r"^\d{1,2}(?:st|nd|rd|th)$")
_WHEN = frozenset(["weekday", "day"])
_UNIT_AFTER = re.compile(r"^(?:[$\u20ac\u00a3]?\d[\d.,]*)\s*(?:-\s*)?([a-z]{2,})", re.I)


def value_attribute(value: str) -> str | None:
    if _EVERY.fullmatch(value):
        return "frequency"
    kind = "day" if _ORDINAL.match(value) else _kind(value)
    return "when" if kind in _WHEN else kind


def _units(text: str) -> dict[str, str]:
    """Each number of the text with the word after it ("5 seconds", "800ms", "20 days")."""
    out: dict[str, str] = {}
    for m in re.finditer(r"[$\u20ac\u00a3]?\d[\d.,]*\s*-?\s*[a-z]*(?:\s+[a-z]{2,})?", text, re.I):
        u = _UNIT_AFTER.match(m.group())
        num = re.match(r"[$\u20ac\u00a3]?\d[\d.,]*", m.group())
        if num:
            # the word after the number, and the one after it ("3 loading docks": a dock count)
            words = m.group()[num.end():].split()
            # (no unit where a function word follows: "is 30 on that probe")
            out[num.group().rstrip(".,").lower()] = " ".join(_stem(w.lower()) for w in words[:2]) \
                if u and words[0].lower() not in _NOT_A_UNIT else ""
    return out


def _same_place(head: str, placed: dict[str, str], said: Sequence[str]) -> bool:
    """"state is in the s3 backend" after "... stored locally in terraform.tfstate": another value
    after the same preposition, said of the same subject (the fact's first content word)."""
    subject = next((k for w in pr.words(head) if (k := _word_key(w)) is not None), None)
    if subject is None or _VALUE.match(subject):
        return False
    for s in said:
        if subject not in keys(s):
            continue
        theirs = _placed(s)
        if any(theirs.get(prep) not in (None, value) and value not in s.lower() for prep, value in placed.items()):
            return True
        if _moved(head, s):
            return True
    return False


def _near_key(a: str, b: str) -> bool:
    """Two content keys that name the same thing: equal, or one a prefix of the other of four
    letters or more ("week" and "weekl", "hando" and "hands" do not; "payro" and "payro" do)."""
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


# How often, in words: "every two weeks", "twice a month", "biweekly" -- a frequency, as "weekly" is.
_EVERY = re.compile(r"\b(?:every\s+(?:other|second|third|\d+|two|three|four|five|six|ten|fifteen|twenty|thirty)\s+"
                    r"(?:second|minute|hour|day|week|month|quarter|year)s?|"
                    r"(?:once|twice|\d+\s+times)\s+(?:a|per|every)\s+(?:day|week|month|quarter|year)|"
                    r"bi-?weekly|fortnightly|bi-?monthly|semi-?annually)\b", re.I)
# An answer that denies with the statement's own verb left out: "they cannot", "it doesn't".
_ELLIPTIC_NO = re.compile(r"\b(?:it|they|that|this|we|you|he|she)\s+(?:can(?:'?t|not)|won'?t|"
                          r"(?:do|does|is|are|was|were|should|would|could|has|have)n'?t)\s*$", re.I)
# the auxiliary a denial leaves, and what the claim said in its place
_AUX_SAID = {"can": re.compile(r"\bcan\b", re.I), "wo": re.compile(r"\bwill\b", re.I),
             "should": re.compile(r"\bshould\b", re.I), "would": re.compile(r"\bwould\b", re.I),
             "could": re.compile(r"\bcould\b", re.I), "is": re.compile(r"\b(?:is|'s)\b", re.I),
             "are": re.compile(r"\b(?:are|'re)\b", re.I), "was": re.compile(r"\bwas\b", re.I),
             "were": re.compile(r"\bwere\b", re.I), "has": re.compile(r"\b(?:has|have)\b", re.I),
             "have": re.compile(r"\b(?:has|have)\b", re.I)}


def _denied(first: str, said: Sequence[str]) -> bool:
    """A clause of the fact says no with the claim's verb left out -- "for annual contracts they
    cannot" after "Customers can cancel anytime" -- and the claim said it without a negation."""
    m = _ELLIPTIC_NO.search(pr.clauses(first)[0])
    if m is None:
        return False
    word = m.group().split()[-1].lower()
    aux = "can" if word.startswith("can") else word.split("n'")[0]
    rx = _AUX_SAID.get(aux)  # "doesn't", "don't": any verb of the claim
    return any((rx is None or rx.search(s)) and not _STATEMENT_NEGATED.search(s) for s in said)


def _revalued(first: str, said: Sequence[str]) -> bool:
    """The fact gives the attribute a claim set another value of the same kind, speaking of the
    same subject: "staging gets a weekly snapshot" after "The staging database is a nightly
    copy", "uk payroll goes out on the 25th" after "... paid on the last Friday", "it's 5
    seconds" after "... set at 30 seconds". The subject is a content word both share (or "it",
    "they"); a number set against a number keeps its unit ("5 seconds" is no "30 requests")."""
    return any(_revalued_clause(head, said) for head in pr.clauses(first)[:3])


_VERSION_LIKE = re.compile(r"^v\d", re.I)
_CURRENCY = frozenset("$\u20ac\u00a3\u00a5")
# a term's house frame before its verb, no place of it: "GMV in our books is ...", "'MRR' in our reports excludes ..."
_HOUSE_FRAMED = re.compile(r"^((?:[\w'`\"-]+\s+){0,2}?[\w'`\"-]+)\s+(?:in|for|at)\s+our\s+[\w-]+(?:\s+[\w-]+)?,?"
                           r"(?=\s+(?:is|are|means|excludes|includes|counts|covers)\b)", re.I)
# A value after its preposition: "in the s3 backend", "on node 20", "to GCS".
_PLACED = re.compile(r"\b(in|on|at|to|from|via|into|under|through)\s+((?:the|a|an|our|their|its)\s+)?"
                     r"([#@]?[\w'$%-]+(?:[./:][\w$%-]+)*)", re.I)


def _placed(text: str, loose: bool = False) -> dict[str, str]:
    """Each value of the text that follows a preposition, by preposition (with ``loose``, any
    content word after a determiner: "in the gcs bucket" names a place as "in the uploads_tmp
    table" does; "in euros" names none)."""
    out: dict[str, str] = {}
    for prep, det, tok in _PLACED.findall(text):
        token = _token(tok)
        if (token.value or (loose and det and token.key is not None)) and tok.lower() not in _PREPOSITIONS:
            out.setdefault(prep.lower(), tok.lower())
    return out


# a word, then a place after its preposition: "accrues from the filing date"
_VERB_PLACED = re.compile(r"\b([a-z]{3,})\s+" + _PLACED.pattern, re.I)


def _moved(head: str, said: str) -> bool:
    """"interest accrues from the original due date" after "... accrues from the filing date": the
    same word and preposition, another thing after them (a word, not only a value: the word before
    the preposition says it is the same place -- "closer than 3 units to a wall" is no other place
    than "added to the level file")."""
    mine = {(key, prep.lower()): tok.lower() for w, prep, det, tok in _VERB_PLACED.findall(head)
            if det and (key := _word_key(w)) is not None}  # (not "is in the ...": a stopword names no place)
    return bool(mine) and any(
        det and (thing := mine.get((_word_key(w) or "", prep.lower()))) not in (None, tok.lower()) and thing not in said.lower()
        for w, prep, det, tok in _VERB_PLACED.findall(said))


# what a rule requires is no opinion: "termination needs 90 days' notice"
# ... nor what it must be set to: "this production has to start at ABC004513"
_REQUIRES = re.compile(r"\b(?:needs?|requires?|has to|have to|must)\b(?=\s+(?:a\s+|an\s+)?(?:\d|(?:one|two|three|four|"
                       r"five|six|seven|eight|nine|ten)\b)|\s+(?:be\s+)?[a-z]+\s+(?:at|from|by|before|after|within|on|to)\s+"
                       r"[$\u00a3\u20ac]?[\w-]*\d)", re.I)


_SWITCHED_ON = frozenset(["on", "enabled", "true"])
# a number of a name or after a place word, with no unit of its own: "node 20", "breaks on 22", "pump 3"
_LABELLED = re.compile(r"(?:\b(?:on|in|for|with|from|node|version|v|python|java|ios|android|postgres|room|"
                       r"pump|line|step|phase|level|tier|team|build|release|sprint|pr|issue|ticket)|[a-z]\w*[a-z]\s*#?)\s*$",
                       re.I)
_NOT_LABELS = frozenset(["is", "are", "was", "were", "be", "been", "to", "at", "about", "around", "under", "over",
                         "than", "only", "just", "of", "by", "now", "its", "it's", "set", "up", "down",
                         "within", "after", "before", "every", "each", "and", "or", "roughly", "approx",
                         "approximately", "nearly", "almost", "max", "min", "maximum", "minimum", "limit", "like",
                         "least", "most", "the", "a", "an", "per", "takes", "take", "lasts", "needs", "uses", "has",
                         "have", "gets", "get", "keeps", "keep", "holds", "hold", "stores", "store", "runs", "run"])


def _labelled(value: str, text: str) -> bool:
    """Whether a bare number of the text is a name's number ("node 20", "on 22"), not a measure
    left without its unit ("it's 5", "timeout is 45", "set to 45")."""
    at = text.lower().find(value.lower())
    if at <= 0:
        return False
    before = text[:at].split()
    return bool(before) and before[-1].lower() not in _NOT_LABELS and _LABELLED.search(text[:at]) is not None


_YEAR = re.compile(r"(?:19|20)\d\d")
_YEAR_BEFORE = re.compile(r"\b(?:in|since|from|until|till|by|before|after|of|early|late|mid|spring|summer|fall|autumn|"
                          r"winter|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*)\s*$", re.I)


def _same_switch(value: str, theirs: Sequence[Value]) -> bool:
    """A switch the statement also set, the same way ("on" after "enabled"): no other value."""
    return _kind(value) == "switch" and any(
        _kind(o) == "switch" and (o in _SWITCHED_ON) == (value in _SWITCHED_ON) for o, _, _ in theirs)


def _attached(value: str) -> str:
    """The unit written onto a number ("1.4gb": "gb"), or ""."""
    m = _UNIT_AFTER.match(value)
    return m.group(1).lower() if m else ""


def _year_of(value: str, text: str) -> bool:
    """Whether a number of the text is a year ("in 2020", "since 2019")."""
    if not _YEAR.fullmatch(value.rstrip(".,")):
        return False
    at = text.lower().find(value.lower())
    return at > 0 and _YEAR_BEFORE.search(text[:at]) is not None


def _revalued_clause(head: str, said: Sequence[str]) -> bool:
    if _ALSO.search(head) or mk.OPINION.search(_REQUIRES.sub(" ", head)):
        return False  # "it also runs on sundays": adds to the claim
    placed = _placed(_HOUSE_FRAMED.sub(r"\1", head, count=1) if " our " in head else head, loose=True)
    if placed and _same_place(head, placed, said):
        return True
    seen = {quantity(v) for s in said for v, _, _ in values_in(s)}
    mine = [v for v, _, _ in values_in(head) if quantity(v) not in seen and value_attribute(v) is not None]
    if (every := _EVERY.search(head)) is not None and not any(_EVERY.search(s) for s in said):
        mine.append(every.group().lower())
    if not mine:
        return False
    units = _units(head)
    subject = {k for k in keys(head) if not _VALUE.match(k)}
    for s in said:
        theirs = [v for v, _, _ in values_in(s) if value_attribute(v) is not None]
        if not theirs:
            continue
        words = {k for k in keys(s) if not _VALUE.match(k)}
        if not (_ANAPHORIC.match(head) or any(_near_key(a, b) for a in subject for b in words)):
            continue
        their_units = _units(s)
        for value in mine:
            kind = value_attribute(value)
            for other in theirs:
                if value_attribute(other) != kind:
                    continue
                if kind == "switch" and (value in _SWITCHED_ON) == (other in _SWITCHED_ON):
                    continue  # "versioning is on" after "... has versioning enabled": the same state
                if kind == "number":
                    if _year_of(value, head) != _year_of(other, s):
                        continue  # "temporary in 2020" against "16%": a year is no rate
                    u, v = units.get(value.rstrip(".,"), ""), their_units.get(other.rstrip(".,"), "")
                    mu, tu = u or _attached(value), v or _attached(other)
                    if (not mu and tu and (_DIMENSION.get(tu.split()[0]) or not _labelled(other, s))
                        and _labelled(value, head)) \
                            or (not tu and mu and (_DIMENSION.get(mu.split()[0]) or not _labelled(value, head))
                                and _labelled(other, s)):
                        continue  # "node 20", "breaks on 22" against "1.4GB": a name's number is no size
                    if u and v and not any(_near_key(x, y) or x[:2] == y[:2]
                                           for x in u.split() for y in v.split()):
                        continue  # "5 seconds" against "30 requests": another attribute
                    if bool(_VERSION_LIKE.match(value)) != bool(_VERSION_LIKE.match(other)):
                        continue  # "removed in v5" against "three call sites": a version is no count
                    if (value[:1] in _CURRENCY) != (other[:1] in _CURRENCY) \
                            or (value.endswith("%") != other.endswith("%") and (u + v).find("percent") < 0):
                        continue  # "a mismatch over $5" against "42 exceptions": an amount is no count
                return True
    return False


# A number and what it counts or measures: "2.3 million rows", "250 ms", "16 bit", "384-well", "3pm",
# "1.5x", "25%", "six months", "net 45" (the word before when none follows).
_WORD_NUMBERS = {word: str(n) for n, word in (
    (1, "one"), (2, "two"), (3, "three"), (4, "four"), (5, "five"), (6, "six"), (7, "seven"), (8, "eight"),
    (9, "nine"), (10, "ten"), (11, "eleven"), (12, "twelve"), (15, "fifteen"), (20, "twenty"), (30, "thirty"),
    (40, "forty"), (50, "fifty"), (60, "sixty"), (90, "ninety"), (100, "hundred"))}
_NUMBER_WORDS = "|".join(_WORD_NUMBERS)
_MEASURE = re.compile(rf"(?<![\w.,/])(?:[$\u20ac\u00a3]\s?)?(?P<num>-?\d[\d,]*(?:\.\d+)?|(?:{_NUMBER_WORDS})\b)"
                      r"(?P<times>\s*(?:k|m|bn|million|thousand|billion)\b)?"
                      r"(?P<sym>\s*(?:%|x\b|°\s?[cf]\b|[ap]\.?m\b\.?))?"
                      r"(?:-|\s+)?(?P<unit>(?:per\s+)?[a-z]{1,12})?", re.I)
# units of one dimension compare with each other: "250 ms" against "10 seconds"
_DIMENSION = {u: "time" for u in ("ns", "nanosecond", "nanoseconds", "us", "\u00b5s", "\u03bcs", "microsecond",
                                  "microseconds", "ms", "millisecond", "milliseconds", "s", "sec", "secs", "second", "seconds",
                                  "min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour", "hours", "day",
                                  "days", "week", "weeks", "month", "months", "year", "years", "yr", "yrs")}
_DIMENSION.update({u: "size" for u in ("b", "kb", "mb", "gb", "tb", "byte", "bytes", "kib", "mib", "gib")})
_DIMENSION.update({u: "percent" for u in ("%", "percent", "pct")})
_DIMENSION.update({u: "clock" for u in ("am", "pm", "a.m", "p.m", "a.m.", "p.m.")})
_DIMENSION.update({u: "degree" for u in ("degrees", "degree", "°c", "°f", "° c", "° f", "c", "f")})
_DIMENSION.update({"x": "times"})
_NOT_A_UNIT = frozenset(["to", "and", "or", "of", "at", "in", "on", "for", "a", "an", "the", "is", "are", "was", "they",
                         "he", "she", "you", "this", "that", "there", "which", "who", "when", "after", "before", "until",
                         "were", "as", "by", "from", "with", "not", "but", "so", "it", "its", "we", "i", "then",
                         "than", "more", "less", "now", "only", "each", "if", "per"])


_RANGE_TO = re.compile(r"\d\s*(?:to|-|\u2013|and)\s*$", re.I)


@lru_cache(maxsize=1024)
def _measures(text: str) -> tuple[tuple[str, str], ...]:
    """Each number of the text with what it measures (a dimension or a word's key), the number
    normalised ("1,850" -> "1850", "six" -> "6": "Fifteen minutes" is "15 minutes")."""
    out: list[tuple[str, str]] = []
    for m in _MEASURE.finditer(text):
        num = m["num"].replace(",", "").lower()
        num = _WORD_NUMBERS.get(num, num) + (m["times"] or "").strip().lower()
        sym = (m["sym"] or "").strip().lower().replace(" ", "")
        unit = (m["unit"] or "").lower()
        if sym:
            what = _DIMENSION.get(sym.rstrip(".").replace(".", "") if sym not in _DIMENSION else sym, sym)
            what = "clock" if sym[:1] in "ap" else what
        elif unit.startswith("per "):
            what = "per " + _stem(unit[4:])
        elif unit and unit not in _NOT_A_UNIT:
            what = _DIMENSION.get(unit, _stem(unit))
        elif out and _RANGE_TO.search(text[:m.start()]):
            what = out[-1][1]  # "18 to 75": the range's end measures what its start does
        else:
            before = pr.words(text[:m.start()])[-1:]  # "net 45"
            low = before[0].lower() if before else ""
            if len(low) < 2 or low in pr.STOPWORDS or low in _NOT_A_UNIT or any(c.isdigit() for c in low):
                continue
            what = "after " + _stem(low)
        out.append((num, what))
    return tuple(out)


_ANSWERED = re.compile(r"^(?:it|that|this|they|he|she)(?:'s|s| is| was|'re| are| were)\s+(?:actually\s+|really\s+)?"
                       r"(?:(?:a|an|the)\s+)?([\w-]+)\b", re.I)
_PREDICATE = re.compile(r"\b(?:is|was|are|were)\s+(?:a|an|the)\s+([\w-]+)\b", re.I)


def _renamed(first: str, said: Sequence[str]) -> bool:
    """A short answer that names another one than the statement did: "it's a raccoon" after "The
    mascot is a fox.", "that was Priya, Marco was on leave" after "Marco made the change."."""
    head = pr.clauses(first)[0]
    m = _ANSWERED.match(head)
    if m is None or len(pr.words(head)) > 6:
        return False
    word = m.group(1)
    key = _word_key(word)
    theirs = keys(" ".join(said))
    if key is None or key in theirs or _VALUE.match(word.lower()):
        return False
    if word[:1].isupper():  # a name for a name the fact speaks of as well
        names = {w for s in said for w in pr.words(s) if w[:1].isupper() and _word_key(w) is not None}
        return any(w in names for w in pr.words(first[m.end():]))
    return any(_word_key(p) not in (None, key) for s in said for p in _PREDICATE.findall(s))


_DENIAL_WORDS = ("no ", "n't", "not", "never", "zero", "without", "cannot", "nt ")  # a cheap test first
_NONE_OF = re.compile(r"\b(?:no|zero|without)\s+((?:[\w-]+\s+)?[\w-]+)", re.I)


def _affirms_denied(first: str, said: Sequence[str]) -> bool:
    """The fact affirms what the statement said there was none of, or denied: "there are missing
    values, ~3%" after "... and no missing values", "Norway charges import VAT, EEA or not" after
    "Parcels to Norway don't incur import VAT"."""
    head = pr.clauses(first)[0]
    if _NEGATED.search(head):
        return False
    mine = keys(head)
    for s in said:
        low = s.lower()
        if not any(w in low for w in _DENIAL_WORDS):
            continue
        for m in _NONE_OF.finditer(s):
            denied = keys(m.group(1))
            if denied and denied <= mine and keys(first) - keys(s):
                return True
        for clause in pr.clauses(s):
            # "Norway charges import VAT" after "Parcels to Norway don't incur import VAT ..."
            if (no := _NEGATED.search(clause)) is not None and not no.group().lower().startswith("no"):
                after = [k for w in pr.words(clause[no.end():]) if (k := _word_key(w)) is not None][:3]
                if len(after) >= 2 and len(set(after) & mine) >= 2 and len(mine & keys(s)) >= 3 \
                        and keys(first) - keys(s):
                    return True
    return False


def measured(text: str) -> bool:
    """Whether the text gives a number with what it measures ("2 shifts", "250 ms", "net 45")."""
    return bool(_measures(text))


def _renumbered(first: str, said: Sequence[str]) -> bool:
    """The fact gives a number for what a number of the statement measured, another one: "4127
    tests" after "... around 300 tests", "every 250 ms" after "... every 10 seconds", "overheads
    are 25%" after "... overheads at 10%", "net 45" after "... net 30"."""
    mine = _measures(first)
    if not mine:
        return False
    theirs = [m for s in said for m in _measures(s)]
    seen = {n for n, _ in theirs}
    return any(num not in seen and any(what == w and num != n for n, w in theirs) for num, what in mine)


_UNIT_NAMES = {
    **dict.fromkeys(("ns", "nanosecond", "nanoseconds"), "nanosecond"),
    **dict.fromkeys(("us", "\u00b5s", "\u03bcs", "microsecond", "microseconds"), "microsecond"),
    **dict.fromkeys(("ms", "msec", "millisecond", "milliseconds"), "millisecond"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "second"),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), "minute"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hour"),
    **dict.fromkeys(("day", "days"), "day"), **dict.fromkeys(("week", "weeks"), "week"),
    **dict.fromkeys(("month", "months"), "month"), **dict.fromkeys(("year", "years", "yr", "yrs"), "year"),
    **{u: u for u in ("kb", "mb", "gb", "tb", "kib", "mib", "gib", "tib")},
    **dict.fromkeys(("byte", "bytes"), "byte"),
    **dict.fromkeys(("km", "kilometer", "kilometers", "kilometre", "kilometres"), "km"),
    **dict.fromkeys(("mi", "mile", "miles"), "mile"), **dict.fromkeys(("ft", "foot", "feet"), "foot"),
    **dict.fromkeys(("meter", "meters", "metre", "metres"), "meter"),
    **{u: u for u in ("bar", "mbar", "psi", "kpa", "mpa", "atm")},
    **dict.fromkeys(("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"), "kg"),
    **dict.fromkeys(("lb", "lbs"), "lb"), **dict.fromkeys(("oz", "ounce", "ounces"), "oz"),
    **dict.fromkeys(("l", "liter", "liters", "litre", "litres"), "liter"), **dict.fromkeys(("ml", "milliliters", "millilitres"), "ml"),
    **dict.fromkeys(("gal", "gallon", "gallons"), "gallon"),
    **dict.fromkeys(("mm", "millimeter", "millimeters", "millimetre", "millimetres"), "mm"),
    **dict.fromkeys(("cm", "centimeter", "centimeters", "centimetre", "centimetres"), "cm"),
    **dict.fromkeys(("inch", "inches"), "inch"),
}
_LENGTHS = frozenset(("km", "mile", "foot", "meter", "mm", "cm", "inch"))
# the kinds `_DIMENSION` does not have (nor `_renumbered` compare): "1200 bar" after "... 1,200 psi"
_OTHER_DIMENSIONS = {**dict.fromkeys(_LENGTHS, "length"), **dict.fromkeys(("bar", "mbar", "psi", "kpa", "mpa", "atm"), "pressure"),
                     **dict.fromkeys(("kg", "lb", "oz"), "mass"), **dict.fromkeys(("liter", "ml", "gallon"), "volume")}
_UNIT_DIMENSION = {u: _OTHER_DIMENSIONS.get(u) or _DIMENSION.get(u, "size") for u in _UNIT_NAMES.values()}
# a number with its unit, or as a rate of a unit of time: "30 seconds", "512mb", "100 requests per
# minute", "5/min", "$0.75 per cubic foot" (not "5 s3 buckets")
_UNITED = re.compile(r"(?<![\w.,])(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?:(?:[a-z]+\s+){0,2}?(?:per|/|an?|every)\s*"
                     r"(?:(?:cubic|square|sq|cu)\.?\s+)?(?P<rate>[a-z]{1,7})\b|(?P<unit>[a-z\u00b5\u03bc]{1,12})\b(?!\.\w))", re.I)


def _united(text: str) -> set[tuple[str, str, str]]:
    """The numbers of a text written with a unit: (number, unit, "" or "per")."""
    out = set()
    for m in _UNITED.finditer(text):
        word = (m["unit"] or m["rate"] or "").lower()
        if (unit := _UNIT_NAMES.get(word)) is not None:
            out.add((m["num"].replace(",", ""), unit, "per" if m["rate"] else ""))
    return out


def _reunited(first: str, said: Sequence[str]) -> bool:
    """The statement's number, said with another unit of the same kind: "30 minutes" after "The
    timeout is 30 seconds.", "100 per minute per client" after "... 100 requests per second ...",
    "it's 512 MiB" after "... 512 MB ..." (not when the fact says the statement's unit too)."""
    mine = _united(first)
    if not mine:
        return False
    theirs = {u for s in said for u in _united(s)}
    return any(num == n and per == p and unit != u and _UNIT_DIMENSION[unit] == _UNIT_DIMENSION[u]
               and (num, u, per) not in mine
               for num, unit, per in mine for n, u, p in theirs)


def contrasted(text: str) -> bool:
    """Whether a sentence sets something against something else (a negation, "X, not Y",
    "rather than", a change): the shapes `contradicts` reads."""
    return bool(_NEGATED.search(text) or _changed(text)
                or any(rx.search(text) for rx in _CONTRASTS))


def _affirmed(said: Sequence[str], words: set[str]) -> bool:
    """The statement's sentence closest to these words says them without a negation."""
    best = max(said, key=lambda s: len(keys(s) & words))
    return not _STATEMENT_NEGATED.search(best)


# a span of time or numbers: "from 22 until 6", "open from 9 till 5"
_RANGE = re.compile(r"\bfrom\s+\S+(?:\s+\S+)?\s+(?:until|till|til|to)\b", re.I)


def _negates_said(after: str, theirs: set[str]) -> bool:
    """What a negation denies is a word the statement said: "cancelled orders are never included"
    after "... are included" -- not "we never merge dependency bumps on fridays" after "I've
    opened a PR that bumps the dependency versions" (a rule of its own)."""
    for w in pr.words(after)[:3]:
        k = _word_key(w)
        if k is not None:
            # (a compound by any of its words: "never auto-merged" after "merged automatically")
            return k in theirs or ("-" in w and any(_word_key(part) in theirs for part in w.split("-") if part))
    return False


# what may stand between a subject and its "only": "it's only", "the export is only"
_AUX_WORDS = frozenset(["is", "are", "was", "were", "be", "can", "will", "does", "do", "gets", "get",
                        "has", "have", "should", "must"])


def _restricts_subject(first: str, theirs: set[str], said: Sequence[str]) -> bool:
    """"only" restricts what the statement spoke of: right after "it"/"they" or after a word of
    the statement ("is_active only means ...", "it's only enabled for ...") -- not "the EU
    cluster is the only one allowed to ...", "we mean full-time employees only", "our
    sequencing core only runs on tuesdays" after "The sequencing samples are listed ..."."""
    for m in _ONLY.finditer(first):
        if not first[:m.start()].strip() or first[:m.start()].rstrip()[-1] in f",;:{EM}{EN}-":
            # "only" before the subject: "..., only static assets get 24h" -- of what the statement
            # spoke of (not "..., only the apply job can write" after "The Terraform plan shows no changes.")
            if not first[:m.start()].strip() or keys(pr.clauses(first[m.end():])[0]) & theirs:
                return True
            continue
        before = pr.words(first[:m.start()])
        while before and before[-1].lower() in _AUX_WORDS:
            before.pop()
        if not before:
            continue
        word = before[-1]
        if (_ANAPHORIC.match(word) and len(before) == 1) or _word_key(word.lower()) in theirs \
                or (word.isupper() and any(word in pr.words(s) for s in said)):  # "IT only does ..."
            return True
    return False


_EMOJI_BETWEEN = re.compile(rf"(?<=\w)\s+{EMOJI}+\s+(?=\w)")


def _side_swapped(first: str, said: Sequence[str]) -> bool:
    """"it applies before tax, not after", "after, not before -- ...": the side the statement said
    (a word `keys` leaves out) set aside for the other."""
    m = _CONTRASTS[1].search(first)
    if m is None or _AUX_END.search(m["pos"]) or (side := m["neg"].strip().lower()) not in _SIDES:
        return False
    own = {w.lower() for s in said for w in pr.words(s)}
    return side in own and _SIDES[side] not in own and _SIDES[side] in {w.lower() for w in pr.words(m["pos"])}


# what is gone, first: "no more Redux, ..."
_NO_MORE = re.compile(r"^\W*no\s+(?:more|longer)\s+([\w.-]+)\s*[,;:\u2014\u2013-]", re.I)


# a number as people write it: "10,000", "10k", "$1.5m", "2.5 million"
_AMOUNT = re.compile(r"(?<![\w.,])[$\u20ac\u00a3]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?<![\w.,])[$\u20ac\u00a3]?\d+(?:\.\d+)?"
                     r"(?:\s*(?:k|m|bn|thousand|million|billion)\b)?", re.I)
_TIMES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}


def _amount(text: str) -> float | None:
    """The first number of a text as a quantity ("10k" and "10,000" are one), or None."""
    m = _AMOUNT.search(text)
    if m is None:
        return None
    word = m.group().lstrip("$\u20ac\u00a3").replace(",", "")
    number = _LEADING_NUMBER.match(word)
    assert number is not None  # (`_AMOUNT` begins with digits after the currency)
    return float(number.group()) * _TIMES.get(word[number.end():].strip().lower(), 1.0)


_LEADING_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@lru_cache(maxsize=1 << 14)
def quantity(value: str) -> str:
    """A value as the amount it says, however it is written ("92.0" for "92" and "92%", "412000.0"
    for "412k" and "412,000", "15.0" for "fifteen"); any other value as it is."""
    bare = _WORD_NUMBERS.get(value.lower(), value).removesuffix("%")
    return value if _AMOUNT.fullmatch(bare) is None else str(_amount(bare))


# whose word the fact is, at its end: "..., per Raj", "according to the auditors" (no value)
_BY_WHOM = re.compile(r"[,;]?\s*(?:per|according to|says|said|via)\s+(?:the\s+)?[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)?\s*[.!]*$")


def contradicts(fact: str, said: Sequence[str], claimed: bool, framed: bool = False) -> bool:
    """Whether a fact with no lead word rejects what a statement said (``said``: its sentences
    that are not questions; ``claimed``: whether it ends on a claim rather than a plan) -- see
    the module docstring. ``framed``: the fact came as a note or a rule ("fyi ...", "by X we
    mean ..."): another value in a shared place is no contradiction then ("fyi the station API
    returns kelvin" after "The script now pulls the readings from the station API.")."""
    first = _BY_WHOM.sub("", first_sentence(fact))
    if (cut := _EMOJI_BETWEEN.search(first)) is not None and contradicts(first[:cut.start()], said, claimed, framed):
        return True  # "standup is at 10 🙃 nobody would ...": chat ends a sentence with an emoji
    if not said or not first or mk.HEDGE.search(first):
        return False
    theirs, mine = keys(" ".join(said)), keys(first)
    values = {v for v, _, _ in values_in(first)} - {v for s in said for v, _, _ in values_in(s)}
    if " not " in first and _side_swapped(first, said):
        return True
    if (gone := _NO_MORE.match(first)) is not None and _word_key(gone.group(1)) in theirs and len(pr.clauses(first)) > 1 \
            and keys(" ".join(pr.clauses(first)[1:])) - theirs:
        return True  # "No more Redux, we are using Zustand since ..." after "The frontend uses Redux ...": set aside, and what instead
    if claimed and _reunited(first, said) and not mk.OPINION.search(pr.clauses(first)[0]):
        return True  # "30 minutes" after "The timeout is 30 seconds.": the number kept, its unit set right
    if not mine - theirs and not values:
        return False  # nothing new: a restatement, not a correction
    if " not " in first and (said_again := _CONTRASTS[1].search(first)) is not None \
            and (pos := keys(said_again["pos"])) and not pos - theirs and (neg := keys(said_again["neg"])) \
            and not neg & theirs:
        return False  # "the job writes to S3 not GCS" after "The job writes to S3.": said again, aside what was not said
    for n, rx in enumerate(_CONTRASTS):
        m = rx.search(first)
        if m is None or (n == 1 and _AUX_END.search(m["pos"])):
            continue
        rejected = keys(m["neg"])
        if rejected and 3 * len(rejected & theirs) >= 2 * len(rejected) and keys(m["pos"]) - theirs \
                and _affirmed(said, rejected):
            return True
        # chat with no comma: "threshold is 75 now not 50 they raised it in january" -- the value set
        # aside is the statement's
        head = pr.words(m["neg"])[:1]
        aside = _word_key(head[0].lstrip("$\u20ac\u00a3")) if head and _VALUE.match(head[0]) else None
        if aside is not None and keys(m["pos"]) - theirs and (
                aside in {k.lstrip("$\u20ac\u00a3") for k in theirs}
                # "50k not 10k" after "... at 10,000 messages": the same number written otherwise
                or ((amount := _amount(m["neg"])) is not None
                    and amount in {_amount(v) for v in _AMOUNT.findall(" ".join(said))})):
            return True
    for clause in pr.clauses(first):
        if (no := _NEGATED.search(clause)) and pr.has_verb(clause):  # "not by X" is a contrast, above
            own = keys(clause)
            shared = own & theirs
            if shared and (len(shared) >= 3 or 2 * len(shared) >= len(own)) and _affirmed(said, own) \
                    and not (framed and not _negates_said(clause[no.end():], theirs)):
                return True
    subject = next((k for w in pr.words(first) if (k := _word_key(w)) is not None), None)
    if _ONLY.search(first) and not any(_ONLY.search(s) for s in said) and claimed \
            and len(mine & theirs) + bool(_ANAPHORIC.match(first) or subject in theirs) >= 2 \
            and _restricts_subject(first, theirs, said):
        # "it's only enabled for the beta cohort" after "... enabled for everyone.", "is_active only
        # means the account isn't suspended" after "The is_active flag is set when ..."
        return True
    if claimed and mine & theirs and _ALSO.search(first) and any(_ONLY.search(s) for s in said):
        return True  # "MQLs also come from webinar signups" after "... from the website form only."
    if claimed and not mk.OPINION.search(_REQUIRES.sub(" ", pr.clauses(first)[0])) and _renumbered(first, said):
        return True  # "6% since jan" after "The match is 4% of salary."
    if _changed(_RANGE.sub(" ", first)):  # "from 22 until 6" is a span, no change
        return bool(mine & theirs) or (_same_subject(first, said) and claimed)
    if _opposite(first, said) and (mine & theirs or _same_subject(first, said)):
        return True  # "they're case-insensitive" after "User emails are case-sensitive."
    if claimed and (_revalued(first, said) or _denied(first, said) or (not framed and _renamed(first, said))
                    or _affirms_denied(first, said) or (not framed and _recoded(first, said))
                    or _redefined(first, said)):
        return True
    return not framed and not mk.OPINION.search(first) and (_substitutes(first, said, claimed)
                                                          or (claimed and (_recalled(first, said) or _renamed_code(first, said))))


# a name in code: in backticks, or with "_", ".", "/" inside ("ACME_API_KEY", "process.env.API_KEY")
_CODE_NAME = re.compile(r"`([^`\n]{2,60})`|(?<![\w`])([A-Za-z][\w-]*(?:[_./][\w-]+)+)(?![\w`])")
_CODE_PART = re.compile(r"[_./:-]+|(?<=[a-z])(?=[A-Z])")
# "the var is `X`", "in our module it's `X`", "flag key is `X`": a name given for a thing
_NAMED_AS = re.compile(r"^(?:(?:in|for|on)\s+(?:our|the|this)\s+[\w-]+,?\s+)?(?:[\w-]+\s+){0,3}?[\w-]+(?:\s+is|'s|\s+are|'re)\s+(?:called\s+|named\s+)?`", re.I)


def _code_names(text: str) -> list[str]:
    return [a or b for a, b in _CODE_NAME.findall(text)]


def _code_parts(name: str) -> set[str]:
    return {p.lower() for p in _CODE_PART.split(name) if len(p) >= 3}


def _recoded(first: str, said: Sequence[str]) -> bool:
    """The fact names in code what a statement named in code, by another name that shares a part
    of it: "the var is `ACME_API_KEY`" after "... from `process.env.API_KEY`", "in our module it's
    `node_instance_size`" after "... is `instance_type`" -- a name set right."""
    head = pr.clauses(first)[0]
    if "`" not in head or not _NAMED_AS.match(head) or len(pr.words(head)) > 10:
        return False
    theirs = [n for s in said for n in _code_names(s)]
    seen = {n.lower() for n in theirs}
    for mine in _code_names(head):
        if mine.lower() in seen:
            continue
        parts = _code_parts(mine)
        if any(parts & _code_parts(other) and mine.lower() not in other.lower() for other in theirs):
            return True
    return False


# "X means Y", "X = Y", "X stands for Y": a meaning given (what comes before the verb is the
# term, what comes after its meaning)
_MEANS = re.compile(r"^(?P<term>.{1,60}?)\s*(?:\b(?:means|meant|stands for|is short for|refers to|"
                    r"is defined as)\b|(?<![=<>!])=(?![=>]))\s*(?P<meaning>\S.*)$", re.I)


def redefines(fact: str, statement: str) -> bool:
    """Whether the fact's first sentence gives a term of the statement another meaning
    (`_redefined`): a correction by its shape, whatever else it shares with a definition."""
    return _redefined(first_sentence(pr.prepare(fact)), pr.sentences(pr.prepare(statement)))


def _redefined(first: str, said: Sequence[str]) -> bool:
    """The fact gives a meaning for a term the statement gave another one of: "409 means the
    idempotency key was reused" after "HTTP 409 from the billing API means the card was declined.",
    "ghosted = no response to the last 3 CSM emails" after "The 'ghosted' tag in Gainsight means the
    customer churned." -- the same term, a meaning of other words."""
    head = pr.clauses(first)[0]
    mine = _MEANS.match(head)
    if mine is None or _NEGATED.search(head) or _ALSO.search(head) or mk.HEDGE.search(head):
        return False
    term, meaning = keys(mine["term"]), keys(mine["meaning"])
    if not term or len(term) > 3 or not meaning:
        return False
    for s in said:
        theirs = _MEANS.match(s.strip())
        if theirs is None or not term <= keys(theirs["term"]):
            continue
        other = keys(theirs["meaning"])
        if other and 3 * len(meaning & other) <= min(len(meaning), len(other)):
            return True  # (a meaning said again in part is no other meaning)
    return False


# a name as code has it: in backticks, with "_", ".", "/", or hyphens and a digit or two hyphens
# ("platform-pg-main", "acme-sp-64k", "packages/ui")
_CODE_LIKE = re.compile(r"`([^`\n]{2,60})`|(?<![\w`-])((?:[A-Za-z][\w-]*(?:[_./][\w-]+)+)|"
                        r"(?=[\w-]*\d)[A-Za-z][\w]*(?:-[\w]+)+|[a-z][a-z\d]*(?:-[a-z\d]+){2,})(?![\w`-])")


def _renamed_code(first: str, said: Sequence[str]) -> bool:
    """A short fact names by another code name what a claim named by one, of the same thing (a word
    of it shared, or "it"): "the rds identifier is platform-pg-main" after "The primary database
    instance is named `core-db-prod` in RDS.", "we use our own sentencepiece tokenizer, acme-sp-64k"
    after "The tokenizer for the base model is `cl100k_base`."."""
    if "`" not in first and "-" not in first and "_" not in first and "/" not in first and "." not in first:
        return False
    head = pr.clauses(first)[0]
    if len(pr.words(first)) > 12 or _NEGATED.search(first) or _ALSO.search(first) or mk.HEDGE.search(first):
        return False
    mine = [a or b for a, b in _CODE_LIKE.findall(first)]
    if not mine:
        return False
    for s in said:
        theirs = [a or b for a, b in _CODE_LIKE.findall(s)]
        if not theirs or any(m.lower() in s.lower() for m in mine):
            continue
        names = {k for n in theirs + mine for k in keys(n)}
        shared = (keys(first) - names) & (keys(s) - names)
        if shared and all(_sibling(first, s, k) for k in shared):
            continue  # "the staging bucket is logs-staging-eu" after "The prod bucket is `logs-prod`": another one
        if shared or _ANAPHORIC.match(head):
            return True
    return False


def _modifier(text: str, key: str) -> str | None:
    """The content word right before the first word of ``text`` with this key, if any."""
    words = pr.words(text)
    for n, w in enumerate(words):
        if _word_key(w) == key:
            return None if n == 0 else _word_key(words[n - 1])
    return None


def _sibling(first: str, said: str, key: str) -> bool:
    """The word both say is modified differently on each side: another thing of the kind."""
    mine, theirs = _modifier(first, key), _modifier(said, key)
    return mine is not None and theirs is not None and mine != theirs


# "<thing> is <one or two words>": "default branch is main", "it's semicolon-delimited"
_COPULA = re.compile(r"^(?P<subj>[^,;:]{1,60}?)\s*(?:\s(?:is|are)|'s|'re)\s+(?:(?:set to|at|on)\s+)?(?:(?:an?|the)\s+)?"
                     r"(?P<pred>[\w./+-]+(?:\s+[\w./+-]+)?)\s*[.!]*$", re.I)


# a word that describes rather than names (unless joined, as "semicolon-delimited" is)
_DESCRIBED = re.compile(r"^(?:[\w]+\s+)?[a-z]+(?:ed|ing|able|ible|ive|ful|ous|al|ic|ly|less)\s*$")


def _recalled(first: str, said: Sequence[str]) -> bool:
    """The fact names the thing a claim named ("default branch", or "it") with another word for
    what it is: "default branch is main" after "The default branch of the repo is master", "it's
    semicolon-delimited" after "The CSV export is comma-delimited." -- one or two words each,
    none of them said on the other side."""
    clause = pr.clauses(first)[0]
    if " not " in f" {first.lower()} " or _NEGATED.search(first) or mk.STATUS.search(clause) or mk.TROUBLE.search(clause) \
            or (m := _COPULA.match(clause)) is None:
        return False
    if _DESCRIBED.search(m["pred"].rstrip(".")):
        return False  # "the default branch is protected": what it is like, not another name for it
    subj, pred = keys(m["subj"]), keys(m["pred"])
    # ("it's semicolon-delimited", not "that's a useful summary": with "it", a word like a value)
    anaphor = bool(_ANAPHORIC.match(m["subj"])) and " " not in m["pred"] and (
        "-" in m["pred"] or has_value(m["pred"])) and not re.search(r"\b(?:an?|the)\s+\S+\s*[.!]*$", clause, re.I)
    if not pred or (not subj and not anaphor):
        return False
    mine = keys(first)
    for s in said:
        for theirs_clause in pr.clauses(s.rstrip(" .!")):
            t = _COPULA.match(theirs_clause)
            if t is None or _NEGATED.search(theirs_clause):
                continue
            their_subj, their_pred = keys(t["subj"]), keys(t["pred"])
            if not their_pred or their_pred & mine or pred & keys(s):
                continue
            if (subj and subj <= their_subj) or (anaphor and not subj and len(said) == 1):
                return True
    return False
