"""Shared by the batch tests (imported like ``tests/badinput.py``): the indicators a batch run is given and
its Parquet results in a canonical order, so two runs compare row by row."""

from __future__ import annotations

import pandas as pd


def indicators() -> pd.DataFrame:
    """Supply-risk indicators of four materials (SR values of the EC 2023 assessment, rounded; a test input)."""
    return pd.DataFrame({"material_id": ["neodymium", "copper", "dysprosium", "gallium"],
                         "name": ["Nd", "Cu", "Dy", "Ga"], "sr": [3.9, 0.3, 5.0, 3.9]})


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with categoricals as strings, sorted by its label columns (index from 0)."""
    df = df.copy()
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(str)
    keys = [c for c in df.columns if df[c].dtype == object or c in ("year", "region", "scenario")]
    return df.sort_values(keys).reset_index(drop=True)
