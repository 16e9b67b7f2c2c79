"""Stand-in for the parts of :mod:`critmat.services` that have not landed yet (boundaries, the scenario list,
policy; flows under a dashboard variant of a scenario): the service
call signatures and :class:`~critmat.services.base.Result`. Each function goes when its service lands.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from critmat.services.base import Result
from critmat.warehouse import Warehouse


def _srcs(df: pd.DataFrame) -> list[str]:
    return sorted({str(s) for s in df["source_id"].dropna()}) if "source_id" in df else []


# -------------------------------------------------------------------------------------------- flows
def scenarios(wh: Warehouse) -> Result:
    """The bundled flow scenarios held by the warehouse: ``name, title, extends, description``."""
    from critmat.warehouse import access

    rows = []
    for name in access.spec_names(wh, "scenario"):
        s = access.scenario(wh, name)
        rows.append({"name": name, "title": s.title, "extends": s.extends or "",
                     "description": " ".join(s.description.split())})
    return Result(pd.DataFrame(rows, columns=["name", "title", "extends", "description"]), title="Flow scenarios")


def flows_variant(wh: Warehouse, region: str, scenario: Any, material: str | None = None,
                  start: int | None = None, end: int | None = None, draws: int = 0, seed: int = 0,
                  by: str = "year") -> Result:
    """Flows under a dashboard variant of a scenario (a :class:`Scenario` object, see
    :func:`scenario_variant`): ``critmat.services.flows.flows`` takes a scenario name only, so this runs the
    model on the variant and shapes the table with the service's own :func:`critmat.services.flows.table`.
    Goes when the flows service accepts a scenario object."""
    from critmat.flows import run_flows
    from critmat.services import flows as F

    res = run_flows(region, scenario, wh=wh, start=start, end=end, materials=F.materials_of(wh, material),
                    n_draws=draws or None, seed=seed)
    y0, y1 = int(res.years[0]), int(res.years[-1])
    return Result(F.table(res, by), title=f"End-of-life flows of {res.region}, scenario {res.scenario.name}",
                  caption=f"tonnes {'summed over' if by != 'year' else 'per year,'} {y0}-{y1}; "
                          f"{res.scenario.title}" + (f"; Monte Carlo, {draws} draws, seed {seed}" if draws else ""),
                  sources=sorted(set(res.fleets["source_id"].dropna())) if "source_id" in res.fleets else [],
                  params={"region": res.region, "scenario": res.scenario.name, "years": [y0, y1], "draws": draws,
                          "seed": seed, "by": by, "material": material},
                  doc={"notes": res.notes, "benchmark": res.benchmark})


def scenario_variant(wh: Warehouse, scenario: str, lifetime_shift: float | None = None,
                     recovery: float | None = None, recovery_from: int | None = None) -> Any:
    """The named scenario with the dashboard's controls applied: every asset class's lifetime shifted by
    ``lifetime_shift`` years, and the recovery rate of every material set to ``recovery`` (0..1) from
    ``recovery_from`` (default: always) for every asset class. None leaves the scenario's own values."""
    from typing import get_args

    from critmat.specs.scenarios import ALWAYS, AssetClass, validate_scenario
    from critmat.warehouse import access

    sc = access.scenario(wh, scenario)
    if lifetime_shift is None and recovery is None:
        return sc
    d = sc.model_dump(mode="python")
    d["name"] = f"{sc.name}-custom"
    d["title"] = f"{sc.title or sc.name} (dashboard variant)"
    if lifetime_shift is not None:
        d["lifetime_shift_years"] = {c: float(lifetime_shift) for c in get_args(AssetClass)}
    if recovery is not None:
        mats = sorted(set(wh.table("recovery_rates")["material_id"].dropna()))
        sched = ((recovery_from or ALWAYS, float(recovery)),)
        classes = ["all", *[c for c in d["recovery"] if c != "all"]]
        d["recovery"] = {c: {m: sched for m in mats} for c in classes}
    d["extends"] = None
    return validate_scenario(d, where="dashboard scenario controls")


def boundaries(wh: Warehouse, region: str = "nh-fl") -> Result:
    """Area outlines (``area_code, area_type, name, ..., geometry_wkt``, WGS84) from the warehouse's
    ``boundaries`` table when it has the region's; else the municipality centroids as points."""
    from critmat.regions import load_region

    if wh.has("boundaries"):
        b = wh.sql("SELECT * FROM boundaries WHERE region_id = ?", [region])
        if len(b):
            return Result(b, title=f"Boundaries of {region}", sources=_srcs(b),
                          params={"region": region, "kind": "polygon"})
    mun = load_region(region).table("municipalities")
    pts = pd.DataFrame({"area_code": mun["municipality_code"], "area_type": "municipality",
                        "name": mun["municipality_name"], "province_code": mun["province_code"],
                        "geometry_wkt": [f"POINT ({lo} {la})" if pd.notna(la) and pd.notna(lo) else None
                                         for la, lo in zip(mun["lat"], mun["lon"])]})
    return Result(pts, title=f"Municipality centroids of {region}",
                  caption="no boundary polygons in this region pack: municipality centroids only",
                  params={"region": region, "kind": "centroid"})


def policy(wh: Warehouse, region: str = "nh-fl") -> Result:
    """The region's policy items (SWOT, opportunities, recommendations) from the report's policy service."""
    from critmat.report import policy_service as P
    from critmat.report.data import Inputs

    r = P.policy(Inputs(wh, region))
    return Result(r.frame, title=r.title, caption=r.caption, units=r.units, sources=r.sources,
                  params={"region": region})


def policy_indicators(wh: Warehouse, region: str = "nh-fl") -> Result:
    """The values of the indicators that track the policy items (report's policy service)."""
    from critmat.report import policy_service as P
    from critmat.report.data import Inputs

    r = P.indicators(Inputs(wh, region))
    return Result(r.frame, title=r.title or f"Policy indicators of {region}", caption=r.caption, units=r.units,
                  sources=r.sources, params={"region": region})
