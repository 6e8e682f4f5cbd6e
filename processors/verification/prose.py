"""Prose: a user turn's own words as sentences and clauses, and whether a sentence states a fact.

`prepare` drops what the person did not write themselves -- fenced code, quoted (``>``) lines,
indented code, quoted speech of four words or more -- so pasted code, logs and other people's
words never match. A *fact* (`is_fact`) is a declarative sentence: at least three words, not a
question, a hypothetical or a hedge, and its first clause with a verb is not an imperative
("before that, take a backup"). Without a parser, a verb is an auxiliary, a pronoun subject, a
third-person form after a noun phrase, a word before its object ("tickets tagged 'vip' bypass
the queue"), or a verb of `marks`' list that is not a noun.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sessiond.processors.verification import marks as mk
from sessiond.processors.verification import phrases as ph

SCAN_CHARS = 3000  # long pastes are read only this far: verifications are short and early
SPAN_SENTENCES = 3  # a fact is at most this many consecutive declarative sentences
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
# (a reply after a dash on the quote's own line is kept: "> tax year runs Jan-Dec -- it runs April to April")
_QUOTE_OR_CODE_LINE = re.compile(r"^>[^\n]*?\s(?:--|\u2014)\s+(?=\S)|^(?:>|    |\t).*$", re.MULTILINE)
# Code pasted without a fence: a query ("SELECT * FROM orders WHERE ..."), a logger's line
# ("Debug.Log: hp = 0", "console.log: ..."); and a diff's lines, when a line is added ("+ TIMEOUT = 60")
_CODE_LINE = re.compile(r"^\s*(?:(?-i:SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH|CREATE|ALTER|DROP)\s[^\n]*?"
                        r"\b(?-i:FROM|WHERE|SET|TABLE|VALUES|AS|INDEX)\b|[A-Za-z_]\w*\.(?:log|info|debug|warn|warning|"
                        r"error|trace|print|println|write|writeline)\w*\s*:|(?-i:WHERE|AND|JOIN|GROUP BY|ORDER BY)\s[^\n]*?"
                        r"(?:<>|!=|[=<>]|\b(?-i:IN|LIKE|ON)\b)|[\w.]+\([^\n]*\)\s*;?\s*$).*$", re.MULTILINE | re.I)
# A tool's output pasted without a fence, line by line: a source position ("src/parser.rs:212:9:
# assertion failed", "./main.go:41:15: cannot use cfg"), a tool's prefix ("error: failed to push",
# "hint: Updates were rejected", "FAIL src/lib/format.test.ts"; not "warning:", which people write
# before a rule of theirs), a stack ("Traceback (most recent call last)", "panicked at"), two
# key=value pairs ("stage=extract took=12.4s", "(code=exited, status=203)"), a diff's header
# ("diff --git a/x b/x"), a JSON object ('{"flags": ...'), a compiler's gutter ("88 |  x.push(y);"), a
# test run's tally ("12 examples, 1 failure", "Tests: 18, Assertions: 40"), and a
# query's result ("calls | mean_ms | query", "events | 48211093"; not a markdown table, "| code |
# meaning |", which people write as a legend of theirs); a log line's stamp or level first
# ("2024-05-14T09:12:03Z ...", "[14:02:11] ...", "INFO config loaded"; not "INFO: the cutoff is
# 4pm"), and a tool's own prefixes: npm's, git's ("remote: ", "stash@{1}: ", "commit 9be0112",
# "Author: Tom <tom@...>", "modified: app/x.py"), docker build's steps, a test runner's marks
# ("● formatCurrency ..."), a query plan's lines ("Filter: ...", "(cost=0.00..184.10 rows=4120").
_OUTPUT_LINE = re.compile(
    r"^[^\n]*?(?:[\w./-]+\.[A-Za-z]{1,5}:\d+(?::\d+)?(?=[:\s,)]|$)|(?:^|\s)(?:error|hint|fatal|panic)"
    r"(?:\[[\w-]+\])?:\s|(?-i:^\s*(?:FAIL|PASS|ERROR|WARN)\s+\S+\.\w+)|Traceback \(most recent call last\)|"
    r"\bpanicked at\b|(?:^|[\s(])[\w.]+=[^\s=,]+\s+[\w.]+=[^\s=,]+|"
    r"^\s*\[?(?:\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\d|(?-i:^\s*(?:DEBUG|INFO|TRACE|FATAL|CRITICAL)\b(?!:\s?\S))|"
    r"^\s*(?:npm (?:ERR!|WARN)|remote:\s|Step \d+/\d+\s*:|stash@\{\d+\}:|(?:new file|modified|deleted|renamed):\s+\S+$|"
    r"commit [0-9a-f]{7,40}\b|Author:\s[^\n]*<[^>\s]+@[^>\s]+>|[\u25cf\u2713\u2715\u2717\u00d7]\s|"
    r"(?:Filter|Index Cond|Hash Cond|Join Filter|Sort Key|Rows Removed by Filter|Planning Time|Execution Time):\s)|"
    r"\(\w+=[^\s=,)]+,\s*\w+=|^\s*diff --git\s|"
    r"^\s*[{\[]\s*\"[^\"\n]+\"\s*:|^\s*\d+\s+\|\s|^\s*goroutine \d+ \[|"
    r"\b\d+ (?:examples?|tests?|specs?),\s*\d+ (?:failures?|errors?)\b|\bTests:\s*\d+,\s*Assertions:|"
    r"^(?!\s*\|)(?:[^\n|]*\S\s+\|\s+\S[^\n|]*\s\|\s|\s*[\w.$%-]+(?:\s+\|\s+[\w.$%-]+)+\s*$)).*$",
    re.MULTILINE | re.I)
# what each of `_OUTPUT_LINE`'s patterns holds: a sign, or one of the words (in any case)
_OUTPUT_HINTS = (":", "=", "|")
_OUTPUT_WORDS = ("panicked", "fail", "pass", "error", "warn", "traceback", "diff --git", "goroutine", "example",
                 "test", "spec", "debug", "info", "trace", "critical", "err!", "commit ", "\u25cf", "\u2713", "\u2715",
                 "\u2717", "\u00d7")
# An image pasted into the session ("[Image #1] the y axis labels are cut off"): the sentence it
# opens says what the picture shows, now.
_IMAGE_SAID = re.compile(r"\[(?:image|screenshot|img|pasted image)\b[^\]\n]{0,80}\][^.!?\n]*[.!?]*", re.I)
_DIFF_ADDED = re.compile(r"^\s*\+\s*\S", re.MULTILINE)
_DIFF_LINE = re.compile(r"^\s*[+-]\s*[\w.\[\]\"']+\s*[:=]\s*\S.*$", re.MULTILINE)

# Quoted speech: another person's words ("the customer wrote: \"FYI your invoices are wrong\"").
# Quoted terms ('tenant', "strategic") are one to three words and stay.
_QUOTED = re.compile(r"(?<!\w)(?:\"[^\"\n]{1,400}\"|\u201c[^\u201d\n]{1,400}\u201d|"
                     r"'[^'\n]{1,400}'|\u2018[^\u2019\n]{1,400}\u2019)(?!\w)")
_SKIP = re.compile(rf"^(?:\s|(?!-\d|-[A-Z]{{2}}|\.\w){ph.SEP}|{ph.EMOJI})+")  # "-999 is our sentinel" keeps its sign, ".env" its dot
EM, EN = ph.EM, ph.EN
TYPO = re.compile(r"^\W*(?:sorry[,.!\s]+)?(?:typo\b|oops\b|i meant\b|i mean\b|\*\w)", re.I)

# The cheap lookbehind first: it fails at almost every position (3x faster on long turns).
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)"
                           r"(?<!\bMrs\.)(?<!\bSt\.)(?<!\b(?i:excl)\.)(?<!\b(?i:incl)\.)(?<!\b(?i:approx)\.)"
                           r"\s+(?=\S)|"
                           # a request joined to what was said: "HOA is $310 a month, and can you
                           # make the photo bigger?" -- two sentences
                           r",?\s+and\s+(?=(?:can|could|would|will)\s+(?:you|u)\b|please\b|pls\b|plz\b)")
CLAUSE = re.compile(rf"\s*(?:[,;:]|\s[{EM}{EN}-]+)\s+|\s+(?:but|and so|so|because|since)\s+")
_WORD = re.compile(r"[\w'$%-]+")
STOPWORDS = frozenset([
    "the", "a", "an", "and", "or", "but", "so", "of", "to", "in", "on", "at", "by", "for",
    "with", "from", "is", "are", "was", "were", "be", "been", "it", "its", "it's", "that",
    "this", "these", "those", "there", "they", "them", "we", "our", "you", "your", "i", "my",
    "me", "he", "she", "his", "her", "not", "no", "yes", "yep", "yeah", "right", "correct",
    "exactly", "just", "only", "also", "then", "than", "as", "if", "into", "per", "each",
    "every", "all", "any", "some", "more", "most", "much", "many", "few", "one", "two", "can",
    "could", "would", "should", "will", "shall", "do", "does", "did", "has", "have", "had",
    "which", "what", "who", "how", "when", "where", "why", "their", "here", "over", "under",
    "about", "after", "before",
])
_PLEASE = re.compile(r"\b(?:please|pls|plz)\b", re.I)  # a request, not a fact
_SHIFT = re.compile(r"^(?:anyway|also|then|now|next|btw|ps|p\.s\.|other than that|apart from that|"
                    r"and then|otherwise|meanwhile)\b", re.I)
_CONVENTION_PREFIX = re.compile(
    r"^(?:(?:our|the)\s+(?:\w+\s+)?(?:convention|rule|policy|standard)\s+(?:here\s+)?"
    r"(?:is|says)(?:\s+that)?\s*[:,]?\s*|by convention,?\s*)",
    re.I,
)


# Pasted mail: two header lines or more ("From: legal@", "Subject: RE: DPA") up to an end marker
# (or the last line, the person's own request); pasted output pointed at ("... <- that's what
# kubectl describe shows").
_HEADER = re.compile(r"^(?:from|to|cc|bcc|subject|sent|date|reply-to):\s", re.I | re.MULTILINE)
_MAIL_END = re.compile(r"^\s*(?:-{2,}.*|_{3,}|end of (?:the )?(?:e-?mail|message|thread)\W*)$", re.I)
_POINTED = re.compile(r"^.*?\s(?:<-+|\^+)\s*(?=(?:that'?s|thats|that is|this is)\s+(?:what|the (?:output|log|error|"
                      r"trace|result))\b)", re.I | re.MULTILINE)


def _unpasted(text: str) -> str:
    if "<-" in text or "^" in text:
        text = _POINTED.sub("", text)
    if len(_HEADER.findall(text)) < 2:
        return text
    lines = text.split("\n")
    first = next(n for n, line in enumerate(lines) if _HEADER.match(line))
    end = next((n for n in range(first + 1, len(lines)) if _MAIL_END.match(lines[n])), len(lines) - 2)
    return "\n".join(lines[:first] + lines[end + 1:])


def _unquote(match: re.Match[str]) -> str:
    if len(match.group().split()) < 4 or _MEANS_BEFORE.search(match.string, 0, match.start()) \
            or _SET_RIGHT_AFTER.match(match.string, match.end()) \
            or (_RULE_BEFORE.search(match.string, max(0, match.start() - 80), match.start())
                and "?" not in match.string[match.end():]):
        # (a meaning given in quotes is the person's own: "7 means 'held for review'"; so is a rule
        # cited from where it is written: 'the handbook: "Refunds are available within 30 days"' --
        # unless a question about it follows: 'Policy text: "...". So what happens to ...?')
        return match.group()
    return " "


# where a rule is written or who set it, before the quote of it: 'the policy says "...", 'section
# 4.2: "...", 'from the support handbook: "...", 'her words: "...", 'IT policy, quoting: "...' (not
# 'the customer email: "...", 'the error says "...": someone's words to look into)
_RULE_BEFORE = re.compile(r"\b(?:polic(?:y|ies)|handbook|runbook|playbook|wiki|guidelines?|standard|charter|"
                          r"contract|agreement|sla|section\s+[\d.]+|clause\s+[\d.]+|article\s+[\d.]+|"
                          r"(?:standing\s+)?rule|guidance|(?:his|her|their)\s+words|verbatim|quoting)\b"
                          r"[^\"\u201c'\n.!?]{0,30}$", re.I)


# a quote that is what a term means or is, not someone's words: "code 7 means 'held for fraud
# review'", "reason code RC-14 is 'billing dispute escalated to finance'"
_MEANS_BEFORE = re.compile(r"\b(?:means|meaning|stands for|is short for|refers to|is called|is|are|=|"
                           r"should (?:read|say|be)|to (?:read|say))\s*$|(?:->|=>|\u2192)\s*$", re.I)
# a line quoted to be set right, its words the statement's: "'close on June 30' should read ...",
# '"within 48 hours" isn't right for Standard', "'n = 48 per arm' is wrong", '"3 years" -> ...'
_SET_RIGHT_AFTER = re.compile(r"\s*(?:should (?:read|say|be)|(?:is|was)n'?t (?:right|correct|true)|is (?:not )?"
                              r"(?:wrong|outdated|incorrect)|(?:->|=>|\u2192))", re.I)


# A machine's word: a path, key=value, braces or a tag, a call or a scope ("x::y", "f(x)"), digits and
# letters mixed twice (an id, a hash, a stamp: "9be0112", "2024-05-14T09:12:03Z"), a log level.
_MACHINE_SIGNS = frozenset("=/\\{}[]<>@#~^`")
_MACHINE_MIXED = re.compile(r"\d[^\W\d_]+\d|[^\W\d_]\d+[^\W\d_]+\d|::|\w\(")
_LOG_LEVELS = frozenset(["DEBUG", "INFO", "WARN", "WARNING", "ERROR", "ERR!", "TRACE", "FATAL", "CRITICAL"])


def _machine_word(word: str) -> bool:
    return (len(word) > 80 or not _MACHINE_SIGNS.isdisjoint(word) or word.rstrip(":]") in _LOG_LEVELS
            or _MACHINE_MIXED.search(word) is not None)


# what a line of machine words holds somewhere -- a digit, a sign, ":" or "(" (of "::", "f("), a
# log level, a word over 80 characters (the cheap test first: most lines are prose)
_MACHINE_HINT = re.compile("[\\d:(" + "".join(map(re.escape, sorted(_MACHINE_SIGNS))) + "]|"
                           + "|".join(map(re.escape, sorted(_LOG_LEVELS))) + r"|\S{81}")


def _machine(line: str) -> bool:
    """A line of four words or more, at least half of them a machine's (`_machine_word`): a
    tool's output, pasted ("a91f3c2 wip 7be0d41 fix/export ..."); never a table's row or a quote."""
    words = line.split()
    if len(words) < 4 or line.lstrip().startswith(("|", ">")) or _MACHINE_HINT.search(line) is None:
        return False
    return 2 * sum(1 for w in words if _machine_word(w.strip(",.;"))) >= len(words)


def prepare(text: str) -> str:
    """The user's own prose: no fenced code, quoted lines, indented code or quoted speech;
    single spaces, one line per line of the turn."""
    return _prepared(text[:SCAN_CHARS])  # (the cache keeps what is read, not a long paste)


@lru_cache(maxsize=1024)
def _prepared(text: str) -> str:
    text = _FENCE.sub(" ", text)
    if "[" in text:
        text = _IMAGE_SAID.sub(" ", text)
    text = _unpasted(_QUOTE_OR_CODE_LINE.sub(" ", text))
    if "(" in text or ":" in text or "WHERE" in text or "AND " in text or "JOIN" in text or " BY " in text \
            or "SELECT" in text or "INSERT" in text or "UPDATE" in text or "DELETE" in text or "WITH " in text \
            or "CREATE" in text or "ALTER" in text or "DROP" in text:
        text = _CODE_LINE.sub(" ", text)  # (the cheap test first: most turns hold no code)
    if "+" in text and _DIFF_ADDED.search(text):
        text = _DIFF_LINE.sub(" ", text)
    if any(hint in text for hint in _OUTPUT_HINTS) or any(hint in text.lower() for hint in _OUTPUT_WORDS):
        text = _OUTPUT_LINE.sub(" ", text)  # (the cheap test first: most turns hold no output)
    text = "\n".join(line for line in text.split("\n") if not _machine(line))
    text = _QUOTED.sub(_unquote, text).replace("\u2019", "'").replace("\u2018", "'")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def sentences(text: str) -> list[str]:
    """Sentences: split after . ! ? and at line breaks."""
    return list(_sentences(text))


def first_sentence(text: str) -> str:
    """The first of `sentences`; "" when there is none -- an empty text, or one of punctuation
    and spaces only, which a turn's tail can be ("great, thanks!! 👍")."""
    found = _sentences(text)
    return found[0] if found else ""


def last_sentence(text: str) -> str:
    """The last of `sentences`; "" when there is none."""
    found = _sentences(text)
    return found[-1] if found else ""


# The rules ask the same questions of the same words several times (a turn's sentences are read
# by each rule; a fact is checked as a correction and as a definition): the pure functions of
# one string that cost most are cached, per process.
@lru_cache(maxsize=1024)
def _sentences(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return tuple(out)


# where what follows holds, the opening of a clause of its own before it: "On the Priva, ...", "in
# our ERP, ...", "for the EU entity, ..." (`rules._how_things_are`, `claims._responds`)
WHERE_FIRST = re.compile(r"^(?:on|in|at|for|within|inside|across|under)\s+(?:the|our|this|that|each|every|all|[A-Z])", re.I)


@lru_cache(maxsize=1024)
def clauses(text: str) -> tuple[str, ...]:
    """`CLAUSE`'s parts of a sentence (asked of the same sentence by several rules: cached)."""
    return tuple(CLAUSE.split(text))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def skip(text: str) -> str:
    """Text without leading separators, emoji and interjections."""
    text = _SKIP.sub("", text)
    m = ph.OPENER.match(text)
    return text[m.end():] if m else text


# "values above 35 we treat as negative": the subject after the object put first
_WE_INSIDE = re.compile(r"(?<=\w)\s+(?:we|they)\s+(?!(?:to|and|or|all|both|too|also|here|there|who|which|that)\b)"
                        r"(?:always\s+|usually\s+|never\s+|just\s+)?[a-z]{3,}\b", re.I)


# a noun phrase, then a verb in -s before its object or adverb: "the board meets monthly", "the DPA
# restricts processing to the EEA", "each tube gets a barcode"
_SUBJECT_VERB = re.compile(r"^(?:the|our|their|a|an|this|that|each|every|all|any|no)\s+(?:[\w'`-]+\s+){0,3}?"
                           r"(?!(?:is|was|has|does|its|this|thus|plus|bonus|status|gas|bus|series|analysis|basis|"
                           r"news|means)\b)[a-z]{2,}[^s\W']s\s+(?:the|a|an|our|their|every|each|all|only|no|both|up|out|us|them|it|you|on|at|by|before|after|until|into|"
                           r"down|off|back|\d[\w.,%]*|[a-z]{3,}ly|[a-z]{3,}ing)\b", re.I)


# a thing named by its number, then its verb: "Plot 22 completes on 28 June", "pump 3 runs at 40 Hz"
_LABELLED_VERB = re.compile(r"^[a-z][\w-]*\s+#?[\w-]*\d[\w-]*\s+(?!(?:is|was|has|plus|gas|bus)\b)[a-z]{3,}(?:[^s\W']s|ed)\s+"
                            r"(?:on|at|in|by|from|to|before|after|until|every|each|the|a|an|\d)\b", re.I)
# a past tense before a value: "raised $64,500", "shipped 40 units" (not "the estimated 300")
_PAST_BEFORE_VALUE = re.compile(r"(?<![\w'-])[a-z]{2,}ed\s+[$£€~≈]?\d", re.I)


# chat's "r" for "are", after a plural or a figure: "rates r always per hundredweight", "aisles 40+ r the mezzanine"
_R_ARE = re.compile(r"(?:(?<=[a-z]s )|(?<=\d\+ ))r(?= (?:the|a|an|always|never|all|in|on|at|per|not|our|only|just|"
                    r"usually|anything|[a-z]+ed|[a-z]+ing)\b)", re.I)


# a name's "'s" for "is" before where it is: "CI's on Node 20", "the API's behind the gateway"
# (not "CI's config": a possessive before a noun)
_S_IS = re.compile(r"\b\w+'s (?=(?:on|in|at|behind|under|over|down|up|off|still|now|already|always|never|not|"
                   r"only|just|set to|back)\b|(?:about |around |roughly |nearly |more like )?~?\d)", re.I)


# a format given by what a thing looks like: "look like DEV-YYYY-NNN", "looks like `ORD_123`"
_LOOKS_LIKE_CODE = re.compile(r"\blooks?\s+like\s+`?(?:[A-Z]{2,}\w*[-_/.]|\d+[-_/][A-Z])")


@lru_cache(maxsize=1024)
def has_verb(clause: str) -> bool:
    """A finite verb: an auxiliary, a pronoun subject, or a verb of the list that is not a noun
    (after a determiner, or last in the clause: "just the unit tests")."""
    if mk.AUX_VERB.search(clause) or mk.PRONOUN_SUBJECT.match(clause) or mk.GENERIC_VERB.search(clause) \
            or _WE_INSIDE.search(clause) or _SUBJECT_VERB.match(clause) \
            or ((" r " in clause or " R " in clause) and _R_ARE.search(clause)) \
            or ("'s " in clause and _S_IS.search(clause)) or labelled_verb(clause):
        return True
    if " like " in clause and _LOOKS_LIKE_CODE.search(clause):
        return True  # "deviation numbers look like DEV-YYYY-NNN": a format given
    if "ed " in clause and (m := _PAST_BEFORE_VALUE.search(clause)) is not None \
            and (before := clause[:m.start()].split()) and not mk.DETERMINER.match(before[-1]):
        return True  # "the nonprofit raised $64,500 at the gala", "we closed 12 deals"
    m = mk.VERB_BEFORE_OBJECT.match(clause)
    if m and m["verb"].lower() not in STOPWORDS and not mk.DETERMINER.match(m["verb"]):
        before = clause[:m.start("verb")].split()
        if before and not mk.DETERMINER.match(before[-1]) and before[-1].lower() not in STOPWORDS:
            return True
    for m in mk.WORD_OF_LETTERS.finditer(clause):
        if m.group().lower() not in mk.VERB_FORMS or _LAST_PERIOD.match(clause, m.start()):
            continue  # (not "last month": a time, not "batteries last 5 years")
        before = clause[:m.start()].split()
        if clause[m.end():].strip(" .,;:!") and not (before and mk.DETERMINER.match(before[-1])):
            return True
    return False


_LAST_PERIOD = re.compile(r"last\s+(?:night|week|month|year|quarter|time|season|sprint|summer|winter|spring|autumn|"
                          r"fall|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)


_AUXILIARY = frozenset(["is", "are", "was", "were", "must", "should", "can", "will", "would", "has",
                        "have", "had", "do", "does", "don't", "doesn't", "never", "always", "only",
                        "can't", "won't", "isn't", "aren't", "may", "might"])


_HABIT = frozenset(["always", "never", "usually", "normally", "typically", "generally", "only"])
_OBJECT_PRONOUNS = frozenset(["it", "them", "me", "us", "him", "her"])
_VERB_IT = re.compile(r"^([a-z]{3,})(?<!ed)(?<!ing)\s+(?:it|them|that|those)\s*(?:[,.;!]|$|\s+(?:now|first|again|instead|"
                      r"down|up|off|out|away|back)\b)", re.I)
_NOT_VERB_IT = frozenset([
    "got", "get", "gets", "love", "loves", "like", "likes", "hate", "hates", "see", "saw", "has", "had", "was", "did",
    "does", "said", "says", "want", "wants", "need", "needs", "know", "knew", "think", "mean", "means", "guess",
    "made", "makes", "found", "took", "gave", "kept", "left", "lost", "put", "not", "just", "only", "and", "but",
    "because", "with", "for", "from", "than", "then", "all", "also", "about", "exactly", "what", "how", "why",
    "where", "when", "who", "which", "yes", "yep", "yeah", "nope", "sure", "okay", "done", "even", "both", "once",
    "since", "into", "onto", "upon", "after", "before"])


def labelled_verb(text: str) -> bool:
    """A thing named by its number, then its verb: "Plot 22 completes on 28 June" (an instruction
    may read the same: "Run 3 tests on staging" -- said by the assistant, a claim)."""
    return _LABELLED_VERB.match(text) is not None


@lru_cache(maxsize=1024)
def imperative(text: str) -> bool:
    """An instruction: an imperative verb first ("push the branch"), unless the verb is a noun of
    the subject before its own verb ("release notes list all features", "push notifications go
    out at 9")."""
    m = mk.IMPERATIVE_START.match(text)
    if m is None:
        # a verb of no list before its object pronoun, said alone: "stream it, it's way too big",
        # "kill that", "nuke them now" (not "got it", "love it", "fixed it")
        return (m := _VERB_IT.match(text)) is not None and m.group(1).lower() not in _NOT_VERB_IT
    after = text[m.end():].split()[:8]
    if after and after[0].lower() == "of":
        return False  # "use of force data is owned by professional standards": the verb is a noun
    if len(after) >= 2 and after[0][:1].isdigit() and after[1].lower().strip(".,") in _AUXILIARY:
        return False  # "Plot 31 is the Kensington": a thing named by its number
    if len(after) >= 2 and after[0][:1].isdigit() and after[1].endswith("ed") and labelled_verb(text):
        return False  # "Plot 18 exchanged on 9 August" (not "Run 3 tests on staging")
    if len(after) >= 3 and after[0].lower() in ("to", "into", "onto") and \
            (verb := after[2].lower().strip(".,;:!")).endswith("s") and verb in mk.VERB_FORMS:
        return False  # "merge to main deploys to staging only", "push to prod needs a ticket": a subject
    if len(after) < 2 or mk.DETERMINER.match(after[0]) or not after[0][:1].isalpha() \
            or after[0].lower() in _OBJECT_PRONOUNS:
        return True  # ("let it take a glob", "make them optional": a subject is never "make it")
    for n, word in enumerate(after[1:-1], 1):
        if word[-1:] in ",.;:!?":
            break
        if word.lower() in _HABIT and after[n + 1][:1].isalpha() and not mk.DETERMINER.match(after[n + 1]):
            return False  # "export requests from enterprise customers always go through ...": a subject
        if word.lower() in ("all", "both", "here", "there") and (after[n + 1].lower() in _AUXILIARY
                                                                 | {"have", "get", "go", "use", "need"}):
            return False  # "test orders all have emails ending @example.shop": a subject
    after = after[:2]
    verb = after[1].lower().strip(".,;:!")
    return verb not in mk.VERB_FORMS and verb not in _AUXILIARY


# a later clause that guesses at what the fact explains: "..., that's probably what's killing the
# uploads", "..., which is likely why the totals differ"
_CONSEQUENCE = re.compile(r"^(?:that'?s|thats|that is|which(?:\s+is)?|this is|so)\s+(?:probably|likely|maybe|"
                          r"perhaps|possibly|i think|i guess|i suspect)\b", re.I)


def _hedged(first: str) -> bool:
    """The hedge bears on the sentence's fact, not only on a guess at its consequence after it,
    nor on the politeness around a correction ("I may be mistaken, but I believe the rate is
    actually 67 cents": an "actually" says the person knows)."""
    parts = [c for c in clauses(first) if not _POLITE.match(skip(c.strip()))]
    if not parts:
        return True
    return bool(mk.HEDGE.search(parts[0]) and not _POLITE_BELIEF.match(parts[0])) or any(
        mk.HEDGE.search(c) and not _CONSEQUENCE.match(skip(c.strip())) and not _POLITE_BELIEF.match(c)
        for c in parts[1:])


# politeness around what is said: "I may well be mistaken", "forgive me if I'm overstepping here",
# "correct me if I'm wrong", "if I may" (also `rules`, which reads the belief after it as the fact)
POLITENESS = (r"(?:i\s+(?:may|might|could)\s+(?:well\s+)?be\s+(?:mistaken|wrong)|forgive me if [^,.!?]{1,60}|"
              r"correct me if i'?m wrong|if i may|with (?:the greatest |all due )?respect)")
# a clause of nothing else
# not wanting to seem a pedant: "I don't want to be that person, but ..."
NOT_A_PEDANT = r"i don'?t want to be (?:pedantic|picky|that person)"
_POLITE = re.compile(rf"^(?:and\s+|but\s+)?(?:{POLITENESS}|{NOT_A_PEDANT})\W*$", re.I)
# the same before the fact, in a clause of its own
# a habit's occasion before the rule: "when we count working days for election timetables, ..."
# (not "when we say 'retained' we mean ...": a meaning, `phrases.SAY_MEAN`)
_HOUSE_CONDITION = re.compile(r"^when(?:ever)?\s+(?:we|you|they|people|anyone|someone)\s+(?!(?:will|would|'ll|get|have|"
                              r"can|could|are|were|did|had|say|said|write|talk|mention|use|refer)\b)(?![^,?]*\bmean)"
                              r"[^,?]{3,80},\s*(?=\S)", re.I)
# a condition of a thing, in the present, before the rule it triggers: "When a screening hits 85%
# occupancy, we stop selling ...", "if the queue goes over 25 open orders, order-ahead switches off"
_RULE_CONDITION = re.compile(r"^(?:if|when(?:ever)?|once|any\s?time)\s+(?:the|a|an|any|every|each|our|their)\s+"
                             r"(?:[\w'%$.-]+\s+){0,5}?(?:is|are|has|have|hits|reaches|exceeds|goes|gets|drops|falls|"
                             r"passes|crosses|tops|[a-z]+s)\s+[^,?]{1,70}?(?:,\s*|\s+(?=(?:we|they|it|the|our)\s))(?=\S)", re.I)
# what is foretold or supposed, not a rule: "..., it'll crash", "..., we'd lose it", "..., it might"
_FORETOLD = re.compile(r"\b(?:will|won'?t|would|wouldn'?t|might|may|could|gonna|going\s+to)\b|'(?:ll|d)\b", re.I)
# one day or week, not every one: "on Thursday" (not "on Thursdays"), "tomorrow", "this week"
ONE_DAY = re.compile(r"\b(?:(?:on|this|next|by|until|from)\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day\b(?!s)|"
                     r"(?:today|tonight|tomorrow|yesterday|this week|next week|this month|right now)\b)", re.I)
_POLITE_LEAD = re.compile(rf"^{POLITENESS}\s*,\s*(?=\S)", re.I)
# a belief said with "actually": "I believe it's actually four years", "I think they actually need ..."
_POLITE_BELIEF = re.compile(r"^(?:but\s+)?i\s+(?:believe|think)\b(?=.*\bactually\b)", re.I)


# a step after another ("then we talk about the logic", "after that rerun the job")
# (not a story's: "after that we switched to a binary format")
_STEP = re.compile(r"^(?:and\s+)?(?:then|after that|afterwards|next)\s*,?\s+"
                   r"(?:(we|i|you|let'?s)\s+(?!\w+ed\b|(?:was|were|had|did|went|got|made|found|saw|said)\b))?", re.I)


def rule_condition(sentence: str) -> int | None:
    """Where the rule starts after a condition of a thing in the present ("if the queue goes over
    25 open orders, order-ahead switches off"), or None: no such condition, or what follows it is
    foretold or supposed ("if the file is empty, it'll crash")."""
    if (cond := _RULE_CONDITION.match(sentence)) is None or _FORETOLD.search(sentence, cond.end()) \
            or ONE_DAY.search(sentence, cond.end()):
        return None  # (nor a plan for one day: "If the crash rate stays flat, we go to the canary on Thursday.")
    return cond.end()


@lru_cache(maxsize=1024)
def is_fact(text: str) -> bool:
    """A declarative sentence: >= 3 words, not a question, hypothetical or hedge, and its first
    clause with a verb is not an imperative ("before that, take a backup")."""
    first = first_sentence(text)
    if len(words(first)) < 3 or "?" in first or (first.rstrip().endswith(":") and len(words(first)) <= 6):
        return False  # (a heading of what follows, "log from the bounce:", says nothing itself)
    if (polite := _POLITE_LEAD.match(first)) is not None:
        first = first[polite.end():]  # "if I may, I believe it's actually four years": no "if"
    if (when := _HOUSE_CONDITION.match(first)) is not None:
        first = first[when.end():]  # "when we count working days, bank holidays are excluded": the rule is what follows
    elif (ruled := rule_condition(first)) is not None:
        first = first[ruled:]
    low = first.lower()
    if ("please" in low or "pls" in low or "plz" in low) and _PLEASE.search(first):
        return False
    if (mk.QUESTION_START.match(first) or mk.HYPOTHETICAL.match(first)
            or (mk.HEDGE.search(first) and _hedged(first)) or mk.NOT_A_FACT.match(first)):
        return False
    if (step := _STEP.match(first)) is not None and (imperative(first[step.end():]) or step.group(1)):
        return False  # the next step of a plan: "then we pick where to start", "then run it twice"
    for clause in clauses(first):
        clause = skip(clause.strip())
        if not clause:
            continue
        if imperative(clause):
            return False
        if has_verb(clause):
            return True
    return False


def mocked(text: str) -> bool:
    """A turn said in mockery (`phrases.mocking`) with no fact after the mockery: "one day,
    right. and I'm the pope" -- not "like they ever ship on time. the vendor takes 3 weeks"."""
    if not ph.mocking(text):
        return False
    parts = sentences(text)
    last = next((i for i in range(len(parts) - 1, -1, -1) if ph.mocking(parts[i])), len(parts) - 1)
    return not any(is_fact(part) for part in parts[last + 1:])


def is_statement(text: str) -> bool:
    """Enough for a sentence whose shape is itself definitional ("we define X as Y")."""
    first = first_sentence(text)
    return (len(words(first)) >= 4 and "?" not in first and not mk.HEDGE.search(first)
            and not mk.HYPOTHETICAL.match(first))


def span(text: str, first_ok: bool) -> str | None:
    """The fact that opens ``text``: its first sentence (if ``first_ok``) and the declarative
    sentences right after it, up to a question, a request, a pleasantry or a change of topic."""
    parts = sentences(text)
    if not parts or not first_ok:
        return None
    keep = [parts[0]]
    for part in parts[1:SPAN_SENTENCES]:
        if not is_fact(part) or ph.PLEASANTRY.match(part) or _SHIFT.match(part):
            break
        keep.append(part)
    return " ".join(keep)


def fact_at(text: str) -> str | None:
    """The fact ``text`` opens with, if it opens with one."""
    text = text.strip()
    return span(text, bool(text) and is_fact(text) and not TYPO.match(text))


_FILE_NAME = re.compile(r"\w\.[a-z]")  # "go.mod", "config.yaml" (and "e.g.", which stays lower case too)


def upper_first(text: str) -> str:
    """The text as a sentence starts: its first letter a capital, unless its first word is a name
    written so ("iOS 16 minimum", "rate_limit_window is 60", "go.mod says 1.21", "eBay"), which
    stays as written."""
    if not text or text[:1].isupper():
        return text
    word = text.split(None, 1)[0]
    if "_" in word or any(ch.isupper() for ch in word[1:]) or _FILE_NAME.search(word):
        return text
    return text[:1].upper() + text[1:]


def title_of(content: str) -> str:
    """The first clause of the content, without convention boilerplate, at most ~80 chars."""
    first = first_sentence(content)
    first = _CONVENTION_PREFIX.sub("", first).strip()
    for sep in (": ", "; ", f" {EM} ", f" {EN} ", " - ", ", i.e. ", ", e.g. ", " ("):
        head = first.split(sep, 1)[0]
        if head != first and len(head.split()) >= 3:
            first = head
            break
    if len(first) > 80:
        cut = first[:80].rsplit(" ", 1)[0]
        first = cut + "…"
    return upper_first(first.rstrip(" .,;:!"))
