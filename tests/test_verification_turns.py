"""Turns (real user text only, role/text from ``message``) and exchanges (statement pairing)."""

from __future__ import annotations

from sessiond.processors.contract import Record
from sessiond.processors.verification.exchanges import pair
from sessiond.processors.verification.turns import turn_of, turns
from tests.test_verification_support import Transcript


def _turns(t: Transcript) -> list[tuple[str, str]]:
    return [(x.role, x.text) for x in turns(t.records())]


def test_role_and_text_come_from_message_not_top_level() -> None:
    t = Transcript().user("MRR excludes setup fees, FYI.")
    t.data[0]["role"] = "assistant"  # top-level decoys the original pipeline read
    t.data[0]["content"] = "decoy"
    t.assistant("Noted.", "Second block of the same response.")
    assert _turns(t) == [("user", "MRR excludes setup fees, FYI."),
                         ("assistant", "Noted."), ("assistant", "Second block of the same response.")]
    assert turns(t.records())[0].session_id == "sess-1"
    assert turns(t.records())[0].timestamp is not None


def test_user_text_blocks_are_joined_and_images_ignored() -> None:
    t = Transcript().user([{"type": "text", "text": "first"}, {"type": "image", "source": {}},
                           {"type": "text", "text": "second"}])
    assert _turns(t) == [("user", "first\nsecond")]


def test_not_a_person_speaking() -> None:
    t = (Transcript()
         .tool_result("no, that's wrong — MRR excludes setup fees")
         .user("FYI our convention is X is Y", isMeta=True)
         .user("This session is being continued... FYI MRR is monthly", isCompactSummary=True)
         .user("<command-message>review</command-message>\n<command-name>/review</command-name>")
         .user("<local-command-stdout>FYI the build is green</local-command-stdout>")
         .user("<bash-input>echo hi</bash-input>")
         .user("[Request interrupted by user for tool use]")
         .user("FYI subagent prompt", isSidechain=True)
         .user("   "))
    t.raw({"type": "summary", "summary": "x", "leafUuid": "u"})
    t.raw({"type": "acme-unknown", "message": {"role": "user", "content": "FYI x is y"}})
    t.raw({"type": "user", "message": "not a mapping"})
    assert _turns(t) == []


def test_system_reminders_are_stripped_from_user_text() -> None:
    t = Transcript().user("<system-reminder>FYI secret</system-reminder>exactly, MRR is monthly.")
    assert _turns(t) == [("user", "exactly, MRR is monthly.")]


def test_assistant_errors_thinking_and_tools_are_not_statements() -> None:
    t = Transcript().tool_call("ls").assistant("API Error: 529 overloaded", isApiErrorMessage=True)
    rec = {"type": "assistant", "message": {"id": "m", "role": "assistant", "model": "<synthetic>",
                                            "content": [{"type": "text", "text": "No response"}]}}
    think = {"type": "assistant", "message": {"id": "m2", "role": "assistant",
                                              "content": [{"type": "thinking", "thinking": "hmm"}]}}
    t.raw(rec).raw(think)
    assert _turns(t) == []


def test_turn_of_survives_odd_shapes() -> None:
    for data in ({}, {"type": "user"}, {"type": "user", "message": {"role": 3}},
                 {"type": "assistant", "message": {"role": "assistant", "content": 7}},
                 {"type": "user", "message": {"role": "user", "content": [1, None, {"type": "text"}]}},
                 {"type": "user", "timestamp": "yesterday", "message": {"role": "user", "content": "hi there"}}):
        turn = turn_of(Record("a/s.jsonl", "a", 0, 1, data))
        assert turn is None or (turn.text == "hi there" and turn.timestamp is None)


def test_pairing_uses_the_last_assistant_message_before_each_user_turn() -> None:
    t = (Transcript()
         .assistant("I'll look at the data.")
         .tool_call().tool_result("rows")
         .assistant("Churn is monthly", "and counted per logo.", message_id="m-last")
         .user("exactly")
         .user("and one more thing"))
    exchanges, trail = pair(turns(t.records()))
    assert [e.user.text for e in exchanges] == ["exactly", "and one more thing"]
    first, second = exchanges
    assert first.known and first.statement is not None
    assert first.statement.text == "Churn is monthly\nand counted per logo."
    assert first.statement.message_id == "m-last" and not first.statement.partial
    assert second.known and second.statement is None  # the person spoke twice in a row
    assert trail is not None and trail.role == "user" and [p.line for p in trail.parts] == [7]


def test_a_user_turn_first_in_its_append_needs_the_stored_context() -> None:
    t = Transcript().user("yes, exactly").assistant("Noted.", message_id="m9")
    exchanges, trail = pair(turns(t.records(first_line=40)))
    assert len(exchanges) == 1 and not exchanges[0].known and exchanges[0].statement is None
    assert trail is not None and trail.role == "assistant" and not trail.continues
    assert [(p.line, p.message_id, p.text) for p in trail.parts] == [(41, "m9", "Noted.")]


def test_the_trail_is_every_part_of_the_last_message_whoever_read_it() -> None:
    """One row per turn of the trailing message -- the same rows whether the file is read whole
    or cut anywhere -- and whether it continues a message an earlier append began."""
    t = (Transcript().assistant("Old.", message_id="m0").user("go on")
         .assistant("Part one.", "Part two.", message_id="m1").tool_call()
         .assistant("Part three.", message_id="m1"))
    _, whole = pair(turns(t.records(first_line=1)))
    assert whole is not None and whole.role == "assistant" and not whole.continues
    assert [(p.line, p.text) for p in whole.parts] == [(3, "Part one."), (4, "Part two."), (6, "Part three.")]
    records = t.records(first_line=1)
    _, head = pair(turns(records[:4]))
    _, rest = pair(turns(records[4:]))
    assert head is not None and rest is not None and rest.continues  # m1 goes on
    assert [p.line for p in head.parts] + [p.line for p in rest.parts] == [3, 4, 6]


def test_a_message_continued_from_an_earlier_append_is_partial() -> None:
    t = Transcript().assistant("second half.", message_id="m1").user("exactly")
    exchanges, _ = pair(turns(t.records(first_line=10)))
    assert exchanges[0].known and exchanges[0].statement is not None
    assert exchanges[0].statement.partial and exchanges[0].statement.line == 10


def test_no_turns_no_trail() -> None:
    assert pair([]) == ([], None)


def test_only_main_session_files_are_wanted() -> None:
    from sessiond.processors.contract import SessionFile
    from sessiond.processors.verification import VerificationProcessor

    p = VerificationProcessor()
    assert p.wants(SessionFile("alice/5f0c.jsonl", "alice"))
    assert not p.wants(SessionFile("alice/5f0c/subagents/agent-a1.jsonl", "alice"))
    assert not p.wants(SessionFile("alice/agent-a1.jsonl", "alice"))  # older clients: flat
