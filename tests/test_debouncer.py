from __future__ import annotations

from sessiond.daemon.debouncer import Debouncer


def test_released_after_settle_when_quiet() -> None:
    d = Debouncer(settle=0.25, max_delay=2.0)
    d.mark("a", 10.0)
    assert d.due(10.2) == []
    assert d.next_deadline() == 10.25
    assert d.due(10.25) == ["a"]
    assert len(d) == 0 and d.next_deadline() is None


def test_new_events_push_the_settle_deadline() -> None:
    d = Debouncer(settle=0.25, max_delay=2.0)
    d.mark("a", 10.0)
    d.mark("a", 10.2)
    assert d.due(10.3) == []
    assert d.due(10.45) == ["a"]


def test_a_file_that_never_stops_is_released_at_max_delay() -> None:
    d = Debouncer(settle=0.25, max_delay=2.0)
    released_at = None
    for step in range(30):  # an event every 0.1 s, forever quiet for less than settle
        t = 10.0 + step / 10
        d.mark("busy", t)
        if d.due(t):
            released_at = t
            break
    assert released_at == 12.0


def test_files_are_independent_and_marked_again_after_release() -> None:
    d = Debouncer(settle=0.25, max_delay=2.0)
    d.mark("a", 0.0)
    d.mark("b", 0.1)
    assert d.due(0.3) == ["a"]
    d.mark("a", 0.31)
    assert d.due(0.35) == ["b"]
    assert d.due(0.56) == ["a"]


def test_mark_reports_an_earlier_deadline() -> None:
    d = Debouncer(settle=0.25, max_delay=2.0)
    assert d.mark("a", 5.0) is True
    assert d.mark("a", 5.1) is False  # later deadline: the loop need not wake
