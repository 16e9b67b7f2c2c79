"""Offline maps (no tile server): province and municipality outlines from the warehouse's ``boundaries``
(WKT, WGS84) where a region pack has them, points for assets and companies, and a choropleth of tonnes per
municipality. Without boundaries the maps draw the municipality centres and say so in the figure.

Coordinates are plotted as lon/lat with the aspect set to 1/cos(mean latitude), which keeps shapes true at
the scale of a province.
"""

from __future__ import annotations

import math

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from critmat.report.figures import PALETTE, _mpl, new, styled

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CLASS_COLORS = {"wind_onshore": PALETTE[0], "wind_offshore": PALETTE[4], "solar_pv": PALETTE[1],
                "datacentre": PALETTE[5], "grid_cable": PALETTE[8], "grid_transformer": PALETTE[7],
                "vehicle": PALETTE[2]}


def _geoms(boundaries: pd.DataFrame, level: str) -> list[tuple[str, object]]:
    """(code, shapely geometry) of the outlines at one level ('municipality' or 'province')."""
    if boundaries is None or not len(boundaries) or "geometry_wkt" not in boundaries:
        return []
    from shapely import wkt

    b = boundaries
    if "area_type" in b:
        b = b[b["area_type"].astype(str).str.startswith(level[:4])]
        code = "area_code" if "area_code" in b else ("area" if "area" in b else f"{level}_code")
    else:
        code = f"{level}_code"
        if code not in b:
            return []
        if level == "province" and "municipality_code" in b:
            b = b[b["municipality_code"].isna()]
        elif level == "municipality":
            b = b[b[code].notna()]
    out = []
    for c, g in zip(b[code], b["geometry_wkt"]):
        try:
            out.append((str(c), wkt.loads(g)))
        except Exception:  # noqa: BLE001 - an unreadable outline is skipped, the rest still draws
            continue
    return out


def _draw_geom(ax, geom, **kw) -> None:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    polys = getattr(geom, "geoms", [geom])
    for p in polys:
        if not hasattr(p, "exterior"):
            continue
        verts = [np.asarray(p.exterior.coords)[:, :2]] + [np.asarray(r.coords)[:, :2] for r in p.interiors]
        codes = []
        for v in verts:
            c = np.full(len(v), MPath.LINETO)
            c[0] = MPath.MOVETO
            codes.append(c)
        ax.add_patch(PathPatch(MPath(np.concatenate(verts), np.concatenate(codes)), **kw))


def _frame(ax, lats: np.ndarray, lons: np.ndarray, pad: float = 0.05) -> None:
    lats, lons = lats[~np.isnan(lats)], lons[~np.isnan(lons)]
    if not len(lats):
        return
    ax.set_xlim(lons.min() - pad, lons.max() + pad)
    ax.set_ylim(lats.min() - pad, lats.max() + pad)
    ax.set_aspect(1 / math.cos(math.radians(float(np.mean(lats)))))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)


def base(ax, boundaries: pd.DataFrame, municipalities: pd.DataFrame, note: str,
         sea: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Draw outlines (or municipality centres); return the lat/lon extent points. ``sea``: also the offshore
    areas the region's build allocates to a landing municipality (outlined, named, inside the extent)."""
    mun = _geoms(boundaries, "municipality")
    prov = _geoms(boundaries, "province")
    lats, lons = [], []
    if sea and len(boundaries) and "area_type" in boundaries:
        off = boundaries[boundaries["area_type"].astype(str).str.startswith("offs")]
        names = dict(zip(off["area_code"].astype(str), off["name"].astype(str))) if "name" in off else {}
        for code, g in _geoms(boundaries, "offshore"):
            _draw_geom(ax, g, facecolor="#eef4fa", edgecolor="#9bb8d3", lw=0.5, ls="--")
            x0, y0, x1, y1 = g.bounds
            lons += [x0, x1]
            lats += [y0, y1]
            c = g.representative_point()
            ax.text(c.x, y0 - 0.01, names.get(code, code), fontsize=6, color="#5b7fa3", ha="center", va="top",
                    style="italic", zorder=2)
            lats.append(y0 - 0.05)
    for _, g in mun:
        _draw_geom(ax, g, facecolor="#f4f4f0", edgecolor="#c8c8c8", lw=0.35)
        x0, y0, x1, y1 = g.bounds
        lons += [x0, x1]
        lats += [y0, y1]
    for _, g in prov:
        _draw_geom(ax, g, facecolor="none", edgecolor="#666", lw=0.9)
        x0, y0, x1, y1 = g.bounds
        lons += [x0, x1]
        lats += [y0, y1]
    if not mun and not prov:
        m = municipalities.dropna(subset=["lat", "lon"])
        ax.scatter(m["lon"], m["lat"], s=6, marker="+", color="#bbb", lw=0.6, zorder=1)
        name = "municipality_name" if "municipality_name" in m else None
        if name and len(m) <= 80:  # names give the reader the geography that the missing outlines would
            for x, y, n in zip(m["lon"], m["lat"], m[name]):
                ax.text(x, y - 0.006, str(n), fontsize=3.8, color="#999", ha="center", va="top", zorder=1)
        ax.text(0.01, 0.01, note, transform=ax.transAxes, fontsize=6, color="#888", va="bottom")
        lats += m["lat"].tolist()
        lons += m["lon"].tolist()
    return np.asarray(lats, float), np.asarray(lons, float)


@styled
def assets_map(assets: pd.DataFrame, boundaries: pd.DataFrame, municipalities: pd.DataFrame,
               classes: dict[str, str], labels: dict[str, str], only: tuple[str, ...] | None = None) -> Figure:
    """Wind, solar, data centres (and other located assets) as points sized by capacity (MW)."""
    a = assets.dropna(subset=["lat", "lon"])
    a = a[a["status"].isin(["operational", "under_construction", "planned"])]
    if only:
        a = a[a["asset_class"].isin(only)]
    fig, ax = new(5.6)
    lats, lons = base(ax, boundaries, municipalities, labels["no_outlines"], sea=True)
    cap = a["capacity_mw"].fillna(0)
    size = 8 + 160 * np.sqrt(cap / max(float(cap.max()), 1.0))
    for cls, g in a.groupby("asset_class"):
        planned = g["status"] == "planned"
        c = CLASS_COLORS.get(cls, PALETTE[8])
        ax.scatter(g.loc[~planned, "lon"], g.loc[~planned, "lat"], s=size[g.index[~planned]], color=c, alpha=0.75,
                   edgecolors="white", lw=0.4, label=f"{classes.get(cls, cls)} ({(~planned).sum()})", zorder=3)
        if planned.any():
            ax.scatter(g.loc[planned, "lon"], g.loc[planned, "lat"], s=size[g.index[planned]], facecolors="none",
                       edgecolors=c, lw=0.9, zorder=3,
                       label=f"{classes.get(cls, cls)} – {labels['planned']} ({planned.sum()})")
    _frame(ax, np.concatenate([lats, a["lat"].to_numpy(float)]), np.concatenate([lons, a["lon"].to_numpy(float)]))
    _legend(fig, ax, 3)
    return fig


def _legend(fig, ax, ncols: int) -> None:
    """A legend under the map with markers of one size (the map's sizes encode capacity, not the class)."""
    handles, labs = ax.get_legend_handles_labels()
    if not handles:
        return
    lg = fig.legend(handles, labs, loc="outside lower center", ncols=ncols, fontsize=6.8)
    for h in lg.legend_handles:
        if hasattr(h, "set_sizes"):
            h.set_sizes([28])


@styled
def companies_map(companies: pd.DataFrame, boundaries: pd.DataFrame, municipalities: pd.DataFrame,
                  activities: dict[str, str], labels: dict[str, str]) -> Figure:
    """Companies by primary activity; companies sharing a town are spread on a small ring to stay visible."""
    c = companies.dropna(subset=["lat", "lon"]).copy()
    fig, ax = new(5.6)
    lats, lons = base(ax, boundaries, municipalities, labels["no_outlines"])
    # spread co-located points (town centres) on a ring of ~1.5 km so that each company stays visible
    c["k"] = c.groupby(["lat", "lon"]).cumcount()
    c["n"] = c.groupby(["lat", "lon"])["k"].transform("size")
    ang = 2 * np.pi * c["k"] / c["n"].clip(lower=1)
    r = np.where(c["n"] > 1, 0.012 + 0.0015 * c["n"], 0)
    c["x"] = c["lon"] + r * np.cos(ang) / math.cos(math.radians(52))
    c["y"] = c["lat"] + r * np.sin(ang)
    for k, (act, g) in enumerate(c.groupby("primary_activity_id")):
        ax.scatter(g["x"], g["y"], s=16, color=PALETTE[k % len(PALETTE)], edgecolors="white", lw=0.3, zorder=3,
                   label=f"{activities.get(act, act)} ({len(g)})")
    _frame(ax, np.concatenate([lats, c["lat"].to_numpy(float)]), np.concatenate([lons, c["lon"].to_numpy(float)]))
    _legend(fig, ax, 3)
    return fig


@styled
def choropleth(values: pd.DataFrame, boundaries: pd.DataFrame, municipalities: pd.DataFrame,
               labels: dict[str, str]) -> Figure:
    """Tonnes per municipality (columns area, mass_t): filled outlines, or circles at the municipality centres
    when no outlines are loaded. Unallocated tonnes (not placed in a municipality) are stated, not drawn."""
    v = values[values["area"].astype(str).str.startswith("GM")].groupby("area")["mass_t"].sum()
    fig, ax = new(5.0)
    mun = dict(_geoms(boundaries, "municipality"))
    vmax = float(v.max()) if len(v) else 1.0
    vmin = max(float(v[v > 0].min()) if (v > 0).any() else 1.0, vmax / 1e5)
    norm = _mpl().colors.LogNorm(vmin=vmin, vmax=vmax)
    cmap = _mpl().colormaps["YlGnBu"]
    lats, lons = base(ax, boundaries, municipalities, labels["no_outlines"])
    if mun:
        for code, g in mun.items():
            if code in v.index and v[code] > 0:
                _draw_geom(ax, g, facecolor=cmap(norm(v[code])), edgecolor="#888", lw=0.3, zorder=2)
    else:
        m = municipalities.set_index("municipality_code")
        m = m[m.index.isin(v.index)]
        vals = v.reindex(m.index)
        ax.scatter(m["lon"], m["lat"], s=10 + 300 * np.sqrt(vals / vmax), c=cmap(norm(vals.clip(lower=vmin))),
                   edgecolors="#555", lw=0.4, zorder=3)
    _frame(ax, lats, lons)
    sm = _mpl().cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.6, label=labels["tonnes"])
    return fig
