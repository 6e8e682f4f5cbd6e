"""Detections: what an extractor finds in one user turn, and the ids and confidences derived.

An extractor turns exchanges into `Candidate`s. A candidate is either *complete* (title and
content known) or a rules `Lead` that still needs the assistant statement it answers (a bare
"yes, exactly" whose statement sits in an earlier append); `finish` completes it once that
statement is known -- in ``process`` when it is in the same append, in ``merge`` otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from sessiond.processors.verification import domain, entities
from sessiond.processors.verification.exchanges import Exchange

DetectionType = Literal["correction", "confirmation", "unprompted_definition"]
DETECTION_TYPES: tuple[DetectionType, ...] = ("correction", "confirmation", "unprompted_definition")

# Fixed by the issue (the original pipeline's table); never taken from an LLM.
CONFIDENCE: dict[str, float] = {
    "correction": 0.90,
    "unprompted_definition": 0.90,
    "confirmation": 0.60,
}

TITLE_CHARS = 120
CONTENT_CHARS = 1200
QUOTE_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Lead:
    """A rules match that needs the assistant statement to decide: a confirmation, a
    correction opened by a weak lead ("no, ...": it corrects a statement, or answers a question),
    or a fact with no lead word (it corrects the statement, or volunteers a definition)."""

    strength: Literal["strong", "weak", "echo", "strong_echo", "mid", "valued", "correction", "contrast", "ordered",
                      "marked", "aside", "plain", "framed", "noted", "told", "partial", "pointed", "warned", "cautioned",
                      "negated", "inside", "learned"]
    # "exactly" / "yes" / "us-east-1, yes" / "exactly -- monthly logo churn" / a confirmation later
    # in a turn or after the person's own check ("mid": it must echo the statement and not
    # contradict it) / "no, X" (a correction if the statement said
    # something) / "X, not Y" (a correction if it contradicts the statement) / "thanks, but X"
    # (a correction if it contradicts the statement or speaks of its claim) / a definition
    # unless it does ("aside": framed; "plain": no frame, and not in answer to the statement) /
    # a definition framed as such ("fwiw X", "house rule - X"): a correction if it contradicts a
    # claim of the statement, not a report of its work ("framed"), and a definition otherwise
    # ("noted"); a value said later in a turn that opened with something else ("told"): a
    # correction if one of its sentences contradicts a claim of the statement; what follows an
    # agreement with one part of the statement ("weekly yes. but it uses net revenue", "- 12 cols
    # correct\n- there are missing values"): a correction of the rest of its claim when it speaks of
    # the statement ("partial"); a source pointed to and what it says ("check the Makefile, it's
    # `make test-unit`"): the same, with no word of the statement needed ("pointed"); a
    # fact after a warning ("careful, X"): a correction as "marked" ("cautioned": not of an action the
    # statement announces, unless it names what to do instead), a definition otherwise ("warned");
    # a negative fact after "no" ("nope, it doesn't detect the B variant"): a confirmation when it
    # says again a negative claim of the statement ("negated"); a value the person found on their
    # own, "too" ("du says 312M here too"): a confirmation of a statement with that value ("valued");
    # an aside of an instruction ("(the dashboards pull from prometheus)"): a correction when it
    # contradicts the statement, not a report of its work ("inside") -- the "aside" otherwise; a fact
    # the instruction rests on, in a clause or a sentence of its own ("move the reminder up, the report
    # is due 3 days after quarter end"): a correction when it contradicts the statement, even its
    # report of work ("ordered"); a turn the rules found nothing in, left for the learned judgement
    # once its statement is known ("learned", `merge`: the candidate's type is a placeholder)
    fact: str | None  # the user's own fact after the phrase, if any


@dataclass(frozen=True, slots=True)
class Candidate:
    line: int  # the user turn's line
    detection_type: DetectionType
    user_quote: str
    title: str | None = None  # None: `lead` must be finished with the statement
    content: str | None = None
    lead: Lead | None = None
    index: int = 0  # the n-th detection of this turn
    extractor: str | None = None  # what found it, when not the extractor asked ("learned")


@dataclass(frozen=True, slots=True)
class Detection:
    """A complete detection: everything a knowledge item and its evidence need."""

    detection_type: DetectionType
    title: str
    content: str
    domain: str
    entities: tuple[str, ...]

    @property
    def item_id(self) -> str:
        return item_id(self.title, self.content)

    @property
    def confidence(self) -> float:
        return CONFIDENCE[self.detection_type]


class Extractor(Protocol):
    """Finds verifications in the exchanges of one append (``rules`` or ``llm``)."""

    name: str

    def extract(self, exchanges: Sequence[Exchange]) -> list[Candidate]: ...


class Finisher(Protocol):
    """Completes a `Lead` once the statement is known; None when it is not a verification."""

    def __call__(self, lead: Lead, statement: str | None) -> tuple[str, str] | None: ...


def item_id(title: str, content: str) -> str:
    """``"kv_" + sha256(title + ":" + content)[:12]`` -- the original pipeline's item id."""
    return "kv_" + hashlib.sha256(f"{title}:{content}".encode()).hexdigest()[:12]


def detection_id(session_file: str, line: int, index: int) -> str:
    return "ev_" + hashlib.sha256(f"{session_file}:{line}:{index}".encode()).hexdigest()[:12]


def usable(title: str, content: str) -> bool:
    """Whether `complete` makes a detection of these (neither is blank)."""
    return bool(title.split()) and bool(content.split())


def complete(detection_type: DetectionType, title: str, content: str) -> Detection | None:
    """Title and content, trimmed, with the domain and entities found in them."""
    if not usable(title, content):
        return None
    title = " ".join(title.split())[:TITLE_CHARS].strip()
    content = " ".join(content.split())[:CONTENT_CHARS].strip()
    text = f"{title}. {content}"
    return Detection(detection_type, title, content, domain.classify(text),
                     tuple(entities.extract(text)))
