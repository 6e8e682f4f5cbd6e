from __future__ import annotations

from sessiond.processors.framing import Framer, Line
from sessiond.processors.reader import NOT_TURNS, Decoded, decode


def decoded(data: bytes, max_line_bytes: int = 1000, first_line: int = 1) -> Decoded:
    out = Decoded()
    decode(Framer(0, max_line_bytes=max_line_bytes).feed(data), file="u/f.jsonl", user="u",
           first_line=first_line, into=out)
    return out


def test_records_carry_file_user_offset_and_line() -> None:
    d = decoded(b'{"a":1}\n{"b":2}\n')
    assert [(r.file, r.user, r.offset, r.line, dict(r.data)) for r in d.records] == [
        ("u/f.jsonl", "u", 0, 1, {"a": 1}),
        ("u/f.jsonl", "u", 8, 2, {"b": 2}),
    ]
    assert d.lines == 2


def test_bad_lines_are_values_and_do_not_stop_the_rest() -> None:
    d = decoded(b'{"a":1}\n{not json\n[1,2]\n"str"\n\xff\xfe{}\n{"z":3}\n')
    assert [r.data for r in d.records] == [{"a": 1}, {"z": 3}]
    assert [(b.line, b.kind) for b in d.bad] == [
        (2, "malformed_json"), (3, "not_object"), (4, "not_object"), (5, "malformed_json"),
    ]
    assert d.lines == 6


def test_bom_crlf_and_blank_lines_are_tolerated() -> None:
    d = decoded(b'\xef\xbb\xbf{"a":1}\r\n\r\n\n{"b":2}\r\n')
    assert [r.data for r in d.records] == [{"a": 1}, {"b": 2}]
    assert [r.line for r in d.records] == [1, 4]
    assert d.blank == 2 and not d.bad


def test_too_long_line_is_reported_with_its_number() -> None:
    d = decoded(b'{"a":1}\n{"long":"' + b"x" * 50 + b'"}\n{"b":2}\n', max_line_bytes=20, first_line=10)
    assert [r.line for r in d.records] == [10, 12]
    assert [(b.line, b.kind, b.offset) for b in d.bad] == [(11, "line_too_long", 8)]


def test_lines_with_a_skip_prefix_are_counted_not_parsed() -> None:
    framed = [Line(0, b'{"type":"file-history-snapshot","snapshot":{}}'),
              Line(50, b'{"type":"file-history-snapshot" broken'),  # not checked either
              Line(90, b'{"snapshot":{},"type":"file-history-snapshot"}'),  # written otherwise: parsed
              Line(140, b'{"type":"user"}')]
    out = Decoded()
    decode(framed, file="u/f.jsonl", user="u", first_line=1, into=out, skip=NOT_TURNS)
    assert [(r.line, r.data["type"]) for r in out.records] == [(3, "file-history-snapshot"), (4, "user")]
    assert (out.skipped, out.lines, out.bad) == (2, 4, [])
