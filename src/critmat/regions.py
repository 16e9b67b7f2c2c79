"""Regions: a frozen config plus a validated data package of municipalities and strategic assets.

A region pack is a folder ``<region_id>/`` holding ``region.yaml`` (:class:`RegionConfig`),
``resources.yaml`` (the data-package spec: ``municipalities``, ``assets``, ``asset_events``,
``goods_categories``, ``goods_category_materials``), the CSV files and a generated
``datapackage.json``. Bundled packs live in ``critmat/data/regions/``; packs built with
``critmat region build`` from publisher files live in ``<CRITMAT_HOME>/regions/`` and take precedence
over a bundled pack of the same id.

Loading (:func:`load_region`) runs the generic package checks (types, enums, primary and foreign keys
against the source registry, the materials table and the ``technologies`` resource of the intensities
package) and then the regional rules of :func:`check_region` (coordinates inside the Netherlands,
capacity per unit within physical limits, asset class consistent with its technology, province
consistent with its municipality, a quantity for every asset). Conventions: WGS84 lat/lon in degrees,
capacity in MW (MWp for PV, MW IT for data centres), cable length in km, units as counts.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from critmat.catalog.package import (
    bundled_frames,
    load_package,
    read_spec,
    write_datapackage,
)
from critmat.errors import RegionError, UnknownIdError
from critmat.paths import bundled_data, bundled_packages, user_regions_dir

# Bounding boxes (WGS84). Land: the 12 provinces incl. the Wadden islands. Sea: the Dutch EEZ of the North Sea.
NL_LAND_BBOX = (50.70, 53.60, 3.30, 7.25)  # lat_min, lat_max, lon_min, lon_max
NL_EEZ_BBOX = (51.20, 55.80, 2.50, 7.25)
OFFSHORE_CLASSES = {"wind_offshore"}

# Physical upper limits per unit / per asset, to catch unit errors (kW typed as MW, a park typed as a turbine).
MAX_MW_PER_UNIT = {"wind_onshore": 10.0, "wind_offshore": 25.0}
MAX_MW_PER_ASSET = {"wind_onshore": 1_500.0, "wind_offshore": 5_000.0, "solar_pv": 2_000.0, "datacentre": 1_500.0}

# Which quantity each asset class must carry (the stock model multiplies intensities by it).
QUANTITY_OF_CLASS = {
    "wind_onshore": "capacity_mw", "wind_offshore": "capacity_mw", "solar_pv": "capacity_mw",
    "datacentre": "capacity_mw", "grid_cable": "length_km", "grid_transformer": "units", "vehicle": "units",
}

#: CLI / API aliases of asset classes.
CLASS_ALIASES: dict[str, tuple[str, ...]] = {
    "wind": ("wind_onshore", "wind_offshore"),
    "solar": ("solar_pv",),
    "datacentre": ("datacentre",),
    "datacenter": ("datacentre",),
    "grid": ("grid_cable", "grid_transformer"),
    "vehicles": ("vehicle",),
    "vehicle": ("vehicle",),
}

REGION_TABLES = ("municipalities", "assets", "asset_events", "goods_categories", "goods_category_materials",
                 "boundaries", "coverage", "match_decisions", "build_inputs")
TEMPLATE_REGION = "nh-fl"  # its resources.yaml is the spec of every region pack


class RegionConfig(BaseModel):
    """A region: id, name, CBS province codes, NUTS codes and the boundary year of its municipality codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9\-]*$")
    name: str
    provinces: tuple[str, ...] = Field(min_length=1)
    nuts2: tuple[str, ...] = ()
    nuts3: tuple[str, ...] = ()
    boundary_year: int = Field(ge=1990, le=2100)
    description: str = ""
    source_id: str | None = None  # source of the municipality list
    status_year: int | None = Field(default=None, ge=1990, le=2100)  # year that decides planned vs operational
    build_command: str = ""  # the command that rebuilds the pack from the publishers' files
    missing: tuple[str, ...] = ()  # asset classes / inputs the build did not find, named
    country: str = Field(default="NL", pattern=r"^[A-Z]{2}$")  # Eurostat country code; NL regions use CBS codes

    def model_post_init(self, __context: Any) -> None:
        if self.country == "NL":
            bad = [p for p in self.provinces if not (len(p) == 4 and p.startswith("PV") and p[2:].isdigit())]
            if bad:
                raise ValueError(f"province codes must be CBS codes like PV27, got {bad}")
        else:
            bad = [p for p in self.provinces if not (p[:2] == self.country and 2 <= len(p) <= 5)]
            if bad:
                raise ValueError(f"areas of a {self.country} region must be its NUTS codes, got {bad}")


@dataclass
class Region:
    """A loaded, validated region pack."""

    config: RegionConfig
    path: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise UnknownIdError(f"region '{self.config.id}' has no table '{name}' (has: {sorted(self.tables)})")
        return self.tables[name]


# ---------------------------------------------------------------- where packs live

def bundled_regions_dir() -> Path:
    return bundled_data() / "regions"


def _pack_dirs() -> dict[str, tuple[Path, str]]:
    out: dict[str, tuple[Path, str]] = {}
    for base, origin in ((bundled_regions_dir(), "bundled"), (user_regions_dir(), "built")):
        if base.is_dir():
            for d in sorted(base.iterdir()):
                if not d.name.startswith(".") and (d / "region.yaml").is_file():  # hidden: staging, never data
                    out[d.name] = (d, origin)  # built overrides bundled
    return out


def region_path(region_id: str) -> Path:
    """Folder of the region pack ``region_id`` (a built pack overrides the bundled one)."""
    packs = _pack_dirs()
    if region_id not in packs:
        raise UnknownIdError(f"unknown region '{region_id}' (known: {', '.join(sorted(packs)) or 'none'}; "
                             "see `critmat region list`, or build one with `critmat region build`)")
    return packs[region_id][0]


def read_region_config(pack_dir: Path) -> RegionConfig:
    path = Path(pack_dir) / "region.yaml"
    if not path.is_file():
        raise RegionError(f"{pack_dir}: not a region pack (no region.yaml)")
    from critmat import safeyaml

    raw = safeyaml.load(path, RegionError)
    if not isinstance(raw, dict):
        raise RegionError(f"{path}: region.yaml must hold a mapping (id, name, provinces ...), got "
                          f"{type(raw).__name__}")
    try:
        return RegionConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(map(str, first["loc"])) or "region"
        raise RegionError(f"{path}: {loc}: {str(first['msg'])[:200]}") from None


def list_regions() -> pd.DataFrame:
    """Known region packs: id, name, provinces, origin (bundled | built), path."""
    rows = []
    for rid, (d, origin) in _pack_dirs().items():
        cfg = read_region_config(d)
        rows.append({"region_id": rid, "name": cfg.name, "provinces": " ".join(cfg.provinces),
                     "boundary_year": cfg.boundary_year, "origin": origin, "path": str(d)})
    return pd.DataFrame(rows, columns=["region_id", "name", "provinces", "boundary_year", "origin", "path"])


# ---------------------------------------------------------------- reference frames for foreign keys

def reference_frames() -> dict[str, pd.DataFrame]:
    """Frames region packs point to: ``sources``, ``materials`` (reference package), ``technologies``
    (intensities package). Raises :class:`RegionError` when a needed package is missing."""
    known = bundled_frames("reference", "intensities")
    for name, pkg in (("materials", "reference"), ("technologies", "intensities")):
        if name not in known:
            raise RegionError(f"resource '{name}' not found: the bundled package "
                              f"'{bundled_packages() / pkg}' is missing or has no such resource")
    return known


# ---------------------------------------------------------------- loading and checks

def load_region(region: str | Path, known: dict[str, pd.DataFrame] | None = None) -> Region:
    """Load and validate a region pack by id (``nh-fl``) or folder; the one loading function of critmat.

    ``known`` overrides the reference frames (tests); by default :func:`reference_frames`.
    """
    pack_dir = Path(region) if isinstance(region, Path) or "/" in str(region) else region_path(str(region))
    config = read_region_config(pack_dir)
    loaded = load_package(pack_dir, known=known if known is not None else reference_frames())
    reg = Region(config=config, path=pack_dir,
                 tables={n: r.frame for n, r in loaded.items()}, files={n: r.path for n, r in loaded.items()})
    check_region(reg)
    return reg


def _fail(reg: Region, table: str, idx: Any, column: str, value: Any, rule: str) -> None:
    row = int(idx) + 2  # header is line 1
    raise RegionError(f"{reg.files.get(table, table)}, line {row}, column '{column}': value {value!r}: {rule}")


def _in_bbox(lat: float, lon: float, bbox: tuple[float, float, float, float]) -> bool:
    return bbox[0] <= lat <= bbox[1] and bbox[2] <= lon <= bbox[3]


def check_region(reg: Region, technologies: pd.DataFrame | None = None) -> None:
    """Regional rules beyond the schema; the first violation raises :class:`RegionError` naming the row."""
    cfg = reg.config
    for name, df in reg.tables.items():
        if "region_id" in df.columns:
            bad = df.index[df["region_id"] != cfg.id]
            if len(bad):
                _fail(reg, name, bad[0], "region_id", df.at[bad[0], "region_id"],
                      f"every row of a region pack must carry region_id '{cfg.id}'")
    mun = reg.tables.get("municipalities")
    if mun is not None:
        bad = mun.index[~mun["province_code"].isin(cfg.provinces)]
        if len(bad):
            _fail(reg, "municipalities", bad[0], "province_code", mun.at[bad[0], "province_code"],
                  f"province not in the region's provinces {list(cfg.provinces)}")
        lat, lon = _num(mun, "lat"), _num(mun, "lon")
        half = np.flatnonzero(np.isnan(lat) != np.isnan(lon))
        if len(half):
            i = mun.index[half[0]]
            col = "lon" if np.isnan(lon[half[0]]) else "lat"
            _fail(reg, "municipalities", i, col, mun.at[i, col], "lat and lon are given together (one is empty)")
        for pos in np.flatnonzero(~np.isnan(lat) & ~_in_bbox_arr(lat, lon, NL_LAND_BBOX)):
            i, r = mun.index[pos], mun.iloc[pos]
            if pd.notna(r["lat"]) and not _in_bbox(r["lat"], r["lon"], NL_LAND_BBOX):
                _fail(reg, "municipalities", i, "lat", (r["lat"], r["lon"]), "centroid outside the Netherlands")
    assets = reg.tables.get("assets")
    if assets is None:
        return
    mun_prov = dict(zip(mun["municipality_code"], mun["province_code"])) if mun is not None else {}
    if technologies is None:
        technologies = bundled_frames("reference", "intensities").get("technologies")
    tech_class = (dict(zip(technologies["technology_id"], technologies["asset_class"]))
                  if technologies is not None and "asset_class" in technologies.columns else {})
    # vectorised: the rows that may break a rule (a superset), then the row rules on those rows in order,
    # so the first violation and its message are those of a row-by-row check
    for pos in _suspect_assets(assets, cfg, mun_prov, tech_class):
        _check_asset(reg, assets.index[pos], assets.iloc[pos], mun_prov, tech_class)
    events = reg.tables.get("asset_events")
    if events is not None and len(events):
        ids = set(assets["asset_id"])
        ev = events["event"].astype(object).to_numpy()
        suspect = (ev == "lifetime_extension") & events["extension_years"].isna().to_numpy()
        rep = events["replacement_asset_id"]
        suspect |= (ev == "repowering") & rep.notna().to_numpy() & ~rep.isin(ids).to_numpy()
        for pos in np.flatnonzero(suspect):
            i, e = events.index[pos], events.iloc[pos]
            if e["event"] == "lifetime_extension" and pd.isna(e["extension_years"]):
                _fail(reg, "asset_events", i, "extension_years", None, "a lifetime extension needs extension_years")
            if e["event"] == "repowering" and pd.notna(e["replacement_asset_id"]) and e["replacement_asset_id"] not in ids:
                _fail(reg, "asset_events", i, "replacement_asset_id", e["replacement_asset_id"], "not an asset_id of the region")


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)


def _in_bbox_arr(lat: np.ndarray, lon: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (lat >= bbox[0]) & (lat <= bbox[1]) & (lon >= bbox[2]) & (lon <= bbox[3])


def _suspect_assets(assets: pd.DataFrame, cfg: RegionConfig, mun_prov: dict, tech_class: dict) -> np.ndarray:
    """Positions of the asset rows that may break a rule of :func:`_check_asset` (never fewer), in order."""
    n = len(assets)
    cls = assets["asset_class"].astype(object).to_numpy()
    status = assets["status"].astype(object).to_numpy()
    lat, lon = _num(assets, "lat"), _num(assets, "lon")
    has_lat, has_lon = assets["lat"].notna().to_numpy(), assets["lon"].notna().to_numpy()
    bad = has_lat != has_lon
    if cfg.country == "NL":
        off = np.isin(cls, list(OFFSHORE_CLASSES))
        inside = np.where(off, _in_bbox_arr(lat, lon, NL_EEZ_BBOX), _in_bbox_arr(lat, lon, NL_LAND_BBOX))
        bad |= has_lat & has_lon & ~inside
    qty_missing = np.zeros(n, dtype=bool)
    for c, col in QUANTITY_OF_CLASS.items():
        qty_missing |= (cls == c) & assets[col].isna().to_numpy()
    bad |= ~np.isin(cls, list(QUANTITY_OF_CLASS))  # the row check raises its own error
    bad |= (cls != "datacentre") & (status == "operational") & qty_missing
    cap, units = _num(assets, "capacity_mw"), _num(assets, "units")
    with np.errstate(invalid="ignore", divide="ignore"):
        for c, lim in MAX_MW_PER_ASSET.items():
            bad |= (cls == c) & (cap > lim)
        whole = np.floor(units)
        for c, lim in MAX_MW_PER_UNIT.items():
            bad |= (cls == c) & ~np.isnan(cap) & (units > 0) & ((whole == 0) | (cap / whole > lim))
    tech = assets["technology_id"]
    bad |= tech.isna().to_numpy()
    if tech_class:
        fam = {t: _family(str(c)) for t, c in tech_class.items()}
        t_fam = tech.map(fam).to_numpy(object)
        a_fam = np.array([_family(str(c)) for c in cls], dtype=object) if n else np.zeros(0, dtype=object)
        bad |= pd.notna(t_fam) & (t_fam != a_fam)
    prov = assets["province_code"]
    m_prov = assets["municipality_code"].map(mun_prov)
    bad |= (m_prov.notna() & prov.notna() & (m_prov != prov)).to_numpy()
    bad |= (prov.notna() & ~prov.isin(list(cfg.provinces))).to_numpy()
    cy, dy = _num(assets, "commissioning_year"), _num(assets, "decommissioning_year")
    bad |= (status == "decommissioned") & np.isnan(dy)
    with np.errstate(invalid="ignore"):
        bad |= dy < cy
    return np.flatnonzero(bad)


def _check_asset(reg: Region, i: Any, r: pd.Series, mun_prov: dict, tech_class: dict) -> None:
    """The regional rules of one asset row (raises :class:`RegionError` at the first one broken)."""
    cfg = reg.config
    cls = r["asset_class"]
    if pd.notna(r["lat"]) and pd.notna(r["lon"]) and cfg.country == "NL":
        bbox = NL_EEZ_BBOX if cls in OFFSHORE_CLASSES else NL_LAND_BBOX
        if not _in_bbox(float(r["lat"]), float(r["lon"]), bbox):
            _fail(reg, "assets", i, "lat", (float(r["lat"]), float(r["lon"])),
                  f"coordinates outside the Netherlands ({'EEZ' if cls in OFFSHORE_CLASSES else 'land'} "
                  f"box lat {bbox[0]}..{bbox[1]}, lon {bbox[2]}..{bbox[3]})")
    elif pd.notna(r["lat"]) != pd.notna(r["lon"]):
        _fail(reg, "assets", i, "lon", r["lon"], "lat and lon must both be given or both be empty")
    qty = QUANTITY_OF_CLASS[cls]
    # data centres: capacity_mw where sourced, else the stock model's per-type assumption; planned,
    # under-construction and decommissioned assets may lack their size (they hold no stock today)
    if cls != "datacentre" and r["status"] == "operational" and pd.isna(r[qty]):
        _fail(reg, "assets", i, qty, None, f"an operational asset of class '{cls}' needs {qty}")
    cap = r["capacity_mw"]
    if pd.notna(cap):
        if cls in MAX_MW_PER_ASSET and cap > MAX_MW_PER_ASSET[cls]:
            _fail(reg, "assets", i, "capacity_mw", float(cap),
                  f"above {MAX_MW_PER_ASSET[cls]:g} MW, implausible for one {cls} asset (unit error?)")
        if cls in MAX_MW_PER_UNIT and pd.notna(r["units"]) and r["units"] > 0:
            per_unit = float(cap) / int(r["units"])
            if per_unit > MAX_MW_PER_UNIT[cls]:
                _fail(reg, "assets", i, "capacity_mw", float(cap),
                      f"{per_unit:g} MW per turbine is absurd for {cls} (limit {MAX_MW_PER_UNIT[cls]:g} MW)")
    tech = r["technology_id"]
    if pd.isna(tech):
        _fail(reg, "assets", i, "technology_id", None, "every asset needs a technology_id")
    if tech_class and tech in tech_class and _family(tech_class[tech]) != _family(cls):
        _fail(reg, "assets", i, "technology_id", tech,
              f"technology of class '{tech_class[tech]}' used for an asset of class '{cls}'")
    code = r["municipality_code"]
    if pd.notna(code) and code in mun_prov and pd.notna(r["province_code"]) and mun_prov[code] != r["province_code"]:
        _fail(reg, "assets", i, "province_code", r["province_code"],
              f"municipality {code} lies in {mun_prov[code]}")
    if pd.notna(r["province_code"]) and r["province_code"] not in cfg.provinces:
        _fail(reg, "assets", i, "province_code", r["province_code"],
              f"province not in the region's provinces {list(cfg.provinces)}")
    if r["status"] == "decommissioned" and pd.isna(r["decommissioning_year"]):
        _fail(reg, "assets", i, "decommissioning_year", None, "a decommissioned asset needs its decommissioning_year")
    if pd.notna(r["commissioning_year"]) and pd.notna(r["decommissioning_year"]) \
            and r["decommissioning_year"] < r["commissioning_year"]:
        _fail(reg, "assets", i, "decommissioning_year", int(r["decommissioning_year"]),
              f"before commissioning_year {int(r['commissioning_year'])}")


def _family(cls: str) -> str:
    """Wind technologies apply on and off shore; other classes must match exactly."""
    return "wind" if cls.startswith("wind") else "solar" if cls == "solar_pv" else cls


# ---------------------------------------------------------------- queries

def resolve_classes(asset_class: str | None) -> tuple[str, ...] | None:
    """Map a CLI alias (``wind``, ``solar``, ``grid`` ...) or an asset_class value to asset_class values."""
    if asset_class is None:
        return None
    key = asset_class.strip().lower()
    if key in CLASS_ALIASES:
        return CLASS_ALIASES[key]
    if key in QUANTITY_OF_CLASS:
        return (key,)
    raise UnknownIdError(f"unknown asset class '{asset_class}' "
                         f"(use one of {', '.join(sorted(set(CLASS_ALIASES) | set(QUANTITY_OF_CLASS)))})")


def assets(region: str | Path = "nh-fl", asset_class: str | None = None) -> pd.DataFrame:
    """The asset registry of a region, optionally filtered by class or alias (``wind``, ``grid`` ...)."""
    df = load_region(region).table("assets")
    classes = resolve_classes(asset_class)
    if classes is not None:
        df = df[df["asset_class"].isin(classes)]
    return df.reset_index(drop=True)


def summary(reg: Region) -> pd.DataFrame:
    """Per asset class: rows, units, capacity (MW), cable length (km)."""
    a = reg.table("assets")
    def total(s: pd.Series) -> Any:
        return s.sum(min_count=1)

    out = a.groupby(["asset_class", "status"], dropna=False).agg(
        rows=("asset_id", "size"), units=("units", total), capacity_mw=("capacity_mw", total),
        length_km=("length_km", total)).reset_index()
    return out


# ---------------------------------------------------------------- writing packs

def write_region_pack(out_dir: Path, config: RegionConfig, tables: dict[str, pd.DataFrame],
                      known: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write a region pack atomically: build in a hidden staging folder, validate it, then move it into place.

    A failed validation leaves ``out_dir`` as it was. An existing ``out_dir`` is replaced only when critmat
    wrote it (a region pack, or a folder with the marker of :mod:`critmat.warehouse.staging`); anything else is
    refused, never deleted.
    """
    from critmat.warehouse.staging import clean_stale, mark_output, staging_dir

    out_dir = Path(out_dir)
    check_pack_target(out_dir)
    template = read_spec(bundled_regions_dir() / TEMPLATE_REGION)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out_dir.parent)
    tmp = staging_dir(out_dir.parent, config.id)
    old: Path | None = None
    try:
        (tmp / "region.yaml").write_text(
            yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True), encoding="utf-8")
        spec = template.model_dump(mode="json", exclude_defaults=False)
        if config.id != TEMPLATE_REGION:
            spec["name"] = f"region-{config.id}"
            spec["title"] = f"Region pack {config.name}"
            spec["description"] = (f"Municipalities and strategic assets of {config.name} (built by critmat region "
                                   "build from the publishers' files).")
        (tmp / "resources.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
        for res in template.resources:
            df = tables.get(res.name)
            if df is None:
                df = pd.DataFrame(columns=res.fields)
            df = df.reindex(columns=list(res.fields))  # optional columns a loader does not fill stay empty
            for f in res.field_defs():
                if f.type in ("integer", "year"):
                    df[f.name] = pd.to_numeric(df[f.name]).astype("Int64")
            df.to_csv(tmp / res.path, index=False, lineterminator="\n")
        write_datapackage(tmp)
        load_region(tmp, known=known)
        if out_dir.resolve().parent != bundled_regions_dir().resolve():
            mark_output(tmp)
        if out_dir.exists():
            old = staging_dir(out_dir.parent, f"{config.id}-old")
            old.rmdir()
            out_dir.rename(old)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not out_dir.exists():
            old.rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out_dir


def check_pack_target(out_dir: Path) -> None:
    """Refuse an output folder critmat did not write: it may be new, empty, a region pack (region.yaml and
    resources.yaml) or carry critmat's marker; anything else (a home, a thesis folder) is never replaced."""
    from critmat.warehouse.staging import check_output_dir

    out_dir = Path(out_dir)
    if out_dir.is_dir() and not out_dir.is_symlink() and (out_dir / "region.yaml").is_file() \
            and (out_dir / "resources.yaml").is_file():
        return
    check_output_dir(out_dir)


__all__ = [
    "CLASS_ALIASES", "Region", "RegionConfig", "assets", "check_region", "list_regions", "load_region",
    "read_region_config", "reference_frames", "region_path", "resolve_classes", "summary",
    "user_regions_dir", "write_region_pack", "build_region", "discover_sources", "import_boundaries",
    "region_geometries", "build_all_provinces", "build_nuts_region",
]


# ---------------------------------------------------------------- building packs from publisher files

#: NUTS 2021 level-2 code of each province (Eurostat NUTS 2021 classification).
PROVINCE_NUTS2 = {"PV20": "NL11", "PV21": "NL12", "PV22": "NL13", "PV23": "NL21", "PV24": "NL23", "PV25": "NL22",
                  "PV26": "NL31", "PV27": "NL32", "PV28": "NL33", "PV29": "NL34", "PV30": "NL41", "PV31": "NL42"}

#: Source ids of rows loaded by :func:`build_region` (entries of data/sources/regional.yaml).
BUILD_SOURCES = {"ppm": "ppm_v060", "datacentres": "nl_datacenter_atlas_2020", "solar_list": "wikipedia_nl_solar_parks",
                 "boundaries": "cbs_gebiedsindelingen", "municipalities": "cbs_gemeenten_2025"}


def _first_line(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.readline(20000).decode("utf-8-sig", errors="replace")
    except OSError:
        return ""


def _year_in_name(path: Path) -> int:
    import re

    years = [int(y) for y in re.findall(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", path.name)]
    return max(years) if years else 0


def discover_sources(src: Path) -> dict[str, Path]:
    """Find publisher files in ``src`` (recursively) by their format: CBS municipality list, CBS/PDOK
    municipality and province boundaries (GeoJSON), powerplantmatching CSV, RIVM turbine list, data-centre
    atlas GeoJSON, solar-park list, CBS EV share / private cars by municipality, CBS 85236NED, 85237NED and
    85005NED (long form)."""
    from critmat.loaders import cbs, cbs_regional, nl_solar_parks, powerplantmatching, rivm_wind

    found: dict[str, list[Path]] = {}
    for path in sorted(Path(src).rglob("*")):
        if not path.is_file():
            continue
        head = _first_line(path)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            cols = {c.strip().strip('"') for c in head.replace(";", ",").split(",")}
            if set(powerplantmatching.REQUIRED) <= cols:
                found.setdefault("powerplants", []).append(path)
            elif rivm_wind.sniff(cols):
                found.setdefault("rivm_wind", []).append(path)
            elif cbs_regional.EV_COLUMNS <= cols:
                found.setdefault("ev_share", []).append(path)
            elif cbs_regional.VEHICLE_COLUMNS <= cols:
                found.setdefault("vehicles_region", []).append(path)
            elif cbs_regional.CARS_PROVINCE_COLUMNS <= cols:
                found.setdefault("cars_province", []).append(path)
            elif cbs_regional.SOLAR_COLUMNS <= cols and "long" in path.name:
                found.setdefault("solar_cbs", []).append(path)
            elif set(nl_solar_parks.COLUMNS) <= cols:
                found.setdefault("solar_list", []).append(path)
            elif cbs.sniff_municipalities(path):
                found.setdefault("municipalities", []).append(path)
        elif suffix in (".geojson", ".json"):
            text = path.read_text(encoding="utf-8", errors="replace")[:4000]
            if '"statcode"' in text and '"GM' in text:
                found.setdefault("boundaries", []).append(path)
            elif '"statcode"' in text and '"PV' in text:
                found.setdefault("province_boundaries", []).append(path)
            elif '"Point"' in text and '"address"' in text and '"owner"' in text:
                found.setdefault("datacentres", []).append(path)
            elif '"NUTS_ID"' in text and '"LEVL_CODE"' in text:
                found.setdefault("nuts", []).append(path)
    out: dict[str, Path] = {}
    for kind, paths in found.items():
        if kind in ("powerplants", "nuts"):  # the full file over extracts (NUTS: all levels, newest)
            out[kind] = max(paths, key=lambda p: p.stat().st_size)
        else:  # the newest edition
            out[kind] = max(paths, key=lambda p: (_year_in_name(p), p.stat().st_size))
    return out


def _select_provinces(mun: pd.DataFrame, provinces: list[str]) -> pd.DataFrame:
    import unicodedata

    def norm(s: str) -> str:
        return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower().replace(" ", "").replace("-", "")

    aliases = {"friesland": "fryslan"}
    wanted = set()
    table = mun[["province_code", "province_name"]].drop_duplicates()
    for p in provinces:
        key = aliases.get(norm(p), norm(p))
        hit = table[(table["province_code"].str.lower() == p.lower()) | (table["province_name"].map(norm) == key)]
        if hit.empty:
            raise RegionError(f"unknown province '{p}' (known: {', '.join(sorted(table['province_name']))})")
        wanted |= set(hit["province_code"])
    return mun[mun["province_code"].isin(wanted)].reset_index(drop=True)


def _check_list_complete(every_mun: pd.DataFrame, boundaries: pd.DataFrame, files: dict[str, Path]) -> None:
    """Row counts against what a second source promises: boundaries of the same year list every
    municipality of the country; the CBS list must hold each of them (a truncated list fails)."""
    year_list, year_b = _year_in_name(files["municipalities"]), _year_in_name(files["boundaries"])
    if not year_list or year_list != year_b:
        return
    lacking = sorted(set(boundaries["code"]) - set(every_mun["municipality_code"]))
    if lacking:
        raise RegionError(f"{files['municipalities']}: lists {len(every_mun)} municipalities, but the {year_b} "
                          f"boundaries ({files['boundaries'].name}) have {len(set(boundaries['code']))}; missing e.g. "
                          f"{', '.join(lacking[:3])} (truncated list? rule: the list covers every municipality "
                          "of its year)")


def build_region(provinces: list[str], src: Path, out: Path | None = None, region_id: str | None = None,
                 name: str | None = None, boundary_year: int | None = None, now: int | None = None) -> Path:
    """Build a region pack for one or more Dutch provinces from local copies of the publishers' files.

    ``src`` is searched (:func:`discover_sources`) for the CBS municipality list (required), CBS/PDOK
    boundaries, powerplantmatching, the RIVM turbine list, the solar-park list, the data-centre atlas and
    the CBS car, EV-share and solar tables. Curated rows of ``critmat/data/curation/<region_id>/`` (nh-fl)
    are merged with the loaded ones by the rules of :mod:`critmat.build.region`, which also writes the
    match decisions, boundaries, coverage and input checksums. ``now`` (default: the curation's
    ``status_year``, else this year) decides planned vs operational. Writes atomically to ``out`` (default
    ``<CRITMAT_HOME>/regions/<id>``) and returns that folder.
    """
    import datetime

    from critmat.build import region as region_build
    from critmat.loaders import cbs, pdok

    if out is not None:  # refuse a folder critmat did not write before doing any work
        check_pack_target(Path(out))
    files = discover_sources(Path(src))
    if "municipalities" not in files:
        raise RegionError(f"{src}: no CBS municipality list found (a CSV with columns GemeentecodeGM, Gemeentenaam, "
                          "ProvinciecodePV, Provincienaam, or gemeentecode_gm, gemeentenaam, provinciecode_pv, "
                          "provincienaam)")
    mun_all = cbs.read_municipalities(files["municipalities"])
    mun = _select_provinces(mun_all, provinces)
    codes = tuple(dict.fromkeys(mun["province_code"]))
    region_id = region_id or "-".join(c.lower() for c in codes)
    cur_dir = region_build.curation_dir(region_id)
    cur_cfg = read_region_config(cur_dir) if (cur_dir / "region.yaml").is_file() else None
    now = now or (cur_cfg.status_year if cur_cfg and cur_cfg.status_year else datetime.date.today().year)
    if "boundaries" in files:
        b = pdok.read_boundaries(files["boundaries"])
        _check_list_complete(mun_all, b, files)
        cent = b.set_index("code")[["lat", "lon"]]
        mun = mun.join(cent, on="municipality_code")
    else:
        mun["lat"] = mun["lon"] = float("nan")
    mun["lat"], mun["lon"] = mun["lat"].round(4), mun["lon"].round(4)
    mun.insert(0, "region_id", region_id)
    mun["source_id"] = BUILD_SOURCES["municipalities"]
    byear = boundary_year or _year_in_name(files["municipalities"]) or now
    if cur_cfg is not None and set(cur_cfg.provinces) != set(codes):
        raise RegionError(f"region '{region_id}' is curated for provinces {list(cur_cfg.provinces)}, not {list(codes)}; "
                          "build under another --id")
    tables, missing = region_build.build_tables(mun, mun_all, files, Path(src), region_id, now)
    prov_args = " ".join(f"--province {p.replace(' ', '-')}" for p in [tables["municipalities"].loc[
        tables["municipalities"]["province_code"] == c, "province_name"].iloc[0] for c in codes])
    command = f"critmat region build {prov_args} --from <shared data> --id {region_id} --status-year {now}"
    if cur_cfg is not None:
        config = cur_cfg.model_copy(update={"status_year": now, "build_command": command,
                                            "missing": tuple(missing)})
    else:
        names = list(dict.fromkeys(mun["province_name"]))
        config = RegionConfig(id=region_id, name=name or " and ".join(names), provinces=codes,
                              nuts2=tuple(PROVINCE_NUTS2[c] for c in codes if c in PROVINCE_NUTS2),
                              boundary_year=byear, source_id=BUILD_SOURCES["municipalities"],
                              description=f"Built by critmat region build from {', '.join(sorted(files))}.",
                              status_year=now, build_command=command, missing=tuple(missing))
    target = Path(out) if out else user_regions_dir() / region_id
    return write_region_pack(target, config, tables)


def build_nuts_region(code: str, src: Path, out: Path | None = None, region_id: str | None = None,
                      now: int | None = None) -> Path:
    """Build a region pack for a NUTS region of any EU/EEA country (first step: wind and solar from
    powerplantmatching, the boundary from GISCO; what is missing is named in ``region.yaml``)."""
    import datetime

    from critmat.build import region as region_build

    now = now or datetime.date.today().year
    files = discover_sources(Path(src))
    region_id = region_id or code.lower()
    cfg, tables, missing = region_build.build_nuts_tables(code, files, Path(src), region_id, now)
    command = f"critmat region build --nuts {code.upper()} --from <shared data> --id {region_id} --status-year {now}"
    config = RegionConfig(id=region_id, boundary_year=2024, status_year=now, build_command=command,
                          missing=tuple(missing), description=f"NUTS region {code.upper()} built by critmat region "
                          "build from GISCO NUTS 2024 and powerplantmatching.", **cfg)
    target = Path(out) if out else user_regions_dir() / region_id
    return write_region_pack(target, config, tables)


def build_all_provinces(src: Path, out_dir: Path | None = None, now: int | None = None) -> list[Path]:
    """One pack per Dutch province (ids ``pv20`` ... ``pv31``) under ``out_dir`` (default the user's regions)."""
    from critmat.loaders import cbs

    files = discover_sources(Path(src))
    if "municipalities" not in files:
        raise RegionError(f"{src}: no CBS municipality list found")
    codes = sorted(set(cbs.read_municipalities(files["municipalities"])["province_code"]))
    base = Path(out_dir) if out_dir else user_regions_dir()
    return [build_region([c], src, out=base / c.lower(), now=now) for c in codes]


# ---------------------------------------------------------------- boundaries (polygons or points)

BOUNDARIES_FILE = "boundaries.geojson"


def write_boundaries(pack_dir: Path, polygons: pd.DataFrame) -> Path:
    """Write municipality polygons (frame from :func:`critmat.loaders.pdok.read_boundaries`) next to a pack."""
    import json

    feats = [{"type": "Feature", "properties": {"municipality_code": c, "municipality_name": n}, "geometry": g}
             for c, n, g in zip(polygons["code"], polygons["name"], polygons["geometry"])]
    out = Path(pack_dir) / BOUNDARIES_FILE
    out.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return out


def import_boundaries(region_id: str, geojson: Path | None = None, year: int | None = None) -> Path:
    """Store the region's municipality polygons under ``<CRITMAT_HOME>/regions/<id>/boundaries.geojson``,
    from a local CBS/PDOK GeoJSON or (``geojson=None``) downloaded from the PDOK WFS."""
    from critmat.loaders import pdok

    reg = load_region(region_id)
    path = Path(geojson) if geojson else pdok.download_boundaries(year or reg.config.boundary_year, "gemeente")
    b = pdok.read_boundaries(path)
    codes = set(reg.table("municipalities")["municipality_code"])
    poly = b[b["code"].isin(codes)].reset_index(drop=True)
    missing = sorted(codes - set(poly["code"]))
    if missing:
        raise RegionError(f"{path}: no polygon for {len(missing)} municipality(ies) of '{region_id}', e.g. {missing[:3]} "
                          f"(boundary year {reg.config.boundary_year}?)")
    target = user_regions_dir() / region_id if reg.path.parent != user_regions_dir() else reg.path
    target.mkdir(parents=True, exist_ok=True)
    return write_boundaries(target, poly)


def region_geometries(region: str | Path = "nh-fl") -> dict[str, Any]:
    """GeoJSON FeatureCollection of the region's municipalities: polygons from an imported
    ``boundaries.geojson`` (``critmat region boundaries``) or the pack's ``boundaries`` table, else Points at
    the municipality centroids (property ``geometry_kind``)."""
    import json

    reg = load_region(region)
    for d in (user_regions_dir() / reg.config.id, reg.path):
        f = d / BOUNDARIES_FILE
        if f.is_file():
            data = json.loads(f.read_text(encoding="utf-8"))
            for feat in data["features"]:
                feat["properties"]["geometry_kind"] = "polygon"
            return data
    b = reg.tables.get("boundaries")
    if b is not None and (b["area_type"] == "municipality").any():
        import shapely
        from shapely.geometry import mapping

        m = b[(b["area_type"] == "municipality") & b["geometry_wkt"].notna()]
        feats = [{"type": "Feature", "geometry": mapping(shapely.from_wkt(w)),
                  "properties": {"municipality_code": c, "municipality_name": n, "geometry_kind": "polygon"}}
                 for c, n, w in zip(m["area_code"], m["name"], m["geometry_wkt"])]
        return {"type": "FeatureCollection", "features": feats}
    mun = reg.table("municipalities")
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lo), float(la)]},
              "properties": {"municipality_code": c, "municipality_name": n, "geometry_kind": "centroid"}}
             for c, n, la, lo in zip(mun["municipality_code"], mun["municipality_name"], mun["lat"], mun["lon"])
             if pd.notna(la) and pd.notna(lo)]
    return {"type": "FeatureCollection", "features": feats}
