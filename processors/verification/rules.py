"""The offline extractor: phrase patterns on the user's words, plus the statement they answer.

Deterministic and conservative. A user turn is read without pasted code, quotes and other
people's words (`prose.prepare`; "🙅" and "💯" read as "no" and "exactly"), sentence by sentence;
at a sentence start, once interjections and emoji are skipped (`phrases.OPENER`), a *lead* may
open:

* correction -- a lead that says the statement is wrong ("that's not right", "I don't think so",
  "you've got that backwards", "that won't work because", "the part about X is wrong", "one
  correction:", "thats not how its measured ...") anywhere in the turn, or a weaker one ("no",
  "nope", "wait", "careful", "actually", "close, but", "are you sure?", "it doesn't --") at its
  start or after pleasantries ("thanks. no, ..."); leads chain ("hmm, no, that's wrong —").
  Then a *fact* must follow: "no, use the other file" (an instruction), "no, that's wrong"
  alone, a hedge, a suggestion ("technically we could ...") and fixes of one's own words
  ("typo, I meant ...", "scratch that") are not corrections. A weak lead before a phrase with
  no verb ("nope. ISO weeks.") corrects only a statement the phrase contradicts;
* confirmation -- at the start or after pleasantries: "exactly" / "that's right" / "you're right" /
  "that matches my understanding" / "I can confirm" (strong) or "yes" / "right" / "it is"
  (weak), then perhaps the person's own fact; or the confirming word at the end ("us-east-1,
  yes"). It is a `Lead`, finished with the statement it answers (`finish`): a strong one
  without a fact confirms the statement's claim; a weak one needs a fact that restates it,
  words echoed from it, or a statement that asked to check a fact ("..., right?", "Just to
  confirm: ...?", "So X."). Nothing is confirmed when there is no statement or it is an offer or
  a to-do ("Shall I add it to openapi.yaml?"), nor when the turn is sarcastic or qualified
  ("exactly, if by fast you mean..."). "ok", "sure", "thanks" never confirm;
* unprompted_definition -- in any sentence: a frame ("FYI", "for context", "keep in mind that",
  "worth noting", "per finance,", "quick context:", "side note") followed by a fact that is not
  the person's own moment ("FYI I'm heading out"); or a sentence that defines by its shape ("our
  convention is", "we always", "X is defined as", "by X we mean", "SMB means ...", "X = Y", a
  formula, "the way it works here is", "every flag must ...").

When nothing opens, the turn's first sentence that is not a pleasantry may still be a fact with
no lead word (`_unframed`): a correction if it contradicts the statement (`contrast`), a
definition if it states how things are, unasked -- two `Lead`s the statement decides between.

What a fact is: `prose` and `marks`. How a `Lead` is finished with its statement: `claims`.
"""


from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from sessiond.processors.verification import marks as mk
from sessiond.processors.verification import phrases as ph
from sessiond.processors.verification import prose as pr
from sessiond.processors.verification.claims import check_of, claim_of, finish
from sessiond.processors.verification.contrast import contrasted, has_value
from sessiond.processors.verification.detection import Candidate, DetectionType, Lead
from sessiond.processors.verification.exchanges import Exchange
from sessiond.processors.verification.prose import fact_at, is_fact, prepare, sentences, title_of

__all__ = ["ACK_ONLY", "RulesExtractor", "candidates", "check_of", "claim_of", "detect", "finish",
           "is_fact", "prepare", "sentences", "title_of"]

MAX_SENTENCES = 12
FRAGMENT_WORDS = 12  # "right — same image from staging to prod": a verbless echo, not a sentence

# Leads that keep their words in the fact: "the correct way is to ...", "it should be ...".
_CORRECTION_KEEP = [re.compile(p, re.I) for p in (
    r"^(?=(?:the )?(?:correct|right|proper) (?:way|answer|value|definition|formula|term|name|"
    r"number|figure|approach|field|column|table) (?:is|are)\b)",
    r"^(?=it'?s actually\b|it is actually\b|(?:it|that|this) should (?:be|have been)\b)",
    r"^(?=(?:[\w'./-]+\s+){1,5}?(?:is|are|was|were|'s|'re)\s+actually\b|"
    rf"(?:[\w'./-]+\s+){{1,5}}?actually\s*[,;{ph.EM}{ph.EN}-]|[^?]{{6,80}}?\s+actually\s*[.!]*$)",
)]
ACK_ONLY = re.compile(r"^(?:ok(?:ay)?|k|sure|thanks?|thank you|ty|great|cool|nice|perfect|"
                       r"got it|sounds good|lgtm|yes|yeah|yep|yup|no|nope|right)\W*$", re.I)
# "Port the script", "stub out the client": a first word with its object right after it
_OBJECT_NEXT = re.compile(r"^(?!(?:all|both|half|most|some|none|each|every|many|few|several|only|just|"
                          r"even|also|here|there|now|then|today|not|never|always)\b)[\w'-]+\s+"
                          r"(?:(?:out|up|down|in|off|over|away|back|through)\s+)?"
                          r"(?:the|a|an|this|that|these|those|our|my|your|its|their|it|them|all|every|"
                          r"each|some|any)\b", re.I)
_ADVERB_FIRST = re.compile(r"^(?:(?:now|then|also|next|just|please|pls|so|and|ok(?:ay)?|first|finally|"
                           r"lastly|maybe|quickly)[,\s]+)+", re.I)
_PLEASANT = re.compile(rf"{ph.PLEASANTRY.pattern}\s*[,!.{ph.EM}{ph.EN}-]+\s*", re.I)
# "Weekly? No -- monthly.": a word of the statement asked back, before the answer to it
_ECHO_QUESTION = re.compile(r"^\W*(?:[\w'$%./-]+\s+){0,2}[\w'$%./-]+\s*\?+$")
_NO_LONGER = re.compile(r"\b(?:any ?more|no longer)\b", re.I)
_MAYBE = re.compile(r"\b(?:could|might|would|(?-i:may))\b", re.I)  # not "in May"
# "sorry, the file is config.yaml": an apology before a plain fact fixes one's own words
_APOLOGY = re.compile(r"^\W*(?:sorry|sry|oops|whoops|my bad|apologies|ugh)\b", re.I)
# What people type as a word: "🙅 it goes out on thursdays", "yes 💯".
_EMOJI_NO = re.compile("[\U0001f645\U0001f44e\u274c\U0001f6ab\u26d4]")
_EMOJI_EXACTLY = re.compile("[\U0001f4af\U0001f3af]")


class RulesExtractor:
    """Phrase patterns + the preceding assistant statement; offline and deterministic."""

    name = "rules"

    def extract(self, exchanges: Sequence[Exchange]) -> list[Candidate]:
        out: list[Candidate] = []
        for ex in exchanges:
            for found in candidates(ex.user.text, ex.user.line):
                # A statement that may have begun in an earlier append (`Statement.partial`) is
                # finished in `merge`, where the stored trail completes it: `finish` reads the
                # whole statement, so a part of it could decide differently than the file read
                # whole.
                if found.lead is not None and ex.known and not (ex.statement and ex.statement.partial):
                    statement = ex.statement.text if ex.statement else None
                    done = finish(found.lead, statement)
                    if done is None:
                        continue
                    found = Candidate(found.line, found.detection_type, found.user_quote, *done,
                                      index=found.index)
                out.append(found)
        return out


def _candidate(line: int, kind: DetectionType, quote: str, fact: str) -> Candidate:
    content = pr.upper_first(fact)
    return Candidate(line, kind, quote, title_of(content), content)


def _lead(line: int, kind: DetectionType, quote: str, lead: Lead) -> Candidate:
    return Candidate(line, kind, quote, lead=lead)


def _lead_end(text: str, pattern: re.Pattern[str]) -> int | None:
    m = pattern.match(text)
    return m.end() if m else None


def _correction(tail: str, opening: bool) -> tuple[str, str] | None:
    """The fact a correction lead at the start of ``tail`` introduces, and how sure it is:
    "strong" (the lead says the statement is wrong), "weak" ("no", "wait": only in the opening
    of a turn), or "contrast" (a weak lead before a phrase with no verb, "nope. ISO weeks.", or
    "pretty sure it's monthly": it corrects only a statement it contradicts). Leads chain
    ("hmm, no, that's wrong -- ...")."""
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
    if not matched and opening and (m := ph.SURE_THAT.match(tail)):
        said = fact_at(tail[m.end():]) or _phrase(tail[m.end():])
        return (said, "contrast") if said else None
    fact = fact_at(rest) if matched else None
    if fact is None and matched and not strong and (phrase := _phrase(rest)):
        return phrase, "contrast"
    if fact is None or mk.MOMENT.search(pr.CLAUSE.split(fact)[0]) or not _informative(fact):
        return None
    if not strong and _MAYBE.search(pr.CLAUSE.split(fact)[0]):
        return None  # "technically we could keep four": a suggestion, not a fact
    return fact, "strong" if strong else "weak"


def _phrase(text: str) -> str | None:
    """A short phrase with no verb that can stand for a fact ("ISO weeks", "UTC, not local")."""
    first = sentences(text)[0] if text else ""
    if (not first or len(pr.words(first)) > FRAGMENT_WORDS or "?" in first
            or pr.imperative(first) or mk.HEDGE.search(first) or not _informative(first)
            or mk.MOMENT.search(first)):
        return None
    return first.rstrip(" .!")


def _confirmation(tail: str) -> Lead | None:
    """A confirmation lead at the start of ``tail``, with what follows it (see `finish`)."""
    rest, strength = tail, ""
    for _ in range(4):
        if m := ph.STRONG_CONFIRMATION.match(rest):
            strength = "strong"
        elif (m := ph.WEAK_CONFIRMATION.match(rest)) or (m := ph.ECHO_ANSWER.match(rest)):
            strength = strength or "weak"  # "yes", or an answer: "it is", "yes they are"
        elif m := _PLEASANT.match(rest):  # "cool, yep, sunday night retrain"
            pass
        elif not strength and (m := ph.LOOSE_CONFIRMATION.match(rest)) \
                and fact_at(pr.skip(rest[m.end():])) is not None:
            strength = "weak"
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
            and not pr.imperative(first) and "?" not in first:
        return Lead("echo", first.rstrip(" .!,;:"))
    return Lead("strong" if strength == "strong" else "weak", None)


def _trailing(tail: str) -> Lead | None:
    """The confirming word after what it confirms: "us-east-1, yes" (a fragment, which must
    echo the statement), "the billing API returns cents, yes" (the person's own fact)."""
    first = sentences(tail)[0]
    m = ph.TRAILING_CONFIRMATION.match(first)
    if m is None or ph.SARCASM.search(tail):
        return None
    said = m["said"].strip(f" ,;:-{ph.EM}{ph.EN}")
    if (not said or ph.NOT_CONFIRMED.search(said) or mk.QUESTION_START.match(said)
            or pr.imperative(said) or mk.HEDGE.search(said)
            or ph.STRONG_CORRECTION_ANY.match(said) or ph.WEAK_CORRECTION_ANY.match(said)):
        return None
    if is_fact(said):
        return Lead("strong" if ph.STRONG_CONFIRMATION.match(m["word"]) else "weak", said)
    if len(pr.words(said)) <= FRAGMENT_WORDS:
        return Lead("echo", said)
    return None


def _lasting(fact: str) -> bool:
    """Knowledge that lasts: not the person's moment, an event of "it", or nothing at all."""
    first = sentences(fact)[0]
    return not (mk.EPHEMERAL.search(first) or mk.EVENT.match(first)
                or mk.MOMENT.search(pr.CLAUSE.split(first)[0])) and _informative(first)


def _informative(fact: str) -> bool:
    """Says something: "nope, it's somewhere else" does not."""
    return any(w.lower() not in pr.STOPWORDS and w.lower() not in mk.VAGUE for w in pr.words(fact))


def _definition(tail: str) -> str | None:
    """A frame ("FYI", "keep in mind") and the lasting fact after it, or a sentence whose shape
    defines ("our convention is", "X means", "every flag must ...")."""
    if ph.SARCASM.search(sentences(tail)[0]):
        return None  # "yeah because that always works"
    m = ph.DEFINITION_FRAME.match(tail)
    if m:
        fact = fact_at(pr.skip(tail[m.end():]))
        return fact if fact and _lasting(fact) else None
    if (ph.DEFINITION_DIRECT.match(tail) or ph.MEANING.match(tail)
            or ph.STANDING_RULE.match(tail)) and pr.is_statement(tail) and _lasting(tail) \
            and not pr.imperative(tail):
        return pr.span(tail, True)
    return None


def _past(clause: str) -> bool:
    """An event: a past form among the first words, and no verb left without the past forms."""
    return bool(mk.PAST.match(clause)) and not pr.has_verb(mk.PAST_FORM.sub(" ", clause))


def _commands(sentence: str) -> bool:
    """Read as an instruction, strictly: a verb of the list first ("Write unit tests"), or a
    first word with its object right after it ("Port the script", "stub out the client"). Most
    turns are instructions, so a fact with no frame must not look like one."""
    sentence = _ADVERB_FIRST.sub("", sentence)
    return bool(mk.IMPERATIVE_START.match(sentence) or _OBJECT_NEXT.match(sentence))


def _how_things_are(sentence: str) -> bool:
    """A sentence that states how things are -- not a status ("the build is broken"), an event,
    the speaker's or the listener's moment, a bug report, an instruction, or about "it"/"this"."""
    clauses = pr.CLAUSE.split(sentence)
    return not (not is_fact(sentence) or not pr.has_verb(clauses[0]) or len(pr.words(sentence)) < 4
                or _commands(sentence)
                or mk.CONTEXT_SUBJECT_NOT.search(sentence)
                or mk.EPHEMERAL.search(sentence) or _past(clauses[0])
                or any(mk.STATUS.search(c) or mk.TROUBLE.search(c) for c in clauses)
                or mk.OPINION.search(sentence) or mk.NEGATIVE.search(clauses[0])
                or ph.SARCASM.search(sentence)
                or mk.REPORTED.search(sentence) or mk.DEICTIC.search(sentence)
                or not _informative(sentence))


def _opens_with_a_lead(text: str) -> bool:
    return bool(ph.STRONG_CORRECTION_ANY.match(text) or ph.WEAK_CORRECTION_ANY.match(text)
                or ph.STRONG_CONFIRMATION.match(text) or ph.WEAK_CONFIRMATION.match(text)
                or ph.DEFINITION_FRAME.match(text) or mk.HYPOTHETICAL.match(text))


def _unframed(parts: Sequence[str], line: int, quote: str) -> list[Candidate]:
    """A fact with no lead word at the start of a turn: a correction if it sets itself against
    the statement ("it's keyed by the lockfile hash, not the branch name"), a definition if it
    states how things are, unasked ("customers see the changelog in-app"); both are decided
    with the statement (`finish`)."""
    said = pr.skip(parts[0])
    if _APOLOGY.match(parts[0]) or _opens_with_a_lead(said):
        return []  # "nope call it X", "be careful with the flags": a lead with no fact after it
    fact = fact_at(said)
    if fact is None:
        phrase = _phrase(said)
        # "500 per page, not 100", "monthly!": a contrast or a bare value needs no verb
        valued = phrase is not None and len(pr.words(phrase)) <= 3 and has_value(phrase)
        return [_lead(line, "correction", quote, Lead("contrast", phrase))] \
            if phrase and (contrasted(phrase) or valued) else []
    first = sentences(fact)[0]
    out = []
    if not mk.MOMENT.search(pr.CLAUSE.split(first)[0]) and _informative(first) \
            and not mk.EPHEMERAL.search(_NO_LONGER.sub("", first)):  # "not anymore" is a change
        out.append(_lead(line, "correction", quote, Lead("contrast", fact)))
    if _how_things_are(first):
        then = pr.skip(parts[1]) if len(parts) > 1 else ""
        asks = bool(then) and bool(pr.imperative(then) or mk.REQUEST.match(then))
        # context for the request after it ("Our keys are scoped per project. Can you add ...?")
        out.append(_lead(line, "unprompted_definition", quote,
                         Lead("aside" if asks else "plain", first if asks else fact)))
    return out


def _found(tail: str, opening: bool, line: int, quote: str) -> list[Candidate]:
    """What a sentence (with the rest of the turn after it) opens: correction, confirmation or
    definition, in that order."""
    if (said := _correction(tail, opening)) is not None:
        fact, how = said
        if how == "strong":
            return [_candidate(line, "correction", quote, fact)]
        # "no, X": a correction of something said, or the answer to a question?
        return [_lead(line, "correction", quote, Lead("correction" if how == "weak" else "contrast", fact))]
    if opening and (lead := _confirmation(tail) or _trailing(tail)) is not None:
        return [_lead(line, "confirmation", quote, lead)]
    if (defined := _definition(tail)) is not None:
        if contrasted(sentences(defined)[0]):  # "heads up, that column is in cents, not dollars"
            return [_lead(line, "correction", quote, Lead("contrast", defined)),
                    _lead(line, "unprompted_definition", quote, Lead("aside", defined))]
        return [_candidate(line, "unprompted_definition", quote, defined)]
    return []


def _spoken(text: str) -> str:
    text = _EMOJI_EXACTLY.sub(" exactly, ", _EMOJI_NO.sub(" no, ", text))
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def candidates(raw: str, line: int = 0) -> list[Candidate]:
    """What one user turn says on its own: complete candidates or `Lead`s (two when the
    statement decides between a correction and a definition), numbered (`Candidate.index`)."""
    text = _spoken(prepare(raw))
    quote = raw.strip()
    if not text or (ACK_ONLY.match(text) and not ph.WEAK_CONFIRMATION.match(text)) or pr.TYPO.match(text):
        return []
    parts = sentences(text)[:MAX_SENTENCES]
    if mk.SELF_CORRECTION.search(parts[0]):
        return []  # "sorry, I meant the orders table": the person fixes their own words
    opening = True  # nothing but pleasantries so far
    first_said: int | None = None  # the first sentence that is not a pleasantry
    found: list[Candidate] = []
    for n, sentence in enumerate(parts):
        tail = pr.skip(" ".join([sentence, *parts[n + 1:]]))
        if not tail:
            continue
        found = _found(tail, opening, line, quote)
        if found and not mk.SELF_CORRECTION.search(sentence):
            break
        found = []
        if opening and not (ph.PLEASANTRY.match(tail) and len(pr.words(sentence)) <= 8
                            and "?" not in sentence) and not _ECHO_QUESTION.match(sentence):
            opening, first_said = False, n
    if not found and first_said is not None:
        found = _unframed(parts[first_said:], line, quote)
    return [replace(c, index=i) for i, c in enumerate(found)]


def detect(raw: str, line: int = 0) -> Candidate | None:
    """The first of `candidates`: what one user turn says on its own."""
    found = candidates(raw, line)
    return found[0] if found else None
