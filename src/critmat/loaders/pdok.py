"""CBS/Kadaster boundaries ("Gebiedsindelingen") served by PDOK: WFS download and local GeoJSON import.

Online: :func:`download_boundaries` pages through the PDOK WFS
(``https://service.pdok.nl/cbs/gebiedsindelingen/{year}/wfs/v1_0``, 1,000 features a page, WGS84) and
stores one GeoJSON FeatureCollection in the cache with a ``.sha256`` checksum file; a later call reuses
the cached file after verifying the checksum. Offline: :func:`read_boundaries` reads a local GeoJSON in
the same format (properties ``statcode`` and ``statnaam``; cartomap-style copies that call the name
``name`` are accepted). Geometry helpers (:func:`centroid`, :func:`contains`) work on GeoJSON
Polygon/MultiPolygon coordinates in degrees, planar (adequate at municipality scale).

Licence of the data: CC BY 4.0, attribute "CBS / Kadaster".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_geojson_features
from critmat.paths import cache_dir

WFS_URL = "https://service.pdok.nl/cbs/gebiedsindelingen/{year}/wfs/v1_0"
LAYERS = {"gemeente": "gebiedsindelingen:gemeente_gegeneraliseerd",
          "provincie": "gebiedsindelingen:provincie_gegeneraliseerd"}
PAGE = 1000


def wfs_params(year: int, level: str, start: int = 0) -> tuple[str, dict[str, str]]:
    """URL and query parameters of one WFS GetFeature page."""
    if level not in LAYERS:
        raise DataError(f"unknown boundary level '{level}' (use {sorted(LAYERS)})")
    return WFS_URL.format(year=year), {
        "service": "WFS", "version": "2.0.0", "request": "GetFeature", "typeNames": LAYERS[level],
        "outputFormat": "json", "srsName": "urn:ogc:def:crs:EPSG::4326", "count": str(PAGE),
        "startIndex": str(start)}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download_boundaries(year: int, level: str = "gemeente", timeout: float = 60.0) -> Path:
    """Download (once) all boundaries of ``level`` for ``year`` into the cache; returns the GeoJSON path.

    The cached file is checked against its ``.sha256`` file on every call; a mismatch is an error
    (delete both files to download again).
    """
    out = cache_dir() / "pdok" / f"{level}_{year}.geojson"
    check = out.with_suffix(".geojson.sha256")
    if out.exists() and check.exists():
        if _sha256(out) != check.read_text().split()[0]:
            raise DataError("cached boundaries do not match their checksum; delete the file and retry", file=str(out))
        return out
    import requests

    features: list[dict[str, Any]] = []
    start = 0
    while True:
        url, params = wfs_params(year, level, start)
        try:
            resp = requests.get(url, params=params, timeout=timeout)
            resp.raise_for_status()
            page = resp.json()
        except Exception as exc:  # network, HTTP or JSON errors
            raise DataError(f"cannot download boundaries from {url} ({type(exc).__name__}: {exc}); offline? "
                            "import a local copy with `critmat region boundaries ID --from FILE`") from exc
        batch = page.get("features", [])
        features.extend(batch)
        if len(batch) < PAGE:
            break
        start += PAGE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    check.write_text(f"{_sha256(out)}  {out.name}\n")
    return out


def read_boundaries(path: Path) -> pd.DataFrame:
    """Boundaries of a CBS/PDOK GeoJSON as a frame: code (GMxxxx/PVxx), name, geometry (GeoJSON dict), lat, lon
    (area-weighted centroid)."""
    rows = []
    for i, f in enumerate(read_geojson_features(path), start=1):
        props = f.get("properties") or {}
        code = props.get("statcode")
        name = props.get("statnaam", props.get("name"))
        geom = f.get("geometry")
        if not code or not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            raise DataError(f"feature {i}: needs properties.statcode and a Polygon/MultiPolygon geometry",
                            file=str(path), row=i, column="statcode")
        lat, lon = centroid(geom)
        rows.append({"code": str(code).strip(), "name": name, "geometry": geom, "lat": lat, "lon": lon})
    return pd.DataFrame(rows, columns=["code", "name", "geometry", "lat", "lon"])


def _polygons(geom: dict[str, Any]) -> Iterator[list[np.ndarray]]:
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    for poly in polys:
        yield [np.asarray(ring, dtype=float)[:, :2] for ring in poly]


def _ring_area_centroid(ring: np.ndarray) -> tuple[float, float, float]:
    x, y = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a = cross.sum() / 2.0
    if a == 0:
        return 0.0, float(x.mean()), float(y.mean())
    cx = ((x + x1) * cross).sum() / (6 * a)
    cy = ((y + y1) * cross).sum() / (6 * a)
    return a, cx, cy


def centroid(geom: dict[str, Any]) -> tuple[float, float]:
    """Area-weighted centroid (lat, lon) of a Polygon/MultiPolygon; holes subtract. Planar in degrees."""
    tot = sx = sy = 0.0
    for rings in _polygons(geom):
        for k, ring in enumerate(rings):
            a, cx, cy = _ring_area_centroid(ring)
            a = abs(a) if k == 0 else -abs(a)
            tot += a
            sx += a * cx
            sy += a * cy
    if tot == 0:
        pts = np.vstack([r for rings in _polygons(geom) for r in rings])
        return float(pts[:, 1].mean()), float(pts[:, 0].mean())
    return sy / tot, sx / tot


def _in_ring(lon: float, lat: float, ring: np.ndarray) -> bool:
    x, y = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    crosses = (y > lat) != (y1 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = x + (lat - y) * (x1 - x) / (y1 - y)
    return bool(np.count_nonzero(crosses & (lon < xint)) % 2)


def contains(geom: dict[str, Any], lat: float, lon: float) -> bool:
    """True if the point lies inside the Polygon/MultiPolygon (even-odd rule; holes excluded)."""
    for rings in _polygons(geom):
        if _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, h) for h in rings[1:]):
            return True
    return False


def locate(points: pd.DataFrame, areas: pd.DataFrame, max_km: float = 3.0) -> pd.Series:
    """Area code for each point (columns lat, lon): the polygon containing it; a point just outside every
    polygon (generalised coastlines, dikes, lakes) goes to the nearest centroid if within ``max_km``;
    otherwise missing."""
    codes: list[str | None] = []
    lat_c, lon_c = areas["lat"].to_numpy(), areas["lon"].to_numpy()
    for lat, lon in zip(points["lat"], points["lon"]):
        found = None
        if pd.notna(lat) and pd.notna(lon):
            for code, geom in zip(areas["code"], areas["geometry"]):
                if contains(geom, float(lat), float(lon)):
                    found = code
                    break
            if found is None:
                d = _km(float(lat), float(lon), lat_c, lon_c)
                # a generalised polygon can miss a coastal or lake-side point: accept the nearest area only
                # if the point is close to that area's polygon (its centroid within a few municipality radii)
                j = int(np.argmin(d))
                if _near_polygon(areas["geometry"].iloc[j], float(lat), float(lon), max_km):
                    found = areas["code"].iloc[j]
        codes.append(found)
    return pd.Series(codes, index=points.index, dtype="object")


def _km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    dy = (lats - lat) * 111.2
    dx = (lons - lon) * 111.2 * np.cos(np.radians(lat))
    return np.hypot(dx, dy)


def _near_polygon(geom: dict[str, Any], lat: float, lon: float, max_km: float) -> bool:
    for rings in _polygons(geom):
        for ring in rings:
            if float(_km(lat, lon, ring[:, 1], ring[:, 0]).min()) <= max_km:
                return True
    return False
