"""Status: per-processor progress computed from cursors and the files as they are now."""

from __future__ import annotations

import sys
import time
from array import array
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sessiond.daemon.discovery import classify, stat_tree
from sessiond.processors.contract import Processor
from sessiond.state.cursor import Seen, seen_words

if TYPE_CHECKING:  # the CLI renders a daemon's status without importing pyarrow or duckdb
    import pyarrow as pa

    from sessiond.state.store import Store


def files_table(files: Mapping[str, Seen], keys: Iterable[str]) -> pa.Table:
    """Some of ``files`` (as the scan keeps them) as the Arrow table `Store.progress` joins with:
    their stats' fields laid side by side (`cursor.seen_words`), read as four columns."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = list(keys)
    words = array("q", seen_words(files[k] for k in keys))
    if sys.byteorder == "big":  # Arrow reads the machine's byte order
        words.byteswap()
    fields = pa.FixedSizeListArray.from_arrays(
        pa.Array.from_buffers(pa.int64(), len(words), [None, pa.py_buffer(words)]), 4)
    return pa.table({
        "key": pa.array(keys, pa.string()),
        **{name: pc.list_element(fields, i)
           for i, name in enumerate(("size", "mtime_ns", "ino", "ctime_ns"))},
    })


def wanted(processors: Sequence[Processor], files: Iterable[str]) -> dict[str, list[str]]:
    """Processor name -> the keys (of session files) it wants."""
    out: dict[str, list[str]] = {p.name: [] for p in processors}
    for key in files:
        file = classify(key)
        if file is not None:
            for p in processors:
                if p.wants(file):
                    out[p.name].append(key)
    return out


def processor_status(
    processor: Processor, store: Store, files: pa.Table, *, now: float | None = None
) -> dict[str, Any]:
    """``files_*`` counts, ``bytes_behind`` (complete-line bytes not yet consumed) and
    ``lag_seconds`` (age of the oldest file change not yet consumed, from its mtime), of the
    files the processor wants (``files``, see `files_table`)."""
    now = time.time() if now is None else now
    p = store.progress(processor.name, processor.version, files)
    oldest = p.pop("oldest_pending_mtime")
    p["lag_seconds"] = round(max(0.0, now - oldest), 3) if oldest is not None else 0.0
    return {"version": processor.version, **p}


def overall(
    processors: Sequence[Processor], store: Store, files: Mapping[str, Seen]
) -> dict[str, Any]:
    keys = wanted(processors, files)
    per = {p.name: processor_status(p, store, files_table(files, keys[p.name])) for p in processors}
    return {"files": len(files), "processors": per}


def walk(root: Path) -> tuple[dict[str, Seen], list[str]]:
    """The files under ``root`` as they are now, and the folders that could not be read."""
    errors: list[str] = []
    return (stat_tree(root, errors) if root.is_dir() else {}), errors


def snapshot(processors: Sequence[Processor], store: Store, root: Path,
             walked: tuple[dict[str, Seen], list[str]] | None = None) -> dict[str, Any]:
    """`overall` over the files as they are now under ``root`` (one walk, or ``walked``
    beforehand -- the CLI walks before it opens the state file, to hold it less): what both
    the live daemon and the CLI without a daemon report."""
    files, errors = walked if walked is not None else walk(root)
    body = overall(processors, store, files)
    body.update(root=str(root), scan_errors=errors[:20])
    return body


def degraded_reasons(status: Mapping[str, Any], *, lag_threshold: float) -> list[str]:
    """Why a status is not healthy: parked files, or lag above the threshold."""
    reasons = []
    for name, p in status["processors"].items():
        if p["files_parked"]:
            reasons.append(f"{name}: {p['files_parked']} file(s) parked")
        if p["lag_seconds"] > lag_threshold:
            reasons.append(f"{name}: lag {p['lag_seconds']:.0f}s > {lag_threshold:.0f}s")
    return reasons


def render(status: Mapping[str, Any]) -> str:
    lines = [f"root {status['root']}: {status['files']} session files; state {status['state']}"]
    daemon = status["daemon"]
    if daemon["running"]:
        scan = status.get("scan", {})
        lines.append(
            f"daemon: running (pid {daemon.get('pid')}, version {status.get('version')}, up "
            f"{status.get('uptime_seconds', 0):.0f}s); last scan: {scan.get('files', 0)} files in "
            f"{scan.get('seconds', 0)}s, missed_by_events {scan.get('missed_by_events', 0)}"
        )
    else:
        lines.append("daemon: not running (figures from the state file)")
    lines.append(f"health: {status.get('health', '?')}"
                 + "".join(f"\n  - {r}" for r in status.get("problems", [])))
    header = f"{'processor':<16}{'tracked':>9}{'pending':>9}{'failed':>8}{'parked':>8}{'behind':>14}{'lag s':>10}"
    lines.append(header)
    for name, p in status["processors"].items():
        lines.append(
            f"{name:<16}{p['files_tracked']:>9}{p['files_pending']:>9}{p['files_failed']:>8}"
            f"{p['files_parked']:>8}{p['bytes_behind']:>14}{p['lag_seconds']:>10}"
        )
    return "\n".join(lines)
