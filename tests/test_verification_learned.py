"""The learned judgement (`processors/verification/learned.py`): where the rules find nothing in
a turn that answers a statement, the model may; its weights are what training gives; it judges
the same whether the statement was read with the turn or in an earlier append, under any hash
seed, and never without a statement."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import orjson
import pytest

from bench import learned as trainer
from bench.verification import Case, Family, load
from sessiond.processors.verification import VerificationProcessor, learned, review
from sessiond.processors.verification.detection import QUOTE_CHARS
from sessiond.processors.verification.rules import candidates, finish
from tests.test_verification_support import Transcript, process, run_once, write

REPO = Path(__file__).resolve().parent.parent

# (statement, turn): facts with no lead word that no rule finishes, and the model does
MISSED = [
    ("The invoices table is partitioned by month.", "its partitioned by day since march"),
    # (a fact between the thresholds moves with each retraining, and the rules learn some: version
    # 44's `contrast._moved` finds "it goes to the audit bucket, finance lost access in june"
    # after "The nightly export goes to the finance bucket.")
    ("The job reads from the replica.", "it reads from primary, replica lag broke it last year"),
]


def _spread(items: list[str], n: int) -> list[str]:
    """At most ``n`` of ``items``, evenly spaced over all of them: a sample whose size, and so
    the test's time, stays the same as the cases grow."""
    return items[:: max(1, len(items) // n)][:n]


def _rules_find(statement: str, turn: str) -> bool:
    return any(c.lead is None or finish(c.lead, statement) is not None for c in candidates(turn, 1))


@pytest.mark.timeout(900)  # training on every development case: 1-3 minutes, by the machine
def test_the_weights_are_what_training_on_the_development_cases_gives() -> None:
    """The cases changed and nobody trained again (``python -m bench.learned``), or training
    is no longer deterministic."""
    weights, cases = trainer.trained()
    kept = orjson.loads(trainer.OUT.read_bytes())
    assert kept["cases"] == cases == sum(len(f.cases) for f in trainer.development())
    assert sum(len(f.cases) for f in load()) < cases  # the ordinary turns too (`bench.ordinary`)
    assert trainer.differs(weights, kept["weights"]) == []


def test_a_fact_the_rules_miss_is_a_correction_by_the_model() -> None:
    for statement, turn in MISSED:
        assert not _rules_find(statement, turn)
        kind, title, content = learned.decide(statement, turn) or ("", "", "")
        assert kind == "correction" and content.lower() == turn.lower(), (statement, turn)
        assert title


def test_the_model_s_fact_is_no_part_said_to_be_right_and_may_be_an_instruction_s_aside() -> None:
    """The sentence `decide` gives as the fact: for a correction never one that ends saying a part
    of the statement is right (the turn sets another part right); for a definition, what an
    instruction's dashes set apart (the instruction itself is no fact)."""
    statement = "Overtime at the distribution center starts after 8 hours in a day. The premium is time and a half."
    for right in ("Time and a half is right.", "time and a half is correct", "Time and a half looks fine!",
                  "the time and a half part is right though."):
        turn = f"the union contract says overtime starts after 40 hours a week, not per day. {right}"
        kind, _, content = learned.decide(statement, turn) or ("", "", "")
        assert kind == "correction" and content.endswith("not per day."), (right, content)
    assert learned._RIGHT.search("412 sounds right but median age was 41") is None  # the fact is in it
    aside = "post it in #releases — that channel is mirrored to the public Discord — and cc the docs folks"
    kind, _, content = learned.decide("I exported the release notes draft.", aside) or ("", "", "")
    assert (kind, content) == ("unprompted_definition", "That channel is mirrored to the public Discord")
    assert list(learned._facts(aside, "correction")) == []  # a correction's reason follows a dash


def test_the_model_judges_only_an_answer_to_a_statement() -> None:
    statement, turn = MISSED[0]
    assert learned.decide(None, turn) is None
    assert learned.decide("  \n", turn) is None
    assert learned.decide(statement, "```\nits partitioned by day since march\n```") is None  # a paste only
    for neutral in ("ok", "thanks!", "what is the port?", "please add a test for it"):
        assert learned.decide(statement, neutral) is None


def test_may_add_is_true_wherever_some_statement_makes_an_addition() -> None:
    """`may_add` decides, without the statement, whether a turn waits for the learned judgement
    at merge time: it must never say no where `decide` says yes. It holds the turn's own
    features with every way a statement can meet it (`_meetings`, after a report of work or
    not): each statement's way is one of them, and the bound is at least what the statement
    gives."""
    families = load()
    statements = [*_spread([c.assistant for f in families for c in f.cases[:2]], 40),
                  "Shall I?", "Done.", "", "I've added the retry to `client.py`; all 48 tests pass."]
    turns = [*_spread([c.user for f in families for c in f.cases], 1200), "no no no, it's 5 5 5", "the the the"]
    for turn in turns:
        bound = learned.sureness_at_most(turn)
        said = learned._lower(turn[:QUOTE_CHARS])
        tokens = learned._TOKEN.findall(said)[:learned.MAX_TOKENS]
        ways = learned._MEETINGS[learned._NUMBER.search(said) is not None]
        own = learned._own(turn, said, tokens)
        works = ((), tuple(learned._worked(own)))
        for statement in statements:
            meeting = tuple(learned._between(learned._lower(statement), said, tokens))
            assert meeting in ways, (statement, turn, meeting)
            assert tuple(learned._after_work(learned._lower(statement), own)) in works, (statement, turn)
            p = learned.judged(statement, turn)
            assert max(p[k] for k in learned.CLASSES[1:]) <= bound + 1e-9, (statement, turn)
    added = [t for t in turns if learned.may_add(t)]
    assert 100 < len(added) < len(turns)  # both answers occur: the bound lets turns go
    assert any(learned.decide(s, t) is not None for t in added[:20] for s in statements[:5])



def test_the_bound_tries_only_the_meetings_that_can_win_and_gives_what_all_of_them_give() -> None:
    """`sureness_at_most` tries, per type, only the meetings no other beats for it (`_fronts`):
    the same figure as trying every meeting, to the bit."""
    table = learned.weights()
    for numbers in (False, True):
        assert sum(map(len, learned._fronts(table)[numbers])) < len(learned._MEETINGS[numbers]) // 2
    for turn in [*_spread([c.user for f in load() for c in f.cases], 1000), "no no no, it's 5 5 5", "`x` in a.py"]:
        said = learned._lower(turn[:QUOTE_CHARS])
        own = learned._own(turn[:QUOTE_CHARS], said, learned._TOKEN.findall(said)[:learned.MAX_TOKENS])
        base = learned._scored([0.0] * len(learned.CLASSES), dict.fromkeys(own), table)
        every = max(max(learned._softmax(learned._scored(list(base), meeting + work, table))[1:])
                    for meeting in learned._MEETINGS[learned._NUMBER.search(said) is not None]
                    for work in ((), tuple(learned._worked(own))))
        assert learned.sureness_at_most(turn) == every, turn

_SEEDED = """
import json, sys
from sessiond.processors.verification import learned
pairs = json.load(sys.stdin)
print(json.dumps([[learned.decide(s, t), learned.may_add(t), learned.judged(s, t)] for s, t in pairs]))
"""


def test_the_judgement_is_the_same_under_every_hash_seed() -> None:
    pairs = [(s, t) for s, _ in MISSED for _, t in MISSED] + [(MISSED[0][0], "ok"), ("Done.", "yes, exactly")]
    seen = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", _SEEDED], input=json.dumps(pairs), cwd=REPO,
                              env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True,
                              text=True, timeout=120, check=True)
        seen.add(done.stdout)
    assert len(seen) == 1
    assert json.loads(seen.pop())[0][0][0] == "correction"


def _detections(state: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(state), read_only=True)
    try:
        return con.execute("SELECT id, line_no, detection_type, title, content, item_id, assistant_statement, "
                           "extractor "
                           "FROM verification_detections ORDER BY id").fetchall()
    finally:
        con.close()


# (statement, turn, what the turn gives): the judgement's own detection; a correction the rules
# found only by comparing, which the model takes for a definition (`learned.second_look`); a
# fact the rules read as both a correction and a definition, kept as the correction
# (`claims.one_reading`)
JUDGED = [
    (*MISSED[0], ("correction", "learned")),
    # (an example the model rates far above `learned.ADD`, so that training on more cases keeps it there:
    # "every price ... is stored in cents as an integer" fell to 0.75 with fresh-28)
    ("The `price` column is read in two reports.",
     "all prices in the warehouse are stored in cents as integers, never decimals", ("unprompted_definition", "rules")),
    ("The `2G` memory limit is 2 GiB.", "G is gigabytes, Gi is gibibytes. 2G is 2 billion bytes, a bit less than 2Gi",
     ("correction", "rules")),
]


@pytest.mark.parametrize(("statement", "turn", "gives"), JUDGED)
def test_a_statement_in_an_earlier_append_gives_the_same_detection(
    tmp_path: Path, statement: str, turn: str, gives: tuple[str, str]
) -> None:
    """Read whole, the turn is judged with the append; cut before the turn, or inside the
    statement's message (its first part in the earlier append), at merge time: the same rows."""
    t = (Transcript().user("check the invoices table").assistant("Looking at it.", statement)
         .user(turn).assistant("Right, fixing.").user("ok"))
    data = t.jsonl()
    lines = data.splitlines(keepends=True)
    whole = tmp_path / "whole"
    write(whole / "root", "alice/s.jsonl", data)
    assert run_once(whole / "root", whole / "s.duckdb") == 0
    want = _detections(whole / "s.duckdb")
    assert [(r[1], r[2], r[7]) for r in want] == [(4, *gives)]
    con = duckdb.connect(str(whole / "s.duckdb"), read_only=True)
    try:  # a reviewer sees what found it
        shown = review.show(con, str(want[0][5]))
    finally:
        con.close()
    assert [e["extractor"] for e in shown["evidence"]] == [gives[1]]
    assert f"  by {gives[1]}" in review.render_item(shown)
    for cut in (2, 3, 4, 5):  # before the statement's second part, the turn, the next message
        where = tmp_path / f"cut{cut}"
        write(where / "root", "alice/s.jsonl", b"".join(lines[:cut]))
        assert run_once(where / "root", where / "s.duckdb") == 0
        write(where / "root", "alice/s.jsonl", b"".join(lines[cut:]), append=True)
        assert run_once(where / "root", where / "s.duckdb") == 0
        assert _detections(where / "s.duckdb") == want, cut


def test_judgement_false_is_the_rules_alone() -> None:
    statement, turn = MISSED[0]
    t = Transcript().user("check the invoices table").assistant(statement).user(turn)
    # (the first turn's statement may be in an earlier append: a pending judgement, for `merge`)
    [row] = [r for r in process(t)["verification_detections"] if r["line_no"] == 3]
    assert row["detection_type"] == "correction" and row["title"]
    assert "verification_detections" not in process(t, processor=VerificationProcessor(judgement=False))
    # the rules alone keep the type they found (no second look)
    statement, turn, _ = JUDGED[1]
    t = Transcript().user("check the prices").assistant(statement).user(turn)
    alone = process(t, processor=VerificationProcessor(judgement=False))["verification_detections"]
    assert [(r["detection_type"], r["extractor"]) for r in alone if r["line_no"] == 3] == [("correction", "rules")]
    # what the rules find stays
    t = Transcript().user("check MRR").assistant("MRR includes setup fees.").user(
        "no, that's wrong — MRR excludes one-time setup fees.")
    assert len(process(t, processor=VerificationProcessor(judgement=False))["verification_detections"]) == 1
    with pytest.raises(TypeError, match="judgement"):
        VerificationProcessor(judgement="no")  # type: ignore[arg-type]


@pytest.mark.parametrize("argv", [["--add", "0.7"], ["--no-second-look"], ["--veto", "0.9"],
                                  ["--leave-out", "fresh-1", "--add", "1.5"], ["--leave-out", "fresh-1", "--veto", "0"],
                                  ["--leave-out", "fresh-1", "--add", "0"], ["--retype", "0.95"],
                                  ["--leave-out", "fresh-1", "--retype", "0"], ["--seed", "1"],
                                  ["--leave-out", "ordinary999"], ["--leave-out", "fresh"]])
def test_the_measures_knobs_are_refused_outside_a_measure(argv: list[str]) -> None:
    """``--add``, ``--veto``, ``--retype``, ``--seed`` and ``--no-second-look`` change what
    ``--leave-out`` measures, never the trained file; ``--leave-out`` names what is trained on
    (not the held-out round, nor a set of ordinary turns that does not exist)."""
    with pytest.raises(SystemExit) as exited:
        trainer.main(argv)
    assert exited.value.code == 2


def test_leave_out_takes_rounds_all_ordinary_turns_or_one_set_of_them() -> None:
    def family(name: str, half: str) -> Family:
        return Family(name, "none", half, "", (Case("Tests pass.", "ok", None),))

    families = [family("fresh69-x", "fresh-69"), family("ordinary43-a", "ordinary"), family("ordinary44-b", "ordinary")]
    names = [[f.name for f in trainer._without(families, out)]
             for out in ((), ("fresh-69",), ("ordinary",), ("ordinary43",), ("fresh-69", "ordinary44"))]
    assert names == [["fresh69-x", "ordinary43-a", "ordinary44-b"], ["ordinary43-a", "ordinary44-b"], ["fresh69-x"],
                     ["fresh69-x", "ordinary44-b"], ["ordinary43-a"]]


def test_a_turn_with_no_word_of_its_own_is_left_to_the_rules() -> None:
    """With no word to read ("🎉🎉" after a report), the model's answer would be what it learned
    of turns in general: it adds nothing (`learned.MIN_WORDS`)."""
    for statement in ("All green ✅ — 132 tests passed.", "The page load went from 4.1s to 0.9s after the change.",
                      MISSED[0][0]):
        for turn in ("🎉🎉", "🚀", "😍", "!!", "...", "👀 ?"):
            assert learned._words(turn) == 0
            assert learned.decide(statement, turn) is None, (statement, turn)
    assert learned._words("its partitioned by day") == 4
    assert learned.decide(*MISSED[0]) is not None


def test_the_veto_overrules_a_fact_with_no_word_of_the_persons_and_a_marked_one_when_all_but_certain() -> None:
    """`learned.looked_again` drops a detection resting on the fact alone, in a turn the model is
    sure is none; one the person marked ("no", "exactly", "FYI") only when it is all but certain
    (`VETO_MARKED`)."""
    assert learned.VETO < learned.VETO_MARKED < 1.0
    statement, turn = "I changed the default log level to DEBUG.", "undo, logs are unreadable now"
    p = learned.judged(statement, turn)["none"]
    assert p >= learned.VETO
    assert learned.looked_again("correction", "ordered", statement, turn) is None
    assert learned.looked_again("unprompted_definition", "plain", statement, turn) is None
    for marked in ("strong", "weak", "noted", "echo", "mid", None):  # (the other threshold)
        expected = None if p >= learned.VETO_MARKED else "correction"
        assert learned.looked_again("correction", marked, statement, turn) == expected
    for none in (None, " "):
        assert learned.looked_again("correction", "plain", none, turn) == "correction"
    # news of the moment the model is sure of, not all but certain: only the unmarked reading goes
    # (a turn between the thresholds moves with each retraining: version 42's weights put "it's at
    # 40% now, eta about an hour" at 0.96, version 45's at 0.89, version 49's at 0.97; "queue is
    # draining now, 40 jobs left" after "I restarted the worker." at 0.80, 0.73 and 0.92; "it's at
    # 55% now, should be done by lunch" at 0.989 with version 46's and 0.999 with version 49's; version
    # 51's: 0.85, 0.88, 0.998, and "it's at 40% now, should finish in about an hour" 0.94)
    statement, turn = ("I kicked off the backfill.", "it's at 40% now, should finish in about an hour")
    assert learned.VETO <= learned.judged(statement, turn)["none"] < learned.VETO_MARKED
    assert learned.looked_again("correction", "plain", statement, turn) is None
    assert learned.looked_again("correction", "strong", statement, turn) == "correction"
    # thinking aloud with a "right" in it: all but certainly none
    statement, turn = ("The script works on the sample file; the full file is 40GB.",
                       "40 gigs. right. streaming then. or chunks. ok let me grab coffee and then we figure it out")
    assert learned.judged(statement, turn)["none"] >= learned.VETO_MARKED
    for marked in ("strong", "weak", "mid"):
        assert learned.looked_again("confirmation", marked, statement, turn) is None
    # a marked verification the model is not that sure of stays
    assert learned.looked_again("correction", "strong", "The refund window is 14 days.",
                                "no, it's 30 days since the new policy") == "correction"
    # a fact the model takes for a verification
    assert learned.looked_again("correction", "plain", *MISSED[0]) == "correction"


def test_the_model_s_sentence_is_the_one_naming_what_it_sets_right_and_of_two_alike_the_earlier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`decide`'s choice among a longer turn's facts: the model's rating for the type, plus `SHARED`
    for each of the statement's words a correction's sentence names (up to 3), less `LATER` for
    each fact sentence before it. The model's probabilities are the seam: the whole turn is sure,
    each sentence rated as given."""
    rated: dict[str, float] = {}
    kind = "correction"

    def judged(statement: str, quote: str) -> dict[str, float]:
        p = rated.get(quote.strip(), 0.9)
        return {**dict.fromkeys(learned.CLASSES, 0.0), "none": 1 - p, kind: p}

    monkeypatch.setattr(learned, "judged", judged)
    statement = "The quiz night is on Tuesdays."
    turn = "The quiz is on Thursdays, not Tuesdays. The darts league has that slot."
    first, second = "The quiz is on Thursdays, not Tuesdays.", "The darts league has that slot."
    rated.update({first: 0.80, second: 0.85})  # the first names "quiz" and "tuesdays"
    assert (learned.decide(statement, turn) or ("", "", ""))[2] == first
    rated.update({first: 0.60, second: 0.85})  # rated far apart: the model's choice stands
    assert (learned.decide(statement, turn) or ("", "", ""))[2] == second
    # a definition: the statement's words count for nothing; of two rated within LATER, the earlier
    kind = "unprompted_definition"
    statement = "I've added the export job."
    turn = "Refunds over 500 need a second approver. That's been the rule since the audit."
    first, second = "Refunds over 500 need a second approver.", "That's been the rule since the audit."
    rated.update({first: 0.90, second: 0.90 + learned.LATER / 2})
    assert learned.decide(statement, turn) == ("unprompted_definition", "Refunds over 500 need a second approver",
                                               first)
    rated[second] = 0.90 + 2 * learned.LATER
    assert (learned.decide(statement, turn) or ("", "", ""))[2] == second


def test_the_model_s_correction_is_no_one_else_s_words_set_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """`decide` gives no correction whose sentence sets someone else's words right
    (`phrases.corrects_another`) when it contradicts nothing of the statement; it does when the
    statement said it, or when the words may be the assistant's ("you said ...")."""
    monkeypatch.setattr(learned, "judged", lambda statement, quote: {
        **dict.fromkeys(learned.CLASSES, 0.0), "none": 0.05, "correction": 0.95})
    turn = "the guest claims the lift pass was €75 but it was €68 on that date"
    assert learned.decide("I've posted the draft reply to the guest's review.", turn) is None
    kind, _, content = learned.decide("The lift pass was €75 on that date.", turn) or ("", "", "")
    assert kind == "correction" and "€68" in content
    kind, _, _ = learned.decide("I've updated the booking page.", "you said 8 but it's 9, the pool closes at 9") \
        or ("", "", "")
    assert kind == "correction"


def test_a_rules_definition_the_model_is_all_but_sure_is_a_correction_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """`learned.retyped`: the rules read a fact as a definition, the model is at least `RETYPE`
    sure the turn sets the statement right -- the detection is a correction, marked by the
    person ("heads up", "FYI") or not; below it, it stays a definition, and no other type is
    retyped (the model was the better judge of a correction's words only). When the model is sure
    of "none", the veto decides. The model's probabilities are the seam."""
    said = dict.fromkeys(learned.CLASSES, 0.0)

    def judging(**p: float) -> None:
        monkeypatch.setattr(learned, "judged", lambda statement, quote: {**said, **p})

    statement, turn = ("The lightning feed is stored in local time.",
                       "be careful, the lightning feed is in UTC like everything else")
    judging(correction=learned.RETYPE, unprompted_definition=1 - learned.RETYPE)
    for strength in ("warned", "noted", "aside", "plain", None):
        assert learned.looked_again("unprompted_definition", strength, statement, turn) == "correction"
    for kind in ("correction", "confirmation"):
        assert learned.looked_again(kind, "strong", statement, turn) == kind
    judging(correction=learned.RETYPE - 0.01, unprompted_definition=1.01 - learned.RETYPE)
    assert learned.looked_again("unprompted_definition", "warned", statement, turn) == "unprompted_definition"
    judging(confirmation=0.99, correction=0.01)  # no other way: a compared correction stays one
    assert learned.looked_again("correction", "contrast", statement, turn) == "correction"
    assert learned.looked_again("unprompted_definition", "plain", statement, turn) == "unprompted_definition"
    judging(none=0.95, correction=0.05)  # sure of "none": vetoed when unmarked, kept when marked
    assert learned.looked_again("unprompted_definition", "plain", statement, turn) is None
    assert learned.looked_again("unprompted_definition", "noted", statement, turn) == "unprompted_definition"


def test_the_weights_read_in_chunks_are_the_file_parsed_whole_to_the_bit() -> None:
    """`learned.read_weights` reads the rows a few at a time (the whole parse's garbage stayed
    with every process: ~15 MB): the same features in the same order, each weight the same
    float to the bit (-0.0 included), and the file's other fields; a file laid out otherwise,
    or with a key that holds brackets and quotes, is read whole or alike."""
    from importlib import resources

    raw = resources.files(learned.__package__).joinpath(learned.WEIGHTS).read_bytes()
    whole = orjson.loads(raw)
    data, table = learned.read_weights(raw)
    assert list(table) == list(whole["weights"])
    assert all(list(map(repr, table[k])) == list(map(repr, v)) for k, v in whole["weights"].items())
    assert data == {k: v for k, v in whole.items() if k != "weights"}
    odd = {"format": 1, "weights": {'a"],"b':[-0.0, 1.5], "c:\\\\]": [0.0, -2.25], "d": [1.0, 1.0]}}
    # a "weights" key inside an earlier field: found first, its header does not parse
    decoy = {"meta": {"weights": {"x": [1.0]}}, "format": 1, "weights": odd["weights"]}
    for text in (orjson.dumps(odd), orjson.dumps({"weights": odd["weights"], "format": 1}),
                 orjson.dumps(decoy)):
        data, table = learned.read_weights(text)
        assert data == {k: v for k, v in orjson.loads(text).items() if k != "weights"}
        assert {k: list(map(repr, v)) for k, v in table.items()} == {
            k: list(map(repr, v)) for k, v in odd["weights"].items()}  # type: ignore[attr-defined]
