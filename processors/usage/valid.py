"""Whether a record's usage can be counted: the shape ccusage 20.0.24 accepts, checked field by
field, so that a report over a tree with damaged records is still ccusage's -- and, unlike
ccusage (which skips such a record without a word), each one is reported: ``line.invalid``
with the field and what was wrong, and a bad line of ``usage``.

ccusage reads any record with ``message.usage`` (whatever its ``type``) and skips it, whole,
when a field it reads has the wrong type. Measured on 137 one-record files, one field changed in
each (BENCHMARKS, twenty-fifth session): it skips a token count that is not an integer from 0 to
2^64 - 1 (a string, a float even if integral, null, a bool, a negative number), a missing
``input_tokens`` or ``output_tokens``, a null cache count, a ``cache_creation`` split with such
a count; a ``timestamp`` that is missing or not RFC 3339 with seconds, no fraction or three
digits of it, and ``Z`` or an ``±hh:mm`` offset (a naive time, a date alone, microseconds,
``+0500``, a space for ``T``, February 30); a ``message.model`` that is not a non-empty string;
``isSidechain`` that is not a bool (null is taken); ``usage.speed``, ``version``, ``sessionId``
that are not strings; a null ``cwd``; ``costUSD`` that is not a number; ``isApiErrorMessage``
that is not a bool. It takes anything in ``message.id``, ``requestId``, ``uuid``,
``service_tier``, ``server_tool_use``, ``message.content`` and unknown keys.
(`tests/test_usage_extract.py` keeps those cases.)

Where this differs: a count above 2^53 - 1, which ccusage takes up to 2^64 - 1, is skipped here
too -- no token count is that large, and the sum of four must fit the tables' BIGINT.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Final

MAX_COUNT: Final = 2**53 - 1  # (exact in a double; four of them sum inside a BIGINT)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII)
_COUNTS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_REQUIRED = ("input_tokens", "output_tokens")
_SPLIT = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
_MISSING: Final = object()


def why_not(data: Mapping[str, Any], message: Mapping[str, Any], usage: object,
            ts: dt.datetime | None) -> str | None:
    """None if the record's usage can be counted, else what is wrong with it (one field).
    ``ts``: the record's ``timestamp`` as the extraction parsed it (None: it did not), so a
    well-formed one is parsed once."""
    if not isinstance(usage, dict):
        return f"message.usage is {_kind(usage)}, not an object"
    for name in _COUNTS:
        value = usage.get(name, _MISSING)
        if value is _MISSING:
            if name in _REQUIRED:
                return f"message.usage.{name} is missing"
        elif (wrong := _not_count(value)) is not None:
            return f"message.usage.{name} {wrong}"
    split = usage.get("cache_creation")
    if split is not None:
        if not isinstance(split, dict):
            return f"message.usage.cache_creation is {_kind(split)}, not an object"
        for name in _SPLIT:
            if name in split and (wrong := _not_count(split[name])) is not None:
                return f"message.usage.cache_creation.{name} {wrong}"
    if "speed" in usage and not isinstance(usage["speed"], str):
        return f"message.usage.speed is {_kind(usage['speed'])}, not a string"
    if "model" in message and not (isinstance(message["model"], str) and message["model"]):
        return f"message.model is {_kind(message['model'])}, not a model's name"
    if (wrong := _not_timestamp(data.get("timestamp", _MISSING), ts)) is not None:
        return f"timestamp {wrong}"
    return _not_typed(data)


def _not_typed(data: Mapping[str, Any]) -> str | None:
    """The record's other fields that ccusage reads, by type."""
    for name in ("version", "sessionId"):
        if name in data and not isinstance(data[name], str):
            return f"{name} is {_kind(data[name])}, not a string"
    if "isSidechain" in data and data["isSidechain"] is not None and not isinstance(data["isSidechain"], bool):
        return f"isSidechain is {_kind(data['isSidechain'])}, not true or false"
    if "cwd" in data and data["cwd"] is None:
        return "cwd is null"
    if "costUSD" in data and (isinstance(data["costUSD"], bool)
                              or not isinstance(data["costUSD"], int | float)):
        return f"costUSD is {_kind(data['costUSD'])}, not a number"
    if "isApiErrorMessage" in data and not isinstance(data["isApiErrorMessage"], bool):
        return f"isApiErrorMessage is {_kind(data['isApiErrorMessage'])}, not true or false"
    return None


def _not_count(value: object) -> str | None:
    if type(value) is not int:
        return f"is {_kind(value)}, not an integer"
    if value < 0:
        return f"is negative ({value})"
    if value > MAX_COUNT:
        return f"is beyond 2^53 - 1 ({value}): no token count"
    return None


def _not_timestamp(value: object, ts: dt.datetime | None) -> str | None:
    if value is _MISSING:
        return "is missing"
    if not isinstance(value, str):
        return f"is {_kind(value)}, not a time"
    if _TIMESTAMP.fullmatch(value) is None:
        return f"{value[:40]!r} is not RFC 3339 (seconds, no fraction or milliseconds, Z or an offset)"
    if ts is None:  # (rare: parsed again only to tell why)
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return f"{value!r} is no such time"
    return None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})" if value else "an empty string"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    return "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__
