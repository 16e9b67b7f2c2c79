"""``critmat report``: orchestrate the services' results into report.html, report.pdf, figures/ and the data
appendix. Key figures and what changed since the previous build in the same folder (read from its
``data/key_figures.csv``; the rule of what counts as a change is :func:`critmat.services.compare.changes`) are the
only things this module assembles; every value comes from a service."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from critmat.report import data as D
from critmat.report.i18n import fmt_num, fmt_share, strings
from critmat.report.model import Figure, Table, number
from critmat.report.sections import Composer
from critmat.services import compare

Progress = Callable[[str, float], None]   # (message, fraction done 0..1)
TERMS = ("lt_1y", "y1_3", "national_government", "provinces", "municipalities", "strength", "weakness",
         "opportunity", "threat", "active", "suspended", "lifted", "announced")  # coded values shown as words

NEWS = {
    "en": ["tonnes of each material per asset class and municipality, with a 90 % Monte Carlo band, and a map "
           "of them", "end-of-life flows 2025-2050 per material with bands over asset lifetimes",
           "the region's yearly need, split into replacement and growth",
           "secondary supply per material against the CRMA 25 % recycling benchmark",
           "an exposure ranking (need × supply risk) with the export controls in force on the report date",
           "the bundled disruption scenarios translated into tonnes of the region's need",
           "supply-chain stage coverage, its gaps and the nearest European facilities that fill them",
           "ranked recyclers and offtakers for each end-of-life stream",
           "indicators with current values and trends for each opportunity and recommendation",
           "a rebuild for any date, scenario or region, with every number in a data appendix"],
    "nl": ["tonnen per grondstof, installatiesoort en gemeente, met een Monte Carlo-band van 90 %, en een kaart",
           "afgedankte stromen 2025-2050 per grondstof met banden over de levensduren",
           "de jaarlijkse behoefte van de regio, verdeeld in vervanging en groei",
           "secundair aanbod per grondstof tegenover de CRMA-benchmark van 25 %",
           "een rangorde van blootstelling (behoefte × leveringsrisico) met de exportbeperkingen die op de "
           "rapportdatum gelden", "de meegeleverde verstoringsscenario's uitgedrukt in tonnen behoefte van de regio",
           "dekking van de ketenschakels, de gaten en de dichtstbijzijnde Europese installaties die ze vullen",
           "gerangschikte recyclers en afnemers per afvalstroom",
           "indicatoren met huidige waarde en verloop voor elke kans en aanbeveling",
           "opnieuw te maken voor elke datum, elk scenario of elke regio, met elk getal in een gegevensbijlage"],
}


@dataclass
class ReportResult:
    out: Path
    html: Path
    pdf: Path | None
    figures: list[Path] = field(default_factory=list)
    appendix: list[Path] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figure_list: list[Figure] = field(default_factory=list)
    composer: Composer | None = None
    timings: dict[str, float] = field(default_factory=dict)
    pages: int | None = None             # of report.pdf


def key_figures(c: Composer) -> pd.DataFrame:
    """The summary's key figures, each read from a service result (key, value, unit, label)."""
    t = c.t
    crm = c.get("materials").frame
    assets = c.get("assets").frame
    crm_ids = set(c._crm_ids())
    st = c.get("stock", by="material").frame
    ind = c.get("policy_indicators").frame.set_index("indicator_id")
    tm = c.get("trade_measures").frame
    comp = c.get("companies").frame
    ex = c.get("exposure_materials").frame
    top = ex.sort_values("rank").iloc[0] if len(ex) else None
    rows = [
        ("crm_2023", float(len(crm)), "count", t["k_materials"]),
        ("strategic", float(crm["strategic"].fillna(False).astype(bool).sum()), "count", t["k_strategic"]),
        ("assets", float(len(assets)), "count", t["k_assets"]),
        ("crm_stock_t", float(st.loc[st["material"].isin(crm_ids), "mass_t"].sum()), "t", t["k_stock"]),
        ("crm_eol_rir", ind.loc["crm_eol_rir_2025_2050", "value"] if "crm_eol_rir_2025_2050" in ind.index
         else None, "share", t["k_rir"]),
        ("controls_in_force", float(tm["measure_status"].isin(["active"]).sum()), "count", t["k_controls"]),
        ("companies", float(len(comp)), "count", t["k_companies"]),
        ("stage_gaps", ind.loc["stage_gaps", "value"] if "stage_gaps" in ind.index else None, "count",
         t["k_gaps"]),
    ]
    df = pd.DataFrame(rows, columns=["key", "value", "unit", "label"])
    if top is not None:
        df.loc[len(df)] = ["top_exposure", float(top["exposure_score"]), "score",
                           f"{t['k_top_exposure']}: {c.names.get(top['material_id'], top['material_id'])}"]
    return df


def _fmt(v, unit: str, lang: str) -> str:
    return fmt_share(v, lang) if unit == "share" else fmt_num(v, lang)


def _previous(out: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str | None]:
    kf, ind, when = out / "data" / "key_figures.csv", out / "data" / "indicators.csv", None
    meta = out / "data" / "datapackage.json"
    if meta.exists():
        try:
            when = json.loads(meta.read_text())["created"]
        except (ValueError, KeyError):
            when = None
    return (pd.read_csv(kf) if kf.exists() else None, pd.read_csv(ind) if ind.exists() else None, when)


def _moved(r: Any, lang: str) -> str:
    """``before → now`` of a row of :func:`critmat.services.compare.changes`."""
    return f"{_fmt(r.before, r.unit, lang)} → {_fmt(r.value, r.unit, lang)}"


def changes(ch: pd.DataFrame, lang: str, label: str = "label") -> list[str]:
    """Sentences for the figures that changed since the previous build (rows of
    :func:`critmat.services.compare.changes`)."""
    return [f"{getattr(r, label)}: {_moved(r, lang)}" for r in ch[ch["changed"]].itertuples()]


def build_report(region: str, out: Path, scenario: str = "baseline", lang: str = "en", *, wh=None,
                 pdf: bool = True, on: dt.date | None = None, progress: Progress | None = None) -> ReportResult:
    """Write the report of ``region`` into ``out``; ``progress(message, fraction)`` is told each step."""
    from critmat.report.parallel import Helper

    t0 = time.perf_counter()
    t = strings(lang)
    with fewer_collections(), Helper() as helper:  # the helper draws the figure files on the second core
        return _build(region, Path(out), scenario, lang, t, wh, pdf, on, progress, helper, t0)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector less often while a report is made: the objects that exist already
    (imports, the warehouse) are frozen out of its passes and the youngest generation is collected every
    :data:`~critmat.report.parallel.GC_GEN0` allocations instead of 700. WeasyPrint's pagination and matplotlib allocate millions of small
    objects; each full pass over the heap they trigger cost the PDF about 1 CPU s in 5.5 (measured), and
    the peak memory stays the same. Restored afterwards by the outermost of nested or concurrent reports; when
    the caller had frozen objects itself (``gc.freeze()``), nothing is unfrozen."""
    import gc

    from critmat.report.parallel import GC_GEN0

    with _GC_LOCK:
        _GC_DEPTH[0] += 1
        if _GC_DEPTH[0] == 1:  # the outermost report sets it; nested or concurrent ones leave it
            _GC_SAVED[:] = [gc.get_threshold(), gc.get_freeze_count()]
            gc.freeze()
            gc.set_threshold(GC_GEN0, _GC_SAVED[0][1], _GC_SAVED[0][2])
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_DEPTH[0] -= 1
            if _GC_DEPTH[0] == 0:
                old, frozen = _GC_SAVED
                gc.set_threshold(*old)
                if frozen == 0:  # a caller's own gc.freeze() stays as it was
                    gc.unfreeze()


_GC_LOCK = threading.Lock()
_GC_DEPTH = [0]
_GC_SAVED: list = []


def _build(region: str, out: Path, scenario: str, lang: str, t: dict[str, str], wh, pdf: bool,
           on: dt.date | None, progress: Progress | None, helper, t0: float) -> ReportResult:
    from critmat import __version__
    from critmat.report import appendix, render

    timings: dict[str, float] = {}
    say = progress or (lambda _m, _f: None)
    if wh is None:
        import critmat

        say("opening the warehouse", 0.02)
        wh = critmat.open()
    from critmat.flows import scenario_spec

    scenario_spec(scenario, wh)  # an unknown scenario fails here, before any work (the warehouse's, or a YAML file)
    from critmat.errors import UnknownIdError

    from critmat.warehouse import access

    known = set(access.region_ids(wh))
    if region not in known:
        raise UnknownIdError(f"unknown region '{region}' (known: {', '.join(sorted(known))}; "
                             "`critmat region build` makes one)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    prev_kf, prev_ind, prev_when = _previous(out)
    inp = D.Inputs(wh, region, scenario, on or dt.date.today())
    steps = ["materials", "region", "flows", "exposure", "capabilities", "policy"]
    done = {"n": 0}

    def step(msg: str) -> None:
        say(msg, 0.05 + 0.6 * done["n"] / len(steps))
        done["n"] += 1

    c = Composer(inp, t, lang, step, helper=helper)
    sections = c.compose()
    timings["compose"] = time.perf_counter() - t0
    tables, figures = number(sections)
    say("key figures", 0.67)
    kf = key_figures(c)
    ind = c.get("policy_indicators").frame
    region_name = _region_name(wh, region)
    kf_ch = compare.changes(kf, prev_kf)
    keys = [{"value": _fmt(r.value, r.unit, lang), "label": r.label,
             "delta": _moved(r, lang) if r.changed else ""}
            for r in kf_ch.itertuples()]
    ind_ch = compare.changes(ind, prev_ind, key="indicator_id")
    chg = changes(kf_ch, lang) + changes(ind_ch, lang, label="title_nl" if lang == "nl" else "title")
    change_note = t["changed_none"] if prev_kf is None else t["changed_same"].format(date=prev_when or "?")
    build_id = _build_id(wh)
    generated = t["generated"].format(date=inp.on.isoformat(), version=__version__, build=build_id,
                                      scenario=scenario)
    src = wh.table("sources")
    cited = sorted({s for b in [*tables, *figures] for s in b.sources} | {"hcss_2025"})
    src = src[src["source_id"].isin(cited)].sort_values("source_id")
    known_ids = set(src["source_id"])
    say("figure files (SVG)", 0.7)
    c.request_svgs()  # the helper draws them after the PNGs it may still be drawing
    policy_ctx = _policy_context(c, lang, ind_ch)
    params = {"region": f"{region} ({region_name})", "scenario": scenario, "date (controls in force)":
              inp.on.isoformat(), "stock Monte Carlo": f"{inp.draws} draws, seed {inp.seed}",
              "flows Monte Carlo": f"{inp.flow_draws} lifetime draws, seed {inp.seed}",
              "need basis": c.get("exposure_materials").params.get("need_basis", ""),
              "warehouse build": build_id, "critmat": __version__}
    context = dict(lang=lang, t=t, version=__version__, title=t["title"].format(region=region_name),
                   generated=generated, intro=t["summary_intro"].format(region=region_name), keys=keys,
                   changes=chg, change_note=change_note, news=NEWS[lang], sections=sections, tables=tables,
                   figures=figures, params=params, source_list=src.to_dict("records"),
                   cite=lambda ids: ", ".join(i for i in dict.fromkeys(ids) if i in known_ids) or "critmat",
                   policy=policy_ctx["policy"], policy_ind=True, names={**c.names, **c.classes, **{k: t[k] for k in TERMS}})
    meta = {"region": region, "title": context["title"], "created": dt.datetime.now(dt.timezone.utc).isoformat(
        timespec="seconds"), "scenario": scenario, "lang": lang, "on": inp.on.isoformat(), "build": build_id,
        "sources": [f"{r['source_id']}: {r['citation']}" for r in context["source_list"]]}
    # the data appendix: written by the helper process (after the SVGs) while this one paginates the PDF
    appendix_done = helper.appendix(out, appendix.frames(tables, figures), meta)
    pdf_path, pages, pdf_error = None, None, None
    if pdf:
        say("paginating the PDF", 0.74)
        try:  # each figure's PNG is taken when WeasyPrint reaches it (waiting for the helper if it still draws)
            pages = render.pdf(render.html(context, raster=True), out / "report.pdf", images=c.png)
            pdf_path = out / "report.pdf"
        except Exception as exc:  # noqa: BLE001 - raised below, once the HTML, figures and appendix are written
            pdf_error = exc
    timings["pdf"] = time.perf_counter() - t0
    say("rendering HTML", 0.92)
    c.resolve()
    fdir = out / "figures"
    fdir.mkdir(exist_ok=True)
    fig_paths = []
    for f in figures:
        stem = f.key if f.spark else f"fig{f.number:02d}_{f.key}"
        (fdir / f"{stem}.svg").write_text(f.svg, encoding="utf-8")
        (fdir / f"{stem}.png").write_bytes(f.png)
        fig_paths += [fdir / f"{stem}.svg", fdir / f"{stem}.png"]
    html_text = render.html(context)
    html_path = out / "report.html"
    html_path.write_text(html_text, encoding="utf-8")
    timings["html"] = time.perf_counter() - t0
    say("writing the data appendix", 0.96)
    paths = appendix_done()
    kf.to_csv(out / "data" / "key_figures.csv", index=False)
    ind.to_csv(out / "data" / "indicators.csv", index=False)
    if pdf_error is not None:
        raise pdf_error
    timings["total"] = time.perf_counter() - t0
    say("done", 1.0)
    return ReportResult(out, html_path, pdf_path, fig_paths, paths, tables, figures, c, timings, pages)


def _region_name(wh, region: str) -> str:
    from critmat.services.regions import regions

    r = regions(wh).frame
    row = r[r["region_id"] == region]
    return str(row["name"].iloc[0]) if len(row) else region


def _build_id(wh) -> str:
    try:
        m = wh.table("meta")
        d = dict(zip(m.iloc[:, 0], m.iloc[:, 1]))
        return str(d.get("fingerprint", d.get("build_id", "?")))[:12]
    except Exception:  # noqa: BLE001
        return "?"


def _policy_context(c: Composer, lang: str, ind_ch: pd.DataFrame) -> dict:
    """Opportunities and recommendations with their indicators (value, sparkline, change since last build:
    ``ind_ch``, the indicators' rows of :func:`critmat.services.compare.changes`)."""
    pol = c.get("policy")
    title_col = "title_nl" if lang == "nl" else "title"
    by_id = {}
    for r in ind_ch.itertuples():
        spark = c.sparks.get(r.indicator_id)  # the Figure: its PNG is drawn into the page when rendered
        delta = ""
        if not pd.isna(r.delta):
            delta = (("+" if r.delta > 0 else "") + _fmt(r.delta, r.unit, lang)) if r.changed else "="
        value = _fmt(r.value, r.unit, lang) + ("" if r.unit in ("share", "count") else f" {r.unit}")
        if r.unit == "share" and r.target_share is not None and not pd.isna(r.target_share):
            value += f" (≥ {fmt_share(r.target_share, lang)})"
        by_id[r.indicator_id] = {"title": getattr(r, title_col), "value": value, "spark": spark, "delta": delta,
                                 "note": r.basis}
    if not pol.doc["has_pack"]:
        return {"policy": None}
    items = pol.frame
    links = pd.DataFrame(pol.doc["links"])
    matrix = pd.DataFrame(pol.doc["matrix"])

    def inds(item: str) -> list[dict]:
        return [by_id[i] for i in links.loc[links["policy_item_id"] == item, "indicator_id"] if i in by_id]

    opps = [{"id": r.policy_item_id, "short": f"O{r.item_number}", "title": getattr(r, title_col),
             "indicators": inds(r.policy_item_id)}
            for r in items[items["policy_item_kind"] == "opportunity"].sort_values("item_number").itertuples()]
    recs = [{"id": r.policy_item_id, "short": f"R{r.item_number}", "number": r.item_number,
             "title": getattr(r, title_col), "indicators": inds(r.policy_item_id),
             "opps": set(matrix.loc[matrix["recommendation_id"] == r.policy_item_id, "opportunity_id"])}
            for r in items[items["policy_item_kind"] == "recommendation"].sort_values("item_number").itertuples()]
    return {"policy": {"opps": opps, "recs": recs, "recs_with_ind": [r for r in recs if r["indicators"]],
                       "recs_without_ind": [r for r in recs if not r["indicators"]]}}
