"""CLI commands ``critmat flows`` (end-of-life flows and circularity indicators) and ``critmat scenario``
(list, show, validate flow scenarios). A thin shell over :mod:`critmat.flows` and :mod:`critmat.specs.scenarios`."""

from __future__ import annotations

import sys
import typing
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from critmat.cli.common import (
    FORMAT_HELP,
    MAX_DRAWS,
    MAX_SEED,
    MAX_YEAR,
    MIN_YEAR,
    PANEL_FLOWS,
    REGION_HELP,
    DbOption,
    busy,
    err,
    warehouse,
)
from critmat.cli.output import Format, emit, records, to_json

if typing.TYPE_CHECKING:
    import pandas as pd

PROGRESS_MIN_DRAWS = 2000  # show a progress bar for Monte Carlo runs at least this large (on a terminal)
LEVELS = ("region", "province", "municipality", "all")
BY = ("material", "year", "asset_class")
TABLE_VARIABLES = ["outflow", "reused", "recovered", "lost", "demand", "eol_rir"]
# the per-material table in flow order: what leaves, is reused, recovered, lost; own demand; the ratio
SUMMARY_COLUMNS = ["material", "outflow_t", "reused_t", "secondary_supply_t", "lost_t", "demand_t", "eol_rir",
                   "meets_benchmark"]


class FlowFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    iamc = "iamc"


def _choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(choices)}", param_hint=option)
    return value


def _run(region: str, scenario: str, material: str | None, start: int | None, end: int | None, draws: int,
         seed: int, db: Path | None):
    from critmat.flows import run_flows
    from critmat.knowledge import groups, material_index

    wh = warehouse(db)
    mats = None
    if material is not None:
        g = groups(wh)
        mid = material if material in g else material_index(wh).resolve(material)
        mats = g.get(mid, [mid])
    console = Console(stderr=True)
    kwargs = dict(wh=wh, start=start, end=end, materials=mats, n_draws=draws or None, seed=seed)
    if draws >= PROGRESS_MIN_DRAWS and console.is_terminal:
        with Progress(TextColumn("Monte Carlo"), BarColumn(), TextColumn("{task.completed}/{task.total} asset classes"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("mc", total=None)
            res = run_flows(region, scenario,
                            progress=lambda done, total: bar.update(task, completed=done, total=total), **kwargs)
    else:
        with busy(f"running the flows model ({scenario}" + (f", {draws} draws)" if draws else ")")):
            res = run_flows(region, scenario, **kwargs)
    names = dict(zip(wh.table("materials")["material_id"], wh.table("materials")["name"]))
    return res, names


def _table(res, by: str) -> pd.DataFrame:
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


def register(app: typer.Typer) -> None:
    """Add ``flows`` and ``scenario`` to the root app."""
    scenario_app = typer.Typer(help="Flow scenarios (recovery policies, lifetimes, pipeline): list, show, "
                                    "validate.", no_args_is_help=True)

    @app.command("flows", rich_help_panel=PANEL_FLOWS)
    def flows_cmd(
        region: str = typer.Option("nh-fl", "--region", "-r", help=REGION_HELP),
        scenario: str = typer.Option("baseline", "--scenario", "-s", help="Bundled scenario name or a YAML file."),
        material: str | None = typer.Option(None, "--material", "-m",
                                            help="Only this material (id, name, symbol) or group (e.g. "
                                                 "rare_earth_elements_heavy)."),
        start: int | None = typer.Option(None, "--from", min=MIN_YEAR, max=MAX_YEAR,
                                         help="First year (default: the scenario's, 2025)."),
        end: int | None = typer.Option(None, "--to", min=MIN_YEAR, max=MAX_YEAR,
                                       help="Last year (default: the scenario's, 2050)."),
        draws: int = typer.Option(0, "--draws", min=0, max=MAX_DRAWS, help="Monte Carlo draws (0: none): lifetimes "
                                  "of single assets, material intensities and recovery rates sampled together."),
        seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed; same seed, same bands."),
        level: str = typer.Option("region", "--level",
                                  help="Areas in csv/json/iamc: region | province | municipality | all."),
        by: str = typer.Option("material", "--by", help="Table rows: material (window totals) | year | "
                               "asset_class. The table only."),
        fmt: FlowFormat = typer.Option(FlowFormat.table, "--format", "-f",
                                       help=FORMAT_HELP.rstrip(".") + "; iamc for pyam."),
        db: DbOption = None,
    ) -> None:
        """End-of-life flows of a region: what leaves its assets, is reused, recovered or lost, vs its demand.

        Outflow, export for reuse, collection, secondary supply and losses in tonnes per material, asset class,
        area and year, against the region's own demand (replacement + pipeline), under a scenario.

        table: tonnes per material summed over the years (or --by year: t per year; --by asset_class), with
        eol_rir (secondary supply / own demand) beside the CRMA 25 % recycling benchmark. csv: the long format
        (region, area_type, area, scenario, asset_class, material, year, variable, unit, value). json: an
        object with region, scenario, years, benchmark, draws, notes, summary (per material) and flows (the
        long rows). iamc: model, scenario, region, variable ("Secondary Supply|Neodymium"), unit (t/yr),
        year, value — loads with pyam.
        """
        _choice(level, LEVELS, "--level")
        _choice(by, BY, "--by")
        res, names = _run(region, scenario, material, start, end, draws, seed, db)
        flows = res.flows
        if level != "all":
            keep = ["region"] if level == "region" else [level] + (["unallocated"] if level == "municipality" else [])
            flows = flows[flows["area_type"].isin(keep)]
        if fmt is FlowFormat.iamc:
            from critmat.flows import to_iamc

            to_iamc(flows, names).to_csv(sys.stdout, index=False)
            return
        if fmt is FlowFormat.json:
            sys.stdout.write(to_json({"region": res.region, "scenario": res.scenario.name,
                                      "years": [int(res.years[0]), int(res.years[-1])],
                                      "benchmark": res.benchmark, "draws": res.n_draws, "notes": res.notes,
                                      "central": ("median of the draws (variables *_p50); variables without "
                                                  "a suffix are the deterministic run") if res.n_draws else
                                      "deterministic run", "sampled": list(res.sampled),
                                      "not_sampled": list(res.not_sampled),
                                      "summary": records(res.summary), "flows": records(flows)}) + "\n")
            return
        if fmt is FlowFormat.csv:
            emit(flows, Format.csv)
            return
        table = _table(res, by)
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
            caption += "; notes: " + "; ".join(res.notes)
        emit(table, Format.table, title=f"End-of-life flows of {res.region}, scenario {res.scenario.name}",
             caption=caption)

    @scenario_app.command("list")
    def scenario_list(fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP)) -> None:
        """The bundled scenarios (their descriptions: --format json or `critmat scenario show NAME`)."""
        from critmat.specs.scenarios import list_scenarios

        table = list_scenarios()
        if fmt is Format.table:
            table = table.drop(columns="description")
        emit(table, fmt, title="Flow scenarios", caption="critmat scenario show NAME; critmat flows --scenario NAME")

    @scenario_app.command("show")
    def scenario_show(name: str = typer.Argument(..., help="Scenario name or YAML file."),
                      fmt: str = typer.Option("yaml", "--format", "-f", help="yaml | json")) -> None:
        """A scenario with `extends` resolved, as YAML (or JSON)."""
        from critmat.specs.scenarios import load_scenario

        sc = load_scenario(name)
        if _choice(fmt, ("yaml", "json"), "--format") == "json":
            sys.stdout.write(to_json(sc.to_dict()) + "\n")
        else:
            sys.stdout.write(sc.to_yaml())

    @scenario_app.command("validate")
    def scenario_validate(path: Path = typer.Argument(..., help="Scenario YAML file."),
                          db: DbOption = None) -> None:
        """Check a scenario file as `critmat flows` does: keys, shares, years, `extends`, materials, region.

        Unknown keys, shares outside 0..1, years out of order, a broken `extends`, and the materials and
        region it names (checked against the warehouse)."""
        from critmat.flows import check_scenario_ids
        from critmat.regions import region_path
        from critmat.specs.scenarios import load_scenario

        sc = load_scenario(path)
        check_scenario_ids(sc, warehouse(db))
        if sc.region:
            region_path(sc.region)
        err.print(f"[green]ok[/]: {path} is a valid scenario '{sc.name}'"
                  + (f" (extends {sc.extends})" if sc.extends else ""), highlight=False)

    app.add_typer(scenario_app, name="scenario", rich_help_panel=PANEL_FLOWS)
