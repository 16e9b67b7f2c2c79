"""``critmat materials list|show``: the EU CRM knowledge base, with sources."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from critmat.cli.common import PANEL_MATERIALS, DbOption, FormatOption, warehouse
from critmat.cli.output import Format, show, stdout_console

app = typer.Typer(help="The EU critical raw materials: lists, criticality, suppliers, controls.",
                  no_args_is_help=True)


@app.command("list")
def list_cmd(
    which: Annotated[str, typer.Option("--list", help="2023 (the 34 CRMs), srm (the 17 strategic raw "
                                       "materials, Reg. (EU) 2024/1252) or all.")] = "2023",
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Materials with their EU list memberships and 2023 supply risk (SR) and economic importance (EI).

    SR and EI are the EC 2023 criticality scores (dimensionless; critical when SR >= 1 and EI >= 2.8).
    lists: the years of the EU CRM lists the material was on (2024: strategic, Reg. (EU) 2024/1252).
    A material_kind of group (REE, PGM) is assessed as a whole; its elements are listed with --list all.
    --format csv/json also give name_nl, the Dutch name.
    """
    from critmat.services.materials import material_list

    if which not in ("2023", "srm", "all"):
        raise typer.BadParameter(f"'{which}' is not one of 2023, srm, all", param_hint="--list")
    res = material_list(warehouse(db), which)
    if fmt is Format.table:  # a terminal's width: the Dutch name is in --format csv/json (and the dashboard)
        drop = ["name_nl", *(["crm_2023"] if which == "2023" else [])]  # crm_2023: all yes on this list
        res.frame = res.frame.drop(columns=[c for c in drop if c in res.frame])
    show(res, fmt)


@app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="Material id, name or symbol, case-insensitive (gallium, Ga, "
                                        "'heavy rare earth elements').")],
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Profile of one material: lists, SR/EI since 2011, suppliers, HHI, China's share, CRMA, controls.

    Table: the profile in sections, with sources. JSON: the whole profile as one object. CSV: the supplier
    rows (material_id, stage, scope, country, share 0..1, source_id).
    """
    from critmat.services.materials import profile

    res = profile(warehouse(db), name)
    if fmt is Format.table:
        _print_profile(res.doc)
    else:
        show(res, fmt)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _print_profile(p: dict) -> None:
    con = stdout_console()
    lists = ", ".join(map(str, p["lists"])) or "never on an EU CRM list"
    head = (f"[bold]{p['name']}[/] ({p['id']}{', ' + p['symbol'] if p['symbol'] else ''}) · {p['kind']}\n"
            f"EU CRM lists: {lists}" + (" · [bold]strategic[/] (2024)" if p["strategic"] else ""))
    if p["members"]:
        head += f"\nMembers: {', '.join(p['members'])}"
    if p["note"]:
        head += f"\n[dim]{p['note']}[/]"
    con.print(Panel(head, expand=False))
    if p["criticality"]:
        t = Table(title="Criticality (EC assessments; 2011/2014 old method)")
        for c in ("year", "supply risk", "economic importance"):
            t.add_column(c, justify="right")
        for c in p["criticality"]:
            t.add_row(str(c["year"]), f"{c['sr']:.2f}" if c["sr"] is not None else "—",
                      f"{c['ei']:.2f}" if c["ei"] is not None else "—")
        con.print(t)
    if p["sr_inputs_2023"]:
        t = Table(title="EC 2023 supply-risk inputs per stage")
        for c in ("stage", "SR", "import reliance", "EoL-RIR", "SI(SR)", "SI(EI)", "supply used"):
            t.add_column(c, justify="left" if c in ("stage", "supply used") else "right")
        for i in p["sr_inputs_2023"]:
            t.add_row(i["stage"], "—" if i["sr"] is None else f"{i['sr']:.1f}", _pct(i["import_reliance"]),
                      _pct(i["eol_rir"]), "—" if i["si_sr"] is None else f"{i['si_sr']:.2f}",
                      "—" if i["si_ei"] is None else f"{i['si_ei']:.2f}", str(i["supply_basis"] or ""))
        con.print(t)
    t = Table(title="Concentration of global supply")
    for c in ("stage", "HHI (0–1)", "top supplier", "China", "CRMA ≤65 % single third country"):
        t.add_column(c)
    for st in ("extraction", "processing"):
        top = p["top_supplier"].get(st)
        crma = p["crma"].get(st)
        flag = "—" if crma is None else (f"[red]exceeds[/]: {crma['country']} {_pct(crma['share'])} ({crma['basis']})"
                                         if crma["exceeds"] else f"ok: max {crma['country']} {_pct(crma['share'])} ({crma['basis']})")
        t.add_row(st, "—" if p["hhi"][st] is None else f"{p['hhi'][st]:.3f}",
                  "—" if not top else f"{top['country']} {_pct(top['share'])}",
                  _pct(p["china_share"].get(st)), flag)
    con.print(t)
    sup = [s for s in p["supply"] if s["scope"] == "global"]
    if sup:
        t = Table(title="Main suppliers (share of global supply)")
        for c in ("stage", "country", "share"):
            t.add_column(c)
        for s in sup:
            t.add_row(s["stage"], f"{s['country_name']} ({s['country']})", _pct(s["share"]))
        con.print(t)
    con.print(f"[dim]Supply coverage: {p['supply_coverage']}[/]")
    if p["export_controls"]:
        t = Table(title=f"Export controls and bans (status on {date.today()}; --format json for scope and products)")
        for c in ("measure", "by", "instrument", "effective", "status", "to", "via"):
            t.add_column(c, overflow="fold")
        for m in p["export_controls"]:
            title = str(m.get("title") or "")
            t.add_row(f"{m['measure_id']}\n[dim]{title[:70] + ('…' if len(title) > 70 else '')}[/]",
                      m.get("country_iso3", ""), str(m.get("instrument", "")), str(m.get("effective_date") or ""),
                      str(m.get("status_on") or ""), str(m.get("destinations") or ""), str(m.get("via") or ""))
        con.print(t)
    else:
        con.print("[dim]No export controls recorded for this material.[/]")
    con.print(f"[dim]Sources: {', '.join(p['sources'])} — `critmat sources --registry` for citations.[/]")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="materials", rich_help_panel=PANEL_MATERIALS)
