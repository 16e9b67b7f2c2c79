"""Disruption simulator: what a supply shock removes from world supply, EU sourcing and the region's need.

Pure functions on frames (no I/O). A shock (:class:`critmat.specs.shocks.ShockSpec`) withholds the share ``w``
of supplier country c's supply of some materials at one stage, from ``start`` for ``months`` months,
optionally only towards some destinations. Materials given as groups expand to their members. For each
material m at the shock's stage (shares as fractions, used as reported, no renormalisation):

* **World supply lost** ``= s_global(c) × w``, with s_global(c) c's share of global supply (0 when c is not
  listed). This is the supply under the measure; with destinations it is an upper bound of what the
  world market loses.
* **EU-sourcing share lost** ``= s_EU(c) × w × h``; s_EU(c) is c's share of EU sourcing (the global share as
  a proxy where the EC reports no EU sourcing for that stage) and ``h = 1`` when the shock applies to EU
  destinations (no ``destinations``, ``EU`` or a member state among them), else ``h = eu_leakage``
  (default 0, an assumption).
* **Affected need** of the region, per year y, asset class and material::

      affected_t(y) = need_t(y) × eu_lost_share × f(y)

  where ``need_t`` is the region's yearly need (:func:`critmat.models.exposure.yearly_need`) and f(y) the
  share of year y inside the shock window (days; ``months/12`` for a shock inside one year). The region
  buys on the EU market, so it loses the EU-sourcing share.
* **Mitigations** (tonnes over the shock):

  - *alternative suppliers*: the listed other suppliers raise output by ``spare_capacity`` (default 10 %,
    an assumption) of their share: spare = Σ_{j≠c} s_global(j) × spare_capacity; the covered fraction
    ``φ = min(1, spare / world_lost)``; the region gets the same fraction (pro rata): ``alternative_t =
    affected_t × φ``. Suppliers missing from the bundled tables (top five plus China) are ignored, so φ
    is a lower bound there;
  - *secondary supply*: ``min(secondary_t_per_yr × Σ_y f(y), affected_t − alternative_t)`` from an
    end-of-life flows frame when one is given, else "not available";
  - *substitution*: the EC substitution index SI_SR (1 = no substitute; below 1 the EC found substitutes
    that lower the supply risk by that factor) where a table of them is given, else "not available". The
    EC publishes no substitutable tonnage, so none is computed.

  ``residual_t = affected_t − alternative_t − secondary_t``.
* **Exposed companies**: companies handling a material whose EU-sourcing loss is > 0. **Exposed
  projects**: planned or under-construction assets holding such a material and commissioned from the first
  year of the shock up to ``lead_years`` after its last year (components are bought before commissioning),
  or without a commissioning year.

A shock with ``share = 0`` changes nothing: every loss, affected tonne and mitigation is 0, and
:func:`shocked_supply` returns the supply table unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmat.errors import ModelError
from critmat.models.exposure import SupplyIndex, supply_for
from critmat.specs.shocks import EU, ShockSpec

SUPPLY_COLUMNS = ["material_id", "stage", "country", "country_share", "world_lost_share", "eu_share", "eu_basis",
                  "eu_hit", "eu_lost_share", "others_share", "spare_share", "alt_cover", "note"]
AFFECTED_COLUMNS = ["year", "asset_class", "material", "need_t", "year_fraction", "lost_share", "affected_t"]
MITIGATION_COLUMNS = ["material", "affected_t", "alt_cover", "alternative_t", "secondary_available_t",
                      "secondary_t", "residual_t", "substitution"]
NOT_AVAILABLE = "not available"


def expand_materials(materials: Sequence[str], groups: Mapping[str, Sequence[str]]) -> list[str]:
    """Material ids with groups replaced by their members (order kept, duplicates dropped)."""
    out: list[str] = []
    for m in materials:
        for x in (groups[m] if m in groups else [m]):
            if x not in out:
                out.append(x)
    return out


def year_fractions(start: dt.date, months: float) -> dict[int, float]:
    """Share of each calendar year inside ``[start, start + months)`` (by days); empty for 0 months."""
    if months < 0:
        raise ModelError(f"duration is {months!r} months; it must be >= 0")
    from critmat.specs.shocks import add_months

    end = add_months(start, months)
    out: dict[int, float] = {}
    for y in range(start.year, end.year + 1):
        a, b = max(start, dt.date(y, 1, 1)), min(end, dt.date(y + 1, 1, 1))
        days = (b - a).days
        if days > 0:
            out[y] = days / (dt.date(y + 1, 1, 1) - dt.date(y, 1, 1)).days
    return out


def supply_loss(shock: ShockSpec, supply_shares: pd.DataFrame, *, groups: Mapping[str, Sequence[str]],
                eu_members: Collection[str] = ()) -> pd.DataFrame:
    """Per material of the shock (groups expanded) at its stage: world and EU-sourcing shares lost and the
    spare supply of the other listed countries (columns :data:`SUPPLY_COLUMNS`)."""
    hit = shock.hits([EU], eu_members)
    factor = 1.0 if hit else shock.eu_leakage
    rows = []
    index = SupplyIndex(supply_shares)
    for m in expand_materials(shock.materials, groups):
        g, gb = supply_for(index, m, shock.stage, "global", groups)
        e, eb = supply_for(index, m, shock.stage, "eu_sourcing", groups)
        notes = []
        if gb is None:
            notes.append(f"no global supply shares at {shock.stage}: loss unknown, 0 used")
        elif gb != m:
            notes.append(f"global shares of group {gb}")
        s_c = float(g.get(shock.country, 0.0)) if len(g) else 0.0
        if gb is not None and shock.country not in g.index:
            notes.append(f"{shock.country} not among the listed suppliers")
        if len(e):
            s_eu, basis = float(e.get(shock.country, 0.0)), ("EU sourcing" if eb == m else f"EU sourcing of {eb}")
        else:
            s_eu, basis = s_c, "global proxy"
        others = float(g.drop(shock.country, errors="ignore").sum()) if len(g) else 0.0
        world_lost = s_c * shock.share
        spare = others * shock.spare_capacity
        cover = min(1.0, spare / world_lost) if world_lost > 0 else 0.0
        rows.append({"material_id": m, "stage": shock.stage, "country": shock.country, "country_share": s_c,
                     "world_lost_share": world_lost, "eu_share": s_eu, "eu_basis": basis, "eu_hit": hit,
                     "eu_lost_share": s_eu * shock.share * factor, "others_share": others, "spare_share": spare,
                     "alt_cover": cover, "note": "; ".join(notes) or None})
    return pd.DataFrame(rows, columns=SUPPLY_COLUMNS)


def shocked_supply(supply_shares: pd.DataFrame, shock: ShockSpec, *, groups: Mapping[str, Sequence[str]],
                   eu_members: Collection[str] = ()) -> pd.DataFrame:
    """The supply-shares table during the shock: the country's share of each shocked material (and of the
    groups named in the shock) at the shock's stage times ``1 − w`` (global) or ``1 − w·h`` (EU sourcing).
    Not renormalised: the withheld supply is missing, not replaced."""
    mats = set(expand_materials(shock.materials, groups)) | set(shock.materials)
    h = 1.0 if shock.hits([EU], eu_members) else shock.eu_leakage
    out = supply_shares.copy()
    sel = out["material_id"].isin(mats) & (out["stage"] == shock.stage) & (out["country_iso3"] == shock.country)
    factor = np.where(out.loc[sel, "scope"] == "eu_sourcing", 1 - shock.share * h, 1 - shock.share)
    out.loc[sel, "share"] = out.loc[sel, "share"].to_numpy(float) * factor
    return out


@dataclass(frozen=True)
class DisruptionResult:
    """Everything :func:`simulate` computes; frames as documented in the module docstring."""

    shock: ShockSpec
    materials: tuple[str, ...]
    year_fraction: dict[int, float]
    supply: pd.DataFrame
    affected: pd.DataFrame
    mitigations: pd.DataFrame
    companies: pd.DataFrame = field(default_factory=pd.DataFrame)
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)
    need_basis: str = ""  # how the need was computed (flows model or steady state), as given to simulate

    def affected_by_year_class(self) -> pd.DataFrame:
        """Affected need summed over materials: ``year, asset_class, need_t, affected_t``."""
        a = self.affected
        if a.empty:
            return pd.DataFrame(columns=["year", "asset_class", "need_t", "affected_t"])
        return a.groupby(["year", "asset_class"], as_index=False)[["need_t", "affected_t"]].sum()

    def totals(self) -> dict[str, float]:
        m = self.mitigations
        return {"affected_t": float(self.affected["affected_t"].sum()) if len(self.affected) else 0.0,
                "alternative_t": float(m["alternative_t"].sum()) if len(m) else 0.0,
                "secondary_t": float(m["secondary_t"].sum()) if len(m) else 0.0,
                "residual_t": float(m["residual_t"].sum()) if len(m) else 0.0}


def simulate(shock: ShockSpec, supply_shares: pd.DataFrame, need: pd.DataFrame, *,
             groups: Mapping[str, Sequence[str]], eu_members: Collection[str] = (),
             companies: pd.DataFrame | None = None, projects: pd.DataFrame | None = None,
             secondary: pd.DataFrame | None = None, substitution: pd.DataFrame | None = None,
             lead_years: int = 1, need_basis: str = "") -> DisruptionResult:
    """Run one shock (see the module docstring for every formula).

    ``need``: ``year, asset_class, material, need_t`` (tonnes in the year; years outside the shock and rows
    with no need are ignored, shock years missing from it count as no need). ``companies``: long ``company_id, name,
    primary_activity_id, material_id``. ``projects``: ``asset_id, name, asset_class, status,
    commissioning_year, material, mass_t`` of planned/under-construction assets. ``secondary``:
    ``material, secondary_t_per_yr`` (end-of-life flows). ``substitution``: ``material_id, si_sr`` and
    optionally ``source_id``. ``need_basis``: a label of how ``need`` was computed, kept on the result.
    """
    for col in ("year", "asset_class", "material", "need_t"):
        if col not in need.columns:
            raise ModelError(f"need: missing column {col!r}")
    mats = tuple(expand_materials(shock.materials, groups))
    yf = year_fractions(shock.start, shock.months)
    sup = supply_loss(shock, supply_shares, groups=groups, eu_members=eu_members)
    lost = dict(zip(sup["material_id"], sup["eu_lost_share"]))
    cover = dict(zip(sup["material_id"], sup["alt_cover"]))

    a = need[need["material"].isin(mats) & need["year"].isin(list(yf))].copy()
    a = a.groupby(["year", "asset_class", "material"], as_index=False)["need_t"].sum()
    a = a[a["need_t"] > 0]  # holdings without need in a year (listed by yearly_need) are not affected
    a["year_fraction"] = a["year"].map(yf).astype(float)
    a["lost_share"] = a["material"].map(lost).astype(float)
    a["affected_t"] = a["need_t"] * a["lost_share"] * a["year_fraction"]
    a = a[AFFECTED_COLUMNS].sort_values(["year", "asset_class", "material"]).reset_index(drop=True)

    sec = {}
    if secondary is not None:
        for col in ("material", "secondary_t_per_yr"):
            if col not in secondary.columns:
                raise ModelError(f"secondary supply: missing column {col!r}")
        sec = secondary.groupby("material")["secondary_t_per_yr"].sum().to_dict()
    subs = {}
    if substitution is not None:
        for r in substitution.to_dict("records"):
            si = float(r["si_sr"])
            src = f"; {r['source_id']}" if r.get("source_id") else ""
            what = "no substitute" if si >= 1 else "partial substitutes, no tonnage"
            subs[r["material_id"]] = f"SI_SR {si:.2f} ({what}{src})"
    span = float(sum(yf.values()))
    rows = []
    for m in mats:
        aff = float(a.loc[a["material"] == m, "affected_t"].sum())
        alt = aff * cover.get(m, 0.0)
        avail = sec[m] * span if m in sec else np.nan
        s_t = min(avail, aff - alt) if m in sec else 0.0
        rows.append({"material": m, "affected_t": aff, "alt_cover": cover.get(m, 0.0), "alternative_t": alt,
                     "secondary_available_t": avail, "secondary_t": s_t, "residual_t": max(0.0, aff - alt - s_t),
                     "substitution": subs.get(m, NOT_AVAILABLE)})
    mit = pd.DataFrame(rows, columns=MITIGATION_COLUMNS)

    hit_mats = {m for m, v in lost.items() if v > 0}
    comp = pd.DataFrame(columns=["company_id", "name", "activity", "materials"])
    if companies is not None and len(companies):
        c = companies[companies["material_id"].isin(hit_mats)]
        if "eol_only" in c:  # a material handled only in end-of-life streams is not a supply the company needs
            c = c[~c["eol_only"].astype(bool)]
        if len(c):
            comp = (c.groupby(["company_id", "name", "primary_activity_id"], as_index=False)["material_id"]
                    .agg(lambda s: ";".join(sorted(set(s))))
                    .rename(columns={"primary_activity_id": "activity", "material_id": "materials"}))
    proj = pd.DataFrame(columns=["asset_id", "name", "asset_class", "status", "commissioning_year", "material",
                                 "mass_t"])
    if projects is not None and len(projects) and yf:
        p = projects[projects["material"].isin(hit_mats)].copy()
        cy = pd.to_numeric(p["commissioning_year"], errors="coerce")
        window = cy.isna() | ((cy >= min(yf)) & (cy <= max(yf) + lead_years))
        proj = p[window][[c for c in proj.columns if c in p.columns]].reset_index(drop=True)
    return DisruptionResult(shock=shock, materials=mats, year_fraction=yf, supply=sup, affected=a,
                            mitigations=mit, companies=comp.reset_index(drop=True), projects=proj,
                            need_basis=need_basis)


__all__ = ["AFFECTED_COLUMNS", "MITIGATION_COLUMNS", "NOT_AVAILABLE", "SUPPLY_COLUMNS", "DisruptionResult",
           "expand_materials", "shocked_supply", "simulate", "supply_loss", "year_fractions"]
