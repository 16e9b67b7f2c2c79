"""Data-centre locations in the GeoJSON format of the "NL datacenter atlas" (aptoptout/nl-datacenter-atlas).

Each Feature is a Point (WGS84) with properties ``name`` (list of names), ``address`` {street, zipcode,
city}, ``owner`` (list), ``amsix`` (bool) and ``source`` (mostly datacentermap.com). The file has no
capacity (MW), floor area or year; :func:`classify` assigns the data-centre type from the owner
(a critmat assumption, stated in the note of every row built from it).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_geojson_features

#: Owners that run hyperscale (single cloud operator, campus-scale) data centres in the Netherlands.
HYPERSCALE_OWNERS = ("microsoft", "google", "meta", "facebook", "amazon", "aws", "apple")
ENTERPRISE_HINTS = ("bank", "ing ", "rabobank", "abn", "kpn", "belastingdienst", "rijksoverheid", "ministerie",
                    "universiteit", "university", "ziekenhuis", "hospital", "surf", "nikhef", "philips", "shell")


def read_datacentres(path: Path) -> pd.DataFrame:
    """name, owner, street, zipcode, city, lat, lon, amsix, source: one row per Point feature."""
    rows = []
    for i, f in enumerate(read_geojson_features(path, "data-centre GeoJSON"), start=1):
        geom = f.get("geometry") or {}
        props = f.get("properties") or {}
        if geom.get("type") != "Point":
            raise DataError(f"feature {i}: geometry must be a Point", file=str(path), row=i, column="geometry")
        coords = geom.get("coordinates")
        try:
            lon, lat = (float(c) for c in coords[:2])
            if not (math.isfinite(lon) and math.isfinite(lat)) or len(coords) < 2:
                raise ValueError
        except (TypeError, ValueError):
            raise DataError(f"feature {i}: coordinates {str(coords)[:40]} are not two finite numbers (lon, lat)",
                            file=str(path), row=i, column="geometry") from None
        names = props.get("name") or []
        owners = props.get("owner") or []
        addr = props.get("address") or {}
        rows.append({
            "name": " / ".join(names) if isinstance(names, list) else str(names),
            "owner": " / ".join(owners) if isinstance(owners, list) else str(owners),
            "street": (addr.get("street") or "").strip(), "zipcode": (addr.get("zipcode") or "").strip(),
            "city": (addr.get("city") or "").strip(), "lat": lat, "lon": lon,
            "amsix": bool(props.get("amsix", False)), "source": props.get("source"),
        })
    return pd.DataFrame(rows, columns=["name", "owner", "street", "zipcode", "city", "lat", "lon", "amsix", "source"])


def classify(name: str, owner: str) -> str:
    """Data-centre type from owner/name: hyperscale for the large cloud operators, enterprise for a single
    organisation's own facility, colocation otherwise (the directory lists mostly colocation sites)."""
    text = f" {name} {owner} ".lower()
    if any(o in text for o in HYPERSCALE_OWNERS):
        return "hyperscale"
    if any(h in text for h in ENTERPRISE_HINTS):
        return "enterprise"
    return "colocation"
