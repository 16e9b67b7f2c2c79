"""List of Dutch ground-mounted solar parks ("Lijst van zonneparken in Nederland", Dutch Wikipedia),
in the geocoded CSV format of github.com/artis-byte/NL-solar (``parks_geocoded.csv``).

Columns: Name, English Name, Operator, Output (MW) (MWp as listed), Latitude, Longitude (geocoded by
park name; approximate), Status (geocoding status OK / NO_MATCH). No commissioning year and no
operational status: a secondary source, used to add parks that powerplantmatching lacks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import numbers

COLUMNS = {"Name": "name", "Operator": "operator", "Output (MW)": "capacity_mw", "Latitude": "lat",
           "Longitude": "lon", "Status": "geocode_status"}


def read_solar_parks(path: Path, geocoded_only: bool = True) -> pd.DataFrame:
    """name, operator, capacity_mw (MWp), lat, lon, geocode_status; by default only rows geocoded OK."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read solar-park list: {exc}", file=str(path)) from exc
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"not a solar-park list: missing column(s) {missing}", file=str(path), row=1, column=missing[0])
    out = df.rename(columns=COLUMNS)[list(COLUMNS.values())].copy()
    out["name"] = out["name"].str.strip()
    out.index = out.index + 2  # CSV line of each row
    if geocoded_only:  # rows the publisher could not geocode are left out by rule (status != OK)
        out = out[out["geocode_status"] == "OK"].copy()
    for col in ("capacity_mw", "lat", "lon"):
        # a cell that is not a number fails naming its line (never a silently dropped park)
        header = next(k for k, v in COLUMNS.items() if v == col)
        out[col] = numbers(out[col].str.replace(",", ".", regex=False), path, header, lines=out.index)
    bad = out.index[out["capacity_mw"] < 0]
    if len(bad):
        raise DataError(f"negative output {out.at[bad[0], 'capacity_mw']}", file=str(path), row=int(bad[0]),
                        column="Output (MW)")
    if geocoded_only:
        missing = out.index[out["lat"].isna() | out["lon"].isna()]
        if len(missing):
            raise DataError("a row geocoded OK has no lat/lon", file=str(path), row=int(missing[0]),
                            column="Latitude")
    return out.reset_index(drop=True)
