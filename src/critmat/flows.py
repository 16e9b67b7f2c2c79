"""End-of-life flows of a region: region pack + circularity parameters + scenario → long-format results.

Glue only; the numbers come from :mod:`critmat.models.dynamics` (when assets leave), :mod:`critmat.models.
inventory` (what they contain) and :mod:`critmat.models.circularity` (where it goes). Conventions:

* **Years.** Results are per calendar year ``start..end`` (default: the scenario's window, 2025-2050),
  tonnes per year of each material. ``registry_year`` (scenario) is the year the registry describes:
  operational assets are known to be in use at its end, so nothing they hold leaves before ``registry_year
  + 1`` and their lifetimes are drawn conditional on that.
* **Cohorts** (solar parks, :data:`COHORT_CLASSES`): a park's panels fail one by one along the lifetime
  distribution (IRENA/IEA-PVPS Weibull), an inflow-driven cohort from the commissioning year
  (:func:`critmat.models.dynamics.inflow_driven`); failed panels are replaced (share ``replacement``).
  Deterministic: with thousands of panels per park the draws average out.
* **Single assets** (wind farms: every other asset outside :data:`POPULATION_CLASSES` that has a
  commissioning year) leave whole, at a year drawn from their technology's lifetime
  (:func:`critmat.models.dynamics.asset_exits`, deterministic exit at the mean), after the region pack's
  events (repowering, lifetime extension, decommissioning). What leaves is
  replaced like for like (share ``replacement``) at the intensity of the year it is replaced; a repowering
  whose successor is itself a registered asset is not counted twice. Replacements do not leave again
  within the window (lifetimes of wind and PV are 20-30 years).
* **Fleets and aggregates** (data centres, grid cables and stations, cars — classes in
  :data:`POPULATION_CLASSES` — and any operational asset without a commissioning year) are populations
  whose registered stock is held constant: stationary (steady-state age structure; inflow = outflow =
  stock / sum of sf) or, with a ``fleet_buildup`` row, grown linearly from zero since ``stock_since_year``
  to the registry year (stock-driven model). Components with their own lifetime (``material_lifetimes``:
  servers, UPS batteries) turn over at that rate. Pipeline data centres join as a step in the stock in their
  commissioning year (:func:`critmat.models.fleets.population_flows`). Fleet lifetimes are not sampled in the
  Monte Carlo (thousands of cars average out); their intensities are.
* **Demand** for a material = ``demand_replacement`` (what replaces the outflow) + ``demand_new`` (assets
  commissioned within the window: the pipeline and this year's new parks).
* **Pathways** per asset class, material and year from the circularity package with the scenario's
  overrides; ``outflow = reused + recovered + lost`` holds per cell and year (checked after every run).
* **Output** (:attr:`FlowsResult.flows`): long format ``region, area_type, area, scenario, asset_class,
  material, year, variable, unit, value``; area types ``region``, ``province``, ``municipality`` and
  ``unallocated`` (aggregates without a municipality, under their province code), asset class ``all`` =
  the sum of the classes. Variables: :data:`FLOW_VARIABLES` (t) and, at region level, ``eol_rir`` and
  ``secondary_to_demand`` (fraction). These are the **deterministic run** (mean lifetimes, central
  intensities and recovery rates); they add up across areas and classes and keep the mass balance.
* **Monte Carlo** (``n_draws``, :mod:`critmat.models.montecarlo`): lifetimes of the single assets,
  material intensities and recovery rates are sampled together (:attr:`FlowsResult.sampled`; what is not
  sampled: :attr:`FlowsResult.not_sampled`). At region level (per class and ``all``) the variables
  ``<variable>_p05``, ``_p50`` and ``_p95`` give the 5th percentile, median and 95th percentile of the
  draws for :data:`BAND_VARIABLES`; the median is the Monte Carlo central value (inside its band by
  construction) and may differ from the deterministic run (e.g. when every farm of a cohort leaves in the
  same year at its mean lifetime). The summary holds the same statistics of the window totals and
  ``meets_benchmark_share`` (share of draws whose EoL-RIR reaches the benchmark). Percentiles do not add up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from critmat.catalog.units import factor as unit_factor
from critmat.errors import ModelError, ScenarioError, UnknownIdError
from critmat.flowsresult import FlowsResult
from critmat.stock import region_pack
from critmat.models import circularity as circ
from critmat.models import eolflows as eol
from critmat.models import fleets, inventory
from critmat.models import montecarlo as mc
from critmat.models.dynamics import asset_exits
from critmat.models.lifetimes import Lifetime
from critmat.specs.scenarios import Scenario, load_scenario

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource

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
class FlowArrays:
    """The numbers of a flows run per output cell, before any long frame (:func:`flow_arrays`).

    ``cells`` ``(area_type, area, asset_class)``; ``agg[variable]`` ``(cells, M, Y)`` tonnes for
    :data:`FLOW_VARIABLES` (a :class:`critmat.models.eolflows.RolledPairs`: the reached rows, each variable made
    dense when first asked for); ``present`` ``(cells, M)``: a cell holds the material (some variable is non-zero
    in some year); ``rates[variable]`` ``(M, Y)`` for :data:`RATE_VARIABLES` (region, all classes); ``bands``
    the Monte Carlo percentiles (or None)."""

    region: str
    scenario: Scenario
    years: np.ndarray
    mats: list[str]
    cells: list[tuple[str, str, str]]
    agg: Mapping[str, np.ndarray]
    present: np.ndarray
    rates: dict[str, np.ndarray]
    bands: mc.FlowBands | None
    benchmark: float | None
    n_draws: int | None
    notes: list[str]
    fleets: pd.DataFrame

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Per material and year (region, all classes): :func:`critmat.models.circularity.indicator_frame`
        (made when first asked for: a batch that writes the arrays never needs it)."""
        rec, dem, idx = self._region_all()
        return circ.indicator_frame(pd.Series(rec.ravel(), idx), pd.Series(dem.ravel(), idx), self.benchmark)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Window totals per material (region, all classes): :func:`critmat.models.circularity.summary_frame`
        and the outflow, reused and lost tonnes."""
        rec, dem, idx = self._region_all()
        summ = circ.summary_frame(pd.Series(rec.ravel(), idx), pd.Series(dem.ravel(), idx), self.benchmark)
        reg_all = self.cells.index(("region", self.region, inventory.ALL_CLASSES))
        for var in ("outflow", "reused", "lost"):
            summ[f"{var}_t"] = self.agg[var][reg_all].sum(axis=1)
        return summ

    def _region_all(self) -> tuple[np.ndarray, np.ndarray, pd.MultiIndex]:
        reg_all = self.cells.index(("region", self.region, inventory.ALL_CLASSES))
        idx = pd.MultiIndex.from_product([self.mats, self.years], names=["material", "year"])
        return self.agg["recovered"][reg_all], self.agg["demand"][reg_all], idx

    def result(self) -> FlowsResult:
        """The long-format :class:`FlowsResult` (see the module docstring)."""
        cells, mats, years = self.cells, self.mats, self.years
        ci, mi = np.nonzero(self.present)
        frames = [_long(cells, ci, mats, mi, years, v, "t", self.agg[v][ci, mi]) for v in FLOW_VARIABLES]
        reg_all = cells.index(("region", self.region, inventory.ALL_CLASSES))
        k = np.flatnonzero(self.present[reg_all])
        for v in RATE_VARIABLES:
            frames.append(_long(cells, np.full(len(k), reg_all), mats, k, years, v, "fraction", self.rates[v][k]))
        summ = self.summary
        if self.bands is not None:
            band_frames, band_summary = _band_frames(self.bands, cells, self.region, mats, years, self.benchmark)
            frames += band_frames
            summ = summ.merge(band_summary, on="material", how="left")
        flows = pd.concat(frames, ignore_index=True)
        flows.insert(3, "scenario", self.scenario.name)
        flows["region"] = self.region
        flows = flows[COLUMNS]
        order = ["material", "secondary_supply_t", "demand_t", "eol_rir", "secondary_to_demand", "outflow_t",
                 "reused_t", "lost_t"]
        summ = summ[[c for c in order if c in summ.columns] + [c for c in summ.columns if c not in order]]
        return FlowsResult(region=self.region, scenario=self.scenario, years=years, flows=flows,
                           indicators=self.indicators, summary=summ, benchmark=self.benchmark, n_draws=self.n_draws,
                           notes=self.notes, sampled=mc.SAMPLED_INPUTS if self.n_draws else (),
                           not_sampled=mc.NOT_SAMPLED if self.n_draws else (), fleets=self.fleets)


# ------------------------------------------------------------------------------------------ parameters
def circularity_tables(wh: TableSource = None) -> dict[str, pd.DataFrame]:
    """The circularity package's tables: from the warehouse when it has them, else the bundled package."""
    return _circularity_tables(wh)[0]


def _circularity_tables(wh: TableSource = None) -> tuple[dict[str, pd.DataFrame], dict[str, tuple]]:
    """:func:`circularity_tables` and a content key of each table (:func:`_frame_key`; computed once per
    process for the bundled package)."""
    if wh is not None and all(wh.has(t) for t in TABLES):
        tabs = {t: wh.table(t) for t in TABLES}
        return tabs, {t: _frame_key(f) for t, f in tabs.items()}
    key = _bundled_key("circularity", "intensities", "reference")
    if key not in _CIRC_CACHE:  # the bundled package, validated once per process while its files are unchanged
        _CIRC_CACHE.clear()
        frames = _bundled_circularity()
        _CIRC_CACHE[key] = (frames, {t: _frame_key(f) for t, f in frames.items()})
    frames, keys = _CIRC_CACHE[key]
    return {t: f.copy() for t, f in frames.items()}, dict(keys)


_CIRC_CACHE: dict[tuple, tuple[dict[str, pd.DataFrame], dict[str, tuple]]] = {}


def _bundled_key(*packages: str) -> tuple:
    from critmat.paths import bundled_packages

    return tuple((p, f.name, f.stat().st_size, f.stat().st_mtime_ns) for p in packages
                 for f in sorted((bundled_packages() / p).iterdir()) if f.is_file())


def _bundled_circularity() -> dict[str, pd.DataFrame]:
    from critmat.catalog.package import load_package
    from critmat.build.intensities import known_frames, load_intensities
    from critmat.paths import bundled_packages

    known = dict(known_frames())
    known["technologies"] = load_intensities()[0]
    loaded = load_package(bundled_packages() / "circularity", known=known)
    return {t: loaded[t].frame for t in TABLES}


def recycling_benchmark(wh: TableSource = None) -> float | None:
    """The CRMA recycling benchmark (share) from ``crma_benchmarks`` where ``used`` is true, if present."""
    if wh is None or not wh.has("crma_benchmarks"):
        return None
    b = wh.table("crma_benchmarks")
    sel = b[(b["benchmark_stage"] == "recycling") & (b["used"].astype(bool))]
    return circ._check_share(float(sel["value_share"].iloc[0]), "CRMA recycling benchmark") if len(sel) else None


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
    # the row rule below, on the rows it may act on (in order: the notes keep their order)
    in_pipe = a["status"].isin(["planned", "under_construction"]).to_numpy(dtype=bool)
    is_dec = a["status"].isin(["decommissioned"]).to_numpy(dtype=bool)
    named = a["asset_id"].isin(list(sc.pipeline)).to_numpy() if sc.pipeline else np.zeros(len(a), dtype=bool)
    cy0 = a["commissioning_year"].to_numpy(dtype=float)
    dy0 = a["decommissioning_year"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        gone = is_dec & (np.isnan(dy0) | (dy0 < start) | np.isnan(cy0))
    act = np.flatnonzero((in_pipe & (named | np.isnan(cy0))) | gone)
    for i, r in zip(act, a.iloc[act].itertuples(index=False)):
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


def content_matrix(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame
                   ) -> tuple[np.ndarray, list[str]]:
    """``(content (n, M), materials)``: central tonnes of each material a whole asset holds (the inventory's
    vintage rule, :func:`critmat.models.inventory.pair_arrays`); materials sorted, every material of an
    intensity row an asset uses (zero content included)."""
    ints = intensities.reset_index(drop=True)
    if assets.empty:
        return np.zeros((0, 0)), []
    _a, take, rows, q = inventory.pair_arrays(assets, technologies, ints)
    # the materials of the rows used, sorted, and each pair's: on the rows' integer codes, not per pair strings
    used = np.unique(rows)
    mats, code_of_used = np.unique(ints["material_id"].astype(str).to_numpy()[used], return_inverse=True)
    code = code_of_used[np.searchsorted(used, rows)]
    mass = q * unit_factor("kg", "t") * ints["central_kg_per_basis"].to_numpy(float)[rows]
    content = np.zeros((len(assets), len(mats)))
    np.add.at(content, (take, code), mass)
    return content, [str(m) for m in mats]


def vintage_content(technologies: pd.DataFrame, intensities: pd.DataFrame, techs: Iterable[str],
                    years: Sequence[int], materials: Sequence[str]) -> dict[str, np.ndarray]:
    """Tonnes per basis unit (MW, km, unit) of each material for a technology built in each year:
    ``{technology_id: (Y, M)}`` (the inventory's vintage rule)."""
    techs = sorted(set(techs))
    if not eol.SHARE_SETUP:
        return _vintage_content(technologies, intensities, techs, years, materials)
    # every technology and material of the packages once (a technology's row does not depend on the others,
    # a material's column is reindexed): each region then takes its technologies and materials from it
    key = (_frame_key(technologies), _frame_key(intensities), tuple(int(y) for y in years))
    full = _VINTAGE_CACHE.get(key)
    if full is None:
        all_techs = sorted(set(technologies["technology_id"].astype(str)))
        all_mats = sorted(set(intensities["material_id"].astype(str)))
        try:
            full = (_vintage_content(technologies, intensities, all_techs, years, all_mats), all_mats)
        except Exception:  # noqa: BLE001 - a technology of the package the model cannot use: per region
            return _vintage_content(technologies, intensities, techs, years, materials)
        if len(_VINTAGE_CACHE) >= 16:
            _VINTAGE_CACHE.clear()
        _VINTAGE_CACHE[key] = full
    table, all_mats = full
    pos = {m: j for j, m in enumerate(all_mats)}
    cols = [pos.get(m, -1) for m in materials]
    take = np.array([max(c, 0) for c in cols], dtype=np.int64)
    absent = np.array([c < 0 for c in cols], dtype=bool)
    out = {}
    for t in techs:
        if t not in table:
            return _vintage_content(technologies, intensities, techs, years, materials)
        a = table[t][:, take]
        a[:, absent] = 0.0
        out[t] = a
    return out


_VINTAGE_CACHE: dict[tuple, dict[str, np.ndarray]] = {}


def _frame_key(df: pd.DataFrame) -> tuple:
    """A content fingerprint of a frame (columns, shape, row hashes): the key of caches shared by regions."""
    import hashlib

    h = pd.util.hash_pandas_object(df, index=False).to_numpy()
    return (tuple(map(str, df.columns)), df.shape, hashlib.sha1(h.tobytes()).hexdigest())


def _vintage_content(technologies: pd.DataFrame, intensities: pd.DataFrame, techs: list[str],
                     years: Sequence[int], materials: Sequence[str]) -> dict[str, np.ndarray]:
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
FLEET_COLUMNS = ["technology_id", "asset_class", "year", "target", "registered", "stock", "inflow", "replacement",
                 "growth", "outflow", "unit", "source_id"]
UNITS_BY_BASIS = {"mw": "MW", "km": "km", "unit": "units"}


def _registered_path(a: pd.DataFrame, tech: str, years: np.ndarray) -> np.ndarray:
    """Basis units of ``tech`` the registered assets hold in each year (like-for-like replacement keeps a
    commissioned asset's stock; assets without a year are in use throughout)."""
    m = (a["technology_id"] == tech).to_numpy(dtype=bool)
    return _registered(a["commissioning_year"].to_numpy(dtype=float)[m], a["quantity"].to_numpy(dtype=float)[m],
                       years)


def _registered(cy: np.ndarray, q: np.ndarray, years: np.ndarray) -> np.ndarray:
    """:func:`_registered_path` of the assets with commissioning years ``cy`` and quantities ``q``."""
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
    # the columns the targets read, as arrays once (the assets' positions are their index: a RangeIndex)
    a_tech = a["technology_id"].to_numpy(object)
    a_mode = a["mode"].to_numpy(object)
    a_qty = a["quantity"].to_numpy(dtype=float)
    a_cy = a["commissioning_year"].to_numpy(dtype=float)
    a_cls = a["asset_class"].to_numpy(object)
    a_prov = a["province_code"].to_numpy(object)

    def mode_of(values: np.ndarray) -> Any:
        return pd.Series(values, dtype=object).mode().iloc[0]

    for tech, tg in sorted(targets.items()):
        if tech not in cls_of:
            raise ScenarioError(f"scenario '{sc.name}': target for unknown technology '{tech}'")
        if tech not in by_tech:
            raise ScenarioError(f"scenario '{sc.name}': technology '{tech}' has no lifetime in the circularity package")
        pts = sorted(tg.points.items())
        factor = np.interp(hist, [p[0] for p in pts], [p[1] for p in pts])
        is_tech = a_tech == tech
        reg = _registered(a_cy[is_tech], a_qty[is_tech], hist)
        target = factor * reg if tg.relative else factor
        lt = by_tech[tech]
        mine = np.flatnonzero(is_tech)
        pop = mine[a_mode[mine] == "population"]
        in_years = np.isin(hist, years)
        at = np.isin(years, hist)  # years before the registry year: target fleets have no flows yet

        def on_years(x: np.ndarray, sh: float = 1.0) -> np.ndarray:
            out = np.zeros(len(years))
            out[at] = x[in_years] * sh
            return out

        if len(pop) and len(pop) == len(mine):  # a fleet: follows the target as a whole
            q = a_qty[pop]
            st = since.get(tech)
            ff = fleets.target_fleet_flows(hist, target, lt, hist, since=st if st and st < hist[0] else None)
            share = q / q.sum() if q.sum() > 0 else np.full(len(q), 1.0 / len(q))
            base = (on_years(ff.outflow), on_years(ff.replacement), on_years(ff.growth))  # x 1.0: exact
            for pos, sh in zip(pop, share):
                driven[int(pos)] = (base[0] * sh, base[1] * sh, base[2] * sh)
            stock, registered = ff.stock, reg
        else:  # wind farms / solar parks: the part above the registered assets is a new fleet
            extra = np.maximum(target - reg, 0.0)
            if tg.relative and reg.max(initial=0.0) == 0:
                notes.append(f"target for '{tech}' is relative but the region has no such asset: no fleet")
            ff = fleets.target_fleet_flows(hist, extra, lt, hist)
            if extra.max(initial=0.0) > 0:
                cls = mode_of(a_cls[mine]) if len(mine) else cls_of[tech]
                prov = tg.province or (mode_of(a_prov[mine]) if len(mine) else mode_of(a_prov))
                extra_rows.append({"asset_id": f"target:{tech}", "asset_class": cls, "technology_id": tech,
                                   "status": "planned", "commissioning_year": np.nan, "decommissioning_year": np.nan,
                                   "capacity_mw": 1.0, "length_km": 1.0, "units": 1.0,
                                   "municipality_code": tg.municipality, "province_code": prov,
                                   "region_id": a["region_id"].iloc[0] if "region_id" in a and len(a) else None,
                                   "mode": "target", "_flows": (on_years(ff.outflow), on_years(ff.replacement),
                                                                on_years(ff.growth))})
            stock, registered = reg + ff.stock, reg
        row_cls = cls_of[tech] if not len(mine) else mode_of(a_cls[mine])
        for k, y in enumerate(hist):
            rows.append({"technology_id": tech, "asset_class": row_cls, "year": int(y), "target": float(target[k]),
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


def _parameters(tables: dict[str, pd.DataFrame], table_keys: dict[str, tuple], classes: tuple[str, ...],
                mats: Sequence[str], years: np.ndarray, sc: Scenario) -> circ.PathwayParameters:
    """:func:`critmat.models.circularity.resolve_parameters` of the scenario, shared by the regions with the
    same classes and materials (read-only arrays; the last few kept)."""
    def make() -> circ.PathwayParameters:
        return circ.resolve_parameters(tables["eol_pathways"], tables["recovery_rates"], classes, mats, years,
                                       pathway_overrides=sc.pathway_overrides(),
                                       stage_overrides=sc.stage_overrides())

    if not eol.SHARE_SETUP:
        return make()
    key = (table_keys["eol_pathways"], table_keys["recovery_rates"], tuple(classes), tuple(mats),
           np.asarray(years).tobytes(), repr(sorted(sc.pathway_overrides().items())),
           repr(sorted(sc.stage_overrides().items())))
    hit = _PARAMS_MEMO.get(key)
    if hit is None:
        hit = make()
        _read_only(*vars(hit).values())
        if len(_PARAMS_MEMO) >= 8:
            _PARAMS_MEMO.clear()
        _PARAMS_MEMO[key] = hit
    return hit



def _read_only(*arrays: Any) -> None:
    """Make the arrays among ``arrays`` read-only (memoised inputs shared between runs)."""
    for x in arrays:
        if isinstance(x, np.ndarray):
            x.setflags(write=False)

_PARAMS_MEMO: dict[tuple, circ.PathwayParameters] = {}


def flow_arrays(region: str | Path = "nh-fl", scenario: str | Path | Scenario = "baseline", *, wh: TableSource = None,
                start: int | None = None, end: int | None = None, materials: Sequence[str] | None = None,
                n_draws: int | None = None, seed: int = 0, progress: Progress | None = None) -> FlowArrays:
    """The flows of :func:`run_flows` as arrays per output cell (:class:`FlowArrays`), before any long frame.

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
    sc = scenario if isinstance(scenario, Scenario) else scenario_spec(scenario, wh)
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
    inputs, events = _region_inputs(region, wh)
    region_id = inputs.region_id
    tables, table_keys = _circularity_tables(wh)
    benchmark = recycling_benchmark(wh)
    techs, ints = inputs.technologies, inputs.intensities
    # the assets' side (pack, asset-side scenario settings, lifetimes) is shared by the scenarios of a region
    # that differ only in their pathway and recovery settings (one memo: the last region and settings)
    key1 = ("assets", start, end, None if materials is None else tuple(materials), _asset_side_key(sc),
            tuple(table_keys[t] for t in ("lifetimes", "material_lifetimes", "fleet_buildup")))
    hit = _SIDE_MEMO.get("assets")
    if hit is not None and hit[0] == key1 and hit[1] is inputs and eol.SHARE_SETUP:
        a, notes, driven, fleet_table, content, all_mats, mats, n, n_m, vint, by_tech, by_mat, since = hit[2]
        notes, fleet_table = list(notes), fleet_table.copy()
    else:
        a, notes = prepare_assets(inputs.assets, inputs.excluded, sc, region_id, start)
        a["quantity"] = _quantity(a, techs)
        by_tech, by_mat = _lifetimes(tables)
        since = dict(zip(tables["fleet_buildup"]["technology_id"], tables["fleet_buildup"]["stock_since_year"]))
        shifted = {t: circ.shift_lifetime(lt, float(sc.lifetime_shift_years.get(
            dict(zip(techs["technology_id"], techs["asset_class"])).get(t, ""), 0.0))) for t, lt in by_tech.items()}
        a, driven, fleet_table, t_notes = apply_targets(a, sc, techs, shifted, since, np.arange(start, end + 1))
        notes += t_notes
        a["quantity"] = _quantity(a, techs)

        content, all_mats = content_matrix(a, techs, ints)
        if materials is not None:
            unknown = [m for m in materials if m not in all_mats]
            if len(unknown) == len(set(materials)):
                raise UnknownIdError(f"material '{unknown[0]}' is not held by any asset of {region_id} "
                                     f"(materials: {', '.join(all_mats)})")
            if unknown:
                notes.append(f"not held by any asset of {region_id}: {', '.join(unknown)}")
            mats = [m for m in all_mats if m in set(materials)]
            content = content[:, [all_mats.index(m) for m in mats]]
        else:
            mats = all_mats
        n, n_m = len(a), len(mats)
        vint = vintage_content(techs, ints, a["technology_id"], years, mats)
        _SIDE_MEMO.clear()
        if eol.SHARE_SETUP:
            # handed to the next scenario as they are: the arrays read-only (an in-place change would raise);
            # the frame ``a`` is only read below (s_frame is a copy); notes and the fleet table are copied
            _read_only(content, *vint.values(), *(x for d in driven.values() for x in d))
            _SIDE_MEMO["assets"] = (key1, inputs, (a, list(notes), driven, fleet_table.copy(), content, all_mats, mats, n,
                                                   n_m, vint, by_tech, by_mat, since))
    missing = sorted(set(a["technology_id"]) - set(by_tech))
    if missing:
        raise ModelError(f"no lifetime for technology '{missing[0]}' in the circularity package (lifetimes)")
    shift = sc.lifetime_shift_years
    classes = tuple(sorted(set(a["asset_class"])))
    params = _parameters(tables, table_keys, classes, mats, years, sc)
    check_scenario_ids(sc, wh, extra=all_mats)
    notes += list(params.notes)
    key2 = (key1, params.replacement.tobytes(), params.replacement.shape, tuple(params.index(c) for c in classes))
    hit = _SIDE_MEMO.get("plan")
    if hit is not None and hit[0] == key2 and hit[1] is inputs and eol.SHARE_SETUP:
        (cls_names, cls_idx, tech_ids, tech, vintage, mode, qty, c_year, single, s_frame, ex, successor, s_lts,
         s_events, plan, cells, fine, member, n_f, key_class, raw, pairs) = hit[2]
    else:
        cls_names = a["asset_class"].to_numpy(object)
        cls_idx = np.array([params.index(c) for c in classes])[pd.Index(classes).get_indexer(cls_names)] \
            if n else np.zeros(0, dtype=np.int64)
        tech_ids = sorted(set(a["technology_id"]))
        tech = pd.Index(tech_ids).get_indexer(a["technology_id"]).astype(np.int64)
        vintage = np.stack([vint[t] for t in tech_ids]) if tech_ids else np.zeros((0, len(years), n_m))
        mode = a["mode"].to_numpy(object)
        qty = a["quantity"].to_numpy(dtype=float)
        c_year = a["commissioning_year"].to_numpy(dtype=float)

        # -- single assets: deterministic exits (wind farms leave whole, after the region's events) ----------
        single = np.flatnonzero(mode == "single")
        s_frame = a.iloc[single].reset_index(drop=True)
        ex = None
        successor = np.zeros(len(s_frame), dtype=bool)
        s_lts: dict[str, Lifetime] = {}
        s_events = None
        if len(s_frame):
            s_frame = s_frame.assign(lt_key=s_frame["technology_id"] + "|" + s_frame["asset_class"])
            for key, t, cls in zip(s_frame["lt_key"], s_frame["technology_id"], s_frame["asset_class"], strict=True):
                if key not in s_lts:
                    s_lts[key] = circ.shift_lifetime(by_tech[t], float(shift.get(cls, 0.0)))
            ev = events[events["asset_id"].isin(set(s_frame["asset_id"]))].copy()
            if "replacement_asset_id" in ev.columns:
                ok = ev["replacement_asset_id"].isin(set(s_frame["asset_id"]))
                ev["replacement_asset_id"] = ev["replacement_asset_id"].where(ok, None)
                succ_ids = set(ev.loc[(ev["event"] == "repowering") & ok, "asset_id"])
                successor = s_frame["asset_id"].isin(succ_ids).to_numpy()
            s_events = ev.reset_index(drop=True)
            s_frame["commissioning_year"] = s_frame["commissioning_year"].astype("int64")
            ex = asset_exits(s_frame[_EXIT_COLUMNS], s_lts, s_events, by="lt_key", alive_in=sc.registry_year)

        # -- populations and cohorts: one profile per group ------------------------------------------------
        group = np.full(n, -1, dtype=np.int64)
        is_driven = np.zeros(n, dtype=bool)
        is_driven[list(driven)] = True
        profiles = []
        pop = np.flatnonzero((mode == "population") & ~is_driven & (qty > 0))
        if len(pop):
            st = np.array([float(since[t]) if t in since else np.nan for t in tech_ids])[tech[pop]]
            st = np.where(np.isnan(c_year[pop]), st, np.nan)
            codes, uniq = pd.MultiIndex.from_arrays([tech[pop], cls_names[pop], np.nan_to_num(c_year[pop], nan=-1.0),
                                                    np.nan_to_num(st, nan=-1.0)]).factorize()
            group[pop] = codes
            shifted_cache: dict[tuple[int, str], Lifetime] = {}

            def lt_of(t: str, m: str, cls: str) -> Lifetime:
                lt = by_mat.get((t, m), by_tech[t])
                k = (id(lt), cls)
                if k not in shifted_cache:
                    shifted_cache[k] = circ.shift_lifetime(lt, float(shift.get(cls, 0.0)))
                return shifted_cache[k]

            keys, lts = [], []
            for ti, cls, cy, s in uniq:
                keys.append((int(ti), cls, None if cy < 0 else float(cy), None if s < 0 else int(s)))
                lts.append([lt_of(tech_ids[int(ti)], m, cls) for m in mats])
            profiles.append(eol.population_profiles(keys, lts, vintage, years, sc.registry_year))
        coh = np.flatnonzero(mode == "cohort")
        if len(coh):
            codes, uniq = pd.MultiIndex.from_arrays([tech[coh], cls_idx[coh], c_year[coh].astype(np.int64)]).factorize()
            group[coh] = codes + (len(profiles[0][0]) if profiles else 0)
            keys = [(int(t), int(c), int(y)) for t, c, y in uniq]
            lts_c = [circ.shift_lifetime(by_tech[tech_ids[t]], float(shift.get(params.classes[c], 0.0))) for t, c, _ in keys]
            profiles.append(eol.cohort_profiles(keys, lts_c, vintage, params.replacement, years))
        g_out, g_repl, g_new = (np.concatenate([p[i] for p in profiles]) if profiles
                                else np.zeros((0, len(years), n_m)) for i in range(3))
        new = np.flatnonzero(np.isin(mode, ["single", "cohort"]) & (c_year >= start) & (c_year <= end))
        d_pos = np.array(sorted(driven), dtype=np.int64)
        d_arr = [np.array([driven[int(i)][j] for i in d_pos]).reshape(len(d_pos), len(years)) for j in range(3)]
        plan = eol.FlowPlan(years=years, content=content, quantity=qty, tech=tech, cls=cls_idx, vintage=vintage,
                            replacement=params.replacement, group=group, g_out=g_out, g_repl=g_repl, g_new=g_new,
                            single=single, exits=ex, successor=successor, new_pos=new,
                            new_year=(c_year[new] - start).astype(np.int64), driven=d_pos, d_out=d_arr[0],
                            d_repl=d_arr[1], d_new=d_arr[2],
                            d_vintage=(mode[d_pos] == "target") | (qty[d_pos] <= 0) if len(d_pos) else np.zeros(0, bool))

        # -- per finest cell (province, municipality, class), pathways, roll-up to the output cells ---------
        cells, fine, member = eol.area_cells(region_id, a["province_code"].to_numpy(object),
                                             a["municipality_code"].to_numpy(object), cls_names,
                                             all_label=inventory.ALL_CLASSES)
        n_f = member.shape[1]
        key_class = np.zeros(n_f, dtype=np.int64)
        key_class[fine] = cls_idx
        raw = eol.accumulate(plan, fine, n_f)
        _read_only(*raw.values())
        pairs = eol.pair_roll_up(member, raw)
        _read_only(pairs.keys, pairs.mats, pairs.rows, *pairs.raw.values())
        if eol.SHARE_SETUP:
            _read_only(cls_names, cls_idx, tech, vintage, mode, qty, c_year, single, successor, fine, key_class,
                       *(v for v in vars(plan).values() if isinstance(v, np.ndarray)))
            _SIDE_MEMO["plan"] = (key2, inputs, (cls_names, cls_idx, tech_ids, tech, vintage, mode, qty, c_year,
                                                 single, s_frame, ex, successor, s_lts, s_events, plan, cells, fine,
                                                 member, n_f, key_class, raw, pairs))
    # pathways and roll-up on the (key, material) pairs that hold something (the same numbers as on the full
    # arrays); a check that fails is raised by the full arrays, with the message it always had
    parts = eol.pair_pathways(pairs, params, key_class)
    if parts is None:
        parts = eol.pathways(raw, params, key_class)
    resid = circ.balance_residual(parts)
    if np.abs(resid).max(initial=0.0) > 1e-9 * max(1.0, float(parts["outflow"].max(initial=0.0))):
        raise ModelError("mass balance broken: outflow != reused + recovered + lost")
    reg_all = cells.index(("region", region_id, inventory.ALL_CLASSES))
    if parts["outflow"].ndim == 2:
        agg = eol.pair_rolled(pairs, FLOW_VARIABLES, [parts[v] for v in FLOW_VARIABLES])
        present = agg.present
        rec, dem = (agg.take(v, [reg_all])[0] for v in ("recovered", "demand"))  # (M, Y)
    else:
        stack = eol.rolled(member, [parts[v] for v in FLOW_VARIABLES])  # (cells, V, M, Y)
        agg = dict(zip(FLOW_VARIABLES, stack.transpose(1, 0, 2, 3)))
        present = (stack != 0).any(axis=(1, 3))
        rec, dem = agg["recovered"][reg_all], agg["demand"][reg_all]

    # -- indicators (region, all classes) -------------------------------------------------------------
    # (the indicator and summary frames are made when first asked for: FlowArrays.indicators, .summary)
    rates = dict(zip(RATE_VARIABLES, circ.recycling_input_rate(rec, dem)))

    # -- Monte Carlo bands ----------------------------------------------------------------------------
    bands = None
    if n_draws:
        kt_codes, kt = pd.MultiIndex.from_arrays([cls_names, tech]).factorize()
        kt_codes = kt_codes.astype(np.int64)
        is_single = mode == "single"
        by_key = eol.accumulate(plan, kt_codes, len(kt), select=~is_single)
        single_new = eol.accumulate(plan, kt_codes, len(kt), select=is_single)["demand_new"]
        rng = np.random.default_rng(seed)
        exits = None
        if len(s_frame):
            exits = asset_exits(s_frame[_EXIT_COLUMNS], s_lts, s_events, by="lt_key", n_draws=int(n_draws), rng=rng,
                                alive_in=sc.registry_year)
        lo, hi = mc.intensity_ratio_bounds(ints, tech_ids, mats)
        f_int = mc.intensity_factors(lo, hi, int(n_draws), rng)
        f_rec = mc.recovery_factors(len(mats), int(n_draws), rng)
        fd = mc.FlowDraws(years=years, mats=mats, techs=tech_ids,
                          key_class=np.asarray(kt.get_level_values(0), dtype=object),
                          key_tech=np.asarray(kt.get_level_values(1), dtype=np.int64), parts=by_key,
                          single_new=single_new, exits=exits, single_key=kt_codes[single],
                          single_content=content[single], single_qty=qty[single], successor=successor, vintage=vintage)
        bands = mc.simulate(fd, params, f_int, f_rec, all_label=inventory.ALL_CLASSES, benchmark=benchmark,
                            progress=progress)
    return FlowArrays(region=region_id, scenario=sc, years=years, mats=list(mats), cells=cells, agg=agg,
                      present=present, rates=rates, bands=bands, benchmark=benchmark,
                      n_draws=int(n_draws) if n_draws else None, notes=list(dict.fromkeys(notes)),
                      fleets=fleet_table)


_SIDE_MEMO: dict[str, tuple] = {}

#: Scenario settings that do not act on the assets: labels and the pathway, pretreatment and recovery shares.
#: Every other field (a new one too) is part of the asset side's key, so a forgotten field can only cost a
#: recomputation, never hand one scenario another's assets.
_NOT_ASSET_SIDE = {"name", "title", "description", "extends", "source_id", "pathways", "pretreatment", "recovery"}


def _asset_side_key(sc: Scenario) -> str:
    import json

    return json.dumps(sc.model_dump(mode="json", exclude=_NOT_ASSET_SIDE), sort_keys=True, default=str)


def run_flows(region: str | Path = "nh-fl", scenario: str | Path | Scenario = "baseline", *, wh: TableSource = None,
              start: int | None = None, end: int | None = None, materials: Sequence[str] | None = None,
              n_draws: int | None = None, seed: int = 0, progress: Progress | None = None) -> FlowsResult:
    """End-of-life flows, demand and circularity indicators of ``region`` under ``scenario``, as long frames
    (:class:`FlowsResult`); the arguments are those of :func:`flow_arrays`."""
    return flow_arrays(region, scenario, wh=wh, start=start, end=end, materials=materials, n_draws=n_draws,
                       seed=seed, progress=progress).result()


_EXIT_COLUMNS = ["asset_id", "commissioning_year", "quantity", "lt_key", "units", "status", "decommissioning_year"]
def scenario_spec(scenario: str | Path, wh: TableSource = None) -> Scenario:
    """A scenario by name from the warehouse (stored at build) when ``wh`` holds specs, else a bundled
    name or YAML file read by :func:`critmat.specs.scenarios.load_scenario`."""
    s = str(scenario)
    from critmat.warehouse import access

    if access.is_warehouse(wh, "specs") and not s.endswith((".yaml", ".yml")) and not Path(s).exists():
        return access.scenario(wh, s)
    return load_scenario(scenario)


def _region_inputs(region: str | Path, wh: TableSource = None) -> tuple[Any, pd.DataFrame]:
    """:func:`critmat.stock.load_inputs` and (a copy of) the region's events (see :func:`region_pack`)."""
    inputs, reg = region_pack(region, wh)
    return inputs, reg.table("asset_events").copy()


def check_scenario_ids(sc: Scenario, wh: TableSource = None, extra: Sequence[str] = ()) -> None:
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


def _material_groups(wh: TableSource) -> dict[str, list[str]]:
    """Material group id → member ids (:func:`critmat.warehouse.access.material_groups` of the warehouse,
    else of the reference package)."""
    from critmat.warehouse.access import FrameSource, material_groups

    if wh is not None and wh.has("material_groups"):
        return material_groups(wh)
    from critmat.regions import reference_frames

    return material_groups(FrameSource(reference_frames()))


def _known_material_ids(wh: TableSource) -> set[str]:
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


def _band_frames(bands: mc.FlowBands, cells: list[tuple[str, str, str]], region_id: str, mats: Sequence[str],
                 years: np.ndarray, benchmark: float | None) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """Long rows of the Monte Carlo bands (region level, per class and all) and the summary's band columns."""
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
