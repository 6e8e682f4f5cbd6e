"""`bench.calls_lookup` runs the usage merge of today (the index, lookups of `_LOOKUP` ids) and
the one before it (the keys joined with the table) on the same commits -- new calls and later
copies that beat stored ones, more keys than one lookup names -- and fails if the two leave
different ``usage_calls``: a short run is a cross-check of the two, not only a timing."""

from __future__ import annotations

import re

from bench import calls_lookup


def test_both_merges_leave_the_same_calls_and_are_timed() -> None:
    out = calls_lookup.run([400], commits=6, keys=120)
    assert "400 stored calls" in out, out
    assert re.search(r"^  index \(now\)\s+median\s+[\d.]+ ms", out, re.M), out
    assert re.search(r"^  join, no index \(before\)\s+median\s+[\d.]+ ms", out, re.M), out
