"""critmat: an open observatory for critical raw materials (CRM) in a region.

``critmat.open()`` returns the warehouse with DataFrame accessors for every table (built on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from critmat.warehouse import Warehouse


def open(db: str | None = None, rebuild: bool = False) -> "Warehouse":  # noqa: A001 - mirrors duckdb.connect
    """Open the warehouse (``db`` path, else ``$CRITMAT_HOME/critmat.duckdb``), building it if missing."""
    from critmat.warehouse import open_warehouse

    return open_warehouse(db, rebuild=rebuild)
