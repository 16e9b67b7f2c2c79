"""The warehouse: every validated data package, region pack, spec and build-time result in one DuckDB file.

``store`` builds (validate, load, write atomically) and opens it; ``staging`` keeps half-written outputs out
of sight. The public names are re-exported here and imported on first use, so ``import critmat.warehouse``
stays cheap (no DuckDB, pandas or frictionless until a table is needed).
"""

from __future__ import annotations

from typing import Any

_PUBLIC = ("BuildReport", "REBUILD_HINT", "Warehouse", "build", "check_target", "content_checksum",
           "discover_packages", "fingerprint", "open_warehouse", "temp_paths", "verify")
__all__ = list(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        from critmat.warehouse import store

        return getattr(store, name)
    raise AttributeError(f"module 'critmat.warehouse' has no attribute '{name}'")
