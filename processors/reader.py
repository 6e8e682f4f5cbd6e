"""The JSONL reader: framed lines into `Record`s, and every line it cannot use into a `BadLine`.

Expected input problems are values, not exceptions: the caller counts and logs them, and the
rest of the file goes on. Tolerated without complaint: a UTF-8 BOM on the first line, CRLF
endings, blank lines. Unknown record types are the processors' business (they skip them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import orjson

from sessiond.processors.contract import Record
from sessiond.processors.framing import Line, Oversize

BOM = b"\xef\xbb\xbf"

# `skip_prefixes` for processors that read only user and assistant records: Claude Code writes
# these record types with "type" first. Snapshots are a fifth of a transcript's bytes.
NOT_TURNS = (
    b'{"type":"file-history-snapshot"', b'{"type":"summary"', b'{"type":"queue-operation"',
)

BadKind = Literal["malformed_json", "not_object", "line_too_long", "unreadable", "invalid"]
# "unreadable": a line the processor could not map (`contract.PartlyMapped`), after decoding;
# "invalid": one it skipped as the format does not allow it (`contract.Unreadable`)


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    offset: int
    kind: BadKind
    detail: str


@dataclass(slots=True)
class Decoded:
    records: list[Record] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    blank: int = 0
    skipped: int = 0  # lines left unparsed: they start with one of the processor's `skip_prefixes`
    lines: int = 0  # newline-terminated lines seen, good or not


def decode(
    framed: Iterable[Line | Oversize], *, file: str, user: str, first_line: int, into: Decoded,
    skip: tuple[bytes, ...] = (),
) -> None:
    """Parse framed lines; ``first_line`` is the 1-based number of the first one. Lines that
    start with one of the ``skip`` prefixes are counted, not parsed (nor checked)."""
    number = first_line + into.lines
    records = into.records
    for item in framed:
        if isinstance(item, Oversize):
            into.bad.append(
                BadLine(number, item.offset, "line_too_long", f"{item.length} bytes")
            )
            number += 1
            continue
        data = item.data
        if item.offset == 0 and data.startswith(BOM):
            data = data[len(BOM) :]
        if data.endswith(b"\r"):
            data = data[:-1]
        if not data.strip():
            into.blank += 1
            number += 1
            continue
        if skip and data.startswith(skip):
            into.skipped += 1
            number += 1
            continue
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            into.bad.append(BadLine(number, item.offset, "malformed_json", str(exc)[:200]))
            number += 1
            continue
        if not isinstance(obj, dict):
            into.bad.append(
                BadLine(number, item.offset, "not_object", f"JSON {type(obj).__name__}")
            )
        else:
            records.append(Record(file, user, item.offset, number, obj))
        number += 1
    into.lines = number - first_line
