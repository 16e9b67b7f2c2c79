"""CLI commands ``critmat flows`` (end-of-life flows and circularity indicators) and ``critmat scenario``
(list, show, validate flow scenarios). A thin shell over :mod:`critmat.flows` and :mod:`critmat.specs.scenarios`."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

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
from critmat.cli.output import Format, show, to_json

PROGRESS_MIN_DRAWS = 2000  # show a progress bar for Monte Carlo runs at least this large (on a terminal)
LEVELS = ("region", "province", "municipality", "all")  # = critmat.services.flows.LEVELS (kept light here)
BY = ("material", "year", "asset_class")


class FlowFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    iamc = "iamc"


def _choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(choices)}", param_hint=option)
    return value


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
        from critmat.services import flows as service

        wh = warehouse(db)
        console = Console(stderr=True)
        kwargs = dict(material=material, start=start, end=end, draws=draws, seed=seed, level=level, by=by)
        if draws >= PROGRESS_MIN_DRAWS and console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("Monte Carlo"), BarColumn(), TextColumn("{task.completed}/{task.total} asset "
                          "classes"), TimeElapsedColumn(), console=console, transient=True) as bar:
                task = bar.add_task("mc", total=None)
                res = service.flows(wh, region, scenario, progress=lambda done, total: bar.update(
                    task, completed=done, total=total), **kwargs)
        else:
            with busy(f"running the flows model ({scenario}" + (f", {draws} draws)" if draws else ")")):
                res = service.flows(wh, region, scenario, **kwargs)
        if fmt is FlowFormat.iamc:
            from critmat.flows import to_iamc

            names = dict(zip(wh.table("materials")["material_id"], wh.table("materials")["name"]))
            to_iamc(res.frame, names).to_csv(sys.stdout, index=False)
            return
        show(res, Format(fmt.value))

    @scenario_app.command("list")
    def scenario_list(fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
                      db: DbOption = None) -> None:
        """The bundled scenarios (their descriptions: --format json or `critmat scenario show NAME`)."""
        from critmat.services.flows import scenarios

        show(scenarios(warehouse(db)), fmt)

    @scenario_app.command("show")
    def scenario_show(name: str = typer.Argument(..., help="Scenario name or YAML file."),
                      fmt: str = typer.Option("yaml", "--format", "-f", help="yaml | json"),
                      db: DbOption = None) -> None:
        """A scenario with `extends` resolved, as YAML (or JSON)."""
        from critmat.flows import scenario_spec

        sc = scenario_spec(name, warehouse(db))
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
        from critmat.services.regions import region
        from critmat.specs.scenarios import load_scenario

        sc = load_scenario(path)
        wh = warehouse(db)
        check_scenario_ids(sc, wh)
        if sc.region:
            region(wh, sc.region)  # a region of the warehouse (UnknownIdError names the known ones)
        err.print(f"[green]ok[/]: {path} is a valid scenario '{sc.name}'"
                  + (f" (extends {sc.extends})" if sc.extends else ""), highlight=False)

    app.add_typer(scenario_app, name="scenario", rich_help_panel=PANEL_FLOWS)
