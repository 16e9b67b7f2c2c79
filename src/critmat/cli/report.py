"""CLI command ``critmat report``: the assessment report of a region (HTML, PDF, figures, data appendix)."""

from __future__ import annotations

from pathlib import Path

import typer

from critmat.cli.common import REGION_HELP, DbOption

PANEL_REPORT = "Report"


def register(app: typer.Typer) -> None:
    """Add ``report`` to the root app."""

    @app.command("report", rich_help_panel=PANEL_REPORT)
    def report_cmd(
        region: str = typer.Option("nh-fl", "--region", "-r", help=REGION_HELP),
        out: Path = typer.Option(Path("report"), "--out", "-o", help="Output folder (created if missing)."),
        scenario: str = typer.Option("baseline", "--scenario", "-s", help="Flow scenario (bundled name or YAML)."),
        lang: str = typer.Option("en", "--lang", help="Language of headings, captions and fixed text: en | nl."),
        pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also paginate report.pdf (WeasyPrint)."),
        on: str | None = typer.Option(None, "--on", help="Date for export controls in force, YYYY-MM-DD "
                                      "(default today)."),
        db: DbOption = None,
    ) -> None:
        """Write the assessment report of a region: report.html, report.pdf, figures/ and the data appendix.

        The report follows the HCSS (2025) assessment and goes further: the EU CRM list, criticality, supply
        concentration, export controls, goods categories, maps, tonnes per material, asset class and
        municipality with bands, end-of-life flows, need, secondary supply against the CRMA 25 %, exposure,
        disruption scenarios, stage coverage, matches, and the policy layer with its indicators. Every
        number comes from critmat's services and is footnoted to its sources. report.html is self-contained
        (opens offline); figures/ has every figure as SVG and PNG; report_data.xlsx and data/ (a Frictionless
        package) hold every number shown. Rerun into the same folder to see what changed since the last build.
        """
        import datetime as dt

        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from critmat.cli.common import warehouse
        from critmat.report.i18n import strings

        strings(lang)  # an unknown language fails before any work
        day = None
        if on is not None:
            try:
                day = dt.date.fromisoformat(on)
            except ValueError:
                raise typer.BadParameter(f"'{on}' is not a date YYYY-MM-DD", param_hint="--on") from None
        console = Console(stderr=True)
        with Progress(TextColumn("[bold]report[/] {task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("opening the warehouse", total=100)

            def progress(msg: str, frac: float) -> None:
                bar.update(task, description=msg, completed=round(100 * frac))

            from critmat.report import build_report

            wh = warehouse(db)
            res = build_report(region, out, scenario=scenario, lang=lang, wh=wh, pdf=pdf, on=day, progress=progress)
        pages = f", {res.pages} pages" if res.pages else ""
        console.print(f"[green]wrote[/] {res.html}" + (f", {res.pdf}{pages}" if res.pdf else "")
                      + f", {len(res.figures) // 2} figures (SVG + PNG) in {res.out / 'figures'}, data appendix "
                      f"{res.out / 'report_data.xlsx'} and {res.out / 'data'} ({res.timings['total']:.1f} s)",
                      highlight=False)
