"""Small helpers shared by the publisher loaders (EC CRM, WGI, CBS, ELMA, CAwindMFA, BatPaC, PV_ICE ...)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from critmat.errors import DataError


def read_text_csv(path: Path, header: bool = True, encodings: tuple[str, ...] = ("utf-8-sig",),
                  sniff_separator: bool = False) -> pd.DataFrame:
    """Read a publisher CSV as strings; a missing, undecodable, empty or malformed file is a DataError.

    ``encodings`` are tried in order (add ``"cp1252"`` for Excel exports such as the EC's);
    ``sniff_separator`` picks ``;`` over ``,`` when the header has more of them (CBS downloads).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=str(path))
    raw = path.read_bytes()
    text = None
    for enc in encodings:
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError as exc:
            err = exc
    if text is None:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(f"not valid {' or '.join(encodings)} (byte offset {err.start})", file=str(path),
                        row=line) from None
    if not text.strip():
        raise DataError("file is empty", file=str(path))
    first = text.split("\n", 1)[0]
    sep = ";" if sniff_separator and first.count(";") > first.count(",") else ","
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                         header=0 if header else None)
    except pd.errors.ParserError as exc:
        raise DataError(f"malformed CSV: {' '.join(str(exc).split())[:160]}", file=str(path)) from None
    _check_last_row(text, sep, df.shape[1], path)
    return df


def _check_last_row(text: str, sep: str, width: int, path: Path) -> None:
    """A file cut mid-write: no final newline and a last row with fewer cells than the header."""
    import csv

    if not text or text.endswith(("\n", "\r")):
        return
    last = text.rsplit("\n", 1)[-1]
    try:
        cells = next(csv.reader([last], delimiter=sep))
    except (csv.Error, StopIteration):
        cells = []
    if len(cells) < width or last.count('"') % 2:
        raise DataError(f"file looks truncated: the last line has {len(cells)} of {width} cells and no final "
                        "newline", file=str(path), row=text.count("\n") + 1)


def to_number(value: str, path: Path, row: int, column: str) -> float:
    """Parse a numeric cell; the error names file, CSV line and column."""
    try:
        return float(str(value).strip())
    except ValueError:
        raise DataError(f"value {value!r} is not a number", file=str(path), row=row, column=column) from None


def numbers(values: pd.Series, path: Path, column: str, lines: "pd.Index | None" = None) -> pd.Series:
    """A column of numeric cells as floats: an empty cell is NaN, anything else must be a finite number
    (a value such as ``abc``, ``inf`` or ``1e309`` is a DataError naming file, line and column, never a
    silently dropped row). ``lines`` holds the CSV line of each element (default: position + 2)."""
    import numpy as np

    text = values.astype("string").str.strip()
    empty = (text.isna() | (text == "")).to_numpy()
    num = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(dtype="float64")
    bad = np.flatnonzero(~empty & ~np.isfinite(num))
    if len(bad):
        i = int(bad[0])
        raise DataError(f"value {str(values.iloc[i])[:40]!r} is not a finite number"
                        + (f"; {len(bad) - 1} more row(s) like it" if len(bad) > 1 else ""),
                        file=str(path), row=int(lines[i]) if lines is not None else i + 2, column=column)
    return pd.Series(num, index=values.index)


def read_geojson_features(path: Path, what: str = "GeoJSON") -> list[dict]:
    """The features of a GeoJSON FeatureCollection; an unreadable or non-collection file is a DataError."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read {what}: {exc}", file=str(path)) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DataError("not a GeoJSON FeatureCollection", file=str(path))
    return data.get("features", [])
