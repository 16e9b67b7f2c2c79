"""Mat-dp material intensities database (University of Cambridge, Cervantes Barrón & Cullen), wide CSV
``Mat-dp_intensities_db_wide.csv``: one row per technology, location and value type (min/mean/max), one
column per material (element symbols and compounds), unit per row (kg/vehicle, kg/kWh ...).

critmat reads single cells, e.g. the LiPF6 electrolyte salt of battery-electric cars (kg/vehicle), whose
primary source for BEVs is Elgowainy et al. 2016 (Argonne GREET, per Mat-dp's Sources sheet).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv

KEYS = ["Technology category", "Technology name", "Units", "Value type"]


def read_wide(path: Path) -> pd.DataFrame:
    df = read_text_csv(path)
    missing = [c for c in KEYS if c not in df.columns]
    if missing:
        raise DataError(f"not a Mat-dp wide intensities table: missing {missing}", file=str(path), row=1,
                        column=missing[0])
    return df


def value(df: pd.DataFrame, category: str, name: str, material: str, kind: str = "mean") -> tuple[float, str]:
    """(value, unit) of one cell; a missing row/column or a non-number raises DataError."""
    if material not in df.columns:
        raise DataError(f"Mat-dp table has no material column {material!r}")
    sel = df[(df["Technology category"] == category) & (df["Technology name"] == name) & (df["Value type"] == kind)]
    if sel.empty:
        raise DataError(f"Mat-dp table has no row {category} / {name} / {kind}")
    v = pd.to_numeric(sel[material].iloc[0], errors="coerce")
    if pd.isna(v):
        raise DataError(f"Mat-dp {name} / {material}: not a number ({sel[material].iloc[0]!r})")
    return float(v), str(sel["Units"].iloc[0])
