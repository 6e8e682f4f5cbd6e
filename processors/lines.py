"""`lines`: one row per complete record, the smallest useful processor (a record index), and
the smallest example of the SQL form of the contract (`processors.sqlform`).

It serves the sample run and the exactly-once tests: every committed line appears once, with
its byte offset, so duplicates or gaps are a plain SQL query away.
"""

from __future__ import annotations

from types import MappingProxyType

from sessiond.processors.contract import SessionFile


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

    # The SQL form (`processors.sqlform`): the type and uuid of each line, when strings.
    sql = MappingProxyType({
        "lines": """
            SELECT session_file, username, line_no, byte_offset,
                   CASE WHEN json_type(j.type) = 'VARCHAR' THEN j.type ->> '$' END AS record_type,
                   CASE WHEN json_type(j.uuid) = 'VARCHAR' THEN j.uuid ->> '$' END AS uuid
            FROM (SELECT *, json_transform(line, '{"type": "JSON", "uuid": "JSON"}') AS j
                  FROM lines)
        """,
    })

    def wants(self, file: SessionFile) -> bool:
        return True
