"""Exchanges: each user turn paired with the assistant statement it answers.

The statement a user turn answers is the text of the last assistant message (the records that
share one ``message.id``) since the previous user turn; none if the person spoke twice in a row.
Within one append that is plain pairing. A user turn that comes before any turn of its append
answers something in an *earlier* append: the exchange says so (``known=False``) and the
processor stores, per append, the `Tail` -- the state the next append starts from -- so the
statement is looked up in SQL at merge time instead of being held in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from processors.verification.turns import Turn

STATEMENT_CHARS = 4000  # the end of a long answer is the part a "yes, exactly" refers to


@dataclass(frozen=True, slots=True)
class Statement:
    text: str
    line: int  # first line of the message within this append
    message_id: str | None
    timestamp: datetime | None
    partial: bool  # began at the start of the append: an earlier append may hold its first part


@dataclass(frozen=True, slots=True)
class Exchange:
    user: Turn
    statement: Statement | None
    known: bool  # False: the statement is in an earlier append (look it up at merge time)


@dataclass(frozen=True, slots=True)
class Tail:
    """Where an append leaves the conversation: an open assistant statement, or a user turn."""

    role: str  # "assistant" | "user"
    line: int
    message_id: str | None
    text: str | None
    timestamp: datetime | None


def clip(text: str, limit: int = STATEMENT_CHARS) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def pair(turns: Sequence[Turn]) -> tuple[list[Exchange], Tail | None]:
    """Pair the user turns of one append with their statements; return the append's tail."""
    exchanges: list[Exchange] = []
    known = False  # whether anything in this append has fixed the state yet
    current: Statement | None = None
    parts: list[str] = []
    tail: Tail | None = None
    for turn in turns:
        if turn.role == "assistant":
            same = (current is not None and turn.message_id is not None
                    and turn.message_id == current.message_id)
            if same and current is not None:
                parts.append(turn.text)
                current = Statement(clip("\n".join(parts)), current.line, current.message_id,
                                    current.timestamp, current.partial)
            else:
                parts = [turn.text]
                current = Statement(clip(turn.text), turn.line, turn.message_id, turn.timestamp,
                                    partial=not known and turn.message_id is not None)
            known = True
            tail = Tail("assistant", current.line, current.message_id, current.text,
                        current.timestamp)
        else:
            exchanges.append(Exchange(turn, current, known))
            known, current, parts = True, None, []
            tail = Tail("user", turn.line, None, None, turn.timestamp)
    return exchanges, tail
