"""Marks: whether a sentence states how things are -- the marks of a fact (a finite verb, a
subject) and of what is not one (a question, an instruction, a hedge, the person's moment, a
status, a bug report, an opinion, the thing at hand, someone else's words).

`prose` and `rules` read them, case-insensitively, on text `prose.prepare` made plain; the lead
words that open a verification are `phrases`'.
"""

from __future__ import annotations

import re


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# -- a plain statement, and what is not one ------------------------------------------------------

# "The orders table is partitioned by day. Write a query for ...": a plain statement of how things
# are, made as context for the request after it. Not a status ("the build is broken", "the
# tests fail on main"), not an event (past tense), not about the speaker or the thing at hand.
REQUEST = _rx(r"^(?:(?:can|could|would|will) (?:you|u)|please|pls|plz|kindly|i need you to|"
              r"i'?d like you to)\b")
# "my department requires ...": the person's organisation, said as "our" is
_MY_ORG = (r"(?!\s+(?:department|dept|team|company|org|organi[sz]ation|school|lab|office|university|institution|"
           r"firm|employer|group|unit|division|faculty|hospital|clinic|practice|agency|bank|church|club|union)\b)")
CONTEXT_SUBJECT_NOT = _rx(r"^(?:i|i'?m|you|u|it|it'?s|its|this|that|these|those|he|she|they|"
                          r"there|here|what|which|everything|nothing|something|the (?:following|"
                          r"attached|above|below|same|error|issue|problem|bug))\b|"
                          r"\b(?:i|me|mine|i'?m|i'?ve|i'?ll|i'd)\b|\bmy\b" + _MY_ORG + r"|\b(?:is|are)\s+[\w'-]+\W*$")
STATE = (
    r"\b(?:is|are|'s|'re|was|were)\s+(?:been\s+|now\s+|still\s+|all\s+|completely\s+|totally\s+|really\s+|"
    r"so\s+|very\s+|pretty\s+|too\s+|a bit\s+|kind of\s+|not\s+)?(?:broken|down|failing|fixed|done|"
    r"finished|gone|stuck|missing|empty|ready|red|green|flaky|merged|pushed|deployed|blocked|live|queued|pending|"
    r"up|off|busy|late|wrong|slow|weird|odd|strange|confusing|ok|okay|fine|good|bad|better|worse|"
    r"correct|incorrect|right|attached|(?:above|below)(?!\s+[$\u00a3\u20ac]?\d)|here|there|back|out|open|closed|huge|big|"
    r"small|great|nice|ugly|messy|unclear|outdated|stale|new(?!\s+(?-i:[A-Z]))|different|same|off|"
    # a reading of the moment: "memory is stable at 1.2 GB", "the queue is spiking again"
    r"stable|steady|healthy|degraded|spiking|climbing|recovering|idle|flat)\b"
    # "blocked by security", "attached directly", "fixed monthly": a rule, not a state
    r"(?!\s+(?:by|directly|automatically|when|whenever|if|unless|once|only|as|via|through|every|each|"
    r"daily|weekly|monthly|nightly|hourly|on (?:every|each|merge|push|release))\b)(?![- ]limits\b)"
)
STATUS = _rx(
    # "dry run done, 42 minutes": a step finished, said in a word
    STATE + r"|\b(?:done|finished|completed?)(?=\s*(?:[,;.!]|$))|\b(?:(?<!\ba )fails?|failed|breaks?|broke|crash(?:es|ed)?|errors? out|times? out|timed out|hangs?|"
    r"(?<!\ba )pass(?:es|ed)?|succeed(?:s|ed)?|compiles?|builds? fine|"
    # (not the work of people, "nobody works more than 5 nights", nor a sound a thing has, "a death sound or ...")
    r"flakes?|works(?!\s+(?:more|less|fewer|over|past|nights|weekends|shifts|overtime|on\s+(?:weekends|sundays|"
    r"saturdays|holidays|nights)))|worked|stopped(?!\s+(?:saying|calling|using|writing|offering|accepting|allowing|supporting|printing|sending)\b)|started|changed(?!\s+(?:lines|files|rows|fields|records|items|values|"
    # (a format given, "deviation numbers look like DEV-YYYY-NNN", "2024-Q2", is no look of the moment)
    r"paths|code|parts|sections|settings)\b)|looks?(?!\s+like\s+`?(?:[A-Z]{2,}\w*[-_/.]|\d+[-_/](?-i:[A-Z])))|seems?|feels?|"
    r"sounds?(?=\s+(?!(?:or|and|effects?|files?|clips?|cues?|assets?)\b)\w))\b|"
    # a thing said to be running again, the verb left out: "ETCH-07 back up at 14:10"
    r"^[\w./-]+(?:\s+[\w./-]+)?\s+(?:is\s+|'s\s+)?back\s+(?:up|online|in service|running|to normal)\b"
)
# A problem being reported ("customers can't log in since the deploy"), or someone else's words
# ("- that's what sales said"): not how things are.
TROUBLE = _rx(
    r"\b(?:couldn'?t|unable to|isn'?t working|aren'?t working|not working|"
    r"(?:doesn'?t|don'?t|won'?t) (?:work|load|start|open|build|run|connect|show|compile|render)|"
    r"keeps? \w+ing|for some reason|somehow|randomly|intermittently|sometimes|(?:don'?t|doesn'?t) add up|"
    r"(?:does|do|did) nothing|nothing happens|"
    # (not a count of things: "we keep PRs under 400 changed lines", "up to 500 rows")
    r"[45]\d\d(?!\s+(?:[a-z]+\s+)?(?!(?:is|was|has|does|goes|means|happens|errors|sometimes|always|status)\b)[a-z]{2,}s\b)|"
    r"errors?|exceptions?|traceback|bug|bugs|crash\w*|missing|duplicat\w*|blank|undefined|"
    r"flaky|regress\w*|still|"
    r"(?:does|did|do)(?:n'?t| not) (?:match|line up|look right)|"
    r"(?:since|after) (?:the|your|my|this|that|yesterday'?s?|last night'?s?) (?:deploy\w*|release|"
    r"update|upgrade|migration|change|fix|merge|refactor|restart))\b"
)
# An opinion, a wish or a plan, not how things are: "polars is nicer here", "the table should
# have an index", "we need a retry", "the job will run at 2am".
OPINION = _rx(
    r"\b(?:better|worse|nicer|easier|harder|cleaner|simpler|faster|slower|clearer|quicker|smoother|tidier|overkill|too\s+\w+|"
    r"prefer\w*|ugly|pretty|terrible|awful|annoying|clunky|elegant|weird|odd|cool|neat|messy|"
    r"should|shouldn'?t|needs?|needed|has to|have to|had to|ought|wants?|wanted|would|could|"
    r"might|(?-i:may)|wish|hope|gonna|going to|will|'ll|supposed to|expected to|let'?s|"
    r"(?:is|are|'s|'re) (?:a|an|the) (?:problem|issue|bug|mess|pain|blocker)|a bit|a little|"
    r"kind of|kinda|sort of|way too|imo|imho|in my opinion|personally|honestly)\b"
)
# What points at the thing at hand, not at how things are: "the second function", "half of
# these", "this time".
DEICTIC = _rx(r"\b(?:these|those|this one|that one|this time|for now|this once|of them|by then|by that (?:time|point)|"
              r"the (?:next|previous|above|below|following|attached|latter|former|remaining)|"
              r"the (?:first|second|third|last|other) (?:one|function|file|line|step|section|part|item|"
              r"test|query|chart|version|pr|commit|bug|error|issue|thing|row|column|method|class|page|"
              r"link|option|approach|paragraph|sentence|example)s?)\b")
NEGATIVE = _rx(r"\b(?:(?:is|are|was|were|does|do|did|ca)(?:n'?t| not)|cannot|not|no longer)\b")
REPORTED = _rx(r"\b(?:said|says|wrote|writes|told|asked|mentioned|claims?|claimed|reports?|reported|"
               r"complained|tweeted|posted|shows?|showed|showing|printed|prints|displays?)\b")
PAST = _rx(r"^(?:[\w'/-]+\s+){0,6}?(?:was|were|did|didn'?t|had|hadn'?t|got|went|came|took|made|lost|spent|"
           r"broke|ran|found|saw|learnt|forgot|left|sent|paid|told|gave|fell|wrote|sold|bought|hit|fought|thought|"
           r"caught|brought|won|chose|drove|flew|knew|threw|began|kept|felt|dealt|sat|stood|"
           r"(?<!\bis\s)(?<!\bare\s)(?<!\bbe\s)(?<!\bbeen\s)(?<!\bgets\s)(?<!\bget\s)[a-z]+(?<!e)ed)\b")
# The past forms PAST sees; a clause still has a verb without them when it is in the present
# ("our SLA excludes scheduled maintenance": "scheduled" is no verb of it).
PAST_FORM = _rx(r"\b(?:was|were|did|didn'?t|had|hadn'?t|got|went|came|took|made|lost|spent|broke|ran|found|saw|"
                r"learnt|forgot|left|sent|paid|told|gave|fell|wrote|sold|bought|fought|thought|caught|brought|won|"
                r"chose|drove|flew|knew|threw|began|kept|felt|dealt|[a-z]+ed)\b")

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
    # where the person has just been: "just back from the lab", "got back from lunch"
    r"^(?:(?:i'?m|i am|i was)\s+)?(?:just\s+)?(?:got\s+|getting\s+)?back (?:from|at)\b|"
    # how far the work has got: "we're at 38,000 documents reviewed"
    r"^(?:we'?re|we are|i'?m|i am|they'?re|they are)\s+(?:now\s+)?(?:at|up to|down to|past|over)\s+[~≈]?\d|"
    # a reading of the moment: "unit 4 is at 68°C now", "consumer lag is at 1.2M and climbing", "GPU
    # utilization is only around 35% on the monitoring"
    r"\b(?:is|are|'s)\s+at\s+[~≈]?\d(?![\d.]*\s*(?::|am\b|pm\b|h\b|o'?clock))\S*(?:\s+\S+)?\s+now\b|"
    r"\b(?:is|are|'s)\s+(?:only\s+|still\s+|now\s+)?(?:at|around|about)\s+[~≈]?\d[\d.,]*\s*(?:%|[kmb]\b)?\s+"
    r"on the (?:dashboard|monitoring|graph|chart|console|grafana)\b|"
    # a gauge still moving, anywhere: "is at 1.2M and climbing", "18k and still growing"
    r"\band\s+(?:still\s+)?(?:climbing|rising|growing|falling|dropping|going (?:up|down))\b|"
    # what the person is doing: "reverting the config push now"
    # (a verb with its object, not a noun: "pricing is $5 now", "staging runs 2.3 now" are facts)
    r"^(?:just\s+)?[a-z]{3,}ing\s+(?:the|a|an|it|this|that|them|my|our|your|their|some|all|every|\d)\b"
    r"[^.!?]*\b(?:right\s+)?now\W*$|"
    r"\b(?:went|gone|dropped|jumped|grew|fell|rose)\s+from\s+\S+\s+to\b|"
    r"\b(?:yet|so far|again|today|tonight|tomorrow|yesterday|right now|at the moment|"
    r"(?<!\bthe )last (?:week|night)|last (?:time|run)|the other day|earlier (?:today|this week)|"
    r"(?:is|are) next|next (?:on|in line|up)|up next|coming up|upcoming|later on|"
    r"this (?:morning|afternoon|week)|last night|just now|earlier today)\b|"
    r"^(?:i|i'?m|im|i'?ve|ive|i'?ll|i'd|i haven'?t|i didn'?t)\b|\b(?:me|mine)\b|\bmy\b" + _MY_ORG + "|"
    # the subject left out of one's own news: "just spoke to the customer", "got off the phone with them"
    r"^(?:just\s+)?(?:spoke|talked|got off|came back|heard back|met|called|rang|emailed|messaged|chatted)\s+"
    r"(?:to|with|from|back|the|a|an|them|him|her|us)\b|"
    r"\bstill\s+(?:\w+\s+)?(?:fails?|failing|crash\w*|breaks?|broken|errors?|hangs?|times? out|"
    r"doesn'?t work|not working)\b"
)
# A definition is not an event about "it" ("according to the logs, it failed twice").
EVENT = _rx(r"^(?:it|this|that|they)\s+(?:\w+\s+)?(?:was|were|did|had|got|went|[a-z]+ed)\b")

QUESTION_START = _rx(
    # "when I say 'ship' I mean ...": a definition, not a question
    r"^(?!when(?:ever)?\s+(?:i|we)\s+(?:say|write|talk about|mention|use|refer to)\b)"
    r"(?:what|why|how|when|where|which|who|whom|whose|can|could|would|will|does|do|did|is|are|"
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
    "summari[sz]e|list|point|group|change|go ahead|make sure|note|mention|avoid|prefer|feel free|"
    # the day's work in other trades too: "launch seeds 5-9", "book the room", "cc legal"
    "launch|kick off|queue|submit|upload|download|attach|archive|resend|forward|reply|draft|book|"
    "notify|invite|assign|approve|reject|backfill|roll ?back|restart|reboot|spin up|provision|migrate|"
    "retrain|plot|highlight|resize|translate|proofread|cc|remind|compute|calculate|reconcile|tabulate|"
    "tally|forecast|extract|rank|map|"
    # a change asked of the code: "handle invoice.payment_failed too", "hook up the form"
    "handle|hook up|expose|disable|enable|hide|wrap|validate|trim|"
    # a course change: "hold off on that", "scratch the blog post"
    "hold off|hold on|scratch"
)
IMPERATIVE_START = _rx(
    r"^(?:(?:please|pls|plz|just|also|then|now|so|and|first|instead|kindly|maybe|but|ok(?:ay)?|"
    r"next|rather|nit:?)[,\s]+)*"
    rf"(?:(?:{_IMPERATIVE_VERBS})\b(?!-\w|'s\b|\.\w|\s+(?:is|are|was|were|has|had|does|did|will|would|"
    r"can|could|should|must|may|might|isn'?t|aren'?t|wasn'?t|doesn'?t|didn'?t|won'?t|can'?t|"
    r"needs|requires|runs|takes|lives|goes|gets|means|happens|belongs|comes|depends|uses|only|"
    r"always|never)\b)|let'?s\b|lemme\b|don'?t\b|do not\b|never\b|be\b|beware\b|"
    r"(?:be\s+)?careful\b|watch (?:out|for)\b|mind the\b)"
)
HEDGE = _rx(
    r"\b(?:i think|i believe|i guess|i suppose|i assume|i reckon|maybe|perhaps|possibly|probably|"
    r"wondering|curious (?:if|whether|about|why|how)|do you know|any idea|no idea|unclear whether|"
    r"(?:don'?t|do not|can'?t|cannot) (?:remember|recall)|i forget|i forgot|not certain|don'?t quote me|"
    r"might|may be|not sure|unsure|iirc|afaik|if i (?:remember|recall)|i'?m not (?:certain|sure)|"
    r"could be|seems? to|presumably|i'?d guess|i wonder|"
    # an opinion said as one: "half an hour seems a lot, in my opinion"
    r"in my (?:humble |honest |personal )?(?:opinion|view)|imo|imho|if you ask me|to my mind|my two cents)\b|"
    r"\bnot (?:100 ?%|a hundred percent)(?!\w)"
)
HYPOTHETICAL = _rx(r"^(?:if|suppose|supposing|imagine|what if|let'?s say|say|in theory|"
                   r"hypothetically|theoretically|in principle|to|for example|e\.g\.|in a world where|"
                   r"in the (?:unlikely )?event|(?:in the )?worst case|"
                   # what would follow: "we'd be exposed on the migration", "we'd lose the whole batch"
                   # (not "we'd already shipped it": a past before the past)
                   r"(?:we|they|you|he|she)(?:'?d| would)\s+(?!(?:already|just|never|been|better)\b)(?![a-z]+ed\b)[a-z]+)\b")
# A person's own moment ("I'm heading out", "the build is running now"), not lasting knowledge.
EPHEMERAL = _rx(
    r"^(?:i|i'?m|im|i'?ll|ill|i'?ve|ive|i'd|me|"
    # "my department requires ...": the person's organisation, as "our"
    r"my" + _MY_ORG + "|we'll|"
    r"we'?re\s+(?:\w+ing|about to|going to|gonna|out|off|busy|late|done|ready|blocked|stuck|back))\b|"
    r"\b(?:right now|at the moment|"
    # someone's news of the moment: "the candidate just messaged", "they're running 10 minutes late"
    r"just (?:messaged|called|pinged|emailed|texted|rang|wrote|told me|said|landed|arrived|left|got in)|"
    r"running (?:(?:a bit|a little|\d+ \w+|a few \w+|an hour|half an hour)\s+)?(?:late|behind)|"
    r"today|tonight|tomorrow|yesterday|this (?:morning|afternoon|evening|week)|soon|later today|"
    r"on (?:vacation|holiday|leave|pto|parental leave|sick leave)|"
    # (not a code that reads so: "the status code is OOO", "marked OOO")
    r"(?<!code is )(?<!status is )(?<!code )(?<!status )(?<!marked )(?<!as )ooo|out of (?:the )?office|off sick|"
    r"(?:this|next|by|until|before) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?!s)|"
    r"next (?:week|month|quarter|sprint)|"
    r"all (?:week|day|morning|night)|lately|recently|these past|the last few|"
    r"in a (?:bit|minute|sec)|currently|again|so far|yet|anymore|any more)\b|"
    r"\b(?:is|are|'s|'re)\s+(?:now\s+|still\s+|all\s+)?(?:broken|failing|fixed|done|finished|stuck|"
    r"red|green|flaky|merged|pushed|deployed|blocked|ready|busy|late)\b(?!-\w)(?!\s+by\b)(?<!deployed(?=\s+(?:on|in|as|via)\s))|"
    r"\b(?:is|are|am)\s+(?:still\s+|now\s+)?"
    r"(?!\w*thing\b|during\b|pricing\b|billing\b|morning\b|evening\b|string\b|setting\b|"
    r"building\b|meeting\b|staging\b|pending\b|nothing\b|(?:calling|naming|defining)\s+['\"\u2018\u201c`])\w+ing\b"
    # a habit said with a progressive, as some people write: "the quarter is finishing always on
    # the last friday", "the IVA is adding in the invoice only"
    r"(?![^,.;:!?]*\b(?:always|never|usually|normally|only|every|each)\b)|"
    r"^(?:thanks?|thank you)\b|\bto self\b(?!-)"
)
_SELF_CORRECTION = _rx(
    # (not "not a typo", "no typo there": what looked wrong is so)
    r"(?<!\bnot\sa\s)(?<!\bno\s)\b(?:typo|typos|misspel\w*|spelling|mis-?typed|misspoke|mis-?spoke)\b|\bi\s+meant\b|"
    r"^(?:sorry|oops|sry|ah|err?)?\W*i\s+mean\b|\bmy\s+(?:bad|mistake|typo|error)\b|"
    r"\b(?:scratch|ignore|disregard)\s+(?:that|what i (?:said|wrote|asked)|my (?:last|previous)\b)|"
    r"\bforget(?<!don't forget)(?<!do not forget)\s+(?:what i (?:said|wrote|asked)|my (?:last|previous)\b)|"
    r"\bcorrection to (?:what i|my)\b|\bi\s+gave\s+you\s+the\s+wrong\b|"
    # "I typed Thursday but meant Friday", "I messed up my earlier note"
    r"\b(?:typed|wrote|said|put)\b[^.!?]{1,40}?\bbut\s+(?:i\s+)?meant\b|\bi\s+messed\s+up\s+my\b|"
    r"^\*\w|^oops\b|\bignore (?:that|my last|what i)\b|"
    # "oh no I pasted last year's rubric": dismay at one's own slip
    r"^\W*(?:oh|ah|uh|aw)\W*no+\b,?\s+(?:i|we)\s+(?:just\s+)?(?:\w+ed|sent|gave|put|left|forgot|wrote|took|got|made|"
    r"ran|read|did|brought|grabbed|shared)\b"
)
# a word one of `_SELF_CORRECTION`'s branches needs (a cheap test first: it is asked of every sentence)
_SELF_CORRECTION_WORDS = ("typo", "misspel", "spelling", "typed", "spoke", "mean", "bad", "mistake", "error", "scratch",
                          "ignore", "disregard", "forget", "correction", "wrong", "oops", "messed", "*")
_DISMAY_FIRST = re.compile(r"^\W*(?:oh|ah|uh|aw)\W*no", re.I)


class _SelfCorrection:
    """`_SELF_CORRECTION`, searched only in text that has a word one of its branches needs (or
    opens with "oh no"): the same matches, for a fraction of the cost. Text that is not ASCII is
    always searched: there case-folding and the pattern's case-insensitive matching may differ
    (a dotted capital I folds to two characters)."""

    def search(self, text: str) -> re.Match[str] | None:
        if text.isascii():
            low = text.lower()
            if not any(w in low for w in _SELF_CORRECTION_WORDS) and _DISMAY_FIRST.match(text) is None:
                return None
        return _SELF_CORRECTION.search(text)


SELF_CORRECTION = _SelfCorrection()
# A clause has a finite verb: a form of be/have/a modal, a contraction, a pronoun subject, or a
# verb of the list below (base, -s, -ed forms) that is not a noun ("just the unit tests").
AUX_VERB = _rx(
    r"\b(?:is|are|was|were|be|been|being|am|isn'?t|aren'?t|wasn'?t|weren'?t|isnt|arent|"
    r"has|have|had|hasn'?t|haven'?t|hasnt|havent|should|must|shall|would|could|can|can'?t|cannot|"
    r"cant|won'?t|wont|will|do(?:es)?n'?t|dont|doesnt|didn'?t|didnt|(?:does|did)\s+not|never|always|"
    r"(?:it|that|this|there|here|what|who|he|she|everything|nothing|which)'?s|"
    r"(?:they|we|you)'?re|(?:they|we|you)'?ve|r)\b|[=\u2260\u2265\u2264]"
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
    "built|paid|sold|bought|set|put|cut|made|did|said|told|thought|knew|saw|found|got|gave|"
    "see|sees|seen|know|knows|prefer|expect|become|became|"
    "hear|say|says|tell|ask|buy|sell|win|won|lose|lost|pass|owe|receive|enable|disable|"
    "provide|offer|expose|invoke|execute|consume|involve|tend|host|mount|bind|"
    "inherit|extend|implement|expand|fit|spin|span|gate|guard|"
    "protect|own|fund|hire|onboard|offboard|renew|cancel|churn|upgrade|downgrade|migrate|"
    "switch|refresh|recompute|rebuild|reindex|backfill|snapshot|expire|lapse|accrue|amorti[sz]e|"
    "depreciate|allocate|attribute|forecast|budget|approve|sign|countersign|audit|review|"
    "require|permit|forbid|prohibit|mandate|recommend|suggest|encourage|discourage|"
    "ran|begun|began|broke|broken|chose|chosen|drew|drawn|drove|driven|ate|fell|felt|flew|"
    "forgot|froze|grew|hid|led|meant|met|rode|rose|shook|shot|shut|slept|spent|spoke|stood|"
    "stole|stuck|swore|taught|threw|understood|woke|wore|wrote|written|hidden|given|taken|"
    "shown|known|grown|thrown|stack|compound|accumulate|nest|wrap|chain|print|kick|"
    "flip|inspect|deliver|dispatch|restock|broadcast|reprint|does"
)
# verbs ending in -y: "retries", "applied", "carries", "relies", "queries", "notifies"
_Y_VERBS = ("retr|appl|repl|cop|var|den|notif|verif|quer|specif|qualif|modif|classif|rel|suppl|"
            "identif|carr|empt|bur|tid|simplif|unif|justif|occup|multipl|satisf|rectif|dr|tr|fr|"
            "deplo|emplo|displa|dela|pa|sta|pla|sa|la|obe|conve|surve|destro|enjo")


def _forms(bases: str, endings: tuple[str, ...]) -> set[str]:
    """Each base of an alternation ("recogni[sz]e" is two) with each ending, and the doubled
    consonant of a short base ("tagged", "shipped", "planned")."""
    out: set[str] = set()
    for base in bases.split("|"):
        for spelled in (base.replace("[sz]", "s"), base.replace("[sz]", "z")):
            out.update(spelled + e for e in endings)
            if "" in endings and re.fullmatch(r"[a-z]*[^aeiou][aeiou][bdgklmnprt]", spelled):
                out.add(spelled + spelled[-1] + "ed")
    return out


# A set, not an alternation: one lookup per word instead of a scan of the clause per pattern.
VERB_FORMS = frozenset(_forms(_VERBS, ("", "s", "es", "ed", "d"))
                       | _forms(_Y_VERBS, ("ies", "ied", "ys", "yed")))
WORD_OF_LETTERS = _rx(r"[a-z]+")
# "a customer churns at ...": a third-person verb after a noun phrase, before what governs it
GENERIC_VERB = _rx(
    # (not a stretch of time: "the first 6 hours on spotify")
    r"\b(?:a|an|the|each|every|any|our|their|this|that|no)\s+(?!(?:first|last|next|past|previous)\s+[\d.,]+\s+[a-z]+s\b)"
    r"(?:[\w-]+\s+){0,2}?[\w-]+\s+"
    r"[a-z]{3,}(?:s|es)\s+(?:at|in|on|by|to|from|for|with|into|after|before|when|if|as|the|a|an|"
    r"every|each|only|once|per|up|out|over|under|it|them|its|their|our|all|no|and|or|"
    # a count after the verb: "the audit committee meets four times a year"
    r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|twice|several|about|around|roughly|exactly|within|"
    r"between|via)\b"
)
# "tickets tagged 'vip' bypass the normal queue": a word before a determiner, after a word that
# is not a determiner or a preposition, is the verb of a clause the lists do not know.
VERB_BEFORE_OBJECT = _rx(r"^(?:[\w'\"`/().-]+\s+){1,4}?(?P<verb>[a-z]{3,}(?<!ly))\s+(?:the|a|an|our|their|its|"
                         r"every|each|all|any|no|your)\s+\w")
DETERMINER = _rx(r"^(?:the|a|an|this|these|those|my|our|your|their|its|his|her|some|any|no|of|"
                 r"for|with|to|in|on|at|by|from|and|or|each|every|all|more|less|new|old)$")
NOT_A_FACT = _rx(r"^(?:that'?s|that is|thats|it'?s|its|this is)\s+(?:all|it|everything|fine|ok|okay|"
                 r"good|enough|alright|all good|no problem|nothing|great|perfect|cool|"
                 r"not what (?:i|we)\b)|"
                 r"^(?:[\w'-]+\s+){0,4}?(?:is|are|was|'s)\s+(?:actually\s+)?(?:really\s+|very\s+|so\s+|"
                 r"super\s+|pretty\s+|quite\s+)?(?:helpful|great|nice|cool|awesome|perfect|useful|"
                 r"amazing|impressive|lovely|brilliant)\b|"
                 # a doubt with nothing in it: "that doesn't match what I remember", "something's off in
                 # the calculation", "this can't be right"
                 r"^(?:that|this|it|which)\s+(?:does(?:n'?t| not)|do(?:n'?t| not)|did(?:n'?t| not))\s+(?:match|add up|"
                 r"make sense|look right|sound right|seem right|ring a bell|line up|check out)\b(?:\s+(?:with\s+)?"
                 r"(?:what|how)\s+(?:i|we)\s+\w+(?:\s+\w+)?)?\W*$|"
                 r"^something(?:'?s| is| seems| looks)\s+(?:(?:definitely|really|a bit|slightly|very|clearly)\s+)?"
                 r"(?:off|wrong|weird|fishy|not right)\b[^.!?\d]{0,40}[.!]*$|"
                 r"^(?:that|this|it|the (?:math|maths|numbers?|figures?|totals?|calculation|sum))\s+(?:can'?t|cannot|"
                 r"couldn'?t)\s+be\s+(?:right|correct|true)\W*$|"
                 # a proposal: "propose we start at 1%", "I'd suggest 30 days"
                 r"^(?:i\s+|i'?d\s+|we\s+)?(?:propose|suggest)\b|"
                 # an apology: "sorry to be a pain!", "apologies for the noise"
                 r"^(?:(?:so|really|very)\s+)?(?:sorry|apologies)\s+(?:to|for|if|about)\b")
PRONOUN_SUBJECT = _rx(r"^(?:we|they|it|its|he|she|you|u|everything|nothing|everyone|nobody|"
                      r"someone|each|both)\s+(?!to\b)[\w'-]+")
