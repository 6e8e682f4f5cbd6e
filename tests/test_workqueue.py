from __future__ import annotations

from sessiond.daemon.workqueue import WorkQueue
from sessiond.processors.contract import SessionFile
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


def test_users_are_served_in_turn_not_in_arrival_order() -> None:
    q = WorkQueue(FakeClock())
    for i in range(100):  # one user's backfill arrives first...
        q.put(f(f"big/{i}.jsonl"))
    q.put(f("small/1.jsonl"))  # ...then another user's single file
    q.put(f("other/1.jsonl"))
    first = [x.key for x in q.take(3)]
    assert first == ["big/0.jsonl", "small/1.jsonl", "other/1.jsonl"]
    assert [x.key for x in q.take(2)] == ["big/1.jsonl", "big/2.jsonl"]


def test_the_turn_order_holds_across_takes_and_requeues() -> None:
    clock = FakeClock(0.0)
    q = WorkQueue(clock)
    q.put(f("big/huge.jsonl"))
    for i in range(3):
        q.put(f(f"a/{i}.jsonl"))
        q.put(f(f"b/{i}.jsonl"))
    served = []
    while batch := q.take(1):
        served.append(batch[0].key)
        if batch[0].key == "big/huge.jsonl" and served.count("big/huge.jsonl") < 3:
            q.put(batch[0])  # more to read: requeued after each pass, like the worker does
    # The huge file gets one pass per round, never all of its passes before the others.
    assert served == ["big/huge.jsonl", "a/0.jsonl", "b/0.jsonl", "big/huge.jsonl", "a/1.jsonl",
                      "b/1.jsonl", "big/huge.jsonl", "a/2.jsonl", "b/2.jsonl"]


def test_unget_puts_files_back_first_in_their_lanes() -> None:
    q = WorkQueue(FakeClock())
    for key in ("a/1.jsonl", "a/2.jsonl", "a/3.jsonl"):
        q.put(f(key))
    taken = q.take(3)
    q.put(f("a/4.jsonl"))
    q.unget(taken[1:])
    assert len(q) == 3
    assert [x.key for x in q.take(10)] == ["a/2.jsonl", "a/3.jsonl", "a/4.jsonl"]


def test_a_due_file_put_again_keeps_its_place() -> None:
    clock = FakeClock(0.0)
    q = WorkQueue(clock)
    q.put(f("a/1.jsonl"))
    q.put(f("a/2.jsonl"))
    assert [x.key for x in q.take(1)] == ["a/1.jsonl"]  # a/2 is now due, in its lane
    q.put(f("a/2.jsonl"), ready=50.0)  # due already: a later time changes nothing
    q.put(f("a/1.jsonl"), ready=5.0)
    assert q.take(5) == [f("a/2.jsonl")]
    assert q.next_ready() == 5.0
    clock.advance(10)
    assert q.take(5) == [f("a/1.jsonl")]
    assert q.next_ready() is None and len(q) == 0
