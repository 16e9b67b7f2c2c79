"""Geometry for region builds: point-in-polygon placement, distances, simplified boundaries (shapely).

Imported only by the build and allocation code (shapely is imported lazily inside the functions).
Conventions: GeoJSON / WKT coordinates are (lon, lat) in degrees, EPSG:4326. Distances use a local
equirectangular projection around 52.2° N (x = lon × 111.32 × cos 52.2°, y = lat × 110.57 km), which
is within 1 % of the geodesic distance over the Netherlands and adequate for the km-scale rules of a build.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

#: reference latitude of the planar km projection
REF_LAT = 52.2
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON = 111.32 * float(np.cos(np.radians(REF_LAT)))
#: tolerance of the boundary simplification, in degrees of latitude (~ 80 m); keeps topology per polygon
SIMPLIFY_DEG = 0.0008


def shapes(geometries: Iterable[dict[str, Any]]) -> list[Any]:
    """GeoJSON geometry dicts → shapely geometries (invalid rings repaired with ``make_valid``)."""
    import shapely
    from shapely.geometry import shape

    out = []
    for g in geometries:
        s = shape(g)
        if not s.is_valid:
            s = shapely.make_valid(s)
        out.append(s)
    return out


def to_km(geom: Any) -> Any:
    """A shapely geometry in degrees → the same geometry in the planar km projection."""
    import shapely

    return shapely.transform(geom, lambda xy: xy * np.array([KM_PER_DEG_LON, KM_PER_DEG_LAT]))


def km_between(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Planar distance (km) from one point to arrays of points."""
    dy = (np.asarray(lats, float) - lat) * KM_PER_DEG_LAT
    dx = (np.asarray(lons, float) - lon) * KM_PER_DEG_LON
    return np.hypot(dx, dy)


class AreaIndex:
    """Polygons with codes, for point-in-polygon lookups and distances (STRtree over the km projection)."""

    def __init__(self, codes: list[str], geometries: list[Any]):
        import shapely

        self.codes = list(codes)
        self.geoms = list(geometries)
        self.km = [to_km(g) for g in self.geoms]
        self.tree = shapely.STRtree(self.km)

    def locate(self, lats: Iterable[float], lons: Iterable[float]) -> list[str | None]:
        """Code of the polygon containing each point, or None (points on a shared edge: first hit)."""
        import shapely

        lats, lons = np.asarray(list(lats), float), np.asarray(list(lons), float)
        out: list[str | None] = [None] * len(lats)
        ok = ~(np.isnan(lats) | np.isnan(lons))
        pts = shapely.points(lons[ok] * KM_PER_DEG_LON, lats[ok] * KM_PER_DEG_LAT)
        idx_pts = np.flatnonzero(ok)
        hit_pt, hit_poly = self.tree.query(pts, predicate="intersects")
        for p, g in sorted(zip(hit_pt.tolist(), hit_poly.tolist())):
            i = int(idx_pts[p])
            if out[i] is None:
                out[i] = self.codes[g]
        return out

    def nearest(self, lat: float, lon: float) -> tuple[str, float]:
        """Code of the nearest polygon and the distance to it (km; 0 inside)."""
        import shapely

        p = shapely.Point(lon * KM_PER_DEG_LON, lat * KM_PER_DEG_LAT)
        j = int(self.tree.nearest(p))
        return self.codes[j], float(self.km[j].distance(p))

    def distance(self, code: str, lat: float, lon: float) -> float:
        import shapely

        p = shapely.Point(lon * KM_PER_DEG_LON, lat * KM_PER_DEG_LAT)
        return float(self.km[self.codes.index(code)].distance(p))


def simplified_wkt(geom: Any, tolerance: float = SIMPLIFY_DEG, precision: int = 5) -> str:
    """WKT of ``geom`` simplified (topology-preserving per polygon) with coordinates rounded to
    ``precision`` decimals (1e-5° ≈ 1 m)."""
    import shapely

    s = geom.simplify(tolerance, preserve_topology=True)
    s = shapely.set_precision(s, 10 ** -precision)
    if s.is_empty:  # a tiny polygon: keep its envelope rather than nothing
        s = shapely.set_precision(geom.envelope, 10 ** -precision)
    return shapely.to_wkt(s, rounding_precision=precision, trim=True)


def hull_wkt(lats: Iterable[float], lons: Iterable[float], buffer_km: float = 3.0, precision: int = 4) -> str:
    """WKT (degrees) of the convex hull of points buffered by ``buffer_km`` (the footprint of an offshore area)."""
    import shapely

    pts = shapely.multipoints(np.column_stack([np.asarray(list(lons), float) * KM_PER_DEG_LON,
                                               np.asarray(list(lats), float) * KM_PER_DEG_LAT]))
    hull = pts.convex_hull.buffer(buffer_km, quad_segs=4)
    deg = shapely.transform(hull, lambda xy: xy / np.array([KM_PER_DEG_LON, KM_PER_DEG_LAT]))
    return shapely.to_wkt(shapely.set_precision(deg, 10 ** -precision), rounding_precision=precision, trim=True)


def union(geoms: list[Any]) -> Any:
    import shapely

    return shapely.union_all(geoms)


def representative_latlon(geom: Any) -> tuple[float, float]:
    """(lat, lon) of the area-weighted centroid, moved inside the polygon if it falls outside."""
    c = geom.centroid
    if not geom.contains(c):
        c = geom.representative_point()
    return float(c.y), float(c.x)


def frame_locate(points: pd.DataFrame, index: AreaIndex) -> pd.Series:
    """Area code per row of a frame with ``lat``/``lon`` columns (None outside every polygon)."""
    return pd.Series(index.locate(points["lat"], points["lon"]), index=points.index, dtype="object")
