"""Entities: the named things a fact is about -- metric names, quoted identifiers, proper terms.

Three kinds, in order of first appearance, deduplicated case-insensitively, at most `LIMIT`:

* metric names from a fixed list (``MRR``, ``churn``, ``NRR`` ...), in their canonical spelling;
* quoted identifiers: text in backticks or quotes that looks like a name (``amount_usd``,
  ``'setup_fee'``, ``fct_revenue``), and bare snake_case / dotted identifiers;
* capitalised terms: acronyms (``FY2026``, ``Q1``) and capitalised words that do not start a
  sentence (``February``, ``Postgres``), joined when adjacent (``Acme Corp``).

Entities feed the fuzzy dedup gate (>= 2 shared entities lowers the similarity bar) and the
advisory ``likely_duplicate`` relations, so they are compared case-insensitively (`key`).
"""

from __future__ import annotations

import re

LIMIT = 12

# Canonical spellings; matched case-insensitively as whole words.
METRICS: tuple[str, ...] = (
    "MRR", "ARR", "NRR", "GRR", "ARPU", "ARPA", "LTV", "CAC", "DAU", "WAU", "MAU", "GMV",
    "NPS", "CSAT", "EBITDA", "COGS", "ACV", "TCV", "AOV", "CTR", "CPC", "CPM", "ROI", "ROAS",
    "churn", "logo churn", "revenue churn", "net revenue retention", "gross margin",
    "burn rate", "runway", "conversion rate", "retention", "bookings", "recognized revenue",
    "deferred revenue", "p95", "p99", "uptime", "error rate", "latency", "throughput",
)
_METRIC = re.compile(
    r"(?<![\w/.-])(" + "|".join(re.escape(m) for m in sorted(METRICS, key=len, reverse=True))
    + r")(?![\w/-]|\.\w)",
    re.IGNORECASE,
)
_CANONICAL = {m.lower(): m for m in METRICS}

_QUOTED = re.compile(r"`([^`\n]{1,80})`|(?<![\w])['\"]([^'\"\n]{1,60})['\"](?![\w])")
_IDENTIFIER = re.compile(r"^[A-Za-z_][\w./:-]*$")
_BARE_IDENT = re.compile(
    r"(?<![\w./-])([\w.-]+(?:/[\w.-]+)+\.[a-z]\w*|[a-z][a-z0-9]*(?:_[a-z0-9]+)+"
    r"|[a-z]\w*(?:\.[a-z]\w*)+)(?![\w-])"
)
_ABBREVIATION = re.compile(r"(?:[a-z]\.)+[a-z]?")  # e.g, i.e
_CAPITAL_RUN = re.compile(r"\b([A-Z][\w&'-]*(?:[ ][A-Z][\w&'-]*)*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*|[-*]\s+|[(\"'`]\s*)$")

STOPWORDS = frozenset({
    "I", "I'm", "I'll", "I've", "I'd", "A", "An", "The", "This", "That", "These", "Those", "It",
    "It's", "We", "We're", "Our", "You", "Your", "They", "Their", "He", "She", "If", "When",
    "And", "But", "Or", "So", "No", "Yes", "Not", "Only", "Also", "Please", "Thanks", "OK", "Ok",
    "FYI", "BTW", "Note", "Actually", "Exactly", "Correct", "Right", "Wrong", "Just", "For",
    "In", "On", "At", "To", "Of", "By", "As", "Is", "Are", "Was", "Were", "Be", "Do", "Does",
    "Don't", "Doesn't", "Isn't", "Aren't", "All", "Any", "Each", "Every", "Some", "Then",
    "There", "Here", "What", "Why", "How", "Which", "Who", "Where", "E.g", "I.e", "Etc",
    "TODO", "NB", "PS",
})


def key(entity: str) -> str:
    """The comparison form of an entity."""
    return entity.casefold()


def _capitalised(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for match in _CAPITAL_RUN.finditer(text):
        start = match.start(1)
        # A capitalised word that starts a sentence is only a term if it is an acronym or
        # one of several capitalised words in a row ("Acme Corp").
        at_start = bool(_SENTENCE_START.search(text[:start]))
        for offset, words in _groups(match.group(1)):
            begin = start + offset
            while words and (words[0] in STOPWORDS
                             or (at_start and len(words) == 1 and not _acronym(words[0]))):
                begin += len(words[0]) + 1
                words = words[1:]
                at_start = False
            at_start = False
            while words and words[-1] in STOPWORDS:
                words = words[:-1]
            term = " ".join(words).rstrip("'-&")
            if len(term) > 1:
                out.append((begin, term))
    return out


def _groups(run: str) -> list[tuple[int, list[str]]]:
    """Split a run of capitalised words after possessives: "Acme Corp's FY2026" -> 2 terms."""
    groups: list[tuple[int, list[str]]] = []
    offset, current_at = 0, 0
    current: list[str] = []
    for word in run.split(" "):
        if not current:
            current_at = offset
        possessive = word.endswith(("'s", "\u2019s"))
        current.append(word[:-2] if possessive else word)
        offset += len(word) + 1
        if possessive:
            groups.append((current_at, current))
            current = []
    if current:
        groups.append((current_at, current))
    return groups


def _acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(word) >= 2 and bool(letters) and all(c.isupper() for c in letters)


def extract(text: str) -> list[str]:
    """The entities of a text, in order of first appearance (see the module docstring)."""
    found: list[tuple[int, str]] = []
    for m in _METRIC.finditer(text):
        found.append((m.start(), _CANONICAL[m.group(1).lower()]))
    for m in _QUOTED.finditer(text):
        inner = (m.group(1) or m.group(2) or "").strip()
        if inner and _IDENTIFIER.match(inner) and len(inner) > 1:
            found.append((m.start(), inner))
    for m in _BARE_IDENT.finditer(text):
        if not _ABBREVIATION.fullmatch(m.group(1)):
            found.append((m.start(), m.group(1)))
    found.extend(_capitalised(text))
    found.sort(key=lambda item: item[0])
    out: list[str] = []
    seen: set[str] = set()
    for _, entity in found:
        k = key(entity)
        if k in seen or any(k in key(e).split() for e in out if " " in e):
            continue
        seen.add(k)
        out.append(entity)
        if len(out) >= LIMIT:
            break
    return out


def shared(a: list[str] | tuple[str, ...], b: list[str] | tuple[str, ...]) -> int:
    """How many entities two lists have in common (case-insensitive)."""
    return len({key(x) for x in a} & {key(x) for x in b})
