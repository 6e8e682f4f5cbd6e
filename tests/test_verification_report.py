"""``sessiond report verification``: items, evidence per user and type, newest first; JSON."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sessiond.daemon.cli import main
from sessiond.processors.verification import report
from tests.test_verification_support import T0, Transcript, run_once, write

MRR = "no, that's wrong — MRR excludes one-time setup fees."


@pytest.fixture
def state(tmp_path: Path) -> Path:
    root, path = tmp_path / "root", tmp_path / "s.duckdb"
    later = T0.replace(day=10)
    write(root, "alice/a.jsonl", Transcript("sa").assistant("MRR includes fees.").user(MRR).jsonl())
    write(root, "bob/b.jsonl", Transcript("sb").assistant("MRR includes fees.").user(MRR).jsonl())
    write(root, "bob/c.jsonl", Transcript("sc", later).assistant("Which timezone?")
          .user("FYI all timestamps are stored in UTC.").jsonl())
    assert run_once(root, path) == 0
    return path


def _run(state: Path, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    report.add_arguments(parser)
    args = parser.parse_args(list(argv))
    out = io.StringIO()
    con = duckdb.connect(str(state), read_only=True)
    try:
        return report.run(con, args, out), out.getvalue()
    finally:
        con.close()


def _json(state: Path, *argv: str) -> dict[str, Any]:
    code, text = _run(state, "--json", *argv)
    assert code == 0
    return json.loads(text)  # type: ignore[no-any-return]


def test_json_lists_items_newest_first_with_counts(state: Path) -> None:
    data = _json(state)
    assert [i["title"] for i in data["items"]] == ["All timestamps are stored in UTC",
                                                   "MRR excludes one-time setup fees"]
    mrr = data["items"][1]
    assert mrr["evidence"] == {"total": 2, "by_user": {"alice": 1, "bob": 1},
                               "by_type": {"correction": 2}}
    assert mrr["confidence"] == 0.9 and mrr["status"] == "pending" and mrr["domain"] == "finance"
    assert {e["session_file"] for e in mrr["evidence_rows"]} == {"alice/a.jsonl", "bob/b.jsonl"}
    assert mrr["created_at"].endswith("+00:00")
    assert data["totals"] == {"items": 2, "items_by_status": {"pending": 2},
                              "items_by_type": {"correction": 1, "unprompted_definition": 1},
                              "evidence": 3, "evidence_by_user": {"alice": 1, "bob": 2}}


def test_filters(state: Path) -> None:
    alice = _json(state, "--user", "alice")
    assert [i["title"] for i in alice["items"]] == ["MRR excludes one-time setup fees"]
    assert alice["items"][0]["evidence"]["by_user"] == {"alice": 1}
    assert [i["title"] for i in _json(state, "--type", "unprompted_definition")["items"]] == \
        ["All timestamps are stored in UTC"]
    assert _json(state, "--domain", "finance")["totals"]["items"] == 1
    assert _json(state, "--status", "approved")["items"] == []
    limited = _json(state, "--limit", "1")
    assert limited["shown"] == 1 and limited["totals"]["items"] == 2


def test_text(state: Path) -> None:
    code, text = _run(state)
    assert code == 0
    assert text.splitlines()[0] == ("knowledge items: 2 (pending 2) · evidence: 3 "
                                    "(alice 1, bob 2)")
    assert "  MRR excludes one-time setup fees" in text
    assert "  evidence 2: alice 1, bob 1 · correction 2" in text
    assert text.index("All timestamps") < text.index("MRR excludes")
    code, text = _run(state, "--limit", "1")
    assert "showing the newest 1 (use --limit 0 for all)" in text


def test_a_state_file_without_verification_data(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    code, text = _run(path)
    assert code == 2 and text.startswith("sessiond: this state file has no verification data")


def test_the_cli_runs_it(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "verification", "--state", str(state), "--json", "--user", "bob"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["evidence_by_user"] == {"bob": 2}


def test_a_reviewed_item_says_who_decided(state: Path) -> None:
    from sessiond.processors.verification import review

    con = duckdb.connect(str(state))
    try:
        [(ident,)] = con.execute("SELECT id FROM knowledge_items WHERE title LIKE 'MRR%'").fetchall()
        decided = review.decide(con, ident, "approved", review.Reviewer(1000, "ann"))
    finally:
        con.close()
    [item] = _json(state, "--status", "approved")["items"]
    assert item["review"] == {"reviewer": "ann", "reviewer_uid": 1000,
                              "reviewed_at": decided["reviewed_at"]}
    assert _json(state, "--status", "pending")["items"][0]["review"] is None
    assert f"{ident}  " in _run(state)[1] and "approved by ann" in _run(state)[1]
