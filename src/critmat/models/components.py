"""Component shocks answered in the region's terms (pure functions on frames, no I/O).

A shock withholds ``share`` of a country's production of a component (NdFeB magnets, Li-ion cells, PV
modules, nacelles ...) for ``months`` from ``start``. The withheld fraction of world supply is
``f = share × country_share(component)``. Everything the region builds in the window that needs the
component is hit pro rata (no stocks, no substitutes: assumption ``critmat_assumption_components``):

* **projects**: planned or under-construction assets of a technology carrying the component whose
  commissioning year falls in a year of the window; ``delayed`` = capacity × f × the window's share of that year
  (the expected delay when the commissioning month is unknown, as for the fleets and the material);
* **fleet units**: new units of target fleets (growth and replacement of cars, PV, grid ...) of those
  technologies in the window: units per year × the window's share of the year × f;
* **material**: the component's materials needed in the window by the classes that carry it (flows
  model demand, t) × f; for magnets also the magnet mass (rare earths / :data:`MAGNET_RE_SHARE`);
* **companies**: the region's companies that depend on the component's materials (materials they handle
  only in end-of-life streams excluded).

Units: MW, km or units (``unit`` column), tonnes; shares 0..1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmat.errors import ModelError, UnknownIdError
from critmat.models.disruption import year_fractions

MAGNET_RE = ("neodymium", "praseodymium", "dysprosium", "terbium")
MAGNET_RE_SHARE = 0.31  # rare earths per tonne of sintered NdFeB magnet (critmat_assumption_components)
PROJECT_STATUSES = ("planned", "under_construction")


@dataclass
class ComponentShockResult:
    """``summary`` (one row), ``projects``, ``fleets``, ``materials`` and ``companies`` frames."""

    component_id: str
    country: str
    share: float
    months: float
    start: dt.date
    withheld_fraction: float
    window: dict[int, float]
    projects: pd.DataFrame
    fleets: pd.DataFrame
    materials: pd.DataFrame
    companies: pd.DataFrame

    @property
    def summary(self) -> dict[str, float | str]:
        mw = self.projects.loc[self.projects["unit"] == "MW", "delayed"].sum() if len(self.projects) else 0.0
        fl = self.fleets
        cars = fl.loc[fl["technology_id"].str.startswith("car_"), "delayed"].sum() if len(fl) else 0.0
        fleet_mw = fl.loc[fl["unit"] == "MW", "delayed"].sum() if len(fl) else 0.0
        mag = self.materials["magnet_t"].sum() if "magnet_t" in self.materials and len(self.materials) else 0.0
        return {"component_id": self.component_id, "country": self.country, "share": self.share,
                "months": self.months, "start": self.start.isoformat(), "withheld_fraction": self.withheld_fraction,
                "projects_hit": int(len(self.projects)), "project_mw_delayed": float(mw),
                "fleet_mw_delayed": float(fleet_mw), "cars_delayed": float(cars),
                "material_t_withheld": float(self.materials["withheld_t"].sum()) if len(self.materials) else 0.0,
                "magnet_t_withheld": float(mag), "companies": int(len(self.companies))}


def component_shock(component_id: str, country: str, share: float, months: float, start: dt.date, *,
                    supply: pd.DataFrame, carriers: pd.DataFrame, projects: pd.DataFrame, fleets: pd.DataFrame,
                    demand: pd.DataFrame, companies: pd.DataFrame | None = None,
                    materials_of: Mapping[str, set[str]] | None = None) -> ComponentShockResult:
    """The region's exposure to a component shock (see module docstring).

    ``supply``: ``component_id, country_iso3, share``; ``carriers``: ``component_id, technology_id``;
    ``projects``: ``asset_id, name, asset_class, technology_id, status, commissioning_year, quantity, unit``;
    ``fleets``: ``technology_id, year, inflow, unit`` (units entering per year:
    :attr:`critmat.flows.FlowsResult.fleets`); ``demand``: ``year, material, demand_t`` (the region's need
    of the materials in the component's form, t/yr); ``companies``: long ``company_id, name,
    primary_activity_id, material_id[, eol_only]``; ``materials_of``: component → the materials it carries.
    """
    if not 0 <= share <= 1:
        raise ModelError(f"share must be between 0 and 1, got {share}")
    if months <= 0:
        raise ModelError(f"months must be > 0, got {months}")
    sup = supply[supply["component_id"] == component_id]
    if not len(carriers[carriers["component_id"] == component_id]):
        known = ", ".join(sorted(set(carriers["component_id"])))
        raise UnknownIdError(f"unknown component '{component_id}' (known: {known})")
    cs = sup.loc[sup["country_iso3"] == country, "share"]
    country_share = float(cs.iloc[0]) if len(cs) else 0.0
    f = share * country_share
    window = year_fractions(start, months)
    techs = set(carriers.loc[carriers["component_id"] == component_id, "technology_id"])

    p = projects[projects["technology_id"].isin(techs) & projects["status"].isin(PROJECT_STATUSES)].copy()
    p["window_share"] = p["commissioning_year"].map(lambda y: window.get(int(y), 0.0) if pd.notna(y) else 0.0)
    p = p[p["window_share"] > 0]
    p["delayed"] = p["quantity"] * p["window_share"] * f  # expected value: commissioning month unknown
    p = p.sort_values(["commissioning_year", "asset_id"]).reset_index(drop=True)

    fl = fleets[fleets["technology_id"].isin(techs) & fleets["year"].isin(list(window))].copy()
    fl["window_share"] = fl["year"].map(window)
    fl["units_in_window"] = fl["inflow"] * fl["window_share"]
    fl["delayed"] = fl["units_in_window"] * f
    fl = fl[fl["units_in_window"] > 0][["technology_id", "year", "unit", "units_in_window", "delayed"]]
    fl = fl.reset_index(drop=True)

    mats = set((materials_of or {}).get(component_id, set()))
    d = demand[demand["year"].isin(list(window))]
    if mats:
        d = d[d["material"].isin(mats)]
    d = d.assign(window_t=d["demand_t"] * d["year"].map(window))
    m = d.groupby("material", as_index=False)["window_t"].sum()
    m["withheld_t"] = m["window_t"] * f
    if component_id == "ndfeb_magnet":
        re = m["material"].isin(MAGNET_RE)
        m["magnet_t"] = np.where(re, m["withheld_t"] / MAGNET_RE_SHARE, 0.0)
    m = m.sort_values("withheld_t", ascending=False).reset_index(drop=True)

    comp = pd.DataFrame(columns=["company_id", "name", "activity", "materials"])
    if companies is not None and len(companies) and mats:
        c = companies[companies["material_id"].isin(mats)]
        if "eol_only" in c:
            c = c[~c["eol_only"].astype(bool)]
        if len(c):
            comp = (c.groupby(["company_id", "name", "primary_activity_id"], as_index=False)["material_id"]
                    .agg(lambda s: ";".join(sorted(set(s))))
                    .rename(columns={"primary_activity_id": "activity", "material_id": "materials"}))
    return ComponentShockResult(component_id, country, float(share), float(months), start, f, window, p, fl, m,
                                comp)
