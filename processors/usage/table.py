"""Plain-text tables for human reports: aligned columns, numbers right-aligned, totals last."""

from __future__ import annotations

from collections.abc import Sequence


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.startswith("$")
    )


def render_table(
    head: Sequence[str], rows: Sequence[Sequence[object]], *, total: Sequence[object] | None = None
) -> str:
    """The table as text; ``total`` becomes a last row below a rule."""
    body = [list(r) for r in rows]
    every = body + ([list(total)] if total is not None else [])
    right = [any(_numeric(r[i]) for r in every) for i in range(len(head))]
    cells = [[_cell(v) for v in r] for r in every]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(head)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line(head), rule]
    out += [line(r) for r in cells[: len(body)]]
    if total is not None:
        out += [rule, line(cells[-1])]
    if not body:
        out.insert(2, "(no data)")
    return "\n".join(out) + "\n"
