"""`VerificationProcessor`: the plugin -- options, ``process`` (pure) and ``merge`` (dedup in SQL).

``process`` maps one append's records to detections and the append's trail; it remembers
nothing between calls. ``merge`` places the detections of a batch in the knowledge base inside
the commit transaction; ``after_delete`` re-clusters what lost detections when a file was
rewritten, deleted or reprocessed. Both keep the knowledge base a function of the set of
detections (`processors.verification.clusters`), whatever order they arrive in.

Options (``[processor.verification]`` in the TOML config; all optional):

* ``extractor`` -- ``"rules"`` (default, offline) or ``"llm"``;
* ``api_key_env`` -- environment variable holding the Anthropic key (default
  ``ANTHROPIC_API_KEY``), or ``api_key`` itself; ``"llm"`` without a key is a config error;
* ``model``, ``base_url``, ``max_tokens``, ``timeout``, ``max_retries``, ``max_chars`` -- LLM
  request settings; ``batch_exchanges`` (exchanges per request), ``concurrency`` (requests at
  once), ``requests_per_minute`` and ``input_tokens_per_minute`` (the budget; 0: no limit) --
  see `processors.verification.llm`.

With ``"llm"``, ``process`` asks nothing: ``enrich`` (the `Enriching` hook, in the worker's
thread, before the commit) asks the model about the exchanges whose answer is not cached in the
state yet, and ``merge`` stores the new answers with the detections
(`processors.verification.llm_cache`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sessiond.processors.contract import (
    PartlyMapped,
    Pending,
    Reader,
    Record,
    Rows,
    SessionFile,
    Tx,
    Unreadable,
    describe,
)
from sessiond.processors.reader import NOT_TURNS
from sessiond.processors.verification import schema
from sessiond.processors.verification.detection import Extractor
from sessiond.processors.verification.exchanges import pair
from sessiond.processors.verification.rows import (
    ASK,
    CONTEXT_FIELDS,
    DETECTION_FIELDS,
    context_rows,
    detection_row,
)
from sessiond.processors.verification.turns import turns

if TYPE_CHECKING:
    from sessiond.processors.verification.llm import LlmExtractor

# The rules, the merge and the LLM's modules are imported where first used, not here: the rules
# compile ~600 regular expressions (0.4-0.7 s, up to ~10 MB), which a daemon that starts on a
# tree with nothing new to read, and a command that only loads the processor (a report,
# `status`), would otherwise pay before doing anything.

_LLM_OPTIONS = ("model", "base_url", "max_tokens", "timeout", "max_retries", "max_chars",
                "batch_exchanges", "concurrency", "requests_per_minute", "input_tokens_per_minute")


def _is_agent_file(file: SessionFile) -> bool:
    return file.is_subagent or file.key.rsplit("/", 1)[-1].startswith("agent-")


class VerificationProcessor:
    """Finds where a person corrects, confirms or defines domain knowledge (issue #4)."""

    name = "verification"
    version = 51  # 2: items are components of texts (#12); 3: rules that generalise (#15); 4: tuned on the first held-out round (#15); 5: round 4, tuned on the second held-out round (#15); 6: round 5, tuned on the third held-out round (#15); 7: round 6, tuned on the fourth held-out round (#15); 8: round 7, tuned on the fifth held-out round (#15); 9: round 8, tuned on the sixth held-out round (#15); 10: round 9, tuned on the seventh held-out round (#15); 11: round 10, tuned on the eighth held-out round (#15); 12: round 11, tuned on the ninth held-out round (#15); 13: round 12, tuned on the tenth held-out round (#15); 14: round 13, tuned on the eleventh held-out round (#15); 15: round 14, tuned on the twelfth held-out round (#15); 16: round 15, tuned on the thirteenth held-out round (#15); 17: the learned judgement where the rules find nothing (#15); 18: round 16, tuned on the eighteenth held-out round (#15); 19: round 17, tuned on the nineteenth held-out round (#15); 20: round 18, tuned on the twentieth held-out round (#15); 21: round 19, tuned on the twenty-first held-out round, and the judgement's second look at a correction the rules compared (#15); 22: round 20, tuned on the twenty-second held-out round (#15); 23: round 21, tuned on the twenty-third held-out round (#15); 24: round 22, tuned on the twenty-fourth held-out round (#15); 25: round 23, tuned on the twenty-fifth held-out round (#15); 26: round 24, tuned on the twenty-sixth held-out round (#15); 27: round 25, tuned on the twenty-seventh held-out round (#15); 28: round 26, tuned on the twenty-eighth held-out round (#15); 29: ordinary turns -- the judgement trained on them and left out of turns with no word, pasted output and pictures read as nobody's fact, a change asked of the code as no correction (#15); 30: the judgement trained on eight more sets of ordinary turns and the thirty-first and thirty-third to thirty-sixth rounds, its veto over a lead word at 0.99; a tool's log lines, a plan's next step, a question of the person's wish, what the person meant, as no fact; a value said back with an interjection as no correction (#15); 31: the judgement trained on eight more sets of ordinary turns and the thirty-second and thirty-eighth to forty-fourth rounds, reading each later sentence's opening words (#15); 32: the judgement trained on the thirty-seventh and forty-sixth to fifty-first rounds and six more sets of ordinary turns (a week of one team, reviews of the assistant's code, pasted material, a solo developer's month, debugging), reading the shapes of code a turn names (#15); 33: the judgement trained on the forty-fifth and fifty-third to fifty-sixth rounds and five more sets of ordinary turns (reviews of the assistant's code and of its other output, a week of one product team), reading whether the statement reports the assistant's work (#15); 34: the judgement trained on the fifty-second and fifty-eighth rounds and two more sets of ordinary turns (a week of one infrastructure team, facts of the task's situation), a rules definition the model is at least 0.9 sure is a correction made one (#15); 35: the judgement trained on the fifty-seventh and sixtieth rounds and two more sets of ordinary turns (a game studio's week, reviews of the assistant's work and reactions to its reports) (#15); 36: a correction's content is the sentence before the rules' fact that sets a value of the statement right, when their fact contradicts nothing of it (`claims.anchored`) (#15); 37: the judgement trained on the fifty-ninth round and one more set of ordinary turns (an online retailer's week), and a fact is one detection of a type in a turn (`claims.one_reading`) (#15); 38: the judgement trained on the sixty-first round and one more set of ordinary turns (a B2B software company's week); the judgement's correction is never a sentence that ends saying a part is right, its definition may be an instruction's aside between dashes; "negative" denies only set apart; a confirmation of one of several facts is the one whose figure the person says again (#15); 39: the judgement trained on the sixty-second round and one more set of ordinary turns (a mobile banking company's week); a turn that sets one part of the statement right and says the rest is right corrects (`claims.partly_right`), a fact with only the statement's figures that something finds the same confirms (`claims.found_so`) (#15); 40: the judgement trained on the sixty-third and sixty-fourth rounds and two more sets of ordinary turns (a video game studio's week, a digital health startup's week); what follows a part agreed to that says why it is so or that the person does not know the rest corrects nothing (`rules._partial`); "I", "one" after a determiner and "on" before a number are no values (`contrast.values_in`); a definition that says the statement again with words that find it so confirms (`claims.found_again`) (#15); 41: the judgement trained on the sixty-fifth round and one more set of ordinary turns (a small digital agency's week); what follows a part agreed to corrects only if it speaks of the statement (`claims.finish`), a source pointed to and what it says is a lead of its own ("pointed"), an amount written otherwise is the same value and the value an arrow points to is the one set right (`contrast.quantity`, `_substitutes`), a figure before a comma is read (`claims._figures`) (#15); 42: the judgement trained on the sixty-sixth round and one more set of ordinary turns (a robotics startup's week); what a "which" clause of an instruction says of a thing for good defines (`rules._which_aside`), someone else's words said to be wrong define nothing (`phrases.corrects_another`), a line quoted to be set right is the person's own (`prose._unquote`), a sentence that only announces what follows is no fact (`rules._ANNOUNCES`), a warning before an action the statement announces defines unless it names what to do instead (`claims._warns_of_plan`), the statement's number with a unit of microseconds or per cubic foot (`contrast._reunited`), a number written as a word is its figure (`contrast.quantity`) (#15); 43: the judgement trained on the sixty-seventh round and one more set of ordinary turns (a two-founder software business's week); a "no" before "you're reading it right", "nothing wrong there" or "you haven't misread" concedes (`rules._CONCEDED`), "those are swapped" and "reverse mate" are verdicts, a verdict before how things stand this week corrects what it contradicts, a rule with its exception, two names of one thing and a requirement with its figure define even after a claim of the same thing (`claims.finish`), "until" is a change only after what was (`contrast._changed`), a number is no value for a plural noun, a count in words or a word the fact still says (`contrast._substitutes`), pressure, mass and volume units (`contrast._reunited`), where a fact holds before it (`rules._how_things_are`), a code the claim does not name is another thing (`claims._responds`), someone's slip set right ("X wrote house 3 but he means house 5") defines nothing, and the judgement confirms no turn that opens with a question and agrees to nothing nor defines how things stand this week (#15); 44: the judgement trained on the sixty-eighth round and one more set of ordinary turns (a hospital's clinical informatics team); "X's ~40k" says "is", a reply on a quoted line after a dash is read (`prose.prepare`), another thing after the same verb and preposition corrects (`contrast._moved`), a requirement with its value is no opinion (`contrast._REQUIRES`), "not wrong at all", "I wish you were wrong but you're not", "that's what I expected", "that's what clause 9 says" and "cross-checked against ..." confirm, "correct, and if ..." adds a rule, "which means" leads into a claim, an acronym says its words again (`claims._initials`), "use of X" is a noun, a format of digits and capitals is no look, "any report" is a noun and a report set against the fact is none (`rules._reported`), a rule after "when we ..." is a fact (`prose.is_fact`), a unit of time or money is a convention, "we stopped saying X" is no status, and a fact after a report of work that gives no value contradicts nothing (`claims.finish`) (#15); 45: the judgement trained on the sixty-ninth round and one more set of ordinary turns (a university research computing group); "couldn't be more right", "def" and "monthly yeah, not quarterly any more" confirm, "sure it does" mocks, a "no" to an offer that is all the statement says corrects nothing, a list of codes after what they are codes of defines (`rules._mapping`), what an instruction says to bear in mind defines (`rules._MINDED`), "last month" is no verb, "uses the 3GPP XML format" is a convention, "..., so you're right" agrees (#15); 46: the judgement trained on the seventieth round and one more set of ordinary turns (a mobile games studio's live operations); a thing named by its number before its verb is no instruction ("Plot 22 completes on 28 June": `prose.labelled_verb`), a short fact then a sentence that only agrees confirms ("belongs to number 16. agreed"), a feeling then "but you're right" confirms, "couldn't agree more", "that's my recollection too", "as I recall, yes" and "not off at all" confirm, "Wrong year." is a verdict as a sentence of its own, millimetres, centimetres and inches are lengths, and the other side's claim told first ("their solicitor keeps saying ...") is not the person's fact (#15); 47: the judgement trained on the seventy-first round and one more set of ordinary turns (two maintainers of an open-source Rust tool); its sentence of a longer turn is the one naming more of the statement's words for a correction and of two rated alike the earlier (`learned.SHARED`, `learned.LATER`); surprise, then assent ("weird but true", "odd as it sounds, yes", "strange but that's accurate") and "couldn't have put it better myself" confirm (#15); 48: the judgement's correction is no one else's words set right when it contradicts nothing of the statement ("the guest claims the pass was €75 but it was €68"), and what someone assumes or believes then what it really was, or someone said to have got it wrong, is someone else's words set right -- not a verdict relayed ("she said that's wrong") (`phrases.corrects_another`), and the judgement's correction is no sentence that says a part is right "though" (#15); 49: the judgement trained on the seventy-second round and one more set of ordinary turns (an academic publisher's digital team) (#15); 50: the judgement trained on the seventy-third round and one more set of ordinary turns (an insurance broker's software team); "no mistake there", "not a typo" and "you've got it right" say nothing is wrong (`phrases.NOTHING_WRONG`), a part agreed to then a fact set against the rest "though" corrects even of the past (`rules._partial`), a rule after a condition of a thing in the present is a fact (`prose.rule_condition`), a fact then a source that has the same figure confirms (`rules._SAME_AFTER`), a record in hand vouches for what it says, "he's wrong" and "way off" set someone else's words right, a definition goes on into the next sentence about its thing (`rules._and_then`), "keep this in mind going forward:" frames a definition, a headline or "pushed to" reports work, and a nit asks a change of the code unless a fact follows it (#15); 51: the judgement trained on the seventy-fourth round and one more set of ordinary turns (a regional logistics company's data team); what someone who knows said again or shows too confirms (`phrases.SOURCE_SAID`, `SOURCE_TOO`), "..., the printer confirmed that" after the fact confirms only what says the statement again, "that isn't true at all" is a verdict, a part with a ratio is agreed to ("HD and 16:9 are correct; ..."), ", never decimals" is no order, a figure that "must include" something is no rule, "quick one" announces, "id" is no "I'd", a complaint of the past ("were always saying") is no rule, a question after "right so", a wish and an instruction with its value correct nothing, and a condition's rule holds for good only when it is no plan for one day (#15)
    interval = 0.0
    tables = schema.PER_FILE_TABLES
    shared_tables = (schema.ITEMS, schema.RELATIONS, schema.PAIRS, schema.LLM_ANSWERS)
    merge_fields: ClassVar[Mapping[str, tuple[str, ...]]] = {schema.DETECTIONS: (*DETECTION_FIELDS, ASK), schema.CONTEXT: CONTEXT_FIELDS}
    skip_prefixes = NOT_TURNS  # it reads user and assistant turns only
    migrations = schema.MIGRATIONS
    item_tables = (schema.DETECTIONS,)  # the trail (context) is bookkeeping, not an item
    report = "sessiond.processors.verification.report"  # sessiond report verification

    def __init__(
        self,
        *,
        extractor: str = "rules",
        judgement: bool = True,
        api_key: str | None = None,
        api_key_env: str = "ANTHROPIC_API_KEY",
        environ: Mapping[str, str] | None = None,
        clock: Any = None,
        llm_clock: Callable[[], float] | None = None,
        **llm_options: Any,
    ) -> None:
        unknown = sorted(set(llm_options) - set(_LLM_OPTIONS))
        if unknown:
            raise TypeError(f"unknown option(s) {', '.join(unknown)} for the verification processor")
        self._clock = clock  # () -> aware datetime; tests pin it
        self._extractor: Extractor | None = None  # the rules' is made when first asked for
        self._llm: LlmExtractor | None = None  # asked before the commit (`enrich`)
        if not isinstance(judgement, bool):
            raise TypeError(f"judgement must be true or false, got {judgement!r}")
        self._judgement = judgement and extractor == "rules"  # `learned.second_look` in the merge too
        if extractor not in ("rules", "llm"):
            raise TypeError(f"extractor must be 'rules' or 'llm', got {extractor!r}")
        if extractor == "llm":
            from sessiond.processors.verification.llm import LlmExtractor

            env = os.environ if environ is None else environ
            key = api_key or env.get(api_key_env, "")
            if not key:
                raise TypeError(
                    f"extractor 'llm' needs an Anthropic API key: set ${api_key_env} "
                    "(or api_key_env / api_key in [processor.verification])"
                )
            if llm_clock is not None:  # the budget's minute (tests pin it)
                llm_options["clock"] = llm_clock
            try:
                self._extractor = self._llm = LlmExtractor(api_key=key, **llm_options)
            except ImportError:
                raise TypeError(
                    "extractor 'llm' needs the anthropic package: pip install 'sessiond[llm]'"
                ) from None

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            from sessiond.processors.verification.rules import RulesExtractor
            self._extractor = RulesExtractor(judgement=self._judgement)  # (the LLM's is made at once)
        return self._extractor

    def wants(self, file: SessionFile) -> bool:
        # A subagent's "user" turns are its parent agent's prompts, not a person speaking.
        return not _is_agent_file(file)

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        exchanges, trail = pair(turns(records))
        detections: list[dict[str, Any]] = []
        unread: list[Unreadable] = []
        if self._llm is not None:  # answered in `enrich`, where the cache can be read
            from sessiond.processors.verification import llm_cache
            detections = llm_cache.pending_rows(file, exchanges)
        else:
            for ex in exchanges:  # one turn at a time: a turn the rules cannot read costs itself
                try:
                    rows = [row for c in self.extractor.extract((ex,))
                            if (row := detection_row(file, ex, c, self.extractor.name)) is not None]
                except Exception as exc:
                    record = next(r for r in records if r.line == ex.user.line)
                    unread.append(Unreadable(record.line, record.offset, describe(exc)))
                    continue
                detections += rows
        out: dict[str, Rows] = {}
        if detections:
            out[schema.DETECTIONS] = detections
        if trail is not None:
            out[schema.CONTEXT] = context_rows(file, trail)
        if unread:
            raise PartlyMapped(out, unread)
        return out

    def _now(self) -> datetime:
        return self._clock() if self._clock is not None else datetime.now(UTC)

    def enrich(
        self, state: Reader, batch: Sequence[Pending]
    ) -> Sequence[Mapping[str, Rows] | Exception]:
        """With the LLM extractor: the model's answers (cached, or asked now) in place of the
        pending rows, and the new answers to cache; with the rules, the rows as they came."""
        if self._llm is None:
            return [p.rows for p in batch]
        from sessiond.processors.verification import llm_cache
        return llm_cache.enrich(state, batch, self._llm, self._now())

    def merge(self, tx: Tx, rows: Mapping[str, Rows]) -> Mapping[str, Rows]:
        from sessiond.processors.verification.merge import Merger
        from sessiond.processors.verification.rules import finish
        if self._llm is not None:
            from sessiond.processors.verification import llm_cache
            rows = llm_cache.keep_answers(tx, rows)
        return Merger(tx, finish, self._now(), second_look=self._judgement).run(rows)

    def after_delete(self, tx: Tx, files: Sequence[str]) -> None:
        from sessiond.processors.verification.knowledge import Knowledge
        from sessiond.processors.verification.store import KnowledgeStore
        store = KnowledgeStore(tx)
        store.drop_trails(files)  # deleted with the files' rows
        Knowledge(store, self._now()).after_delete()
