"""run_flows as it was before the aggregated rewrite (dense years x assets x materials arrays, per-asset
loops, the Monte Carlo on per-asset parts), kept as a reference: tests/test_flows_agreement.py checks that
critmat.flows.run_flows gives the same results on nh-fl for every bundled scenario (same seed).

Not used by critmat itself; a frozen copy of src/critmat/flows.py and montecarlo.simulate at commit d12df64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmat.errors import ModelError, ScenarioError, UnknownIdError
from critmat.models import circularity as circ
from critmat.models import fleets, inventory
from critmat.models import montecarlo as mc
from critmat.models.dynamics import asset_exits, inflow_driven, stock_driven
from critmat.models.lifetimes import Lifetime
from critmat.specs.scenarios import Scenario, load_scenario

import warnings
from collections.abc import Mapping

from critmat.models.dynamics import AssetExits

quantiles = mc.quantiles
BAND_VARIABLES_MC = mc.BAND_VARIABLES

@dataclass
class FlowDraws:
    """Inputs of :func:`simulate` (deterministic parts and the per-asset layout).

    * ``asset_class`` / ``tech`` ``(n,)``: class name and technology index (into ``techs``) of every asset;
    * ``single`` ``(n_s,)``: positions of the single assets (their exits are ``exits``, over the same order);
    * ``single_content`` ``(n_s, M)``: central tonnes of a whole single asset; ``single_qty`` ``(n_s,)``
      quantity (MW); ``successor`` ``(n_s,)``: replaced by a registered asset (no replacement demand);
    * ``vintage`` ``(T, Y, M)``: central tonnes per basis unit of a unit built in each year;
    * ``parts``: deterministic ``outflow``, ``demand_replacement``, ``demand_new`` ``(Y, n, M)``.
    """

    years: np.ndarray
    mats: Sequence[str]
    techs: Sequence[str]
    asset_class: np.ndarray
    tech: np.ndarray
    single: np.ndarray
    exits: AssetExits | None
    single_content: np.ndarray
    single_qty: np.ndarray
    successor: np.ndarray
    vintage: np.ndarray
    parts: Mapping[str, np.ndarray]


@dataclass
class FlowBands:
    """Percentile bands: ``by_class[cls][variable]`` ``(3, Y, M)`` (p05, p50, p95; class ``all`` too, with
    ``eol_rir``), ``totals[variable]`` ``(3, M)`` over the window's sums (``secondary_supply`` for
    ``recovered``), ``eol_rir`` ``(3, M)`` of the window sums and ``meets_share`` ``(M,)``: the share of
    draws whose window EoL-RIR reaches the benchmark (NaN without a benchmark)."""

    by_class: dict[str, dict[str, np.ndarray]]
    totals: dict[str, np.ndarray]
    eol_rir: np.ndarray
    meets_share: np.ndarray


def simulate(fd: FlowDraws, params: circ.PathwayParameters, int_factor: np.ndarray, rec_factor: np.ndarray, *,
             all_label: str = "all", benchmark: float | None = None,
             progress: Progress | None = None) -> FlowBands:
    """Draws of the flows per asset class, reduced to percentile bands (see module docstring).

    ``int_factor`` ``(D, T, M)`` and ``rec_factor`` ``(D, M)`` from :func:`intensity_factors` and
    :func:`recovery_factors`; ``fd.exits`` holds ``D`` exit-year draws of the single assets (or None).
    Memory: a few ``D x Y x M`` arrays per class (no per-asset draws are kept).
    """
    n_d = int_factor.shape[0]
    years = fd.years
    n_y, n_m = len(years), len(fd.mats)
    classes = sorted(set(fd.asset_class.tolist()))
    is_single = np.zeros(len(fd.asset_class), dtype=bool)
    is_single[fd.single] = True
    s_cls = fd.asset_class[fd.single]
    s_tech = fd.tech[fd.single]
    totals = {v: np.zeros((n_d, n_y, n_m)) for v in BAND_VARIABLES_MC}
    by_class: dict[str, dict[str, np.ndarray]] = {}
    for step, cls in enumerate(classes):
        c = params.index(cls)
        in_cls = fd.asset_class == cls
        o = np.zeros((n_d, n_y, n_m))
        dem_r = np.zeros((n_d, n_y, n_m))
        dem_n = np.zeros((n_d, n_y, n_m))
        for t in sorted(set(fd.tech[in_cls].tolist())):
            f = int_factor[:, t, None, :]                          # (D, 1, M)
            mask = in_cls & (fd.tech == t)
            # fleets and cohorts: deterministic quantities, sampled intensity
            pop = mask & ~is_single
            if pop.any():
                for v, arr in (("outflow", o), ("demand_replacement", dem_r), ("demand_new", dem_n)):
                    arr += f * fd.parts[v][:, pop].sum(axis=1)[None]
            sm = (s_cls == cls) & (s_tech == t)
            if sm.any() and fd.exits is not None:
                cont = np.where(sm[:, None], fd.single_content, 0.0)
                o += f * fd.exits.outflow(years, cont)            # (D, Y, M)
                q_mask = sm & ~fd.successor
                if q_mask.any():
                    q_out = fd.exits.outflow(years, np.where(q_mask, fd.single_qty, 0.0))  # (D, Y)
                    dem_r += f * (q_out * params.replacement[c][None])[:, :, None] * fd.vintage[t][None]
                dem_n += f * fd.parts["demand_new"][:, fd.single[sm]].sum(axis=1)[None]
        rc = np.minimum(params.recovery[c].T[None] * rec_factor[:, None, :], 1.0)   # (D, Y, M)
        p = circ.apply_pathways(o, params.export_reuse[c][None, :, None], params.collection[c][None, :, None],
                                params.pretreatment[c].T[None], rc)
        per = {"outflow": o, "reused": p["reused"], "recovered": p["recovered"], "lost": p["lost"],
               "demand_replacement": dem_r, "demand_new": dem_n, "demand": dem_r + dem_n}
        for v in BAND_VARIABLES_MC:
            totals[v] += per[v]
        by_class[cls] = {v: quantiles(per[v]) for v in BAND_VARIABLES_MC}
        if progress:
            progress(step + 1, len(classes) + 1)
    allb = {v: quantiles(totals[v]) for v in BAND_VARIABLES_MC}
    allb["eol_rir"] = quantiles(circ.recycling_input_rate(totals["recovered"], totals["demand"])[0])
    by_class[all_label] = allb
    sums = {v: totals[v].sum(axis=1) for v in BAND_VARIABLES_MC}     # (D, M)
    rir = circ.recycling_input_rate(sums["recovered"], sums["demand"])[0]
    if benchmark is not None:
        with np.errstate(invalid="ignore"):
            meets = np.where(np.isnan(rir), np.nan, rir >= benchmark)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meets_share = np.nanmean(meets, axis=0)
    else:
        meets_share = np.full(n_m, np.nan)
    if progress:
        progress(len(classes) + 1, len(classes) + 1)
    return FlowBands(by_class=by_class, totals={v: quantiles(s) for v, s in sums.items()}, eol_rir=quantiles(rir),
                     meets_share=meets_share)


POPULATION_CLASSES = ("datacentre", "grid_cable", "grid_transformer", "vehicle")
COHORT_CLASSES = ("solar_pv",)
DEMAND_VARIABLES = ("demand_replacement", "demand_new", "demand")
FLOW_VARIABLES = (*circ.PATHWAY_VARIABLES, *DEMAND_VARIABLES)
RATE_VARIABLES = ("eol_rir", "secondary_to_demand")
BAND_VARIABLES = (*mc.BAND_VARIABLES, "eol_rir")
STATISTICS = mc.STATISTICS
COLUMNS = ["region", "area_type", "area", "scenario", "asset_class", "material", "year", "variable", "unit",
           "value"]
TABLES = ("lifetimes", "material_lifetimes", "fleet_buildup", "eol_pathways", "recovery_rates")
Progress = Callable[[int, int], None]


@dataclass
class FlowsResult:
    """Output of :func:`run_flows` (see the module docstring)."""

    region: str
    scenario: Scenario
    years: np.ndarray
    flows: pd.DataFrame
    indicators: pd.DataFrame
    summary: pd.DataFrame
    benchmark: float | None
    n_draws: int | None
    notes: list[str] = field(default_factory=list)
    sampled: tuple[str, ...] = ()
    not_sampled: tuple[str, ...] = ()
    fleets: pd.DataFrame = field(default_factory=pd.DataFrame)


# ------------------------------------------------------------------------------------------ parameters
def circularity_tables(wh: Any = None) -> dict[str, pd.DataFrame]:
    """The circularity package's tables: from the warehouse when it has them, else the bundled package."""
    if wh is not None and all(wh.has(t) for t in TABLES):
        return {t: wh.table(t) for t in TABLES}
    from critmat.catalog.package import load_package
    from critmat.build.intensities import known_frames, load_intensities
    from critmat.paths import bundled_packages

    known = dict(known_frames())
    known["technologies"] = load_intensities()[0]
    loaded = load_package(bundled_packages() / "circularity", known=known)
    return {t: loaded[t].frame for t in TABLES}


def recycling_benchmark(wh: Any = None) -> float | None:
    """The CRMA recycling benchmark (share) from ``crma_benchmarks`` where ``used`` is true, if present."""
    if wh is None or not wh.has("crma_benchmarks"):
        return None
    b = wh.table("crma_benchmarks")
    sel = b[(b["benchmark_stage"] == "recycling") & (b["used"].astype(bool))]
    return float(sel["value_share"].iloc[0]) if len(sel) else None


def _lifetimes(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, Lifetime], dict[tuple[str, str], Lifetime]]:
    by_tech = {r["technology_id"]: circ.lifetime_from_row(r, f"lifetimes row {r['technology_id']}")
               for r in tables["lifetimes"].to_dict(orient="records")}
    by_mat = {(r["technology_id"], r["material_id"]):
              circ.lifetime_from_row(r, f"material_lifetimes row {r['technology_id']}/{r['material_id']}")
              for r in tables["material_lifetimes"].to_dict(orient="records")}
    return by_tech, by_mat


# ---------------------------------------------------------------------------------------------- assets
def _quantity(assets: pd.DataFrame, technologies: pd.DataFrame) -> np.ndarray:
    basis = assets["technology_id"].map(dict(zip(technologies["technology_id"], technologies["basis"])))
    q = np.full(len(assets), np.nan)
    for b, col in inventory.QUANTITY.items():
        m = (basis == b).to_numpy()
        q[m] = pd.to_numeric(assets.loc[m, col], errors="coerce").to_numpy(dtype=float)
    return q


def prepare_assets(assets: pd.DataFrame, excluded: pd.DataFrame | None, sc: Scenario, region: str,
                   start: int) -> tuple[pd.DataFrame, list[str]]:
    """Apply the scenario to the registry: commissioning years, pipeline, dropped assets; adds ``mode``."""
    notes: list[str] = []
    a = assets.copy()
    known = set(a["asset_id"]) | (set(excluded["asset_id"]) if excluded is not None else set())
    strict = sc.region == region
    for what, ids in (("commissioning_years", sc.commissioning_years), ("pipeline", sc.pipeline)):
        for aid in ids:
            if aid not in known:
                if strict:
                    raise ScenarioError(f"scenario '{sc.name}': {what}: '{aid}' is not an asset of region "
                                        f"'{region}'")
                notes.append(f"scenario {what} entry '{aid}' is not an asset of {region}: ignored")
            elif excluded is not None and aid in set(excluded["asset_id"]) and aid not in set(a["asset_id"]):
                if what == "commissioning_years" or sc.pipeline[aid].include:
                    notes.append(f"'{aid}' has no capacity, length or units in the region pack: not counted")
    a["commissioning_year"] = pd.to_numeric(a["commissioning_year"], errors="coerce")
    a["decommissioning_year"] = pd.to_numeric(a["decommissioning_year"], errors="coerce")
    for aid, year in sc.commissioning_years.items():
        a.loc[a["asset_id"] == aid, "commissioning_year"] = year
    keep = np.ones(len(a), dtype=bool)
    for i, r in enumerate(a.itertuples(index=False)):
        if r.status in ("planned", "under_construction"):
            entry = sc.pipeline.get(r.asset_id)
            if entry is not None and not entry.include:
                keep[i] = False
                notes.append(f"pipeline asset '{r.asset_id}' left out by the scenario ({entry.note or 'include: false'})")
                continue
            if entry is not None and entry.commissioning_year is not None:
                a.iat[i, a.columns.get_loc("commissioning_year")] = entry.commissioning_year
            elif pd.isna(r.commissioning_year):
                keep[i] = False
                notes.append(f"pipeline asset '{r.asset_id}' has no expected commissioning year (give one in the "
                             "scenario's pipeline): left out")
        elif r.status == "decommissioned":
            if pd.isna(r.decommissioning_year) or r.decommissioning_year < start or pd.isna(r.commissioning_year):
                keep[i] = False
    a = a[keep].reset_index(drop=True)
    no_year = a["commissioning_year"].isna()
    a["mode"] = np.where(a["asset_class"].isin(POPULATION_CLASSES) | no_year, "population",
                         np.where(a["asset_class"].isin(COHORT_CLASSES), "cohort", "single"))
    odd = a[no_year & ~a["asset_class"].isin(POPULATION_CLASSES)]
    for aid in odd["asset_id"]:
        notes.append(f"'{aid}' has no commissioning year: treated as a stationary population")
    return a, notes


def vintage_content(technologies: pd.DataFrame, intensities: pd.DataFrame, techs: Iterable[str],
                    years: Sequence[int], materials: Sequence[str]) -> dict[str, np.ndarray]:
    """Tonnes per basis unit (MW, km, unit) of each material for a technology built in each year:
    ``{technology_id: (Y, M)}`` (the inventory's vintage rule)."""
    techs = sorted(set(techs))
    cls = dict(zip(technologies["technology_id"], technologies["asset_class"]))
    rows = [{"asset_id": f"{t}@{y}", "region_id": "x", "asset_class": cls[t], "technology_id": t,
             "status": "planned", "commissioning_year": int(y), "capacity_mw": 1.0, "length_km": 1.0,
             "units": 1.0, "municipality_code": None, "province_code": "x"} for t in techs for y in years]
    if not rows:
        return {}
    content = inventory.asset_content(pd.DataFrame(rows), technologies, intensities)
    wide = content.pivot_table(index="asset_id", columns="material", values="mass_t", aggfunc="sum")
    wide = wide.reindex(columns=list(materials), fill_value=0.0).fillna(0.0)
    out = {}
    for t in techs:
        ids = [f"{t}@{y}" for y in years]
        out[t] = wide.reindex(ids, fill_value=0.0).to_numpy(dtype=float)
    return out


# --------------------------------------------------------------------------------------------- the run
def _area_cells(a: pd.DataFrame, region: str) -> tuple[list[tuple[str, str, str]], np.ndarray]:
    """Output cells (area_type, area, asset_class) and the membership matrix (cells x assets)."""
    muni = a["municipality_code"].astype("object")
    has_muni = muni.notna() & (muni.astype(str) != "")
    level = {"region": np.full(len(a), region, dtype=object), "province": a["province_code"].to_numpy(object),
             "municipality": np.where(has_muni, muni, None),
             "unallocated": np.where(~has_muni, a["province_code"], None)}
    cells: list[tuple[str, str, str]] = []
    rows: list[np.ndarray] = []
    classes = a["asset_class"].to_numpy(object)
    for area_type, areas in level.items():
        for area in sorted({x for x in areas if x is not None}):
            in_area = areas == area
            for cls in [*sorted(set(classes[in_area])), inventory.ALL_CLASSES]:
                mask = in_area & ((classes == cls) if cls != inventory.ALL_CLASSES else True)
                cells.append((area_type, str(area), cls))
                rows.append(mask.astype(float))
    return cells, np.vstack(rows) if rows else np.zeros((0, len(a)))


FLEET_COLUMNS = ["technology_id", "asset_class", "year", "target", "registered", "stock", "inflow", "replacement",
                 "growth", "outflow", "unit", "source_id"]
UNITS_BY_BASIS = {"mw": "MW", "km": "km", "unit": "units"}


def _registered_path(a: pd.DataFrame, tech: str, years: np.ndarray) -> np.ndarray:
    """Basis units of ``tech`` the registered assets hold in each year (like-for-like replacement keeps a
    commissioned asset's stock; assets without a year are in use throughout)."""
    sel = a[a["technology_id"] == tech]
    cy = sel["commissioning_year"].to_numpy(dtype=float)
    q = sel["quantity"].to_numpy(dtype=float)
    live = np.isnan(cy)[None, :] | (cy[None, :] <= years[:, None])
    return (live * q[None, :]).sum(axis=1)


def _ev_targets(sc: Scenario, a: pd.DataFrame, lt: Lifetime, years: np.ndarray) -> dict[str, Any]:
    """Fleet targets by drivetrain from the scenario's EV share of new sales (absolute, units)."""
    from critmat.specs.scenarios import FleetTarget

    ev = sc.ev_sales
    cars = a[(a["asset_class"] == "vehicle") & (a["mode"] == "population")]
    stock = cars.groupby("technology_id")["quantity"].sum().to_dict()
    if not stock:
        return {}
    pts = sorted(ev.points.items())
    e = np.interp(years, [p[0] for p in pts], [p[1] for p in pts])
    ev_techs = {"car_bev": ev.bev_share_of_ev, "car_phev": 1.0 - ev.bev_share_of_ev}
    rest = {t: q for t, q in stock.items() if t not in ev_techs}
    rest_total = sum(rest.values()) or 1.0
    shares = {t: e * f for t, f in ev_techs.items()}
    shares.update({t: (1.0 - e) * q / rest_total for t, q in rest.items()})
    paths = fleets.sales_share_fleets({t: float(stock.get(t, 0.0)) for t in shares}, lt, years,
                                      sc.registry_year, shares)
    note = f"fleet by drivetrain from the EV share of new sales ({ev.note or 'scenario ev_sales'})"
    return {t: FleetTarget(points={int(y): float(v) for y, v in zip(years, p)}, relative=False,
                           source_id=ev.source_id, note=note) for t, p in paths.items()}


def apply_targets(a: pd.DataFrame, sc: Scenario, technologies: pd.DataFrame, by_tech: dict[str, Lifetime],
                  since: dict[str, int], years: np.ndarray) -> tuple[pd.DataFrame, dict[int, tuple[np.ndarray, ...]],
                                                                     pd.DataFrame, list[str]]:
    """The scenario's target fleets (``targets``, ``ev_sales``) as stock-driven fleets.

    Returns the assets (with one synthetic ``target:<technology>`` row, mode ``target``, for each fleet of
    wind farms or solar parks above the registered ones), ``{asset position: (outflow, replacement,
    growth)}`` in basis units per year of ``years`` for every asset the targets drive (a fleet's flows are
    shared among its registered assets in proportion to their quantity), the fleet table
    (:data:`FLEET_COLUMNS`) and notes."""
    notes: list[str] = []
    targets = dict(sc.targets)
    hist = np.arange(sc.registry_year, int(years[-1]) + 1)
    if sc.ev_sales is not None:
        lt_car = by_tech.get("car_ice") or next((by_tech[t] for t in ("car_bev", "car_phev") if t in by_tech), None)
        if lt_car is not None:
            for t, tg in _ev_targets(sc, a, lt_car, hist).items():
                targets.setdefault(t, tg)
    if not targets:
        return a, {}, pd.DataFrame(columns=FLEET_COLUMNS), notes
    cls_of = dict(zip(technologies["technology_id"], technologies["asset_class"]))
    basis = dict(zip(technologies["technology_id"], technologies["basis"]))
    driven: dict[int, tuple[np.ndarray, ...]] = {}
    rows = []
    extra_rows = []
    for tech, tg in sorted(targets.items()):
        if tech not in cls_of:
            raise ScenarioError(f"scenario '{sc.name}': target for unknown technology '{tech}'")
        if tech not in by_tech:
            raise ScenarioError(f"scenario '{sc.name}': technology '{tech}' has no lifetime in the circularity package")
        pts = sorted(tg.points.items())
        factor = np.interp(hist, [p[0] for p in pts], [p[1] for p in pts])
        reg = _registered_path(a, tech, hist)
        target = factor * reg if tg.relative else factor
        lt = by_tech[tech]
        mine = a.index[(a["technology_id"] == tech)].to_numpy()
        pop = mine[(a.loc[mine, "mode"] == "population").to_numpy()]
        in_years = np.isin(hist, years)
        if len(pop) and len(pop) == len(mine):  # a fleet: follows the target as a whole
            q = a.loc[pop, "quantity"].to_numpy(dtype=float)
            st = since.get(tech)
            ff = fleets.target_fleet_flows(hist, target, lt, hist, since=st if st and st < hist[0] else None)
            share = q / q.sum() if q.sum() > 0 else np.full(len(q), 1.0 / len(q))
            for pos, sh in zip(pop, share):
                driven[int(pos)] = (ff.outflow[in_years] * sh, ff.replacement[in_years] * sh, ff.growth[in_years] * sh)
            stock, registered = ff.stock, reg
        else:  # wind farms / solar parks: the part above the registered assets is a new fleet
            extra = np.maximum(target - reg, 0.0)
            if tg.relative and reg.max(initial=0.0) == 0:
                notes.append(f"target for '{tech}' is relative but the region has no such asset: no fleet")
            ff = fleets.target_fleet_flows(hist, extra, lt, hist)
            if extra.max(initial=0.0) > 0:
                cls = a.loc[mine, "asset_class"].mode().iloc[0] if len(mine) else cls_of[tech]
                prov = tg.province or (a.loc[mine, "province_code"].mode().iloc[0] if len(mine) else
                                       a["province_code"].mode().iloc[0])
                extra_rows.append({"asset_id": f"target:{tech}", "asset_class": cls, "technology_id": tech,
                                   "status": "planned", "commissioning_year": np.nan, "decommissioning_year": np.nan,
                                   "capacity_mw": 1.0, "length_km": 1.0, "units": 1.0,
                                   "municipality_code": tg.municipality, "province_code": prov,
                                   "region_id": a["region_id"].iloc[0] if "region_id" in a and len(a) else None,
                                   "mode": "target", "_flows": (ff.outflow[in_years], ff.replacement[in_years],
                                                                ff.growth[in_years])})
            stock, registered = reg + ff.stock, reg
        for k, y in enumerate(hist):
            rows.append({"technology_id": tech, "asset_class": cls_of[tech] if not len(mine) else
                         a.loc[mine, "asset_class"].mode().iloc[0], "year": int(y), "target": float(target[k]),
                         "registered": float(registered[k]), "stock": float(stock[k]), "inflow": float(ff.inflow[k]),
                         "replacement": float(ff.replacement[k]), "growth": float(ff.growth[k]),
                         "outflow": float(ff.outflow[k]), "unit": UNITS_BY_BASIS.get(basis.get(tech), ""),
                         "source_id": tg.source_id})
    if extra_rows:
        flows_of = [r.pop("_flows") for r in extra_rows]
        add = pd.DataFrame(extra_rows).dropna(axis=1, how="all")
        a = pd.concat([a, add], ignore_index=True)
        for k, f in enumerate(flows_of):
            driven[len(a) - len(add) + k] = f
    fl = pd.DataFrame(rows, columns=FLEET_COLUMNS)
    return a, driven, fl, notes


def run_flows(region: str | Path = "nh-fl", scenario: str | Path | Scenario = "baseline", *, wh: Any = None,
              start: int | None = None, end: int | None = None, materials: Sequence[str] | None = None,
              n_draws: int | None = None, seed: int = 0, progress: Progress | None = None) -> FlowsResult:
    """End-of-life flows, demand and circularity indicators of ``region`` under ``scenario``.

    Args:
        region: region pack id or folder.
        scenario: bundled name, YAML path or a :class:`~critmat.specs.scenarios.Scenario`.
        wh: an open warehouse (circularity tables, CRMA benchmark); None → the bundled package, no benchmark.
        start, end: years of the results (default: the scenario's window); ``start <= end``.
        materials: material ids to keep (default: all); ids no asset holds are noted (an error if none is held).
        n_draws: Monte Carlo draws of the single assets' lifetimes (None or 0: deterministic only).
        seed: random seed (same seed, same bands).
        progress: ``progress(done, total)`` during the Monte Carlo.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    start = sc.years.start if start is None else int(start)
    end = sc.years.end if end is None else int(end)
    if end < start:
        raise ModelError(f"years out of order: from {start} is after to {end}")
    if start <= sc.registry_year - 50 or end > 2200:
        raise ModelError(f"years {start}..{end} are outside what the model covers "
                         f"(registry year {sc.registry_year}, up to 2200)")
    if n_draws is not None and n_draws < 0:
        raise ModelError(f"n_draws must be >= 0, got {n_draws}")
    years = np.arange(start, end + 1)
    inputs, events = _region_inputs(region)
    region_id = inputs.region_id
    tables = circularity_tables(wh)
    benchmark = recycling_benchmark(wh)
    a, notes = prepare_assets(inputs.assets, inputs.excluded, sc, region_id, start)
    techs, ints = inputs.technologies, inputs.intensities
    a["quantity"] = _quantity(a, techs)
    by_tech, by_mat = _lifetimes(tables)
    since = dict(zip(tables["fleet_buildup"]["technology_id"], tables["fleet_buildup"]["stock_since_year"]))
    shifted = {t: circ.shift_lifetime(lt, float(sc.lifetime_shift_years.get(
        dict(zip(techs["technology_id"], techs["asset_class"])).get(t, ""), 0.0))) for t, lt in by_tech.items()}
    a, driven, fleet_table, t_notes = apply_targets(a, sc, techs, shifted, since, np.arange(start, end + 1))
    notes += t_notes
    a["quantity"] = _quantity(a, techs)

    content_long = inventory.asset_content(a, techs, ints)
    all_mats = sorted(set(content_long["material"]))
    if materials is not None:
        unknown = [m for m in materials if m not in all_mats]
        if len(unknown) == len(set(materials)):
            raise UnknownIdError(f"material '{unknown[0]}' is not held by any asset of {region_id} "
                                 f"(materials: {', '.join(all_mats)})")
        if unknown:
            notes.append(f"not held by any asset of {region_id}: {', '.join(unknown)}")
        mats = [m for m in all_mats if m in set(materials)]
    else:
        mats = all_mats
    content = (content_long.pivot_table(index="asset_id", columns="material", values="mass_t", aggfunc="sum")
               .reindex(index=a["asset_id"], columns=mats).fillna(0.0).to_numpy(dtype=float))
    n, n_m, n_y = len(a), len(mats), len(years)
    vint = vintage_content(techs, ints, a["technology_id"], years, mats)
    missing = sorted(set(a["technology_id"]) - set(by_tech))
    if missing:
        raise ModelError(f"no lifetime for technology '{missing[0]}' in the circularity package (lifetimes)")
    shift = sc.lifetime_shift_years
    classes = tuple(sorted(set(a["asset_class"])))
    params = circ.resolve_parameters(tables["eol_pathways"], tables["recovery_rates"], classes, mats, years,
                                     pathway_overrides=sc.pathway_overrides(),
                                     stage_overrides=sc.stage_overrides())
    check_scenario_ids(sc, wh, extra=all_mats)
    notes += list(params.notes)
    cls_idx = np.array([params.index(c) for c in a["asset_class"]])
    repl_share = params.replacement[cls_idx]  # (n, Y)

    out_t = np.zeros((n_y, n, n_m))
    dem_repl = np.zeros((n_y, n, n_m))
    dem_new = np.zeros((n_y, n, n_m))

    # -- single assets --------------------------------------------------------------------------------
    single = np.flatnonzero((a["mode"] == "single").to_numpy())
    s_frame = a.iloc[single].reset_index(drop=True)
    ex = None
    successor = np.zeros(len(s_frame), dtype=bool)
    s_lts: dict[str, Lifetime] = {}
    s_events = None
    if len(s_frame):
        s_frame = s_frame.assign(lt_key=s_frame["technology_id"] + "|" + s_frame["asset_class"])
        for key, tech, cls in zip(s_frame["lt_key"], s_frame["technology_id"], s_frame["asset_class"], strict=True):
            s_lts[key] = circ.shift_lifetime(by_tech[tech], float(shift.get(cls, 0.0)))
        ev = events[events["asset_id"].isin(set(s_frame["asset_id"]))].copy()
        if "replacement_asset_id" in ev.columns:
            ok = ev["replacement_asset_id"].isin(set(s_frame["asset_id"]))
            ev["replacement_asset_id"] = ev["replacement_asset_id"].where(ok, None)
            succ_ids = set(ev.loc[(ev["event"] == "repowering") & ok, "asset_id"])
            successor = s_frame["asset_id"].isin(succ_ids).to_numpy()
        s_events = ev.reset_index(drop=True)
        cols = ["asset_id", "commissioning_year", "quantity", "lt_key", "units", "status", "decommissioning_year"]
        s_frame["commissioning_year"] = s_frame["commissioning_year"].astype("int64")
        ex = asset_exits(s_frame[cols], s_lts, s_events, by="lt_key", alive_in=sc.registry_year)
        q_out = ex.outflow_by_asset(years)  # (Y, n_single) in quantity units
        qty = s_frame["quantity"].to_numpy(dtype=float)
        share = np.divide(q_out, qty, out=np.zeros_like(q_out), where=qty > 0)
        out_t[:, single] = share[:, :, None] * content[single][None]
        for k, (i, tech) in enumerate(zip(single, s_frame["technology_id"], strict=True)):
            if not successor[k]:
                dem_repl[:, i] = (q_out[:, k] * repl_share[i])[:, None] * vint[tech]

    # -- populations ----------------------------------------------------------------------------------
    for i, (o, rp, nw) in driven.items():  # target fleets (stock-driven on the scenario's target path)
        r = a.iloc[i]
        tech, q = r["technology_id"], float(r["quantity"])
        per_unit = content[i] / q if r["mode"] != "target" and q > 0 else vint[tech]
        out_t[:, i] = o[:, None] * per_unit
        dem_repl[:, i] = rp[:, None] * vint[tech]
        dem_new[:, i] = nw[:, None] * vint[tech]
    for i in np.flatnonzero((a["mode"] == "population").to_numpy()):
        if int(i) in driven:
            continue
        r = a.iloc[i]
        tech, cls, q = r["technology_id"], r["asset_class"], float(r["quantity"])
        if q <= 0:
            continue
        cy = None if pd.isna(r["commissioning_year"]) else float(r["commissioning_year"])
        st = None if cy is not None or tech not in since else int(since[tech])
        per_unit = content[i] / q
        groups: dict[int, tuple[Lifetime, list[int]]] = {}
        for j, m in enumerate(mats):
            lt = by_mat.get((tech, m), by_tech[tech])
            groups.setdefault(id(lt), (lt, []))[1].append(j)
        for lt, js in groups.values():
            lt_s = circ.shift_lifetime(lt, float(shift.get(cls, 0.0)))
            o, rp, nw = fleets.population_flows(q, lt_s, years, cy, st, sc.registry_year)
            out_t[:, i, js] = o[:, None] * per_unit[js][None]
            dem_repl[:, i, js] = rp[:, None] * vint[tech][:, js]
            dem_new[:, i, js] = nw[:, None] * per_unit[js][None]
    # -- cohorts (solar parks: panels fail one by one along the lifetime distribution) ----------------
    for i in np.flatnonzero((a["mode"] == "cohort").to_numpy()):
        r = a.iloc[i]
        tech, cls, q, cy = r["technology_id"], r["asset_class"], float(r["quantity"]), int(r["commissioning_year"])
        lt_s = circ.shift_lifetime(by_tech[tech], float(shift.get(cls, 0.0)))
        hist = np.arange(min(cy, start), end + 1)
        res_c = inflow_driven(np.where(hist == cy, q, 0.0), lt_s, hist)
        o = res_c.outflow[hist >= start]
        out_t[:, i] = (o / q)[:, None] * content[i][None] if q > 0 else 0.0
        dem_repl[:, i] = (o * repl_share[i])[:, None] * vint[tech]
    # new single assets and cohorts commissioned within the window
    for i in np.flatnonzero(a["mode"].isin(["single", "cohort"]).to_numpy()):
        cy = int(a.at[i, "commissioning_year"])
        if start <= cy <= end:
            dem_new[cy - start, i] = content[i]

    # -- pathways per asset, aggregation to cells -----------------------------------------------------
    er = params.export_reuse[cls_idx].T[:, :, None]          # (Y, n, 1)
    co = params.collection[cls_idx].T[:, :, None]
    pt = np.transpose(params.pretreatment[cls_idx], (2, 0, 1))  # (Y, n, M)
    rc = np.transpose(params.recovery[cls_idx], (2, 0, 1))
    parts = circ.apply_pathways(out_t, er, co, pt, rc)
    parts = {k: np.asarray(v) for k, v in parts.items()}
    parts["demand_replacement"] = dem_repl
    parts["demand_new"] = dem_new
    parts["demand"] = dem_repl + dem_new
    resid = circ.balance_residual(parts)
    if np.abs(resid).max(initial=0.0) > 1e-9 * max(1.0, float(out_t.max(initial=0.0))):
        raise ModelError("mass balance broken: outflow != reused + recovered + lost")

    cells, member = _area_cells(a, region_id)
    frames = []
    present = None
    agg = {v: np.einsum("cn,ynm->cmy", member, parts[v], optimize=True) for v in FLOW_VARIABLES}
    present = np.zeros((len(cells), n_m), dtype=bool)
    for v in FLOW_VARIABLES:
        present |= (agg[v] != 0).any(axis=2)
    ci, mi = np.nonzero(present)
    for v in FLOW_VARIABLES:
        vals = agg[v][ci, mi]  # (K, Y)
        frames.append(_long(cells, ci, mats, mi, years, v, "t", vals))

    # -- indicators (region, all classes) -------------------------------------------------------------
    reg_all = cells.index(("region", region_id, inventory.ALL_CLASSES))
    rec = agg["recovered"][reg_all]   # (M, Y)
    dem = agg["demand"][reg_all]
    idx = pd.MultiIndex.from_product([mats, years], names=["material", "year"])
    ind = circ.indicator_frame(pd.Series(rec.ravel(), idx), pd.Series(dem.ravel(), idx), benchmark)
    summ = circ.summary_frame(pd.Series(rec.ravel(), idx), pd.Series(dem.ravel(), idx), benchmark)
    for var in ("outflow", "reused", "lost"):
        summ[f"{var}_t"] = agg[var][reg_all].sum(axis=1)
    rir, ratio = circ.recycling_input_rate(rec, dem)
    k = np.flatnonzero(present[reg_all])
    for v, arr in (("eol_rir", rir), ("secondary_to_demand", ratio)):
        frames.append(_long(cells, np.full(len(k), reg_all), mats, k, years, v, "fraction", arr[k]))

    # -- Monte Carlo bands ----------------------------------------------------------------------------
    if n_draws:
        band_frames, band_summary = _bands(a, single, s_frame, s_lts, s_events, successor, content, vint, ints,
                                           params, parts, cells, region_id, mats, years, int(n_draws), seed,
                                           sc.registry_year, benchmark, progress)
        frames += band_frames
        summ = summ.merge(band_summary, on="material", how="left")
    flows = pd.concat(frames, ignore_index=True)
    flows.insert(3, "scenario", sc.name)
    flows["region"] = region_id
    flows = flows[COLUMNS]
    order = ["material", "secondary_supply_t", "demand_t", "eol_rir", "secondary_to_demand", "outflow_t",
             "reused_t", "lost_t"]
    summ = summ[[c for c in order if c in summ.columns] + [c for c in summ.columns if c not in order]]
    return FlowsResult(region=region_id, scenario=sc, years=years, flows=flows, indicators=ind, summary=summ,
                       benchmark=benchmark, n_draws=int(n_draws) if n_draws else None,
                       notes=list(dict.fromkeys(notes)), sampled=mc.SAMPLED_INPUTS if n_draws else (),
                       not_sampled=mc.NOT_SAMPLED if n_draws else (), fleets=fleet_table)


_INPUTS_CACHE: dict[tuple, tuple[Any, Any]] = {}


def region_pack(region: str | Path) -> tuple[Any, Any]:
    """``(StockInputs, Region)``: :func:`critmat.stock.load_inputs` and the validated region pack, loaded
    once and cached per process while the region pack and the intensities package are unchanged (file
    names, sizes and modification times). Shared with :mod:`critmat.risk_report`; do not mutate."""
    from critmat.paths import bundled_packages
    from critmat.regions import load_region, region_path
    from critmat.stock import load_inputs

    pack = Path(region) if Path(str(region)).is_dir() else region_path(str(region))
    files = sorted([*pack.iterdir(), *(bundled_packages() / "intensities").iterdir()])
    key = (str(pack), tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file()))
    if key not in _INPUTS_CACHE:
        _INPUTS_CACHE.clear()
        reg = load_region(region)
        _INPUTS_CACHE[key] = (load_inputs(region, loaded=reg), reg)
    return _INPUTS_CACHE[key]


def _region_inputs(region: str | Path) -> tuple[Any, pd.DataFrame]:
    """:func:`critmat.stock.load_inputs` and (a copy of) the region's events (see :func:`region_pack`)."""
    inputs, reg = region_pack(region)
    return inputs, reg.table("asset_events").copy()


def check_scenario_ids(sc: Scenario, wh: Any = None, extra: Sequence[str] = ()) -> None:
    """The ids a scenario names that ``flows`` checks against the warehouse (``scenario validate`` runs the
    same): materials in pretreatment/recovery are known elements, not groups."""
    unknown_mats = {m for (_, m, _) in sc.stage_overrides()} - set(extra) - _known_material_ids(wh)
    if unknown_mats:
        raise ScenarioError(f"scenario '{sc.name}': unknown material '{sorted(unknown_mats)[0]}' in "
                            "pretreatment/recovery")
    groups = _material_groups(wh)
    grouped = sorted({m for (_, m, _) in sc.stage_overrides()} & set(groups))
    if grouped:  # rates apply per element; a group id would match no flow and change nothing
        g = grouped[0]
        raise ScenarioError(f"scenario '{sc.name}': '{g}' in pretreatment/recovery is a material group; "
                            f"give the rate per element ({', '.join(groups[g])})")


def _material_groups(wh: Any) -> dict[str, list[str]]:
    """Material group id → member ids (warehouse ``material_groups``, else the reference package)."""
    if wh is not None and wh.has("material_groups"):
        mg = wh.table("material_groups")
    else:
        from critmat.regions import reference_frames

        mg = reference_frames()["material_groups"]
    return {str(g): sorted(map(str, m)) for g, m in mg.groupby("group_id")["material_id"]}


def _known_material_ids(wh: Any) -> set[str]:
    if wh is not None and wh.has("materials"):
        return set(wh.table("materials")["material_id"])
    from critmat.regions import reference_frames

    return set(reference_frames()["materials"]["material_id"])


def _long(cells: list[tuple[str, str, str]], ci: np.ndarray, mats: Sequence[str], mi: np.ndarray,
          years: np.ndarray, variable: str, unit: str, vals: np.ndarray) -> pd.DataFrame:
    """Long rows for (cell, material) pairs x years."""
    k, n_y = len(ci), len(years)
    cell_arr = np.array(cells, dtype=object).reshape(-1, 3) if cells else np.zeros((0, 3), dtype=object)
    c = cell_arr[np.repeat(ci, n_y)] if k else np.zeros((0, 3), dtype=object)
    return pd.DataFrame({"region": None, "area_type": c[:, 0], "area": c[:, 1], "asset_class": c[:, 2],
                         "material": np.asarray(mats, dtype=object)[np.repeat(mi, n_y)] if k else [],
                         "year": np.tile(years, k), "variable": variable, "unit": unit,
                         "value": np.asarray(vals, dtype=float).reshape(-1)})


def _bands(a: pd.DataFrame, single: np.ndarray, s_frame: pd.DataFrame, s_lts: dict[str, Lifetime],
           s_events: pd.DataFrame | None, successor: np.ndarray, content: np.ndarray, vint: dict[str, np.ndarray],
           intensities: pd.DataFrame, params: circ.PathwayParameters, parts: dict[str, np.ndarray],
           cells: list[tuple[str, str, str]], region_id: str, mats: Sequence[str], years: np.ndarray,
           n_draws: int, seed: int, registry_year: int, benchmark: float | None,
           progress: Progress | None) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """Monte Carlo bands (region level, per class and all; window totals): glue around
    :func:`critmat.models.montecarlo.simulate`."""
    rng = np.random.default_rng(seed)
    exits = None
    if len(s_frame):
        cols = ["asset_id", "commissioning_year", "quantity", "lt_key", "units", "status", "decommissioning_year"]
        exits = asset_exits(s_frame[cols], s_lts, s_events, by="lt_key", n_draws=n_draws, rng=rng,
                            alive_in=registry_year)
    techs = sorted(set(a["technology_id"]))
    t_idx = {t: i for i, t in enumerate(techs)}
    vintage = np.stack([vint[t] for t in techs])
    lo, hi = mc.intensity_ratio_bounds(intensities, techs, mats)
    f_int = mc.intensity_factors(lo, hi, n_draws, rng)
    f_rec = mc.recovery_factors(len(mats), n_draws, rng)
    fd = FlowDraws(years=years, mats=mats, techs=techs, asset_class=a["asset_class"].to_numpy(object),
                      tech=a["technology_id"].map(t_idx).to_numpy(np.int64), single=single, exits=exits,
                      single_content=content[single], single_qty=s_frame["quantity"].to_numpy(dtype=float)
                      if len(s_frame) else np.zeros(0), successor=successor, vintage=vintage,
                      parts={v: parts[v] for v in ("outflow", "demand_replacement", "demand_new")})
    bands = simulate(fd, params, f_int, f_rec, all_label=inventory.ALL_CLASSES, benchmark=benchmark,
                        progress=progress)
    frames: list[pd.DataFrame] = []
    for cls, per in bands.by_class.items():
        key = ("region", region_id, cls)
        if key not in cells:
            continue
        present = np.flatnonzero((per["outflow"] != 0).any(axis=(0, 1)) | (per["demand"] != 0).any(axis=(0, 1)))
        ci = np.full(len(present), cells.index(key))
        for v, arr in per.items():
            unit = "fraction" if v == "eol_rir" else "t"
            for q, stat in enumerate(STATISTICS):
                frames.append(_long(cells, ci, mats, present, years, f"{v}_{stat}", unit, arr[q][:, present].T))
    summ = pd.DataFrame({"material": list(mats)})
    for v, name in (("recovered", "secondary_supply"), ("demand", "demand"), ("outflow", "outflow"),
                    ("reused", "reused"), ("lost", "lost")):
        for q, stat in enumerate(STATISTICS):
            summ[f"{name}_{stat}_t"] = bands.totals[v][q]
    for q, stat in enumerate(STATISTICS):
        summ[f"eol_rir_{stat}"] = bands.eol_rir[q]
    if benchmark is not None:
        summ["meets_benchmark_share"] = bands.meets_share
    return frames, summ


# ------------------------------------------------------------------------------------------------ IAMC
IAMC_LABELS = {"outflow": "End-of-Life Outflow", "reused": "Export for Reuse", "collected": "Collection",
               "recovered": "Secondary Supply", "lost": "Losses", "demand": "Demand"}
IAMC_RATES = {"eol_rir": "Recycling Input Rate"}
CLASS_LABELS = {"wind_onshore": "Wind Onshore", "wind_offshore": "Wind Offshore", "solar_pv": "Solar PV",
                "datacentre": "Data Centres", "grid_cable": "Grid Cables", "grid_transformer": "Grid Transformers",
                "vehicle": "Vehicles"}


def to_iamc(flows: pd.DataFrame, names: dict[str, str] | None = None, model: str = "critmat") -> pd.DataFrame:
    """IAMC long format ``model, scenario, region, variable, unit, year, value``.

    Variables ``<Label>|<Material>`` (all asset classes) and ``<Label>|<Material>|<Asset class>`` for the
    flows of :data:`IAMC_LABELS` (unit ``t/yr``; the classes add up to the material), ``Recycling Input
    Rate|<Material>`` (unit ``share``) and, with Monte Carlo bands, ``<Label> (p05)|<Material>`` /
    ``(p95)`` (no class split: percentiles do not add up). Regions: the region id, and ``<region>|<area>``
    for provinces and municipalities.
    """
    names = names or {}
    df = flows[flows["area_type"] != "unallocated"].copy()
    labels = {**IAMC_LABELS, **IAMC_RATES}
    for v, lab in list(IAMC_LABELS.items()) + list(IAMC_RATES.items()):
        for q in ("p05", "p95"):
            labels[f"{v}_{q}"] = f"{lab} ({q})"
    df = df[df["variable"].isin(labels)]
    pct = df["variable"].str.endswith(("_p05", "_p95"))
    rate = df["variable"].isin(["eol_rir", "eol_rir_p05", "eol_rir_p95"])
    df = df[(df["asset_class"] == inventory.ALL_CLASSES) | ~(pct | rate)]
    mat = df["material"].map(lambda m: names.get(m, m.replace("_", " ").title()))
    var = df["variable"].map(labels) + "|" + mat
    by_class = df["asset_class"] != inventory.ALL_CLASSES
    var = var.where(~by_class, var + "|" + df["asset_class"].map(lambda c: CLASS_LABELS.get(c, c)))
    region = df["region"].where(df["area_type"] == "region", df["region"] + "|" + df["area"])
    unit = np.where(df["unit"] == "t", "t/yr", "share")
    return pd.DataFrame({"model": model, "scenario": df["scenario"].to_numpy(), "region": region.to_numpy(),
                         "variable": var.to_numpy(), "unit": unit, "year": df["year"].astype(int).to_numpy(),
                         "value": df["value"].to_numpy()}).reset_index(drop=True)
