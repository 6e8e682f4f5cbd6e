"""Status: per-processor progress computed from cursors and the files as they are now."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from daemon.discovery import walk
from processors.contract import Processor, SessionFile
from state.cursor import Cursor, Stat, bytes_behind


def processor_status(
    processor: Processor,
    cursors: Mapping[str, Cursor],
    files: Mapping[str, tuple[SessionFile, Stat]],
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """``files_*`` counts, ``bytes_behind`` (complete-line bytes not yet consumed) and
    ``lag_seconds`` (age of the oldest file change not yet consumed, from its mtime)."""
    now = time.time() if now is None else now
    behind_total = pending = 0
    oldest: float | None = None
    for key, (file, stat) in files.items():
        if not processor.wants(file):
            continue
        cursor = cursors.get(key)
        if cursor is not None and cursor.parked:
            continue
        behind = bytes_behind(cursor, stat, processor.version)
        if behind > 0:
            pending += 1
            behind_total += behind
            mtime = stat.mtime_ns / 1e9
            oldest = mtime if oldest is None else min(oldest, mtime)
    failed = sum(1 for c in cursors.values() if c.attempts and not c.parked)
    parked = sum(1 for c in cursors.values() if c.parked)
    last = max((c.processed_at for c in cursors.values() if c.processed_at), default=None)
    return {
        "version": processor.version,
        "files_tracked": len(cursors),
        "files_pending": pending,
        "files_failed": failed,
        "files_parked": parked,
        "bytes_behind": behind_total,
        "lag_seconds": round(max(0.0, now - oldest), 3) if oldest is not None else 0.0,
        "last_commit_at": last,
        "items_extracted": sum(c.items for c in cursors.values()),
        "bad_lines": sum(c.bad_lines for c in cursors.values()),
    }


def overall(
    processors: Sequence[Processor],
    cursors: Mapping[tuple[str, str], Cursor],
    files: Mapping[str, tuple[SessionFile, Stat]],
) -> dict[str, Any]:
    per = {
        p.name: processor_status(
            p, {k: c for (n, k), c in cursors.items() if n == p.name}, files
        )
        for p in processors
    }
    return {"files": len(files), "processors": per}


def snapshot(
    processors: Sequence[Processor], cursors: Mapping[tuple[str, str], Cursor], root: Path
) -> dict[str, Any]:
    """`overall` over the files as they are now under ``root`` (one walk): what both the live
    daemon and the CLI without a daemon report."""
    errors: list[str] = []
    files = {f.key: (f, st) for f, st in walk(root, errors)} if root.is_dir() else {}
    body = overall(processors, cursors, files)
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
