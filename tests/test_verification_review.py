"""Reviewing the knowledge base: ``sessiond knowledge list|show|approve|reject``.

Decisions go through the running daemon's socket (with the caller's uid) or, with no daemon, on
the state file; they are kept by item id across reprocess, rewrites and version bumps; a
rejected item stays rejected when new evidence arrives; an approved item whose evidence goes
stays, with none; and the knowledge base stays a function of the files and the decisions.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

import orjson

from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.verification import VerificationProcessor
from sessiond.processors.verification.detection import item_id
from sessiond.processors.verification.schema import MIGRATIONS
from tests.harness import Daemon, cli, wait_until
from tests.test_verification_support import T0, Transcript, q, run_once, write

MRR = "no, that's wrong — MRR excludes one-time setup fees."
MRR_ID = item_id("MRR excludes one-time setup fees", "MRR excludes one-time setup fees.")
# a chain of near duplicates: A ~ C (0.86), C ~ B (0.92), A and B not near (0.78)
DEPLOY_A = "FYI the deploy window closes at 4pm on Fridays."
DEPLOY_C = "FYI the deploy window closes at 4pm on Fridays and Saturdays."
DEPLOY_B = "FYI the deploy window closes at 4pm on Fridays and Saturdays in summer."
A_ID = item_id("The deploy window closes at 4pm on Fridays", "The deploy window closes at 4pm on Fridays.")
B_ID = item_id("The deploy window closes at 4pm on Fridays and Saturdays in summer",
               "The deploy window closes at 4pm on Fridays and Saturdays in summer.")
ME = pwd.getpwuid(os.getuid()).pw_name
KNOWLEDGE = ("SELECT * EXCLUDE (created_at) FROM knowledge_items ORDER BY id",
             "SELECT * EXCLUDE (created_at) FROM knowledge_relations ORDER BY ALL",
             "SELECT * EXCLUDE (created_at) FROM verification_detections ORDER BY id",
             "SELECT * FROM knowledge_reviews ORDER BY item_id")


class Bumped(VerificationProcessor):
    """The next version, whose migration drops everything derived -- items included: the
    decisions must come back by id, as they were."""

    version = VerificationProcessor.version + 1
    migrations = (*MIGRATIONS, "DELETE FROM knowledge_items; DELETE FROM knowledge_relations; "
                               "DELETE FROM knowledge_pairs")


def _said(session: str, text: str, start: Any = T0) -> bytes:
    return Transcript(session, start).user("what is it?").assistant("MRR includes fees.").user(text).jsonl()


def knowledge(state: Path, *args: str, ok: bool = True) -> Any:
    """``sessiond knowledge ARGS --json`` (through the daemon when one runs); its JSON."""
    result = cli("knowledge", *args, "--json", "--state", str(state))
    assert (result.returncode == 0) is ok, result.stderr
    return orjson.loads(result.stdout) if ok else result


def _since(d: Daemon, mark: int, name: str, processor: str = "verification") -> list[dict[str, Any]]:
    with d._cond:
        return [e for e in d.events[mark:] if e.get("event") == name and e.get("processor") == processor]


def test_an_approved_item_is_still_approved_after_reprocess_with_the_daemon_running(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "state" / "s.duckdb"
    write(root, "alice/a.jsonl", _said("sa", MRR))
    write(root, "bob/b.jsonl", _said("sb", MRR))
    write(root, "carol/c.jsonl", _said("sc", DEPLOY_A))
    config = tmp_path / "sessiond.toml"
    config.write_text("settle = 0.05\nmax_delay = 0.5\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", "verification")
    try:
        d.wait_for("control.started")
        wait_until(lambda: {i["id"]: i["detections"] for i in knowledge(state, "list")["items"]}
                   == {MRR_ID: 2, A_ID: 1}, what="both items")
        decision = knowledge(state, "approve", MRR_ID)
        assert (decision["status"], decision["previous"]) == ("approved", "pending")
        assert (decision["reviewer_uid"], decision["reviewer"]) == (os.getuid(), ME)
        [audit] = d.wait_for("audit", lambda e: e["action"] == "knowledge/approve")
        assert audit["uid"] == os.getuid() and audit["params"] == {"id": MRR_ID}
        d.wait_for("knowledge.reviewed", lambda e: e["item"] == MRR_ID and e["uid"] == os.getuid())
        before = knowledge(state, "show", MRR_ID)
        assert before["review"] == {k: decision[k] for k in ("reviewer", "reviewer_uid", "reviewed_at")}
        assert [e["user"] for e in before["evidence"]] == ["alice", "bob"]

        mark = len(d.events)
        result = cli("reprocess", "verification", "--state", str(state))
        assert result.returncode == 0, result.stderr
        # its evidence is gone until the files are read again; its decision is not
        assert knowledge(state, "show", MRR_ID)["item"]["status"] == "approved"
        # drained: every file read again from 0 and committed, and the item has its evidence
        wait_until(lambda: {e["file"] for e in _since(d, mark, "file.appended")}
                   == {"alice/a.jsonl", "bob/b.jsonl", "carol/c.jsonl"}, what="every file read again")
        wait_until(lambda: knowledge(state, "show", MRR_ID)["item"]["detections"] == 2,
                   what="the evidence back")
        assert knowledge(state, "show", MRR_ID) == before  # same id, status, reviewer and time
        text = cli("knowledge", "show", MRR_ID, "--state", str(state)).stdout.decode()
        assert text.startswith(f"{MRR_ID}  approved by {ME} ")  # rendered by the daemon
        assert knowledge(state, "list", "--status", "pending")["totals"]["items"] == 1
    finally:
        assert d.stop() == 0


def test_decisions_on_the_state_file_when_no_daemon_runs(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _said("sa", MRR))
    write(root, "bob/b.jsonl", _said("sb", MRR) + _said("sb", MRR))  # the same session twice
    write(root, "carol/c.jsonl", _said("sc", DEPLOY_A))
    assert run_once(root, state) == 0
    assert knowledge(state, "approve", MRR_ID)["reviewer"] == ME
    assert knowledge(state, "reject", A_ID)["status"] == "rejected"
    assert knowledge(state, "approve", A_ID)["previous"] == "rejected"  # a decision can change
    listed = knowledge(state, "list", "--status", "approved")
    assert sorted(i["id"] for i in listed["items"]) == sorted([MRR_ID, A_ID])
    assert all(i["review"]["reviewer_uid"] == os.getuid() for i in listed["items"])
    shown = knowledge(state, "show", MRR_ID)
    assert shown["item"]["title"] == "MRR excludes one-time setup fees"
    assert [(e["session_file"], e["line"], e["quote"], e["counted"]) for e in shown["evidence"]] == [
        ("alice/a.jsonl", 3, MRR, True), ("bob/b.jsonl", 3, MRR, True), ("bob/b.jsonl", 6, MRR, False)]
    assert shown["exchanges"][0] == {"session_file": "alice/a.jsonl", "line": 3,
                                     "assistant": "MRR includes fees.", "user": MRR,
                                     "occurred_at": shown["evidence"][0]["occurred_at"]}
    text = cli("knowledge", "show", MRR_ID, "--state", str(state)).stdout.decode()
    assert f"approved by {ME}" in text and "assistant: MRR includes fees." in text
    missing = knowledge(state, "approve", "kv_000000000000", ok=False)
    assert missing.returncode == 2 and b"no knowledge item 'kv_000000000000'" in missing.stderr
    assert q(state, "SELECT status, reviewer_uid FROM knowledge_reviews ORDER BY item_id") == \
        sorted([("approved", os.getuid()), ("approved", os.getuid())])
    assert q(state, "SELECT id, status, reviewer FROM public_knowledge_items WHERE id = ?",
             [MRR_ID]) == [(MRR_ID, "approved", ME)]  # the public view says who decided


def test_a_rejected_item_stays_rejected_when_new_evidence_arrives(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _said("sa", DEPLOY_A, T0.replace(day=10)))
    assert run_once(root, state) == 0
    knowledge(state, "reject", A_ID)
    # the same text again, and a near duplicate said *earlier* (it would otherwise be canonical)
    write(root, "bob/b.jsonl", _said("sb", DEPLOY_A, T0.replace(day=11)))
    write(root, "carol/c.jsonl", _said("sc", DEPLOY_C, T0.replace(day=1)))
    assert run_once(root, state) == 0
    assert q(state, "SELECT id, status, detections FROM knowledge_items") == [(A_ID, "rejected", 3)]
    assert knowledge(state, "list", "--status", "pending")["items"] == []


def test_an_approved_item_whose_evidence_goes_stays_with_no_evidence(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    path = write(root, "alice/a.jsonl", _said("sa", DEPLOY_A))
    write(root, "bob/b.jsonl", _said("sb", DEPLOY_A, T0.replace(day=12)))
    assert run_once(root, state) == 0
    knowledge(state, "approve", A_ID)
    reviewed = q(state, "SELECT * EXCLUDE (status, detections) FROM knowledge_items")
    path.unlink()  # the first evidence goes: the item takes the next one's values
    assert run_once(root, state) == 0
    assert q(state, "SELECT source_ref, detections FROM knowledge_items") == [("bob/b.jsonl:3", 1)]
    (root / "bob/b.jsonl").unlink()  # the last evidence goes: the item as it was reviewed stays
    assert run_once(root, state) == 0
    shown = knowledge(state, "show", A_ID)
    assert (shown["item"]["status"], shown["item"]["has_evidence"], shown["evidence"]) == \
        ("approved", False, [])
    assert q(state, "SELECT * EXCLUDE (status, detections) FROM knowledge_items") == reviewed
    text = cli("knowledge", "list", "--state", str(state)).stdout.decode()
    assert f"{A_ID}  approved  no evidence" in text
    write(root, "carol/c.jsonl", _said("sc", DEPLOY_A))  # said again: its evidence is back
    assert run_once(root, state) == 0
    assert q(state, "SELECT id, status, detections FROM knowledge_items") == [(A_ID, "approved", 1)]


def test_a_rewrite_keeps_the_decision(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    path = write(root, "alice/a.jsonl", _said("sa", MRR))
    assert run_once(root, state) == 0
    decision = knowledge(state, "approve", MRR_ID)
    path.write_bytes(Transcript("sa").user("hello").assistant("Hi.").jsonl() + _said("sa", MRR))
    assert run_once(root, state) == 0
    assert q(state, "SELECT line_no FROM verification_detections") == [(5,)]  # read anew
    assert knowledge(state, "show", MRR_ID)["review"]["reviewed_at"] == decision["reviewed_at"]
    assert q(state, "SELECT status FROM knowledge_items") == [("approved",)]


def test_a_version_bump_keeps_decisions_even_when_its_migration_drops_the_items(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _said("sa", MRR))
    write(root, "bob/b.jsonl", _said("sb", DEPLOY_A))
    write(root, "carol/c.jsonl", _said("sc", "FYI all timestamps are stored in UTC."))
    assert run_once(root, state) == 0
    knowledge(state, "approve", MRR_ID)
    knowledge(state, "reject", A_ID)
    (root / "bob/b.jsonl").unlink()  # the rejected item keeps no evidence
    assert run_once(root, state) == 0
    before = [q(state, sql) for sql in KNOWLEDGE]
    assert run_once(root, state, Bumped()) == 0
    assert q(state, "SELECT count(*) FROM session_processor_state WHERE processor_version = ?",
             [Bumped.version]) == [(2,)]
    assert [q(state, sql) for sql in KNOWLEDGE] == before


def _reference(root: Path, state: Path, reviews: list[tuple[Any, ...]]) -> Path:
    """One run over the final files with ``reviews`` as the decisions: reprocessed, so the
    decisions are there before any detection."""
    ref = state.with_name("reference.duckdb")
    service = Service(Settings(root=root, state=ref, watch=False), [VerificationProcessor()])
    try:
        con = service.reader()
        con.executemany("INSERT INTO knowledge_reviews VALUES (" + ", ".join("?" * len(reviews[0])) + ")",
                        [list(r) for r in reviews])
        con.close()
        service.ops.reprocess("verification")
        assert service.run_once() == 0
    finally:
        service.close()
    return ref


def test_the_knowledge_base_is_a_function_of_the_files_and_the_decisions(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "s.duckdb"
    write(root, "alice/a.jsonl", _said("sa", DEPLOY_A, T0.replace(day=1)))
    write(root, "bob/b.jsonl", _said("sb", DEPLOY_B, T0.replace(day=2)))
    assert run_once(root, state) == 0
    knowledge(state, "approve", A_ID)
    knowledge(state, "approve", B_ID)
    # a text near both links them: two approved texts in one item, the one said first is its id
    write(root, "carol/c.jsonl", _said("sc", DEPLOY_C, T0.replace(day=3)))
    assert run_once(root, state) == 0
    assert q(state, "SELECT id, status, detections FROM knowledge_items ORDER BY id") == sorted(
        [(A_ID, "approved", 3), (B_ID, "approved", 0)])
    # rejecting that one makes the other the item's id, at once
    knowledge(state, "reject", A_ID)
    assert q(state, "SELECT id, status, detections FROM knowledge_items ORDER BY id") == sorted(
        [(A_ID, "rejected", 0), (B_ID, "approved", 3)])
    assert q(state, "SELECT DISTINCT item_id FROM verification_detections") == [(B_ID,)]
    live = [q(state, sql) for sql in KNOWLEDGE]
    ref = _reference(root, state, q(state, "SELECT * FROM knowledge_reviews"))
    assert [q(ref, sql) for sql in KNOWLEDGE] == live
    # and the link going splits them again by the same rule
    (root / "carol/c.jsonl").unlink()
    assert run_once(root, state) == 0
    assert q(state, "SELECT id, status, detections FROM knowledge_items ORDER BY id") == sorted(
        [(A_ID, "rejected", 1), (B_ID, "approved", 1)])
