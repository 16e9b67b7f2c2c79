"""IRENA solar PV capacity statistics, in the two CSV layouts NREL's PV_ICE tool publishes them.

* **Annual additions, wide** (PV_ICE ``SupportingMaterial/output-CountryInstalls-alltech.csv``): first
  column (unnamed) is the year, then one column per country or area (``World``, ``Netherlands``, ...);
  values are the year's *net* new PV capacity in MW (all technologies), computed by PV_ICE as differences
  of IRENA's cumulative capacity, so a few are negative (revisions or decommissioning) and some are empty.
* **Cumulative capacity, long**: ``country_or_area, year, cumulative_capacity_MW, irena_flag`` (IRENA
  Renewable Capacity Statistics 2022 / Renewable Energy Statistics 2022 query result, as tabulated from
  PV_ICE's ``HistoricalCapacityWorld-QueryResult-PVCumCap.xlsx``); ``irena_flag`` is IRENA's marker
  (e.g. ``e``, ``o``, ``u``), passed through as is.

Both readers return tidy frames with units in the column names (MW) and raise :class:`DataError` naming
file, row and column when the layout or a value is wrong. Files are read as UTF-8 (a BOM is accepted).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from critmat.errors import DataError

__all__ = ["read_pv_annual_additions", "read_pv_cumulative_capacity", "additions_from_cumulative",
           "pv_additions_series"]

CUMULATIVE_COLUMNS = ("country_or_area", "year", "cumulative_capacity_MW", "irena_flag")


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError("file not found", file=str(path)) from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read as CSV: {exc}", file=str(path)) from exc


def _numbers(raw: pd.Series, path: Path, column: str, *, header_rows: int = 1) -> np.ndarray:
    """Floats (empty → NaN); DataError naming the first non-numeric cell (row numbers as in the file)."""
    stripped = raw.str.strip()
    vals = pd.to_numeric(stripped.mask(stripped == ""), errors="coerce")
    bad = vals.isna() & (stripped != "")
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise DataError(f"not a number: {raw.iloc[i]!r}", file=str(path), row=i + 1 + header_rows,
                        column=column)
    return vals.to_numpy(dtype=float)


def _years(raw: pd.Series, path: Path, column: str) -> np.ndarray:
    vals = _numbers(raw, path, column)
    bad = ~np.isfinite(vals) | (vals != np.round(vals)) | (vals < 1900) | (vals > 2100)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"year must be a whole number between 1900 and 2100, got {raw.iloc[i]!r}",
                        file=str(path), row=i + 2, column=column)
    return vals.astype(int)


def read_pv_annual_additions(path: str | Path) -> pd.DataFrame:
    """Wide PV_ICE/IRENA annual-additions CSV → ``country_or_area, year, net_added_capacity_mw``.

    Empty cells are dropped (no figure for that country and year); negative net additions are kept.
    """
    path = Path(path)
    df = _read_csv(path)
    if df.shape[1] < 2:
        raise DataError("expected a year column followed by one column per country or area",
                        file=str(path))
    year_col = df.columns[0]
    if not (year_col == "" or year_col.startswith("Unnamed") or year_col.lower() == "year"):
        raise DataError(f"first column must be the (unnamed) year column, got {year_col!r}",
                        file=str(path), row=1, column=year_col)
    years = _years(df[year_col], path, "year")
    if len(set(years)) != len(years):
        dup = int(pd.Series(years).duplicated().to_numpy().argmax())
        raise DataError(f"year {years[dup]} appears twice", file=str(path), row=dup + 2, column="year")
    frames = []
    for col in df.columns[1:]:
        name = col.strip()
        if not name or name.startswith("Unnamed"):
            raise DataError("a country/area column has no name", file=str(path), row=1)
        vals = _numbers(df[col], path, col)
        keep = np.isfinite(vals)
        frames.append(pd.DataFrame({"country_or_area": name, "year": years[keep],
                                    "net_added_capacity_mw": vals[keep]}))
    out = pd.concat(frames, ignore_index=True)
    dup = out.duplicated(["country_or_area", "year"])
    if dup.any():
        raise DataError(f"country/area column {out.loc[dup, 'country_or_area'].iloc[0]!r} appears twice",
                        file=str(path), row=1)
    return out.sort_values(["country_or_area", "year"], ignore_index=True)


def read_pv_cumulative_capacity(path: str | Path) -> pd.DataFrame:
    """Long IRENA cumulative-capacity CSV → ``country_or_area, year, cumulative_capacity_mw, irena_flag``.

    Cumulative capacity must be >= 0; rows with an empty capacity are dropped.
    """
    path = Path(path)
    df = _read_csv(path)
    missing = [c for c in CUMULATIVE_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; expected {list(CUMULATIVE_COLUMNS)}",
                        file=str(path), row=1)
    years = _years(df["year"], path, "year")
    cap = _numbers(df["cumulative_capacity_MW"], path, "cumulative_capacity_MW")
    neg = cap < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise DataError(f"cumulative capacity must be >= 0, got {cap[i]!r}", file=str(path), row=i + 2,
                        column="cumulative_capacity_MW")
    names = df["country_or_area"].str.strip()
    if (names == "").any():
        i = int(np.argmax((names == "").to_numpy()))
        raise DataError("empty country_or_area", file=str(path), row=i + 2, column="country_or_area")
    out = pd.DataFrame({"country_or_area": names, "year": years, "cumulative_capacity_mw": cap,
                        "irena_flag": df["irena_flag"].str.strip().mask(lambda x: x == "")})
    dup = out.duplicated(["country_or_area", "year"])
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        raise DataError(f"{out['country_or_area'].iloc[i]!r} {out['year'].iloc[i]} appears twice",
                        file=str(path), row=i + 2)
    out = out[np.isfinite(cap)]
    return out.sort_values(["country_or_area", "year"], ignore_index=True)


def additions_from_cumulative(cumulative: pd.DataFrame) -> pd.DataFrame:
    """Net annual additions (MW) as year-on-year differences of cumulative capacity, per country.

    The first year of each country counts its whole cumulative capacity as added that year (as PV_ICE
    does). Returns ``country_or_area, year, net_added_capacity_mw``.
    """
    df = cumulative.sort_values(["country_or_area", "year"])
    diff = df.groupby("country_or_area")["cumulative_capacity_mw"].diff()
    added = diff.fillna(df["cumulative_capacity_mw"])
    return pd.DataFrame({"country_or_area": df["country_or_area"], "year": df["year"],
                         "net_added_capacity_mw": added}).reset_index(drop=True)


def pv_additions_series(additions: pd.DataFrame, country: str) -> pd.Series:
    """Net additions (MW) of one country or area as a Series indexed by consecutive years.

    Missing years inside the covered span are 0; DataError if the country is not in the frame.
    """
    sub = additions[additions["country_or_area"] == country]
    if sub.empty:
        raise DataError(f"no PV capacity figures for {country!r}", column="country_or_area")
    s = sub.set_index("year")["net_added_capacity_mw"].sort_index()
    full = range(int(s.index.min()), int(s.index.max()) + 1)
    return s.reindex(full, fill_value=0.0).rename(f"{country} net added PV capacity (MW)")
