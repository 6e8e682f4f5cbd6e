"""The `usage_calls` table, kept at ingest, always equals the released dedup view's rule --
merged in Python or in SQL (every case runs both ways).

Real files, the real pipeline, a real DuckDB file: after appends, rewrites, deletions and
copies across files, the stored calls are compared row for row with the rule computed from the
facts -- both `calls.calls_sql` and the text of the view as it was released (migration step 5).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sessiond.daemon.service import Service
from sessiond.processors.kept import Kept
from sessiond.processors.usage import UsageProcessor, calls
from sessiond.processors.usage.calls import COLUMNS, calls_sql
from sessiond.processors.usage.schema import (
    MIGRATIONS,
    PUBLIC_CALLS,
    PUBLIC_DAILY,
    PUBLIC_RECORDS,
    PUBLIC_SESSIONS,
    PUBLIC_TOOL_EVENTS,
)
from sessiond.state.migrations import migrate
from tests.harness import fast_settings, query, running, wait_until
from tests.test_usage_views import Tree as UsageTree

SONNET = "claude-sonnet-4-5-20250929"
COMPONENT = "processor:usage"
RELEASED_VIEW = MIGRATIONS[4]  # the dedup view of the first release (step 5)
ORDER = " ORDER BY session_file, line_no"


class Tree(UsageTree):
    """`tests.test_usage_views.Tree`, plus removing files and reading the stored winners."""

    def remove(self, key: str) -> None:
        (self.root / key).unlink()

    def winners(self, user: str) -> list[tuple[Any, ...]]:
        """(message id, file, output tokens) of each call of a user with a message id."""
        return self.query("SELECT message_id, session_file, output_tokens FROM usage_calls "
                          "WHERE username = ? AND message_id IS NOT NULL ORDER BY message_id",
                          [user])


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path)


@pytest.fixture(autouse=True, params=["python", "sql"])
def merge_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every case both ways `calls.merge` works: in Python (a live append's few records) and in
    SQL (a backfill's big batches; forced here from the first record). In Python the stored
    calls are looked up two message ids a statement, so a batch's lookup spans several."""
    if request.param == "sql":
        monkeypatch.setattr(calls, "SQL_FROM", 1)
    else:
        monkeypatch.setattr(calls, "_LOOKUP", 2)
    return str(request.param)


def assert_follows_the_rule(state: Path) -> int:
    """The stored calls are exactly the rule's, and the released view's; returns how many."""
    with duckdb.connect(str(state), read_only=True) as con:
        stored = con.execute("SELECT * FROM usage_calls" + ORDER).fetchall()
        rule = con.execute(f"SELECT * FROM ({calls_sql()})" + ORDER).fetchall()
        con.execute(RELEASED_VIEW.replace("CREATE VIEW usage_calls", "CREATE TEMP VIEW released"))
        released = con.execute("SELECT * FROM released" + ORDER).fetchall()
        names = [d[0] for d in con.execute("SELECT * FROM usage_calls LIMIT 0").description or ()]
        keys = con.execute(
            "SELECT count(*) FROM (SELECT username, message_id, request_id FROM usage_calls "
            "WHERE message_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1)").fetchone()
    assert tuple(names) == COLUMNS
    assert stored == rule
    assert stored == released
    assert keys == (0,)
    return len(stored)


def at(minute: float) -> str:
    t = dt.datetime(2026, 2, 9, 10, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def call(uid: str, msg: str | None, *, out: int, req: str | None = "req", minute: float | None = 0,
         sidechain: bool | None = False, model: str = SONNET, session: str = "s1",
         inp: int = 10, c1h: int | None = None) -> dict[str, Any]:
    usage: dict[str, Any] = {"input_tokens": inp, "output_tokens": out,
                             "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000}
    if c1h is not None:
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": 100 - c1h,
                                   "ephemeral_1h_input_tokens": c1h}
    message: dict[str, Any] = {"model": model, "role": "assistant", "usage": usage,
                               "content": [{"type": "text", "text": "x"}]}
    if msg is not None:
        message["id"] = msg
    rec: dict[str, Any] = {"type": "assistant", "uuid": uid, "sessionId": session,
                           "message": message, "cwd": "/w"}
    if minute is not None:
        rec["timestamp"] = at(minute)
    if sidechain is not None:
        rec["isSidechain"] = sidechain
    if req is not None:
        rec["requestId"] = req
    return rec


# -- the cases, one by one ---------------------------------------------------------------------


def test_appends_keep_the_largest_copy_of_each_call(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [call("a1", "m1", out=3), call("a2", "m2", out=9, minute=1)])
    tree.ingest()
    assert tree.winners("alice") == [("m1", "alice/s1.jsonl", 3), ("m2", "alice/s1.jsonl", 9)]
    # the final count of m1 arrives in a later append; a smaller copy of m2 does not win
    tree.write("alice/s1.jsonl", [call("a3", "m1", out=400, minute=0.1),
                                  call("a4", "m2", out=2, minute=1.1),
                                  call("a5", None, out=7, minute=2)], append=True)
    tree.ingest()
    assert tree.winners("alice") == [("m1", "alice/s1.jsonl", 400), ("m2", "alice/s1.jsonl", 9)]
    tree.write("alice/s1.jsonl", [call("a6", None, out=7, minute=2),  # no id: counts as it is
                                  call("a7", "m1", out=400, minute=0.1)], append=True)
    tree.ingest()
    # a7 ties with a3 on everything but the line: the first written stays
    assert tree.query("SELECT line_no FROM usage_calls WHERE message_id = 'm1'") == [(3,)]
    assert assert_follows_the_rule(tree.state) == 4


def test_copies_in_two_files_of_one_user_count_once(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [
        call("a1", "m1", out=50),
        call("a2", "m2", out=60, minute=1),
        call("a3", "m3", out=70, minute=2),
        call("a4", "m4", out=80, minute=3, req=None),
    ])
    tree.write("alice/s2.jsonl", [                    # resumed: the history copied, then more
        call("a1", "m1", out=50),                     # same copy: the earlier file name wins
        call("a2", "m2", out=61, minute=1),           # a larger copy wins from the other file
        call("a3", "m3", out=70, minute=1.5),         # same total, written earlier: wins
        call("a4", "m4", out=80, minute=3, req=None),  # no requestId: still one call
        call("b1", "m5", out=5, minute=4, session="s2"),
    ])
    tree.write("alice/s2/subagents/agent-x.jsonl", [
        call("x1", "m5", out=5, minute=3.5, sidechain=True),  # tie, earlier, but a sidechain
    ])
    tree.write("bob/s9.jsonl", [call("c1", "m1", out=9, session="s9")])  # another user: apart
    tree.ingest()
    assert tree.winners("alice") == [
        ("m1", "alice/s1.jsonl", 50), ("m2", "alice/s2.jsonl", 61),
        ("m3", "alice/s2.jsonl", 70), ("m4", "alice/s1.jsonl", 80), ("m5", "alice/s2.jsonl", 5)]
    assert tree.winners("bob") == [("m1", "bob/s9.jsonl", 9)]
    assert assert_follows_the_rule(tree.state) == 6


def test_copies_arriving_in_separate_commits_end_the_same(tree: Tree) -> None:
    """The order the copies are committed in does not change the winner."""
    tree.write("alice/s2.jsonl", [call("a1", "m1", out=50), call("a3", "m3", out=70, minute=2)])
    tree.ingest()
    tree.write("alice/s1.jsonl", [call("a1", "m1", out=50), call("a3", "m3", out=70, minute=1)])
    tree.ingest()
    assert tree.winners("alice") == [("m1", "alice/s1.jsonl", 50), ("m3", "alice/s1.jsonl", 70)]
    assert assert_follows_the_rule(tree.state) == 2


def test_a_rewrite_hands_the_call_to_the_remaining_copy(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [call("a1", "m1", out=400), call("a2", "m2", out=5, minute=1)])
    tree.write("alice/s2.jsonl", [call("a1", "m1", out=3), call("a2", "m2", out=5, minute=1)])
    tree.ingest()
    assert tree.winners("alice") == [("m1", "alice/s1.jsonl", 400), ("m2", "alice/s1.jsonl", 5)]
    # s1 replaced by another upload: m1 only as a smaller copy, m2 gone
    tree.write("alice/s1.jsonl", [call("z1", "m1", out=2, inp=1), call("z2", "m9", out=1)])
    tree.ingest()
    assert tree.winners("alice") == [
        ("m1", "alice/s2.jsonl", 3), ("m2", "alice/s2.jsonl", 5), ("m9", "alice/s1.jsonl", 1)]
    assert assert_follows_the_rule(tree.state) == 3
    # and back: a larger copy in the rewritten file wins again
    tree.write("alice/s1.jsonl", [call("y1", "m1", out=900)])
    tree.ingest()
    assert tree.winners("alice") == [("m1", "alice/s1.jsonl", 900), ("m2", "alice/s2.jsonl", 5)]
    assert assert_follows_the_rule(tree.state) == 2


def test_a_deleted_file_hands_the_call_to_the_remaining_copy(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [call("a1", "m1", out=400), call("a2", None, out=1)])
    tree.write("alice/s2.jsonl", [call("a1", "m1", out=3), call("b1", "m2", out=4)])
    tree.ingest()
    tree.remove("alice/s1.jsonl")
    tree.ingest()
    assert tree.winners("alice") == [("m1", "alice/s2.jsonl", 3), ("m2", "alice/s2.jsonl", 4)]
    assert assert_follows_the_rule(tree.state) == 2
    tree.remove("alice/s2.jsonl")
    tree.ingest()
    assert assert_follows_the_rule(tree.state) == 0


def test_synthetic_records_and_the_cache_split_as_the_view_had_them(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [
        call("a1", "m1", out=5, c1h=30),
        call("a2", "m2", out=5, c1h=100),
        call("a3", "m3", out=0, model="<synthetic>"),
        call("a4", "m4", out=1, sidechain=None),  # no isSidechain
        call("a5", "m5", out=1, minute=None),  # no timestamp: not counted (`valid`), as by ccusage
    ])
    tree.ingest()
    assert tree.query("SELECT message_id, cache_creation_5m, cache_creation_1h, day "
                      "FROM usage_calls ORDER BY message_id") == [
        ("m1", 70, 30, dt.date(2026, 2, 9)), ("m2", 0, 100, dt.date(2026, 2, 9)),
        ("m4", 100, 0, dt.date(2026, 2, 9))]
    assert assert_follows_the_rule(tree.state) == 3


# -- an existing database ----------------------------------------------------------------------


def test_the_migration_fills_the_table_from_the_facts_of_an_older_database(tree: Tree) -> None:
    tree.write("alice/s1.jsonl", [call("a1", "m1", out=3), call("a2", "m1", out=400),
                                  call("a3", None, out=1), call("a4", "m3", out=0,
                                                                model="<synthetic>")])
    tree.write("alice/s2.jsonl", [call("a2", "m1", out=400), call("b1", "m2", out=8)])
    tree.ingest()
    # Turn the state file back into the first release's schema: the calls as the view.
    with duckdb.connect(str(tree.state)) as con:
        con.execute("DROP TABLE usage_calls")
        for view in (PUBLIC_CALLS, PUBLIC_RECORDS, PUBLIC_DAILY, PUBLIC_SESSIONS,
                     PUBLIC_TOOL_EVENTS):  # a later step's (11: the public views)
            con.execute(f"DROP VIEW {view}")
        con.execute(RELEASED_VIEW)
        con.execute("UPDATE schema_version SET version = 9 WHERE component = ?", [COMPONENT])
        before = con.execute("SELECT * FROM usage_calls" + ORDER).fetchall()
        assert migrate(con, COMPONENT, MIGRATIONS) == len(MIGRATIONS) - 9
        kind = con.execute("SELECT table_type FROM information_schema.tables "
                           "WHERE table_name = 'usage_calls'").fetchall()
        after = con.execute("SELECT * FROM usage_calls" + ORDER).fetchall()
        summary = con.execute("SELECT api_calls FROM usage_session_summary "
                              "ORDER BY session_id").fetchall()
    assert kind == [("BASE TABLE",)]
    assert after == before and len(after) == 3
    assert summary == [(3,)]  # the views that read usage_calls still bind to it
    # and the daemon maintains it from there
    tree.remove("alice/s1.jsonl")
    tree.ingest()
    assert tree.winners("alice") == [("m1", "alice/s2.jsonl", 400), ("m2", "alice/s2.jsonl", 8)]
    assert assert_follows_the_rule(tree.state) == 2


# -- random histories ----------------------------------------------------------------------------

FILES = ("alice/s1.jsonl", "alice/s2.jsonl", "alice/s1/subagents/agent-x.jsonl",
         "bob/s1.jsonl", "bob/s3.jsonl")


def random_record(rng: random.Random, serial: int) -> dict[str, Any]:
    """A record drawn from small pools, so copies, ties and odd fields are frequent."""
    return call(
        f"u{serial}",
        rng.choice(("m1", "m2", "m3", "m4", None)),
        out=rng.choice((1, 2, 5)),
        inp=rng.choice((0, 1)),
        req=rng.choice(("r1", "r1", "r2", None)),
        minute=rng.choice((0, 1, 1, 2, None)),
        sidechain=rng.choice((False, False, True, None)),
        model=rng.choice((SONNET, SONNET, SONNET, "<synthetic>")),
        c1h=rng.choice((None, 40, 300)),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_keep_the_table_equal_to_the_rule(tree: Tree, seed: int) -> None:
    rng = random.Random(seed)
    serial = 0
    present: set[str] = set()

    def records(n: int) -> list[dict[str, Any]]:
        nonlocal serial
        out = []
        for _ in range(n):
            serial += 1
            out.append(random_record(rng, serial))
        return out

    for _ in range(12):
        key = rng.choice(FILES)
        action = rng.choice(("append", "append", "append", "rewrite", "delete"))
        if action == "delete" and key in present:
            tree.remove(key)
            present.discard(key)
        elif action == "rewrite" and key in present:
            tree.write(key, records(rng.randint(1, 6)))  # new content from the first byte
        else:
            tree.write(key, records(rng.randint(1, 6)), append=True)
            present.add(key)
        tree.ingest()
        assert_follows_the_rule(tree.state)
    assert tree.query("SELECT count(*) FROM usage_records") != [(0,)]


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_random_histories_through_one_running_daemon_keep_the_table_equal_to_the_rule(
    tree: Tree, seed: int, merge_way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One daemon through the whole history, as on a server: the copies of a call that arrive
    in later appends find its stored winner in memory (`calls.WINNERS`, kept once a commit is
    through, forgotten when a file's records go or a big batch merges in SQL) -- and the table
    equals the rule after every step."""
    rng = random.Random(seed)
    known: list[bool] = []
    get = Kept.get

    def counted(self: Kept[Any, Any], keys: Any) -> Any:
        keys = list(keys)
        found = get(self, keys)
        known.append(len(found) == len(keys))
        return found

    monkeypatch.setattr(Kept, "get", counted)
    serial = 0
    present: set[str] = set()
    last: list[tuple[str, str]] = []

    def caught_up(svc: Service) -> bool:
        rows = dict(query(svc, "SELECT session_file, offset_bytes FROM session_processor_state"))
        return rows == {k: (tree.root / k).stat().st_size for k in present}

    for key in FILES:  # the folders first: watchdog re-adding a watch for a folder made while
        # its parent's watch is being added warns from its thread (an error under pytest)
        (tree.root / key).parent.mkdir(parents=True, exist_ok=True)
    with running(fast_settings(tree.root, tree.state), [UsageProcessor()]) as svc:
        for _ in range(14):
            key = rng.choice(FILES)
            action = rng.choice(("append", "append", "append", "append", "rewrite", "delete"))
            serial += 10
            batch = [random_record(rng, serial + i) for i in range(rng.randint(1, 4))]
            for r in batch:  # mostly more copies of the calls just seen, as a stream writes them
                if last and rng.random() < 0.7:
                    r["message"]["id"], r["requestId"] = rng.choice(last)
                    r["sessionId"] = "s1"
            last = [(r["message"]["id"], r["requestId"]) for r in batch
                    if "id" in r["message"] and "requestId" in r]
            if action == "delete" and key in present:
                tree.remove(key)
                present.discard(key)
            elif action == "rewrite" and key in present:
                tree.write(key, batch)
            else:
                tree.write(key, batch, append=True)
                present.add(key)
            wait_until(lambda: caught_up(svc), what=f"the daemon after a {action} of {key}")
            con = svc.reader()
            try:
                stored = con.execute("SELECT * FROM usage_calls" + ORDER).fetchall()
                assert stored == con.execute(f"SELECT * FROM ({calls_sql()})" + ORDER).fetchall()
            finally:
                con.close()
    if merge_way == "python":
        assert any(known), "no append found its keys' winners in memory"
