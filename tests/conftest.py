"""Shared fixtures: an isolated CRITMAT_HOME for the session and for every test, one built warehouse per
session, and the real data folder when present."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


_CACHE_ENV = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "MPLCONFIGDIR", "IXMP4_STORAGE_DIRECTORY")
_SAVED: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Before collection imports anything: libraries' caches and state go to a scratch folder, not the user's
    home (matplotlib's config and font list, iam-units' unit cache, chromium's crash reports under the XDG folders;
    ixmp4, which pyam imports, makes ~/.local/share/ixmp4 at import)."""
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="critmat-test-caches-"))
    _SAVED.update({k: os.environ.get(k) for k in _CACHE_ENV})
    _SAVED["_scratch"] = str(scratch)
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(scratch / "config")
    os.environ["MPLCONFIGDIR"] = str(scratch / "matplotlib")
    os.environ["IXMP4_STORAGE_DIRECTORY"] = str(scratch / "ixmp4")


def pytest_unconfigure(config: pytest.Config) -> None:
    scratch = _SAVED.pop("_scratch", None)
    for k, v in _SAVED.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Before any module or session fixture runs: never read or write the user's real CRITMAT_HOME."""
    old = os.environ.get("CRITMAT_HOME")
    home = tmp_path_factory.mktemp("critmat_session_home")
    os.environ["CRITMAT_HOME"] = str(home)
    # builds inside tests (changed packages, imports, faults) skip the stored results: ~2 s instead of ~15 s;
    # the session's warehouse (below) has them, and tests/test_services.py checks they equal the models
    os.environ.setdefault("CRITMAT_BUILD_RESULTS", "0")
    yield home
    if old is None:
        os.environ.pop("CRITMAT_HOME", None)
    else:
        os.environ["CRITMAT_HOME"] = old


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                   request: pytest.FixtureRequest) -> Path:
    """Every test gets its own CRITMAT_HOME (imports, built regions and default warehouses land there).

    Its default warehouse starts as a hard link to the session's build of the bundled data (a build is
    ~10 s with the stored results; a rebuild replaces the link with a new file, never writes through it);
    a test marked ``fresh_home`` starts without one."""
    from critmat.services import context

    home = tmp_path_factory.mktemp("critmat_home")
    monkeypatch.setenv("CRITMAT_HOME", str(home))
    if request.node.get_closest_marker("fresh_home") is None:
        src = request.getfixturevalue("warehouse_db")
        try:
            os.link(src, home / "critmat.duckdb")
        except OSError:
            shutil.copyfile(src, home / "critmat.duckdb")
    context.clear()  # no warehouse handle or memoised answer crosses from one test's home to the next
    return home


@pytest.fixture(scope="session")
def warehouse_db(_session_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse built once from the bundled packages; open it read-only (pass ``--db``), never modify it."""
    from critmat.warehouse import build

    path = tmp_path_factory.mktemp("warehouse") / "critmat.duckdb"
    build(path, results=True)
    return path


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (real public datasets); skips the test when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not available at {SHARED_DATA}")
    return SHARED_DATA
