"""Regional exposure: the region's holdings and yearly need of each material, weighted by supply risk.

Pure functions on frames (no I/O). Units: tonnes (``_t``), tonnes per year (``_t_per_yr``), shares as
fractions, HHI on the 0..1 scale, SR on the EC's published scale (threshold 1).

**Holdings** (``stock_t``): the material content of the region's operational and under-construction assets
(:func:`critmat.models.inventory.asset_content`, central intensities).

**Yearly need** in year y, per asset class c and material m (:func:`yearly_need`)::

    need_t(y, c, m) = replacement_t(y, c, m) + pipeline_t(y, c, m)
    replacement_t   = Σ_assets of c  content_t(a, m) / L(a, m)      steady-state replacement of outflows
    pipeline_t      = content of the *planned* assets commissioned in year y

``L(a, m)`` is the mean service life of asset a's technology, or of the component holding m where one is
given (:func:`lifetime_of`; critmat takes both from the circularity package, each with its source).
Replacement is like for like (what leaves is rebuilt with the same content). The steady state ignores
vintages: a fleet built last year needs no replacement yet, an old one more. Planned assets without a
commissioning year are spread evenly over the years asked for; planned assets whose year has passed count
in the first year (delayed, still to be built). Under-construction assets are in the stock (the inventory's
convention) and not in the pipeline.

**From the flows model** (``demand=``; :mod:`critmat.risk_report` does this when the flows model runs for
the region and years): ``replacement_t`` is the flows model's ``demand_replacement`` (what replaces the
year's actual outflow, by vintage and event, at the scenario's replacement share and the intensity of the
replacement year) and ``pipeline_t`` its ``demand_new`` (assets commissioned in the year under the
scenario's pipeline, under-construction ones included). The steady state above is the fallback.
``outflows=`` replaces only the replacement term by a flows model's outflow.

**Indicators** per material (:func:`material_indicators`): EC 2023 supply risk SR and economic importance
EI — the material's own published value; else the largest published stage SR of the material (the EC
assesses elements such as dysprosium at each stage, ``stage_sr=``; EI then from its group); else the value
of an EU group containing it (e.g. ``rare_earth_elements_heavy``); ``sr_basis`` names the one used. Then
the HHI of global supply per stage, China's share per stage, the CRMA single-third-country check (on EU
sourcing where the EC reports it, else on global supply as a proxy), and the export controls in force on a
date (:func:`critmat.models.trade.controls_for`, via groups and members) that apply to the region:
destinations ``all`` or naming the region's country, and not mere technology-export bans (those restrict
know-how, not the material).

**Exposure score** of material m (:func:`material_exposure`)::

    exposure_score(m) = need_t_per_yr(m) × SR(m)                 [t/yr, SR-weighted]
    need_t_per_yr(m)  = mean over the horizon years of Σ_c need_t(y, c, m)

i.e. the region's yearly need weighted by the EC supply risk. Materials without an SR get no score (no
rank). Because it is tonnage-weighted, bulk metals with moderate SR can outrank scarce ones; the
components (need, SR, HHI, China share, CRMA flag, controls) are returned beside the score so a reader can
re-rank. Asset classes score Σ_m need_t_per_yr(c, m) × SR(m); goods categories (HCSS Table 3 shares and
the Figure 5 material statements) score mean CRM-volume share × the largest SR of their linked materials;
companies score the largest SR of the materials they handle.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from critmat.errors import ModelError
from critmat.models import risk, trade

STOCK_STATUSES = ("operational", "under_construction")
PIPELINE_STATUSES = ("planned",)
PROJECT_STATUSES = ("planned", "under_construction")
#: Trade-measure stages that restrict know-how, not the material flow; not counted as supply controls.
NON_MATERIAL_STAGES = ("technology",)
#: EU groups tried first when an element borrows a group's SR or supply shares.
PREFERRED_GROUPS = ("rare_earth_elements_heavy", "rare_earth_elements_light", "platinum_group_metals")


INDICATOR_COLUMNS = ["material_id", "name", "sr", "ei", "sr_basis", "hhi_extraction", "hhi_processing",
                     "china_extraction", "china_processing", "top_extraction", "top_processing", "supply_basis",
                     "crma_exceeds", "crma_detail", "controls_active", "control_ids", "control_scopes", "gaps"]
NEED_COLUMNS = ["year", "asset_class", "material", "stock_t", "replacement_t", "pipeline_t", "need_t"]


def _require(frame: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ModelError(f"{what}: missing column(s) {missing}; got {list(frame.columns)}")


Lifetimes = Mapping[str, float]
MaterialLifetimes = Mapping[tuple[str, str], float]


def _check_years_value(years: float, key: object) -> float:
    y = float(years)
    if not math.isfinite(y) or y <= 0:
        raise ModelError(f"mean lifetime of {key!r} is {years!r}; it must be > 0 years")
    return y


def lifetime_of(technology_id: str, asset_class: str, material: str, lifetimes: Lifetimes,
                material_lifetimes: MaterialLifetimes | None = None) -> float:
    """Mean service life (years) of a material in an asset: ``(technology_id, material)`` in
    ``material_lifetimes`` (a component with its own life, e.g. server boards), else ``technology_id``, else
    ``asset_class`` in ``lifetimes``; ModelError naming the asset's technology when none is known."""
    if material_lifetimes and (technology_id, material) in material_lifetimes:
        return _check_years_value(material_lifetimes[(technology_id, material)], (technology_id, material))
    for key in (technology_id, asset_class):
        if key in lifetimes:
            return _check_years_value(lifetimes[key], key)
    raise ModelError(f"no lifetime for technology {technology_id!r} (asset class {asset_class!r}); "
                     f"known: {sorted(map(str, lifetimes))}")


# ------------------------------------------------------------------------------------------ indicators


def _groups_of(material: str, groups: Mapping[str, Sequence[str]]) -> list[str]:
    """Groups containing ``material``, preferred EU groups first, then by name."""
    found = [g for g, members in groups.items() if material in members]
    return sorted(found, key=lambda g: (PREFERRED_GROUPS.index(g) if g in PREFERRED_GROUPS else 99, g))


class SupplyIndex:
    """Supply shares looked up by (material, stage, scope): the table grouped once instead of filtered on
    every lookup (:func:`material_indicators` makes ~600). Each lookup gives country → share in table order."""

    def __init__(self, supply: pd.DataFrame) -> None:
        self._parts = {key: (g["share"].to_numpy(float), g["country_iso3"].to_numpy())
                       for key, g in supply.groupby(["material_id", "stage", "scope"], sort=False)}

    def shares(self, material: str, stage: str, scope: str) -> pd.Series:
        share, country = self._parts.get((material, stage, scope), (np.array([], float), np.array([], object)))
        return pd.Series(share.copy(), index=country.copy())


def _index(supply: pd.DataFrame | SupplyIndex) -> SupplyIndex:
    return supply if isinstance(supply, SupplyIndex) else SupplyIndex(supply)


def group_shares(supply: pd.DataFrame | SupplyIndex, group: str, stage: str, scope: str, members: Sequence[str],
                 weights: Mapping[str, float] | None = None) -> tuple[pd.Series, list[str]]:
    """A group's shares aggregated from its members': ``share(c) = Σ_m w_m share_m(c) / Σ_m w_m`` over the
    members with rows at ``stage`` and ``scope``; ``w_m`` from ``weights`` (member → weight, e.g. world
    production), equal weights when None. Returns the shares (country → share) and the members used."""
    supply = _index(supply)
    parts, used, w = [], [], []
    for m in members:
        s = supply.shares(m, stage, scope)
        wm = 1.0 if weights is None else float(weights.get(m, 0.0))
        if len(s) and wm > 0:
            parts.append(s.groupby(level=0).sum() * wm)
            used.append(m)
            w.append(wm)
    if not parts:
        return pd.Series(dtype=float), []
    total = pd.concat(parts, axis=1).fillna(0.0).sum(axis=1) / sum(w)
    return total.sort_values(ascending=False), used


def supply_for(supply: pd.DataFrame | SupplyIndex, material: str, stage: str, scope: str,
               groups: Mapping[str, Sequence[str]],
               group_weights: Mapping[str, Mapping[str, float]] | None = None) -> tuple[pd.Series, str | None]:
    """Shares of ``material`` at ``stage`` and ``scope`` (country → share) and their basis: the material
    itself; for a group without published shares of its own, the weighted mean of its members' shares
    (:func:`group_shares`; basis ``"<group> (members, production-weighted)"`` when ``group_weights`` gives
    its weights, else ``"(members, equal weights)"``); for an element, the first group containing it that
    has rows. ``(empty, None)`` when none has."""
    supply = _index(supply)
    s = supply.shares(material, stage, scope)
    if len(s):
        return s, material
    if material in groups:
        w = (group_weights or {}).get(material)
        agg, used = group_shares(supply, material, stage, scope, groups[material], w)
        if len(agg):
            how = "weighted" if w is not None else "equal weights"
            return agg, f"{material} (mean of {len(used)} members, {how})"
    for g in _groups_of(material, groups):
        s = supply.shares(g, stage, scope)
        if len(s):
            return s, g
    return pd.Series(dtype=float), None


def _applies(destinations: object, destination: str | None) -> bool:
    if destination is None:
        return True
    text = "" if destinations is None or (isinstance(destinations, float) and math.isnan(destinations)) \
        else str(destinations)
    return text in ("", "all") or destination in text.split(";")


def active_controls(material: str, measures: pd.DataFrame, measure_materials: pd.DataFrame, on: dt.date | str,
                    groups: Mapping[str, Sequence[str]], destination: str | None = "NLD",
                    status: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Measures in force on ``on`` that restrict the material's supply to ``destination`` (``status``: each
    measure's status on ``on``, when known; see :func:`critmat.models.trade.controls_for`).

    :func:`critmat.models.trade.controls_for` (status ``active``; via groups and members), keeping measures
    whose ``destinations`` are ``all`` or name ``destination`` (None: every measure) and whose stage is not
    a technology-export ban.
    """
    found = trade.controls_for(material, measures, measure_materials, on=on, groups=groups, status=status)
    if found.empty:
        return found
    keep = found["destinations"].map(lambda d: _applies(d, destination)) if "destinations" in found else True
    if "measure_stage" in found:
        keep = keep & ~found["measure_stage"].isin(NON_MATERIAL_STAGES)
    return found[keep].reset_index(drop=True)


def material_indicators(materials: pd.DataFrame, supply_shares: pd.DataFrame, criticality: pd.DataFrame, *,
                        groups: Mapping[str, Sequence[str]], measures: pd.DataFrame | None = None,
                        measure_materials: pd.DataFrame | None = None, on: dt.date | str | None = None,
                        eu_members: Collection[str] = (), sr_year: int = 2023,
                        destination: str | None = "NLD", stage_sr: pd.DataFrame | None = None,
                        group_weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """Risk indicators per material (columns :data:`INDICATOR_COLUMNS`; see the module docstring).

    ``materials`` needs ``material_id`` (``name`` optional); ``supply_shares`` the reference package's
    columns (material_id, stage, scope, country_iso3, share); ``criticality`` material_id, year,
    supply_risk, economic_importance; ``stage_sr`` (optional) material_id, stage, supply_risk_stage (the
    EC's SR per stage, for materials without a value of their own in ``criticality``). Controls are counted
    only when ``measures``, ``measure_materials`` and ``on`` are given (else 0). ``group_weights``
    (group_id, material_id, aggregation_weight) weights the members when a group's shares are aggregated
    from theirs (see :func:`supply_for`; equal weights without it).
    """
    _require(materials, ["material_id"], "materials")
    _require(supply_shares, ["material_id", "stage", "scope", "country_iso3", "share"], "supply shares")
    _require(criticality, ["material_id", "year", "supply_risk", "economic_importance"], "criticality")
    members = frozenset(eu_members)
    crit = criticality[criticality["year"] == sr_year].set_index("material_id")
    stage_max = pd.DataFrame(columns=["stage", "supply_risk_stage"])
    if stage_sr is not None and len(stage_sr):
        _require(stage_sr, ["material_id", "stage", "supply_risk_stage"], "stage SR")
        st_sr = stage_sr.dropna(subset=["supply_risk_stage"]).sort_values(["material_id", "supply_risk_stage"],
                                                                          ascending=[True, False])
        stage_max = st_sr.groupby("material_id").head(1).set_index("material_id")[["stage", "supply_risk_stage"]]
    names = dict(zip(materials["material_id"], materials["name"])) if "name" in materials else {}
    gw: dict[str, dict[str, float]] = {}
    if group_weights is not None and len(group_weights):
        for r in group_weights.itertuples(index=False):
            gw.setdefault(str(r.group_id), {})[str(r.material_id)] = float(r.aggregation_weight)
    index = SupplyIndex(supply_shares)
    linked = (set(measure_materials["material_id"].astype(str))
              if measures is not None and measure_materials is not None and on is not None else None)
    status = (dict(zip(measures["measure_id"].astype(str), trade.statuses_on(measures, on)))
              if linked is not None else None)  # the same for every material: once
    rows = []
    for mid in materials["material_id"].astype(str):
        sr = ei = np.nan
        basis: str | None = None
        for cand in [mid, *_groups_of(mid, groups)]:
            if cand in crit.index and pd.notna(crit.at[cand, "supply_risk"]):
                sr, ei, basis = float(crit.at[cand, "supply_risk"]), float(crit.at[cand, "economic_importance"]), cand
                break
            if cand == mid and mid in stage_max.index:
                row = stage_max.loc[mid]
                sr, basis = float(row["supply_risk_stage"]), f"{mid} ({row['stage']}, stage SR)"
                ei = next((float(crit.at[g, "economic_importance"]) for g in _groups_of(mid, groups)
                           if g in crit.index and pd.notna(crit.at[g, "economic_importance"])), np.nan)
                break
        rec: dict[str, object] = {"material_id": mid, "name": names.get(mid, mid), "sr": sr, "ei": ei,
                                  "sr_basis": basis}
        bases, crma_parts, exceeds = set(), [], False
        for st in risk.STAGES:
            g, gb = supply_for(index, mid, st, "global", groups, gw)
            rec[f"hhi_{st}"] = risk.hhi(g) if len(g) else np.nan
            rec[f"china_{st}"] = risk.country_share(g) if len(g) else np.nan
            top = risk.top_share(g) if len(g) else (None, 0.0)
            rec[f"top_{st}"] = f"{top[0]} {top[1]:.0%}" if top[0] is not None else None
            if gb:
                bases.add(gb)
            e, eb = supply_for(index, mid, st, "eu_sourcing", groups, gw)
            s, label = (e, "EU sourcing") if len(e) else (g, "global proxy")
            if len(s):
                chk = risk.crma_check(s, eu_members=members)
                exceeds |= chk.exceeds
                if chk.country is not None:
                    crma_parts.append(f"{st}: {chk.country} {chk.share:.0%} ({label})")
        rec["supply_basis"] = ";".join(sorted(bases)) or None
        rec["crma_exceeds"] = bool(exceeds) if crma_parts else None
        rec["crma_detail"] = "; ".join(crma_parts) or None
        act = pd.DataFrame(columns=["measure_id", "forms"])
        if linked is not None and trade.related_materials(mid, groups) & linked:  # else no measure names it
            act = active_controls(mid, measures, measure_materials, on, groups, destination, status)
        rec.update(_control_cells(zip(act["measure_id"], act["forms"])))
        rec["gaps"] = _gap_reasons(rec, mid, groups) or None
        rows.append(rec)
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


CONTROL_COLUMNS = ["controls_active", "control_ids", "control_scopes"]


def _control_cells(active: Iterable[tuple[object, object]]) -> dict[str, object]:
    """The control columns of one material from its measures in force, in order: (measure id, forms)."""
    pairs = [(str(i), "" if f is None or f is pd.NA or (isinstance(f, float) and math.isnan(f)) else str(f))
             for i, f in active]
    return {"controls_active": len(pairs), "control_ids": ";".join(i for i, _ in pairs) or None,
            "control_scopes": ";".join(f"{i}={f.replace(';', '|')}" for i, f in pairs) or None}


def control_periods(materials: Iterable[str], measures: pd.DataFrame, measure_materials: pd.DataFrame, *,
                    groups: Mapping[str, Sequence[str]], destination: str | None = "NLD") -> pd.DataFrame:
    """The control columns of :func:`material_indicators` for every day at once: one row per period in which
    no measure's status changes (:func:`critmat.models.trade.status_periods`) and material, with
    ``valid_from`` (None: from the start of time) and ``valid_to`` (exclusive; None: open) and the columns of
    :data:`CONTROL_COLUMNS`; the same cells as ``material_indicators(..., on=day)`` for any day of the period
    (tested). Materials no measure names have no rows (0 controls, empty cells)."""
    ids = [str(m) for m in materials]
    linked = set(measure_materials["material_id"].astype(str))
    candidates = {}  # material -> its measures for the destination, in force or not, in the order shown
    for mid in ids:
        if trade.related_materials(mid, groups) & linked:
            found = active_controls(mid, measures, measure_materials, None, groups, destination)
            candidates[mid] = list(zip(found["measure_id"].astype(str), found["forms"]))
    rows = []
    for start, end in trade.status_periods(measures):
        # any day of the period ("measures" without a date: one period, every day alike)
        day = start if start is not None else (end - dt.timedelta(days=1) if end is not None else dt.date(2000, 1, 1))
        status = dict(zip(measures["measure_id"].astype(str), trade.statuses_on(measures, day)))
        for mid, cands in candidates.items():
            rows.append({"valid_from": start, "valid_to": end, "material_id": mid,
                         **_control_cells((i, f) for i, f in cands if status.get(i) == "active")})
    return pd.DataFrame(rows, columns=["valid_from", "valid_to", "material_id", *CONTROL_COLUMNS])


def _gap_reasons(rec: Mapping[str, object], mid: str, groups: Mapping[str, Sequence[str]]) -> str:
    """Why a figure of an indicator row is empty ("; "-joined), so no cell is blank without a reason."""
    out = []
    is_group = mid in groups
    if pd.isna(rec["sr"]):
        out.append("sr/ei: not assessed by the EC in 2023" + (" as a group (see its members)" if is_group else
                                                                 ", nor a group containing it"))
    for st in risk.STAGES:
        if pd.isna(rec[f"hhi_{st}"]):
            who = "it or its members" if is_group else "it or a group containing it"
            out.append(f"{st}: the EC 2023 study publishes no global {st} shares for {who}")
    return "; ".join(out)


# ------------------------------------------------------------------------------------------ need


def _years(years: Iterable[int]) -> list[int]:
    ys = sorted({int(y) for y in years})
    if not ys:
        raise ModelError("years: give at least one year")
    return ys


def _check_years_covered(frame: pd.DataFrame, ys: list[int], what: str) -> None:
    """A flows frame must cover every year asked for (a missing year would silently count as no need)."""
    missing = sorted(set(ys) - set(pd.to_numeric(frame["year"], errors="coerce").dropna().astype(int)))
    if missing:
        raise ModelError(f"{what}: no rows for year(s) {missing} of the years asked for {ys[0]}..{ys[-1]}; "
                         "run the flows model over those years")


def yearly_need(content: pd.DataFrame, assets: pd.DataFrame, years: Iterable[int], *, lifetimes: Lifetimes,
                material_lifetimes: MaterialLifetimes | None = None,
                outflows: pd.DataFrame | None = None, demand: pd.DataFrame | None = None) -> pd.DataFrame:
    """Need per year × asset class × material (columns :data:`NEED_COLUMNS`, tonnes), see module docstring.

    ``content``: ``asset_id, material, mass_t`` per asset (e.g. ``inventory.asset_content``); ``assets``:
    ``asset_id, asset_class, technology_id, status, commissioning_year``. ``lifetimes`` maps technology ids
    (or asset classes) to mean service lives in years, ``material_lifetimes`` ``(technology_id, material)``
    to the life of a component (see :func:`lifetime_of`). A flows model can replace the steady state:

    * ``outflows``: ``year, asset_class, material, outflow_t``; the outflow is replaced like for like
      (replacement term) and the pipeline comes from the planned assets as without it;
    * ``demand``: ``year, asset_class, material, replacement_t, pipeline_t`` (e.g. the region rows of
      :func:`critmat.flows.run_flows`: ``demand_replacement`` and ``demand_new``, vintage-resolved, with the
      scenario's pipeline years); both terms come from it.

    Either frame must cover every year asked for (ModelError otherwise); give at most one of them.
    """
    if outflows is not None and demand is not None:
        raise ModelError("yearly_need: give outflows= or demand=, not both")
    _require(content, ["asset_id", "material", "mass_t"], "content")
    _require(assets, ["asset_id", "asset_class", "technology_id", "status", "commissioning_year"], "assets")
    ys = _years(years)
    mass = pd.to_numeric(content["mass_t"], errors="coerce")
    if (mass.isna() | (mass < 0)).any():
        bad = content.loc[mass.isna() | (mass < 0)].iloc[0]
        raise ModelError(f"content: mass_t of asset {bad['asset_id']!r}, material {bad['material']!r} is "
                         f"{bad['mass_t']!r}; it must be a number >= 0")
    a = assets[["asset_id", "asset_class", "technology_id", "status", "commissioning_year"]]
    c = content[["asset_id", "material", "mass_t"]].merge(a, on="asset_id", how="inner", validate="many_to_one")
    held = c[c["status"].isin(STOCK_STATUSES)].copy()
    steady = outflows is None and demand is None
    held["replacement_t"] = [m / lifetime_of(str(t), str(cl), str(mat), lifetimes, material_lifetimes)
                             for m, t, cl, mat in zip(held["mass_t"], held["technology_id"], held["asset_class"],
                                                      held["material"])] if steady else 0.0
    stock = held.groupby(["asset_class", "material"], as_index=False)[["mass_t", "replacement_t"]].sum() \
        .rename(columns={"mass_t": "stock_t"})
    # every held (class, material) gets a row each year (a flows frame lists only what moves), so that
    # stock_t is complete; in the steady state this row carries the replacement
    frames = [stock.merge(pd.DataFrame({"year": ys}), how="cross")[["year", "asset_class", "material",
                                                                     "replacement_t"]]]
    if outflows is not None:
        _require(outflows, ["year", "asset_class", "material", "outflow_t"], "outflows")
        _check_years_covered(outflows, ys, "outflows")
        o = outflows[outflows["year"].isin(ys)].rename(columns={"outflow_t": "replacement_t"})
        frames.append(o[["year", "asset_class", "material", "replacement_t"]])
    elif demand is not None:
        _require(demand, ["year", "asset_class", "material", "replacement_t", "pipeline_t"], "demand")
        _check_years_covered(demand, ys, "demand")
        d = demand[demand["year"].isin(ys)]
        for col in ("replacement_t", "pipeline_t"):
            v = pd.to_numeric(d[col], errors="coerce")
            if (v.isna() | (v < 0)).any():
                bad = d.loc[v.isna() | (v < 0)].iloc[0]
                raw = bad[col].item() if hasattr(bad[col], "item") else bad[col]
                raise ModelError(f"demand: {col} of {bad['asset_class']!r}, {bad['material']!r}, year "
                                 f"{bad['year']} is {raw!r}; it must be a number >= 0")
        frames.append(d[["year", "asset_class", "material", "replacement_t", "pipeline_t"]])
    pipe = c[c["status"].isin(PIPELINE_STATUSES)].copy() if demand is None else c.iloc[:0]
    if len(pipe):
        cy = pd.to_numeric(pipe["commissioning_year"], errors="coerce")
        dated = pipe[cy.notna()].assign(year=cy[cy.notna()].astype(int).clip(lower=ys[0]))
        undated = pipe[cy.isna()]
        parts = [dated[dated["year"].isin(ys)][["year", "asset_class", "material", "mass_t"]]]
        if len(undated):
            spread = undated.assign(mass_t=undated["mass_t"] / len(ys)).merge(pd.DataFrame({"year": ys}), how="cross")
            parts.append(spread[["year", "asset_class", "material", "mass_t"]])
        frames.append(pd.concat(parts, ignore_index=True).rename(columns={"mass_t": "pipeline_t"}))
    out = pd.concat(frames, ignore_index=True)
    for col in ("replacement_t", "pipeline_t"):
        if col not in out:
            out[col] = 0.0
    out[["replacement_t", "pipeline_t"]] = out[["replacement_t", "pipeline_t"]].astype(float).fillna(0.0)
    out = out.groupby(["year", "asset_class", "material"], as_index=False)[["replacement_t", "pipeline_t"]].sum()
    out = out.merge(stock[["asset_class", "material", "stock_t"]], on=["asset_class", "material"], how="left")
    out["stock_t"] = out["stock_t"].fillna(0.0)
    out["need_t"] = out["replacement_t"] + out["pipeline_t"]
    return out[NEED_COLUMNS].sort_values(["year", "asset_class", "material"]).reset_index(drop=True)


def secondary_supply(need: pd.DataFrame, eol_pathways: pd.DataFrame, recovery_rates: pd.DataFrame) -> pd.DataFrame:
    """Secondary material recovered from the region's end-of-life flows, per year × asset class × material.

    The outflow is the replacement term of ``need`` (steady state, or ``outflows=``: what leaves equals
    what is replaced; not for a need built with ``demand=``, whose replacement term is the flows model's
    demand at the replacement share and the new vintage's intensity — take its ``recovered`` instead);
    it is split by :func:`critmat.models.circularity.apply_pathways` with the shares of the circularity
    package (export for reuse, collection, pre-treatment, recovery). Returns ``year, asset_class, material,
    outflow_t, recovered_t``.
    """
    from critmat.models import circularity

    _require(need, ["year", "asset_class", "material", "replacement_t"], "need")
    cols = ["year", "asset_class", "material", "outflow_t", "recovered_t"]
    if need.empty:
        return pd.DataFrame(columns=cols)
    classes = sorted(need["asset_class"].unique())
    mats = sorted(need["material"].unique())
    years = sorted(need["year"].unique())
    params = circularity.resolve_parameters(eol_pathways, recovery_rates, classes, mats, years)
    ci = {c: i for i, c in enumerate(classes)}
    mi = {m: j for j, m in enumerate(mats)}
    yi = {y: k for k, y in enumerate(years)}
    i = need["asset_class"].map(ci).to_numpy()
    j = need["material"].map(mi).to_numpy()
    k = need["year"].map(yi).to_numpy()
    parts = circularity.apply_pathways(need["replacement_t"].to_numpy(float), params.export_reuse[i, k],
                                       params.collection[i, k], params.pretreatment[i, j, k], params.recovery[i, j, k])
    out = need[["year", "asset_class", "material"]].copy()
    out["outflow_t"] = parts["outflow"]
    out["recovered_t"] = parts["recovered"]
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------------------------------ rankings


def _rank(score: pd.Series) -> pd.Series:
    return score.rank(ascending=False, method="min").astype("Int64")


def material_exposure(need: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Per material: stock, mean yearly replacement/pipeline/need over the years of ``need``, the
    indicators, ``exposure_score = need_t_per_yr × sr`` and its ``rank`` (1 = most exposed).

    Materials of the indicators without need get need 0 (score 0 where SR is known); materials needed but
    unknown to the indicators keep NaN indicators and no score.
    """
    _require(need, NEED_COLUMNS, "need")
    _require(indicators, ["material_id", "sr"], "indicators")
    n_years = need["year"].nunique() or 1
    first = need[need["year"] == need["year"].min()] if len(need) else need
    stock = first.groupby("material")["stock_t"].sum()
    agg = need.groupby("material")[["replacement_t", "pipeline_t", "need_t"]].sum() / n_years
    per = pd.DataFrame({"stock_t": stock}).join(agg, how="outer").fillna(0.0)
    per = per.rename(columns={"replacement_t": "replacement_t_per_yr", "pipeline_t": "pipeline_t_per_yr",
                              "need_t": "need_t_per_yr"})
    per.index.name = "material_id"
    out = indicators.merge(per.reset_index(), on="material_id", how="outer")
    for col in ("stock_t", "replacement_t_per_yr", "pipeline_t_per_yr", "need_t_per_yr"):
        out[col] = out[col].fillna(0.0)
    out["name"] = out["name"].fillna(out["material_id"]) if "name" in out else out["material_id"]
    out["exposure_score"] = out["need_t_per_yr"] * out["sr"]
    out["rank"] = _rank(out["exposure_score"])
    out = out.sort_values(["rank", "sr", "material_id"], ascending=[True, False, True], na_position="last")
    return out.reset_index(drop=True)


def asset_class_exposure(need: pd.DataFrame, indicators: pd.DataFrame,
                         controlled: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per asset class: yearly need, ``exposure_score = Σ_m need_t_per_yr(c, m) × SR(m)``, the material
    contributing most, and the yearly need of materials under active controls. With ``controlled``
    (``asset_class, material, controlled_fraction``: :func:`critmat.models.rankings.controlled_fractions`)
    only the fraction held in a form the controls cover counts; without it every control on the material."""
    _require(need, NEED_COLUMNS, "need")
    n_years = need["year"].nunique() or 1
    ind = indicators.set_index("material_id")
    per = need.groupby(["asset_class", "material"], as_index=False)["need_t"].sum()
    per["need_t_per_yr"] = per["need_t"] / n_years
    per["sr"] = per["material"].map(ind["sr"])
    per["score"] = per["need_t_per_yr"] * per["sr"]
    if controlled is not None:
        per = per.merge(controlled[["asset_class", "material", "controlled_fraction"]],
                        on=["asset_class", "material"], how="left")
        per["controlled_fraction"] = per["controlled_fraction"].fillna(0.0)
    else:
        per["controlled_fraction"] = (per["material"].map(ind["controls_active"]).fillna(0) > 0).astype(float)
    per["controlled"] = per["controlled_fraction"] > 0
    rows = []
    for cls, g in per.groupby("asset_class"):
        top = g.sort_values("score", ascending=False, na_position="last").iloc[0]
        ctrl = g[g["controlled"]]
        rows.append({"asset_class": cls, "need_t_per_yr": float(g["need_t_per_yr"].sum()),
                     "exposure_score": float(g["score"].sum(min_count=1)) if g["score"].notna().any() else np.nan,
                     "top_material": top["material"] if pd.notna(top["score"]) else None,
                     "top_material_score": float(top["score"]) if pd.notna(top["score"]) else np.nan,
                     "controlled_need_t_per_yr": float((ctrl["need_t_per_yr"] * ctrl["controlled_fraction"]).sum()),
                     "controlled_materials": ";".join(sorted(ctrl["material"])) or None})
    out = pd.DataFrame(rows, columns=["asset_class", "need_t_per_yr", "exposure_score", "top_material",
                                      "top_material_score", "controlled_need_t_per_yr", "controlled_materials"])
    out["rank"] = _rank(out["exposure_score"])
    return out.sort_values(["rank", "asset_class"], na_position="last").reset_index(drop=True)


def goods_category_exposure(goods_categories: pd.DataFrame, goods_category_materials: pd.DataFrame,
                            indicators: pd.DataFrame) -> pd.DataFrame:
    """Per goods category (HCSS Table 3; materials from the Figure 5 text): provinces and shares of the CRM
    volume, linked materials, the largest SR among them, controlled materials, and
    ``exposure_score = mean share × max SR`` (NaN when no material is linked)."""
    _require(goods_categories, ["goods_category_id", "goods_category_name", "province_code", "share"],
             "goods categories")
    _require(goods_category_materials, ["goods_category_id", "material_id"], "goods category materials")
    ind = indicators.set_index("material_id")
    rows = []
    for gid, g in goods_categories.groupby("goods_category_id", sort=True):
        mats = sorted(goods_category_materials.loc[goods_category_materials["goods_category_id"] == gid,
                                                   "material_id"].astype(str))
        srs = ind["sr"].reindex(mats).dropna()
        ctrl = [m for m in mats if m in ind.index and ind.at[m, "controls_active"] > 0]
        share = float(g["share"].mean())
        max_sr = float(srs.max()) if len(srs) else np.nan
        rows.append({"goods_category_id": gid, "name": g["goods_category_name"].iloc[0],
                     "shares": "; ".join(f"{p} {s:.1%}" for p, s in zip(g["province_code"], g["share"])),
                     "share_mean": share, "materials": ";".join(mats) or None, "max_sr": max_sr,
                     "max_sr_material": srs.idxmax() if len(srs) else None,
                     "controlled_materials": ";".join(ctrl) or None, "exposure_score": share * max_sr})
    out = pd.DataFrame(rows, columns=["goods_category_id", "name", "shares", "share_mean", "materials", "max_sr",
                                      "max_sr_material", "controlled_materials", "exposure_score"])
    out["rank"] = _rank(out["exposure_score"])
    return out.sort_values(["rank", "share_mean"], ascending=[True, False], na_position="last").reset_index(drop=True)


def company_exposure(company_materials: pd.DataFrame, indicators: pd.DataFrame,
                     needed: Collection[str] = ()) -> pd.DataFrame:
    """Per company (long input ``company_id, name, primary_activity_id, material_id`` and optionally
    ``eol_only``): the materials it depends on, the largest SR among them (``exposure_score``), its
    materials under active controls and those the region's assets also need (``needed``). Materials the
    company handles only at end of life (``eol_only``: carried by the waste streams it collects or
    recycles) do not make it exposed to supply; they are listed apart (``eol_materials``), and a company
    with nothing else gets no score. Ranked by score, then by the number of controlled materials."""
    _require(company_materials, ["company_id", "name", "primary_activity_id", "material_id"], "company materials")
    ind = indicators.set_index("material_id")
    need_set = set(needed)
    cm = company_materials.copy()
    if "eol_only" not in cm:
        cm["eol_only"] = False
    rows = []
    for cid, g in cm.groupby("company_id", sort=True):
        mats = sorted(set(g.loc[~g["eol_only"].astype(bool), "material_id"].astype(str)))
        eol = sorted(set(g.loc[g["eol_only"].astype(bool), "material_id"].astype(str)) - set(mats))
        srs = ind["sr"].reindex(mats).dropna()
        ctrl = [m for m in mats if m in ind.index and ind.at[m, "controls_active"] > 0]
        rows.append({"company_id": cid, "name": g["name"].iloc[0], "activity": g["primary_activity_id"].iloc[0],
                     "materials": ";".join(mats) or None, "exposure_score": float(srs.max()) if len(srs) else np.nan,
                     "max_sr_material": srs.idxmax() if len(srs) else None, "n_controlled": len(ctrl),
                     "controlled_materials": ";".join(ctrl) or None,
                     "needed_by_region": ";".join(m for m in mats if m in need_set) or None,
                     "eol_materials": ";".join(eol) or None})
    out = pd.DataFrame(rows, columns=["company_id", "name", "activity", "materials", "exposure_score",
                                      "max_sr_material", "n_controlled", "controlled_materials", "needed_by_region",
                                      "eol_materials"])
    out = out.sort_values(["exposure_score", "n_controlled", "company_id"], ascending=[False, False, True],
                          na_position="last").reset_index(drop=True)
    out["rank"] = _rank(out["exposure_score"])
    return out


def projects_under_controls(assets: pd.DataFrame, content: pd.DataFrame, indicators: pd.DataFrame,
                            statuses: Sequence[str] = PROJECT_STATUSES,
                            forms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Planned and under-construction assets holding materials under active export controls: one row per
    asset × controlled material with its content (t) and the measures. With ``forms`` (the policy
    package's ``holding_forms``) a control counts only when its forms include the form the asset holds the
    material in (:mod:`critmat.models.rankings`): the manganese in turbine steel is not under a control on
    battery cathode materials; ``control_ids`` then lists the covering controls only."""
    _require(assets, ["asset_id", "asset_class", "status"], "assets")
    _require(content, ["asset_id", "material", "mass_t"], "content")
    ctrl = indicators[indicators["controls_active"] > 0].set_index("material_id")
    sel = assets[assets["status"].isin(list(statuses))]
    cols = ["asset_id", "name", "asset_class", "status", "commissioning_year", "material", "mass_t", "control_ids"]
    c = content[content["asset_id"].isin(sel["asset_id"]) & content["material"].isin(ctrl.index)]
    if c.empty:
        return pd.DataFrame(columns=cols)
    keep = [k for k in ("asset_id", "name", "asset_class", "status", "commissioning_year") if k in sel.columns]
    out = c[["asset_id", "material", "mass_t"]].merge(sel[keep], on="asset_id", how="left")
    out["control_ids"] = out["material"].map(ctrl["control_ids"])
    if forms is not None and "technology_id" in sel.columns and "control_scopes" in ctrl.columns:
        from critmat.models.rankings import covering_controls, holding_forms

        tech = out["asset_id"].map(dict(zip(sel["asset_id"], sel["technology_id"])))
        form = holding_forms(pd.DataFrame({"technology_id": tech, "material": out["material"]}), forms)
        ids = [covering_controls(ctrl.at[m, "control_scopes"], f) for m, f in zip(out["material"], form)]
        out["control_ids"] = [";".join(x) or None for x in ids]
        out["holding_form"] = form.to_numpy()
        out = out[out["control_ids"].notna()]
        if out.empty:
            return pd.DataFrame(columns=cols + ["holding_form"])
        cols = cols + ["holding_form"]
    for k in cols:
        if k not in out:
            out[k] = None
    return out[cols].sort_values(["asset_id", "mass_t"], ascending=[True, False]).reset_index(drop=True)


__all__ = ["active_controls", "asset_class_exposure", "company_exposure",
           "goods_category_exposure", "material_exposure", "material_indicators", "projects_under_controls",
           "secondary_supply", "supply_for", "yearly_need", "lifetime_of"]
