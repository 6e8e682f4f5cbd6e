from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sessiond.processors.framing import Framer, Line, Oversize


def frame(chunks: list[bytes], max_line_bytes: int = 1000, start: int = 0) -> tuple[list[Line | Oversize], Framer]:
    framer = Framer(start, max_line_bytes=max_line_bytes)
    out: list[Line | Oversize] = []
    for chunk in chunks:
        out.extend(framer.feed(chunk))
    return out, framer


def test_only_complete_lines_come_out() -> None:
    out, framer = frame([b'{"a":1}\n{"b"', b":2}\n{\"partial"])
    assert out == [Line(0, b'{"a":1}'), Line(8, b'{"b":2}')]
    assert framer.consumed == 16
    assert framer.pending == len(b'{"partial')


def test_offsets_continue_from_start() -> None:
    out, framer = frame([b"x\ny\n"], start=100)
    assert out == [Line(100, b"x"), Line(102, b"y")]
    assert framer.consumed == 104


def test_oversize_line_is_marked_not_buffered() -> None:
    framer = Framer(0, max_line_bytes=4)
    assert framer.feed(b"ok\n" + b"x" * 10) == [Line(0, b"ok")]
    assert framer.feed(b"y" * 1_000) == []  # dropped as it arrives
    assert framer.pending == 1_010
    assert framer.feed(b"z\nnext\n") == [Oversize(3, 1_012), Line(1_015, b"next")]
    assert framer.consumed == 1_020


def test_oversize_line_within_one_chunk() -> None:
    out, _ = frame([b"123456\nab\n"], max_line_bytes=5)
    assert out == [Oversize(0, 7), Line(7, b"ab")]


def test_empty_lines_are_lines() -> None:
    out, framer = frame([b"\n\n\n"])
    assert out == [Line(0, b""), Line(1, b""), Line(2, b"")]
    assert framer.consumed == 3


@given(st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=20),
       st.binary(max_size=10).map(lambda b: b.replace(b"\n", b"")),
       st.lists(st.integers(min_value=1, max_value=17), min_size=1, max_size=50))
def test_any_chunking_gives_the_same_lines(lines: list[bytes], tail: bytes, cuts: list[int]) -> None:
    data = b"".join(line + b"\n" for line in lines) + tail
    chunks, i, k = [], 0, 0
    while i < len(data):
        step = cuts[k % len(cuts)]
        chunks.append(data[i : i + step])
        i += step
        k += 1
    out, framer = frame(chunks, max_line_bytes=20)
    expected: list[Line | Oversize] = []
    offset = 0
    for line in lines:
        expected.append(Line(offset, line) if len(line) <= 20 else Oversize(offset, len(line) + 1))
        offset += len(line) + 1
    assert out == expected
    assert framer.consumed == offset
