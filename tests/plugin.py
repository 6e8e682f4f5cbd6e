"""A third-party-style processor with a shared table, to prove the determinism guarantee holds for
the `Merging` contract, not only for the built-in processors.

``prompts`` keeps one per-file row per user prompt (``prompt_uses``) and a shared table
(``prompt_firsts``): per distinct prompt text, where it was first written -- the least
(timestamp, file, line) -- and how many times and by how many users. ``merge`` updates only the
texts a batch touches, in SQL over the batch's rows; ``after_delete`` recounts the texts whose
stored count no longer matches. Loaded by name: ``--processors tests.plugin:PromptIndex``.

It ships a report the way a third party would (`PromptIndex.report`): ``sessiond report prompts``.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import orjson

from sessiond.processors.contract import Record, Rows, SessionFile, Tx

USES, FIRSTS = "prompt_uses", "prompt_firsts"

# per digest in `_prompt_keys`: the first use and the counts, over the uses in `{uses}`
_RECOUNT = f"""
INSERT INTO {FIRSTS}
SELECT digest, arg_min(session_file, (ts, session_file, line_no)),
       arg_min(line_no, (ts, session_file, line_no)), count(*), count(DISTINCT username)
FROM {{uses}} WHERE digest IN (SELECT digest FROM _prompt_keys)
GROUP BY digest
"""


class PromptIndex:
    name = "prompts"
    version = 1
    interval = 0.0
    tables = (USES,)
    report = f"{__name__}:REPORT"
    migrations = (
        f"""
        CREATE TABLE {USES} (
            session_file VARCHAR NOT NULL, username VARCHAR NOT NULL, line_no BIGINT NOT NULL,
            ts VARCHAR, digest VARCHAR NOT NULL
        )
        """,
        f"""
        CREATE TABLE {FIRSTS} (
            digest VARCHAR NOT NULL, first_file VARCHAR NOT NULL, first_line BIGINT NOT NULL,
            uses BIGINT NOT NULL, users BIGINT NOT NULL
        )
        """,
    )

    def wants(self, file: SessionFile) -> bool:
        return True

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        rows: list[dict[str, Any]] = []
        for r in records:
            message = r.data.get("message")
            if r.data.get("type") != "user" or not isinstance(message, Mapping):
                continue
            content = message.get("content")
            if isinstance(content, str):
                ts = r.data.get("timestamp")
                rows.append({"session_file": r.file, "username": r.user, "line_no": r.line,
                             "ts": ts if isinstance(ts, str) else None,
                             "digest": hashlib.sha256(content.encode()).hexdigest()[:16]})
        return {USES: rows} if rows else {}

    def merge(self, tx: Tx, rows: Mapping[str, Rows]) -> Mapping[str, Rows]:
        batch = rows.get(USES, ())
        if not len(batch):
            return rows
        new = tx.relation(USES, batch)
        tx.execute(f"CREATE OR REPLACE TEMP TABLE _prompt_keys AS SELECT DISTINCT digest FROM {new}")
        tx.execute(f"DELETE FROM {FIRSTS} WHERE digest IN (SELECT digest FROM _prompt_keys)")
        # the batch's rows are inserted after merge returns: count them in here
        tx.execute(_RECOUNT.format(uses=f"(SELECT * FROM {USES} UNION ALL SELECT * FROM {new})"))
        return rows

    def after_delete(self, tx: Tx, files: Sequence[str]) -> None:
        tx.execute(
            f"CREATE OR REPLACE TEMP TABLE _prompt_keys AS SELECT f.digest FROM {FIRSTS} f "
            f"LEFT JOIN (SELECT digest, count(*) AS n FROM {USES} GROUP BY digest) u "
            "ON u.digest = f.digest WHERE coalesce(u.n, 0) <> f.uses")
        tx.execute(f"DELETE FROM {FIRSTS} WHERE digest IN (SELECT digest FROM _prompt_keys)")
        tx.execute(_RECOUNT.format(uses=USES))


class PromptReport:
    """The prompts written most often: uses, users, and where each was first written."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, default=10, help="the N most used (default 10)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, con: Any, args: argparse.Namespace, out: TextIO) -> int:
        if args.limit < 1:
            out.write("sessiond: --limit must be at least 1\n")
            return 2
        rows = con.execute(
            f"SELECT digest, uses, users, first_file, first_line FROM {FIRSTS} "
            "ORDER BY uses DESC, digest LIMIT ?", [args.limit]).fetchall()
        prompts = [dict(zip(("digest", "uses", "users", "first_file", "first_line"), r, strict=True))
                   for r in rows]
        if args.json:
            out.write(orjson.dumps({"prompts": prompts}).decode() + "\n")
        else:
            out.writelines(f"{p['digest']}  {p['uses']} uses  {p['users']} users  "
                           f"{p['first_file']}:{p['first_line']}\n" for p in prompts)
        return 0


REPORT = PromptReport()
