from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from sessiond.daemon.log import configure

# No per-example deadline: the suite shares the machine's cores between its workers, and a property
# test's example is judged by what it finds, not by how long another worker let it run.
settings.register_profile("sessiond", deadline=None)
settings.load_profile("sessiond")


@pytest.fixture(autouse=True)
def _logging() -> None:
    configure("debug", "json")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.duckdb"
