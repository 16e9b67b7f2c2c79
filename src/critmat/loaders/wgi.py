"""World Bank Worldwide Governance Indicators (WGI).

Two formats are read:

* the World Bank DataBank export (``Country Name, Country Code, Series Name, Series Code, 2022 [YR2022]
  ...``) with the six estimate series ``VA.EST PV.EST GE.EST RQ.EST RL.EST CC.EST``; the mean of the six
  is taken per country and year;
* a pre-aggregated table ``Country/Territory, <year>`` holding that mean rescaled to 0..1 as
  ``(estimate + 2.5) / 5`` (the layout used by pytradeshifts); it is converted back.

Output: country_iso3, wgi_year, wgi_estimate (native −2.5..2.5 scale, higher = better governance).
The scalings each method needs (EU: 0–10, higher = worse; GeoPolRisk: 0..1 instability) are computed in
``critmat.models.risk``, not stored.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders.ec_crm import read_csv_text
from critmat.materials import country_iso3

SERIES = ["VA.EST", "PV.EST", "GE.EST", "RQ.EST", "RL.EST", "CC.EST"]
DATABANK_URL = "https://databank.worldbank.org/source/worldwide-governance-indicators"


def _to_float(v: str, path: Path, row: int, col: str) -> float | None:
    v = str(v).strip()
    if v in ("", "..", "#N/A", "NA"):
        return None
    try:
        return float(v)
    except ValueError:
        raise DataError(f"'{v}' is not a number", file=str(path), row=row, column=col) from None


def read_wgi(path: Path) -> pd.DataFrame:
    """Read either WGI layout; unknown country names are skipped only if they are aggregates."""
    path = Path(path)
    df = read_csv_text(path)
    rows: list[tuple[str, int, float]] = []
    if {"Country Code", "Series Code"} <= set(df.columns):
        years = {c: int(m.group(1)) for c in df.columns if (m := re.match(r"^(\d{4})", c))}
        if not years:
            raise DataError("no year columns like '2022 [YR2022]'", file=str(path), row=1)
        df = df[df["Series Code"].isin(SERIES)]
        for col, year in years.items():
            vals = [( r["Country Code"], _to_float(r[col], path, i + 2, col)) for i, r in df.iterrows()]
            sub = pd.DataFrame(vals, columns=["iso", "v"]).dropna()
            for iso, v in sub.groupby("iso")["v"].mean().items():
                rows.append((iso, year, v))
    elif "Country/Territory" in df.columns:
        years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
        if not years:
            raise DataError("no year column (e.g. '2022')", file=str(path), row=1)
        for i, rec in df.iterrows():
            iso = country_iso3(rec["Country/Territory"])
            if iso is None:
                raise DataError(f"unknown country '{rec['Country/Territory']}'", file=str(path), row=i + 2,
                                column="Country/Territory")
            for y in years:
                v = _to_float(rec[y], path, i + 2, y)
                if v is None:
                    continue
                if not 0 <= v <= 1:
                    raise DataError(f"normalised WGI {v} outside 0..1", file=str(path), row=i + 2, column=y)
                rows.append((iso, int(y), 5 * v - 2.5))
    else:
        raise DataError("unrecognised WGI layout: expected DataBank columns (Country Code, Series Code, years) "
                        "or 'Country/Territory' + year columns", file=str(path), row=1)
    out = pd.DataFrame(rows, columns=["country_iso3", "wgi_year", "wgi_estimate"])
    out = out.groupby(["country_iso3", "wgi_year"], as_index=False)["wgi_estimate"].mean()
    out["wgi_estimate"] = out["wgi_estimate"].clip(-2.5, 2.5)
    return out


API_URL = "https://api.worldbank.org/v2/country/all/indicator/{code}?source=3&format=json&per_page=20000&date={year}"


def api_json_to_databank(pages: dict[str, list], year: int) -> pd.DataFrame:
    """World Bank API v2 JSON responses (one per series code) → the DataBank layout read by :func:`read_wgi`."""
    rows = []
    for code, payload in pages.items():
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[1], list)):
            raise DataError(f"unexpected World Bank API response for {code}", file=API_URL.format(code=code, year=year))
        for rec in payload[1]:
            iso = rec.get("countryiso3code") or ""
            if re.fullmatch(r"[A-Z]{3}", iso) and rec.get("value") is not None:
                rows.append({"Country Name": rec["country"]["value"], "Country Code": iso,
                             "Series Name": rec["indicator"]["value"], "Series Code": code,
                             f"{year} [YR{year}]": rec["value"]})
    return pd.DataFrame(rows)


def download_wgi(year: int = 2022) -> Path:
    """Download the six WGI estimates for ``year`` from the World Bank API (online only).

    The responses are cached by :func:`critmat.loaders.fetch.fetch`; the API is not versioned, so no
    checksum is pinned: the sha256 of the assembled file is recorded in the provenance table instead.
    """
    import json

    from critmat.loaders.fetch import fetch
    from critmat.paths import cache_dir

    pages = {}
    for code in SERIES:
        path = fetch(API_URL.format(code=code, year=year), None, f"wgi_{code}_{year}.json")
        pages[code] = json.loads(path.read_text(encoding="utf-8"))
    out = cache_dir() / f"wgi_databank_{year}.csv"
    api_json_to_databank(pages, year).to_csv(out, index=False)
    return out
