"""Claims: what an assistant statement asserts or asks the person to check, and how a rules
`Lead` is finished with it.

A confirmation confirms the statement's *claim*: its last sentence that says something (closers
such as "Let me know if that works." are passed over), without lead-ins ("My understanding is
that", "Just to confirm:") or a tag question ("..., right?"). An offer or a to-do ("Shall I add
it?", "I'll start with the invoices.") is no claim: a "yes" to it agrees to an action. A bare
"yes" confirms only a *check*: a statement that asked to check a fact. A "no, ..." corrects only
a statement that said something: "no" to "Shall I add tests?" answers the question.

A fact with no lead word corrects the statement only if it contradicts it (`contrast`), and is
otherwise a definition -- unless it answers a question or speaks of what the statement claimed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from sessiond.processors.verification import marks as mk
from sessiond.processors.verification import phrases as ph
from sessiond.processors.verification import prose as pr
from sessiond.processors.verification.contrast import (
    contradicts,
    has_value,
    keys,
    measured,
    quantity,
    value_attribute,
    values_in,
)
from sessiond.processors.verification.detection import DetectionType, Lead
from sessiond.processors.verification.phrases import EM, EN
from sessiond.processors.verification.prose import (
    first_sentence,
    last_sentence,
    prepare,
    sentences,
    title_of,
)

_OFFER = re.compile(
    r"^(?:shall|should|may|can|could) (?:i|we)\b|^(?:do|would) you (?:want|like)\b|^want me\b|"
    r"^(?:let me know|tell me|i can|i could|i'?ll|i will|i'?m going to|next,? i)\b|^(?:ready|done)\b|"
    # a proposal is no claim: "I'd suggest splitting the PR", "we could cache it"
    r"^(?:i'?d|i would|i)\s+(?:suggest|recommend|propose)|^(?:we|you) (?:could|should|might)\b|"
    # "I'd roll this out behind the flag first", "Suggested approach: keep MySQL for now" (not "I'd
    # say it's 5": a claim, hedged)
    r"^(?:i'?d|i would)\s+(?!(?:say|guess|think|expect|imagine|note|bet|assume|estimate|add|argue)\b)"
    r"(?![^,;]*[,;]\s*but\b)[a-z]|"  # ("I'd double-check this, but I believe ...": the claim after it)
    r"^(?:suggested|proposed|recommended)\s+(?:approach|plan|fix|next\s+steps?|change|option|order)\b|"
    r"^(?:my\s+)?(?:suggestion|recommendation|proposal)\s*(?:is\b|:)|"
    r"^(?:how|what) about\b|^maybe we\b|"
    # a plan is no claim: "My plan is to reconcile March first", "I'm planning to ..."
    # ("My plan: first reproduce the flaky test ...", "First I'll get the plan clean for staging")
    r"^(?:my|the|our)\s+plan(?:\s+(?:is|would be)\b|\s*:)|^(?:first|then|next)[,]?\s+(?:i'?ll|i will|we'?ll|we will)\b|"
    r"^(?:i|we)(?:'m|'re| am| are)?\s+plan(?:ning|s)?\s+to\b",
    re.I,
)
_ASK = re.compile(r"^(?:(?:shall|should|may|can|could) (?:i|we)|(?:do|would) you (?:want|like)|"
                  r"want me|let me know|tell me)\b", re.I)

# The end of a message that asks nothing of its claim, and the end that asks to check it.
_CLOSER = re.compile(r"^(?:let me know\b.*|tell me if\b.*|(?:i )?hope (?:this|that) helps\b.*|"
                     r"happy to (?:adjust|change|help|dig)\b.*|feel free\b.*|any (?:other )?"
                     r"questions\?|thanks!?)$", re.I)
_CHECK_CLOSER = re.compile(r"^(?:(?:does|do) (?:that|this|it) (?:look|sound|seem) (?:right|correct|ok|"
                           r"okay|accurate)|(?:is|was) (?:that|this) (?:right|correct|accurate)|"
                           r"(?:did|have) i (?:get|got) (?:that|this|it) right|am i right|right|correct|"
                           r"(?:does that|that) (?:make sense|match (?:your|what you)\b.*))\s*\?+$", re.I)

# "Here's the chart.", "Done.": showing work, not claiming anything
_PRESENTING = re.compile(r"^(?:here'?s|here is|here are|there you go|done|ok|okay|all done|"
                         r"finished|that'?s it)\b", re.I)
_SO = re.compile(r"^(?:so|ok|okay|alright|great|sure|then)[,]?\s+", re.I)
_SUMMARY = re.compile(r"^(?:so|in short|in other words|to summari[sz]e|that means|which means)[,:]?\s+"
                      r"(?!(?:i|we|let|let'?s|shall|should|can|could|would|do|does|did|what|how|why)\b)",
                      re.I)

# "I'll proceed on the basis that X", "my understanding is that X": X is the claim, not an offer.
_ASSUMPTION = re.compile(
    r"^(?:(?:so|ok|okay|then)[,]?\s+)?(?:(?:i'?ll|i will|i'?m going to|let me)\s+"
    r"(?:(?:proceed|go ahead|continue|carry on|work)\s+)?(?:on the (?:basis|assumption|understanding)"
    r" that|assuming(?: that)?|assume(?: that)?)|my understanding is(?: that)?|i understand(?: that)?|"
    r"i assume(?: that)?|i'?m assuming(?: that)?|i believe(?: that)?|to confirm|just to confirm|"
    r"just to check|as i read it|my reading (?:of [\w\s]{1,30}? )?is(?: that)?|(?:it )?(?:looks|seems) like|"
    r"it (?:seems|appears)(?: that)?|from (?:the code|what i see|what i can see)|i think|"
    r"can i assume(?: that)?|am i right (?:that|in thinking(?: that)?)|"
    r"do i understand (?:correctly|right)(?: that)?)[,:]?\s+",
    re.I,
)
_CLAIM_LEAD_IN = re.compile(
    rf"^(?:[^:]{{1,40}}:\s+|(?:before i [\w ]{{1,20}}?|just to (?:confirm|check|be sure)|"
    rf"to confirm|quick (?:check|question)|sanity check|to be (?:sure|clear))\s*[{EM}{EN}-]+\s*|"
    # what follows from what was said before: "Which means the revised figure replaces ..."
    r"(?:which|so\s+that|so\s+this)\s+means\s+(?:that\s+)?)(?=\S)",
    re.I,
)
# "..., right?", "... - correct?": the tag, never the end of a word ("line_no?")
_TAG_QUESTION = re.compile(rf"[,\s{EM}{EN}-]*(?:\b(?:right|correct|is that (?:right|correct)|yes|no))?\s*\?+$",
                           re.I)
_CHECK_INTRO = re.compile(
    r"^(?:can i assume|am i right (?:that|in thinking(?: that)?)|is it (?:true|right|correct) that|"
    r"do i understand (?:correctly|right)(?: that)?|did i get (?:it|that) right that|"
    r"(?:is|are) (?:we|you) sure that)[,]?\s+", re.I)
# A report of the assistant's own work or of the moment ("I've added the chart.", "The config is
# ready.", "The error rate is elevated today."): no claim of how things are to confirm, and a fact
# the person adds about the same thing is not said in answer to it.
_WORK_REPORT = re.compile(
    r"^(?![^.;:]*\b(?:that|which|because|since|so that)\b)"  # "I noted that X": a claim in the report
    r"(?:^(?:(?:so|ok|okay|done|great|sure)[,!.]?\s+)?(?:i|i'?ve|i'?m|i'?ll|i'd|i have|i am|i will|let me|"
    r"let'?s|here'?s|here is|here are|done|working on|starting|pulling|drafting|loading)\b|"
    # the subject left out: "Merged the two survey files", "Loaded the contact list", "Ran all three"
    r"^(?:just\s+)?(?:[a-z]{3,}ed|ran|re-?ran|wrote|built|made|sent|put|set up|found|took|drew|"
    r"split|cut|kept)\s+(?:the|a|an|your|all|both|two|three|four|five|each|every|\d)\b|"
    # where it went: "Pushed to `fix/alt-text-500`; CI is running", "deployed to staging"
    r"^(?:just\s+)?(?:pushed|deployed|merged|moved|uploaded|committed|published|released|shipped|posted|copied)\s+"
    r"(?:it\s+|them\s+|that\s+|everything\s+)?(?:to|into|onto)\s|"
    # said as a headline, the verb left out: "Returns from the marketplace sellers imported."
    r"^(?:[\w'/-]+\s+){1,6}?(?:imported|exported|loaded|generated|uploaded|created|updated|merged|deployed|synced|"
    r"published|archived|done|finished)(?:\s+(?:now|already|for you))?\W*$|"
    r".*?\b(?:is|are|has been|have been|was|were)\s+(?:now\s+|all\s+)?(?:ready|done|live|updated|created|"
    r"generated|saved|uploaded|loaded|imported|assigned|completed|finished|set up(?!\s+(?:with|as|to use)\b)|"
    r"configured(?!\s+(?:with|as|to use)\b)|scheduled|"
    r"parsed|open|opened|documented|merged|deployed|written|sent|processed|fixed|added|drafted|"
    r"installed|in place|in the [\w-]+|up|in|out)(?:\s+(?:now|already|for you))?(?:\s+and\s+[\w-]+ed)?"
    # "... is generated and saved to reports/q2.pdf", "... has been updated with the new band",
    # not "... are generated by the vendor"
    r"(?:\s+(?:to|in|into|at|on|for|with)\s+[^,;]{1,40})?\W*$|"
    r".*?\b(?:today|right now|at the moment|currently)\b)",
    re.I)
_THE_THING = re.compile(r"^(?:the|this|that|these|those)\s+([\w/-]+)", re.I)
_NOT_A_CHECK = re.compile(r"^(?:what|why|how|when|where|which|who|whom|whose|shall|should|"
                          r"(?:can|could|would|will|do|does|did) (?:you|i|we)|(?:is|are) there|"
                          r"are you|were you|(?:have|had) (?:you|we)(?!\s+(?:got|been)\s+(?:it|that|this)\s+(?:right|wrong)\b)|any(?:thing|one|body|where)?|something|nothing)\b", re.I)
# A question of the person's wish or leave, not of a fact: "you want the export to include ...?",
# "so the goal is for the modal to close ...?", "is it fine if I add pydantic?"
_WISH = re.compile(r"^(?:you(?:'d| would)? (?:want|like|prefer|need|mean)|"
                   r"(?:the|your) (?:goal|idea|aim|intent|ask|request) is|"
                   r"is it (?:ok|okay|fine|alright|all right) (?:if|to)|(?:want|need) me to)\b", re.I)
_WE_DO = re.compile(r"^(?:we|we'?re|we'?ve|our)\b", re.I)
_ANAPHOR = re.compile(r"^(?:that|it|this|which|they|those|these)(?:'s|s| is| was| are)?\b", re.I)


@lru_cache(maxsize=64)
def _sentences_of(statement: str) -> tuple[str, ...]:
    """The statement's sentences, read once for the several questions asked of it."""
    return tuple(sentences(prepare(statement)))


def _closing(statement: str) -> tuple[str | None, bool]:
    """The statement's last sentence that says something, without assumption lead-ins (None for
    an offer or a to-do), and whether a closer after it asks to check it ("Does that look
    right?"). Closers that ask nothing ("Let me know if that works.") are passed over."""
    parts = list(_sentences_of(statement))
    asks = False
    while parts and (_CLOSER.match(parts[-1]) or _CHECK_CLOSER.match(parts[-1])):
        asks = asks or bool(_CHECK_CLOSER.match(parts[-1]))
        parts.pop()
    if not parts:
        return None, False
    last = _ASSUMPTION.sub("", parts[-1], count=1)
    # "So X.", "It looks like X.", "My understanding is that X.": a summary to be checked
    asks = asks or last != parts[-1] or bool(_SUMMARY.match(parts[-1]))
    plain = _SO.sub("", last, count=1)
    offered = _OFFER.match(plain) or _OFFER.match(_SETTING.sub("", plain, count=1))  # "For the demo, I'll start with ..."
    return (None, False) if offered else (last, asks)


# where or when a plan is set, before it: "For the demo, ", "On Monday, ", "After the migration, "
_SETTING = re.compile(r"^(?:for|in|on|at|during|after|before|once|when)\s+[^,]{1,40},\s*", re.I)


def _last_sentence(statement: str) -> str | None:
    return _closing(statement)[0]


# A statement's verb the word lists miss, in its plain shape: "Overtime kicks in after 40 hours",
# "HEK293 cells double roughly every 24 hours", "Most of the refund requests mention the broken zip"
# (an assistant's sentence is a whole one: a looser reading than a person's fragments get)
_STATED = re.compile(r"^(?:[\w'().`/-]+\s+){0,5}?(?:(?:[a-z]+-)?[a-z]{3,}(?<!ss)(?<!ous)(?<!is)(?<!us)s\s+(?:in|on|up|out|off|at|to|into|"
                     r"from|by|with|the|a|an|every|each|all|about|around|roughly|over|under|only|both|either|after|before|until|"
                     r"within|via|through|\d[\w.,%]*(?!\w)|/\w+|`\w+|(?-i:[A-Z]{2,}\b|[A-Z][a-z]+\s+\d+))|"
                     # a past verb the lists miss, before where or when: "accuracy plateaued at 91%"
                     # ... or after its object: "the Grenache in tank 3 finished malolactic on 2 November"
                     r"[a-z]{4,}ed\s+(?:(?!(?:and|or|but|if|that|which)\b)[a-z]{3,}\s+)?(?:at|in|on|to|from|into|around|after|before|"
                     r"by\s+\d|\d[\w.,%]*(?!\w))|"
                     r"[a-z]+s\s+(?!(?:is|are|was|were|has|have|and|or|of|for|with)\b)[a-z]{3,}(?<!ly)\s+(?:roughly|about|"
                     r"every|each|the|a|an|in|on|at|to|from|only|for|until|within|after|before|\d[\w.,%]*(?!\w)))(?!\w)", re.I)


@lru_cache(maxsize=256)
def claim_of(statement: str) -> str | None:
    """The claim a strong confirmation confirms: the statement's last sentence, if it is one."""
    last = _last_sentence(statement)
    if last is None:
        return None
    last = _CLAIM_LEAD_IN.sub("", last, count=1)
    if last.rstrip().endswith("?") and _WISH.match(_SO.sub("", last, count=1)):
        return None
    last = _TAG_QUESTION.sub("", last).strip(" ,.;:")
    clauses = [c for c in last.split("; ") if c.strip() and not _OFFER.match(c.strip())]
    if not clauses:
        return None
    last = "; ".join(clauses)
    words = pr.words(last)
    if (len(words) < 3 or mk.QUESTION_START.match(last) or (pr.imperative(last) and not pr.labelled_verb(last))
            or _PRESENTING.match(last)):
        return None
    return last if pr.has_verb(last) or _STATED.match(last) or _STATED.match(_SOURCE_FIRST.sub("", last, count=1)) else None


# where the assistant read it, before the claim: "From the roster, ", "According to the lease, "
_SOURCE_FIRST = re.compile(r"^(?:from|according to|per|based on|looking at|reading|in)\s+[^,;:]{1,40},\s+", re.I)


def check_of(statement: str) -> str | None:
    """The fact a statement asks the person to check ("So X, right?", "Just to confirm: X?",
    "Is X still Y?", "Can I assume X?"), which a bare "yes" confirms; None otherwise."""
    last, asks = _closing(statement)
    if last is None or not (asks or last.rstrip().endswith("?")):
        return None
    last = _CLAIM_LEAD_IN.sub("", last, count=1)
    last = _CHECK_INTRO.sub("", _SO.sub("", last, count=1), count=1)
    if _NOT_A_CHECK.match(last) or _WISH.match(last) or _OFFER.match(last):
        return None
    last = _TAG_QUESTION.sub("", last).strip(" ,.;:")
    return last if len(pr.words(last)) >= 3 else None


def echoed_instead(fact: str, statement: str, claim: str, *, figures: bool = True) -> str | None:
    """The statement's sentence other than its claim that the fact's first clause says again,
    when it shares more of its words than the claim does (and at least half of them), or (with
    ``figures``) is the one sentence that has a figure of the fact's and a word of it while the
    claim has none of its figures: the part of a statement of several facts that the person took
    up; None otherwise."""
    first = first_sentence(fact)
    if figures and (shown := _figures(_LIST_MARK.sub(" ", first))) and not shown & _figures(claim):
        # a figure of the statement's other than its claim's, with a word of its sentence: "Braze
        # campaign copy also says $15 per side" after "... is $15 per side. It's credited as
        # wallet balance, not cash."
        words = keys(first)
        holding = [said for said in _sentences_of(statement)
                   if not said.rstrip().endswith("?") and shown & _figures(said) and words & keys(said)]
        if len(holding) == 1:
            return holding[0].strip().rstrip(".")
    mine = keys(pr.clauses(first)[0])
    if len(mine) < 2:
        return None
    best, most = None, len(mine & keys(claim))
    for said in _sentences_of(statement):
        if said.rstrip().endswith("?") or (shared := len(mine & keys(said))) <= most:
            continue
        best, most = said, shared
    return best.strip().rstrip(".") if best is not None and 2 * most >= len(mine) else None


def _echoes(fragment: str, statement: str) -> bool:
    """At least half of the content words of the fragment's first clause are the statement's
    ("semicolons, because of the german excel users"), a chat typo of one of its words counting as
    the word ("yes rabit" for "rabbit")."""
    first = first_sentence(fragment)
    mine, theirs = keys(pr.clauses(first)[0]), keys(statement)
    shared = len(mine & theirs)
    if mine and 2 * shared < len(mine):
        said = {w.lower() for w in pr.words(statement) if len(w) >= 5}
        shared += sum(1 for w in pr.words(pr.clauses(first)[0])
                      if (len(w) >= 4 and keys(w) - theirs and any(_one_typo(w.lower(), t) for t in said))
                      or (w.isupper() and 2 <= len(w) <= 5 and w.isalpha() and w.lower() in _initials(statement)))
    return bool(mine) and 2 * shared >= len(mine)


def _initials(text: str) -> set[str]:
    """The initials of each run of two to five words ("gb" for "Great Britain"): an acronym says
    them again."""
    firsts = [w[0].lower() for w in pr.words(text) if w[:1].isalpha()]
    return {"".join(firsts[i:i + n]) for n in range(2, 6) for i in range(len(firsts) - n + 1)}


# a value as people write it: "$12,500", "12.5k", "26t", "8s", "73%", "120k"
_VALUE = re.compile(r"(?<![\w.])[$\u00a3\u20ac]?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k|m|bn|thousand|million|billion)?(?!\d|,\d{3})",
                    re.I)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_NUMBER_WORDS = {w: n for n, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"))} | {
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}


_LIST_MARK = re.compile(r"(?:^|\s)\(?\d{1,2}[.)](?=\s)")  # "1. yes S4 2. yes 2x150": no figures


def _figures(text: str) -> set[float]:
    """The values written in digits (not "one", which is a word more often than a figure)."""
    return {float(m.group(1).replace(",", "")) * _SCALE.get((m.group(2) or "").lower(), 1.0)
            for m in _VALUE.finditer(text)}


def _values(text: str) -> set[float]:
    """The figures and the number words ("seventeen")."""
    return _figures(text) | {float(_NUMBER_WORDS[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}


def _same_value(fragment: str, statement: str) -> bool:
    """A short answer that is a value of the statement, however written: "12.5k" for "$12,500",
    "seventeen" for "17", "26t" for "26 tonnes"."""
    if len(pr.words(fragment)) > 3 or not any(c.isdigit() for c in fragment + statement):
        return False
    mine = _values(fragment)
    # "2.3" for "$2.3M": the figure written without its scale
    return bool(mine) and (bool(mine & _values(statement)) or (
        not any(m.group(2) for m in _VALUE.finditer(fragment))
        and bool(mine & {float(m.group(1).replace(",", "")) for m in _VALUE.finditer(statement)})))


def _one_typo(a: str, b: str) -> bool:
    """``a`` is ``b`` with one letter dropped, doubled, swapped or mistyped ("rabit", "rabbit")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _says_something(statement: str) -> bool:
    """Whether the assistant stated or planned anything: not only questions and offers."""
    return any(not s.rstrip().endswith("?") and not _ASK.match(_SO.sub("", s, count=1))
               for s in _sentences_of(statement))


_OFFERING = re.compile(r"^(?:i (?:can|could)|if you (?:want|like|prefer))\b", re.I)


def _offers(statement: str) -> bool:
    """The statement ends by asking or offering ("Should I add a trend line?", "I can also
    convert the amounts to EUR if that helps.")."""
    parts = _sentences_of(statement)
    if not parts:
        return False
    last = _SO.sub("", parts[-1], count=1)
    return last.rstrip().endswith("?") or bool(_ASK.match(last) or _OFFERING.match(last))


# what a person adds beside a "yes" without saying the claim again: an addition, a remark on it, their
# own experience of it
_BESIDE = re.compile(r"^(?:(?:and|also|plus)\b(?!\s+(?:can|could|would|will|please|pls|what|why|how|where|when|is|are|do|does)\b)|"
                     r"(?:that|it|this|which|they|those|these)(?:'s|s| is| was| are| were)\s+(?!(?:not|no|a problem|an issue|"
                     r"a bug|broken|wrong|weird|odd|annoying|bad|fine|ok|okay|good|great|done|it)\b)|"
                     r"(?:i|we)\s+(?:(?:\w+ed|wrote|built|saw|ran|made|set|did|had|went|knew|used to|helped|was|were)\b)"
                     r"(?!\s+(?:not|never|to)\b))", re.I)
_FUTURE = re.compile(r"\b(?:will|would|might|'ll|gonna|going to)\b", re.I)
_ADDS = re.compile(r"^(?:and|also|plus|additionally|and also)\b|\b(?:also|too|as well)\b", re.I)


def _restates(fact: str, claim: str) -> bool:
    """The person's words say again what was claimed (they carry most of the claim's words),
    rather than add to it ("correct, and paused accounts don't count either")."""
    first = first_sentence(fact)
    theirs = keys(pr.clauses(claim)[0])  # its main clause: "X, i.e. ..." restated as "X"
    return (bool(theirs) and 3 * len(keys(first) & theirs) >= 2 * len(theirs)
            and not _ANAPHOR.match(fact) and not _ADDS.search(first))


# the subject of a sentence that says what something is
_SUBJECT = re.compile(r"^(?P<subject>(?:[\w'./-]+\s+){0,3}?[\w'./-]+)\s+(?:is|are|means|stands for)\s", re.I)
_CODED = re.compile(r"^(?=.*\d)(?=.*[a-z])[a-z\d-]+$")  # a key with letters and digits: "a12", "sf-88", "bt1"


def _responds(fact: str, statement: str | None) -> bool:
    """A plain fact is said in answer, not unprompted: the statement asked a question, or it
    claimed something about what the fact is about."""
    if not statement:
        return False
    parts = _sentences_of(statement)
    if parts and parts[-1].rstrip().endswith("?"):
        return True
    claim = claim_of(statement)
    if claim is not None and _WORK_REPORT.search(claim):
        # unless the fact speaks of the very thing worked on ("The function is called twice per
        # request." after "I added logging to the function.")
        m = _THE_THING.match(first_sentence(fact))
        return bool(m and keys(m.group(1)) & keys(claim))
    first = first_sentence(fact)
    if claim is None or not keys(claim) & keys(first):
        return False
    # (not a thing named by a code the claim does not have: "alarm A12 is the mixing tank low
    # level" after "Alarm history exported to CSV.")
    if pr.WHERE_FIRST.match(first) and 0 < (comma := first.find(",")) <= 40:
        first = first[comma + 1:].lstrip()  # ("On the Priva, alarm A12 is ...": where it holds first)
    named = _SUBJECT.match(first)
    return not (named and any(k not in keys(claim) for k in keys(named["subject"]) if _CODED.search(k)))


@lru_cache(maxsize=256)  # a fact with no lead word is asked twice: as a correction, as a definition
def contradicted(fact: str, statement: str | None, framed: bool = False) -> bool:
    """`contradicts` on what the statement said, if it said anything."""
    if not statement or not _says_something(statement):
        return False
    said = [s for s in _sentences_of(statement) if not s.rstrip().endswith("?")]
    claimed = claim_of(statement) is not None
    if contradicts(fact, said, claimed, framed):
        return True
    spelled = _acronyms_spelled_out(fact, said) if _ACRONYM_IN.search(fact) else fact
    return spelled is not fact and contradicts(spelled, said, claimed, framed)


# an acronym, perhaps plural: "IC", "CAB", "AEs"
_ACRONYM_IN = re.compile(r"(?<![\w`/.-])[A-Z]{2,5}s?(?![\w`/.-])")


def _acronyms_spelled_out(fact: str, said: Sequence[str]) -> str:
    """The fact with an acronym the statement does not use spelled out as the statement's words
    whose initials it is ("IC was Tomasz" after "The incident commander ... was Raj"): the same
    thing, named shortly; the fact itself when there is none."""
    words = [w for s in said for w in pr.words(s)]
    text = " ".join(said)
    out = fact
    for m in _ACRONYM_IN.finditer(fact):
        acronym = m.group().rstrip("s")  # "AEs": the letters before a plural's s
        if acronym in text:
            continue
        n = len(acronym)
        for i in range(len(words) - n + 1):
            run = words[i:i + n]
            if all(w[:1].lower() == c.lower() for w, c in zip(run, acronym, strict=True)) and all(w.isalpha() for w in run):
                out = out.replace(m.group(), " ".join(run).lower(), 1)
                break
    return out


def _with_words(content: str, said: str) -> str:
    """The content and the person's own words after it, unless it already says them."""
    said = said.strip(" .,;:!")
    if not said or " ".join(said.lower().split()) in " ".join(content.lower().split()):
        return content
    return f"{content.rstrip(' .')}. {pr.upper_first(said)}"


def _set_against(fact: str, statement: str | None) -> bool:
    """A fact after "but" or with "though" corrects the claim it speaks of (a word of it, or
    "it"/"they") when it says something new: not a status, a trouble, an opinion or a plan."""
    claim = (claim_of(statement) or check_of(statement)) if statement else None
    if not claim or not statement:
        return False
    first = first_sentence(fact)
    head = pr.clauses(first)[0]
    if (mk.STATUS.search(head) or mk.TROUBLE.search(head) or mk.OPINION.search(head)
            or mk.HEDGE.search(first) or mk.MOMENT.search(head) or mk.EPHEMERAL.search(head)):
        return False
    mine = keys(first)
    # two words of the claim, or its subject by "it"/"they", or what "we" do instead
    # (what "we" do is no answer to a report of work: "I've written the migration" -- "we never
    # run migrations on Fridays" is the house's rule)
    return (len(mine & keys(claim)) >= 2 or bool(_ANAPHOR.match(first))
            or bool(_WE_DO.match(first) and not _WORK_REPORT.search(claim))) \
        and bool(mine - keys(statement))


def _head_against(fact: str, statement: str | None) -> tuple[str, str] | None:
    """The claim and the first clause of a fact set against it, when that clause could say
    something of it: not hedged, not about the moment, a status or a trouble."""
    claim = claim_of(statement) if statement else None
    if not claim:
        return None
    first = first_sentence(fact)
    head = pr.clauses(first)[0] if first else ""
    if not head or mk.HEDGE.search(first) or mk.MOMENT.search(head) or mk.STATUS.search(head) \
            or mk.TROUBLE.search(head):
        return None
    return claim, head


def _flipped(fact: str, statement: str | None) -> bool:
    """A fact set against the claim that says the opposite of it of the same things: "there is an
    index on user_id" after "The table has no index on user_id" (and the other way round)."""
    if (against := _head_against(fact, statement)) is None:
        return False
    claim, head = against
    return bool(NEGATIVE.search(claim)) != bool(NEGATIVE.search(head)) and len(keys(head) & keys(claim)) >= 2


def _other_value(fact: str, statement: str | None) -> bool:
    """A fact set against the claim that gives another value of a kind the claim gives, of a thing
    it names: "prod auth is on 9443 behind the LB" after "The auth service listens on port 8080 in
    production" (asked back first: "where did you get 8080 from?") -- not after a report of work."""
    if (against := _head_against(fact, statement)) is None:
        return False
    claim, head = against
    if _WORK_REPORT.search(claim) or mk.OPINION.search(head) or not keys(head) & keys(claim):
        return False
    seen = {v for v, _, _ in values_in(claim)}
    # (a count against a count, a code against a code: "3 minutes" is no other "S3")
    shapes = {(value_attribute(v), v[:1].isdigit()) for v in seen}
    return any(v not in seen and (value_attribute(v), v[:1].isdigit()) in shapes for v, _, _ in values_in(head))


# how things are done where the person is, said of what was asked or claimed: "OTIF for us is
# on-time and in-full at line level", "we keep phone numbers in E.164 everywhere" -- a definition
_HOUSE_WAY = re.compile(r"\b(?:for us|with us|in our|at our|on our|around here|over here|everywhere|"
                        r"by convention|as a rule)\b", re.I)
# a unit or a format, the house's convention: "the HR export uses DD/MM/YYYY", "weights in the carrier
# API are in lbs", "pressure is in kPa absolute"
_CONVENTION = re.compile(r"\b(?:is|are|'re|r)\s+(?:always\s+|all\s+)?(?:in|stored in|recorded in|given in|measured in|"
                         r"expressed in|formatted as)\s+(?!(?:the|a|an|our|their|this|that|my|your)\b)"
                         r"(?:[A-Za-z]{1,4}\b|[\w]*[A-Z][\w]*|[\w]+[./+][\w./+]*|(?:milli|micro|nano)?seconds\b|"
                         r"(?:minutes|hours|days|weeks|pence|cents|pounds|dollars|euros|metres|meters|feet|miles|bytes|"
                         r"kilobytes|megabytes|gigabytes)\b|local time\b)|"
                         # "the PM files use the 3GPP XML format"
                         r"\buses?\s+the\s+(?:[\w./+-]+\s+){0,3}(?:format|encoding|standard|schema|layout|convention|spec)\b|\buses?\s+(?:[A-Z]{2,}[\w/.+-]*|[\w]+[/.][\w/.+-]+)|"
                         # "we log gravity in Plato on the brewhouse side"
                         r"\b(?:we|they)\s+(?:always\s+)?(?:log|record|store|measure|report|enter|keep|track|quote|express)\s+"
                         r"(?:[\w-]+\s+){1,3}?in\s+(?!(?:the|a|an|our|their|this|that|my|your)\b)(?:[A-Za-z]{1,4}\b|[\w]*[A-Z][\w]*)")
# how it always goes, said of what was worked on: "the ingest service always needs a restart after ..."
_ALWAYS = re.compile(r"\b(?:always|never)\b", re.I)
# a rule with its exception: "chillers are checked every 4 hours, except chiller 5 ..."
_EXCEPT = re.compile(r"\b(?:except(?! for now\b)|apart from|other than|with the exception of|save for)\b", re.I)
# a requirement with its figure: "new labels need to go to the printer at least 6 weeks before the can run"
_REQUIRED = re.compile(r"\b(?:needs? to|must|has to|have to|(?:is|are) required to|requires?|at least|at most|no later than|"
                       r"no more than|no less than|(?:is|are) due)\b", re.I)
# two names of one thing: "Zone 'Prop' and 'House 0' are the same area", "SKU and item code are synonyms here"
_ALIASES = re.compile(r"\b(?:are|'re)\s+(?:(?:one\s+and\s+)?the\s+same(?:\s+[\w-]+){0,2}?(?=\s*[,.;:!\u2014\u2013-]|\s*$)|"
                      r"interchangeable|synonyms|aliases)", re.I)
# an action the statement announces: "Running the archive job on old articles.", "Going to clean up
# the old feature branches.", "I'll rename the campaign in Google Ads next."
_ABOUT_TO = re.compile(r"^(?:(?:ok(?:ay)?|great|sure|alright|right|next|now|then)[,.!]?\s+)*(?:i'?ll|i will|"
                       r"i'?m going to|i am going to|going to|gonna|(?:i'?m\s+)?about to|let me|starting|kicking off|"
                       r"running|proceeding (?:to|with)|moving on to|i'?m (?:now\s+)?[a-z]+ing)\b", re.I)
# the reason a plan gives, a claim a warning may set right: "I'll use UTC, since the plant runs on UTC"
_PLAN_REASON = re.compile(r"\b(?:since|because|as|so that|given)\b|;", re.I)
# what a warning names instead: "..., not local time", "join on customer_id"
_INSTEAD = re.compile(r"\b(?:not|instead|rather than)\b", re.I)


def _warns_of_plan(fact: str, statement: str | None) -> bool:
    """A warning of how things are ("careful, campaign names are the join key to our cost table")
    before an action the statement announces with no reason given ("I'll rename the campaign
    next."): the house's way to mind, a definition -- not a correction, unless it names what to do
    instead ("careful, customer names aren't unique -- join on customer_id")."""
    if not statement or _PLAN_REASON.search(statement) or not any(_ABOUT_TO.match(s) for s in _sentences_of(statement)):
        return False
    first = first_sentence(fact)
    return not _INSTEAD.search(first) and not any(pr.imperative(c) for c in pr.clauses(first)[1:])


_NOW = re.compile(r"\b(?:now|these days|nowadays)\b", re.I)  # a change told: "5 of them are hybrids now"
_SET_WORDS = re.compile(r"\b(?:tho|(?<!even )though|but|actually|in fact|anymore|any more|no longer)\b", re.I)
_THANKS = re.compile(r"\b(?:thanks|thank you|thx|ty|cheers|much appreciated)\b", re.I)


# a negative: "doesn't", "is not", "never", "no rate limiting"
NEGATIVE = re.compile(r"\b(?:not|no|never|none|nothing|nobody|cannot|isnt|arent|doesnt|dont|didnt|wasnt|werent|"
                       r"cant|wont|hasnt|havent|shouldnt|couldnt)\b|\w+n't\b", re.I)
# a negative said bare, all there is: "there isn't", "it doesn't", "they're not", "none of them do"
NEGATIVE_SAID = (r"(?:(?:(?:it|there|they|that|this|he|she|we|you)(?:'s|'re)?\s+)?(?:[a-z]+n'?t|not|never)"
                 r"(?:\s+(?:at all|really|either|ever))?|(?:none|neither|nobody|no one|nothing)"
                 r"(?:\s+of\s+(?:them|those|these|it|us))?(?:\s+(?:do|does|did|is|are|can|will|has|have))?)")
_NEGATIVE_ANSWER = re.compile(rf"^{NEGATIVE_SAID}\W*$", re.I)


def _said_again_negative(fact: str, statement: str | None) -> tuple[str, str] | None:
    """A negative fact after "no" that says again a negative claim of the statement ("nope, it
    doesn't detect the B variant" after "The assay doesn't detect the B variant."): the claim and
    the person's words, or None."""
    claim = (claim_of(statement) or check_of(statement)) if statement else None
    if not claim or not statement or not NEGATIVE.search(claim):
        return None
    first = first_sentence(fact)
    head = pr.clauses(first)[0] if first else ""
    if not NEGATIVE.search(head):
        return None
    if _NEGATIVE_ANSWER.match(head):
        rest = fact[len(head):].strip(" ,;:.!")
        return _plain(f"{claim.rstrip('.')}. {pr.upper_first(rest)}" if rest else claim)
    if not _echoes(fact, statement) or contradicted(fact, statement):
        return None
    return _plain(fact if _restates(fact, claim) else f"{claim.rstrip('.')}. {pr.upper_first(fact)}")


# a statement that lists: "Key terms: 3-year term, net 30 payment, auto-renewal.", "The stages are lint,
# test, build, then deploy."
_LISTING = re.compile(r"^[^:?]{2,80}(?::|\b(?:is|are)\b:?)\s+[^,?]+(?:,\s*[^,?]+){1,}$")


def _listing(statement: str) -> str | None:
    """The statement's last sentence when it lists things (a claim with no verb of its own)."""
    last = _last_sentence(statement)
    return last.rstrip(" .") if last is not None and _LISTING.match(last.rstrip(" .")) else None


def _plain(fact: str) -> tuple[str, str]:
    content = pr.upper_first(fact)
    return title_of(content), content


def _work_without_value(statement: str | None) -> bool:
    """A report of work that gives no value ("The dinner menu has been sent to the venue.", "I've
    updated the calendar."): a fact the person adds about the same thing has nothing to set right
    in it -- unlike "I've set retention to 90 days", whose value a fact may contradict, or "I'll
    update the script; new hires get created in the Staff OU", a claim after the plan."""
    if not statement:
        return False
    return _reports_work(statement) and not has_value(claim_of(statement) or statement) \
        and not _claim_after_plan(statement)


def _reports_work(statement: str | None) -> bool:
    """Whether the statement (its claim, if it has one) reports work done: an aside the person
    adds to it is a definition, not a correction."""
    return _WORK_REPORT.search(claim_of(statement) or statement or "") is not None


def _claim_after_plan(statement: str) -> bool:
    """A claim in a clause of its own after the last sentence's plan: "I'll update the script;
    new hires get created in X"."""
    last = last_sentence(statement)
    return any(claim_of(part) is not None and not _WORK_REPORT.search(part)
               for part in last.rstrip(" .").split("; ")[1:])


_NOTES = frozenset(["framed", "noted", "plain", "aside", "told"])
# what an agreement may be addressed to first: "on your point -- yes, ...", "re the dates: correct"
_ADDRESSED = re.compile(rf"^(?:(?:on|to|re|about|regarding|as for)\s+(?:your|that|the|this)\s+(?:[\w-]+\s+)?"
                        rf"(?:point|question|note|dates?|numbers?|figures?)\s*(?:[,:;{EM}{EN}]|\s-+)+\s*)?", re.I)


def _agrees_first(fact: str) -> bool:
    """Whether a fact opens with an agreement ("correct -- it ends September 30", "that's
    entirely correct -- our attorney said the same", "on your point -- yes, ...")."""
    addressed = _ADDRESSED.match(fact)
    rest = fact[addressed.end():] if addressed else fact
    m = ph.STRONG_CONFIRMATION.match(rest) or ph.WEAK_CONFIRMATION.match(rest)
    return m is not None and (m.end() == len(rest) or not rest[m.end()].isalnum())


def _same_fact(a: str, b: str) -> bool:
    a, b = (" ".join(t.lower().rstrip(" .!;:").split()) for t in (a, b))
    return bool(a) and bool(b) and (a in b or b in a)


def one_reading(found: Sequence[tuple[str, str]]) -> list[bool]:
    """Which of a turn's finished detections, (type, content) in order, to keep: a fact the turn
    sets against the statement is its correction and not also a definition ("we use calver,
    YYYY.MM.patch" after "Version numbers follow semver": the house's way, said as the right
    value); a definition of another fact in the same turn stays. A turn confirms once: its first
    confirmation (an agreement in the opening, before one in a later point). And a fact is one
    detection of a type: the first ("G is gigabytes, Gi is gibibytes. 2G is ..." and its first
    sentence, a definition the model retyped a correction, `learned.retyped`)."""
    corrected = [content for kind, content in found if kind == "correction"]
    first = next((n for n, (kind, _) in enumerate(found) if kind == "confirmation"), None)
    return [(kind != "unprompted_definition" or not any(_same_fact(content, c) for c in corrected))
            and (kind != "confirmation" or n == first)
            and not any(k == kind and _same_fact(content, c) for k, c in found[:n])
            for n, (kind, content) in enumerate(found)]


# agreement said inside a fact with no lead word ("pyproject.toml line 12 -- yes, python_requires is
# >=3.9 there", "5.02V at the output, so yes it's set to 5V", "$0, so free indeed"): what it says
# is found to be so, whatever new number it brings -- no correction by comparison
_AGREEING = re.compile(r"(?<!\bnot )(?<!n't )(?<!\bis it )\b(?:yes|yep|yup|yeah|confirmed|indeed|exactly|matches|"
                       r"agrees? with (?:you|that|this|what you)|correct|(?:that'?s|thats|that is) right|in sync|"
                       # "Those four are right, OPEN, HOLD, ..." (not "right at 500", "right after", nor
                       # "everything else is right": the rest of a correction)
                       r"(?<!\belse )(?<!\brest )(?<!\bothers )(?:is|are)\s+(?:all\s+|both\s+)?right(?!\s+(?:at|on|in|after|before|there|here|now|next|by|around|"
                       r"behind|below|above|under|over|away|up|down|off)\b)|"
                       r"consistent with|checks out|ties out|adds up|"
                       # "it shows two duty pumps and one standby, so you're right"
                       r"(?:so\s+)?(?:you'?re|you\s+are|you\s+were)\s+(?:right|correct|spot on))\b(?!\s*\?)", re.I)


# the other side's claim told: "their solicitor keeps saying ...", "the vendor claims ..." (not a
# colleague's word relayed: "hw team says the rev B boards use the F411")
_THIRD_PARTY_SAYS = re.compile(r"^(?:their\s+(?:[\w'\u2019-]+\s+){0,3}?(?:keeps?\s+saying|says?|said|claims?|claimed|insists?|"
                               r"insisted|reckons?|told\s+\w+)|(?!(?:you|i|we|it|this|that)\b)(?:[\w'\u2019-]+\s+){1,4}?"
                               r"(?:keeps?\s+saying|claims?|claimed|insists?|insisted))\b(?!\s*[,.:;]|\s+(?:so|yes|no)\b)", re.I)


def _agreeing(fact: str) -> bool:
    """Agreement in the fact's first sentence, or as a word or two that end it ("page 214: $2.1
    million to library materials. Correct.")."""
    said = sentences(fact)
    return bool(said) and (_AGREEING.search(said[0]) is not None
                           or (len(pr.words(said[-1])) <= 3 and _AGREEING.search(said[-1]) is not None))


def _named_instead(fact: str, statement: str | None) -> bool:
    """A short phrase with no verb that names what the statement's claim did not ("MIT since v2"
    after "The repo is licensed GPL-3.0.", "quilt for this pack" after "... is Fabric."; not "92" after
    "... was 92%"): after a "no", the right one, said alone."""
    first = first_sentence(fact)
    if statement is None or len(pr.words(first)) > 5 or pr.has_verb(first) or len(sentences(fact)) > 1 \
            or _NOT_NAMED.match(first):
        return False
    claim, last = claim_of(statement), _last_sentence(statement)
    return claim is not None and last is not None and not last.rstrip().endswith("?") \
        and not _WORK_REPORT.search(claim) and bool({quantity(k) for k in keys(first)} - {quantity(k) for k in keys(statement)}) \
        and not (mk.STATUS.search(first) or mk.TROUBLE.search(first) or mk.MOMENT.search(first)
                 or mk.HEDGE.search(first) or mk.OPINION.search(first))


# what names no other thing: a place or a time ("on the call earlier"), agreement ("same -- zero
# everywhere"), praise ("three weeks, brilliant"), why one asked ("why 18?? just curious")
_NOT_NAMED = re.compile(r"^(?:by|for|in|at|on|with|from|to|of|same|also|too|just)\b|.*\b(?:brilliant|great|perfect|"
                        r"awesome|amazing|nice|lovely|wonderful|fantastic|thanks|thank you|cool|curious|wondering|"
                        r"kidding|joking|asking)\b", re.I)


def _claim_before_offer(fact: str, statement: str) -> str | None:
    """The claim of a statement that ends on an offer or a question, which the fact says again
    (its first clause echoes it, and nothing in it contradicts it); None otherwise."""
    parts = list(_sentences_of(statement))
    for said in reversed(parts[:-1]):
        said = _CLAIM_LEAD_IN.sub("", said, count=1).strip(" ,.;:")
        if said.endswith("?") or _OFFER.match(said) or len(pr.words(said)) < 3 or not (
                pr.has_verb(said) or _STATED.match(said)):
            continue
        if _echoes(fact, said) and not contradicted(fact, said):
            return said
    return None


def anchored(kind: DetectionType, title: str, content: str, quote: str,
             statement: str | None) -> tuple[DetectionType, str, str]:
    """A finished detection's type, title and content, a correction's moved to where the turn sets
    the statement right: the rules take the fact after their lead, and where that fact contradicts
    nothing of the statement while a sentence before it does with a value ("40?! the queue only
    holds 16 jobs, I set it up myself. ... We never bought that model." after "The print queue
    holds 40 jobs."), the earlier sentence is the correction -- the later one says why the
    statement's value was wrong, or what follows. Only earlier: a later sentence that contradicts
    too is more often a second point ("lidar disconnect is E17" after "E42 is the bumper switch
    stuck"). Over the opened rounds (version 35's weights): 18,349 -> 18,363 hits, 678 -> 664
    false positives, no round lower; the detections themselves are the same.

    A confirmation of a turn that says one part of the statement is right and sets another right
    with a value is that correction (`partly_right`); a correction that says only the statement's
    figures, found so elsewhere, is a confirmation (`found_so`), and so is a definition that says
    the statement again with words that find it so (`found_again`)."""
    if kind == "confirmation" and statement and (part := partly_right(quote, statement)) is not None:
        return ("correction", *_plain(part))
    if statement and said_again(kind, content, quote, statement) \
            and (done := finish(Lead("strong", content), statement)) is not None:
        return ("confirmation", *done)  # the statement said again, found so
    if kind != "correction" or not statement or contradicted(content, statement):
        return kind, title, content
    text = prepare(quote)
    at = text.lower().find(content.rstrip(" .!").lower())
    if at <= 0:
        return kind, title, content
    for sentence in sentences(text[:at])[:MAX_EARLIER]:
        said = pr.skip(sentence).strip()
        if said and pr.is_fact(said) and has_value(said) and contradicted(said, statement):
            return (kind, *_plain(said))
    return kind, title, content


# one part of a statement said to be right: "the rest is right", "8 hours is correct", "room is
# right", "lr and epochs are correct", "Toast and 7shifts yes", "date correct", "source \u2713"
_PART_RIGHT = re.compile(r"^(?P<part>(?:[\w'./$%-]+\s+){0,5}?[\w'./$%-]+)\s*:?\s*(?:(?P<verb>is|are|was|were|'s|'re|"
                         r"looks?|seems?)\s+)?(?:all\s+|also\s+|still\s+)?(?P<verdict>right|correct|accurate|fine|ok|yes|"
                         "[\u2713\u2714\u2705]\ufe0f?)\\W*$", re.I)
# what names the whole of it, not a part ("that's right", "yes it is correct", "all good")
_WHOLE = frozenset(("that", "thats", "that's", "it", "its", "it's", "this", "you", "you're", "youre", "u", "ur",
                    "all", "everything", "which", "what", "yes", "yeah", "yep", "ok", "okay", "so", "i", "we",
                    "is", "are", "was", "not", "isn't", "isnt",
                    # an interjection or a link before the agreement ("ohh yes", "But yes", "Anyway yes")
                    "but", "anyway", "oh", "ohh", "ah", "mm", "mmm", "hmm", "um", "uh", "well", "sure", "right", "then",
                    # a degree of it ("exactly right", "absolutely correct")
                    "exactly", "absolutely", "totally", "completely", "quite", "perfectly", "100%"))
_LINKS = frozenset(("and", "but", "also", "plus", "though"))  # before the part: "and the 42 are right"


def _part_agreed(clause: str) -> bool:
    """Whether a clause says that a part of the statement, named, is right ("dock and carrier are
    right"), not the whole of it ("that's right")."""
    m = _PART_RIGHT.match(clause)
    if m is None:
        return False
    named = [w.lower() for w in pr.words(m.group("part"))]
    while named and named[0] in _LINKS:
        named.pop(0)
    # "fine" and "ok" only as a verdict said of it ("altitude is fine"; not "arrived fine")
    return bool(named) and not any(w in _WHOLE for w in named) and (
        m.group("verdict").lower() not in ("fine", "ok") or m.group("verb") is not None)


def _points(text: str) -> str:
    """A numbered list's points each on a line of its own ("1) ticket number right 2) it's P1"),
    when its marks (`_LIST_MARK`) count from 1; the text otherwise ("see clause 8. the 30 days is
    right")."""
    marks = [m.group().strip(" \t\n().") for m in _LIST_MARK.finditer(text)]
    if marks[:2] != ["1", "2"]:
        return text
    return _LIST_MARK.sub("\n", text)


def _has_digit(value: str) -> bool:
    return any(c.isdigit() for c in value)


def _another_figure(said: str, statement: str) -> bool:
    """A figure the statement does not say, of a kind it says one of ("16:00 now" after "... ships
    at 14:00 from Dock B"): beside a part said to be right, the part set right."""
    seen = {v for v, _, _ in values_in(statement)}
    shapes = {value_attribute(v) for v in seen if _has_digit(v)}
    return any(v not in seen and _has_digit(v) and value_attribute(v) in shapes
               for v, _, _ in values_in(said))


def partly_right(quote: str, statement: str) -> str | None:
    """The sentence of a turn (less what it agrees to) that sets a part of the statement right,
    with a value it contradicts or another figure of its kind, when a clause of the turn says
    another part is right and no sentence opens by agreeing ("it's 7 locations since the Eastside
    opening. Toast and 7shifts yes", "capacity is 220 -- the other two are right"): one part
    corrected, the rest conceded, which the rules read as the agreement. None otherwise."""
    text = _points(prepare(quote))
    said_apart = sentences(text)
    if any(_agrees_first(pr.skip(sentence)) for sentence in said_apart):
        return None  # ("Guten Morgen. Yes, 14 missing timestamps is right, ...": it agrees)
    # (not a sentence that hedges, "Not sure about the ceilometer count, ... they swapped several",
    # or instructs, "use it for the funnel chart, and label the axis 'activated (7d)'")
    parts = [(s, part, _part_agreed(part)) for s in said_apart if not mk.HEDGE.search(s) and not pr.imperative(pr.skip(s))
             for c in pr.clauses(s) if (part := c.strip(" .,;:!"))]
    agreeing = [clause for _, clause, agreed in parts if agreed]
    if not agreeing:
        return None
    beside = {sentence for sentence, _, agreed in parts if agreed}
    before_last = said_apart[-2] if len(said_apart) >= 2 and beside == {said_apart[-1]} else None
    for sentence, clause, agreed in parts:
        said = pr.skip(clause).strip(" .,;:!")
        # (a figure alone only in the sentence that agrees, or in the one before the agreement that
        # ends the turn, "meter's 3 free articles now, ... reset date and the bonus are right": not
        # "the 5 days auto-close is right. What I'm worried about is the customers who reply on day 6")
        if not agreed and not pr.imperative(said) and not mk.REQUEST.match(said) \
                and not mk.QUESTION_START.match(said) and "?" not in sentence and (
                (len(pr.words(said)) >= 2 and has_value(said) and pr.is_fact(said) and contradicted(said, statement))
                or ((sentence in beside or sentence == before_last) and _another_figure(said, statement))):
            # the sentence it is in, but for what it agrees to ("it's 7 locations since the
            # Eastside opening", "capacity is 220 -- the other two are right")
            for conceded in agreeing:
                sentence = sentence.replace(conceded, "")
            return pr.skip(sentence).strip(f" .,;:!{EM}{EN}-")
    return None


# found to be so: "grafana says the same, 92", "52,310 rows there as well", "0x68 as well",
# "1:10,000 \u2714", "3 items sounds right", "-1.4 lines up with what we saw" (not "too", "also":
# more often a second thing the same, "there's a night shift 10pm-6am too")
_FOUND_SO = re.compile(r"(?:^|\b(?:the|says?|shows?|showed|got|gives?|gave)\s+)same\b"
                       # (not "the same test failing on the same product": the same what, no verdict)
                       r"(?!\s+(?!(?:as|here|there|too|in|on|at|from|with|for|by|thing|number|numbers|value|figure|result|results|count|total)\b)[a-z])|\bsame as\b|\bas well\b|"
                       r"\b(?:matches(?!\s+on\b)|lines up|checks out|ties out|adds up|(?:sounds|looks|is|are) (?:right|correct)|"
                       r"yes|yep|yeah|confirmed)\b|[\u2713\u2714\u2705\U0001f44d]", re.I)


def found_so(content: str, statement: str) -> bool:
    """A fact said with the statement's values and no other, with words that find it so: the
    statement's value seen again, which confirms it ("grafana says the same, 92" after "The
    cache hit rate was 92% yesterday"; not "Billing state sits in eu-west-1 ..., same bucket
    name" after "... lives in the us-east-1 bucket tf-state-billing")."""
    mine = _figures(content)
    if not mine or not mine <= _figures(statement) or _OUTDATED.search(content) or any(
            _FOUND_SO.search(said) is None for said in sentences(content) if has_value(said)):
        return False  # (each sentence with a value found so: not "Reminders go out every six months. ...")
    said = statement.lower()
    return all(value in said for value, _, _ in values_in(content)
               if value_attribute(value) in _WORD_VALUES or (_has_digit(value) and not _PURE_FIGURE.fullmatch(value)))


def _speaks_of(fact: str, statement: str) -> bool:
    """Whether what follows a part agreed to speaks of the statement: a content word of it, or
    "though", "but", "now" -- not "it" or "we" of the part agreed to, which add a detail to it
    ("Greaves is a boiler swap yes, it's a Worcester combi", "41 new starters is correct -- HR
    onboarded a big batch")."""
    return bool(keys(fact) & keys(statement)) or _SET_WORDS.search(fact) is not None or _NOW.search(fact) is not None


def said_again(kind: DetectionType, content: str, quote: str, statement: str) -> bool:
    """Whether a correction or a definition read in ``quote`` is the statement said again and
    found so, which confirms it: a correction with only the statement's figures, found so, and no
    part of it set right (`found_so`, `partly_right`); a definition that says the statement again
    with words that find it so (`found_again`)."""
    if kind == "correction":
        return found_so(content, statement) and partly_right(quote, statement) is None
    return kind == "unprompted_definition" and found_again(content, statement)


def found_again(content: str, statement: str) -> bool:
    """The statement said again with words that find it so, which defines nothing: "86 active
    employees matches payroll.", "the NetSuite AP aging total is $642,300 as well", "500+
    employees, yes that's the rule" after the statement that said so."""
    first = first_sentence(content)
    return _FOUND_SO.search(first) is not None and _echoes(first, statement) and not _OUTDATED.search(content) \
        and not contradicted(first, statement)


# the statement's value said to be old: "87 \u2714; due date is the last business day, the 15th was
# last year's"
_OUTDATED = re.compile(r"\b(?:old|previous|outdated|stale|last year'?s|used to be|no longer|any ?more)\b", re.I)
# values that are words, of `contrast`'s kinds: "Thursday", "weekly", "March" -- not a source's name
# ("GA4 has 1,106 ...")
_WORD_VALUES = frozenset(("when", "month", "frequency"))
_PURE_FIGURE = re.compile(r"[$\u00a3\u20ac\u00a5~-]?\d[\d,.]*")


MAX_EARLIER = 8  # sentences before the rules' fact that may set the statement right


# what the person wants or does not: "I don't want that query hitting prod", "we'd rather keep it"
_OWN_WISH = re.compile(r"\b(?:i|we)\s+(?:really\s+)?(?:(?:don'?t|do not|didn'?t)\s+)?(?:want|wish|prefer|'d like|would like|'d rather|"
                       r"would rather)\b", re.I)


def finish(lead: Lead, statement: str | None) -> tuple[str, str] | None:
    """Title and content of a `Lead` once its statement is known, or None: a weak correction
    ("no, X") needs a statement that said something ("no" to "Shall I add tests?" answers it);
    a fact with no lead word corrects only what it contradicts (`contradicts`), and is a
    definition otherwise ("aside"), when the statement asked nothing about it ("plain");
    a confirmation, see the module docstring."""
    if lead.strength == "negated":
        return _said_again_negative(lead.fact, statement) if lead.fact else None
    if lead.strength in ("correction", "contrast", "marked", "aside", "plain", "framed", "noted", "told", "partial", "pointed",
                         "warned", "cautioned", "inside", "ordered"):
        if not lead.fact or (lead.strength in _NOTES and _agrees_first(lead.fact)):
            return None  # (a note that opens by agreeing -- "fwiw, that's entirely correct -- ..."
            # -- is no note: the turn confirms, which the rules or the judgement read elsewhere)
        if lead.strength in ("marked", "cautioned"):
            said = not (lead.strength == "cautioned" and _warns_of_plan(lead.fact, statement)) and (
                contradicted(lead.fact, statement) or _set_against(lead.fact, statement) or _flipped(lead.fact, statement)
                or _other_value(lead.fact, statement) or any(
                    contradicted(later, statement) for later in sentences(lead.fact)[1:3] if measured(later)))
        elif lead.strength == "correction":
            # "no" to "Want me to backfill it too?" answers the offer: it corrects only what it
            # contradicts of what came before (nothing, when the offer is all there is: "I can also
            # backfill the 2019 data if that's useful." -- "No, we don't need 2019.")
            said = statement is not None and _says_something(statement) and (
                not _offers(statement) or (len(_sentences_of(statement)) > 1 and contradicted(lead.fact, statement))) \
                and _said_again_negative(lead.fact, statement) is None
        elif lead.strength == "contrast":
            # (someone else's words first -- "Their solicitor keeps saying completion is the 14th.
            # It's the 28th." -- are not the person's fact: what follows them is)
            said = ((not _THIRD_PARTY_SAYS.match(lead.fact) and contradicted(lead.fact, statement)) or any(
                contradicted(later, statement) for later in sentences(lead.fact)[1:4] if pr.is_fact(later))
                or _named_instead(lead.fact, statement)
            ) and not _work_without_value(statement) and not _agreeing(lead.fact)
        elif lead.strength == "inside":
            # an aside of an instruction that sets the statement right -- what the "aside" definition
            # is not; after a report of work the aside stays a definition
            said = contradicted(lead.fact, statement) and not _reports_work(statement) and not _agreeing(lead.fact)
        elif lead.strength == "ordered":
            # a fact the instruction rests on: it corrects what it contradicts, even a report of work
            # built on the other value ("change that to 30 days, log retention is 30 days not 90")
            said = contradicted(lead.fact, statement) and not _agreeing(lead.fact)
        elif lead.strength in ("partial", "pointed"):
            # one part agreed to, what is said next is set against the rest of the claim: anything
            # new of lasting knowledge corrects it (not a report of work, a status or a plan) that
            # speaks of the statement (`_speaks_of`); what a source pointed to says ("pointed") does
            claim = (claim_of(statement) or _listing(statement)) if statement else None
            first = first_sentence(lead.fact)
            head = pr.clauses(first)[0] if first else ""
            said = claim is not None and statement is not None and (
                contradicted(lead.fact, statement) or (
                    (lead.strength == "pointed" or _speaks_of(lead.fact, statement)) and (
                        _set_against(lead.fact, statement) or (
                            # after a report of work ("I've added the level"), only what contradicts it
                            bool(keys(first) - keys(statement)) and not _WORK_REPORT.search(claim) and not (
                                mk.STATUS.search(head) or mk.TROUBLE.search(head) or mk.OPINION.search(head)
                                or mk.HEDGE.search(first) or mk.MOMENT.search(head) or mk.EVENT.match(head))))))
        elif lead.strength == "warned":
            said = _warns_of_plan(lead.fact, statement) or not (
                contradicted(lead.fact, statement) or _set_against(lead.fact, statement))
        elif lead.strength == "told":
            # (not what the person wants, nor an instruction with its value: "I don't want that query
            # hitting prod every 5 minutes. Make it hourly there.")
            said = statement is not None and (claim_of(statement) is not None or _claim_after_plan(statement)) and any(
                contradicted(told, statement) for told in sentences(lead.fact)[:4]
                if (pr.is_fact(told) or has_value(told) or measured(told)) and not pr.imperative(told)
                and not _OWN_WISH.search(told)) and not _work_without_value(statement)
        elif lead.strength in ("framed", "noted"):
            claim = claim_of(statement) if statement else None
            said = claim is not None and not _WORK_REPORT.search(claim) and contradicted(lead.fact, statement, True)
            # (a note that says the claim again -- "Naming convention is date_region_product, yes,
            # ..." after "The campaign naming convention is date_region_product." -- defines nothing)
            said = said if lead.strength == "framed" else not said and not (
                claim is not None and not _WORK_REPORT.search(claim) and _restates(lead.fact, claim))
        else:
            said = not (contradicted(lead.fact, statement) and not (
                (lead.strength == "aside" and _reports_work(statement)) or _work_without_value(statement))) and not (
                lead.strength == "plain" and _responds(lead.fact, statement)
                and not ((_HOUSE_WAY.search(first := first_sentence(lead.fact)) or _CONVENTION.search(first)
                          or _EXCEPT.search(first) or _ALIASES.search(first)
                          or (_REQUIRED.search(first) and has_value(first)) or (_ALWAYS.search(first) and _reports_work(statement)))
                         and not _SET_WORDS.search(first)))
        return _plain(lead.fact) if said else None
    if statement and lead.fact and lead.strength in ("weak", "mid", "echo", "strong", "strong_echo") \
            and _last_sentence(statement) is None and (claim := _claim_before_offer(lead.fact, statement)) is not None:
        # "yep, 2.14 is set for the 9th, I checked" after "The release date for 2.14 is set for the
        # 9th. Want me to draft the announcement?": the claim said again, before the offer's answer
        said_again = pr.upper_first(claim)
        return title_of(said_again), said_again
    if not statement or _last_sentence(statement) is None:
        return None  # nothing said, or "yes" to "Shall I ...?": agrees to an action, verifies nothing
    check = check_of(statement)
    target = claim_of(statement) or check
    fact = lead.fact
    if fact and target and (earlier := echoed_instead(fact, statement, target)) is not None:
        # "550 gems for $4.99 is correct, ..." after "The starter pack is 550 gems for $4.99. It's
        # shown once per player, and it expires after 72 hours.": the fact said again is the one
        # confirmed, not the statement's last
        target = earlier
    content: str | None
    if lead.strength == "mid":
        # later in a turn, or after one's own check: only what says the statement again
        if not fact or not _echoes(fact, statement) or contradicted(fact, statement):
            return None
        content = fact if target is None or _restates(fact, target) else \
            f"{target.rstrip('.')}. {pr.upper_first(fact)}"
    elif lead.strength in ("strong", "strong_echo") and fact and _THANKS.search(fact) and target \
            and check is None and _WORK_REPORT.search(target):
        return None  # "spot on tone, thanks a lot" after "I've drafted the reply": praise of the work
    elif lead.strength == "valued":
        # a value the person found on their own, "too": it confirms a statement with that value only
        if not fact or not _same_value(fact, statement):
            return None
        content = target or check
    elif lead.strength in ("echo", "strong_echo"):
        echoed = bool(fact) and (_echoes(fact or "", statement) or _same_value(fact or "", statement) or (
            # "right, it doesn't", "yep, they can't": a bare negative said again of a negative claim
            bool(_NEGATIVE_ANSWER.match(fact or "")) and target is not None and bool(NEGATIVE.search(target))))
        if lead.strength == "strong_echo":
            content = target
        else:
            content = target if echoed and target else check
        if content and fact and (echoed or has_value(fact)):
            content = _with_words(content, fact)  # "ya 2am utc": the person's words are kept
    elif fact is not None:
        shared = bool(keys(fact) & keys(statement))
        if lead.strength == "weak" and not shared and check is None:
            if target is None or _WORK_REPORT.search(target) or not _BESIDE.match(fact) or _FUTURE.search(fact):
                return None  # "yes, <something else>": not what was said
            # "yup, and interpolation is on", "yep, that's precisely the cohort ...", "it does, I
            # wrote that section": the claim agreed to, and what the person adds of it
            return _plain(f"{target.rstrip('.')}. {pr.upper_first(fact)}")
        # the person's words alone when they say the claim again, or speak of another part of
        # the statement than its claim; the claim and their addition otherwise
        elsewhere = not (keys(fact) & keys(target or "")) and shared and not _ADDS.match(fact)
        content = fact if target is None or _restates(fact, target) or elsewhere else f"{target.rstrip('.')}. {pr.upper_first(fact)}"
    else:
        # a bare "yes" confirms a check, or a claim of how things are ("yep" to "Reading the
        # lease, the landlord covers structural repairs."), not a report of work
        content = target if lead.strength == "strong" else check or (
            target if target is not None and not _WORK_REPORT.search(target) else None)
    if not content:
        return None
    content = pr.upper_first(content)
    return title_of(content), content
