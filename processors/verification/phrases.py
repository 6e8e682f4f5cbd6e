"""Phrases: the openings of corrections, confirmations and definitions -- the lead words, and the
shapes that define by themselves ("X means Y", "we always", a formula) -- and sarcasm. Whether
what follows states a fact is `marks`'.

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
_AFTER_WORD = (rf"(?=\s*$|{SEP}|\s*{EMOJI}|\s+(?:on|about|for|with|in) (?:that|this|both|all|every|those|it)\b|"
               r"\s+(?!(?:what|how|when|where|why|who|which|like|as|me|"
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
    # the topic named first: "re your finding: correct, ...", "regarding the indexer: it consumes ..."
    rf"^(?:(?:{EMOJI}+|(?:re|regarding|as for)\b\s*:?\s*[^:.!?,\n]{{1,40}}?:(?=\s)|(?:h+m+|m{{2,}}|u+h+(?![\s-]*huh)|u+m+|e+r+m*|e+h+|a+h+|o+h+|well|lol|lmao|ha(?:ha)*|heh|"
    r"whoa+|woah|wow|ok(?:ay)?|so|and|but|also|honestly|tbh|ugh|sorry|hey|yo|please|pls|plz|anyways?|anyhow|"
    # a remark on what follows: "confusingly it's reversed in this schema", "annoyingly, ..."
    r"confusingly|annoyingly|weirdly|oddly|funnily enough|ironically|(?:don'?t|do not|no need to) worry|"
    r"(?:i'?m|i am) afraid|with (?:all due )?respect|unfortunately|to be (?:fair|honest|clear)|"
    r"funny story|true story|long story short|basically|essentially|generally(?=[\s,]+(?:in|at|for|on|speaking)\b)|"
    # spoken: "right so the thing is that lane actually goes into Oakland"
    r"the (?:thing|deal|point) is(?:\s+that(?=\s+(?:the|a|an|we|it|its|it'?s|they|i|you|our|their|this|there|these|those|"
    r"all|every|each|no|nobody|everything|nothing)\b))?(?=\s+\w))\b)"
    rf"[\s,.!\u2026:;{EM}{EN}-]*)+"
)
PLEASANTRY = _rx(
    r"^(?:ok(?:ay)?|k|thanks?|thank you|thx|ty|great|nice|cool|perfect|awesome|good|sounds good|"
    r"looks good|looks great|looks fine|looks ok(?:ay)?|got it|alright|all right|sure|hmm+|ah+|oh+|yay|wow|lgtm|excellent|"
    r"amazing|brilliant|fine|noted|understood|interesting|makes sense|love it|neat|sweet|is (?:good|fine|ok(?:ay)?)|"
    r"sounds like a plan|appreciate (?:it|that|the\b)|much appreciated|(?:good )?morning|hi|hello|hey|"
    # greetings passed on: "the guys from litho say hi"
    r"(?:[\w'-]+\s+){1,5}?says?\s+(?:hi|hello|hey|thanks)(?=\s*[.!,]|$)|"
    # chat thanks and praise: "cheers for the explanation", "kk", "gr8", "legend", "nice find"
    r"cheers|ta|kk|gr8|legend|lovely|champion|nice (?:one|find|catch|work)|good (?:catch|find|work|job)|"
    r"great (?:stuff|work|job|catch)|well done|"
    # praise of what was made: "love the chart!", "loving this"
    r"(?:i\s+)?lov(?:e|ing)\s+(?:it|this|that|the\s+[\w-]+(?:\s+[\w-]+)?)(?=\s*(?:[!.,]|$)))\b"
)

# -- corrections ---------------------------------------------------------------------------------

# what an old value is of: "the old address", "last year's number"
_OLD_THING = (r"(?:limit|value|number|setting|one|version|figure|rule|policy|default|price|rate|schedule|address|name|"
              r"way|process|info|config|plan|setup|time|date|deadline|cutoff|threshold|size|format|location|team|owner|"
              r"contact|url|link|path|email|phone|port|branch|host|server|endpoint|domain|account|amount|total|fee|salary|"
              r"budget|quote|estimate|spec|template|form|list|office|room|vendor|model)")
_SUBJECT = r"(?:(?:that|this|it|which)(?:'s|s| is| was| would be)?|thats|its|this one|that one)"
_VERDICT = (r"(?:(?:just|simply|completely|totally|definitely|absolutely|actually|also)\s+)?"
            r"(?:wrong|incorrect|inaccurate|false|untrue|mistaken|backwards|outdated|out of date|"
            r"not\s+(?:quite\s+|really\s+|entirely\s+|exactly\s+|totally\s+)?"
            r"(?:right|correct|true|accurate|the case|it|so)|"
            r"no longer (?:true|the case|correct|accurate|right)|(?:the|a) wrong [\w-]+|"
            r"not (?:the case |true )?any ?more|old (?:info\w*|news)|stale|"
            # "that's the old nginx limit", "that was the old policy": what it said no longer holds
            # ... or another year's: "that's last year's number", "that's the 2023 rate", "those are the previous figures"
            r"(?:(?:the|an?)\s+(?:old|older|previous|former)|last\s+(?:year|month|quarter|week|season|release|version|sprint|"
            r"term|semester)'?s|the\s+(?:19|20)\d\d)\s+(?:[\w-]+\s+){0,2}?" + _OLD_THING + r"s?|"
            rf"(?:a bit |slightly |way |a little |somewhat )?off(?=\s*{SEP}))"
            r"(?:\s+(?:here|there|though|at all|anymore|any more|either|i'?m afraid|"
            # "that is incorrect for our institution", "that's wrong in our case"
            r"(?:for|in|at|with)\s+(?:us|(?:our|this|the)\s+(?:case|setup|team|company|institution|"
            r"organi[sz]ation|org|side|office|lab|shop|system|project|region|country|account)|our\s+end)))*")
_YOU = r"(?:you'?re|you are|youre|ur|u r|u are|you were)"
# nothing to set right, an answer to "have I got it wrong?": "you're reading it right", "you haven't
# misread", "nothing wrong there", "no issue with that" (agreements, `STRONG_CONFIRMATION`, and what a
# "no" concedes to, `rules._CONCEDED`)
NOTHING_WRONG = (rf"{_YOU}\s+(?:reading|seeing|interpreting|understanding)\s+(?:it|that|this|them|those)\s+(?:right|correctly)\b|"
                 r"(?:you\s+)?(?:haven'?t|have\s+not|didn'?t|did\s+not)\s+mis(?:read|understood|understand|heard|hear)\b"
                 r"(?:\s+(?:it|that|this|anything)\b)?|"
                 r"(?:(?:there'?s|there\s+is)\s+)?nothing(?:'?s|\s+is)?\s+wrong\s+(?:there|with\s+(?:it|that|this|those|them))\b|"
                 r"(?:no\s+)?(?:issue|problem)s?\s+(?:there|with\s+(?:it|that|this|those|them))\b|"
                 # "No mistake there.", "no error in that", "not a typo": what looked wrong is so
                 r"no\s+(?:mistake|error|typo|misprint|mix-?up)s?\s+(?:there|here|in\s+(?:it|that|this|those|them))\b|"
                 r"(?:(?:that|it)(?:'?s|\s+is|\s+was|\s+wasn'?t)\s+)?not\s+(?:a\s+)?(?:typo|misprint|mistake|mix-?up)(?=\s*[,.;:!\u2014\u2013-]|\s*$)|"
                 # "you've got it right", "you have that right", "you got that correct", "you've understood it"
                 r"(?:you(?:'ve|\s+have)?|u)\s+(?:got|have)\s+(?:it|that|this|them|those)\s+(?:right|correct|spot\s+on)\b|"
                 r"(?:you(?:'ve|\s+have)?|u)\s+understood\s+(?:it|that|this|them|correctly|right)(?:\s+(?:right|correctly|perfectly))?"
                 r"(?=\s*[,.;:!\u2014\u2013-]|\s*$)|"
                 # "not wrong at all", "you're not wrong", "I wish you were wrong" (but you are not)
                 rf"(?:{_YOU}\s+|(?:that|it)(?:'?s|\s+is)\s+)?not\s+(?:wrong|mistaken|off)(?:\s+at\s+all)?\b|"
                 r"(?:i\s+)?wish\s+(?:you\s+were|you'?d\s+been|that\s+was|it\s+was|it\s+were)\s+wrong\b"
                 r"(?:,?\s+but\s+(?:you'?re|you\s+are|it'?s|it\s+is|that'?s|that\s+is)(?:\s+(?:not|right|correct))?|"
                 r",?\s+but\s+(?:you|it|that)\s+(?:aren'?t|isn'?t|wasn'?t|weren'?t))?")
_CLAIM = (r"(?:assumption|premise|claim|statement|summary|reading|understanding|description|"
          r"explanation|conclusion|math|maths|calculation|number|figure|definition|formula|"
          r"logic|reasoning|diagnosis|analysis|answer|version|take|point|numbers|figures|dates|values|"
          r"totals|units|names|details|facts|data|info|information)")
_BAD = (r"(?:wrong|incorrect|off|false|mistaken|inaccurate|outdated|backwards|"
        r"not\s+(?:quite\s+)?(?:right|correct|true|accurate))")
_TO_CLAUSE_END = rf"(?:[^,.;:!?\u2026{EM}{EN}\s]|\s(?!-{{1,2}}\s))"  # " -- " ends a clause too

# "I think you're confusing ...", "pretty sure that's wrong": the hedge is on the verdict, and
# the fact after it is read (and must not be hedged) as usual.
_SURE = r"(?:(?:i think|i believe|i'?m (?:pretty |fairly |quite )?(?:sure|certain)|pretty sure)\s+)?"

# Strong leads say the statement is wrong by themselves; they count anywhere in a turn.
STRONG_CORRECTION = [_rx(p) for p in (
    rf"^(?:(?:wait|hold on|hang on)[\s,.!]+)?{_SURE}{_SUBJECT}\s+{_VERDICT}(?={SEP}|\s|$)",
    rf"^{_VERDICT}(?!-\w)(?=\s*{SEP}|\s*$)",  # (not "off-peak is $0.21")
    # "that's the Scottish one.", "that's the old version!": the wrong one, before the right one in
    # the next sentence
    r"^(?:that'?s|thats|that is)\s+the\s+(?!(?:right|correct|same|exact|good|best|main|real|one|only|"
    r"latest|current|new|updated)\b)(?:[\w'-]+\s+){1,2}(?:one|version|value|figure|number|setting)\s*[.!]+(?=\s+\S)",
    # "outdated info - threshold got lowered to 0.55", "wrong number: it's 12"
    rf"^(?:{_BAD}|old|stale)\s+{_CLAIM}(?=\s*{SEP})",
    # "old address -- everything goes to help@ since the rebrand", "outdated price: it's $12 now"
    rf"^(?:old|outdated|stale|previous|former)\s+(?:[\w-]+\s+)?{_OLD_THING}s?(?=\s*[:;{EM}{EN}]|\s+-+\s|\s*,\s*(?:it'?s|its|it is|"
    r"they'?re|theyre|we|everything|all|now|the new)\b)",
    rf"^(?:{_SUBJECT}\s+)?not\s+(?:quite\s+|really\s+|exactly\s+)?how\s+{_TO_CLAUSE_END}{{1,40}}"
    rf"(?=\s*{SEP})",
    # formal: "I should point out that this is not the case: ...", "may I note that this isn't accurate"
    r"^(?:i\s+(?:should|must|have to|need to|would like to|'d like to|want to|feel i should)\s+(?:point out|note|"
    r"mention|flag|say|add)|(?:may|might|can|could)\s+i\s+(?:point out|note|mention))\s+(?:that\s+)?(?:this|that|it)"
    r"(?:(?:\s+|'?s\s+not\s+|\s+(?:isn'?t|is not|wasn'?t|was not)\s+)(?:quite\s+|entirely\s+)?(?:right|correct|true|accurate|the case)|"
    r"(?:\s+is|\s+was|'s|s)\s+(?:incorrect|wrong|inaccurate|mistaken|outdated|out of date))",
    # an apology for the correction itself: "sorry to contradict you, but ...", "sorry to be that person:"
    r"^(?:(?:i'?m\s+)?sorry\s+|apologies\s+)?(?:to|for|but i (?:have|need|must) to)\s+(?:contradict|correct|disagree|"
    r"push back|nitpick|be pedantic|be (?:that|the) (?:guy|person|one))(?:ing)?(?:\s+(?:you|with you|on (?:that|this)))?"
    r"(?=\s*[,:;.!" + EM + EN + r"-]|\s+but\b)",
    # "wrong file, the real pipeline is ...", "wrong port: prod is on 9443"
    # ("Wrong year. The vendor pack says 1956.": the verdict a sentence of its own)
    r"^wrong\s+(?!(?:way|again|thread|chat|window|tab|person|one here)\b)[\w-]+(?:\.[\w-]+)*(?=\s*[,:;." + EM + EN + r"]\s*"
    r"(?!(?:but|and|no|so|i|my|sorry|oops|lol|haha|ignore|never ?mind)\b)\S|\s+-+\s)",
    # what held until a time, and what holds now: "we did until january, now everything's in linear"
    r"^(?:we|they|it|that|this|he|she)\s+(?:did|was|were|used to|had)\s+(?:until|till|til|up to|up until)\s+"
    r"[^,.;:!?]{1,30}(?=\s*[,;" + EM + EN + r"]\s*(?:but\s+)?(?:now|since then|these days|nowadays)\b)",
    # "with respect, that is not our policy.": the house's way denied
    r"^(?:that|this|it)(?:'s|s| is| was)?\s+(?:not|isn'?t|wasn'?t)\s+(?:(?:our|the)\s+)?(?:current\s+)?"
    r"(?:policy|rule|practice|process|procedure|convention|standard|setup|guideline)(?:\s+(?:here|any ?more))?"
    r"(?=\s*[.:;!" + EM + EN + r"-])",
    r"^(?:that|this|it)\s+(?:isn'?t|is not|wasn'?t|was not|ain'?t)\s+(?:quite\s+|really\s+|"
    r"entirely\s+)?(?:right|correct|true|accurate|the case)(?:\s+at\s+all)?(?=\s*" + SEP + r"|\s|$)",
    rf"^(?:that|this|it)\s+(?:isn'?t|is not|wasn'?t|was not)\s+(?:quite\s+|really\s+)?how\s+"
    rf"{_TO_CLAUSE_END}{{1,40}}(?=\s*{SEP})",
    # chat with no separator: "thats not how its measured a session ends after ..."
    r"^(?:(?:that|this|it)(?:'?s| is| isn'?t| is not)?\s+)?not\s+how\s+(?:it|its|it'?s|that|this|they|we|"
    r"you|things|that'?s|this is)(?:\s+(?:is|are|was|were|gets?|got))?\s+(?:works?|worked|done|set up|"
    r"handled|run|built|[a-z]+ed)\b(?:\s+(?:here|at all|anymore))?",
    r"^(?:that|this|it)\s+(?:doesn'?t|does not|dont)\s+work\s+(?:like that|that way|like this)",
    r"^(?:that|this|it)\s+used to be\s+(?:true|the case|right|correct|how it worked)(?:\s*,?\s*but)?",
    r"^(?:that|this|it)(?:'s| is| was)\s+(?:only\s+)?(?:true|the case|right|correct)\s+(?:until|before|up to|"
    r"till|for)\s+[^,.;:!?]{1,30}",
    rf"^(?:(?:that'?s|thats|that is|this is|it'?s|its|it is)\s+)?not\s+what\s+{_TO_CLAUSE_END}{{1,40}}"
    rf"(?=\s*{SEP})",
    rf"^(?:(?:it'?s|its|it is|that'?s|thats|you have it|you'?ve got it)\s+)?(?:the\s+)?(?:other|opposite|"
    rf"wrong)\s+way\s+(?:a?round)(?=\s*{SEP})",
    rf"^(?:(?:it'?s|its|it is|that'?s|thats)\s+)?(?:actually\s+|exactly\s+|quite\s+)?the\s+"
    rf"(?:opposite|reverse)(?=\s*{SEP})",
    r"^(?:that'?s|thats|that is)\s+(?:a\s+)?(?:common\s+)?(?:misconception|misunderstanding|myth)",
    # the two the wrong way round: "flipped.", "swap those: ...", "mixed up. ...", "reverse that."
    rf"^(?:(?:it'?s|its|it is|that'?s|thats|they'?re|theyre|(?:those|these|they|the two|both)\s+(?:are|were|got)|"
    rf"you(?:'ve| have)? got (?:it|them|those|these))\s+)?"
    rf"(?:(?:the\s+)?(?:wrong way round|wrong way around)|flipped|swapped|reversed|backwards|mixed up|"
    rf"switched(?:\s+(?:a?round))?)(?:\s+(?:a?round|here|there|in\s+(?:this|that|our|the)\s+[\w-]+))?(?=\s*[.:;!{EM}{EN}-])",
    rf"^(?:swap|flip|reverse|switch)\s+(?:those|them|these|that|it|the two|those two|them around)"
    rf"(?:\s+(?:a?round))?(?=\s*[.:;!,{EM}{EN}-])",
    # what held once and holds no longer: "used to be. it's ... since ...", "was. it went to ..."
    rf"^(?:(?:that|it|this)(?:'s| is|s)?\s+)?(?:used to be|was|were|not any ?more|no longer)(?:\s+(?:true|the case|right|correct))?"
    rf"(?=\s*[.;!{EM}{EN}]\s+\S)",
    # ... or the value of now after a comma: "used to be, it's been `main` for two years"
    r"^(?:(?:that|it|this|they)(?:'s| is|s)?\s+)?(?:used to be|not any ?more|no longer)(?:\s+(?:true|the case|right|correct))?"
    r"(?=\s*,\s*(?:it'?s|its|it is|it has|they'?re|theyre|they are|now|these days|we|since)\b)",
    # ... or with the story of the change after a comma: "it was, back when we had ...", "they were,
    # until ...", "we used to do it that way. after ..."
    rf"^(?:(?:that|it|this|they)(?:'s| is|s)?\s+(?:used to be|was|were)(?=\s*,\s*(?:back when|until|till|before|"
    rf"then|but)\b)|(?:we|they)\s+used to\s+(?:do|run|handle|have|set up)\s+(?:it|that|this|them)\s+"
    rf"(?:that way|like that|this way|like this)(?=\s*[.;!,{EM}{EN}]\s+\S))",
    r"^(?:that'?s|thats|that is)\s+(?:the\s+)?old\s+(?:info\w*|behaviou?r|way|setup|version|"
    r"number|price|name|value|rule|process|policy)",
    # (with the clause of who held it: "that was the old guidance we followed.")
    r"^(?:that|this)\s+(?:was|is)\s+the old\s+[\w-]+(?:\s+(?!(?:we|they|i|you|he|she)\b)[\w-]+)?"
    r"(?:\s+(?:we|they|i|you|he|she)\s+(?:[a-z]+ed|had|used|got|did|made|wrote|set|ran|went|kept|knew)\b)?",
    r"^(?:that|this|it)(?:'s| has)?\s+changed(?:\s+(?:since|in|last|a while)[^,.;:!?]{0,30})?(?=\s*" + SEP
    + r")",
    rf"^{_SURE}{_YOU}\s+(?:(?:just|totally|completely|a bit|slightly|simply|probably)\s+)?"
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
    rf"^(?:your|that|the|this|those|these)\s+(?:[\w-]+\s+)?{_CLAIM}(?:\s+[\w'-]+){{0,3}}?\s+"
    rf"(?:is|was|are|were|seems?|looks?|sounds?)\s+(?:(?:a bit|slightly|completely|just|totally)\s+)?{_BAD}"
    r"(?:\s+(?:on (?:one|a couple of|two) points?|there|here|though))?",
    rf"^(?:your|that|the|this)\s+(?:[\w-]+\s+)?{_CLAIM}\s+(?:doesn'?t|does not|won'?t|will not)\s+"
    r"hold(?:\s+(?:up|here|there|water))?",
    rf"^the (?:part|bit|line|sentence|point|claim) (?:about|on|where|with|that) "
    rf"{_TO_CLAUSE_END}{{1,60}}? (?:is|was|isn'?t|seems) {_BAD}",
    rf"^you (?:said|wrote|assumed|claimed|stated|mentioned|put|used|think|thought) "
    rf"{_TO_CLAUSE_END}{{1,60}}? but",
    r"^(?:i\s+)?(?:don'?t|dont|do not)\s+(?:think|believe)\s+(?:so|that'?s\s+(?:quite\s+)?(?:right|correct|true|"
    r"accurate|the case|how it works)|(?:that|this|it)\s+(?:is|was)\s+(?:right|correct|true|"
    r"accurate|the case)|it'?s\s+(?:right|correct|true)|you'?re right)",
    r"^(?:i\s+)?(?:really\s+)?doubt\s+(?:it|that|this)",
    r"^(?:i'?m\s+|i am\s+)?not\s+(?:so\s+|too\s+|that\s+)?sure\s+(?:about\s+(?:that|this)|"
    r"(?:that'?s|that is|this is|it'?s|it is)\s+(?:right|true|correct|accurate|the case))",
    r"^i(?:'d|\s+(?:would|must|have to|need to|'d))?\s+(?:(?:strongly|respectfully|politely|have to|must)\s+)?disagree(?:\s+with\s+(?:that|this|you|"
    r"(?:the|your)\s+[\w-]+)(?:\s+[\w-]+)?)?",
    r"^i(?:'d|\s+(?:have to|must|need to|would|'d|gotta|want to|(?:would|'d)\s+have to))\s+push\s+back"
    r"(?:\s+on\s+(?:that|this))?",
    r"^(?:that|this|it)\s+(?:doesn'?t|does not|dont)\s+(?:sound|look|seem)\s+(?:right|correct|true)",
    r"^(?:that|this|it)\s+(?:can'?t|cannot)\s+be\s+(?:right|true|correct)",
    r"^(?:that|this|it|that approach|this approach|that plan|this plan)"
    r"(?:'ll|ll| will| would|'d)?\s+(?:won'?t|wont|will not|can'?t|cant|cannot|wouldn'?t|"
    r"doesn'?t|does not|isn'?t going to|is not going to|is never going to|not going to)\s+"
    r"(?:work|fly|run|help|do it|compile|scale|pass|hold)(?:\s+(?:because|since|as|here|there))?",
    r"^(?:that|this|it)(?:'ll|ll| will| would|'d|'s going to| is going to|'s gonna| is gonna)\s+"
    r"(?:fail|break|crash|error out|blow up|not work|lose (?:data|precision|rows|events|money|history)|"
    r"(?:drop|skip|miss) (?:rows|events|data|records)|corrupt [\w-]+|overwrite [\w-]+|"
    r"(?:give|return|show|produce|cause|create) (?:you )?(?:the |a |an )?(?:wrong|stale|bad|incorrect|"
    r"duplicated?|inflated|double|outdated|broken|inconsistent|different) [\w-]+|double[- ]count"
    r"(?: [\w-]+)?)(?:(?:\s+[\w'-]+){0,3}?\s+(?:because|since|as|cause|coz|bc)\b|"
    r"\s+(?:because|since|as|here|there))?",
    r"^(?:let me|i need to|i have to|i must|just to|allow me to|i'?ll|i should)\s+correct\s+"
    rf"(?:you|one thing|something|(?:that|this|your|the)(?:\s+[a-z-]+(?=\s*[.,:;!{EM}{EN}]|\s+-|\s*$))?)",
    rf"^(?:not to (?:nitpick|be pedantic)|(?:tiny |small |one |quick )?nit(?:pick)?|to be pedantic|"
    rf"pedantic note)(?:\s*,?\s*but)?(?=\s*{SEP}|\s+(?:but|the|it|that|this|we|our)\b)",
    r"^(?:you(?:'ve| have)?|u)\s+(?:got|have|had|get)\s+(?:the|your|those|these|some)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:wrong|backwards|mixed up|confused|swapped|reversed)",
    # "mixed up the suffixes:", "you swapped the two columns -", "you've confused them."
    rf"^(?:(?:i think\s+)?(?:you(?:'ve| have)?|u)\s+)?(?:mixed|mixing|swapped|flipped|reversed|confused|switched)\s+"
    rf"(?:up\s+)?(?:the|those|these|them|your|both)\b(?:\s+(?!(?:and|but)\b)[\w-]+){{0,3}}?(?:\s+(?:up|around|round))?"
    rf"(?=\s*[:;.!{EM}{EN}]|\s+-)",
    rf"^(?:incorrect|wrong|bad|false|faulty|invalid|flawed|mistaken)\s+{_CLAIM}",
    r"^there'?s\s+(?:a|an|one)\s+(?:small\s+|big\s+|slight\s+)?(?:mistake|error|inaccuracy|problem|issue)\s+"
    r"(?:in|with)\s+(?:that|this|your|the)\b(?:\s+[\w-]+)?",
    # one part of the claim named as wrong before the fact: "a) cat b) dog c) bird is wrong, third class is 'other'"
    rf"^(?!(?:i|my|our|me|we|it|this|that)\b)[^,.;:!?]{{1,40}}?\s+(?:is|are)\s+(?:wrong|incorrect)(?=\s*[,;{EM}{EN}]\s*\S)",
    rf"^(?:the|that|this|your|those|these)\s+[\w-]+(?:\s+[\w-]+)?\s+(?:is|are|was|were)\s+"
    rf"(?:(?:a bit|slightly|completely|just|totally|all)\s+)?(?:wrong|incorrect|off|backwards)(?=\s*{SEP})",
    rf"^{_SURE}there'?s\s+(?:a|some|an?\s+\w+)\s+(?:misunderstanding|confusion|mix-?up|misconception)",
    r"^(?:(?:(?:please\s+|kindly\s+)?(?:note|noting)|(?:i\s+)?(?:need|have|must|should|would like|'d like|want) to "
    r"(?:make|add|note|flag))\s+)?(?:(?:one|a|quick|small|minor|tiny|just one|one small|one more)\s+)?correction"
    r"(?:\s+(?:though|here|there|to that|on that))?(?=\s*[,:;"
    + EM + EN + r"-])",
    r"^(?:one|a|quick|small|minor) (?:thing|nit|note|issue|problem) though(?=\s*[,:;" + EM + EN
    + r"-])",
    # asking leave to correct: "if I may correct that:", "allow me to correct you -", "let me correct that,"
    r"^(?:if i (?:may|might|could)|allow me to|let me|i (?:must|have to|need to|should|would like to|'d like to))\s+"
    r"correct\s+(?:that|this|you|the record|something)(?:\s+(?:slightly|a little|a bit|there|here))?(?=\s*[,:;"
    + EM + EN + r"-])",
    # a polite verdict: "I think you'll find ...", "slight misunderstanding there -"
    r"^(?:i think\s+)?you'?ll find(?:\s+that)?(?=\s)",
    rf"^(?:(?:a|one)\s+)?(?:slight|small|little|minor|bit of a|common|big)\s+(?:misunderstanding|"
    rf"misconception|mix-?up|confusion)(?:\s+(?:there|here))?(?=\s*{SEP})",
    # a change made since: "we changed that in January, ...", "finance changed it last year"
    rf"^(?:we|they|finance|ops|legal|someone|[\w-]+ team)\s+(?:changed|updated|reversed|dropped|"
    rf"replaced|retired|killed|deprecated)\s+(?:that|this|it)(?:\s+{_TO_CLAUSE_END}{{1,30}})?(?=\s*{SEP})",
    # the two the other way round: "other way round here:", "that's inverted lol,", "opposite, ..."
    rf"^(?:(?:it'?s|its|it is|that'?s|thats|that is|they'?re|theyre)\s+)?(?:actually\s+|exactly\s+|all\s+)?"
    rf"(?:the\s+)?(?:other way (?:a)?round|(?:other|opposite|wrong|reverse) direction|opposite|reverse|inverted|flipped|swapped|reversed|backwards|upside down)"
    rf"(?:\s+(?:here|there|lol|lmao|haha|actually|mate|man|dude|bro|buddy|pal|in (?:this|our|the) [\w-]+))*"
    rf"(?=\s*[.:;!,{EM}{EN}-])",
    # a verdict with its subject left out: "is not like this", "is wrong" (non-native)
    rf"^(?:it\s+)?is\s+(?:not\s+(?:like\s+(?:this|that)|so|correct|right|true|good)|wrong|incorrect|"
    rf"false)(?=\s*{SEP})",
)]

STRONG_CORRECTION_ANY = any_of(STRONG_CORRECTION)

# Weak leads need the start of the turn (after pleasantries at most): "no", "wait" and
# "actually" open many turns that correct nothing in the middle of one.
_NO_THEN = (r"(?=\s+(?:it|its|it'?s|that|thats|that'?s|they|they'?re|theyre|we|we'?re|our|the|"
            r"this|these|those|there|there'?s|you|u|he|she|everything|nothing|all|only|just|so\s+actually|"
            # chat typos of the same words: "no teh server is on UTC", "no tehy go in appdata"
            r"teh|hte|tehy|thye|thier|taht|tht|thta|ther|dat|dey)\b)")
WEAK_CORRECTION = [_rx(p) for p in (
    rf"^(?:no+(?:\s+no+)*|nope|nah+|naw|not really|not quite|not exactly|not at all|no way|"
    rf"absolutely not|definitely not|of course not|hell no|uh+ no|not)(?:{SEP_RUN}|\s*{EMOJI}+\s*)",
    r"^(?:nope|nah+|naw|no no|not really|not quite|no way)\s+",
    # spoken, a filler after the "no": "hmm no so dau is only ...", "not exactly so laptops get ..."
    r"^(?:no+|nope|nah+|not really|not quite|not exactly)\s+(?:so|well|like|um+|uh+)\s+(?!(?:what|why|how|much|many|far|long|i)\b)(?=\w)",
    rf"^no+{_NO_THEN}\s+",
    rf"^(?:wait+|hold on|hang on|hold up|hold it|one sec(?:ond)?|stop)"
    rf"(?:\s+(?:wait+|a sec(?:ond)?|a minute|a moment|on))*(?=\s*{SEP}|\s+(?:no+|nope|nah|actually)\b)",
    # irony or emphasis for "no": "haha I wish.", "big no 😬"
    rf"^(?:i wish|if only|(?:big|hard|strong|flat|firm)\s+no)(?:{SEP_RUN}|\s*{EMOJI}+\s*)",
    rf"^(?:(?:be\s+)?careful(?:\s+(?:there|here|now))?|watch out|caution|warning)(?=\s*{SEP})",
    # a warning not to repeat it: "uh oh, don't tell people that 😅 ...", "don't put that in the doc -"
    rf"^(?:please\s+)?(?:don'?t|do not|dont)\s+(?:tell|say|write|put|promise|publish|send|quote)\s+"
    rf"(?:(?:people|anyone|them|customers|users|the team|that|this|it)\s*){{1,2}}(?:(?:that|this|it)\s*)?"
    rf"(?:(?:in|to|on) [\w\s]{{1,20}}?)?(?=\s*{SEP}|\s*{EMOJI})(?:{SEP_RUN}|\s*{EMOJI}+\s*)?",
    # "here is different, ...", "for us it's different:": the statement does not hold here
    rf"^(?:here|for us|with us|in our case|at our company|in our company|our case)\s+"
    rf"(?:it'?s|its|it is|is|are|it works|works)\s+(?:different|not like (?:this|that)|otherwise)(?=\s*{SEP})",
    rf"^(?:it'?s|its|it is|things are|that'?s|thats)\s+(?:a bit\s+|quite\s+|totally\s+)?different\s+"
    rf"(?:here|for us|with us|in our case|at our company|in our company)(?=\s*{SEP})",
    r"^(?:well\s+)?(?:actually|in fact|as a matter of fact|technically(?:\s+speaking)?)\b",
    rf"^(?:close|almost|nearly|(?:partly|partially|half|mostly)\s+(?:right|true|correct))"
    rf"(?:{SEP_RUN}|\s+)but(?:\s+not\s+(?:quite|exactly))?\b",
    rf"^(?:close|almost|nearly|(?:partly|partially|half|mostly)\s+(?:right|true|correct))"
    rf"(?=\s*{SEP})",
    # one part right, another wrong: "right payroll, wrong date -", "the date's right but the amount is off:"
    rf"^(?:right|correct)\s+[\w'-]+(?:\s+[\w'-]+)?\s*,?\s+(?:but\s+)?wrong\s+[\w'-]+(?:\s+[\w'-]+)?(?=\s*{SEP})",
    rf"^(?:the\s+)?[\w'-]+(?:\s+[\w'-]+)?(?:'s|\s+is|\s+are|'re)\s+(?:right|correct|fine)\s*,?\s+(?:but\s+)?(?:the\s+)?"
    rf"[\w'-]+(?:\s+[\w'-]+)?(?:'s|\s+is|\s+are|'re)\s+(?:wrong|off|outdated|not right)(?=\s*{SEP})",
    r"^(?:incorrect|not true|untrue|wrong)\s+(?=[\w$])",
    r"^(?:are|r)\s+(?:you|u)\s+sure(?:\s+about\s+(?:that|this))?\s*\?+\s*",
    rf"^(?:(?:i'?m\s+)?afraid not|sadly not|sadly no|nuh[- ]uh|no siree?)(?:{SEP_RUN}|\s+)",
    # "negative" is a denial only when set apart ("negative, it's 40"): "negative amounts are credits"
    rf"^negative(?:{SEP_RUN}|\s*$)",
    rf"^(?:that|this|it)\s+(?:changed|has changed|is different now)(?:{SEP_RUN}|\s+)",
    rf"^(?:please\s+)?(?:don'?t|do not|dont)(?=\s*[{EM}{EN}:;!.,-])",
    # a denial of what was said: "it doesn't -- it overwrites them", "they aren't, ..."
    # ... also after the scope it holds in: "for annual contracts they cannot, they must pay ..."
    rf"^(?:(?:for|in|on|with|at|under)\s+[^,.;:!?]{{1,30}}?,?\s+)?"
    rf"(?:it|they|that|this|we|you|he|she)\s+(?:(?:does|do|is|are|was|were|did|will|can|has|have)n'?t|"
    rf"(?:does|do|is|are|was|were|did|will|has|have) not|cannot|can not|wo n'?t|won'?t|never (?:did|does|has))"
    rf"(?:\s+(?:anymore|any more|at all|actually|really|though|either))?(?=\s*{SEP}|\s*$)",
    # a reminder of what the person said before: "like i said earlier, ...", "as noted above ..."
    r"^(?:(?:like|as)\s+i\s+(?:said|mentioned|told you|noted|wrote|explained|pointed out)(?:\s+(?:earlier|before|"
    r"above|already|yesterday|last time|in my last message))?|i\s+(?:told|said to)\s+(?:you|u)\s+(?:before|already|"
    r"earlier|yesterday)|as\s+(?:noted|mentioned|discussed|stated|said|explained)\s+(?:above|earlier|before)|"
    r"per\s+my\s+(?:last|previous|earlier)\s+(?:message|msg|comment|note|email)|"
    r"we\s+(?:went over|discussed|covered|talked about)\s+(?:this|that)(?:\s+(?:already|before|earlier))?|"
    rf"(?:once\s+)?again(?=\s*,))(?:{SEP_RUN}|\s*{EMOJI}+\s*|\s+)",
    # "Not like this. ...", "not how it works here -"
    rf"^(?:no+\s+)?(?:(?:it\s+)?is\s+)?not\s+(?:like (?:this|that)|how (?:it|this|that) works(?:\s+here)?)(?=\s*{SEP})",
    # another value named and set aside first: "not Frankfurt, EU servers are in Amsterdam", "is not
    # one month, for cadres it is three months"
    r"^(?:(?:it\s+)?is\s+)?not\s+(?:(?-i:[A-Z])[\w.-]*|[\w$.%/-]*\d[\w$.%/-]*|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|twelve)(?:\s+[\w$%./-]+)?\s*,\s+(?=[^\s.!?,;]+\s+[^\s.!?,;]+\s+[^\s.!?,;])",
    rf"^not\s+(?:for us|here|in our case|in this case|at [\w-]+|in (?:our|this) [\w-]+|"
    rf"(?:for|with|in) (?:the |our )?[\w-]+ (?:plans?|accounts?|customers?|users?|team|region))(?=\s*{SEP})",
)]
WEAK_CORRECTION_ANY = any_of(WEAK_CORRECTION)
# A challenge as a question, then the fact: "wait, really? ...", "where did you get that? ...",
# "isn't our fiscal year offset though? ...", "did you look at the config? ...". What follows
# corrects only a statement it contradicts.
CHALLENGE = any_of([_rx(p) for p in (
    # the statement speaks of another thing than the one at hand: "that's just the local config;
    # CI signs release builds with ...", "that's only for staging -- prod ..."
    rf"^(?:that'?s|thats|that is)\s+(?:just|only)\s+(?:the|for|in|on|our|your)\s+[\w-]+(?:\s+[\w-]+)?\s*(?:[;:{EM}{EN}]|\s-+)\s*(?=\S)",
    r"^(?:really|seriously|huh|what|since when|says who|(?:are\s+)?(?:you|u)\s+sure|is that (?:so|right|true))\s*\?+\s*(?=\S)",
    # the statement asked back: "huh, is it? ...", "does it though? ...", "oh do they? ..."
    r"^(?:(?:huh+|hm+|wait+|oh+|um+|er+)[,!.]*\s+)?(?:is|are|does|do|did|was|were|has|have|can|will)\s+"
    r"(?:it|they|that|this|he|she|we|you)(?:\s+(?:though|tho|really|now|actually))?\s*\?+\s*(?=\S)",
    r"^(?:where|how)(?:\s+did|'d|\s+do|\s+would)\s+(?:you|u)\s+(?:get|find|see|read|hear|pull)\s+"
    r"[^?]{1,40}?(?:\s+from)?\s*\?+\s*(?=\S)",
    # "who told you 24?", "says who?", "why 4.x??", "dock 3?? ..."
    r"^(?:wait+[,!.]?\s+)?(?:who\s+(?:told|said|says)|why\s+(?:would\s+it\s+be\s+)?(?=[^?\s]*\d))[^?]{0,40}\?+\s*(?=\S)",
    r"^[^?\s]*\d[^?\s]*(?:\s+[^?\s]+)?\s*\?\?+\s*(?=\S)",
    r"^(?:[^?\s]+\s+)?[^?\s]*\d[^?\s]*\s*\?\?+\s*(?=\S)",
    r"^(?:where(?:'s| is| does)\s+(?:that|this)\s+(?:from|come from|coming from))\s*\?+\s*(?=\S)",
    r"^did\s+(?:you|u)\s+(?:look at|check|read|see|open)\s+(?:the|our|my|that|this|their)\s+[\w\s./-]{1,30}?\?+\s*(?=\S)",
    r"^(?:(?:huh+|hm+|wait+|hang on|hold on)[,!.]*\s+)?(?:is|are|does|do|did|was|were|has|have|wo|ca)n'?t\s+"
    r"[^?]{3,80}?\?+\s*(?=\S)",
    # "where are you seeing 30?", "where're you getting that from?"
    r"^(?:where|how)(?:\s+are|'re|re)\s+(?:you|u)\s+(?:getting|seeing|finding|reading|pulling)\s+"
    r"[^?]{1,40}?(?:\s+from)?\s*\?+\s*(?=\S)",
    # "who told you that lol.", "says who lol": the challenge without its question mark
    r"^(?:wait+[,!.]?\s+)?(?:who\s+(?:told|said)\s+(?:you|u)\s+(?:that|this)|says who)"
    r"(?:\s+(?:lol|lmao|haha))?\s*[?!.]+\s*(?=\S)",
)])
# "pretty sure it's monthly": sure of a fact of one's own -- a correction only of a statement it
# contradicts
SURE_THAT = _rx(r"^(?:i'?m\s+|i am\s+)?(?:pretty|fairly|quite|100%|completely|very|dead)\s+"
                r"(?:sure|certain|confident)(?:\s+that)?[,:]?\s+")

# -- confirmations -------------------------------------------------------------------------------

_MATCHES = (r"(?:matches|lines up with|agrees with|(?:is |'s |s )?(?:consistent|in line) with|"
            r"tallies with|squares with|aligns with|fits(?: with)?|checks out with|ties out (?:to|with)|"
            r"reconciles (?:to|with))")
STRONG_CONFIRMATION = _rx(
    # (not "exactly $250 counts too": a value said exactly)
    r"^(?:exactly(?!\s+[$£€~]?\d)(?: right| that| so)?|precisely(?!\s+[$£€~]?\d)(?: so)?|"
    # said in another language: "genau", "stimmt", "exacto", "c'est ça", "esatto"
    r"genau|stimmt(?: genau| so)?|richtig|exakt|exacto|exactamente|correcto|precisamente|claro|"
    r"c'?est (?:ça|ca|exact|correct|juste)|exactement|tout à fait|esatto|giusto|"
    r"quite so(?![\w-])|(?:that|this) is (?:indeed )?so(?=[\s.!,;]*$|[.!])|spot on|bang on|dead on|bingo|100 ?%|\U0001f4af|"
    r"(?:you\s+)?nailed it|(?:right\s+)?on the (?:money|nose)|(?:that'?s|thats)\s+it\s+exactly|"
    r"totally|definitely|certainly|for sure|of course|yes indeed|without a doubt|(?:def|defo|deffo|defs)(?=\s*[,.!]|\s*$)|"
    r"(?:you\s+)?(?:couldn'?t|could\s+not)\s+be\s+more\s+(?:right|correct|accurate)|(?:i\s+)?(?:couldn'?t|could\s+not)\s+agree\s+more|"
    # "as I recall, yes, may"
    r"as\s+(?:i|we)\s+(?:recall|remember)(?:\s+it)?,?\s+(?:yes|yeah|yep|correct|right)\b|"
    # surprise, then assent: "weird but true", "odd as it sounds, yes", "counterintuitive, but
    # correct", "strange but that's accurate", "believe it or not, yes" (not "funny, but right now")
    r"(?:(?:odd|weird|strange|surprising|counter-?intuitive|crazy|funny|wild|unexpected|bizarre)(?:ly)?"
    r"(?:\s+(?:as|though)\s+(?:it|that|this)\s+(?:sounds|seems|is|may\s+(?:sound|seem)))?|"
    r"(?:it\s+|that\s+)?(?:sounds|seems|looks)\s+(?:wrong|odd|weird|strange|crazy|off|backwards)|believe\s+it\s+or\s+not)"
    r",?\s+(?:but\s+)?(?:(?:it'?s|that'?s|thats|it\s+is|that\s+is)\s+)?(?:(?:all\s+|quite\s+|100%\s+)?(?:true|correct|accurate)"
    r"|right(?!\s+(?:now|away|after|before|here|there|then|off|when|as))|yes|yep|yeah)\b|"
    # "couldn't have put it better myself"
    r"(?:i\s+)?(?:couldn'?t|could\s+not)\s+have\s+(?:put|said)\s+it\s+better(?:\s+myself)?|"
    r"true(?=[\s.!]*$)|(?:very|so|quite|all|absolutely|totally|completely)\s+true|accurate(?=[\s.!]*$)|"
    r"(?:all|both)\s+(?:correct|right|true|accurate)|(?:that|this|it)?\s*checks out|(?:that|this)\s+tracks|"
    r"(?:(?:that|this|it)\s+)?(?:sounds|looks|seems)\s+(?:about\s+|exactly\s+)?(?:right|correct|accurate)"
    r"(?:\s+to me)?|(?:right|correct|true) on (?:both|all|every) (?:counts?|points?|fronts?)|confirming|"
    r"correct(?:o|amundo)?(?!\s+(?:it|this|that|them|those|these|me)\b)|"
    r"(?:that'?s|thats|that is|this is|it'?s|it is)\s+(?:exactly\s+|totally\s+|indeed\s+|"
    r"absolutely\s+|100%\s+|also\s+|all\s+|both\s+|entirely\s+)?(?:right|correct|it|true|exactly right|"
    r"spot on|how it works|(?:our|the)\s+(?:policy|rule|standard|procedure)(?=\s*(?:[-,;:.!\u2014\u2013]|$))|"
    r"the one(?!\s+(?:that|which|who|where|when|we|you|i|they|with|for|in|on|at|to)\b)|accurate|the case|how (?:it is|we do it|we count it|it'?s done)|"
    r"what (?:i see|we see|we do|happens|i have|i'?ve seen|i remember|(?:it|they)\s+(?:says?|shows?|reads?|lists?)))|"
    # "That is indeed the statutory limit.": the statement's thing named again, "indeed"
    r"(?:that|this|it)\s+(?:is|'s|was)\s+indeed\s+(?:the|a|an|our|their|my)\s+[\w\s'-]{1,40}?(?=[.!]*$)|"
    # someone asked says so: "he says that's correct", "Priya confirmed it's right"
    r"(?:he|she|they|[\w-]+)\s+(?:says|said|confirms|confirmed|agrees|agreed)\s+(?:that'?s|thats|it'?s|its|that is|it is)\s+"
    r"(?:correct|right|true|accurate)|"
    rf"{_YOU}\s+(?:(?:absolutely|totally|quite|completely|exactly|100%|so|dead)\s+)?(?:right|correct|"
    r"spot on|bang on|dead on|on the money)|"
    r"(?:that'?s|that is|this is)\s+(?:exactly\s+)?(?:how|what)\s+(?:we|they|finance|sales|legal|ops|"
    r"(?:the\s+)?[\w-]+\s+team)\s+(?:[\w-]+\s+){0,2}?(?:it|them|that|this)\b|"
    r"(?:you(?:'ve)?|u)\s+got\s+it|right on(?!\s+(?:time|schedule|track|target|top|cue|the))|confirmed|indeed|agreed|absolutely|affirmative|"
    # idioms: "ding ding ding", "you've put your finger on it", "hit the nail on the head"
    r"ding(?:[\s,!-]+ding)+|(?:you(?:'ve| have)?\s+)?(?:put|got|have)\s+(?:your|the)\s+finger\s+on\s+it|"
    r"(?:you(?:'ve| have)?\s+)?hit\s+the\s+nail(?:\s+on\s+the\s+head)?|"
    # non-native: "exact, ...", "yes is correct like this", "is right what you are saying"
    r"exact(?=\s*[,.!]|\s*$)|(?:it\s+)?is\s+(?:correct|right|true|so)\s+(?:like\s+(?:this|that|you\s+say)|"
    r"(?:what|how)\s+(?:you|u)\s+(?:are\s+saying|say|said|wrote|write))|"
    r"(?:what|how)\s+(?:you|u)\s+(?:are\s+saying|say|said|wrote)\s+is\s+(?:correct|right|true|exact)|"
    # the source in hand agrees: "kubectl describe agrees, ...", "the broker confirmed it, ..."
    r"(?!(?:no|nobody|no one|none|never|not|it|this|that|which|who|i|we|you|he|she|they)\b)(?:[\w'.-]+\s+){1,3}?"
    # ... where it was read: "dmesg on that box agrees"
    r"(?:(?:on|in|from|at)\s+(?:that|this|the|my|our)\s+[\w'.-]+\s+)?"
    # ... after looking: "our lawyer read it and agrees, ..."
    r"(?:(?:read|checked|reviewed|looked\s+(?:at|into)|went\s+(?:through|over)|pulled|tested|ran|saw)\s+(?:it|that|this|them|"
    r"the\s+[\w-]+)\s+and\s+)?"
    r"(?:agrees|agreed|confirms(?:\s+(?:it|that|this))?|confirmed\s+(?:it|that|this)|backs\s+(?:it|that|this)\s+up|"
    r"says so|said so|says yes|said yes)(?=\s*[,:;" + EM + EN + r"-]|[\s.!]*$)|"
    # someone of the house confirmed, as all there is before the fact: "data eng confirmed: ...", "front desk confirmed, ..."
    r"(?!(?:no|nobody|no one|none|never|not|it|this|that|which|who|i|we|you|he|she|they)\b)(?:[\w'.-]+\s+){0,2}?"
    r"(?:team|eng|engineering|desk|lawyers?|counsel|legal|finance|accounting|payroll|hr|ops|support|security|manager|boss|"
    r"lead|vendor|supplier|landlord|admin|dba|devs|owner|office|accountant|auditors?|bank|folks|department|dept)\s+"
    r"(?:confirmed|confirms|verified)(?=\s*[,:;" + EM + EN + r"-])|"
    # a hedge settled: "good guess, ...", "you're reading it right, ...", "your hunch was right"
    r"(?:good|correct|right)\s+guess|(?:you\s+)?guessed\s+(?:it|right|correctly)|"
    r"(?:your|the|that)\s+(?:guess|hunch|suspicion|instinct|gut)\s+(?:is|was|'s)\s+(?:right|correct|spot on)|"
    rf"{NOTHING_WRONG}|"
    r"that'?s a yes|verified|(?:i\s+)?can confirm(?:\s+(?:that|this))?|i\s+(?:hereby\s+)?confirm(?:\s+(?:that|this))?|"
    r"(?:i(?:'ve| have)?\s+)?(?:just\s+|double[- ]?)?checked(?:\s+(?:it|that|this))?|"
    rf"(?:that|this|it)?\s*{_MATCHES}\s+(?:my|our|what|the|how|their|his|her|your)\b{_TO_CLAUSE_END}{{0,60}}|"
    # the evidence agrees: "that fits, ...", "that lines up.", "same as what the agents told me",
    # "exactly what I suspected"
    rf"(?:that|this|it)\s+(?:fits|lines up|adds up|tallies|squares|tracks)(?=\s*[,.;:!{EM}{EN}-]|\s*$)|"
    rf"(?:(?:that'?s|thats|that is|it'?s|its)\s+)?(?:the\s+)?same\s+as\s+what\b{_TO_CLAUSE_END}{{0,50}}|"
    r"(?:that'?s\s+|thats\s+)?(?:exactly|precisely|just)\s+what\s+(?:i|we)\s+(?:suspected|thought|expected|figured|"
    r"assumed|guessed|feared|found|saw|see|remember(?:ed)?)|"
    # "that's what I expected", "that's what section 14 of the act says" (not "... what I thought you'd say")
    r"(?:that'?s|thats|that is)\s+(?:what\s+(?:i|we)\s+(?:suspected|thought|expected|figured|assumed|remember(?:ed)?)"
    r"(?!\s+(?:you|it|they|he|she|we|i|the)\b)|what\s+(?:the\s+)?(?:[\w-]+\s+){1,5}?(?:says|said|states|stated|shows|showed)"
    rf"(?=\s*[,.;:!{EM}{EN}-]|\s*$))|"
    rf"{_MATCHES}\s+what\b{_TO_CLAUSE_END}{{0,40}}|"
    r"(?:that'?s|that is)\s+(?:my|our)\s+(?:understanding|recollection|memory)(?:\s+(?:too|as well|also))?|"
    rf"(?:your|that|the|this|these|those)\s+(?:[\w-]+\s+)?{_CLAIM}(?:\s+[\w'-]+){{0,3}}?\s+(?:holds(?:\s+up)?|hold\s+up|"
    r"checks? out|(?:is|was|are|were|seems|looks|sounds)(?:\s+(?:totally|completely|exactly|absolutely|"
    r"100%|perfectly|all))?\s+(?:right|correct|accurate|spot on|valid|sound|fine))|"
    # "good point", not "good explanation": praise of the work is no verdict on its facts
    rf"(?:fair|safe|correct|right|valid|accurate)\s+{_CLAIM}|"
    r"good\s+(?:point|read|reading|assumption|understanding|take|logic|reasoning|diagnosis)|"
    rf"(?:that'?s|that is)\s+(?:the|a)\s+(?:right|correct|fair|valid|accurate)\s+{_CLAIM}|"
    # a hedge of the statement's own settled: "you believe correctly", "you remember right", "you're
    # not missing anything"
    r"(?:you|u)\s+(?:believe|remember(?:ed)?|recall(?:ed)?|think|thought|assumed?|suspect(?:ed)?|figured|guess(?:ed)?)\s+"
    r"(?:correctly|right|rightly)|"
    rf"{_YOU}\s+not\s+missing\s+(?:anything|a thing)|(?:you|u)\s+(?:didn'?t|did not|haven'?t|have not)\s+miss(?:ed)?\s+"
    r"(?:anything|a thing)|"
    r"(?:you(?:'ve)?|u)\s+(?:read|understood|understand|got|summari[sz]ed|interpreted|described)\s+"
    r"(?:it|that|this|things|them)?\s*(?:right|correctly|perfectly|exactly|accurately)|"
    r"(?:verified|confirmed|checked|double[- ]checked|cross[- ]?checked)\s+(?:with|against|in|on)\s+[^,.;:!?]{1,40}|"
    # "quite right", "is correct" (a subject left out), "that's it in one", "like you say"
    r"(?:quite|dead|absolutely|perfectly|completely|totally|entirely)\s+(?:right|correct)|"
    r"(?:(?:that'?s|thats|you'?ve got|you got)\s+it|got it)\s+in\s+one|"
    r"(?:it\s+)?is\s+(?:correct|right|true|exactly (?:so|right|correct))|"
    r"(?:(?:it'?s|it is|is)\s+)?(?:just\s+|exactly\s+)?(?:like|as)\s+you\s+(?:say|said|wrote|described?|thought)|"
    # agreement: "I agree", "agree with that", "same understanding here", "same here"
    r"(?:i\s+)?(?:(?:fully|totally|completely|100%|strongly|definitely)\s+)?agree(?:\s+with\s+(?:that|this|you|"
    r"(?:the|your)\s+[\w-]+)(?:\s+[\w-]+)?)?|"
    r"(?:same|my)\s+understanding(?:\s+(?:here|too|as well))?|same here|"
    r"(?:(?:that'?s|that is)\s+)?(?:also\s+)?my understanding(?:\s+too)?|"
    r"(?:you(?:'ve)?|u)\s+(?:understood|nailed|get)\s+(?:it|that|this)(?:\s+(?:right|correctly|perfectly|exactly))?|"
    # conceding: "no, you're right", "no no, that's exactly it"
    r"no+(?:[,\s]+no+)*[,\s]+(?:you'?re|you are|ur|that'?s|thats)\s+(?:(?:totally|absolutely|quite|exactly)\s+)?"
    r"(?:right|correct|it(?:\s+exactly)?|spot on)|"
    # a yes with how the person feels about it: "yes sadly", "yep, intentional", "yeah, by design"
    r"(?:yes+|yeah+|yep+|yup+|ya|yea)[,\s]+(?:sadly|unfortunately|regrettably|alas|intentional(?:ly)?|on purpose|"
    r"by design|deliberately|afraid so)|"
    # what the statement noticed was meant so: "right, intentional", "yes, that's intended", "by design"
    r"(?:(?:yes+|yeah+|yep+|yup+|ya|yea|right|correct)[,.!\s]+)?(?:(?:that'?s|thats|it'?s|its|that\s+was|it\s+was|"
    r"this\s+is|that\s+is|it\s+is)\s+)?(?:(?:totally|fully|entirely|completely|very\s+much|100%)\s+)?"
    r"(?:intentional(?:ly)?|intended|deliberate(?:ly)?|on\s+purpose|by\s+design|as\s+designed|as\s+intended|"
    r"working\s+as\s+(?:intended|designed))|"
    # agreement said through a negative: "you're not wrong", "can't argue with that", "no arguments
    # here", "nothing wrong with that", "not gonna disagree", "I won't disagree"
    rf"(?:{_YOU}\s+)?not\s+(?:wrong|mistaken|incorrect)|{_YOU}\s+not\s+off|(?:i\s+)?(?:can'?t|cannot|can not|won'?t|wouldn'?t|couldn'?t)\s+"
    r"(?:argue|disagree)(?:\s+with\s+(?:that|this|you|it))?|no\s+(?:arguments?|argument|disagreement|objections?)"
    r"(?:\s+(?:here|from me|there))|(?:there'?s\s+)?nothing\s+wrong\s+with\s+(?:that|this|it)|"
    r"(?:i'?m\s+)?not\s+(?:gonna|going to|about to)\s+(?:argue|disagree)(?:\s+with\s+(?:that|this|you))?)"
    + _AFTER_WORD
)
# "yes the billing API returns cents": after a yes-word anything may follow ("yes please" is
# finished as agreement to an offer); "right" and "true" keep the guard ("right now", "true for").
_YES = (r"(?:(?:yes+|yeah+|yep+|yup+|ya|yea|yah|ye|yeh|yeap|yass+|aye|mhm+|uh[- ]?huh|yes yes|yep yep|"
        # the yes of a colleague's other language: "ja", "oui", "sí"
        r"ja|jawohl|oui|sí)"
        r"(?:\s+(?:sir|ma'?am|mate|dude|man|boss|chief|indeed))?)")
WEAK_CONFIRMATION = _rx(rf"^(?:{_YES}(?=\W|$)|(?:right|true)" + _AFTER_WORD + ")")
# said again of it ("confirmed it", "reiterated that" -- not "confirmed this morning: ...", where
# "this" is the morning), and when
SAID_IT = (r"(?:confirmed|reconfirmed|reiterated|repeated|verified)\s+(?:it|that|this)\b"
           r"(?!\s+(?:morning|afternoon|evening|week|month))")
_WHEN_SAID = r"(?:\s+(?:this\s+morning|this\s+afternoon|today|yesterday|earlier|last\s+week|on\s+\w+))?"
# "us-east-1, yes", "monthly -- correct", "30s, yes that's right": the confirming word after
# what it confirms (a fragment echoing the statement, or the person's own fact).
_CONFIRM_WORD = (r"(?:yes+|yeah|yep|yup|ya|yea|mhm+|uh[- ]?huh|correct|exactly|precisely|right|indeed|agreed|"
                 # "Ships on 2 December, the printer confirmed that this morning"
                 r"(?:the\s+|our\s+|their\s+)?(?!(?:i|we|you|it|he|she|they)\b)[\w'-]+(?:\s+[\w'-]+)?\s+"
                 + SAID_IT + _WHEN_SAID + "|"
                 # "the 25 per page part is right": one part of what was said; "X 👍"
                 r"(?:part|bit|piece|half|number|figure)\s+(?:is|was|'s)\s+(?:right|correct|accurate|true|spot on)|"
                 # "Ningbo on the 12th is right": what was said, then the verdict on it
                 r"(?:is|are)\s+(?:(?:exactly|absolutely|quite)\s+)?(?:right|correct|accurate|spot on)|"
                 "[\U0001f44d\u2705\u2713\u2714\u2611\U0001f44c][\U0001f3fb-\U0001f3ff\ufe0f]*|"
                 # "..., confirmed with the maintenance team yesterday"
                 r"(?:confirmed|verified|double[- ]checked)(?:\s+(?:with|by|against)\s+[^,.;:!?]{1,40})?|"
                 r"you(?:'ve| have)? got it(?: right)?|you'?re (?:right|correct)|(?:that'?s|thats) it|"
                 # "optimal temperature is 37 °C, that's what we saw too", "the NDA is mutual, that part I know"
                 r"(?:that'?s|thats|that is)\s+what\s+(?:i|we)\s+(?:saw|see|found|get|got|have|had|measured|expected)"
                 r"(?:\s+(?:too|as well|here))?|that\s+(?:part\s+|much\s+|bit\s+)?(?:i|we)\s+know|"
                 # "placed on the 2nd, that I can confirm"
                 r"(?:that|this)\s+(?:i|we)\s+can\s+(?:confirm|vouch for)|(?:i|we)\s+can\s+confirm(?:\s+(?:that|this))?|"
                 r"true|spot on|100 ?%|(?:that'?s|thats|that is)\s+(?:right|correct|it|true|accurate|"
                 r"how it works)|(?:just\s+|exactly\s+)?(?:like|as)\s+(?:you|u)\s+(?:said|say|wrote|mentioned|"
                 r"described|put it)|(?:that\s+|which\s+|it\s+)?(?:matches|lines up with|agrees with|tallies with|"
                 r"squares with)\s+(?:what\s+(?:i|we)\s+(?:see|saw|have|found|get)|(?:the|our|my)\s+[\w-]+)"
                 r"(?:\s+(?:in|on|from)(?:\s+[\w./-]+){1,3})?)")
TRAILING_CONFIRMATION = _rx(
    rf"^(?P<said>[^?]{{1,80}}?)(?:\s*[,;:{EM}{EN}-]+\s*|\s+)"
    rf"(?P<word>{_CONFIRM_WORD}(?:[\s,;.!{EM}{EN}-]+{_CONFIRM_WORD})*)[\s.!]*(?:{EMOJI}\s*)*"
    # "..., that's right; someone else set up the R8 stuff": what follows the semicolon is apart;
    # so is what the person adds, the reason, or their own check: "three replicas, yes, and each
    # gets 2 vCPUs", "two sailings, yes, because ...", "Safari 17, yes, I reproduced it there"
    rf"(?:;\s+[^?]*|\s*[,;:{EM}{EN}-]+\s*(?:(?:and|plus|also)\b(?!\s+(?:can|could|would|will|please|pls|what|why|how|"
    r"where|when|is|are|do|does|did)\b)|(?:because|since|cause|coz|bc)\b|"
    # "monthly yeah, not quarterly anymore": what it no longer is
    r"not\s+(?!(?:sure|certain|really|quite|exactly|yet|now|so)\b)[^?]{1,40}?\s+(?:any\s?more|now|these days)\b|(?:that'?s|thats|it'?s)\s+(?:the|our)\s+(?:[\w-]+\s+){0,2}"
    r"(?:rule|standard|policy|law|process|procedure|convention|default|norm)\b|i\s+(?:just\s+)?(?:reproduced|checked|confirmed|"
    r"verified|tested|saw|see|ran|looked|counted|measured)\b)[^?]*)?$"
)
# What cannot come right before a trailing "right"/"correct": "that's not right", "is it right",
# "figure out if that's true".
NOT_CONFIRMED = _rx(r"(?:\b(?:not|no|never|is|are|was|were|be|that|it|this|the|a|an|of|on|to|"
                    r"in|at|turn|go|all|feel|feels|seems?|looks?|sounds?|do|does|get|got|if|whether)|n't|'s)$")
# "yes it is", "yes you can": an answer to a question, not a fact of the person's own
ECHO_ANSWER = _rx(r"^(?:(?:it|that|they|this|you|we|i|he|she)\s+(?:sure\s+)?(?:is|are|does|do|did|can|has|"
                  r"have|was|were|will|am|should|must)|sure (?:is|does|are|do|can))(?:\s+(?:indeed|too|though))?"
                  r"(?=\s*$|\s*" + SEP + ")")
# The person's own check before what it found: "just checked the console, ...", "I dug up the
# contract, ...", "ran explain on the export query -- yes, ...". What follows confirms the statement
# only if it says it again, and corrects it if it contradicts it.
CHECKED = _rx(
    r"^(?:i(?:'ve| have)?\s+)?(?:just\s+|also\s+|quickly\s+|went and\s+|double[- ]?)?"
    r"(?:checked|verified|looked(?:\s+it)?\s+up|looked\s+(?:at|in|into|through)|confirmed|dug\s+(?:up|out|into)|"
    r"pulled(?:\s+up)?|ran|re-?ran|grepped|queried|tested|tried(?:\s+it)?|opened|asked|inspected|traced|"
    r"went\s+(?:through|over|back\s+(?:to|over|through))|(?:read|combed|scanned)\s+through|re-?checked|double[- ]?checked|"
    # a count or a figure worked out again: "I counted too, ...", "just reproduced it locally, ..."
    r"(?:re-?)?counted|reproduced|re-?measured|measured|(?:re-?)?calculated|(?:re-?)?computed|tallied|"
    r"did\s+the\s+(?:math|maths|sums?)|worked\s+it\s+out|summed\s+(?:it|them)\s+up)\b"
    r"(?!(?:(?<=confirmed)|(?<=verified))\s+(?:with|against)\b)"  # "confirmed with finance": a strong lead
    # ("checked with ops, it runs on 4 pods": what the check found says whether it confirms)
    r"(?:(?<!confirmed)(?<!verified)|(?=\s+[^\s,.;:!?]))"  # bare "confirmed, ...": a strong lead too
    rf"(?:\s+(?:(?!\s+(?:and|but)\s){_TO_CLAUSE_END}){{1,50}}?)?(?:\s*[,:;{EM}{EN}]\s*|\s+-+\s+|\s+and\s+)(?=\S)"
)
# the same found on one's own side or elsewhere: "same on my side", "same here", "same for me", "I get the
# same number", "got the same result on my end" (not "same problem", "same as before")
SAME_FOUND = (r"(?:(?:the\s+)?same\s+(?:(?:on|at|from|for)\s+(?:my|our)\s+(?:side|end|machine|laptop|box|copy)|"
              # "same result from my curl loop", "same numbers in our own export"
              r"(?:number|figure|result|count|total|value|reading|output|answer)s?\s+(?:on|at|from|in|with)\s+(?:my|our)\s+(?:own\s+)?"
              r"(?:[\w.-]+\s+){0,2}?[\w.-]+(?=\s*[,:;\u2014\u2013]|\s+-+\s)|"
              r"for\s+(?:me|us)|(?:number|figure|result|count|total|value|reading)s?\s+(?:here|for\s+me|on\s+my\s+(?:side|end)))|"
              r"(?:(?:i|we)\s+(?:(?:just|also)\s+)?(?:get|see|have)\s+|(?:(?:i'?m|we'?re)\s+)?(?:also\s+)?seeing\s+|"
              r"(?:(?:i|we)\s+)?(?:(?:just|also)\s+)?"
              r"(?:got|saw|found|had|came\s+up\s+with|ended\s+up\s+with)\s+)"
              r"the\s+same(?:\s+(?:number|figure|result|count|total|value|reading|thing))?"
              r"(?:\s+(?:here|too|as\s+well|on\s+my\s+(?:side|end)|locally))*)")
# the source at hand, before what it says: "I have the signed contract open: ...", "I'm literally
# standing in it, ...", "looking at the dashboard right now -"
SOURCE_AT_HAND = _rx(
    r"^(?:i(?:'ve| have)\s+(?:got\s+)?(?:the|our|my|their|that|this)\s+(?:[\w-]+\s+){0,3}?[\w-]+\s+"
    r"(?:open|up|in front of me|right here|here)|"
    r"(?:i'?m|i am)\s+(?:literally\s+|actually\s+|currently\s+|right\s+)?(?:looking at|standing in|standing at|"
    r"sitting in|reading|holding|on)\s+(?:it|them|the|our|that|this|their)\b(?:\s+[\w-]+){0,4}?"
    r"(?:\s+(?:right now|now|as we speak))?|"
    r"looking at (?:the|our|it|that|this)\b(?:\s+[\w-]+){0,3}?\s+(?:right now|now|as we speak)|"
    # another source that agrees: "carrier portal says the same,", "the log shows the same thing -"
    r"(?=[^,.;:!?]{1,60}?\bthe\s+same\b)(?:(?:the|our|their|my)\s+)?(?:[\w-]+\s+){0,3}?(?:says|shows|reads|has|gives)"
    r"\s+the\s+same(?:\s+thing)?(?:\s+too)?|"
    # the same found on one's own side: "same on my side, ...", "same here:", "I got the same number -"
    rf"{SAME_FOUND})"
    rf"(?:\s*[,:;{EM}{EN}]\s*|\s+-+\s+)(?=\S)"
)
# a formal confirmation before the fact confirmed: "I can confirm the merger closed on 1 October", "We can
# confirm it was insured" (not "I can confirm that." alone: a strong lead; not "I can confirm once ...":
# a promise)
CONFIRM_THAT = _rx(r"^(?:i|we)\s+(?:can\s+(?:also\s+)?|do\s+|hereby\s+)?confirm\s+"
                   r"(?!(?:that|this|it|them)\b\s*(?:[,.!;:]|$)|(?:that|this|it)\s+(?:is|was|'s)\s+(?:(?:indeed|definitely)\s+)?"
                   r"(?:the case|right|correct|true|so|accurate|it)\b)(?:that\s+)?(?!(?:is|was|are|were)\b)(?![^.!?]*\b(?:once|as soon as|tomorrow|later|if|when|after|by)\b)"
                   r"(?=[\w$])")
# someone who knows said it again, then what: "Dana in sales reiterated it this morning: political ads
# are not allowed", "The clearance house emailed on Friday: cleared for worldwide use"
SOURCE_SAID = _rx(r"^(?:(?:the|our|their|my)\s+)?(?!(?:i|we|you|it|he|she|they|that|this|there|which|who|and|but|so)\b)"
                  r"(?:[\w./'&-]+\s+){1,4}?(?:(?:in|from|at|on)\s+[\w./'&-]+\s+)?(?:confirmed|reconfirmed|reiterated|repeated|"
                  r"verified|emailed|wrote|messaged|replied)(?:\s+(?:it|that|this|back))?"
                  + _WHEN_SAID + rf"\s*(?::|\s[{EM}{EN}-]+)\s*(?=\S)")
# ... or has it too: "Our finance dashboard shows it as well. Paid digital subscribers passed 100,000 ..."
SOURCE_TOO = _rx(r"^(?:(?:the|our|their|my)\s+)?(?!(?:i|we|you|it|he|she|they|that|this|there|which|who|and|but|so)\b)"
                 r"(?:[\w./'&-]+\s+){1,4}?(?:says|shows|showed|reads|has|gives|lists|confirms|confirmed)\s+(?:it|that|this)\s+"
                 rf"(?:too|as\s+well)\s*(?:[,:;.!{EM}{EN}]|\s-+)\s*(?=\S)")
# one part named as right, before what it says: "the first part is right, it runs at 2am and loads into raw"
PART_RIGHT = _rx(rf"^(?:the\s+)?(?:first|second|third|last|other|main|former|latter)\s+(?:part|bit|half|point|one)\s+"
                 rf"(?:is|was|'s)\s+(?:(?:definitely|totally|absolutely)\s+)?(?:right|correct|accurate|true)\s*(?:[,:;{EM}{EN}]|\s-+)+\s*(?=\w)")
# another source that agrees, as all there is after the yes: "yep, same on the dashboard", "the label on
# the bottle says the same", "I got the same number"
SAME_ELSEWHERE = _rx(
    r"^(?:(?:(?:it'?s|its|that'?s|thats|it\s+is|that\s+is)\s+)?(?:the\s+)?same\s+(?:on|in|at|from)\s+(?:the|my|our|their)\s+"
    rf"{_TO_CLAUSE_END}{{1,40}}|(?:(?:the|our|their|my)\s+)?(?!(?:i|we|you|it|he|she|they|that|this)\b)(?:[\w./'-]+\s+){{1,5}}?"
    r"(?:says|shows|showed|reads|has|had|gives|gave|reports|reported|lists|displays|agrees)\s+the\s+same"
    r"(?:\s+(?:thing|number|value|figure|result|count|total))?(?:\s+(?:too|here|as\s+well))?|"
    rf"{SAME_FOUND}|the\s+same\s+(?:here|for\s+me|on\s+my\s+(?:side|end))|"
    # "same number I got from Workday", "the same figure we pulled last week"
    r"(?:(?:it'?s|its|that'?s|thats)\s+)?(?:the\s+)?same\s+(?:number|figure|result|count|total|value|answer|amount)s?\s+"
    r"(?:as\s+)?(?:(?:that|what)\s+)?(?:i|we)\s+(?:got|get|see|saw|have|had|found|pulled|computed|calculated)\b"
    rf"{_TO_CLAUSE_END}{{0,40}})"
    # "..., so that checks out"
    r"(?:\s*[,;]?\s*(?:so\s+)?(?:that|it|this)\s+(?:checks out|matches|adds up|tracks|lines up))?[\s.!]*$")
# a source of its own that also says it: "the nanodrop also says ...", "google maps also has it at ..."
SOURCE_ALSO = _rx(r"^(?:(?:the|our|their|my)\s+)?(?!(?:i|we|you|it|he|she|they|that|this|there|which|who|and|but|so)\b)"
                  r"(?:[\w./'-]+\s+){1,4}?(?:also|too)\s+(?:says|shows|reads|reports|gives|lists|displays|confirms|"
                  r"has\s+it\s+(?:at|as)|puts\s+it\s+at)\s+(?:that\s+)?(?=\w)")
# "right the free plan has no api access": "right"/"correct" with no separator, before a fact
# (not "correct the typo", which is an instruction: `rules` takes it only before a fact)
LOOSE_CONFIRMATION = _rx(r"^(?:right|correct|exactly|true|yes|yep|yeah|yup)\s+(?=(?:the|a|an|our|we|it|its|"
                         r"they|this|that|those|these|all|every|each|only|no)\b)")
_SARCASM = _rx(r"\b(?:lol|lmao|rofl|yeah right|oh sure|sure it is|sure they are|(?<!not )sure (?:it|they|that) (?:does|do|did|will)\b|as if|if by|(?:ugh+|sigh|argh+|welp|ffs|smh)\W+of course\b|love (?:that|this) for (?:us|me|you|them)|pigs (?:will|might|can|could) fly|when pigs fly|"
              # ("not that anyone reads it", not "means the GL is locked, not that the reports are done")
              r"not that (?:it|anyone|anybody|anything|any|i|we|you|they|he|she|there|that|this|people|"
              r"every(?:one|body)|some(?:one|body)|many|much|most)\b|like that ever|"
              # "when has that board ever said no to anything?", "fixed, until the next time someone sneezes"
              r"when (?:has|have|did|does|do|was|were)\b[^.!?\n]{1,60}?\bever\b[^.!\n]{0,80}\?|"
              r"\buntil (?:the )?next time\b|famous last words|what could (?:possibly )?go wrong|said no one|"
              r"because that (?:always|ever) works|sure you did|(?:famous|renowned|well[- ]known|known)\s+for\s+"
              r"(?:just\s+|always\s+|never\s+)?(?:working|being (?:reliable|accurate|honest|on time))|"
              r"always tell (?:\w+\s+)?the truth|"
              # "totally, that's exactly what they said about the last three refactors"
              r"(?:that'?s|thats|that is)\s+(?:exactly\s+|just\s+)?what\s+(?:they|you|he|she|every(?:one|body)|people|"
              r"we)\s+(?:all\s+)?said\s+(?:about|last|the last|before)|"
              r"oh (?:great|wonderful|perfect|fantastic)|"
              # a pleasantry said thrice, or all being fine said twice: "cool cool cool. totally fine."
              r"(?P<thrice>cool|great|fine|perfect|awesome|wonderful|fantastic|lovely|nice|love it)(?:[\s,.!]+(?P=thrice)\b){2,}|"
              r"(?:totally|completely|absolutely|perfectly)\s+fine\W+(?:everything'?s|everything is|it'?s all|all)\s+(?:totally\s+)?fine|"
              r"(?:nothing|what) (?:could|can) (?:possibly )?go wrong|what a time to be alive|"
              r"(?:just )?like (?:the )?last (?:time|\w+ times)(?=\W*$)|any (?:decade|century|millennium|year) now|"
              r"because (?:every(?:one|body)|no ?one|nobody|we all|that|people)\s+(?:definitely|totally|always|"
              r"obviously|clearly|surely|of course|really)\b)\b|(?<![\w/])/s\b|"
              # rolling eyes, upside-down face, tears of joy, smirk, facepalm: not an endorsement
              "[\U0001f644\U0001f612\U0001f611\U0001f926\U0001f643\U0001f602\U0001f923\U0001f60f]")
# mock praise: "ah yes, the famous weather", "ah yes, the magic flag", "what a surprise", "my favourite hobby", "exactly how I
# wanted to spend my friday", an "of course" said twice -- after a cheap test of its words
_MOCK_PRAISE = _rx(r"\b(?:(?:yes|yeah|right),?\s+(?:the|our|my)\s+(?:famous|legendary|infamous|good old|trusty|"
                   r"ever[- ]reliable|magic(?:al)?|miracle|mighty|almighty)|what a (?:surprise|shock|shocker)|my (?:favou?rite|fave) (?:hobby|pastime|"
                   r"thing to do|way to spend)|(?:exactly|just) (?:how|what) i (?:wanted|needed|hoped)|"
                   r"of course\b[^.!?\n]{0,30}[.!]+\s*of course(?=\W*$)|"
                   # "I'm sure a coupon will totally make up for it": certainty piled on certainty
                   r"\bi'?m\s+sure\b[^.!?\n]{0,50}\b(?:totally|definitely|absolutely|completely)\b|"
                   # "they always love being surprised", "nothing they enjoy more than getting paged": a
                   # treat no one wants
                   r"\b(?:always|just|really|sure|so)\s+(?:love|loves|adore|adores|enjoy|enjoys)\s+(?!being able\b)"
                   r"(?:being|getting|having to|it when|when)\b|"
                   # "they've been SO reasonable": praise shouted
                   r"(?-i:\b(?:SO+|SUPER|VERY|REALLY|TOTALLY)\s+(?:reasonable|helpful|reliable|responsive|"
                   r"cooperative|quick|fast|easy|smooth|stable|accurate|consistent|punctual|organi[sz]ed|"
                   r"prompt|clear|nice|fun|great)\b))")
_MOCK_WORDS = ("love", "adore", "enjoy", "famous", "legendary", "infamous", "good old", "trusty", "reliable", "magic", "miracle",
               "mighty", "what a", "fav", "i wanted",
               "i needed", "i hoped", "of course", "i'm sure", "im sure")
_MOCK_CAPS = ("SO", "SUPER", "VERY", "REALLY", "TOTALLY")  # as written: a shouted word


def _mock_hint(text: str) -> bool:
    """The cheap test before `_MOCK_PRAISE` (substring tests: 7x quicker than one regex of them)."""
    low = text.lower()
    return any(w in low for w in _MOCK_WORDS) or any(w in text for w in _MOCK_CAPS)


class _Sarcasm:
    """`_SARCASM`, or mock praise (`_MOCK_PRAISE`, tried only when one of its words is there)."""

    def search(self, text: str) -> re.Match[str] | None:
        if (m := _SARCASM.search(text)) is not None:
            return m
        return _MOCK_PRAISE.search(text) if _mock_hint(text) else None


SARCASM = _Sarcasm()

# What people also laugh or sigh with when they mean what they say ("lol no, it's 0.3", "🙃 batch
# size is 128"): sarcasm only where a rule reads it so, never a veto on a whole turn.
_LAUGHS = re.compile("(?:lol|lmao|rofl|not that \\w+|[\U0001f602\U0001f923\U0001f643\U0001f926])", re.I)
# Mockery no one corrects or confirms with: praise answered with "because ...", "nothing says X
# like Y", "and I'm the Queen of Sheba", "like it definitely arrived the last three times".
_MOCKERY = _rx(r"^\W*(?:great|brilliant|wonderful|fantastic|perfect|lovely|awesome|amazing|super|terrific|"
               r"excellent|marvell?ous|splendid|genius)\W+because\b|\bnothing says\s[^.!?\n]{1,60}?\blike\b|"
               r"\band i'?m (?:the )?(?:queen|king|pope|emperor|tooth fairy|easter bunny)\b|"
               r"(?:^|[.!?]\s+)like (?:it|they|he|she|that|you|we) (?:definitely|totally|really|always|ever|"
               r"actually)\s+\w+|"
               # a word said back with what it leaves out: '"standard", if you ignore the 40-page rider'
               r"['\"\u2018\u201c]\w+['\"\u2019\u201d],?\s+if you (?:ignore|overlook|don'?t count)\b")


def mocking(text: str) -> bool:
    """Whether a turn is said in mockery as a whole: `SARCASM` but for a laugh or a sigh
    (`_LAUGHS`), or `_MOCKERY`."""
    if _MOCKERY.search(text) is not None:
        return True
    if any(_LAUGHS.fullmatch(m.group(0)) is None for m in _SARCASM.finditer(text)):
        return True
    return _mock_hint(text) and _MOCK_PRAISE.search(text) is not None
QUALIFIED = _rx(r"^(?:if|unless|except|but|though|although|however|only if|as long as|apart from|other than)\b")

# -- definitions ---------------------------------------------------------------------------------

DEFINITION_FRAME = _rx(
    r"^(?:(?:just\s+)?fyi|f\.y\.i\.?|fwiw|for what it'?s worth|for your information|for (?:you|your) to know|ps|p\.s\.?|"
    # what lasts: "for the future,", "for next time", "note for later:", "just for the record"
    r"(?:(?:a|one|quick|small)\s+)?(?:note\s+)?for (?:the future|next time|later|future reference|"
    r"(?:all\s+)?(?:the\s+)?(?:future|later|next)(?:\s+(?:ones?|use|work|runs?|reports?|drafts?|posts?|tasks?|"
    r"changes?|projects?|versions?|reference|[a-z-]{3,20}s))?(?=\s*[,:;" + EM + EN + r"-]))|"
    # the rule's scope named: "rule for this project:", "house rule for the repo -"
    r"(?:(?:a|one|new|standing|house|team|hard|general)\s+)?rules?\s+(?:for|in|on)\s+(?:this|our|the|all)\s+[\w-]+"
    r"(?=\s*[:" + EM + EN + r"]|\s+-+\s)|"
    r"just for the record|(?:so\s+)?(?:you|u)\s+know\s+for\s+(?:later|the future|next time)|fun fact|"
    # the rule book cited: "per our data policy,", "Security standard SEC-12 says"
    r"(?:per|according to|under)\s+(?:our|the)\s+(?:[\w-]+\s+){0,3}?(?:policy|standard|handbook|guidelines?|sop|"
    r"procedures?|playbook|rulebook|charter)(?=\s*,)|"
    r"(?:(?:our|the)\s+)?(?:[\w-]+\s+){0,2}?(?:policy|standard|handbook|guidelines?|sop|rulebook|charter)"
    r"(?:\s+[\w.-]*\d[\w.-]*)?\s+says(?:\s+that)?|(?:it\s+)?is (?:important|good|useful) to know(?:\s+that)?|for (?:you|u) to know|"
    r"(?:one|an?|some|small|quick)\s+info(?:rmation|rmacion|rmación)?(?=\s*[:" + EM + EN + r"-])|"
    r"(?:some\s+)?context\s+(?:you\s+(?:might|may|will|'ll)\s+need|for you|that (?:helps|might help))"
    r"(?=\s*[:" + EM + EN + r"-])|(?:terminology|glossary|definitions?)\s+for\s+(?:you|u)(?=\s*[:" + EM + EN
    + r"-])|to us(?=\s*,|\s+(?:a|an|the)\s)|"
    # "the way our CI works, main is only ever updated via the merge queue", "just so you have it:"
    r"the way (?:(?:our|the|this|we|it|things)\s+)(?:[\w-]+\s+){0,3}?(?:works?|is set up|runs?|(?:is|are) done|"
    r"does (?:it|things|this)|do (?:it|things|this)|handles? (?:it|this|that))"
    r"(?:\s+(?:here|at [\w-]+|in [\w-]+))?(?=\s*" + SEP + r"|\s+(?:an?|the|all|every|each|any|no)\s)|just so (?:you|u) (?:have it|have that)|"
    r"for (?:future )?reference|"
    r"as a reference point|for the record|for context|(?:to\s+)?(?:put|give|bring)\s+(?:you|u)\s+(?:in(?:to)?|some)\s+"
    r"context|(?:some|a bit of|a little|quick|important|"
    r"useful|relevant|extra|additional|more|a little more)\s+(?:more\s+)?(?:background|context)|"
    r"(?:(?:a|one)\s+)?(?:quick\s+|small\s+)?note (?:on|about|re|regarding) [^,.;:!?]{1,30}?(?=\s*:)|"
    r"(?:terminology|glossary|definitions?)(?=\s*:)|background(?:\s+info(?:rmation)?)?(?=\s*" + SEP + r")|"
    # "quick glossary note:", "one gotcha:", "small gotcha -"
    r"(?:(?:a|one|quick|small)\s+)?(?:glossary|terminology|jargon)\s+(?:note|entry|item)(?=\s*[:" + EM + EN + r"-])|"
    r"(?:(?:a|one|another|quick|small|big|known)\s+)?gotcha(?=\s*[:" + EM + EN + r"]|\s+-+\s)|"
    r"context(?=\s*[:\u2014\u2013-])|(?:as|for) (?:background|context)|just so (?:you|u|ya) (?:know|kno|knw)|"
    # "just so everyone's on the same page", "just so we're clear"
    r"just so (?:everyone|every1|everybody|we|you|u|ya|all of us)(?:'re|'s|s|\s+(?:are|is))?\s+(?:on the same page|aware|clear)|"
    r"here(?=\s*,)|around here|over here|historically|(?:a bit of |some |quick |a little )?history"
    r"(?:\s+(?:you should (?:have|know)|you(?:'ll| will| might) need|for you|worth knowing))?(?=\s*:)|"
    # "studio slang: a 'greybox' is ...", "team jargon -"
    r"(?:(?:our|the|some|a bit of|[\w-]+)\s+)?(?:slang|jargon|lingo|shorthand|parlance)(?=\s*[:" + EM + EN + r"-])|"
    r"(?:in|at|for|on) (?:this|our) (?!(?:last|previous|next|recent|first|second|old|new)\b)[\w-]+"
    r"(?:\s+(?!(?:a|an|the)\b)[\w-]+)?(?=\s*,|\s+['\"`\u2018\u201c])|"
    # "in this company the pay period closes on the 20th": the frame run into the fact
    r"(?:in|at|for) (?:this|our) (?:company|team|school|lab|org|organi[sz]ation|department|dept|office|shop|store|"
    r"warehouse|clinic|hospital|studio|firm|practice|group|country)(?=\s+(?:the|all|every|each|any|anything|everything|no)\b)|"
    r"(?:you should|you'?ll want to|you need to|you might want to|good to) know(?:\s+that)?|"
    r"(?:a|one|some)\s+things?\s+(?:you should|to) know(?:\s+is(?:\s+that)?)?|something you should know(?:\s+is(?:\s+that)?)?|"
    # "funny thing about that sheet,", "one quirk of our export:"
    r"(?:a\s+|one\s+)?(?:funny|weird|odd|fun|interesting|quirky|strange|important|annoying)\s+(?:thing|quirk)\s+(?:about|with|of)\s+"
    r"(?:that|this|the|our)\s+[\w\s-]{1,25}?(?=\s*[,:" + EM + EN + r"-])|"
    # spoken: "one thing about our warehouse is ...", "something to know is that ..."
    r"(?:one|a|another|the)\s+(?:thing|fact)\s+(?:about|with|on)\s+(?:our|the|this|how we)\s+[\w\s-]{1,30}?\s+is(?:\s+that)?(?=\s+\w)|"
    r"something to (?:know|keep in mind|be aware of|remember)\s+is(?:\s+that)?|"
    # "so one thing is that travel meals are their own category", "one more thing:", "one thing in this lab ..."
    r"(?:one|another|the other)\s+(?:more\s+)?thing\s+(?:is(?:\s+that)?(?=\s+\w)|(?=\s*[:" + EM + EN + r"]|\s+-+\s|\s+(?:in|at|for)\s+(?:this|our)\s))|"
    # formal: "kindly note that", "it may be useful to note that"
    r"kindly note(?:\s+that)?|(?:(?:kindly|please|just)\s+)?be aware(?:\s+that)?|"
    # "I should mention that", "I'd add that" (not "I should point out that": a correction's frame)
    r"i(?:'d| would| should| must| have to| need to)\s+(?:also\s+)?(?:mention|note|add)(?:\s+that)?(?=\s*,|\s+\w)|"
    r"it (?:may|might|would|could) be (?:useful|helpful|worth|good|important)\s+(?:to\s+)?"
    r"(?:note|noting|know|knowing|mention|mentioning|remember)(?:\s+that)?|"
    r"in case (?:it'?s|this is) (?:useful|helpful|relevant)|"
    r"(?:just\s+)?(?:a\s+)?heads[- ]?up|psa|note(?:\s+that|(?=\s*" + SEP + r")|"
    r"(?=\s+(?!(?:to|it|down|this down|that down|them|me|how|what|which|where|when|why|if|whether)\b)\w))|"
    r"nb|n\.b\.|"
    r"please note(?:\s+that)?|for the avoidance of doubt|it (?:should|must|is to|shall) be (?:noted|understood|borne in mind)"
    r"(?:\s+that)?|(?:please\s+)?be advised(?:\s+that)?|it (?:is|'s) worth (?:noting|knowing|remembering)(?:\s+that)?|note(?=\s+['\"`\u2018\u201c])|important(?=\s*" + SEP + r")|one thing to (?:note|know|keep in mind)|"
    r"worth (?:noting|knowing|remembering|mentioning)(?:\s+that)?|"
    # "keep this in mind going forward:" (not "Keep that in mind when you ...": what was said before)
    r"(?:always\s+)?(?:keep|bear) in mind(?:\s+that)?|(?:always\s+)?(?:keep|bear)\s+(?:this|that|it)\s+in\s+mind"
    r"(?:\s+(?:going forward|for the future|from now on|for later|for next time))?(?=\s*[:\u2014\u2013]|\s+-+\s)|remember(?:\s+that)?|"
    r"don'?t forget(?:\s+that)?|btw|by the way|going forward(?:,?\s+remember(?:\s+that)?)?|"
    r"from now on|as a (?:general |standing |house |team |hard |firm |strict )?rule|(?:general\s+)?rule of thumb|per (?:finance|legal|security|"
    r"compliance|accounting|the contract|the docs|our docs|the spec|the runbook|policy)|"
    r"according to (?:the|our|a) [\w\s'-]{1,30}?(?=\s*,)|"
    r"(?:(?:a|one|quick|small)\s+)?side\s*note|(?:a\s+)?(?:quick\s+|friendly\s+|gentle\s+)?reminder|"
    r"(?:good|useful|helpful|important|nice) to (?:know|remember|keep in mind)|"
    r"(?:(?:a|one|small|quick|pro)\s*)?tip(?=\s*" + SEP + r")|"
    r"(?:just\s+)?so (?:you'?re|you are|u r) aware|for (?:your|ur) awareness|"
    r"in case (?:you (?:didn'?t|don'?t) know|it (?:helps|matters))|"
    r"(?:some|a bit of|a little|quick|important|useful|more)\s+(?:background|context)\s+(?:on|for|about)\s+"
    r"[^,.;:!?]{1,30}?(?=\s*" + SEP + r")|(?:just\s+)?to (?:clarify|be precise)|for clarity|"
    r"(?:also\s+)?good to be aware(?:\s+that)?|something to (?:know|keep in mind|be aware of)|"
    # plainer and non-native frames: "for info", "just to know", "you must know that",
    # "important to say:", "attention,", "information:", "bit of background"
    r"(?:just\s+)?for (?:your |ur )?(?:info(?:rmation)?|knowledge)|"
    # "please know that", "under consumer law here,", "note to self and to you:", "generally, ...",
    # "background you might find useful:", "so you know our ..."
    r"please (?:know|be aware|remember|keep in mind|bear in mind)(?:\s+that)?|(?:know|be aware)\s+that|"
    r"under (?:the\s+|our\s+|local\s+)?(?:[\w-]+\s+){0,2}?(?:law|laws|rules?|regulations?|polic(?:y|ies)|"
    r"contract|terms|agreement|code)(?:\s+(?:here|there|in [\w-]+))?(?=\s*,)|"
    r"note to (?:self|you|everyone|all|the team)(?:\s+and\s+(?:to\s+)?(?:you|self|everyone))?(?=\s*[:" + EM + EN + r"-])|"
    r"(?:just\s+)?(?:generally|in general|usually|normally|typically)(?:\s+speaking)?(?=\s*,|\s+(?:our|we|the|all|every|"
    r"any|anything|everything|anyone|everyone|each|no)\b)|"
    # spoken: "another thing so you know for later", "so you know in general", "just for the future"
    r"(?:(?:another|one more|one other|other) thing\s+)?(?:so\s+)?(?:you|u)\s+know\s+(?:for\s+(?:later|the future|next time)|"
    r"in general|generally)|just\s+for\s+(?:the future|later|next time)|"
    r"(?:background|context|some background|some context)\s+(?:you|that)\s+(?:might|may|will|could|'ll)\s+"
    r"(?:find\s+)?(?:useful|helpful|need|want)(?=\s*[:" + EM + EN + r"-])|"
    r"(?:so\s+)?(?:you|u)\s+know(?=\s+(?:our|we|all|every|in our|for us)\b)|(?:just\s+)?(?:to|so (?:you|u)) know|"
    r"(?:you|u)\s+(?:must|need to|have to|gotta|ought to)\s+know(?:\s+that)?|"
    r"(?:it'?s\s+)?(?:important|good|useful|worth|helpful)\s+to\s+(?:say|know|note|mention|remember|"
    r"keep in mind|be aware)(?:\s+that)?|attention(?=\s*" + SEP + r")|info(?:rmation)?(?=\s*:)|"
    r"(?:a\s+)?bit of (?:background|context)|"
    # an aside while the listener is at it: "while you're in there --"
    r"(?:while|since|as|when)\s+(?:you'?re|you are|ur|u r)\s+(?:in there|at it|there|on it|"
    r"in (?:that|this|the) [\w-]+)(?=\s*" + SEP + r"))\b"
)
# A note announced before it is said: "I want to flag something: ...", "small but important
# thing - ...", "one more thing worth knowing: ...". What follows corrects the statement when it is
# set against it, and is a definition otherwise.
NOTE_FRAME = _rx(
    r"^(?:[^:.!?]{0,60}?\b(?:i|we)\s+(?:just\s+|also\s+)?(?:want(?:ed)?|need|have|'d like|would like)\s+to\s+"
    r"(?:flag|point out|mention|note|add|raise|call out)\s+(?:something|one thing|a thing|two things|"
    r"a couple (?:of )?things|this)|"
    r"(?:(?:one|a|quick|small|minor|tiny|big|important|one more|another|one other|one last|last|general)\s+)+"
    r"(?:but\s+(?:important|crucial|significant)\s+)?(?:thing|point|detail|caveat|catch|note)"
    r"(?:\s+(?:here|to flag|worth (?:knowing|noting|flagging|mentioning|remembering)|to (?:know|note|keep in mind)))?"
    r"(?:\s+for (?:the future|next time|later|future reference|you))?"
    # "small thing before we keep going:", "one thing while I remember:"
    r"(?:\s+(?:before|while|since|as|so)\s+[^:.!?,]{1,30}?(?=\s*[:" + EM + EN + r"]))?|"
    # "two notes:", "a couple of things -", "few things:"
    r"(?:(?:two|three|a\s+few|few|a\s+couple(?:\s+of)?|couple(?:\s+of)?|some|quick|small)\s+)+"
    r"(?:notes|things|points|comments|nits|caveats)(?=\s*[:" + EM + EN + r"]|\s+-+\s))"
    rf"(?:\s*[:{EM}{EN}]|\s+-+|\s*,(?=\s+(?!(?:can|could|would|will|please|pls|do|did|is|are|does|why|what|how|"
    r"i|i'?m|i'?ll|let'?s)\b)))\s*"
)
_TERM = r"[\w\s'\"`./()-]"
DEFINITION_DIRECT = _rx(
    r"^(?:(?:our|the|company|team|[\w-]+'s)\s+(?:[\w-]+\s+){0,2}(?:convention|rule|policy|standard|"
    r"practice|process|definition|guidance|guideline|approach)(?:\s+(?:here|in this [\w-]+|at [\w-]+|"
    r"from [\w-]+|for [\w-]+|of\s+[^,.;:!?]{1,40}?))?\s*(?:is|says|:)"
    # bare: "convention is ...", "House style: ...", "naming convention: ..."
    r"|(?:[\w-]+\s+)?(?:conventions?|style|policy|rule|guideline|standard)\s*(?:is\b|:)"
    r"|standard practice\b|by convention\b|as a convention\b"
    r"|we\s+(?:always|never|usually|typically|generally|don'?t ever|do not ever)\b"
    r"(?!\s+do\s+(?:this|it|that)\b)"
    r"|we\s+(?:define|call|refer to|consider|treat|name)\b"
    r"|what\s+(?:we|people here|everyone here)\s+call\b|in\s+our\s+(?:terminology|jargon|lingo|parlance|"
    r"glossary|vocabulary)\b|internally\b[^,.;:!?]{0,40}\b(?:is|are)\s+(?:called|named|known as)\b"
    r"|at\s+[\w-]+,?\s+we\b|here,?\s+we\b"
    r"|(?:[\w'-]+\s+){1,6}=\s*(?:[\w'()$%/.+-]+\s*){2}"
    rf"|by\s+{_TERM}{{1,40}}?\s+(?:we|i)\s+mean\b"
    r"|when\s+(?:(?:the|our|your|their)\s+(?:[\w-]+\s+){0,2}?[\w-]+|[\w-]+)(?:\s+(?:here|on (?:the|this|our) team|"
    r"in (?:the|this|our) (?:team|company|org)))?\s+(?:say|says|talk about|talks about|refer to|"
    r"refers to|write|writes|mention|mentions|use the word|uses the word|speak of)\s+[^,]{1,40}?,?\s+"
    r"(?:we|i|it|they|he|she|you|that|this)\s+(?:always\s+|usually\s+|just\s+)?means?\b"
    rf"|{_TERM}{{1,60}}?\s+(?:is|are)\s+(?:defined|calculated|computed|measured|counted|derived)\s+"
    r"(?:as|by|from)\b"
    r"|(?:in|at|for|within|on|across)\s+(?:our|this|the|my)\s+(?:[\w-]+\s+){0,2}?(?:team|company|org|"
    r"organi[sz]ation|codebase|code base|repo|repository|project|group|department|business|world|"
    r"shop|stack|setup|product|domain|industry|side|house|office|function|division|unit)s?\b"
    r"|(?:for us|to us|around here|over here|(?:here )?at our (?:place|company|shop)|in our case)\b"
    r"|the\s+(?:way|how)\s+(?:[\w-]+\s+){1,2}works?\s+(?:here\s+)?(?:is|:)"
    r"|how\s+(?:[\w-]+\s+){1,3}works?\s*:"
    r"|the\s+(?:thing|key thing|main thing|trick|catch|gotcha)\s+(?:to know\s+|with\s+"
    r"(?:[\w-]+\s+){1,4})?(?:is|:)"
    r"|our\s+process\s+(?:is|:)"
    r"|the\s+(?:general\s+)?rule of thumb\s+(?:here\s+)?(?:is|:)"
    r"|the\s+official\s+definition\b"
    # a formula: "the quick ratio is (new + expansion) / (churned + contraction)"
    rf"|(?!(?:that|this|it|which|what|there)\b){_TERM}{{1,50}}?\s+(?:is|are|=|equals)\s+(?:(?:the|a)\s+)?"
    r"(?:(?:sum|ratio|average|mean|median|product|difference|count|share|percentage|proportion)\s+of\b"
    r"|[^,;!?]{0,60}?(?:\s(?:divided by|minus|plus|multiplied by|times)\s|\s[/*\u00d7\u00f7+-]\s)))",
)
# "SMB means ...", "'tenant' refers to ...": a short term, then a verb of meaning.
MEANING = _rx(
    rf"^(?!(?:that|this|it|which|what|there|so|all of which|that all)\b){_TERM}{{1,40}}?\s+"
    # as some people write: "-999 mean the sensor is broken", "status E is meaning expatriate"
    r"(?:means|stands for|refers to|is short for|is shorthand for|denotes|is what we call|"
    r"(?:is|are) meaning|(?-i:mean)(?=\s+(?:the|a|an|that|it|this|no|not)\b)|"
    r"is (?:just |simply )?(?:another|our|the internal|a fancy|the official) (?:name|word|term) for|"
    r"is (?:our|the) (?:term|word|name) for|is code for|is synonymous with|is equivalent to|"
    r"(?:is|are) (?:also )?(?:known as|referred to as)|"
    r"(?:is|are) (?:also )?called(?=\s+(?:['\"`]|(?-i:[A-Z])|\w+[_.-]\w|(?!(?:by|from|when|whenever|on|in|at|"
    r"with|for|after|before|every|each|once|twice|via|through|the|a|an|if|as|again|only|directly|"
    r"internally|externally|inside|within|per|\w+ly)\b)\w+(?:\s+(?:not|but|and|or|,|in|for)\b|\s*[,.;:!?]|\s*$))))\s+\S"
)
# what people here mean by a word: "when people here say a 'brownout' they mean ...", "if we say
# 'done' we mean deployed"
SAY_MEAN = _rx(r"^(?:when(?:ever)?|if)\s+(?:people|we|they|folks|someone|anyone|i|(?:the\s+)?[\w-]+\s+team)\s+(?:here\s+|around here\s+)?"
               r"(?:say|says|talk about|mention|refer to|write)\s+[^,.;:!?]{1,40}?,?\s+(?:they|we|it|that|he|she|i)\s+"
               r"(?:mean|means|are talking about|refer to|'re talking about)\s+\S")
# "ltv we cap at 36 mo, thats the finance rule": a fact the person calls a rule after it
RULE_AFTER = _rx(rf"(?:,|\s[{EM}{EN}-]+|\s)\s*(?:that'?s|thats|this is|which is|it'?s|its)\s+(?:the|our|a|an)\s+"
                 r"(?:[\w-]+\s+){0,2}(?:rule|convention|policy|standard|guideline|definition|practice|norm|"
                 r"house style|control|requirement|regulation)\b[\s.!]*$")
# "... never personal ones. District policy.": the rule named in a fragment after the fact
RULE_NAMED = _rx(r"^(?:(?:it'?s|that'?s|thats)\s+)?(?:(?:the|our|an?)\s+)?(?:[\w-]+\s+){0,2}(?:rule|policy|standard|"
                 r"requirement|regulation|control|convention|guideline)s?\s*[.!]*$")
# "exchange rates always come from ...", "every flag must have an owner": a standing rule -- not
# about the moment ("the linter always complains about this").
STANDING_RULE = _rx(
    # (not what a figure must be made of: "212 must include the archived ones")
    r"^(?:(?!(?:it|this|that|you|u|i|he|she|they|there|which|what)\b|[\d.,]+\s+must\b)(?:[\w'/-]+\s+){1,6}?"
    # (not a guess: "the 504s must be coming from somewhere else", "it must have timed out")
    # (not a complaint of the past: "authors were always saying the old ones were too short")
    r"(?:(?<!\bwere\s)(?<!\bwas\s)always(?!\s+[a-z]+ing\b)|never|must(?!\s+(?:be\s+[a-z]+ing|have\s+(?:been|[a-z]+ed|[a-z]+en))\b)(?:\s+(?:always|never))?|should\s+(?:always|never))"
    r"|(?:every|each|all|any|no)\s+(?:[\w'/-]+\s+){1,5}?(?:has to|have to|needs? to|is required to|"
    r"are required to|is expected to|are expected to|requires?|needs?))"
    r"\s+[\w-]+(?![^,.;:!?]*\b(?:this|that|it|these|those|here)\b)"
)


# what someone else says, then that it is wrong: "the county map labels KBDU at 1,650 m, which is
# wrong, it's 1,612 m", "Jake told the new hire ..., which is wrong", "her email says December,
# but it's actually June", "their rep keeps telling customers it's 12 days when it's 16"
_SPEECH = (r"says?|said|saying|wrote|writes?|told|tells?|telling|claims?|claimed|thinks?|thought|assumes?|assumed|"
           r"believes?|believed|insists?|insisted|reckons?|reckoned")
_ANOTHER_SAYS = re.compile(rf"\b(?:{_SPEECH}|lists?|listed|labels?|labelled|labeled|shows?|showed|ha(?:s|ve) it (?:as|at))\b",
                           re.I)
_IS_WRONG = re.compile(r"(?:,\s*|\s+)(?:(?:which|and|but)\s+)?(?:that'?s|that is|it'?s|it is|is|was|which is|"
                       # "..., he's wrong, the contract says the 14th"
                       r"(?:he|she)(?:'s|\s+is|\s+was)|they(?:'re|\s+are|\s+were))\s+"
                       r"(?:just\s+|simply\s+|actually\s+)?(?:wrong|outdated|out of date|incorrect|mistaken|not (?:right|true|correct)|"
                       # "..., which is way off"
                       r"(?:way|a\s+bit|slightly|completely|totally|quite)\s+off)\b"
                       r"|,?\s+but\s+(?:it'?s|it is|they'?re|the real \w+ is)\s+actually\b"
                       # "the guest claims the pass was €75 but it was €68"
                       r"|,?\s+but\s+(?:it|that|he|she|they)(?:'s|'re|\s+(?:is|was|are|were))\s+(?:really\s+)?[$£€~]?\d", re.I)
# (what they are told against what is: "... when it's 16" -- after words said, not a display's
# "shows amber when it's 80% full")
_SAYS = re.compile(rf"\b(?:{_SPEECH})\b", re.I)
_WHEN_IT_IS = re.compile(r"\s+when\s+(?:it'?s|it is|they'?re|they are)\s+(?:actually\s+|really\s+)?\S", re.I)
# ... or what they meant by it: "joost wrote house 3 but he means house 5"
_BUT_MEANT = re.compile(r"(?:,\s*|\s+)but\s+(?:he|she|they|[A-Z][a-z]+)\s+(?:really\s+|actually\s+)?(?:means?|meant)\b")
# ... but not a verdict relayed: "she said that's wrong" (the speech is the verdict itself)
_RELAYED = re.compile(r"[\s,:]*(?:that\s*)?", re.I)
# ... or that they got it wrong: "the reporter got it wrong -- it's our 12th edition", "scout's got
# his age wrong, he's 19" (not "you got it wrong": the assistant's words)
_GOT_WRONG = re.compile(r"\b(?!(?:you|u|i|we)\b)[\w-]+(?:'s)?\s+(?:has\s+|have\s+)?got\s+(?:it|that|this|them|"
                        r"(?:the|his|her|their|its|our)\s+[\w-]+(?:\s+[\w-]+)?)\s+(?:all\s+)?wrong\b", re.I)


def corrects_another(fact: str) -> bool:
    """Whether the fact reports someone else's words and says they are wrong."""
    if (wrong := _IS_WRONG.search(fact)) is not None:
        said = [m.end() for m in _ANOTHER_SAYS.finditer(fact, 0, wrong.start())]
        return bool(said) and _RELAYED.fullmatch(fact, said[-1], wrong.start()) is None
    if (meant := _BUT_MEANT.search(fact)) is not None and _SAYS.search(fact, 0, meant.start()) is not None:
        return True
    if _GOT_WRONG.search(fact) is not None:
        return True
    return (when := _WHEN_IT_IS.search(fact)) is not None and _SAYS.search(fact, 0, when.start()) is not None
