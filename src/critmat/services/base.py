"""What every service returns: :class:`Result`, a table with what a face needs to show it.

``frame`` (full precision), a title and caption, the unit of each column, the source ids behind it, the
parameters actually used, and ``doc``, the JSON-ready document a face prints (None: the rows of ``frame``).
The report (:mod:`critmat.report`), the web API and the coverage service share this one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Result:
    """A service's answer (see the module docstring)."""

    frame: pd.DataFrame
    title: str = ""
    caption: str = ""
    units: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    doc: Any = None
