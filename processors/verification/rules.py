"""The offline extractor: phrase patterns on the user's words, plus the statement they answer.

Deterministic and conservative. A user turn is read without pasted code, quotes and other
people's words (`prose.prepare`), sentence by sentence; at a sentence start, once interjections and
emoji are skipped (`phrases.OPENER`), a *lead* may open:

* correction -- a lead that says the statement is wrong ("that's not right", "I don't think so",
  "you've got that backwards", "that won't work because", "the part about X is wrong", "one
  correction:") anywhere in the turn, or a weaker one ("no", "nope", "wait", "careful",
  "actually", "close, but") at its start or after pleasantries ("thanks. no, ..."); leads chain
  ("hmm, no, that's wrong —"). Then a *fact* must follow: "no, use the other file" (an
  instruction), "no, that's wrong" alone, a hedge and fixes of one's own words ("typo, I
  meant ...", "scratch that") are not corrections;
* confirmation -- at the start or after pleasantries: "exactly" / "that's right" / "you're right" /
  "that matches my understanding" / "I can confirm" (strong) or "yes" / "right" (weak), then
  perhaps the person's own fact. It is a `Lead`, finished with the statement it answers (`finish`):
  a strong one without a fact confirms the statement's claim; a weak one needs a fact that
  restates it, words echoed from it ("us-east-1, yes"), or a statement that asked to check a fact
  ("..., right?", "Just to confirm: ...?"). Nothing is confirmed when there is no statement or it
  is an offer or a to-do ("Shall I add it to openapi.yaml?"), nor when the turn is sarcastic or
  qualified ("exactly, if by fast you mean..."). "ok", "sure", "thanks" never confirm;
* unprompted_definition -- in any sentence: a frame ("FYI", "for context", "keep in mind that",
  "worth noting", "per finance,") followed by a fact that is not the person's own moment ("FYI
  I'm heading out"); or a sentence that defines by its shape ("our convention is", "we always",
  "X is defined as", "by X we mean", "SMB means ...", "the way it works here is", "every flag must
  ...").

What a fact is: `prose`. How a `Lead` is finished with its statement: `claims`.
"""


from __future__ import annotations

import re
from collections.abc import Sequence

from sessiond.processors.verification import phrases as ph
from sessiond.processors.verification import prose as pr
from sessiond.processors.verification.claims import check_of, claim_of, finish
from sessiond.processors.verification.detection import Candidate, DetectionType, Lead
from sessiond.processors.verification.exchanges import Exchange
from sessiond.processors.verification.prose import fact_at, is_fact, prepare, sentences, title_of

__all__ = ["ACK_ONLY", "RulesExtractor", "check_of", "claim_of", "detect", "finish", "is_fact",
           "prepare", "sentences", "title_of"]

MAX_SENTENCES = 12
FRAGMENT_WORDS = 12  # "right — same image from staging to prod": a verbless echo, not a sentence

# Leads that keep their words in the fact: "the correct way is to ...", "it should be ...".
_CORRECTION_KEEP = [re.compile(p, re.I) for p in (
    r"^(?=(?:the )?(?:correct|right|proper) (?:way|answer|value|definition|formula|term|name|"
    r"number|figure|approach|field|column|table) (?:is|are)\b)",
    r"^(?=it'?s actually\b|it is actually\b|(?:it|that|this) should (?:be|have been)\b)",
    r"^(?=(?:[\w'./-]+\s+){1,5}?(?:is|are|was|were|'s|'re)\s+actually\b|"
    rf"(?:[\w'./-]+\s+){{1,5}}?actually\s*[,;{ph.EM}{ph.EN}-])",
)]
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
            # A statement that may have begun in an earlier append (`Statement.partial`) is
            # finished in `merge`, where the stored trail completes it: `finish` reads the whole
            # statement, so a part of it could decide differently than the file read whole.
            if found.lead is not None and ex.known and not (ex.statement and ex.statement.partial):
                statement = ex.statement.text if ex.statement else None
                done = finish(found.lead, statement)
                if done is None:
                    continue
                found = Candidate(found.line, found.detection_type, found.user_quote, *done)
            out.append(found)
        return out


def _candidate(line: int, kind: DetectionType, quote: str, fact: str) -> Candidate:
    content = pr.upper_first(fact)
    return Candidate(line, kind, quote, title_of(content), content)


def _lead_end(text: str, pattern: re.Pattern[str]) -> int | None:
    m = pattern.match(text)
    return m.end() if m else None


def _correction(tail: str, opening: bool) -> tuple[str, bool] | None:
    """The fact a correction lead at the start of ``tail`` introduces, and whether a strong lead
    said so. Weak leads ("no", "wait") only in the opening of a turn; leads chain ("hmm, no,
    that's wrong -- ...")."""
    rest, matched, strong = tail, False, False
    if opening and any(p.match(tail) for p in _CORRECTION_KEEP):
        rest, matched = tail, True  # the lead's words are the fact's
    for _ in range(0 if matched else 4):
        end = _lead_end(rest, ph.STRONG_CORRECTION_ANY)
        strong = strong or end is not None
        if end is None and (opening or matched):
            end = _lead_end(rest, ph.WEAK_CORRECTION_ANY)
        if end is None:
            break
        rest, matched = pr.skip(rest[end:]), True
    fact = fact_at(rest) if matched else None
    if fact is None or ph.MOMENT.search(pr.CLAUSE.split(fact)[0]) or not _informative(fact):
        return None
    return fact, strong


def _confirmation(tail: str) -> Lead | None:
    """A confirmation lead at the start of ``tail``, with what follows it (see `finish`)."""
    rest, strength = tail, ""
    for _ in range(4):
        if m := ph.STRONG_CONFIRMATION.match(rest):
            strength = "strong"
        elif m := ph.WEAK_CONFIRMATION.match(rest):
            strength = strength or "weak"
        elif strength and (m := ph.ECHO_ANSWER.match(rest)):
            pass
        else:
            break
        rest = pr.skip(rest[m.end():])
    if not strength or ph.SARCASM.search(tail) or ph.QUALIFIED.match(rest):
        return None
    fact = fact_at(rest)
    if fact is not None:
        return Lead("strong" if strength == "strong" else "weak", fact)
    first = sentences(rest)[0] if rest else ""
    if strength == "weak" and first and len(pr.words(first)) <= FRAGMENT_WORDS \
            and not ph.IMPERATIVE_START.match(first) and "?" not in first:
        return Lead("echo", first.rstrip(" .!,;:"))
    return Lead("strong" if strength == "strong" else "weak", None)


def _lasting(fact: str) -> bool:
    """Knowledge that lasts: not the person's moment, an event of "it", or nothing at all."""
    first = sentences(fact)[0]
    return not (ph.EPHEMERAL.search(first) or ph.EVENT.match(first)
                or ph.MOMENT.search(pr.CLAUSE.split(first)[0])) and _informative(first)


def _informative(fact: str) -> bool:
    """Says something: "nope, it's somewhere else" does not."""
    return any(w.lower() not in pr.STOPWORDS and w.lower() not in ph.VAGUE for w in pr.words(fact))


def _definition(tail: str) -> str | None:
    """A frame ("FYI", "keep in mind") and the lasting fact after it, or a sentence whose shape
    defines ("our convention is", "X means", "every flag must ...")."""
    m = ph.DEFINITION_FRAME.match(tail)
    if m:
        fact = fact_at(pr.skip(tail[m.end():]))
        return fact if fact and _lasting(fact) else None
    if (ph.DEFINITION_DIRECT.match(tail) or ph.MEANING.match(tail)
            or ph.STANDING_RULE.match(tail)) and pr.is_statement(tail) and _lasting(tail) \
            and not ph.IMPERATIVE_START.match(tail):
        return pr.span(tail, True)
    return None


def _context(parts: Sequence[str]) -> str | None:
    """The turn's first sentence when it states how things are as context for a request that
    follows it ("Our API keys are scoped per project. Can you add a rotation endpoint?")."""
    if len(parts) < 2:
        return None
    first, then = parts[0], pr.skip(parts[1])
    if not (ph.IMPERATIVE_START.match(then) or ph.REQUEST.match(then)):
        return None
    first_clause = pr.CLAUSE.split(first)[0]
    if (not is_fact(first) or ph.CONTEXT_SUBJECT_NOT.search(first) or ph.EPHEMERAL.search(first)
            or ph.STATUS.search(first_clause) or ph.PAST.match(first_clause)
            or ph.IMPERATIVE_START.match(first)):
        return None
    return first


def _found(tail: str, opening: bool, line: int, quote: str) -> Candidate | None:
    """What a sentence (with the rest of the turn after it) opens: correction, confirmation or
    definition, in that order."""
    if (said := _correction(tail, opening)) is not None:
        fact, strong = said
        if strong:
            return _candidate(line, "correction", quote, fact)
        # "no, X": a correction of something said, or the answer to a question?
        return Candidate(line, "correction", quote, lead=Lead("correction", fact))
    if opening and (lead := _confirmation(tail)) is not None:
        return Candidate(line, "confirmation", quote, lead=lead)
    if (defined := _definition(tail)) is not None:
        return _candidate(line, "unprompted_definition", quote, defined)
    return None


def detect(raw: str, line: int = 0) -> Candidate | None:
    """What one user turn says on its own: a complete candidate, a `Lead`, or nothing."""
    text = prepare(raw)
    quote = raw.strip()
    if not text or (ACK_ONLY.match(text) and not ph.WEAK_CONFIRMATION.match(text)) or pr.TYPO.match(text):
        return None
    parts = sentences(text)[:MAX_SENTENCES]
    if ph.SELF_CORRECTION.search(parts[0]):
        return None  # "sorry, I meant the orders table": the person fixes their own words
    opening = True  # nothing but pleasantries so far
    for n, sentence in enumerate(parts):
        tail = pr.skip(" ".join([sentence, *parts[n + 1:]]))
        if not tail:
            continue
        found = _found(tail, opening, line, quote)
        if found is not None and not ph.SELF_CORRECTION.search(sentence):
            return found
        opening = opening and found is None and bool(ph.PLEASANTRY.match(tail)) \
            and len(pr.words(sentence)) <= 8 and "?" not in sentence
    if (context := _context(parts)) is not None:
        return _candidate(line, "unprompted_definition", quote, context)
    return None
