from __future__ import annotations

from daemon.workqueue import WorkQueue
from processors.contract import SessionFile
from tests.fakes import FakeClock


def f(key: str) -> SessionFile:
    return SessionFile(key, key.split("/")[0])


def test_a_file_is_queued_at_most_once() -> None:
    q = WorkQueue(FakeClock())
    for _ in range(3):
        q.put(f("a/1.jsonl"))
    q.put(f("a/2.jsonl"))
    assert len(q) == 2
    assert [x.key for x in q.take(10)] == ["a/1.jsonl", "a/2.jsonl"]
    assert len(q) == 0 and q.take(10) == []


def test_not_ready_files_wait_and_an_earlier_put_wins() -> None:
    clock = FakeClock(100.0)
    q = WorkQueue(clock)
    q.put(f("a/1.jsonl"), ready=105.0)
    assert q.take(10) == []
    assert q.next_ready() == 105.0
    q.put(f("a/1.jsonl"), ready=110.0)  # later: ignored
    assert q.next_ready() == 105.0
    q.put(f("a/1.jsonl"))  # now: wins
    assert [x.key for x in q.take(10)] == ["a/1.jsonl"]
    assert q.next_ready() is None


def test_take_respects_limit_and_ready_order_and_once_mode() -> None:
    clock = FakeClock(0.0)
    q = WorkQueue(clock)
    q.put(f("a/late.jsonl"), ready=50.0)
    q.put(f("a/x.jsonl"))
    q.put(f("a/y.jsonl"))
    assert [x.key for x in q.take(1)] == ["a/x.jsonl"]
    assert [x.key for x in q.take(5, ignore_ready=True)] == ["a/y.jsonl", "a/late.jsonl"]


def test_oldest_since_tracks_the_first_put() -> None:
    clock = FakeClock(10.0)
    q = WorkQueue(clock)
    q.put(f("a/1.jsonl"))
    clock.advance(5)
    q.put(f("a/1.jsonl"))
    q.put(f("a/2.jsonl"))
    assert q.oldest_since() == 10.0
