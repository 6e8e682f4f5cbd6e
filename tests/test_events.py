"""Every log event name is declared once, and documented in the README."""

from __future__ import annotations

import re

from sessiond.daemon import events
from tests.harness import REPO


def test_every_event_is_documented_and_every_use_is_declared() -> None:
    names = {v for k, v in vars(events).items() if k.isupper() and isinstance(v, str)}
    readme = (REPO / "README.md").read_text()
    assert not [n for n in names if f"`{n}`" not in readme]
    used = set()
    for path in (REPO / "daemon").glob("*.py"):
        used |= set(re.findall(r"events\.([A-Z_]+)", path.read_text()))
    assert used <= {k for k in vars(events) if k.isupper()}
    assert len(set(names)) == len([k for k in vars(events) if k.isupper()])  # no name twice
