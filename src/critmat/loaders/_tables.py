"""Small helpers shared by the material-intensity loaders (ELMA, CAwindMFA, BatPaC, PV_ICE)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from critmat.errors import DataError


def read_text_csv(path: Path, header: bool = True) -> pd.DataFrame:
    """Read a publisher CSV as strings (UTF-8, optional BOM); a missing or malformed file is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=str(path))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not valid UTF-8 (offset {exc.start})", file=str(path)) from None
    if not text.strip():
        raise DataError("file is empty", file=str(path))
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                           header=0 if header else None)
    except pd.errors.ParserError as exc:
        raise DataError(f"malformed CSV: {exc}", file=str(path)) from None


def to_number(value: str, path: Path, row: int, column: str) -> float:
    """Parse a numeric cell; the error names file, CSV line and column."""
    try:
        return float(str(value).strip())
    except ValueError:
        raise DataError(f"value {value!r} is not a number", file=str(path), row=row, column=column) from None
