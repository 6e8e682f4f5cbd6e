"""End to end on a generated, labelled corpus: precision and recall of the rules extractor.

A fixed-seed generator writes sessions for several users: verifications of every type in many
phrasings (each labelled with its line and type) among near misses -- bare "yes"/"ok", questions,
instructions, typo fixes, "yes" to an offer, pasted code, tool results and skill text carrying the
phrases. Half of the files arrive in two appends, so confirmations whose statement is in the
first append are resolved in SQL. The real pipeline runs; the detections it stored are compared
with the labels. Both figures are printed and must be >= 0.9.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.test_verification_support import Transcript, q, run_once, write

FACTS = [
    "MRR excludes one-time setup fees",
    "churn is computed monthly per logo",
    "fiscal quarters start in February",
    "the fct_revenue table has one row per invoice line",
    "prod runs in eu-west-1",
    "ARR is MRR times twelve",
    "active users are counted over a trailing 28 days",
    "refunds are netted against revenue in the month they occur",
    "the deploy window closes at 4pm on Fridays",
    "dim_customers is an SCD2 table keyed by customer_id and valid_from",
    "the billing API returns amounts in cents",
    "trial signups do not count as customers",
    "on-call handover happens on Monday mornings",
    "staging uses the same cluster as prod",
    "NRR includes expansion revenue from add-ons",
    "invoices are issued on the first business day of the month",
]
WRONG = ["I assumed the opposite.", "I computed it the other way round.",
         "My version treats it differently.", "I used the calendar definition."]

CORRECTIONS = ["no, that's wrong — {f}.", "Not quite: {f}.", "That's incorrect, {f}.",
               "Actually, {f}.", "Nope. {F}.", "that's not right — {f}.", "No, {f}.",
               "you've got it backwards: {f}.", "That's wrong. {F}, and it has always been that way.",
               "Wrong — {f}.", "hmm, no: {f}.", "That isn't right; {f}.", "close, but {f}."]
CONFIRM_STATEMENTS = ["So {f}, right?", "Before I continue: {f}?", "My understanding is that {f}.",
                      "{F}.", "Just to confirm: {f}?", "I'll proceed on the basis that {f}."]
CONFIRMATIONS = ["yes, exactly, {f}.", "exactly", "that's right", "correct, {f}.", "yes, {f}.",
                 "Exactly!", "yep, that's correct", "That's right — {f}.", "yup, {f}.",
                 "Right, {f}.", "correct", "indeed", "yes that's right", "precisely — {f}."]
DEFINITIONS = ["FYI {f}.", "For reference, {f}.", "FYI our convention is that {f}.",
               "Heads up: {f}.", "Just so you know, {f}.", "Note that {f}.", "thanks. FYI {f}.",
               "For context: {f}.", "btw, {f}.", "For the record, {f}.", "keep in mind that {f}.",
               "By convention, {f}.", "In our team, {f}."]
NEGATIVES = [
    ("Shall I also add tests?", "yes"), ("Want me to commit this?", "ok"),
    ("Done, the table is rebuilt.", "thanks, commit it on a new branch"),
    ("I updated the query.", "sure"), ("Here is the chart.", "looks good"),
    ("I used the amount column.", "no, use the amount_usd column instead"),
    ("The build failed.", "no, try again"), ("I edited metrics/mrr.py.", "typo, I meant metrics/arr.py"),
    ("I assumed {f}.", "can you check whether {f}?"), ("{F}.", "is it really true that {f}?"),
    ("The job is slow.", "why does the nightly sync take 40 minutes?"),
    ("Shall I export it?", "exactly"), ("{F}.", "yes"), ("{F}.", "ok"),
    ("I think {f}.", "no, that's wrong"), ("Done.", "please fix the failing tests"),
    ("Should I add it to the docs?", "yes please do that"), ("Next I'll deploy.", "right, go ahead"),
    ("Here's the diff.", "Actually, can you also export it as CSV?"),
    ("I'm done for today.", "FYI, I'm heading out soon"),
    ("Shall I add a test?", "yes, and also add a docstring"), ("Which file?", "no, the other one"),
    ("I'll rerun it.", "FYI the build is running now"), ("Should I keep it?", "Actually, never mind."),
    ("I changed the join.", "no, that's wrong, please redo it"),
    ("{F}.", "Correct me if I'm wrong, but is that monthly?"),
    ("Here's the code.", "here is what I ran:\n```\n# no, that's wrong — {f}\nrun()\n```"),
    ("What should I call it?", "call it fct_mrr_monthly"), ("The tests pass.", "great, now run the linter"),
    ("It errored.", "correct the typo in the config please"), ("Anything else?", "no, that's all for now"),
]


def _fmt(template: str, fact: str) -> str:
    return template.format(f=fact, F=fact[:1].upper() + fact[1:])


def _session(rng: random.Random, name: str) -> tuple[Transcript, dict[int, str], int]:
    """A session, its labels {line: type}, and where to split it into two appends."""
    t = Transcript(name)
    labels: dict[int, str] = {}
    t.user("Let's work on the revenue metrics.")
    lines = 1
    for _ in range(rng.randint(5, 9)):
        fact = rng.choice(FACTS)
        kind = rng.choice(["correction", "confirmation", "unprompted_definition", "none", "none",
                           "tool", "meta"])
        if kind == "correction":
            t.assistant(rng.choice(WRONG)).user(_fmt(rng.choice(CORRECTIONS), fact))
        elif kind == "confirmation":
            t.assistant(_fmt(rng.choice(CONFIRM_STATEMENTS), fact))
            t.user(_fmt(rng.choice(CONFIRMATIONS), fact))
        elif kind == "unprompted_definition":
            t.assistant(rng.choice(["Starting on the query.", "Which file next?", "Done."]))
            t.user(_fmt(rng.choice(DEFINITIONS), fact))
        elif kind == "tool":
            t.tool_call().tool_result(_fmt("no, that's wrong — {f}. FYI {f}.", fact))
            t.assistant("The tool said so.").user("ok")
        elif kind == "meta":
            t.assistant("Loading the skill.").user(_fmt("FYI our convention is that {f}.", fact),
                                                   isMeta=True)
            t.assistant("Skill loaded.").user("thanks")
        else:
            statement, reply = rng.choice(NEGATIVES)
            t.assistant(_fmt(statement, fact)).user(_fmt(reply, fact))
        if kind in ("correction", "confirmation", "unprompted_definition"):
            labels[lines + 2] = kind
        lines = len(t.data)
    split = rng.randint(1, len(t.data) - 1)
    return t, labels, split


def test_rules_precision_and_recall_on_a_labelled_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(20260209)
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    expected: set[tuple[str, int, str]] = set()
    seconds: list[tuple[str, bytes]] = []
    for n in range(40):
        key = f"user{n % 5}/session-{n:02d}.jsonl"
        t, labels, split = _session(rng, f"s{n}")
        expected |= {(key, line, kind) for line, kind in labels.items()}
        data = t.jsonl().splitlines(keepends=True)
        if n % 2:  # two appends: the split may fall between a statement and its confirmation
            write(root, key, b"".join(data[:split]))
            seconds.append((key, b"".join(data[split:])))
        else:
            write(root, key, b"".join(data))
    assert run_once(root, state) == 0
    for key, rest in seconds:
        write(root, key, rest, append=True)
    assert run_once(root, state) == 0

    found = {(f, int(line), kind) for f, line, kind in q(
        state, "SELECT session_file, line_no, detection_type FROM verification_detections")}
    hits = len(found & expected)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(expected)
    with capsys.disabled():
        print(f"\nverification rules on the labelled corpus: {len(expected)} labelled, "
              f"{len(found)} found, precision {precision:.3f}, recall {recall:.3f}")
    missed = sorted(expected - found)[:10]
    wrong = sorted(found - expected)[:10]
    assert len(expected) >= 100
    assert precision >= 0.9, f"false positives: {wrong}"
    assert recall >= 0.9, f"missed: {missed}"
