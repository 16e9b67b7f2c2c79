"""Regional CRM stock: load a region's assets and the intensities, run :mod:`critmat.models.inventory`.

Thin glue (the numbers are computed in the model): assets come from the region pack through
:func:`critmat.regions.load_region`, technologies and intensities from the bundled ``intensities``
package, material groups from the reference package. Data centres without a published IT capacity get
the per-type assumption :data:`DATACENTRE_MW_BY_TYPE` (source ``critmat_assumption_datacentre``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from typing import TYPE_CHECKING, Any

from critmat.errors import UnknownIdError
from critmat.models import inventory

if TYPE_CHECKING:
    from critmat.regions import Region
    from critmat.warehouse.access import TableSource

#: EU-list groups the stock is aggregated to by default.
DEFAULT_GROUPS = ("rare_earth_elements_light", "rare_earth_elements_heavy", "platinum_group_metals")
#: Assumed IT capacity (MW) of a data centre without a published figure — critmat_assumption_datacentre.
DATACENTRE_MW_BY_TYPE = {"hyperscale": 60.0, "colocation": 5.0, "enterprise": 1.0}
BY_CHOICES = ("material", "asset_class", "municipality", "province")


@dataclass
class StockInputs:
    """Everything the stock model needs for one region."""

    region_id: str
    assets: pd.DataFrame
    municipalities: pd.DataFrame
    technologies: pd.DataFrame
    intensities: pd.DataFrame
    groups: dict[str, list[str]]
    excluded: pd.DataFrame | None = None  # counted assets left out for lack of a quantity (see load_inputs)
    scaling: pd.DataFrame | None = None  # scale factors applied (scale_to_official), None when not scaled

    @property
    def municipality_province(self) -> dict[str, str]:
        m = self.municipalities
        out = dict(zip(m["municipality_code"].astype(str), m["province_code"].astype(str)))
        if "area_code" in self.assets.columns:  # offshore areas belong to their landing province
            off = self.assets[self.assets["area_code"].notna()]
            out.update(zip(off["area_code"].astype(str), off["province_code"].astype(str)))
        return out


def material_groups(group_ids: Iterable[str] = DEFAULT_GROUPS) -> dict[str, list[str]]:
    """Members of EU-list material groups from the reference package (``material_groups``)."""
    from critmat.regions import reference_frames
    from critmat.warehouse.access import FrameSource
    from critmat.warehouse.access import material_groups as groups_of

    return groups_of(FrameSource(reference_frames()), list(group_ids))


def fill_datacentre_capacity(assets: pd.DataFrame,
                             mw_by_type: Mapping[str, float] = DATACENTRE_MW_BY_TYPE) -> pd.DataFrame:
    """Data centres without ``capacity_mw`` get the assumed MW of their ``datacentre_type`` (enterprise when
    the type is unknown); the column ``capacity_imputed`` marks them."""
    out = assets.copy()
    dc = (out["asset_class"] == "datacentre") & out["capacity_mw"].isna()
    kind = out.get("datacentre_type", pd.Series(index=out.index, dtype="object"))
    out["capacity_imputed"] = dc
    if dc.any():
        types = kind[dc].astype("object").where(kind[dc].notna(), "enterprise")
        out.loc[dc, "capacity_mw"] = types.map(lambda t: mw_by_type.get(str(t), mw_by_type["enterprise"])).astype(float)
    return out


def split_missing_quantity(assets: pd.DataFrame, technologies: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(usable, excluded)``: assets whose technology's quantity (capacity_mw, length_km or units) is empty
    cannot be counted; they are set aside and reported instead of failing the whole region."""
    basis = assets["technology_id"].map(dict(zip(technologies["technology_id"], technologies["basis"])))
    missing = pd.Series(False, index=assets.index)
    for b, col in inventory.QUANTITY.items():
        missing |= (basis == b) & assets[col].isna()
    return assets[~missing].reset_index(drop=True), assets[missing].reset_index(drop=True)


#: classes whose quantities may be scaled to an official count (cars are not: registrations count lease fleets
#: where the lessor sits; the grid has no official regional length)
SCALABLE = {"solar_pv": ("count", "count_with_capacity"), "datacentre": ("count",), "wind_onshore": ("capacity_mw",)}


def scale_to_official(assets: pd.DataFrame, coverage: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assets with quantities scaled to the official counts of the pack's coverage table, and the factors.

    For each coverage row of a scalable class (:data:`SCALABLE`) with an official figure, factor = official /
    counted applies to the operational and under-construction assets of that class in that scope (the region
    or a province): capacity_mw (and units for data centres). Assets get ``scale_factor`` (1 where unscaled).
    This is an explicit option: it assumes the uncounted assets resemble the counted ones on average.
    """
    out = assets.copy()
    out["scale_factor"] = 1.0
    rows = []
    live = out["status"].isin(inventory.STOCK_STATUSES)
    for _, c in coverage.iterrows():
        if c["asset_class"] not in SCALABLE or c["measure"] not in SCALABLE[c["asset_class"]]:
            continue
        if pd.isna(c["official"]) or not c["counted"]:
            continue
        sel = live & (out["asset_class"] == c["asset_class"])
        if str(c["coverage_scope"]) in set(out["province_code"].dropna()):
            sel &= out["province_code"] == c["coverage_scope"]
        if c["asset_class"] == "wind_onshore":  # lake farms are not in the land-turbine figure
            sel &= ~out["note"].fillna("").str.contains("inland water|lake|IJsselmeer|nearshore", case=False, regex=True)
        f = float(c["official"]) / float(c["counted"])
        out.loc[sel, "scale_factor"] = f
        out.loc[sel, "capacity_mw"] = out.loc[sel, "capacity_mw"] * f
        rows.append({"asset_class": c["asset_class"], "scope": c["coverage_scope"], "factor": f,
                     "official": c["official"], "counted": c["counted"], "source_id": c["official_source_id"],
                     "assets": int(sel.sum())})
    return out, pd.DataFrame(rows, columns=["asset_class", "scope", "factor", "official", "counted", "source_id",
                                            "assets"])


def load_inputs(region: str | Path = "nh-fl", groups: Iterable[str] = DEFAULT_GROUPS, *,
                loaded: Region | None = None, scale: bool = False, source: TableSource | None = None) -> StockInputs:
    """Assets and municipalities of ``region`` (validated pack), technologies, intensities and groups.

    Data centres without capacity get :data:`DATACENTRE_MW_BY_TYPE`; other assets without their quantity
    (e.g. solar parks announced without MWp) are moved to ``excluded``. ``loaded``: the region pack already
    loaded (saves validating it again). ``source``: the warehouse (or another
    :class:`~critmat.warehouse.access.TableSource`) to read everything from; None reads the package files
    (:func:`critmat.regions.load_region`, the bundled intensities package).
    """
    if source is not None:
        from critmat.warehouse import access

        reg = loaded if loaded is not None else access.region(source, str(region))
        techs, ints = access.intensities(source)
        group_map = access.material_groups(source, groups)
    else:
        from critmat.build.intensities import load_intensities
        from critmat.regions import load_region

        reg = loaded if loaded is not None else load_region(region)
        techs, ints = load_intensities()
        group_map = material_groups(groups)
    usable, excluded = split_missing_quantity(fill_datacentre_capacity(reg.table("assets")), techs)
    scaling = None
    if scale:
        cov = reg.tables.get("coverage")
        if cov is None or cov.empty:
            raise UnknownIdError(f"region '{reg.config.id}' has no coverage table to scale to (rebuild the pack)")
        usable, scaling = scale_to_official(usable, cov)
    return StockInputs(region_id=reg.config.id, assets=usable, municipalities=reg.table("municipalities"),
                       technologies=techs, intensities=ints, groups=group_map, excluded=excluded,
                       scaling=scaling)


def caption_facts(inputs: StockInputs, pipeline: bool = False) -> dict[str, list[str]]:
    """What a stock answer names besides its numbers: ``not_counted``, the ids of assets in the counted
    statuses (planned for the pipeline, else operational and under construction) left out for want of a
    quantity, and ``sources``, the source ids of the assets and intensities. The build stores them with the
    default result (:mod:`critmat.warehouse.results`), so that reading it loads no inputs."""
    statuses = ("planned",) if pipeline else ("operational", "under_construction")
    ex = inputs.excluded
    ids = ex.loc[ex["status"].isin(statuses), "asset_id"].tolist() if ex is not None and len(ex) else []
    srcs = set(inputs.assets["source_id"].dropna()) | set(inputs.intensities["source_id"].dropna())
    return {"not_counted": [str(i) for i in ids], "sources": sorted(str(x) for x in srcs)}


def regional_stock(inputs: StockInputs, *, n_draws: int = 1000, seed: int = 0, pipeline: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Long-format stock (or pipeline) of a region; raises :class:`ModelError` if parts do not sum up."""
    fn = inventory.pipeline if pipeline else inventory.stock
    res = fn(inputs.assets, inputs.technologies, inputs.intensities, groups=inputs.groups, n_draws=n_draws,
             seed=seed, progress=progress)
    if len(res):
        inventory.assert_aggregate(res, inputs.municipality_province)
    return res


def summarize(result: pd.DataFrame, by: str = "material", material: str | None = None,
              municipalities: pd.DataFrame | None = None, offshore_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows for display: ``--by material`` (region totals per material), ``asset_class`` (region, per class and
    material), ``municipality`` / ``province`` (per area and material, all classes). Sorted by mass_t."""
    if by not in BY_CHOICES:
        raise UnknownIdError(f"unknown --by '{by}' (use one of {', '.join(BY_CHOICES)})")
    w = inventory.wide(result) if len(result) else pd.DataFrame(
        columns=["region", "area_type", "area", "asset_class", "material", "mass_t", "low_t", "high_t"])
    if material is not None:
        if material not in set(w["material"]):
            raise UnknownIdError(f"material '{material}' is not in the stock (materials: "
                                 f"{', '.join(sorted(set(w['material'])))})")
        w = w[w["material"] == material]
    if by == "material":
        w = w[(w["area_type"] == "region") & (w["asset_class"] == inventory.ALL_CLASSES)]
        cols = ["material"]
    elif by == "asset_class":
        w = w[(w["area_type"] == "region") & (w["asset_class"] != inventory.ALL_CLASSES)]
        cols = ["asset_class", "material"]
    else:
        types = ["municipality", "offshore", "unallocated"] if by == "municipality" else ["province"]
        w = w[w["area_type"].isin(types) & (w["asset_class"] == inventory.ALL_CLASSES)].copy()
        if by == "municipality" and municipalities is not None:
            names = dict(zip(municipalities["municipality_code"], municipalities["municipality_name"]))
            w["name"] = w["area"].map(names)
            off = w["area_type"] == "offshore"
            landing = {a: f"North Sea (landing: {names.get(a[3:], a[3:])})" for a in w.loc[off, "area"] if a.startswith("NS-")}
            w.loc[off, "name"] = w.loc[off, "area"].map({**landing, **(offshore_names or {})})
            w["name"] = w["name"].fillna("(unallocated: " + w["area"] + ")")
            w["area"] = w["area"].where(w["area_type"].isin(["municipality", "offshore"]), "")
            cols = ["area", "name", "material"]
        else:
            cols = ["area", "material"]
    extra = ["median_t"] if "median_t" in w.columns else []
    return w.sort_values("mass_t", ascending=False)[cols + ["mass_t", *extra, "low_t", "high_t"]].reset_index(
        drop=True)


_INPUTS_CACHE: dict[tuple, tuple[Any, Any]] = {}


def region_pack(region: str | Path, wh: TableSource = None) -> tuple[Any, Any]:
    """``(StockInputs, Region)``: :func:`critmat.stock.load_inputs` and the validated region pack.

    With a warehouse that holds the region (``wh``), both come from it and are cached per process for
    that build (:func:`critmat.services.context.memo`); otherwise from the pack's files, cached while the
    region pack and the intensities package are unchanged (file names, sizes and modification times).
    Shared by the flows model and :mod:`critmat.risk_report`; do not mutate."""
    from critmat.warehouse import access

    if access.is_warehouse(wh) and not access.is_folder(region):
        from critmat.services.context import memo

        def load() -> tuple[Any, Any]:
            reg = access.region(wh, str(region))
            return load_inputs(str(region), loaded=reg, source=wh), reg

        return memo(wh, ("region_pack", str(region)), load)
    from critmat.paths import bundled_packages
    from critmat.regions import load_region, region_path

    pack = Path(region) if Path(str(region)).is_dir() else region_path(str(region))
    files = sorted([*pack.iterdir(), *(bundled_packages() / "intensities").iterdir()])
    key = (str(pack), tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file()))
    if key not in _INPUTS_CACHE:
        _INPUTS_CACHE.clear()
        reg = load_region(region)
        _INPUTS_CACHE[key] = (load_inputs(region, loaded=reg), reg)
    return _INPUTS_CACHE[key]
