"""CBS regional statistics used to allocate cars and the grid to municipalities and to state coverage.

- :func:`read_ev_share` — CBS maatwerk "Aandeel elektrische personenauto's per gemeente" (secondary CSV:
  gemeentecode, ev_share_private_cars_pct, inwoners, particuliere_personenautos): EV share of private cars,
  population and private cars (CBS 70072ned) per municipality.
- :func:`read_vehicles_by_region` — CBS 85236NED "Motorvoertuigen actief; voertuigtype, regio" (OData
  TypedDataSet as CSV): passenger cars (``Personenauto_2``) per region code (NL01, PVxx, GMxxxx) and year.
- :func:`read_cars_by_province` — CBS 85237NED "Personenauto's actief; voertuigkenmerken, regio's": all cars
  per province (columns named after the provinces) and nationally by fuel, all construction years.
- :func:`read_solar_by_municipality` — CBS 85005NED "Zonnestroom; vermogen … regio" (tidy long CSV): panel
  capacity in kWp per municipality name.

CBS data: CC BY 4.0.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from critmat.catalog import units
from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv

EV_COLUMNS = {"gemeentecode", "ev_share_private_cars_pct", "inwoners", "particuliere_personenautos"}
VEHICLE_COLUMNS = {"RegioS", "Perioden", "Personenauto_2"}
CARS_PROVINCE_COLUMNS = {"Bouwjaar", "Perioden", "TotaalNederland_1", "Elektriciteit_18"}
SOLAR_COLUMNS = {"regio", "onderwerp", "eenheid"}
#: 85237NED province columns → CBS province codes
PROVINCE_COLUMNS = {"Groningen_2": "PV20", "Fryslan_3": "PV21", "Drenthe_4": "PV22", "Overijssel_5": "PV23",
                    "Flevoland_6": "PV24", "Gelderland_7": "PV25", "Utrecht_8": "PV26", "NoordHolland_9": "PV27",
                    "ZuidHolland_10": "PV28", "Zeeland_11": "PV29", "NoordBrabant_12": "PV30", "Limburg_13": "PV31"}


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.strip().replace({"": None, ".": None}), errors="coerce")


def read_ev_share(path: Path) -> pd.DataFrame:
    """municipality_code, municipality_name, ev_share (fraction of private cars), population, private_cars."""
    df = read_text_csv(path)
    missing = sorted(EV_COLUMNS - set(df.columns))
    if missing:
        raise DataError(f"not a CBS EV-share-by-municipality table: missing {missing}", file=str(path), row=1,
                        column=missing[0])
    name = next((c for c in df.columns if c.startswith("gemeentenaam")), None)
    out = pd.DataFrame({"municipality_code": df["gemeentecode"].str.strip(),
                        "municipality_name": df[name].str.strip() if name else None,
                        "ev_share": units.convert(_num(df["ev_share_private_cars_pct"]), "%", "fraction"),
                        "population": _num(df["inwoners"]), "private_cars": _num(df["particuliere_personenautos"])})
    bad = out.index[~out["municipality_code"].str.match(r"^GM\d{4}$") | out["private_cars"].isna()
                    | out["population"].isna() | ~out["ev_share"].between(0, 1)]
    if len(bad):
        raise DataError(f"row for {out.at[bad[0], 'municipality_code']!r}: bad code, share or count",
                        file=str(path), row=int(bad[0]) + 2)
    return out


def read_vehicles_by_region(path: Path, year: int | None = None) -> pd.DataFrame:
    """region_code, region_name, year, passenger_cars (CBS 85236NED); the latest year unless ``year``."""
    df = read_text_csv(path)
    missing = sorted(VEHICLE_COLUMNS - set(df.columns))
    if missing:
        raise DataError(f"not a CBS 85236NED vehicles table: missing {missing}", file=str(path), row=1,
                        column=missing[0])
    out = pd.DataFrame({"region_code": df["RegioS"].str.strip(),
                        "region_name": df.get("RegioS_title", df["RegioS"]).str.strip(),
                        "year": pd.to_numeric(df["Perioden"].str[:4], errors="coerce"),
                        "passenger_cars": _num(df["Personenauto_2"])})
    year = year or int(out["year"].max())
    return out[out["year"] == year].reset_index(drop=True)


def read_cars_by_province(path: Path) -> pd.DataFrame:
    """year, province_code (NL01 for the nation), cars (all construction years) from CBS 85237NED."""
    df = read_text_csv(path)
    missing = sorted(CARS_PROVINCE_COLUMNS - set(df.columns))
    if missing:
        raise DataError(f"not a CBS 85237NED passenger-car table: missing {missing}", file=str(path), row=1,
                        column=missing[0])
    tot = df[df["Bouwjaar"].str.strip() == "T001378"]
    if tot.empty:
        raise DataError("no 'all construction years' (T001378) rows", file=str(path), column="Bouwjaar")
    rows = []
    for _, r in tot.iterrows():
        year = int(str(r["Perioden"])[:4])
        rows.append({"year": year, "province_code": "NL01", "cars": float(r["TotaalNederland_1"])})
        for col, code in PROVINCE_COLUMNS.items():
            if col in df.columns and str(r[col]).strip():
                rows.append({"year": year, "province_code": code, "cars": float(r[col])})
    return pd.DataFrame(rows)


def norm_name(name: str) -> str:
    """Municipality name normalised for joins: no accents, case, punctuation or CBS suffix ``(gemeente)``."""
    s = str(name).replace("(gemeente)", "").replace("(NH.)", "(Noord-Holland)").replace("(L.)", "(Limburg)")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in s if ch.isalnum())


def read_solar_by_municipality(path: Path) -> pd.DataFrame:
    """municipality_name, name_key, installations, panel_kwp (CBS 85005NED, period of the file)."""
    df = read_text_csv(path)
    missing = sorted(SOLAR_COLUMNS - set(df.columns))
    val = next((c for c in df.columns if c.startswith("waarde")), None)
    if missing or val is None:
        raise DataError(f"not a CBS 85005NED solar table (long form): missing {missing or ['waarde*']}",
                        file=str(path), row=1)
    df["v"] = _num(df[val])
    kwp = df[df["eenheid"].str.strip() == "kWp"].set_index("regio")["v"]
    inst = df[df["onderwerp"].str.strip() == "Installaties"].set_index("regio")["v"]
    out = pd.DataFrame({"municipality_name": kwp.index, "panel_kwp": kwp.to_numpy(),
                        "installations": inst.reindex(kwp.index).to_numpy()})
    out["name_key"] = out["municipality_name"].map(norm_name)
    return out[out["panel_kwp"].notna()].reset_index(drop=True)
