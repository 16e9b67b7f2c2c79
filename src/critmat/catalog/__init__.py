"""The catalog: source registry, field dictionary and data-package specs.

One home for metadata. Schemas (Frictionless descriptors, load-time checks) are *generated* from the
field dictionary here, never written by hand elsewhere.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Field", "Source", "field_dictionary", "source_registry"]
_HOMES = {"Field": "fields", "field_dictionary": "fields", "Source": "sources", "source_registry": "sources"}


def __getattr__(name: str) -> Any:
    # lazy (PEP 562): the field dictionary needs pydantic, which a warehouse read does not
    if name in _HOMES:
        return getattr(importlib.import_module(f"critmat.catalog.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'critmat.catalog' has no attribute {name!r}")
