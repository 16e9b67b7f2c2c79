"""Where critmat keeps its files.

``CRITMAT_HOME`` (environment) overrides the platform's user data directory. Nothing is created at
import; call :func:`home` and create what you need when you need it.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs


def home() -> Path:
    """The critmat data directory: ``$CRITMAT_HOME`` or the platform user data dir."""
    env = os.environ.get("CRITMAT_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("critmat"))


def default_db() -> Path:
    """The default warehouse file (``<home>/critmat.duckdb``)."""
    return home() / "critmat.duckdb"


def user_regions_dir() -> Path:
    """Where ``critmat region build`` writes packs (``<CRITMAT_HOME>/regions``)."""
    return home() / "regions"


def imported_dir() -> Path:
    """Where ``critmat data import`` writes the data packages it builds from publisher files."""
    return home() / "packages"


def cache_dir() -> Path:
    """Download cache (checksummed publisher files)."""
    return home() / "cache"


def bundled_data() -> Path:
    """The package's own data folder (sources, fields, bundled data packages)."""
    return Path(str(resources.files("critmat") / "data"))


def bundled_packages() -> Path:
    return bundled_data() / "packages"
