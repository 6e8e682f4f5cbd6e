"""`lines`: one row per complete record, the smallest useful processor (a record index).

It serves the sample run and the exactly-once tests: every committed line appears once, with
its byte offset, so duplicates or gaps are a plain SQL query away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sessiond.processors.contract import Record, Rows, SessionFile


class LinesProcessor:
    name = "lines"
    version = 1
    interval = 0.0
    tables = ("lines",)
    migrations = (
        """
        CREATE TABLE lines (
            session_file VARCHAR NOT NULL,
            username     VARCHAR NOT NULL,
            line_no      BIGINT  NOT NULL,
            byte_offset  BIGINT  NOT NULL,
            record_type  VARCHAR,
            uuid         VARCHAR
        )
        """,
    )

    def wants(self, file: SessionFile) -> bool:
        return True

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        rows: list[dict[str, Any]] = [
            {
                "session_file": r.file,
                "username": r.user,
                "line_no": r.line,
                "byte_offset": r.offset,
                "record_type": _str_or_none(r.data.get("type")),
                "uuid": _str_or_none(r.data.get("uuid")),
            }
            for r in records
        ]
        return {"lines": rows}


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
