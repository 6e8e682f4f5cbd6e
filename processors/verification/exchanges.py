"""Exchanges: each user turn paired with the assistant statement it answers.

The statement a user turn answers is the text of the last assistant message (the consecutive
records that share one ``message.id``) since the previous user turn; none if the person spoke
twice in a row. Within one append that is plain pairing. A user turn that comes before any turn
of its append answers something in an *earlier* append: the exchange says so (``known=False``).
The processor stores, per file, the `Trail` -- where the conversation stands after the lines
read so far: the parts of the open assistant message, or the last user turn -- so the statement
is looked up in SQL at merge time instead of being held in memory.

The trail is the same whether a file was read whole or in parts: it is one row per turn of the
trailing message (each part's own text, clipped), never one row per append.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sessiond.processors.verification.turns import Turn

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
class Part:
    """One turn of the trail: a part of the open assistant message, or the last user turn."""

    line: int
    message_id: str | None
    text: str | None  # clipped; None for a user turn
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class Trail:
    """Where an append leaves the conversation."""

    role: str  # "assistant" | "user"
    parts: tuple[Part, ...]  # the trailing message's turns, in order; one for a user turn
    continues: bool  # an assistant message that began at the append's first turn: the stored
    # trail's parts of the same message (an earlier append) come before these


def clip(text: str, limit: int = STATEMENT_CHARS) -> str:
    """The end of a text (``…`` + its last ``limit`` characters). Clipping the parts of a
    message and then their join gives the join's clip: the trail can store clipped parts."""
    return text if len(text) <= limit else "…" + text[-limit:]


def pair(turns: Sequence[Turn]) -> tuple[list[Exchange], Trail | None]:
    """Pair the user turns of one append with their statements; return the append's trail."""
    exchanges: list[Exchange] = []
    known = False  # whether anything in this append has fixed the state yet
    current: Statement | None = None
    parts: list[Turn] = []
    for turn in turns:
        if turn.role == "assistant":
            same = (current is not None and turn.message_id is not None
                    and turn.message_id == current.message_id)
            if same and current is not None:
                parts.append(turn)
                current = Statement(clip("\n".join(t.text for t in parts)), current.line,
                                    current.message_id, current.timestamp, current.partial)
            else:
                parts = [turn]
                current = Statement(clip(turn.text), turn.line, turn.message_id, turn.timestamp,
                                    partial=not known and turn.message_id is not None)
            known = True
        else:
            exchanges.append(Exchange(turn, current, known))
            known, current, parts = True, None, [turn]
    if not parts:
        return exchanges, None
    if current is None:  # the person spoke last
        user = parts[0]
        return exchanges, Trail("user", (Part(user.line, None, None, user.timestamp),), False)
    trail = tuple(Part(t.line, t.message_id, clip(t.text), t.timestamp) for t in parts)
    return exchanges, Trail("assistant", trail, current.partial)
