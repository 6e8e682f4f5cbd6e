"""Phrases: the openings of corrections, confirmations and definitions, and the marks of a turn
that is none of them (a question, an instruction, a hedge, sarcasm, a fix of one's own words).

Each pattern is a *family* of openings ("I don't think so", "not sure that's right", "I doubt
it" are one), never a sentence. `rules` applies them, case-insensitively, to text that
`rules.prepare` made plain (straight apostrophes, no code, no quotes, single spaces), at the start
of a sentence once `OPENER` (interjections, emoji, "but", "I'm afraid") has been skipped.
"""

from __future__ import annotations

import re

EM, EN = "\u2014", "\u2013"
SEP = rf"[,.:;!?\u2026{EM}{EN}-]"  # what people type between a lead and what follows
SEP_RUN = rf"(?:\s*{SEP})+\s*"
EMOJI = "[\u2190-\u2bff\u2700-\u27bf\U0001f000-\U0001faff\ufe0f\u200d]"
# After a lead word: separators, emoji, or the end; or a space before a word that does not make
# the lead word part of something else ("exactly what I wanted", "correct the typo", "right now").
_AFTER_WORD = (rf"(?=\s*$|{SEP}|\s*{EMOJI}|\s+(?!(?:what|how|when|where|why|who|which|like|as|me|"
               r"the|a|an|my|your|our|now|away|there|here|for|to|with|of|in|on|at|"
               r"enough|up|off|back|after|before)\b))")


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


def any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    """One pattern trying each in turn (the first that matches wins, as in a loop): one call
    into the regex engine per sentence instead of one per pattern."""
    return _rx("|".join(f"(?:{p.pattern})" for p in patterns))


# -- openers (skipped at a sentence start) -------------------------------------------------------

OPENER = _rx(
    rf"^(?:(?:{EMOJI}+|(?:h+m+|m{{2,}}|u+h+|u+m+|e+r+m*|e+h+|a+h+|o+h+|well|lol|lmao|ha(?:ha)+|heh|"
    r"whoa+|woah|wow|ok(?:ay)?|so|and|but|also|honestly|tbh|ugh|sorry|hey|yo|please|pls|plz|"
    r"(?:i'?m|i am) afraid|with (?:all due )?respect|unfortunately|to be (?:fair|honest|clear))\b)"
    rf"[\s,.!\u2026:;{EM}{EN}-]*)+"
)
PLEASANTRY = _rx(
    r"^(?:ok(?:ay)?|k|thanks?|thank you|thx|ty|great|nice|cool|perfect|awesome|good|sounds good|"
    r"looks good|looks great|got it|alright|all right|sure|hmm+|ah+|oh+|yay|wow|lgtm|excellent|"
    r"amazing|brilliant|fine|noted|understood|interesting|makes sense|love it|neat|sweet)\b"
)

# -- corrections ---------------------------------------------------------------------------------

_SUBJECT = r"(?:(?:that|this|it|which)(?:'s|s| is| was| would be)?|thats|its|this one|that one)"
_VERDICT = (r"(?:(?:just|simply|completely|totally|definitely|absolutely|actually|also)\s+)?"
            r"(?:wrong|incorrect|inaccurate|false|untrue|mistaken|backwards|outdated|out of date|"
            r"not\s+(?:quite\s+|really\s+|entirely\s+|exactly\s+|totally\s+)?"
            r"(?:right|correct|true|accurate|the case|it|so)|"
            r"no longer (?:true|the case|correct|accurate|right)|(?:the|a) wrong [\w-]+|"
            r"not (?:the case |true )?any ?more|old (?:info\w*|news)|stale)"
            r"(?:\s+(?:here|there|though|at all|anymore|any more|either|i'?m afraid))*")
_YOU = r"(?:you'?re|you are|youre|ur|u r|u are|you were)"
_CLAIM = (r"(?:assumption|premise|claim|statement|summary|reading|understanding|description|"
          r"explanation|conclusion|math|maths|calculation|number|figure|definition|formula|"
          r"logic|reasoning|diagnosis|analysis|answer|version|take|point)")
_BAD = (r"(?:wrong|incorrect|off|false|mistaken|inaccurate|outdated|backwards|"
        r"not\s+(?:quite\s+)?(?:right|correct|true|accurate))")
_TO_CLAUSE_END = rf"[^,.;:!?\u2026{EM}{EN}]"

# Strong leads say the statement is wrong by themselves; they count anywhere in a turn.
STRONG_CORRECTION = [_rx(p) for p in (
    rf"^{_SUBJECT}\s+{_VERDICT}(?={SEP}|\s|$)",
    rf"^{_VERDICT}(?=\s*{SEP}|\s*$)",
    rf"^(?:{_SUBJECT}\s+)?not\s+(?:quite\s+|really\s+|exactly\s+)?how\s+{_TO_CLAUSE_END}{{1,40}}"
    rf"(?=\s*{SEP})",
    r"^(?:that|this|it)\s+(?:isn'?t|is not|wasn'?t|was not|ain'?t)\s+(?:quite\s+|really\s+|"
    r"entirely\s+)?(?:right|correct|true|accurate|the case)(?=\s*" + SEP + r"|\s|$)",
    rf"^(?:that|this|it)\s+(?:isn'?t|is not|wasn'?t|was not)\s+(?:quite\s+|really\s+)?how\s+"
    rf"{_TO_CLAUSE_END}{{1,40}}(?=\s*{SEP})",
    r"^(?:that|this|it)\s+(?:doesn'?t|does not|dont)\s+work\s+(?:like that|that way|like this)",
    r"^(?:that|this|it)\s+used to be\s+(?:true|the case|right|correct|how it worked)(?:\s*,?\s*but)?",
    r"^(?:that|this)\s+(?:was|is)\s+the old\s+[\w-]+(?:\s+[\w-]+)?",
    r"^(?:that|this|it)(?:'s| has)?\s+changed(?:\s+(?:since|in|last|a while)[^,.;:!?]{0,30})?(?=\s*" + SEP
    + r")",
    rf"^{_YOU}\s+(?:(?:just|totally|completely|a bit|slightly|simply)\s+)?"
    rf"(?:mistaken|wrong|confusing\b{_TO_CLAUSE_END}{{0,50}}|mixing\b{_TO_CLAUSE_END}{{0,40}}|"
    rf"thinking of\b{_TO_CLAUSE_END}{{0,40}}|misremembering\b{_TO_CLAUSE_END}{{0,30}}|"
    rf"misreading\b{_TO_CLAUSE_END}{{0,30}})",
    r"^(?:you(?:'ve| have)?|u)\s+(?:got|have|had|get)\s+(?:it|that|this|them|those|these)\s+"
    r"(?:(?:all|completely|totally|a bit)\s+)?(?:wrong|backwards|the wrong way (?:round|around)|"
    r"mixed up|reversed|confused|upside down)",
    r"^you\s+(?:mixed|mix|confused|swapped|switched|flipped|reversed)\s+"
    r"(?:them|it|those|these|that|this|the two|[\w-]+ and [\w-]+)(?:\s+up)?",
    r"^you(?:'ve| have)?\s+(?:used|picked|got|took|chose|read|queried|joined on|looked at|"
    r"edited|named|quoted)\s+the wrong\s+[\w-]+",
    rf"^(?:your|that|the|this)\s+(?:[\w-]+\s+)?{_CLAIM}(?:\s+[\w'-]+){{0,3}}?\s+"
    rf"(?:is|was|seems|looks|sounds)\s+(?:(?:a bit|slightly|completely|just|totally)\s+)?{_BAD}"
    r"(?:\s+(?:on (?:one|a couple of|two) points?|there|here|though))?",
    rf"^(?:your|that|the|this)\s+(?:[\w-]+\s+)?{_CLAIM}\s+(?:doesn'?t|does not|won'?t|will not)\s+"
    r"hold(?:\s+(?:up|here|there|water))?",
    rf"^the (?:part|bit|line|sentence|point|claim) (?:about|on|where|with|that) "
    rf"{_TO_CLAUSE_END}{{1,60}}? (?:is|was|isn'?t|seems) {_BAD}",
    rf"^you (?:said|wrote|assumed|claimed|stated|mentioned|put|used|think|thought) "
    rf"{_TO_CLAUSE_END}{{1,60}}? but",
    r"^(?:i\s+)?(?:don'?t|dont|do not)\s+think\s+(?:so|that'?s\s+(?:quite\s+)?(?:right|correct|true|"
    r"accurate|the case|how it works)|(?:that|this|it)\s+(?:is|was)\s+(?:right|correct|true|"
    r"accurate|the case)|it'?s\s+(?:right|correct|true)|you'?re right)",
    r"^(?:i\s+)?(?:really\s+)?doubt\s+(?:it|that|this)",
    r"^(?:i'?m\s+|i am\s+)?not\s+(?:so\s+|too\s+|that\s+)?sure\s+(?:about\s+(?:that|this)|"
    r"(?:that'?s|that is|this is|it'?s|it is)\s+(?:right|true|correct|accurate|the case))",
    r"^i\s+(?:(?:strongly|respectfully|have to|must)\s+)?disagree(?:\s+with\s+(?:that|this|you|"
    r"(?:the|your)\s+[\w-]+)(?:\s+[\w-]+)?)?",
    r"^i\s+(?:have to|must|need to|would|'d|gotta|want to)\s+push\s+back(?:\s+on\s+(?:that|this))?",
    r"^(?:that|this|it)\s+(?:doesn'?t|does not|dont)\s+(?:sound|look|seem)\s+(?:right|correct|true)",
    r"^(?:that|this|it)\s+(?:can'?t|cannot)\s+be\s+(?:right|true|correct)",
    r"^(?:that|this|it|that approach|this approach|that plan|this plan)"
    r"(?:'ll|ll| will| would|'d)?\s+(?:won'?t|wont|will not|can'?t|cant|cannot|wouldn'?t|"
    r"doesn'?t|does not|isn'?t going to|is not going to|is never going to|not going to)\s+"
    r"(?:work|fly|run|help|do it|compile|scale|pass|hold)(?:\s+(?:because|since|as|here|there))?",
    r"^(?:that|this|it)(?:'ll|ll| will| would|'d)\s+(?:fail|break|crash|error out|blow up|"
    r"not work|(?:give|return|show|produce) (?:you )?(?:the |a )?wrong [\w-]+|double[- ]count"
    r"(?: [\w-]+)?)(?:\s+(?:because|since|as|here|there))?",
    r"^(?:(?:one|a|quick|small|minor|tiny|just one|one small|one more)\s+)?correction(?=\s*[,:;"
    + EM + EN + r"-])",
    r"^(?:one|a|quick|small|minor) (?:thing|nit|note|issue|problem) though(?=\s*[,:;" + EM + EN
    + r"-])",
)]

STRONG_CORRECTION_ANY = any_of(STRONG_CORRECTION)

# Weak leads need the start of the turn (after pleasantries at most): "no", "wait" and
# "actually" open many turns that correct nothing in the middle of one.
_NO_THEN = (r"(?=\s+(?:it|its|it'?s|that|thats|that'?s|they|they'?re|theyre|we|we'?re|our|the|"
            r"this|these|those|there|there'?s|you|u|he|she|everything|nothing|all|only|just)\b)")
WEAK_CORRECTION = [_rx(p) for p in (
    rf"^(?:no+(?:\s+no+)*|nope|nah+|naw|not really|not quite|not exactly|not at all|no way|"
    rf"absolutely not|definitely not|of course not|hell no|uh+ no|not)(?:{SEP_RUN}|\s*{EMOJI}+\s*)",
    r"^(?:nope|nah+|naw|no no|not really|not quite|no way)\s+",
    rf"^no+{_NO_THEN}\s+",
    rf"^(?:wait+|hold on|hang on|hold up|hold it|one sec(?:ond)?|stop)"
    rf"(?:\s+(?:wait+|a sec(?:ond)?|a minute|a moment|on))*(?=\s*{SEP})",
    rf"^(?:(?:be\s+)?careful(?:\s+(?:there|here|now))?|watch out|caution|warning)(?=\s*{SEP})",
    r"^(?:well\s+)?(?:actually|in fact|as a matter of fact)\b",
    rf"^(?:close|almost|nearly|(?:partly|partially|half|mostly)\s+(?:right|true|correct))"
    rf"(?:{SEP_RUN}|\s+)but(?:\s+not\s+(?:quite|exactly))?\b",
    rf"^(?:close|almost|nearly|(?:partly|partially|half|mostly)\s+(?:right|true|correct))"
    rf"(?=\s*{SEP})",
    r"^(?:incorrect|not true|untrue)\s+",
)]
WEAK_CORRECTION_ANY = any_of(WEAK_CORRECTION)

# -- confirmations -------------------------------------------------------------------------------

_MATCHES = (r"(?:matches|lines up with|agrees with|(?:is |'s |s )?(?:consistent|in line) with|"
            r"tallies with|squares with|aligns with|fits(?: with)?|checks out with)")
STRONG_CONFIRMATION = _rx(
    r"^(?:exactly(?: right| that| so)?|precisely|spot on|bang on|dead on|bingo|100 ?%|\U0001f4af|"
    r"(?:you\s+)?nailed it|(?:right\s+)?on the (?:money|nose)|(?:that'?s|thats)\s+it\s+exactly|"
    r"totally|definitely|certainly|for sure|of course|yes indeed|without a doubt|"
    r"correct(?:o|amundo)?(?!\s+(?:it|this|that|them|those|these|me)\b)|"
    r"(?:that'?s|thats|that is|this is|it'?s|it is)\s+(?:exactly\s+|totally\s+|"
    r"absolutely\s+|100%\s+|also\s+)?(?:right|correct|it|true|exactly right|spot on|how it works|"
    r"the one|accurate|the case|how (?:it is|we do it|we count it|it'?s done)|"
    r"what (?:i see|we see|we do|happens|i have|i'?ve seen|i remember))|"
    rf"{_YOU}\s+(?:(?:absolutely|totally|quite|completely|exactly|100%|so|dead)\s+)?(?:right|correct)|"
    r"(?:you(?:'ve)?|u)\s+got\s+it|right on|confirmed|indeed|agreed|absolutely|affirmative|"
    r"that'?s a yes|verified|(?:i\s+)?can confirm(?:\s+(?:that|this))?|"
    r"(?:i(?:'ve| have)?\s+)?(?:just\s+|double[- ]?)?checked(?:\s+(?:it|that|this))?|"
    rf"(?:that|this|it)?\s*{_MATCHES}\s+(?:my|our|what|the|how)\b[^.!?;]{{0,60}}|"
    rf"{_MATCHES}\s+what\b[^.!?;]{{0,40}}|"
    r"(?:that'?s|that is)\s+(?:my|our)\s+understanding(?:\s+(?:too|as well|also))?|"
    rf"(?:your|that|the|this)\s+(?:[\w-]+\s+)?{_CLAIM}(?:\s+[\w'-]+){{0,3}}?\s+(?:is|was|seems|looks|"
    r"sounds|holds)(?:\s+(?:totally|completely|exactly|absolutely|100%|perfectly))?(?:\s+(?:right|"
    r"correct|accurate|spot on|valid|sound|fine|up))?|"
    rf"(?:good|fair|safe|correct|right|valid|accurate)\s+{_CLAIM}|"
    rf"(?:that'?s|that is)\s+(?:the|a)\s+(?:right|correct|fair|valid|accurate)\s+{_CLAIM}|"
    r"(?:you(?:'ve)?|u)\s+(?:read|understood|understand|got|summari[sz]ed|interpreted|described)\s+"
    r"(?:it|that|this|things|them)?\s*(?:right|correctly|perfectly|exactly|accurately)|"
    r"(?:verified|confirmed|checked|double[- ]checked)\s+(?:with|against|in|on)\s+[^,.;:!?]{1,40})"
    + _AFTER_WORD
)
# "yes the billing API returns cents": after a yes-word anything may follow ("yes please" is
# finished as agreement to an offer); "right" and "true" keep the guard ("right now", "true for").
_YES = r"(?:yes+|yeah+|yep+|yup+|ya|yea|yah|yass+|aye|mhm+|uh[- ]?huh|yes yes|yep yep)"
WEAK_CONFIRMATION = _rx(rf"^(?:{_YES}(?=\W|$)|(?:right|true)" + _AFTER_WORD + ")")
# "yes it is", "yes you can": an answer to a question, not a fact of the person's own
ECHO_ANSWER = _rx(r"^(?:it|that|they|this|you|we|i|he|she)\s+(?:is|are|does|do|did|can|has|have|was|"
                  r"were|will|am|should|must)(?:\s+(?:indeed|too|though))?(?=\s*$|\s*" + SEP + ")")
SARCASM = _rx(r"\b(?:lol|lmao|rofl|yeah right|oh sure|sure it is|sure they are|as if|if by|/s|"
              r"not that|like that ever)\b|[\U0001f644\U0001f612\U0001f611\U0001f926]")
QUALIFIED = _rx(r"^(?:if|unless|except|but|only if|as long as|apart from|other than)\b")

# -- definitions ---------------------------------------------------------------------------------

DEFINITION_FRAME = _rx(
    r"^(?:(?:just\s+)?fyi|f\.y\.i\.?|fwiw|for what it'?s worth|for your information|"
    r"for (?:future )?reference|"
    r"as a reference point|for the record|for context|(?:some|a bit of|a little|quick)\s+"
    r"(?:more\s+)?(?:background|context)|background(?:\s+info(?:rmation)?)?(?=\s*" + SEP + r")|"
    r"context(?=\s*:)|as (?:background|context)|just so (?:you|u|ya) know|"
    r"(?:just\s+)?(?:a\s+)?heads[- ]?up|psa|note(?:\s+that|(?=\s*" + SEP + r")|"
    r"(?=\s+(?:the|teh|our|all|every|we|that|this)\b))|nb|n\.b\.|"
    r"please note(?:\s+that)?|important(?=\s*" + SEP + r")|one thing to (?:note|know|keep in mind)|"
    r"worth (?:noting|knowing|remembering|mentioning)(?:\s+that)?|"
    r"(?:always\s+)?(?:keep|bear) in mind(?:\s+that)?|remember(?:\s+that)?|"
    r"don'?t forget(?:\s+that)?|btw|by the way|going forward(?:,?\s+remember(?:\s+that)?)?|"
    r"from now on|as a rule|per (?:finance|legal|security|compliance|accounting|the contract|"
    r"the docs|our docs|the spec|the runbook|policy)|according to (?:the|our|a) [\w\s'-]{1,30}?"
    r"(?=\s*,))\b"
)
_TERM = r"[\w\s'\"`./()-]"
DEFINITION_DIRECT = _rx(
    r"^(?:(?:our|the|company|team|[\w-]+'s)\s+(?:[\w-]+\s+){0,2}(?:convention|rule|policy|standard|"
    r"practice|process|definition|guidance|guideline|approach)(?:\s+(?:here|in this [\w-]+|at [\w-]+|"
    r"from [\w-]+|for [\w-]+))?\s*(?:is|says|:)"
    r"|standard practice\b|by convention\b|as a convention\b"
    r"|we\s+(?:always|never|usually|typically|generally|don'?t ever|do not ever)\b"
    r"(?!\s+do\s+(?:this|it|that)\b)"
    r"|we\s+(?:define|call|refer to|consider|treat|name)\b"
    r"|what\s+(?:we|people here|everyone here)\s+call\b|in\s+our\s+(?:terminology|jargon|lingo|parlance|"
    r"glossary|vocabulary)\b|internally\b[^,.;:!?]{0,40}\b(?:is|are)\s+(?:called|named|known as)\b"
    r"|at\s+[\w-]+,?\s+we\b|here,?\s+we\b"
    r"|(?:[\w'-]+\s+){1,4}=\s*(?:[\w'()$%/.-]+\s*){2}"
    rf"|by\s+{_TERM}{{1,40}}?\s+(?:we|i)\s+mean\b"
    r"|when\s+(?:we|i|you|people)\s+say\s+[^,]{1,40}?,?\s+(?:we|i|it|they)\s+means?\b"
    rf"|{_TERM}{{1,60}}?\s+(?:is|are)\s+(?:defined|calculated|computed|measured|counted|derived)\s+"
    r"(?:as|by|from)\b"
    r"|(?:in|at|for|within)\s+(?:our|this|the)\s+(?:team|company|org|organi[sz]ation|codebase|"
    r"repo|repository|project|group|department|business)\b"
    r"|the\s+(?:way|how)\s+(?:[\w-]+\s+){1,2}works?\s+(?:here\s+)?(?:is|:)"
    r"|how\s+(?:[\w-]+\s+){1,3}works?\s*:"
    r"|the\s+(?:thing|key thing|main thing|trick|catch|gotcha)\s+(?:to know\s+|with\s+"
    r"(?:[\w-]+\s+){1,4})?(?:is|:)"
    r"|our\s+process\s+(?:is|:)"
    r"|the\s+official\s+definition\b)",
)
# "SMB means ...", "'tenant' refers to ...": a short term, then a verb of meaning.
MEANING = _rx(
    rf"^(?!(?:that|this|it|which|what|there|so|all of which|that all)\b){_TERM}{{1,40}}?\s+"
    r"(?:means|stands for|refers to|is short for|is shorthand for|denotes|is what we call)\s+\S"
)
# "exchange rates always come from ...", "every flag must have an owner": a standing rule -- not
# about the moment ("the linter always complains about this").
STANDING_RULE = _rx(
    r"^(?!(?:it|this|that|you|u|i|he|she|they|there|which|what)\b)(?:[\w'/-]+\s+){1,6}?"
    r"(?:always|never|must(?:\s+(?:always|never))?|should\s+(?:always|never))\s+[\w-]+"
    r"(?![^,.;:!?]*\b(?:this|that|it|these|those|here)\b)"
)

# "The orders table is partitioned by day. Write a query for ...": a plain statement of how things
# are, made as context for the request after it. Not a status ("the build is broken", "the
# tests fail on main"), not an event (past tense), not about the speaker or the thing at hand.
REQUEST = _rx(r"^(?:(?:can|could|would|will) (?:you|u)|please|pls|plz|kindly|i need you to|"
              r"i'?d like you to)\b")
CONTEXT_SUBJECT_NOT = _rx(r"^(?:i|i'?m|you|u|it|it'?s|its|this|that|these|those|he|she|they|"
                          r"there|here|what|which|everything|nothing|something|the (?:following|"
                          r"attached|above|below|same|error|issue|problem|bug))\b|"
                          r"\b(?:i|me|my|mine|i'?m|i'?ve|i'?ll|i'?d)\b|\b(?:is|are)\s+[\w'-]+\W*$")
STATE = (
    r"\b(?:is|are|'s|'re|was|were)\s+(?:now\s+|still\s+|all\s+|completely\s+|totally\s+|really\s+|"
    r"so\s+|very\s+|pretty\s+|too\s+|a bit\s+|kind of\s+|not\s+)?(?:broken|down|failing|fixed|done|"
    r"finished|gone|stuck|missing|empty|ready|red|green|flaky|merged|pushed|deployed|blocked|live|"
    r"up|off|busy|late|wrong|slow|weird|odd|strange|confusing|ok|okay|fine|good|bad|better|worse|"
    r"correct|incorrect|right|attached|above|below|here|there|back|out|open|closed|huge|big|"
    r"small|great|nice|ugly|messy|unclear|outdated|stale|new|different|same|off)\b"
)
STATUS = _rx(
    STATE + r"|\b(?:fails?|failed|breaks?|broke|crash(?:es|ed)?|errors? out|times? out|timed out|hangs?|"
    r"flakes?|works|worked|stopped|started|changed|looks?|seems?|feels?)\b"
)
PAST = _rx(r"^(?:[\w'/-]+\s+){0,6}?(?:was|were|did|didn'?t|had|hadn'?t|got|went|came|took|made|"
           r"(?<!\bis\s)(?<!\bare\s)(?<!\bbe\s)(?<!\bbeen\s)[a-z]+ed)\b")

# -- what a fact is not --------------------------------------------------------------------------

# Words that carry no knowledge: "nope, it's somewhere else" says nothing.
VAGUE = frozenset([
    "somewhere", "else", "something", "anything", "everything", "nothing", "fine", "ok",
    "okay", "wrong", "broken", "still", "yet", "again", "now", "just", "really", "actually",
    "thing", "things", "stuff", "way", "different", "elsewhere", "better", "worse", "good",
    "bad", "same", "other", "another", "one", "ones", "here", "there",
])
# A moment or the person's own experience, not how things are: "I haven't reviewed it yet",
# "it took 10 minutes on my laptop", "it still crashes".
MOMENT = _rx(
    r"\b(?:yet|so far|again|today|tonight|tomorrow|yesterday|right now|at the moment|"
    r"this (?:morning|afternoon|week)|last night|just now|earlier today)\b|"
    r"^(?:i|i'?m|im|i'?ve|ive|i'?ll|i'?d|i haven'?t|i didn'?t)\b|\b(?:my|me|mine)\b|"
    r"\bstill\s+(?:\w+\s+)?(?:fails?|failing|crash\w*|breaks?|broken|errors?|hangs?|times? out|"
    r"doesn'?t work|not working)\b"
)
# A definition is not an event about "it" ("according to the logs, it failed twice").
EVENT = _rx(r"^(?:it|this|that|they)\s+(?:\w+\s+)?(?:was|were|did|had|got|went|[a-z]+ed)\b")

QUESTION_START = _rx(
    r"^(?:what|why|how|when|where|which|who|whom|whose|can|could|would|will|does|do|did|is|are|"
    r"was|were|shall|may|might|have|has|am|isn'?t|aren'?t|doesn'?t|don'?t you|won'?t|any idea|"
    r"any chance|is there|are there)\b"
)
_IMPERATIVE_VERBS = (
    "use|add|fix|run|re-?run|try|make|change|remove|delete|put|check|do|go|commit|rename|move|"
    "revert|update|write|create|show|print|export|deploy|build|keep|set|call|undo|stop|switch|"
    "replace|drop|look|open|read|install|push|pull|merge|filter|sort|retry|skip|ignore|restore|"
    "send|post|file|take|give|tell|ask|double-check|verify|confirm|find|get|leave|start|pick|"
    "include|exclude|join|dedupe|round|split|test|review|redo|fetch|load|save|ping|email|format|"
    "paste|share|clean|refactor|implement|see|compare|rebuild|rewrite|roll|bump|pin|mark|convert|"
    "append|insert|apply|align|wait|let|follow|treat|count|assume|think|consider|imagine|suppose|"
    "continue|proceed|finish|document|rerun|regenerate|generate|investigate|debug|double|"
    "recompute|recalculate|ship|release|publish|schedule|cancel|delay|help|explain|describe|"
    "summari[sz]e|list|point|group|change|go ahead|make sure|note|mention|avoid|prefer|feel free"
)
IMPERATIVE_START = _rx(
    r"^(?:(?:please|pls|plz|just|also|then|now|so|and|first|instead|kindly|maybe|but|ok(?:ay)?|"
    r"next|rather)[,\s]+)*"
    rf"(?:(?:{_IMPERATIVE_VERBS})\b|let'?s\b|lemme\b|don'?t\b|do not\b|never\b|be sure\b)"
)
HEDGE = _rx(
    r"\b(?:i think|i believe|i guess|i suppose|i assume|i reckon|maybe|perhaps|possibly|probably|"
    r"might|may be|not sure|unsure|iirc|afaik|if i (?:remember|recall)|i'?m not (?:certain|sure)|"
    r"could be|seems? to|not 100%|presumably|i'?d guess|i wonder)\b"
)
HYPOTHETICAL = _rx(r"^(?:if|suppose|supposing|imagine|what if|let'?s say|say|in theory|"
                   r"hypothetically|theoretically|in principle|to|for example|e\.g\.)\b")
# A person's own moment ("I'm heading out", "the build is running now"), not lasting knowledge.
EPHEMERAL = _rx(
    r"^(?:i|i'?m|im|i'?ll|ill|i'?ve|ive|i'?d|me|my|we'?re|we'll)\b|\b(?:right now|at the moment|"
    r"today|tonight|tomorrow|yesterday|this (?:morning|afternoon|evening|week)|soon|later today|"
    r"in a (?:bit|minute|sec)|currently|again|so far|yet|anymore|any more)\b|"
    r"\b(?:is|are|'s|'re)\s+(?:now\s+|still\s+|all\s+)?(?:broken|failing|fixed|done|finished|stuck|"
    r"red|green|flaky|merged|pushed|deployed|blocked|ready|busy|late)\b|"
    r"\b(?:is|are|am)\s+(?:still\s+|now\s+)?"
    r"(?!\w*thing\b|during\b|pricing\b|billing\b|morning\b|evening\b|string\b|setting\b|"
    r"building\b|meeting\b|staging\b|pending\b|nothing\b)\w+ing\b|"
    r"^(?:thanks?|thank you)\b|\bto self\b"
)
SELF_CORRECTION = _rx(
    r"\b(?:typo|typos|misspel\w*|spelling|mis-?typed|misspoke|mis-?spoke)\b|\bi\s+meant\b|"
    r"^(?:sorry|oops|sry|ah|err?)?\W*i\s+mean\b|\bmy\s+(?:bad|mistake|typo|error)\b|"
    r"\bscratch that\b|\bcorrection to (?:what i|my)\b|\bi\s+gave\s+you\s+the\s+wrong\b|"
    r"^\*\w|^oops\b|\bignore (?:that|my last|what i)\b"
)
# A clause has a finite verb: a form of be/have/a modal, a contraction, a pronoun subject, or a
# verb of the list below (base, -s, -ed forms) that is not a noun ("just the unit tests").
AUX_VERB = _rx(
    r"\b(?:is|are|was|were|be|been|being|am|isn'?t|aren'?t|wasn'?t|weren'?t|isnt|arent|"
    r"has|have|had|hasn'?t|haven'?t|hasnt|havent|should|must|shall|would|could|can|can'?t|cannot|"
    r"cant|won'?t|wont|will|do(?:es)?n'?t|dont|doesnt|didn'?t|didnt|never|always|"
    r"(?:it|that|this|there|here|what|who|he|she|everything|nothing|which)'?s|"
    r"(?:they|we|you)'?re|(?:they|we|you)'?ve)\b|[=\u2260\u2265\u2264]"
)
_VERBS = (
    "mean|refer|stand|include|exclude|contain|count|start|begin|end|run|use|require|need|equal|"
    "return|live|belong|apply|depend|happen|come|go|take|get|work|reset|expire|measure|track|cover|"
    "represent|reflect|correspond|map|match|differ|point|close|renew|bill|charge|report|cache|"
    "store|own|lag|roll|hold|keep|list|show|sit|stay|remain|exist|give|describe|follow|precede|"
    "replace|override|trigger|feed|drive|affect|call|send|write|read|load|save|create|delete|"
    "update|insert|handle|process|generate|produce|compute|calculate|convert|round|truncate|"
    "sort|group|join|filter|dedupe|merge|split|partition|index|key|route|serve|listen|connect|"
    "talk|share|support|default|bundle|compare|cost|pay|accept|reject|allow|block|deny|ignore|"
    "skip|retry|fail|break|crash|throttle|scale|restart|kill|wipe|purge|archive|rotate|sync|"
    "pull|push|publish|deploy|release|ship|launch|open|pick|land|arrive|leave|move|stop|pause|"
    "resume|fire|alert|page|escalate|notify|emit|log|record|capture|collect|ingest|export|"
    "import|build|compile|test|check|validate|verify|enforce|encrypt|sign|hash|wrap|parse|format|"
    "display|render|mark|flag|tag|label|assign|rank|score|weight|combine|sum|add|subtract|"
    "multiply|divide|net|book|recogni[sz]e|invoice|refund|credit|debit|spend|earn|grow|shrink|"
    "drop|rise|fall|increase|decrease|exceed|reach|hit|cap|limit|imply|indicate|determine|"
    "decide|define|govern|control|manage|maintain|schedule|queue|batch|stream|poll|respond|"
    "reply|answer|wait|lock|unlock|lead|approve|review|mirror|copy|replicate|back|prefix|"
    "suffix|lives|carry|carries|change|vary|last|matter|refresh|overlap|differ|trail|settle|clear|"
    "go|goes|went|gone|came|took|ran|kept|held|sent|wrote|read|left|"
    "built|paid|sold|bought|set|put|cut|made|did|said|told|thought|knew|saw|found|got|gave"
)
LEXICAL_VERB = _rx(rf"\b(?:{_VERBS})(?:s|es|ed|d)?\b")
# "a customer churns at ...": a third-person verb after a noun phrase, before what governs it
GENERIC_VERB = _rx(
    r"\b(?:a|an|the|each|every|any|our|their|this|that|no)\s+(?:[\w-]+\s+){0,2}?[\w-]+\s+"
    r"[a-z]{3,}(?:s|es)\s+(?:at|in|on|by|to|from|for|with|into|after|before|when|if|as|the|a|an|"
    r"every|each|only|once|per|up|out|over|under|it|them|its|their|our|all|no|and|or)\b"
)
DETERMINER = _rx(r"^(?:the|a|an|this|these|those|my|our|your|their|its|his|her|some|any|no|of|"
                 r"for|with|to|in|on|at|by|from|and|or|each|every|all|more|less|new|old)$")
NOT_A_FACT = _rx(r"^(?:that'?s|that is|thats|it'?s|its|this is)\s+(?:all|it|everything|fine|ok|okay|"
                 r"good|enough|alright|all good|no problem|nothing|great|perfect|cool|"
                 r"not what (?:i|we)\b)|"
                 r"^(?:[\w'-]+\s+){0,4}?(?:is|are|was|'s)\s+(?:actually\s+)?(?:really\s+|very\s+|so\s+|"
                 r"super\s+|pretty\s+|quite\s+)?(?:helpful|great|nice|cool|awesome|perfect|useful|"
                 r"amazing|impressive|lovely|brilliant)\b")
PRONOUN_SUBJECT = _rx(r"^(?:we|they|it|its|he|she|you|u|everything|nothing|everyone|nobody|"
                      r"someone|each|both)\s+(?!to\b)[\w'-]+")
