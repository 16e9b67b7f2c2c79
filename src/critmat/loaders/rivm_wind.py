"""RIVM "Windturbines – vermogen" (Atlas Leefomgeving WFS layer ``alo:rivm_windturbines_vermogen_actueel``),
turbine level, in the CSV form of the shared extract: id, lat, lon, capacity_mw, name, type, municipality,
province, source_date.

One row per onshore turbine (the extract keeps turbines standing on land: lake and sea turbines were
filtered out by its producer). Capacity in MW (RIVM kW / 1000); ``type`` is the turbine model where RIVM
gives one; no commissioning year. Public domain (RIVM).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv

COLUMNS = ["id", "lat", "lon", "capacity_mw", "name", "type", "municipality", "province"]


def sniff(columns: set[str]) -> bool:
    """True if a CSV header is the RIVM turbine extract."""
    return set(COLUMNS) <= columns


def read_turbines(path: Path) -> pd.DataFrame:
    """turbine_id, lat, lon, capacity_mw, name, type, municipality, province, source_date (one row per turbine)."""
    df = read_text_csv(path)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"not a RIVM wind-turbine list: missing column(s) {missing}", file=str(path), row=1,
                        column=missing[0])
    out = pd.DataFrame({
        "turbine_id": df["id"].str.strip(),
        "lat": pd.to_numeric(df["lat"], errors="coerce"), "lon": pd.to_numeric(df["lon"], errors="coerce"),
        "capacity_mw": pd.to_numeric(df["capacity_mw"], errors="coerce"),
        "name": df["name"].str.strip(), "type": df["type"].str.strip(),
        "municipality": df["municipality"].str.strip(), "province": df["province"].str.strip(),
        "source_date": df.get("source_date", pd.Series("", index=df.index)).str.strip().str.rstrip("Z"),
    })
    bad = out.index[out["capacity_mw"].isna() | (out["capacity_mw"] < 0) | out["lat"].isna() | out["lon"].isna()]
    if len(bad):
        i = int(bad[0])
        raise DataError(f"turbine {out.at[i, 'turbine_id']!r}: capacity or coordinates missing or negative",
                        file=str(path), row=i + 2, column="capacity_mw")
    dup = out.index[out["turbine_id"].duplicated()]
    if len(dup):
        raise DataError(f"turbine id {out.at[dup[0], 'turbine_id']!r} listed twice", file=str(path),
                        row=int(dup[0]) + 2, column="id")
    return out
