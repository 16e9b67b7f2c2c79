"""powerplantmatching (PyPSA): the matched European power-plant list, ``powerplants.csv``.

Columns used: id, Name, Fueltype, Technology, Country, Capacity (MW electrical), DateIn, DateOut, lat, lon.
Plant (farm) level; no turbine counts or models. Published by the powerplantmatching authors
(Gotzens et al. 2019, doi:10.5281/zenodo.3358985) from ENTSO-E, OPSD, GEO, WRI GPPD, Wikipedia and
Global Energy Monitor trackers. :func:`fetch_powerplants` downloads release v0.6.0 with a pinned sha256.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import numbers

#: release v0.6.0 of powerplants.csv (commit 9a63ed03 of github.com/PyPSA/powerplantmatching)
URL_V060 = ("https://raw.githubusercontent.com/PyPSA/powerplantmatching/"
            "9a63ed0363e748a6967673c00cb2a6dd7d6c80c4/powerplants.csv")
SHA256_V060 = "e9022f23069c7f48c47e3d9b1b294f75ad9595dec92c1cef4354d6dfc7aa58c7"

REQUIRED = ["id", "Name", "Fueltype", "Technology", "Country", "Capacity", "DateIn", "DateOut", "lat", "lon"]

#: (Fueltype, Technology) → critmat asset_class
ASSET_CLASS = {("Wind", "Onshore"): "wind_onshore", ("Wind", "Offshore"): "wind_offshore",
               ("Solar", "PV"): "solar_pv"}


def fetch_powerplants() -> Path:
    """Download powerplants.csv v0.6.0 once into the cache (sha256-checked); online only."""
    from critmat.loaders.fetch import fetch

    return fetch(URL_V060, SHA256_V060, "powerplants_v0.6.0.csv")


def read_powerplants(path: Path, country: str | None = "Netherlands") -> pd.DataFrame:
    """Tidy plants: ppm_id, name, fueltype, technology, asset_class, capacity_mw, year_in, year_out, lat, lon."""
    try:
        # as text: "nan"/"NA" in a number column is an error below, not a silently missing value
        df = pd.read_csv(path, dtype=str, keep_default_na=False, low_memory=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read powerplantmatching CSV: {exc}", file=str(path)) from exc
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DataError(f"not a powerplantmatching file: missing column(s) {missing}", file=str(path), row=1,
                        column=missing[0])
    df.index = df.index + 2  # the CSV line of each row, kept through the country filter
    if country:
        df = df[df["Country"] == country]

    def num(col: pd.Series, name: str, required: bool = False) -> pd.Series:
        # a cell that is not a number fails (naming its line) instead of silently dropping the plant
        out = numbers(col, path, name, lines=col.index)
        if required and out.isna().any():
            raise DataError("empty: every plant needs coordinates", file=str(path),
                            row=int(out.index[out.isna()][0]), column=name)
        return out
    out = pd.DataFrame({
        "ppm_id": df["id"].astype(str),
        "name": df["Name"].astype(str).str.strip(),
        "fueltype": df["Fueltype"],
        "technology": df["Technology"],
        "asset_class": [ASSET_CLASS.get((f, t)) for f, t in zip(df["Fueltype"], df["Technology"])],
        "capacity_mw": num(df["Capacity"], "Capacity"),
        "year_in": num(df["DateIn"], "DateIn").round().astype("Int64"),
        "year_out": num(df["DateOut"], "DateOut").round().astype("Int64"),
        "lat": num(df["lat"], "lat", required=True),
        "lon": num(df["lon"], "lon", required=True),
    })
    neg = out.index[out["capacity_mw"] < 0]
    if len(neg):
        raise DataError(f"negative capacity {out.at[neg[0], 'capacity_mw']}", file=str(path),
                        row=int(neg[0]), column="Capacity")
    return out.reset_index(drop=True)


def renewables(plants: pd.DataFrame) -> pd.DataFrame:
    """Only the wind and solar rows (those with an asset_class)."""
    return plants[plants["asset_class"].notna()].reset_index(drop=True)
