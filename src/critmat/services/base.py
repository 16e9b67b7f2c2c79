"""What every service returns: :class:`Result`, a table with what a face needs to show it.

``frame`` (full precision; what CSV gives), a title and caption, the unit of each column, the source ids
behind it, the parameters actually used, ``doc``, the JSON-ready document a face prints (None: the rows of
``frame``), and ``sections``: the tables a reader is shown, in order, each with its own title and caption
(empty: ``frame`` alone). ``hint`` (on a result or a section) names the command-line options that show more: the
CLI appends it to the caption, other faces leave it out. A frame with a boolean ``is_group`` column marks material-group rows (REE, PGM)
that sit beside their members; faces show them as they like (the CLI stars them). Every face (CLI,
report, web API) shows these objects and computes nothing of its own.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Section:
    """One table (or, with ``frame`` None, one paragraph ``text``) of a service's answer."""

    name: str
    frame: pd.DataFrame | None = None
    title: str = ""
    caption: str = ""
    text: str = ""
    hint: str = ""  # where the command line shows more (its options); other faces leave it out


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
    sections: list[Section] = field(default_factory=list)
    hint: str = ""  # where the command line shows more (its options); other faces leave it out

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name in ("doc", "frame") and callable(value):  # built or read on first use (a table face never
            value = value()                                   # needs the document, a stored answer's long
            object.__setattr__(self, name, value)             # rows are read when asked for)
        return value

    def document(self) -> Any:
        """The JSON-ready document: ``doc``, or the rows of ``frame``."""
        if self.doc is not None:
            return self.doc
        return records(self.frame)


SIGNIFICANT = 3  # significant digits of non-integer numbers shown to a reader


def _sig_decimals(v: float) -> int:
    """Decimals that show ``SIGNIFICANT`` significant digits of ``v`` (0 from 10**(SIGNIFICANT-1) up)."""
    a = abs(v)
    if a == 0 or a >= 10 ** (SIGNIFICANT - 1):
        return 0
    return SIGNIFICANT - 1 - math.floor(math.log10(a))


def _needed_decimals(v: float) -> int:
    """The fewest decimals that show ``v`` as well as ``SIGNIFICANT`` significant digits do (5.60 → 1)."""
    d = _sig_decimals(v)
    target = round(v, d)
    return next(n for n in range(d + 1) if round(v, n) == target)


def fmt_number(v: float, integral: bool = False, year: bool = False, decimals: int | None = None) -> str:
    """A number for a table: integers (years without separators), else ``SIGNIFICANT`` significant digits
    (at most ``decimals`` decimals when given), thousands separators from 1,000 up, never scientific notation
    above 1e-6."""
    if year:
        return str(round(v))
    if integral or v == 0:
        return f"{round(v):,}"
    if abs(v) < 1e-6:
        return f"{v:.1e}"
    d = _sig_decimals(v)
    if decimals is not None:
        d = min(d, decimals)
    return f"{v:,.{d}f}"


def _jsonable(v: Any) -> Any:
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain-Python dicts (NaN/NA → None), for JSON."""
    return [{k: _jsonable(v) for k, v in row.items()} for row in df.to_dict(orient="records")] if len(df) else []


def to_json(obj: Any) -> str:
    """``obj`` as indented JSON (numpy scalars, NA and dates made plain)."""
    return json.dumps(obj, indent=2, ensure_ascii=False, default=_jsonable)


def flag_groups(df: pd.DataFrame, column: str, group_ids: Any) -> pd.DataFrame:
    """``df`` with a boolean ``is_group`` column right after ``column`` when a row of a material group (REE,
    PGM ...) is listed beside its members (no column when none is: a listing without groups keeps its shape)."""
    if column not in df:
        return df
    is_group = df[column].isin(set(group_ids))
    if not is_group.any():
        return df
    df = df.copy()
    df.insert(list(df.columns).index(column) + 1, "is_group", is_group.astype(bool))
    return df


def group_ids(src: Any) -> set[str]:
    """Ids of material groups (``material_kind == 'group'``: REE, LREE, HREE, PGM ...) of a table source's
    ``materials`` (a warehouse answers with one query)."""
    if hasattr(src, "rows"):
        return {r[0] for r in src.rows("SELECT material_id FROM materials WHERE material_kind = 'group'")}
    materials = src.table("materials")
    if "material_kind" not in materials:
        return set()
    return set(materials.loc[materials["material_kind"] == "group", "material_id"])
