"""Shared fixtures: an isolated CRITMAT_HOME for every test, and the real data folder when present."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never write into the user's home: every test gets its own CRITMAT_HOME."""
    home = tmp_path_factory.mktemp("critmat_home")
    monkeypatch.setenv("CRITMAT_HOME", str(home))
    return home


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (real public datasets); skips the test when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not available at {SHARED_DATA}")
    return SHARED_DATA
