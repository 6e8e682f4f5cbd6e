"""The verification processor in the real pipeline: Service.run_once on real files, real DuckDB.

Dedup (exact, near, canonical choice, corrections), evidence per (item, user, session), appends
that split a conversation, rewrites and deletions, relations, and the sample tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from structlog.testing import capture_logs

from sessiond.daemon import events
from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.kept import Kept
from sessiond.processors.verification import VerificationProcessor, review, rules
from sessiond.processors.verification import store as verification_store
from sessiond.processors.verification.detection import item_id
from sessiond.processors.verification.store import TRAILS, ContextRow, trail_size
from tests.harness import REPO, fast_settings, query, running, wait_until
from tests.test_verification_support import T0, Transcript, evidence, items, q, run_once, write

MRR_FIX = "no, that's wrong — MRR excludes one-time setup fees."
MRR_CLAIM = "MRR is the sum of all invoice lines in the month."


def _approve(state: Path, title_like: str) -> None:
    """A reviewer approves the item whose title is like this (`review`, on the state file)."""
    con = duckdb.connect(str(state))
    try:
        [(ident,)] = con.execute("SELECT id FROM knowledge_items WHERE title LIKE ?", [title_like]).fetchall()
        review.decide(con, ident, "approved", review.Reviewer(1000, "ann"))
    finally:
        con.close()


def _correction_session(session: str, text: str = MRR_FIX) -> Transcript:
    return Transcript(session).user("compute MRR").assistant(MRR_CLAIM).user(text).assistant("Fixed.")


def test_the_sample_tree(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(REPO / "examples" / "user_sessions", root)
    state = tmp_path / "s.duckdb"
    assert run_once(root, state) == 0
    got = q(state, "SELECT d.session_file, d.line_no, d.detection_type, k.title "
                   "FROM verification_detections d JOIN knowledge_items k ON k.id = d.item_id "
                   "ORDER BY d.session_file")
    assert got == [
        ("alice/91b8e413-1747-4b35-9ee8-0237170f4215.jsonl", 5, "confirmation", "Churn is computed monthly"),
        ("alice/e64040d1-e3fb-480b-aa18-ec77842a79ae.jsonl", 20, "correction", "MRR excludes one-time setup fees"),
        ("carol/4907214b-add9-46e3-8f0b-53d2455903df.jsonl", 8, "unprompted_definition",
         "Fiscal quarters start in February"),
    ]
    # subagent transcripts are the parent agent talking, not a person: never read
    files = q(state, "SELECT count(*) FROM session_processor_state WHERE session_file LIKE '%/subagents/%'")
    assert files == [(0,)]
    statement = q(state, "SELECT assistant_statement FROM verification_detections WHERE line_no = 5")
    assert statement[0][0].startswith("Before I write it: churn is computed monthly")
    assert run_once(root, state) == 0  # nothing new: nothing changes
    assert len(items(state)) == 3 and len(evidence(state)) == 3


def test_exact_duplicate_adds_evidence_to_the_existing_item(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _correction_session("sa").jsonl())
    run_once(root, state)
    write(root, "bob/b.jsonl", _correction_session("sb").jsonl())
    run_once(root, state)
    [(iid, title, kind, status)] = items(state)
    assert (title, kind, status) == ("MRR excludes one-time setup fees", "correction", "pending")
    assert iid == item_id("MRR excludes one-time setup fees", "MRR excludes one-time setup fees.")
    assert [(e[0], e[1]) for e in evidence(state)] == [(iid, "alice"), (iid, "bob")]
    assert q(state, "SELECT match_kind FROM verification_detections ORDER BY source_user") == \
        [("new",), ("exact",)]


def test_at_most_one_evidence_row_per_item_user_and_session(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    t = _correction_session("s1").user(MRR_FIX).assistant("Yes, fixed again.")
    write(root, "alice/a.jsonl", t.jsonl())
    run_once(root, state)
    assert q(state, "SELECT count(*) FROM verification_detections") == [(2,)]
    assert len(evidence(state)) == 1
    # a resumed session copies its history (sessionId included) into a new file: no double count
    write(root, "alice/resumed.jsonl", t.jsonl() + Transcript("s2").user("continue").jsonl())
    run_once(root, state)
    [(_, user, session, file, line, _)] = evidence(state)
    assert (user, session, file, line) == ("alice", "s1", "alice/a.jsonl", 3)
    # ... and when the first file goes, the copy stands in for it
    (root / "alice/a.jsonl").unlink()
    run_once(root, state)
    [(_, user, session, file, line, _)] = evidence(state)
    assert (user, session, file) == ("alice", "s1", "alice/resumed.jsonl")
    assert q(state, "SELECT source_ref FROM knowledge_items") == [("alice/resumed.jsonl:3",)]


def _near_session(session: str, text: str) -> Transcript:
    return Transcript(session).user("tell me about MRR").assistant(MRR_CLAIM).user(text)


def test_near_duplicates_join_the_item_of_the_text_said_first(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    late = Transcript("sb", start=T0 + timedelta(days=2))
    write(root, "bob/b.jsonl", late.user("x").assistant(MRR_CLAIM)
          .user("FYI MRR excludes all one-time setup fees.").jsonl())
    run_once(root, state)
    [(later_id, *_)] = items(state)
    # said earlier, arriving later: its text becomes the item's, whatever the arrival order
    write(root, "alice/a.jsonl", _near_session("sa", "FYI MRR excludes the one-time setup fees.").jsonl())
    run_once(root, state)
    [(iid, title, _, _)] = items(state)
    assert iid != later_id and title == "MRR excludes the one-time setup fees"
    assert q(state, "SELECT source_user, item_id, match_kind FROM verification_detections "
                    "ORDER BY 1") == [("alice", iid, "new"), ("bob", iid, "near")]
    assert q(state, "SELECT similarity >= 0.82, detections FROM verification_detections, "
                    "knowledge_items WHERE source_user = 'bob'") == [(True, 2)]


def test_corrections_join_only_their_own_text_and_point_at_what_they_are_near(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _near_session("sa", "no, that's wrong — MRR excludes one-time setup fees.").jsonl())
    write(root, "bob/b.jsonl", _near_session("sb", "Not quite: MRR excludes one time setup fees!").jsonl())
    write(root, "carol/c.jsonl", _near_session("sc", "FYI MRR excludes the one-time setup fees.").jsonl())
    run_once(root, state)
    got = {row[0]: row[1] for row in q(state, "SELECT source_user, item_id FROM verification_detections")}
    assert len(set(got.values())) == 3  # near, but corrections never take a near duplicate's item
    a, b, c = got["alice"], got["bob"], got["carol"]
    assert q(state, "SELECT item_id, related_id FROM knowledge_relations "
                    "WHERE relation = 'possibly_corrects' ORDER BY ALL") == sorted(
        [(a, b), (a, c), (b, a), (b, c)])
    # the same correction said again is the same item
    write(root, "dave/d.jsonl", _near_session("sd", "no, that's wrong — MRR excludes one-time setup fees.").jsonl())
    run_once(root, state)
    assert q(state, "SELECT item_id, match_kind FROM verification_detections WHERE source_user = 'dave'") == \
        [(a, "exact")]


def test_an_approved_id_stays_when_earlier_evidence_arrives(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    late = Transcript("sb", start=T0 + timedelta(days=2))
    write(root, "bob/b.jsonl", late.user("x").assistant(MRR_CLAIM)
          .user("FYI MRR excludes all one-time setup fees.").jsonl())
    run_once(root, state)
    [(approved, *_)] = items(state)
    _approve(state, "%")
    write(root, "alice/a.jsonl", _near_session("sa", "FYI MRR excludes the one-time setup fees.").jsonl())
    run_once(root, state)
    # a reviewer's decision anchors the item: the earlier text joins it, not the other way round
    assert [(row[0], row[3]) for row in items(state)] == [(approved, "approved")]
    assert q(state, "SELECT source_user, match_kind FROM verification_detections ORDER BY 1") == \
        [("alice", "near"), ("bob", "new")]


def test_a_far_text_with_two_shared_entities_is_near_at_065(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _near_session("sa", "FYI `fct_mrr` stores MRR per customer and month.").jsonl())
    run_once(root, state)
    # similarity between 0.65 and 0.82, and two shared entities (fct_mrr, MRR): same item
    write(root, "bob/b.jsonl", _near_session("sb", "FYI `fct_mrr` holds the MRR of each customer for every calendar month.").jsonl())
    run_once(root, state)
    rows = q(state, "SELECT match_kind, similarity FROM verification_detections WHERE source_user = 'bob'")
    assert rows[0][0] == "near" and 0.65 <= rows[0][1] < 0.82
    assert len(items(state)) == 1


def test_likely_duplicate_relations_between_items_sharing_two_entities(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _near_session(
        "sa", "FYI MRR and ARR are reported in USD at month end by the finance team.").jsonl())
    write(root, "bob/b.jsonl", Transcript("sb", ).user("where?").assistant("In the warehouse.")
          .user("For reference, the `fct_subscriptions` table has one row per plan change, "
                "and MRR and ARR columns are derived from it in dbt.").jsonl())
    run_once(root, state)
    a, b = (row[0] for row in items(state))
    assert q(state, "SELECT item_id, related_id, relation, score FROM knowledge_relations") == \
        [(min(a, b), max(a, b), "likely_duplicate", 2.0)]


def test_a_confirmation_whose_statement_came_in_an_earlier_append(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    t = Transcript("s1").user("how do we count churn?").assistant(
        "Let me check.", "Churn is counted per logo, monthly.", message_id="m1")
    write(root, "alice/a.jsonl", t.take())
    run_once(root, state)
    assert items(state) == []
    t.user("exactly").assistant("Great, implementing that.")
    write(root, "alice/a.jsonl", t.take(), append=True)
    run_once(root, state)
    [(_, title, kind, _)] = items(state)
    assert (title, kind) == ("Churn is counted per logo, monthly", "confirmation")
    assert q(state, "SELECT assistant_statement, line_no FROM verification_detections") == \
        [("Let me check.\nChurn is counted per logo, monthly.", 4)]


def test_a_statement_split_across_appends_is_joined(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    t = Transcript("s1").user("and ARR?").assistant("ARR is annualised.", message_id="m1")
    write(root, "alice/a.jsonl", t.take())
    run_once(root, state)
    t.assistant("Annualised means", message_id="m1")
    write(root, "alice/a.jsonl", t.take(), append=True)
    run_once(root, state)  # parts of one open message are all kept
    assert q(state, "SELECT text FROM verification_context ORDER BY line_no") == [
        ("ARR is annualised.",), ("Annualised means",)]
    t.assistant("It is MRR times twelve.", message_id="m1").user("that's right")
    write(root, "alice/a.jsonl", t.take(), append=True)
    run_once(root, state)
    [(_, title, _, _)] = items(state)
    assert title == "It is MRR times twelve"
    assert q(state, "SELECT assistant_statement FROM verification_detections") == \
        [("ARR is annualised.\nAnnualised means\nIt is MRR times twelve.",)]
    # context keeps only what a later lookup can need: here the newest tail, a user turn
    assert q(state, "SELECT role FROM verification_context") == [("user",)]
    # the person spoke last: a "yes, exactly" in the next append confirms nothing
    t.user("yes, exactly")
    write(root, "alice/a.jsonl", t.take(), append=True)
    run_once(root, state)
    assert q(state, "SELECT count(*) FROM verification_detections") == [(1,)]


def test_no_confirmation_when_the_person_spoke_last_in_the_earlier_append(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    t = Transcript("s1").assistant("Churn is counted per logo.").user("hmm, let me think")
    write(root, "alice/a.jsonl", t.take())
    run_once(root, state)
    t.user("exactly")
    write(root, "alice/a.jsonl", t.take(), append=True)
    run_once(root, state)
    assert items(state) == []


BOOM = "💥"  # what the patched rules below cannot read


def _unreadable(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["file"], e["line"], e.get("stage"), e["detail"].split(" (at ")[0])
            for e in found if e["event"] == events.LINE_UNREADABLE]


def test_a_turn_the_rules_cannot_read_costs_that_turn_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A turn that makes the rules raise (as "great, thanks!! 👍" once did) is skipped, logged and
    counted as a bad line: the other turns of the file keep their detections, nothing fails."""
    real = rules.candidates

    def candidates(raw: str, line: int = 0) -> list[Any]:
        if BOOM in raw:
            raise IndexError("list index out of range")
        return real(raw, line)

    monkeypatch.setattr(rules, "candidates", candidates)
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    t = _correction_session("s1").assistant("Churn is counted per logo, monthly.").user(f"great!! {BOOM}")
    t.assistant("Q3 closes on the 30th.").user("fyi fiscal quarters start in February.")
    write(root, "alice/a.jsonl", t.jsonl())
    with capture_logs() as found:
        assert run_once(root, state) == 0
    assert _unreadable(found) == [("alice/a.jsonl", 6, None, "IndexError: list index out of range")]
    assert not [e for e in found if e["event"] == events.PROCESSOR_FAILED]
    assert sorted(title for _, title, _, _ in items(state)) == [
        "Fiscal quarters start in February", "MRR excludes one-time setup fees"]
    assert q(state, "SELECT bad_lines, attempts FROM session_processor_state") == [(1, 0)]


def test_a_turn_the_rules_cannot_finish_in_the_merge_costs_that_turn_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same when the turn's statement came in an earlier append (a live session's usual
    case): the rules finish the turn in the commit's merge; the batch, another file's turn in
    it included, commits."""
    real = rules.finish

    def finish(lead: Any, statement: str | None) -> Any:
        if statement and BOOM in statement:
            raise IndexError("list index out of range")
        return real(lead, statement)

    monkeypatch.setattr(rules, "finish", finish)
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    bad = Transcript("s1").user("how do we count churn?").assistant(f"Churn is counted per logo {BOOM}.")
    fine = Transcript("s2").user("and ARR?").assistant("ARR is MRR times twelve.")
    write(root, "alice/a.jsonl", bad.take())
    write(root, "bob/b.jsonl", fine.take())
    assert run_once(root, state) == 0
    write(root, "alice/a.jsonl", bad.user("exactly").take(), append=True)
    write(root, "bob/b.jsonl", fine.user("exactly").take(), append=True)
    with capture_logs() as found:
        assert run_once(root, state) == 0
    assert _unreadable(found) == [("alice/a.jsonl", 3, "merge", "IndexError: list index out of range")]
    assert not [e for e in found if e["event"] in (events.PROCESSOR_FAILED, events.PROCESSOR_COMMIT_FAILED)]
    assert [(title, kind) for _, title, kind, _ in items(state)] == [("ARR is MRR times twelve", "confirmation")]


def test_rewriting_a_file_deletes_its_evidence_and_orphaned_items(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    path = write(root, "alice/a.jsonl", _correction_session("s1").jsonl())
    write(root, "bob/b.jsonl", _correction_session("sb").jsonl())
    write(root, "bob/c.jsonl", Transcript("sc").user("FYI all timestamps are stored in UTC.").jsonl())
    run_once(root, state)
    assert len(items(state)) == 2
    with path.open("wb") as fh:  # truncate + different content
        fh.write(Transcript("s1").user("FYI prod runs in eu-west-1 on the main cluster.").jsonl())
    run_once(root, state)
    assert sorted(row[1] for row in items(state)) == [
        "All timestamps are stored in UTC", "MRR excludes one-time setup fees",  # bob keeps it
        "Prod runs in eu-west-1 on the main cluster"]
    assert q(state, "SELECT source_user, count(*) FROM verification_evidence GROUP BY 1 ORDER BY 1") == \
        [("alice", 1), ("bob", 2)]
    assert q(state, "SELECT line_no, role FROM verification_context WHERE session_file = 'alice/a.jsonl'") == \
        [(1, "user")]
    with path.open("wb") as fh:  # and again, now with nothing in it
        fh.write(Transcript("s1").user("hello").jsonl())
    (root / "bob/b.jsonl").unlink()
    run_once(root, state)
    assert [row[1] for row in items(state)] == ["All timestamps are stored in UTC"]
    assert q(state, "SELECT count(*) FROM verification_detections WHERE session_file <> 'bob/c.jsonl'") == [(0,)]


def test_reviewed_items_outlive_their_evidence(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "bob/c.jsonl", Transcript("sc").user("FYI the deploy window closes at 4pm on Fridays.").jsonl())
    write(root, "bob/d.jsonl", Transcript("sd").user("FYI all timestamps are stored in UTC.").jsonl())
    run_once(root, state)
    _approve(state, "The deploy%")
    (root / "bob/c.jsonl").unlink()
    (root / "bob/d.jsonl").unlink()
    run_once(root, state)
    # a reviewer's decision is not derived data: the approved item stays, the pending one goes
    assert [row[1:] for row in items(state)] == [
        ("The deploy window closes at 4pm on Fridays", "unprompted_definition", "approved")]
    assert evidence(state) == []
    # and a file saying it again attaches to it instead of raising it anew as pending
    write(root, "carol/e.jsonl", Transcript("se").user("FYI the deploy window closes at 4pm on Fridays.").jsonl())
    run_once(root, state)
    assert len(items(state)) == 1 and [row[1] for row in evidence(state)] == ["carol"]


def test_orphan_relations_are_removed(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _near_session("sa", "no, that's wrong — MRR excludes one-time setup fees.").jsonl())
    write(root, "bob/b.jsonl", _near_session("sb", "Not quite: MRR excludes one time setup fees!").jsonl())
    run_once(root, state)
    assert q(state, "SELECT count(*) FROM knowledge_relations") == [(2,)]  # each corrects the other
    (root / "bob/b.jsonl").unlink()
    run_once(root, state)
    assert q(state, "SELECT count(*) FROM knowledge_relations") == [(0,)]
    assert len(items(state)) == 1


def test_batch_items_dedup_among_themselves(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    for user in ("alice", "bob", "carol"):
        write(root, f"{user}/x.jsonl", _correction_session(f"s-{user}").jsonl())
    run_once(root, state)  # one batch, one transaction
    assert len(items(state)) == 1
    assert sorted(row[1] for row in evidence(state)) == ["alice", "bob", "carol"]


def test_a_processor_version_bump_redoes_everything_cleanly(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _correction_session("s1").jsonl())
    run_once(root, state)
    before = items(state)

    class V2(VerificationProcessor):
        version = VerificationProcessor.version + 1

    assert run_once(root, state, V2()) == 0
    assert items(state) == before and len(evidence(state)) == 1


def test_context_is_pruned_per_file_for_every_file_of_a_batch(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    for user in ("alice", "bob", "carol"):
        t = Transcript(f"s-{user}").user("what is ARR?").assistant("ARR is annualised.", message_id="m1")
        write(root, f"{user}/a.jsonl", t.take())
    run_once(root, state)  # one batch, one merge: each file keeps only its newest tail
    assert q(state, "SELECT session_file, role FROM verification_context ORDER BY 1") == [
        ("alice/a.jsonl", "assistant"), ("bob/a.jsonl", "assistant"), ("carol/a.jsonl", "assistant")]


@pytest.mark.parametrize("listed", [128, 1], ids=["named-as-values", "as-one-list"])
def test_stored_trails_are_read_and_replaced_by_file_however_many_files_a_commit_has(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: int) -> None:
    """A run that starts with nothing kept reads its files' stored trails and deletes them
    (`store.KnowledgeStore`): by their names as bound values (the index), or for more than
    `_LISTED` files as one list -- both give what one run over the whole files gives."""
    monkeypatch.setattr(verification_store, "_LISTED", listed)
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    sessions = {f"{u}/a.jsonl": Transcript(f"s-{u}").user("and ARR?").assistant(
        f"ARR is annualised for {u}.", message_id="m1") for u in ("alice", "bob", "carol")}
    for key, t in sessions.items():
        write(root, key, t.take())
    run_once(root, state)
    for key, t in sessions.items():  # confirms the stored statement; bob's trail is replaced
        t.assistant("Refunds take 5 days.", message_id="m2") if key.startswith("bob") else t.user("exactly")
        write(root, key, t.take(), append=True)
    run_once(root, state)  # a new process: no trail kept, each is read from the table
    once = tmp_path / "once.duckdb"
    run_once(root, once)
    for sql in ("SELECT session_file, line_no, role, message_id, text FROM verification_context ORDER BY ALL",
                "SELECT session_file, line_no, detection_type, assistant_statement "
                "FROM verification_detections ORDER BY ALL"):
        assert q(state, sql) == q(once, sql)
    assert [r[0] for r in q(state, "SELECT session_file FROM verification_detections ORDER BY 1")] == [
        "alice/a.jsonl", "carol/a.jsonl"]
    assert q(state, "SELECT session_file, role, message_id FROM verification_context ORDER BY 1") == [
        ("alice/a.jsonl", "user", None), ("bob/a.jsonl", "assistant", "m2"), ("carol/a.jsonl", "user", None)]


def test_a_version_1_state_is_redone_and_its_reviewed_items_kept(tmp_path: Path) -> None:
    """Version 2 places items by another rule: what version 1 derived is dropped (its files are
    redone for the version), but a reviewed item is a person's decision and stays."""
    from sessiond.processors.verification.schema import MIGRATIONS
    from sessiond.state.migrations import prepare

    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _correction_session("s1").jsonl())
    fix = item_id("MRR excludes one-time setup fees", "MRR excludes one-time setup fees.")
    con = duckdb.connect(str(state))
    prepare(con, [("processor:verification", MIGRATIONS[:5])])  # the schema version 1 made
    con.execute("INSERT INTO knowledge_items VALUES (?, 'MRR excludes one-time setup fees', "
                "'MRR excludes one-time setup fees.', 'finance', ['MRR'], 'correction', 0.9, "
                "'approved', 'alice/a.jsonl:3', now()), ('kv_stale', 't', 'c', 'general', [], "
                "'confirmation', 0.6, 'pending', 'alice/a.jsonl:1', now())", [fix])
    con.execute("INSERT INTO knowledge_relations VALUES ('kv_stale', ?, 'likely_duplicate', 2, now())", [fix])
    con.execute("INSERT INTO verification_context VALUES ('alice/a.jsonl', 4, 'assistant', 'm', 'x', NULL)")
    con.execute("INSERT INTO session_processor_state (processor_name, session_file, username, "
                "file_hash, offset_bytes, processor_version) VALUES ('verification', "
                "'alice/a.jsonl', 'alice', 'stale', 10, 1)")
    con.close()
    assert run_once(root, state) == 0
    assert items(state) == [(fix, "MRR excludes one-time setup fees", "correction", "approved")]
    assert q(state, "SELECT item_id, match_kind FROM verification_detections") == [(fix, "new")]
    assert q(state, "SELECT count(*) FROM knowledge_relations") == [(0,)]
    assert q(state, "SELECT line_no, role FROM verification_context") == [(4, "assistant")]
    assert q(state, "SELECT detections FROM knowledge_items") == [(1,)]
    # the decision is a review now, made before anyone recorded who made it
    assert q(state, "SELECT item_id, status, reviewer_uid, reviewer, reviewed_at "
                    "FROM knowledge_reviews") == [(fix, "approved", None, None, None)]


def test_reprocessing_leaves_the_knowledge_base_as_it_was(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _near_session("sa", "no, that's wrong — MRR excludes one-time setup fees.").jsonl())
    write(root, "bob/b.jsonl", _near_session("sb", "FYI MRR excludes the one-time setup fees.").jsonl())
    write(root, "carol/c.jsonl", _near_session("sc", "FYI: MRR excludes all one-time setup fees!").jsonl())
    write(root, "dave/d.jsonl", Transcript("sd").user("FYI all timestamps are stored in UTC.").jsonl())
    run_once(root, state)
    _approve(state, "All timestamps%")
    knowledge = ("SELECT * EXCLUDE (created_at) FROM knowledge_items ORDER BY id",
                 "SELECT * EXCLUDE (created_at) FROM knowledge_relations ORDER BY ALL",
                 "SELECT * EXCLUDE (created_at) FROM verification_detections ORDER BY id")
    before = [q(state, sql) for sql in knowledge]
    assert len(before[0]) == 3 and len(before[1]) == 1  # alice's correction points at the FYI item

    service = Service(Settings(root=root, state=state, watch=False), [VerificationProcessor()])
    service.ops.reprocess("verification")
    assert service.run_once() == 0
    assert [q(state, sql) for sql in knowledge] == before


def test_items_extracted_counts_the_rows_stored(tmp_path: Path) -> None:
    """Per file (the cursor's ``items_extracted``), per run (the stats `process` and the run
    summary print) and per commit (``processor.committed``): the items stored -- not the trail's
    rows, and not a detection the merge dropped (a confirmation whose statement turned out to
    be the person's own turn). For usage, whose merge keeps every row: its tables' rows."""
    from structlog.testing import capture_logs

    from sessiond.processors.usage import UsageProcessor
    from sessiond.processors.usage.schema import TABLES

    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    t = Transcript("s1").assistant("Churn is counted per logo.").user("hmm, let me think")
    write(root, "alice/a.jsonl", t.take())
    write(root, "bob/b.jsonl", _correction_session("sb").jsonl())
    usage_rows = " + ".join(f"(SELECT count(*) FROM {table})" for table in TABLES)
    seen = {"verification": 0, "usage": 0}
    for more in ("", "exactly"):
        if more:  # a rules lead the merge drops: the person spoke last in the earlier append
            write(root, "alice/a.jsonl", t.user(more).take(), append=True)
        service = Service(Settings(root=root, state=state, watch=False),
                          [VerificationProcessor(), UsageProcessor()])
        with capture_logs() as logs:
            assert service.run_once() == 0
        stored = dict(q(state, "SELECT session_file, count(*) FROM verification_detections GROUP BY 1"))
        assert stored == {"bob/b.jsonl": 1}
        cursors = dict(q(state, "SELECT session_file, items_extracted FROM session_processor_state "
                                "WHERE processor_name = 'verification'"))
        assert cursors == {"alice/a.jsonl": 0, "bob/b.jsonl": 1}
        [(usage_stored,)] = q(state, f"SELECT {usage_rows}")
        assert q(state, "SELECT sum(items_extracted) FROM session_processor_state "
                        "WHERE processor_name = 'usage'") == [(usage_stored,)]
        for name, total in (("verification", 1), ("usage", usage_stored)):
            run = service.workers[name].stats.items_extracted
            committed = sum(e["items"] for e in logs if e["event"] == "processor.committed"
                            and e.get("processor") == name)
            assert run == committed == total - seen[name], name
            seen[name] = total


def test_a_running_daemon_keeps_trails_as_the_table_holds_them(tmp_path: Path) -> None:
    """A live append's merge finds its file's trail in memory (`store.kept_trails`, kept only once a
    commit is through) instead of reading it: through appends that go on with an open message,
    replace it, end with the person, and a reprocess while the daemon runs (which deletes the
    trails with the rows), the detections are what one run over the whole files gives, and what
    is kept is what the table holds."""
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    a = Transcript("s1").user("and ARR?").assistant("ARR is annualised.", message_id="m1")
    b = Transcript("s2").assistant("Churn is counted per logo, monthly.", message_id="m9")
    # read again from its start after the reprocess, it begins with the message its kept trail
    # ends with: a trail kept from before the reprocess would be joined to itself
    c = Transcript("s3").assistant("Our fiscal year starts in February.", message_id="m5")
    write(root, "alice/a.jsonl", a.take())
    write(root, "bob/b.jsonl", b.take())
    write(root, "carol/c.jsonl", c.take())

    def caught_up(svc: Service) -> bool:
        sizes = {k: (root / k).stat().st_size
                 for k in ("alice/a.jsonl", "bob/b.jsonl", "carol/c.jsonl")}
        rows = query(svc, "SELECT session_file, offset_bytes FROM session_processor_state "
                          "WHERE processor_name = 'verification'")
        return dict(rows) == sizes

    def kept_is_the_table(svc: Service) -> bool:
        kept = svc.writer._store.memo[TRAILS]
        table = q_svc(svc)
        return {f: [(p.line, p.role, p.message_id, p.text) for p in t]
                for f, t in kept.get(table).items()} == table

    def q_svc(svc: Service) -> dict[str, list[tuple[Any, ...]]]:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for f, line, role, mid, text in query(svc, "SELECT session_file, line_no, role, message_id, "
                                                   "text FROM verification_context ORDER BY 1, 2"):
            out.setdefault(f, []).append((line, role, mid, text))
        return out

    steps = [
        lambda: a.assistant("Annualised means", message_id="m1"),  # goes on with m1
        lambda: b.user("exactly"),  # confirms across appends: its statement is the kept trail
        lambda: a.assistant("It is MRR times twelve.", message_id="m1").user("that's right"),
        lambda: b.assistant("Refunds take 5 days.", message_id="m10"),  # replaces the trail
        lambda: a.user("no, ARR excludes one-time fees."),  # the person again: nothing to answer
    ]
    with running(fast_settings(root, state), [VerificationProcessor()]) as svc:
        wait_until(lambda: caught_up(svc), what="the first commit")
        for n, step in enumerate(steps):
            if n == 3:  # a reprocess with the daemon running: trails go with the rows
                assert svc.ops.reprocess("verification") == 3
                wait_until(lambda: caught_up(svc), what="the reprocess")
            step()
            write(root, "alice/a.jsonl", a.take(), append=True)
            write(root, "bob/b.jsonl", b.take(), append=True)
            wait_until(lambda: caught_up(svc), what=f"append {n}")
            # A commit is visible to a reader a moment before the writer thread runs its
            # `on_commit` hooks, which update what is kept: wait for them, not longer.
            wait_until(lambda: kept_is_the_table(svc), what=f"the kept trails after append {n}")
        live = query(svc, "SELECT session_file, line_no, detection_type, assistant_statement "
                          "FROM verification_detections ORDER BY 1, 2")
    assert ("alice/a.jsonl", 5, "confirmation",
            "ARR is annualised.\nAnnualised means\nIt is MRR times twelve.") in live
    assert ("bob/b.jsonl", 2, "confirmation", "Churn is counted per logo, monthly.") in live
    once = tmp_path / "once.duckdb"
    run_once(root, once)
    assert q(once, "SELECT session_file, line_no, detection_type, assistant_statement "
                   "FROM verification_detections ORDER BY 1, 2") == live


def test_the_kept_trails_are_bounded_by_files_and_by_characters() -> None:
    """The kept trails (`processors.kept.Kept`) forget the least recently used past their file
    count or their total of characters (a message may have many parts of up to 4,000 each)."""
    kept: Kept[str, tuple[ContextRow, ...]] = Kept(3, chars=10_000, size=trail_size)
    part = (ContextRow(1, "assistant", "m1", "x" * 1000),)
    kept.put({f"f{i}": part for i in range(5)})
    assert set(kept.get([f"f{i}" for i in range(5)])) == {"f2", "f3", "f4"}
    kept.get(["f2"])  # used: now the most recent
    kept.put({"big": tuple(ContextRow(n, "assistant", "m1", "y" * 4000) for n in range(2))})
    assert set(kept.get(["f2", "f3", "f4", "big"])) == {"f2", "big"}  # 8.3k + 1.1k characters
    kept.drop(["big"])
    kept.put({"f5": part})
    assert set(kept.get(["f2", "f5"])) == {"f2", "f5"}


def test_the_rules_are_imported_when_first_used_not_when_the_processor_loads(tmp_path: Path) -> None:
    """Loading the processor (what every daemon start and command does) compiles none of the
    rules' ~600 regular expressions (0.4-0.7 s and ~10 MB, paid at each start before READY); the
    first turn read does, and finds what the rules find."""
    write(tmp_path / "root", "alice/s.jsonl",
          Transcript().assistant("The invoices table is partitioned by day.")
          .user("correct, it is partitioned by day").jsonl())
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sessiond.daemon.registry import load\n"
        "from sessiond.daemon.service import Service\n"
        "from tests.harness import fast_settings\n"
        "processors = load(['verification'], {})\n"
        "rules = 'sessiond.processors.verification.rules'\n"
        "print('loaded', rules in sys.modules)\n"
        "root = Path(sys.argv[1])\n"
        "assert Service(fast_settings(root / 'root', root / 's.duckdb'), processors).run_once() == 0\n"
        "import duckdb\n"
        "from sessiond.processors.verification.schema import DETECTIONS\n"
        "found = duckdb.connect(str(root / 's.duckdb')).sql(f'SELECT count(*) FROM {DETECTIONS}').fetchall()\n"
        "print('read', rules in sys.modules, found[0][0])\n")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(("loaded ", "read "))]
    assert lines[0] == "loaded False"
    assert lines[1].startswith("read True ") and int(lines[1].split()[2]) >= 1
