"""Flows: end-of-life flows of a region under a scenario (outflow, reuse, recovery, losses vs own demand).

The default run of each bundled scenario (deterministic, the scenario's years) is read from the warehouse
(computed at build, region/province/unallocated level); other parameters, and the municipality level, run
:func:`critmat.flows.run_flows` on the warehouse's inputs, kept for the life of the build.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from critmat.services.base import Result, Section, records
from critmat.services.context import answer

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource
    import pandas as pd

    from critmat.flowsresult import FlowsResult

LEVELS = ("region", "province", "municipality", "all")
BY = ("material", "year", "asset_class")
TABLE_VARIABLES = ["outflow", "reused", "recovered", "lost", "demand", "eol_rir"]
# the per-material table in flow order: what leaves, is reused, recovered, lost; own demand; the ratio
SUMMARY_COLUMNS = ["material", "outflow_t", "reused_t", "secondary_supply_t", "lost_t", "demand_t", "eol_rir",
                   "meets_benchmark"]


def _stored(wh: TableSource, region: str, scenario: str) -> FlowsResult | None:
    import numpy as np

    from critmat.flowsresult import FlowsResult
    from critmat.warehouse import access, results

    row = results.stored(wh, "flows", region, scenario, results.flows_params())
    if row is None:
        return None
    m = row["meta"]
    frames = {k: results.read(wh, f"result_flows_{k}", region, scenario).drop(columns=["region", "scenario"])
              for k in results.FLOW_FRAMES}
    return FlowsResult(region=region, scenario=access.scenario_label(wh, scenario),
                       years=np.arange(m["years"][0], m["years"][1] + 1),
                       flows=results.read(wh, "result_flows", region, scenario), benchmark=m["benchmark"],
                       n_draws=m["n_draws"], notes=list(m["notes"]), sampled=tuple(m["sampled"]),
                       not_sampled=tuple(m["not_sampled"]), **frames)


def materials_of(wh: TableSource, material: str | None) -> list[str] | None:
    """The element ids a ``--material`` option names (a group gives its members)."""
    from critmat.knowledge import groups, material_index

    if material is None:
        return None
    g = groups(wh)
    mid = material if material in g else material_index(wh).resolve(material)
    return g.get(mid, [mid])


def variant(wh: TableSource, scenario: str, lifetime_shift: float | None = None, recovery: float | None = None,
            recovery_from: int | None = None) -> Any:
    """The bundled ``scenario`` with what-if controls (a validated :class:`~critmat.specs.scenarios.Scenario`,
    named ``<scenario>-variant``): every asset class's lifetime shifted by ``lifetime_shift`` years, and the
    recovery rate of every material set to ``recovery`` (0..1) from ``recovery_from`` (default: always) for
    every asset class. Both None: the scenario itself."""
    from typing import get_args

    from critmat.specs.scenarios import ALWAYS, AssetClass, validate_scenario
    from critmat.warehouse import access

    sc = access.scenario(wh, scenario)
    if lifetime_shift is None and recovery is None:
        return sc
    d = sc.model_dump(mode="python")
    d["name"] = f"{sc.name}-variant"
    parts = ([f"lifetimes {lifetime_shift:+g} years"] if lifetime_shift is not None else []) + (
        [f"recovery {recovery:.0%}" + (f" from {recovery_from}" if recovery_from else "")] if recovery is not None
        else [])
    d["title"] = f"{sc.title or sc.name} ({', '.join(parts)})"
    if lifetime_shift is not None:
        d["lifetime_shift_years"] = {c: float(lifetime_shift) for c in get_args(AssetClass)}
    if recovery is not None:
        mats = sorted(set(wh.table("recovery_rates")["material_id"].dropna()))
        sched = ((recovery_from or ALWAYS, float(recovery)),)
        classes = ["all", *[c for c in d["recovery"] if c != "all"]]
        d["recovery"] = {c: {m: sched for m in mats} for c in classes}
    d["extends"] = None
    return validate_scenario(d, where="scenario controls (lifetime_shift, recovery)")


def run(wh: TableSource, region: str = "nh-fl", scenario: str = "baseline", *, start: int | None = None,
        end: int | None = None, materials: Sequence[str] | None = None, draws: int = 0, seed: int = 0,
        level: str = "region", progress: Callable[[int, int], None] | None = None,
        lifetime_shift: float | None = None, recovery: float | None = None) -> FlowsResult:
    """The flows model's result (do not mutate: it is shared for the life of the build); ``lifetime_shift``,
    ``recovery``: run a :func:`variant` of the scenario."""
    from critmat.services.context import memo

    region, scenario = str(region), str(scenario)
    controls = lifetime_shift is not None or recovery is not None
    default = start is None and end is None and materials is None and not draws and seed == 0 and not controls
    from critmat.warehouse.access import is_folder

    if default and level in ("region", "province") and not scenario.endswith((".yaml", ".yml")) and not is_folder(region):
        hit = memo(wh, ("flows_stored", region, scenario), lambda: _stored(wh, region, scenario))
        if hit is not None:
            return hit
    from critmat.flows import run_flows

    def compute() -> FlowsResult:
        spec = variant(wh, scenario, lifetime_shift, recovery) if controls else scenario
        return run_flows(region, spec, wh=wh, start=start, end=end, materials=materials, n_draws=draws or None,
                         seed=seed, progress=progress)

    if scenario.endswith((".yaml", ".yml")) or is_folder(region):  # a user's file may change: never kept
        return compute()
    key = ("flows", region, scenario, start, end, tuple(materials) if materials is not None else None, draws, seed,
           lifetime_shift, recovery)
    return memo(wh, key, compute)


def folded_notes(notes: list[str], show: int = 3) -> list[str]:
    """Notes for a caption: the per-asset "'X' has no commissioning year ..." notes folded into one line
    (the document keeps every note)."""
    import re

    pattern = re.compile(r"^'(?P<id>[^']+)' (?P<what>has no commissioning year: .*)$")
    hits = [(m["id"], m["what"]) for m in map(pattern.match, notes) if m]
    if len(hits) <= show:
        return list(notes)
    rest = [n for n in notes if not pattern.match(n)]
    ids = [i for i, _ in hits]
    what = hits[0][1].replace("has no", "have no", 1).replace("a stationary population", "stationary populations")
    return rest + [f"{len(ids)} assets ({', '.join(ids[:show])} ...) {what}"]


def level_rows(res: FlowsResult, level: str) -> pd.DataFrame:
    """The long rows at ``level`` (region | province | municipality | all)."""
    flows = res.flows
    if level != "all":
        keep = ["region"] if level == "region" else [level] + (["unallocated"] if level == "municipality" else [])
        flows = flows[flows["area_type"].isin(keep)]
    return flows


def table(res: FlowsResult, by: str) -> pd.DataFrame:
    """Table rows; with Monte Carlo draws the central values are the medians of the draws (p50) beside
    their 5-95 % band, and the deterministic run is the separate ``*_det`` column."""
    f = res.flows
    reg = f[f["area_type"] == "region"]
    draws = bool(res.n_draws)
    if by == "material":
        summary = res.summary.copy()
        if draws:
            det = {c: f"{c.removesuffix('_t')}_det{'_t' if c.endswith('_t') else ''}" for c in
                   ("secondary_supply_t", "eol_rir")}
            summary = summary.rename(columns=det)
            for v in ("outflow", "reused", "secondary_supply", "lost", "demand"):
                summary[f"{v}_t"] = summary[f"{v}_p50_t"]
            summary["eol_rir"] = summary["eol_rir_p50"]
            if "meets_benchmark" in summary:
                summary["meets_benchmark"] = summary["meets_benchmark_share"]
        summary = summary.sort_values("demand_t", ascending=False).reset_index(drop=True)
        cols = [c for c in SUMMARY_COLUMNS if c in summary]
        if not draws and "secondary_to_demand" in summary and not summary["secondary_to_demand"].equals(
                summary["eol_rir"]):
            cols.insert(cols.index("eol_rir") + 1, "secondary_to_demand")  # differs once eol_rir is capped at 1
        if draws:
            cols[cols.index("secondary_supply_t") + 1:cols.index("secondary_supply_t") + 1] = [
                "secondary_supply_p05_t", "secondary_supply_p95_t"]
            cols[cols.index("eol_rir") + 1:cols.index("eol_rir") + 1] = ["eol_rir_p05", "eol_rir_p95"]
            cols += ["secondary_supply_det_t", "eol_rir_det"]
        return summary[cols]
    if by == "asset_class":
        sel = reg[(reg["asset_class"] != "all")]
        names = TABLE_VARIABLES[:-1]
        if draws:
            sel = sel[sel["variable"].isin([f"{v}_p50" for v in names])]
            sel = sel.assign(variable=sel["variable"].str.removesuffix("_p50"))
        else:
            sel = sel[sel["variable"].isin(names)]
        t = sel.pivot_table(index=["asset_class", "material"], columns="variable", values="value", aggfunc="sum")
        return t.reindex(columns=names).add_suffix("_t").reset_index().sort_values(
            ["asset_class", "outflow_t"], ascending=[True, False]).reset_index(drop=True)
    if draws:
        cols = [f"{v}_p50" for v in TABLE_VARIABLES] + [f"{v}_{q}" for v in ("recovered", "eol_rir")
                                                        for q in ("p05", "p95")] + ["recovered", "eol_rir"]
        sel = reg[(reg["asset_class"] == "all") & reg["variable"].isin(cols)]
        t = sel.pivot_table(index=["material", "year"], columns="variable", values="value", aggfunc="first")
        t = t.reindex(columns=[c for c in cols if c in set(sel["variable"])])
        t = t.rename(columns={"recovered": "recovered_det", "eol_rir": "eol_rir_det",
                              **{f"{v}_p50": v for v in TABLE_VARIABLES}})
        return t.reset_index()
    sel = reg[(reg["asset_class"] == "all") & reg["variable"].isin(TABLE_VARIABLES)]
    t = sel.pivot_table(index=["material", "year"], columns="variable", values="value", aggfunc="first")
    return t.reindex(columns=[c for c in TABLE_VARIABLES if c in set(sel["variable"])]).reset_index()



@answer
def flows(wh: TableSource, region: str = "nh-fl", scenario: str = "baseline", material: str | None = None,
          start: int | None = None, end: int | None = None, draws: int = 0, seed: int = 0, level: str = "region",
          by: str = "material", progress: Callable[[int, int], None] | None = None,
          lifetime_shift: float | None = None, recovery: float | None = None) -> Result:
    """End-of-life flows: ``frame`` = the long rows at ``level``, ``sections`` = the table ``by`` material
    (window totals) | year | asset_class, ``doc`` = region, scenario, years, benchmark, draws, notes, summary
    and flows (what ``critmat flows --format json`` prints). ``lifetime_shift``, ``recovery``: a
    :func:`variant` of the scenario (the dashboard's controls)."""
    from critmat.errors import UnknownIdError
    from critmat.services.base import Section

    for value, choices, opt in ((level, LEVELS, "level"), (by, BY, "by")):
        if value not in choices:
            raise UnknownIdError(f"{opt} '{value}' is not one of {', '.join(choices)}")
    res = run(wh, region, scenario, start=start, end=end, materials=materials_of(wh, material), draws=draws,
              seed=seed, level=level, progress=progress, lifetime_shift=lifetime_shift, recovery=recovery)
    rows = level_rows(res, level)
    doc = lambda: {"region": res.region, "scenario": res.scenario.name, "years": [int(res.years[0]), int(res.years[-1])],
           "benchmark": res.benchmark, "draws": res.n_draws, "notes": res.notes,
           "central": ("median of the draws (variables *_p50); variables without a suffix are the deterministic "
                       "run") if res.n_draws else "deterministic run", "sampled": list(res.sampled),
           "not_sampled": list(res.not_sampled), "summary": records(res.summary), "flows": records(rows)}
    y0, y1 = int(res.years[0]), int(res.years[-1])
    bench = f"CRMA recycling benchmark {res.benchmark:.0%}" if res.benchmark is not None else "no benchmark"
    caption = (f"tonnes {'summed over' if by != 'year' else 'per year,'} {y0}-{y1}; eol_rir = secondary "
               f"supply / own demand (replacement + new assets), capped at 1; {bench}"
               + ("; meets_benchmark: eol_rir >= benchmark" if by == "material" else "")
               + (f"; Monte Carlo, {res.n_draws} draws, seed {seed}: central values are medians of the draws, "
                  "p05/p95 their 5-95 % band, *_det the deterministic run (mean lifetimes, central "
                  "intensities and recovery rates); sampled: lifetimes of wind farms, intensities, recovery "
                  "rates; meets_benchmark: share of draws reaching it" if res.n_draws else ""))
    if res.notes:
        caption += "; notes: " + "; ".join(folded_notes(res.notes))
    if lifetime_shift is not None or recovery is not None:
        caption = f"{res.scenario.title}; " + caption
    title = f"End-of-life flows of {res.region}, scenario {res.scenario.name}"
    return Result(rows, title=title, caption=caption, units={"value": "t (eol_rir, secondary_to_demand: 1)"},
                  sources=sorted(set(res.fleets["source_id"].dropna())) if "source_id" in res.fleets else [],
                  params={"region": res.region, "scenario": res.scenario.name, "years": [y0, y1], "draws": draws,
                          "seed": seed, "level": level, "by": by, "material": material,
                          **({"lifetime_shift": lifetime_shift, "recovery": recovery}
                             if lifetime_shift is not None or recovery is not None else {})},
                  doc=doc, sections=[Section("table", table(res, by), title, caption)])


@answer
def scenarios(wh: TableSource) -> Result:
    """The bundled flow scenarios (stored by the build): name, title, extends, description."""
    import pandas as pd

    from critmat.warehouse import access

    rows = []
    for name in access.spec_names(wh, "scenario"):
        s = access.scenario(wh, name)
        rows.append({"name": name, "title": s.title, "extends": s.extends or "",
                     "description": " ".join(s.description.split())})
    df = pd.DataFrame(rows, columns=["name", "title", "extends", "description"])
    caption = "the bundled scenarios of the end-of-life flows model; extends: the scenario each one changes"
    hint = "critmat scenario show NAME; critmat flows --scenario NAME"
    return Result(df, title="Flow scenarios", caption=caption, hint=hint,
                  sections=[Section("scenarios", df.drop(columns="description"), "Flow scenarios", caption,
                                    hint=hint)])
