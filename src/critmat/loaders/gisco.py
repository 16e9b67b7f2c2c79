"""Eurostat GISCO NUTS boundaries (``NUTS_RG_<scale>_<year>_4326[_LEVL_n].geojson``): NUTS_ID, LEVL_CODE,
CNTR_CODE (Eurostat 2-letter code: EL = Greece, UK), NAME_LATN, (Multi)Polygon geometry in EPSG:4326.

© EuroGeographics for the administrative boundaries (GISCO copyright notice: attribution required).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_geojson_features

#: Eurostat country codes → country names as written by powerplantmatching
COUNTRY_NAMES = {"AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "CH": "Switzerland", "CY": "Cyprus",
                 "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "EL": "Greece", "ES": "Spain",
                 "FI": "Finland", "FR": "France", "HR": "Croatia", "HU": "Hungary", "IE": "Ireland", "IT": "Italy",
                 "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "MT": "Malta", "NL": "Netherlands",
                 "NO": "Norway", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SE": "Sweden", "SI": "Slovenia",
                 "SK": "Slovakia", "AL": "Albania", "BA": "Bosnia and Herzegovina", "ME": "Montenegro",
                 "MK": "North Macedonia", "RS": "Serbia", "XK": "Kosovo", "UA": "Ukraine", "UK": "United Kingdom",
                 "IS": "Iceland", "LI": "Liechtenstein", "TR": "Turkey"}


def sniff(text_head: str) -> bool:
    """True if the start of a GeoJSON looks like a GISCO NUTS file."""
    return '"NUTS_ID"' in text_head and '"LEVL_CODE"' in text_head


def read_nuts(path: Path) -> pd.DataFrame:
    """nuts_id, level, country, name, geometry (GeoJSON dict) per feature."""
    rows = []
    for i, f in enumerate(read_geojson_features(path, "GISCO NUTS GeoJSON"), start=1):
        p = f.get("properties") or {}
        g = f.get("geometry")
        if not p.get("NUTS_ID") or not isinstance(g, dict) or g.get("type") not in ("Polygon", "MultiPolygon"):
            raise DataError(f"feature {i}: needs properties.NUTS_ID and a Polygon/MultiPolygon", file=str(path), row=i,
                            column="NUTS_ID")
        rows.append({"nuts_id": str(p["NUTS_ID"]).strip(), "level": int(p.get("LEVL_CODE", len(p["NUTS_ID"]) - 2)),
                     "country": str(p.get("CNTR_CODE") or p["NUTS_ID"][:2]), "name": p.get("NAME_LATN") or p.get("NUTS_NAME"),
                     "geometry": g})
    return pd.DataFrame(rows, columns=["nuts_id", "level", "country", "name", "geometry"])
