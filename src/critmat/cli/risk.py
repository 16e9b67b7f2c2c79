"""CLI commands ``critmat risk`` (supply-risk indicators and regional exposure) and ``critmat disrupt``
(the disruption simulator). Thin shell over :mod:`critmat.risk_report`; numbers come from the models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.panel import Panel

from critmat.cli.common import PANEL_MATERIALS, DbOption, FormatOption, busy, warehouse
from critmat.cli.output import Format, show, stdout_console

def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date YYYY-MM-DD", param_hint=option) from None


def _show(res, fmt: Format) -> None:
    """Render an exposure Result; the shock panel in a box."""
    from critmat.services.exposure import RISK_GROUP_NOTE

    if fmt is not Format.table:
        show(res, fmt)
        return
    con = stdout_console()
    for sec in res.sections:
        if sec.name == "panel":
            con.print(Panel(sec.text, expand=False))
        else:
            show(type(res)(res.frame, sections=[sec]), fmt, note=RISK_GROUP_NOTE)


def register(app: typer.Typer) -> None:
    """Add ``risk`` and ``disrupt`` to the root app."""

    @app.command("risk", rich_help_panel=PANEL_MATERIALS)
    def risk_cmd(
        material: Annotated[str | None, typer.Option("--material", "-m", help="Only this material (id, name "
                                                     "or symbol).")] = None,
        stage: Annotated[str | None, typer.Option("--stage", help="Show HHI and China share of one stage: "
                                                  "extraction or processing.")] = None,
        region: Annotated[str | None, typer.Option("--region", "-r", help="Region pack id (e.g. nh-fl): rank "
                                                   "its exposure (stock, need, score) and add its asset classes, "
                                                   "goods categories, companies and projects under controls. "
                                                   "Default: none, the materials only.")] = None,
        top: Annotated[int | None, typer.Option("--top", min=1, help="Only the first N materials "
                                                "(and companies).")] = None,
        on: Annotated[str | None, typer.Option("--on", help="Date for export controls in force and the start "
                                               "of the need horizon, YYYY-MM-DD (default today).")] = None,
        sort: Annotated[str, typer.Option("--sort", help="With --region, order the materials by: score "
                                          "(need × SR, the exposure rank), sr, need or stock. The tonnage-"
                                          "weighted score puts bulk metals first; --sort sr shows the most "
                                          "supply-critical of what the region holds.")] = "score",
        all_materials: Annotated[bool, typer.Option("--all", help="With --region, rank every material (default: "
                                                    "the EU CRM list 2023 and members of its groups).")] = False,
        db: DbOption = None,
        fmt: FormatOption = Format.table,
    ) -> None:
        """Supply risk of every material; with --region, the region's exposure ranking.

        Per material: EC 2023 supply risk (SR) and economic importance (EI), HHI and China's share of global
        supply per stage (0..1), the CRMA 65 % single-country flag and the export controls in force. With
        --region: tonnes held (stock_t), need in t/yr (replacement + pipeline) and exposure_score = need × SR,
        ranked, with asset classes, goods categories, companies and projects under controls.

        JSON: an object (on, materials; with --region also the other sections); CSV: the materials rows.
        Rows of material groups (REE, PGM) are flagged (is_group; * in tables).
        """
        from critmat.errors import UnknownIdError
        from critmat.services import exposure as service

        if sort not in service.SORT_COLUMNS:  # checked without --region too: a typo is never ignored
            raise UnknownIdError(f"--sort '{sort}': expected one of {', '.join(service.SORT_COLUMNS)}")
        day = _date(on, "--on")
        wh = warehouse(db)
        if region is None:
            with busy("computing supply-risk indicators"):
                res = service.supply_risk(wh, material, stage, top, day)
        else:
            with busy(f"computing the exposure of {region}"):
                res = service.exposure(wh, region, material, stage, top, day, sort, all_materials)
        _show(res, fmt)

    @app.command("disrupt", rich_help_panel=PANEL_MATERIALS)
    def disrupt_cmd(
        shock: Annotated[str | None, typer.Argument(
            help="A shock YAML file or a bundled shock name (ree-april-2025, ga-ge-2023, "
                 "china-ree-processing-ban-12m). Options override its keys.")] = None,
        material: Annotated[list[str] | None, typer.Option("--material", "-m", help="Material id, name or "
                                                           "group (repeat for several).")] = None,
        country: Annotated[str | None, typer.Option("--country", "-c", help="Supplier country, ISO3 (CHN).")] = None,
        stage: Annotated[str | None, typer.Option("--stage", help="extraction or processing "
                                                  "(default processing).")] = None,
        share: Annotated[float | None, typer.Option("--share", help="Share of the country's supply withheld, "
                                                    "0..1 (default 1).")] = None,
        months: Annotated[float | None, typer.Option("--months", help="Duration in months, 0..600 "
                                                     "(default 12).")] = None,
        start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (default today).")] = None,
        destination: Annotated[list[str] | None, typer.Option("--destination", "-d", help="Only towards these "
                                                              "destinations (ISO3 or EU; repeat).")] = None,
        spare: Annotated[float | None, typer.Option("--spare", help="Other suppliers' extra output, fraction of "
                                                    "their output (default 0.10, an assumption).")] = None,
        leakage: Annotated[float | None, typer.Option("--eu-leakage", help="Share of a non-EU-aimed loss that "
                                                      "reaches EU sourcing (default 0).")] = None,
        region: Annotated[str | None, typer.Option("--region", "-r", help="Region pack id whose need, companies "
                                                   "and projects are hit (default: none, supply only).")] = None,
        lead_years: Annotated[int, typer.Option("--lead-years", min=0, max=100, help="Projects commissioning up to N "
                                                "years after the shock are exposed.")] = 1,
        list_bundled: Annotated[bool, typer.Option("--list", help="List the bundled shocks and exit.")] = False,
        db: DbOption = None,
        fmt: FormatOption = Format.table,
    ) -> None:
        """Simulate a supply shock: a country withholding a material, and who in the region is hit.

        Shows the world and EU-sourcing supply lost (shares 0..1), and with --region the affected need per
        year and asset class (t), exposed companies and projects, and mitigations (alternative suppliers,
        secondary supply, substitution). Give a bundled shock (--list) or a YAML file, or build one from
        --material and --country.

        JSON: an object with sections; CSV: one row per material.
        """
        from critmat.services import exposure as service

        wh = warehouse(db)
        if list_bundled:
            show(service.bundled_shocks(wh), fmt)
            return
        spec = service.shock_spec(wh, shock, materials=material, country=country, stage=stage, share=share,
                                  months=months, start=start, destinations=destination, spare_capacity=spare,
                                  eu_leakage=leakage)
        with busy("simulating the shock" + (f" on {region}" if region else "")):
            res = service.disrupt(wh, spec, region, lead_years=lead_years)
        _show(res, fmt)

    register_components(app)


def register_components(app: typer.Typer) -> None:
    """Add ``disrupt-component`` (a component shock in the region's terms) to the root app."""

    @app.command("disrupt-component", rich_help_panel=PANEL_MATERIALS)
    def disrupt_component_cmd(
        component: Annotated[str | None, typer.Argument(help="Component id (ndfeb_magnet, li_ion_cell, pv_module, "
                                                        "wind_nacelle ...; --list).")] = None,
        country: Annotated[str, typer.Option("--country", "-c", help="Supplier country, ISO3.")] = "CHN",
        share: Annotated[float, typer.Option("--share", min=0.0, max=1.0, help="Share of the country's "
                                             "production withheld, 0..1.")] = 1.0,
        months: Annotated[float, typer.Option("--months", min=0.01, help="Duration in months.")] = 12.0,
        start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (default today).")] = None,
        region: Annotated[str, typer.Option("--region", "-r", help="Region pack id.")] = "nh-fl",
        scenario: Annotated[str, typer.Option("--scenario", "-s", help="Flow scenario for the need and the "
                                              "target fleets.")] = "baseline",
        list_components: Annotated[bool, typer.Option("--list", help="List the components and exit.")] = False,
        db: DbOption = None,
        fmt: FormatOption = Format.table,
    ) -> None:
        """A country withholds a component (magnets, battery cells, PV modules ...): what the region loses.

        In the region's terms: planned projects commissioning in the window (MW delayed), new cars and other
        fleet units in the window (units delayed), tonnes of the component's materials (and of magnet) withheld,
        and the companies that depend on those materials. Pro rata: the withheld share of world supply
        (share x the country's share of production) delays the same share of what the region builds.
        """
        from critmat.services import exposure as service

        wh = warehouse(db)
        if list_components or component is None:
            show(service.components(wh), fmt)
            return
        with busy(f"simulating the {component} shock for {region}"):
            res = service.disrupt_component(wh, region, component, country, share, months,
                                            _date(start, "--start"), scenario)
        _show(res, fmt)

    @app.command("benchmarks", rich_help_panel=PANEL_MATERIALS)
    def benchmarks_cmd(
        region: Annotated[str, typer.Option("--region", "-r", help="Region pack id.")] = "nh-fl",
        scenario: Annotated[str, typer.Option("--scenario", "-s", help="Flow scenario for the EoL-RIR.")] = "baseline",
        crm_only: Annotated[bool, typer.Option("--crm/--all", help="CRMs only (default) or every material held.")] = True,
        db: DbOption = None,
        fmt: FormatOption = Format.table,
    ) -> None:
        """The four CRMA 2030 benchmarks per material: the indicators critmat can compute, or why not.

        10 % extraction, 40 % processing, 25 % recycling (EoL-RIR, CRMs only), at most 65 % from one third
        country."""
        from critmat.services import exposure as service

        wh = warehouse(db)
        with busy(f"computing the CRMA benchmarks for {region}"):
            res = service.benchmarks(wh, region, scenario, crm_only)
        show(res, fmt)
