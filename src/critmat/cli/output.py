"""Printing results: rich tables for people, CSV/JSON for tools. One helper for every listing."""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _jsonable(v: Any) -> Any:
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
    return [{k: _jsonable(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=_jsonable)


def _fmt_cell(v: Any) -> str:
    v = _jsonable(v)
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


def emit(df: pd.DataFrame, fmt: Format | str = Format.table, title: str | None = None,
         caption: str | None = None, console: Console | None = None) -> None:
    """Print a frame as a rich table, CSV or a JSON array of row objects."""
    fmt = Format(fmt)
    if fmt is Format.csv:
        df.to_csv(sys.stdout, index=False)
    elif fmt is Format.json:
        sys.stdout.write(to_json(records(df)) + "\n")
    else:
        # piped or captured output gets a wide page instead of rich's 80-column default
        console = console or Console(width=None if sys.stdout.isatty() else 160)
        table = Table(title=title, caption=caption, show_lines=False)
        for col in df.columns:
            numeric = pd.api.types.is_numeric_dtype(df[col])
            table.add_column(str(col), justify="right" if numeric else "left", overflow="fold")
        for row in df.itertuples(index=False):
            table.add_row(*[_fmt_cell(v) for v in row])
        console.print(table)
