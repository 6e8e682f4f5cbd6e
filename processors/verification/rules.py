"""The offline extractor: phrase patterns on the user's words, plus the statement they answer.

Deterministic and conservative. A user turn is read without fenced code, quoted (``>``) lines and
indented code, so pasted code and logs never match. Then, at the start of the turn:

* correction -- a negation lead ("no, that's wrong —", "not quite:", "actually,", "the correct
  way is ...") followed by a *fact*; "no, use the other file" (an instruction), "no, that's
  wrong" alone and typo fixes ("typo, I meant ...") are not corrections;
* confirmation -- "exactly" / "that's right" / "correct" (strong) or "yes" / "right" (weak).
  A weak one needs a fact of the user's own ("yes, churn is computed monthly"); a strong one
  without one confirms the claim in the assistant statement. Neither fires when there is no
  statement or the statement is an offer or a to-do ("Shall I add it to openapi.yaml?").
  "ok", "sure", "thanks" are acknowledgements and never confirm;
* unprompted_definition -- "FYI", "for reference", "our convention is", "we define X as",
  "by X we mean", "X is defined as" ... at the start of any sentence, followed by a fact.

A *fact* is a declarative sentence: at least three words, not a question, not an imperative,
with a verb of being/meaning/measuring (`FACT_VERB`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sessiond.processors.verification.detection import Candidate, DetectionType, Lead
from sessiond.processors.verification.exchanges import Exchange

SCAN_CHARS = 3000  # long pastes are read only this far: verifications are short and early

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_QUOTE_OR_CODE_LINE = re.compile(r"^(?:>|    |\t).*$", re.MULTILINE)
EM, EN = "\u2014", "\u2013"  # dashes people type between a lead and the fact
_DASH = rf"[,.:;!{EM}{EN}-]"

_TYPO = re.compile(r"^\W*(?:sorry[,.!\s]+)?(?:typo\b|oops\b|i meant\b|i mean\b|\*\w)", re.I)

_CORRECTION_LEADS = [re.compile(p, re.I) for p in (
    # "no, that's wrong —", "nope. that is not right:", "that's incorrect,"
    rf"^(?:(?:no|nope|nah){_DASH}*\s+)?(?:that'?s|that is|this is|it'?s|it is|you'?re|you are)\s+"
    rf"(?:wrong|incorrect|not (?:quite )?(?:right|correct|true|accurate)|mistaken|backwards)"
    rf"(?:\s+(?:here|there))?\s*{_DASH}*\s*",
    rf"^(?:no{_DASH}+\s*)?(?:not quite|not exactly|wrong|incorrect|nope|no)\s*{_DASH}+\s*",
    rf"^(?:no{_DASH}+\s*)?actually{_DASH}+\s*",
    rf"^you(?:'ve| have)? (?:got|have) (?:it|that|this) (?:wrong|backwards|the wrong way round)"
    rf"{_DASH}*\s*",
)]
# Leads that keep their words in the fact: "the correct way is to ...", "it should be ...".
_CORRECTION_KEEP = [re.compile(p, re.I) for p in (
    rf"^(?:no{_DASH}+\s*)?(?=(?:the )?(?:correct|right|proper) (?:way|answer|value|definition|"
    r"formula|term|name|number|figure|approach|field|column|table) (?:is|are)\b)",
    rf"^(?:no{_DASH}+\s*)?(?=it'?s actually\b|it is actually\b|(?:it|that|this) should "
    r"(?:be|have been)\b)",
)]

_STRONG_CONFIRM = re.compile(
    rf"^(?:(?:yes|yeah|yep|yup)\s*{_DASH}*\s*)?(?:exactly|precisely|correct|spot on|absolutely right|"
    rf"that'?s (?:exactly )?(?:right|correct|it|true|exactly right)|that is (?:right|correct)|"
    rf"you'?re right|you are right|right on|confirmed|indeed)(?:\s*{_DASH}+\s*|\s*$)",
    re.I,
)
_WEAK_CONFIRM = re.compile(rf"^(?:yes|yeah|yep|yup|right)\b\s*{_DASH}+\s*", re.I)

_DEFINITION_FRAME = re.compile(
    rf"^(?:fyi|for reference|for context|for the record|just so you know|heads up|"
    rf"note that|keep in mind(?: that)?|btw|by the way|for your information)\b\s*{_DASH}*\s*",
    re.I,
)
_DEFINITION_DIRECT = re.compile(
    r"^(?:(?:our|the)\s+(?:\w+\s+)?(?:convention|rule|policy|standard|definition)\s+"
    r"(?:here\s+)?(?:is|says)\b"
    r"|by convention\b|we define\b|we always\b|we never\b|we call\b|by [\w\s'-]{1,40}? we mean\b"
    r"|when we say\b|[\w\s'`-]{1,60}? is defined as\b|in (?:our|this) (?:team|company|org)\b)",
    re.I,
)
_CONVENTION_PREFIX = re.compile(
    r"^(?:(?:our|the)\s+(?:\w+\s+)?(?:convention|rule|policy|standard)\s+(?:here\s+)?"
    r"(?:is|says)(?:\s+that)?\s*[:,]?\s*|by convention,?\s*)",
    re.I,
)

_QUESTION_START = re.compile(
    r"^(?:what|why|how|when|where|which|who|whom|whose|can|could|would|will|does|do|did|is|are|"
    r"was|were|shall|may|might|have|has|am)\b",
    re.I,
)
_IMPERATIVE_START = re.compile(
    r"^(?:please\b|let'?s\b|(?:just |also |then |now )?(?:use|add|fix|run|re-?run|try|make|change|"
    r"remove|delete|put|check|do|go|commit|rename|move|revert|update|write|create|show|print|"
    r"export|deploy|build|keep|set|call|undo|stop|don'?t|switch|replace|drop|look|open|read|"
    r"install|push|pull|merge|filter|sort|retry|skip|ignore|revert|restore|send|post|file)\b)",
    re.I,
)
FACT_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|isn'?t|aren'?t|wasn'?t|weren'?t|means?|meant|refers? to|"
    r"stands? for|includes?|excludes?|contains?|counts?|starts?|begins?|ends?|runs?|uses?|"
    r"requires?|needs?|has|have|equals?|should|must|cannot|can'?t|never|always|returns?|lives?|"
    r"belongs?|applies|apply|depends?|happens?|comes?|goes|takes?|gets|works|resets?|expires?|"
    r"measures?|tracks?|covers?|represents?|reflects?|corresponds?|maps?|matches|differs?|"
    r"points? to|closes?|renews?|bills?|charges?|reports?|caches?|stores?|owns?|lags?|rolls? up|"
    r"holds?|keeps?|lists?|shows?|sits?|stays?|remains?|exists?|gives?|describes?|tracks?|"
    r"follows?|precedes?|replaces?|overrides?|triggers?|feeds?|drives?|affects?|"
    r"do(?:es)?n'?t|won'?t|will)\b|[=≠≥≤]",
    re.I,
)
_OFFER = re.compile(
    r"^(?:shall|should|may|can|could) (?:i|we)\b|^(?:do|would) you (?:want|like)\b|^want me\b|"
    r"^(?:let me know|tell me|i can|i could|i'?ll|i will|i'?m going to|next,? i)\b|^(?:ready|done)\b",
    re.I,
)
# "I'll proceed on the basis that X", "my understanding is that X": X is the claim, not an offer.
_ASSUMPTION = re.compile(
    r"^(?:(?:so|ok|okay|then)[,]?\s+)?(?:(?:i'?ll|i will|i'?m going to|let me)\s+"
    r"(?:(?:proceed|go ahead|continue|carry on|work)\s+)?(?:on the (?:basis|assumption|understanding)"
    r" that|assuming(?: that)?|assume(?: that)?)|my understanding is(?: that)?|i understand(?: that)?|"
    r"i assume(?: that)?|i'?m assuming(?: that)?|i believe(?: that)?|to confirm|just to confirm|"
    r"just to check)[,:]?\s+",
    re.I,
)
_CLAIM_LEAD_IN = re.compile(r"^[^:]{1,40}:\s+(?=\S)")
_TAG_QUESTION = re.compile(rf"[,\s{EM}{EN}-]*(?:right|correct|is that (?:right|correct)|yes|no)?\s*\?+$",
                           re.I)
# The cheap lookbehind first: it fails at almost every position (3x faster on long turns).
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)\s+(?=\S)")
ACK_ONLY = re.compile(r"^(?:ok(?:ay)?|k|sure|thanks?|thank you|ty|great|cool|nice|perfect|"
                       r"got it|sounds good|lgtm|yes|yeah|yep|yup|no|nope|right)\W*$", re.I)


class RulesExtractor:
    """Phrase patterns + the preceding assistant statement; offline and deterministic."""

    name = "rules"

    def extract(self, exchanges: Sequence[Exchange]) -> list[Candidate]:
        out: list[Candidate] = []
        for ex in exchanges:
            found = detect(ex.user.text, ex.user.line)
            if found is None:
                continue
            if found.lead is not None and ex.known:
                statement = ex.statement.text if ex.statement else None
                done = finish(found.lead, statement)
                if done is None:
                    continue
                found = Candidate(found.line, found.detection_type, found.user_quote, *done)
            out.append(found)
        return out


def prepare(text: str) -> str:
    """The user's own prose: no fenced code, quoted lines or indented code; one line."""
    text = _FENCE.sub(" ", text[:SCAN_CHARS]).replace("\u2019", "'")
    text = _QUOTE_OR_CODE_LINE.sub(" ", text)
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def is_fact(text: str) -> bool:
    """A declarative sentence: >= 3 words, not a question, not an imperative, with a fact verb."""
    first = sentences(text)[0] if text else ""
    words = re.findall(r"[\w'-]+", first)
    if len(words) < 3:
        return False
    if first.rstrip().endswith("?") or _QUESTION_START.match(first) or _IMPERATIVE_START.match(first):
        return False
    return bool(FACT_VERB.search(first))


def _is_statement(text: str) -> bool:
    """Enough for a sentence whose lead is itself definitional ("we define X as Y")."""
    first = sentences(text)[0]
    return len(re.findall(r"[\w'-]+", first)) >= 4 and not first.rstrip().endswith("?")


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text and not text[:1].isupper() else text


def title_of(content: str) -> str:
    """The first clause of the content, without convention boilerplate, at most ~80 chars."""
    first = sentences(content)[0] if content else ""
    first = _CONVENTION_PREFIX.sub("", first).strip()
    for sep in (": ", "; ", f" {EM} ", f" {EN} ", " - ", ", i.e. ", ", e.g. ", " ("):
        head = first.split(sep, 1)[0]
        if head != first and len(head.split()) >= 3:
            first = head
            break
    if len(first) > 80:
        cut = first[:80].rsplit(" ", 1)[0]
        first = cut + "…"
    return _upper_first(first.rstrip(" .,;:!"))


def _fact_after(text: str, lead: re.Match[str]) -> str | None:
    rest = text[lead.end():].lstrip(f" ,.;:!{EM}{EN}-").rstrip()
    return rest if rest and is_fact(rest) else None


def _candidate(line: int, kind: DetectionType, quote: str, fact: str) -> Candidate:
    content = _upper_first(fact)
    return Candidate(line, kind, quote, title_of(content), content)


def detect(raw: str, line: int = 0) -> Candidate | None:
    """What one user turn says on its own: a complete candidate, a `Lead`, or nothing."""
    text = prepare(raw)
    quote = raw.strip()
    if not text or ACK_ONLY.match(text) or _TYPO.match(text):
        return None
    for pattern in _CORRECTION_KEEP:
        m = pattern.match(text)
        if m and (fact := _fact_after(text, m)):
            return _candidate(line, "correction", quote, fact)
    for pattern in _CORRECTION_LEADS:
        m = pattern.match(text)
        if m:
            fact = _fact_after(text, m)
            if fact is None or _TYPO.match(fact):
                return None  # a bare "no, that's wrong", or an instruction: not knowledge
            return _candidate(line, "correction", quote, fact)
    m = _STRONG_CONFIRM.match(text)
    if m:
        return Candidate(line, "confirmation", quote, lead=Lead("strong", _fact_after(text, m)))
    m = _WEAK_CONFIRM.match(text)
    if m:
        fact = _fact_after(text, m)
        return Candidate(line, "confirmation", quote, lead=Lead("weak", fact)) if fact else None
    for sentence_start in _sentence_starts(text):
        rest = text[sentence_start:]
        frame = _DEFINITION_FRAME.match(rest)
        if frame:
            fact = _fact_after(rest, frame)
            if fact:
                return _candidate(line, "unprompted_definition", quote, fact)
            continue
        if _DEFINITION_DIRECT.match(rest) and _is_statement(rest):
            return _candidate(line, "unprompted_definition", quote, rest)
    return None


def _sentence_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _SENTENCE_END.finditer(text)]


def _last_sentence(statement: str) -> str | None:
    """The statement's last sentence without assumption lead-ins; None for an offer or to-do."""
    parts = sentences(prepare(statement))
    if not parts:
        return None
    last = _ASSUMPTION.sub("", parts[-1], count=1)
    return None if _OFFER.match(last) else last


def claim_of(statement: str) -> str | None:
    """The claim a strong confirmation confirms: the statement's last sentence, if it is one."""
    last = _last_sentence(statement)
    if last is None:
        return None
    last = _CLAIM_LEAD_IN.sub("", last, count=1)
    last = _TAG_QUESTION.sub("", last).strip(" ,.;:")
    clauses = [c for c in last.split("; ") if c.strip() and not _OFFER.match(c.strip())]
    if not clauses:
        return None
    last = "; ".join(clauses)
    words = re.findall(r"[\w'-]+", last)
    if len(words) < 3 or _QUESTION_START.match(last) or _IMPERATIVE_START.match(last):
        return None
    return last if FACT_VERB.search(last) else None


def finish(lead: Lead, statement: str | None) -> tuple[str, str] | None:
    """Title and content of a confirmation once its statement is known, or None."""
    if not statement or _last_sentence(statement) is None:
        return None  # nothing said, or "yes" to "Shall I ...?": agrees to an action, verifies nothing
    fact = lead.fact
    if fact is None:
        if lead.strength != "strong":
            return None
        fact = claim_of(statement)
        if fact is None:
            return None
    content = _upper_first(fact)
    return title_of(content), content
