"""The SQL form frames and judges lines exactly as the Python form does (`processors.sqlform`
against `processors.framing.Framer` + `processors.reader.decode`), whatever the bytes and
however they arrive; its queries see the good lines with the file's columns."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessiond.daemon.examine import Examined, Found, finish
from sessiond.processors import sqlform
from sessiond.processors.contract import SessionFile
from sessiond.processors.framing import BlockFramer, Framer
from sessiond.processors.lines import LinesProcessor
from sessiond.processors.reader import BOM, NOT_TURNS, Decoded, decode

FILE = SessionFile("alice/s1.jsonl", "alice")
SUBAGENT = SessionFile("alice/s1/subagents/agent-a7.jsonl", "alice")

_OBJECTS = st.dictionaries(
    st.sampled_from(["type", "uuid", "x", "message", "NaN"]),
    st.one_of(st.none(), st.booleans(), st.integers(-5, 2**60), st.floats(allow_nan=False),
              st.text(max_size=12), st.sampled_from(["user", "assistant", ""]),
              st.lists(st.integers(-10, 10), max_size=3)),
    max_size=4,
)

_LINES = st.one_of(
    _OBJECTS.map(orjson.dumps),
    st.sampled_from([
        b"", b"   ", b"\t\r", b"{bad", b"[1, 2]", b'"text"', b"42", b"null", b'{"a":NaN}',
        b'{"a":[1,]}', b'{"a":1,}', b'{"a":Infinity}', b'{"t":"NaN,}"}', b'{"a":"\xff"}',
        b"\xff\xfe", b' {"type":"user"}', b'{"type":"user"} ', b'{"a":1} x',
        b'{"type":"file-history-snapshot","x":1}', b'{"type":"summary"', b"x" * 40,
        b'{"type":"user","uuid":"' + b"u" * 30 + b'"}', b'{"a":123456789012345678901234567890}',
        # valid JSON beyond orjson's limits (a double; 1,024 levels), which DuckDB's parser takes,
        # and their near misses, which both take
        b'{"a":1e400}', b'{"a": [-2.5E+0309]}', b'{"a":' + b"9" * 310 + b"}", b'{"a":1e-400}',
        b'{"a":' + b"9" * 300 + b"}", b'{"sha":"3e456","n":1e300}',
        b'{"a":' + b"[" * 1100 + b"]" * 1100 + b"}", b'{"a":' + b"[" * 1000 + b"]" * 1000 + b"}",
        b'{"a":' + b'{"b":' * 1030 + b"1" + b"}" * 1030 + b"}", b'{"s":"' + b"{" * 1500 + b'"}',
    ]),
)


def _python_form(data: bytes, chunks: list[bytes], *, max_line_bytes: int,
                 skip: tuple[bytes, ...]) -> Decoded:
    framer = Framer(0, max_line_bytes=max_line_bytes)
    items = [item for chunk in chunks for item in framer.feed(chunk)]
    decoded = Decoded()
    decode(items, file=FILE.key, user=FILE.user, first_line=1, into=decoded, skip=skip)
    return decoded


def _sql_form(chunks: list[bytes], *, max_line_bytes: int,
              skip: tuple[bytes, ...], here: bool = True) -> sqlform.Framed:
    framer = BlockFramer(0, max_line_bytes=max_line_bytes)
    for chunk in chunks:
        framer.feed(chunk)
    return sqlform.frame([(FILE, framer.block(), 1)], skip=skip, here=here)


def _chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_LINES, max_size=14), bom=st.booleans(), crlf=st.booleans(),
       tail=st.sampled_from([b"", b'{"partial', b"\r"]), cuts=st.lists(st.integers(0, 400), max_size=4),
       max_line_bytes=st.sampled_from([24, 64, 1 << 20]), skipping=st.booleans())
def test_the_sql_form_judges_every_line_as_the_python_form(
    lines: list[bytes], bom: bool, crlf: bool, tail: bytes, cuts: list[int], max_line_bytes: int,
    skipping: bool,
) -> None:
    end = b"\r\n" if crlf else b"\n"
    data = (BOM if bom else b"") + b"".join(line + end for line in lines) + tail
    chunks = _chunked(data, cuts)
    skip = NOT_TURNS if skipping else ()
    python = _python_form(data, chunks, max_line_bytes=max_line_bytes, skip=skip)
    for here in (False, True):  # classified by DuckDB's query, and (a small batch) line by line
        _judged_as(python, _sql_form(chunks, max_line_bytes=max_line_bytes, skip=skip, here=here))


def _judged_as(python: Decoded, framed: sqlform.Framed) -> None:
    got = framed.decoded[0]
    assert (got.lines, got.blank, got.skipped) == (python.lines, python.blank, python.skipped)
    assert got.bad == python.bad
    good = framed.table.filter(pa.compute.equal(framed.table.column("kind"), sqlform.GOOD))
    assert good.column("line_no").to_pylist() == [r.line for r in python.records]
    assert good.column("byte_offset").to_pylist() == [r.offset for r in python.records]
    assert [orjson.loads(t) for t in good.column("line").to_pylist()] == [
        r.data for r in python.records]
    assert framed.good() == len(python.records)
    # and the `lines` processor's rows are what its Python form made of the records
    rows = sqlform.run(LinesProcessor.sql, framed)[FILE.key]
    got_rows = sorted(rows["lines"].to_pylist() if rows else [], key=lambda r: r["line_no"])
    assert got_rows == [_lines_row(r) for r in python.records]  # a set of rows: any order


def _lines_row(record: Any) -> dict[str, Any]:
    def text(value: object) -> str | None:
        return value if isinstance(value, str) else None
    return {"session_file": record.file, "username": record.user, "line_no": record.line,
            "byte_offset": record.offset, "record_type": text(record.data.get("type")),
            "uuid": text(record.data.get("uuid"))}


@pytest.fixture
def queried(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The row counts of the tables the classification query ran on, in order."""
    rows: list[int] = []
    classify = sqlform.classify
    monkeypatch.setattr(sqlform, "classify", lambda table, *a, **k: (
        rows.append(table.num_rows), classify(table, *a, **k))[1])
    return rows


def test_a_small_batch_is_judged_line_by_line_and_a_large_one_by_the_query(queried: list[int]) -> None:
    small = b'{"type":"a"}\n{bad\n\n' * 10
    framed = sqlform.frame([(FILE, _block(small), 1)])
    assert queried == []
    assert [(b.line, b.kind) for b in framed.decoded[0].bad] == [(n, "malformed_json") for n in range(2, 30, 3)]
    assert (framed.decoded[0].blank, framed.good()) == (10, 10)
    large = b'{"type":"a"}\n' * (sqlform._HERE_LINES + 1)
    assert sqlform.frame([(FILE, _block(large), 1)]).good() == sqlform._HERE_LINES + 1
    assert queried == [sqlform._HERE_LINES + 1]


def test_a_line_the_queries_cannot_parse_is_judged_again_by_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    """orjson and DuckDB's parser could disagree on a line (none is known): a small batch judged
    line by line whose query then fails is classified by DuckDB, which reports the line, and the
    rest of the batch commits."""
    judged = sqlform._judged_here

    def lenient(*args: Any) -> pa.Array:  # orjson taking a line DuckDB's parser refuses
        kinds = judged(*args)
        return pa.array([sqlform.GOOD if k is not None else None for k in kinds.to_pylist()], pa.uint8())

    monkeypatch.setattr(sqlform, "_judged_here", lenient)
    sql = {"t": "SELECT line_no, json_transform(line, '{\"a\": \"INTEGER\"}').a AS a FROM lines"}
    files = {FILE: b'{"a":1}\n{"a":2,,}\n', SUBAGENT: b'{"a":3}\n'}
    found = [(f, Examined(Found.READ, block=_block(data), first_line=1)) for f, data in files.items()]
    finish(_Selecting(sql), found, skip=(), prepare_many=lambda p, rows: [dict(r) for r in rows])
    (_, main), (_, sub) = found
    assert main.error is None and sub.error is None
    assert [(b.line, b.kind) for b in main.bad] == [(2, "malformed_json")]
    assert main.rows["t"].to_pylist() == [{"line_no": 1, "a": 1}]
    assert sub.rows["t"].to_pylist() == [{"line_no": 1, "a": 3}]


def test_a_failing_query_classifies_a_file_again_only_if_it_was_judged_here(queried: list[int]) -> None:
    failing = _Selecting({"t": "SELECT error('a bug') AS x FROM lines"})
    for lines in (3, sqlform._HERE_LINES + 1):
        found = [(FILE, Examined(Found.READ, block=_block(b'{"a":1}\n' * lines), first_line=1))]
        finish(failing, found, skip=(), prepare_many=lambda p, rows: [dict(r) for r in rows])
        assert found[0][1].error is not None and "a bug" in found[0][1].error
    assert queried == [3, sqlform._HERE_LINES + 1]  # the small file once more, the large once


class _Selecting:
    name, version, interval, tables = "t", 1, 0.0, ("t",)

    def __init__(self, sql: dict[str, str]) -> None:
        self.sql = sql

    def wants(self, file: SessionFile) -> bool:
        return True


def _block(data: bytes) -> Any:
    framer = BlockFramer(0, max_line_bytes=1 << 20)
    framer.feed(data)
    return framer.block()


def test_the_queries_see_the_files_columns() -> None:
    sql = {"t": "SELECT session_file, username, session_id, agent_id, is_subagent, line_no, "
                "byte_offset, line FROM lines"}
    data = b'{"a":1}\n{"b":2}\n'
    main = sqlform.select(sql, FILE, data)["t"].sort_by("line_no").to_pylist()
    assert [(r["session_id"], r["agent_id"], r["is_subagent"]) for r in main] == [
        ("s1", None, False)] * 2
    assert [(r["line_no"], r["byte_offset"], r["line"]) for r in main] == [
        (1, 0, '{"a":1}\n'), (2, 8, '{"b":2}\n')]
    sub = sqlform.select(sql, SUBAGENT, data)["t"].to_pylist()
    assert {(r["session_file"], r["session_id"], r["agent_id"], r["is_subagent"]) for r in sub} == {
        (SUBAGENT.key, "s1", "a7", True)}


def test_a_table_without_rows_is_left_out_and_no_good_line_runs_nothing() -> None:
    sql = {"kept": "SELECT line_no FROM lines", "empty": "SELECT line_no FROM lines WHERE false"}
    assert set(sqlform.select(sql, FILE, b'{"a":1}\n')) == {"kept"}
    assert sqlform.select(sql, FILE, b"{bad\n\n") == {}


def test_many_lines_arrive_in_order_across_chunks() -> None:
    data = b"".join(orjson.dumps({"type": "user", "uuid": f"u{i}", "pad": "x" * (i % 500)}) + b"\n"
                    for i in range(20_000))
    rows = sqlform.select(LinesProcessor.sql, FILE, data)["lines"].sort_by("line_no")
    assert rows.column("uuid").to_pylist() == [f"u{i}" for i in range(20_000)]
    assert rows.column("line_no").to_pylist() == list(range(1, 20_001))


def test_a_batch_of_files_is_classified_and_mapped_once_each_file_its_own() -> None:
    data = {FILE: b'{"type":"a","uuid":"1"}\n{bad\n\n', SUBAGENT: b'{"type":"b"}\n[1]\n',
            SessionFile("bob/s2.jsonl", "bob"): b"", SessionFile("bob/s3.jsonl", "bob"): b"{x\n"}
    parts = []
    for file, bytes_ in data.items():
        framer = BlockFramer(0, max_line_bytes=1 << 20)
        framer.feed(bytes_)
        parts.append((file, framer.block(), 1))
    framed = sqlform.frame(parts)
    assert [(d.lines, d.blank, [(b.line, b.kind) for b in d.bad]) for d in framed.decoded] == [
        (3, 1, [(2, "malformed_json")]), (2, 0, [(2, "not_object")]), (0, 0, []),
        (1, 0, [(1, "malformed_json")])]
    rows = sqlform.run(LinesProcessor.sql, framed)
    assert {k: sorted((r["username"], r["line_no"], r["record_type"])
                      for r in v["lines"].to_pylist()) for k, v in rows.items() if v} == {
        FILE.key: [("alice", 1, "a")], SUBAGENT.key: [("alice", 1, "b")]}
    assert rows["bob/s2.jsonl"] == {} and rows["bob/s3.jsonl"] == {}
