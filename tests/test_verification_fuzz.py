"""The verification rules never raise on what people type.

A turn the rules cannot read is a bug in the rules, and the daemon treats it as one: the
processor fails for the whole file (retried, then parked; `processor.failed` with the
traceback), so every other turn of that file goes without its verification until the rules are
mended. A held-out round found one ("great, thanks!! 👍": a tail of punctuation and an emoji has
no sentence, and the rules took the first). Hypothesis writes turns and statements out of the
pieces that break text rules -- punctuation runs, emoji, quotes, code fences, dashes, line
breaks, bare leads, cut fragments of real turns -- and asks every entry point of the rules and
the learned judgement, and the processor on a whole session.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessiond.processors.verification import learned
from sessiond.processors.verification.prose import first_sentence, last_sentence, sentences
from sessiond.processors.verification.rules import candidates, finish
from tests.test_verification_support import Transcript, process, q, run_once, write

# Words and phrases the rules key on (leads, frames, hedges), and ordinary ones.
_WORDS = (
    "no", "nope", "yes", "yep", "yeah", "right", "correct", "exactly", "actually", "wrong",
    "not", "it's", "is", "are", "was", "means", "always", "never", "we", "our", "fyi", "btw",
    "note", "thanks", "thank", "you", "great", "amazing", "ok", "cool", "sure", "maybe", "I",
    "think", "the", "a", "MRR", "churn", "prod", "runs", "in", "eu-west-1", "90", "days",
    "$5,000", "v2.3", "2026-03-01", "monthly", "per", "customer", "that", "same", "confirmed",
    "just", "so", "you", "know", "keep", "mind", "rule", "convention", "instead", "but",
)
_MARKS = (
    "!", "!!", "?", "??", ".", "...", "…", ",", ";", ":", "—", "–", "--", "-", "->", "=", "(", ")",
    "\"", "'", "`", "```", ">", "*", "#", "\n", "\n\n", "\t", " ", "  ", "🎉", "👍", "✅", "🙃",
    "😂", "👍🏽", "\u200b", "\ufeff",
)
_FRAGMENTS = (
    "no, that's wrong — MRR excludes one-time setup fees.",
    "great, thanks!! 👍",
    "amazing, thank you!! 🎉",
    "yep, exactly: prod runs in eu-west-1",
    "fyi our fiscal year starts in February",
    "> churn is monthly\nno, it's weekly",
    "```sql\nselect 1; -- correct?\n```",
    "Not quite: churn is computed on a trailing 90-day basis.",
    "haha nope 😂 theme is 'Echoes'",
    "Correct.",
    "that's units, not mg -- heparin flush is 100 units per mL.",
)

_piece = st.one_of(st.sampled_from(_WORDS), st.sampled_from(_MARKS), st.sampled_from(_FRAGMENTS),
                   st.text(max_size=6))
_joiner = st.sampled_from(("", " ", ", ", "\n"))
texts = st.lists(st.tuples(_piece, _joiner), max_size=14).map(
    lambda parts: "".join(p + j for p, j in parts))
statements = st.one_of(st.none(), texts, st.sampled_from((
    "I assumed MRR is the sum of all invoice lines.",
    "The deploy runs in us-east-1. Should I go ahead?",
    "Done: the report now groups by week.",
)))

_FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(texts, statements)
def test_the_rules_and_the_judgement_read_any_turn(text: str, statement: str | None) -> None:
    for c in candidates(text, 1):
        assert c.line == 1
        if c.lead is not None:
            finish(c.lead, statement)
    learned.decide(statement, text)
    learned.may_add(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=4))
def test_the_processor_reads_any_session(exchanges: list[tuple[str, str]]) -> None:
    t = Transcript()
    for said, answer in exchanges:
        t.assistant(said or "ok")
        t.user(answer)
    process(t)  # raises on a turn the rules cannot read


def test_a_tail_of_punctuation_and_emoji_has_no_sentence_and_is_read(tmp_path: Path) -> None:
    # the held-out round's crash: the rules took the first sentence of "👍" after "thanks!!"
    for tail in ("!!", "?", "...", " ", "", "!! "):
        assert first_sentence(tail) == last_sentence(tail) == (sentences(tail) or [""])[0]
    for turn in ("great, thanks!! 👍", "amazing, thank you!! 🎉", "cool, thx!! ✅"):
        assert candidates(turn, 1) == []
    t = Transcript().assistant("Deployed to prod.").user("great, thanks!! 👍")
    # read to the end (a pending judgement, if the weights leave one, is settled in the merge)
    write(tmp_path / "root", "alice/s.jsonl", t.jsonl())
    assert run_once(tmp_path / "root", tmp_path / "state.duckdb") == 0
    assert q(tmp_path / "state.duckdb", "SELECT count(*) FROM verification_detections") == [(0,)]
