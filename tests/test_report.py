"""critmat report: a self-contained HTML, a paginated PDF, every figure, the data appendix, and every table
equal to the service result it shows. The nh-fl report is built once per session (module fixture)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")


def _weasyprint_ok() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the Pango library is missing
        return False
    return True


PDF = _weasyprint_ok()


@pytest.fixture(scope="module")
def built(warehouse_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """The nh-fl report (en), built once; returns (ReportResult, output folder)."""
    import critmat
    from critmat.report import build_report

    import os

    out = tmp_path_factory.mktemp("report_nhfl")
    old = os.environ.get("CRITMAT_REPORT_WORKERS")
    os.environ["CRITMAT_REPORT_WORKERS"] = "1"  # the helper-process path (the other tests take the default)
    try:
        res = build_report("nh-fl", out, wh=critmat.open(db=str(warehouse_db)), pdf=PDF)
    finally:
        if old is None:
            os.environ.pop("CRITMAT_REPORT_WORKERS")
        else:
            os.environ["CRITMAT_REPORT_WORKERS"] = old
    return res, out


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "poster", "action") and v:
                self.refs.append((tag, k, v))


def test_html_has_no_outside_url(built):
    res, _ = built
    text = res.html.read_text(encoding="utf-8")
    p = _Refs()
    p.feed(text)
    assert "script" not in p.tags or all(v.startswith("data:") for t, k, v in p.refs if t == "script")
    assert not [t for t in p.tags if t == "link"], "stylesheets are inlined, no <link>"
    outside = [(t, k, v[:60]) for t, k, v in p.refs if not (v.startswith("#") or v.startswith("data:"))]
    assert outside == []
    # nor inside the inline CSS (fonts, backgrounds)
    css = "".join(re.findall(r"<style>(.*?)</style>", text, flags=re.S))
    assert "url(" not in css and "@import" not in css
    assert sum(v.startswith("data:image/") for _, k, v in p.refs if k == "src") >= 15


def test_every_table_equals_its_service_result(built):
    from critmat.report import data as D

    res, _ = built
    c = res.composer
    assert len(res.tables) >= 15
    for t in res.tables:
        if t.pick is None:  # a table taken from a result's document (match streams): compare with it
            fresh = getattr(D, "match")(c.inp).doc["streams"]
            pd.testing.assert_frame_equal(t.frame, fresh[list(t.frame.columns)].reset_index(drop=True),
                                          obj=f"table {t.number} {t.key}")
            continue
        inp = D.Inputs(c.inp.wh, c.inp.region, c.inp.scenario, c.inp.on)  # a fresh call, no shared memo
        fresh = getattr(D, t.fn)(inp, **t.kwargs).frame
        shown = t.pick(fresh)
        shown = shown[[col for col in t.columns if col in shown]].reset_index(drop=True)
        pd.testing.assert_frame_equal(t.frame, shown, obj=f"table {t.number} {t.key}")


def test_tables_and_figures_are_numbered_in_order(built):
    res, _ = built
    assert [t.number for t in res.tables] == list(range(1, len(res.tables) + 1))
    numbered = [f for f in res.figure_list if not f.spark]
    assert [f.number for f in numbered] == list(range(1, len(numbered) + 1))
    html = res.html.read_text(encoding="utf-8")
    assert f"Table {len(res.tables)}." in html and f"Figure {len(numbered)}." in html


def test_every_figure_renders(built):
    from PIL import Image

    res, out = built
    assert len(res.figure_list) >= 12
    for f in res.figure_list:
        stem = f.key if f.spark else f"fig{f.number:02d}_{f.key}"
        svg = (out / "figures" / f"{stem}.svg").read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.count("<path") + svg.count("<use") > 3
        im = Image.open(out / "figures" / f"{stem}.png").convert("L")
        lo, hi = im.getextrema()
        assert im.size[0] > (100 if not f.spark else 50) and hi - lo > 100, f"{stem} looks empty"
        # more than a blank canvas: a fair share of the pixels is drawn
        hist = im.histogram()
        assert sum(hist[:250]) > 0.003 * im.size[0] * im.size[1], f"{stem} is nearly blank"


def test_data_appendix_holds_every_table_and_figure(built):
    res, out = built
    pkg = json.loads((out / "data" / "datapackage.json").read_text())
    names = {r["name"] for r in pkg["resources"]}
    assert {f"table_{t.number:02d}" for t in res.tables} <= {n[:8] for n in names}
    for t in res.tables:
        name = next(n for n in names if n.startswith(f"table_{t.number:02d}_"))
        csv = pd.read_csv(out / "data" / f"{name}.csv")
        assert len(csv) == len(t.frame) and list(csv.columns) == [str(c) for c in t.frame.columns]
    from openpyxl import load_workbook

    wb = load_workbook(out / "report_data.xlsx", read_only=True)
    assert "contents" in wb.sheetnames and len(wb.sheetnames) == len(pkg["resources"]) + 1


def test_frictionless_validates_the_appendix(built):
    from frictionless import validate

    _, out = built
    report = validate(out / "data" / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


@pytest.mark.skipif(not PDF, reason="WeasyPrint or the Pango library is not installed")
def test_pdf_opens_with_sections_and_numbers(built):
    from pypdf import PdfReader

    res, _ = built
    reader = PdfReader(res.pdf)
    assert len(reader.pages) >= 20
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    flat = " ".join(text.split())
    for heading in ["Contents", "Summary and key figures", "The EU list of critical raw materials",
                    "Export controls in force", "End-of-life flows 2025-2050", "Stage coverage and gaps",
                    "Policy: SWOT, opportunities and recommendations", "Sources"]:
        assert heading in flat, heading
    assert re.search(r"Table \d+\.", flat) and re.search(r"Figure \d+\.", flat)
    assert "Sources: " in flat  # the footnotes
    # every figure is drawn into the PDF (PNGs handed over by URL while WeasyPrint paginates)
    shown = set()
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        shown |= {ref.idnum for ref in xobjects.values() if ref.get_object().get("/Subtype") == "/Image"}
    assert len(shown) == len(res.figure_list)  # 16 figures and the indicators' trend lines, each once
    # numbers: the CRM count and the largest stock row (as formatted in the report) are in the text
    c = res.composer
    assert "34" in flat
    top = c.get("stock", by="material").frame.iloc[0]
    from critmat.report.i18n import fmt_num

    assert fmt_num(top["mass_t"]).replace("\u2009", " ") in text.replace("\u2009", " ") or \
        fmt_num(top["mass_t"]).replace("\u2009", "") in flat.replace(" ", "")


def test_policy_layer_is_data_with_indicators(built):
    res, _ = built
    c = res.composer
    pol = c.get("policy")
    items = pol.frame
    assert (items["policy_item_kind"] == "opportunity").sum() == 5
    assert (items["policy_item_kind"] == "recommendation").sum() == 10
    assert set(items["policy_item_kind"]) >= {"strength", "weakness", "threat"}
    assert items["report_ref"].str.len().min() > 3 and (items["source_id"] == "hcss_2025").all()
    m = pd.DataFrame(pol.doc["matrix"])  # the document is JSON-ready: rows
    assert set(m.loc[m["recommendation_id"] == "rec7", "opportunity_id"]) == {"opp5"}
    ind = c.get("policy_indicators").frame.set_index("indicator_id")
    assert ind.loc["crm_eol_rir_2025_2050", "target_share"] == 0.25
    assert 0 <= ind.loc["crm_eol_rir_2025_2050", "value"] <= 1
    assert ind.loc["ree_outflow_wind_2025_2035", "value"] >= 0
    html = res.html.read_text(encoding="utf-8")
    assert "O1." in html and "R10" in html


def test_second_build_reports_what_changed(built, warehouse_db, tmp_path):
    """A previous build's key figures in --out are compared; an edited figure shows up as a change."""
    import critmat
    from critmat.report import build_report

    _, out = built
    prev = tmp_path / "r"
    (prev / "data").mkdir(parents=True)
    kf = pd.read_csv(out / "data" / "key_figures.csv")
    kf.loc[kf["key"] == "assets", "value"] += 5
    kf.to_csv(prev / "data" / "key_figures.csv", index=False)
    ind = pd.read_csv(out / "data" / "indicators.csv")  # one policy indicator 10 t lower, one unchanged
    moved, same = ind.loc[ind["unit"] == "t", "indicator_id"].iloc[:2]
    ind.loc[ind["indicator_id"] == moved, "value"] -= 10
    ind.to_csv(prev / "data" / "indicators.csv", index=False)
    res = build_report("nh-fl", prev, wh=critmat.open(db=str(warehouse_db)), pdf=False, lang="nl")
    import html as h

    html = h.unescape(res.html.read_text(encoding="utf-8"))
    assert "Wat er veranderde sinds de vorige build" in html
    n = int(kf.loc[kf["key"] == "assets", "value"].iloc[0])
    assert f"{n} → {n - 5}" in html
    # the indicator: in the change list (old → new) and beside it in the policy table (+10), the other "="
    title = ind.set_index("indicator_id").at[moved, "title_nl"]
    assert re.search(re.escape(title) + r": [\d.,\s]+ → ", html), title
    row = re.search(r"<td>" + re.escape(title) + r"<br>.*?</tr>", html, re.S).group(0)
    assert '<td class="num">+10</td>' in row, row[-200:]
    other = ind.set_index("indicator_id").at[same, "title_nl"]
    assert re.search(r"<td>" + re.escape(other) + r"<br>.*?<td class=\"num\">=</td></tr>", html, re.S), other
    # a Dutch reader reads the materials' Dutch names (reference/material_names.csv), in tables and figures
    assert '<td class="text">Wolfraam</td>' in html and "Zware zeldzame aardmetalen (HREE)" in html
    assert '<td class="text">Tungsten</td>' not in html
    assert '<td class="text">Tungsten</td>' in h.unescape((out / "report.html").read_text(encoding="utf-8"))


def test_languages_have_the_same_keys():
    from critmat.report.i18n import EN, NL

    assert set(EN) == set(NL)
    assert all(NL[k] for k in NL)


def test_unknown_language_and_region_are_one_line_errors(tmp_path, warehouse_db):
    from typer.testing import CliRunner

    from critmat.cli import app

    r = CliRunner().invoke(app, ["report", "--lang", "fr", "--out", str(tmp_path), "--db", str(warehouse_db)])
    assert r.exit_code != 0
    import critmat
    from critmat.errors import UnknownIdError
    from critmat.report import build_report

    with pytest.raises(UnknownIdError, match="unknown region 'atlantis'"):
        build_report("atlantis", tmp_path, wh=critmat.open(db=str(warehouse_db)), pdf=False)


@pytest.mark.shared_data
def test_second_region_gets_a_complete_report(shared_data, tmp_path):
    """A province built from ../shared/data gets every section; what it lacks is marked, not dropped."""
    import critmat
    from critmat.report import build_report

    from typer.testing import CliRunner

    from critmat.cli import app

    r = CliRunner().invoke(app, ["region", "build", "--province", "Utrecht", "--from", str(shared_data)])
    assert r.exit_code == 0, r.output
    db = tmp_path / "wh.duckdb"
    res = build_report("pv26", tmp_path / "out", wh=critmat.open(db=str(db)), pdf=PDF)
    import html as h

    html = h.unescape(res.html.read_text(encoding="utf-8"))
    for key in ["crm_list", "criticality", "concentration", "controls", "maps", "stock", "eol", "need",
                "secondary", "exposure_views", "disruption", "stages", "matches", "indicators", "method"]:
        assert f'id="{key}"' in html, key
    assert "Not yet in critmat's data" in html  # e.g. no company registry, no goods categories, no policy items
    assert 'id="provinces"' not in html  # one province: nothing to compare
    assert len(res.figure_list) >= 10
    if PDF:
        from pypdf import PdfReader

        assert len(PdfReader(res.pdf).pages) >= 10


def test_dutch_report_has_dutch_headings(built):
    """Every table column heading the sections use has a Dutch form (or is a symbol/unit the same in both)."""
    from critmat.report.i18n import HEADERS_NL

    res, _ = built
    same = {"SR", "EI", "MW", "km", "t", "#", "> 65 %", "≥ 25 %", "Stream"}
    missing = {h for t in res.tables for h in t.columns.values()
               if h not in HEADERS_NL and h not in same and not h.startswith(("Indicat", "Value", "Basis", "Track"))}
    # the policy tables take their headings from the language strings already
    from critmat.report.i18n import EN

    missing -= set(EN.values())
    assert not missing, missing


def test_report_tables_are_the_services_answers(built):
    """The report's tables are the services' frames (what the CLI prints), not a copy of their logic."""
    from critmat.services import capabilities, exposure, stock

    res, _ = built
    c = res.composer
    wh, region, on = c.inp.wh, c.inp.region, c.inp.on
    by_key = {t.key: t for t in res.tables}
    st = stock.stock(wh, region, by="material").frame.head(25)
    pd.testing.assert_frame_equal(by_key["stock_material"].frame,
                                  st[list(by_key["stock_material"].frame.columns)].reset_index(drop=True))
    ex = exposure.exposure(wh, region, on=on).frame
    ex = ex[(ex["stock_t"].fillna(0) > 0) | (ex["need_t_per_yr"].fillna(0) > 0)].sort_values("rank").head(20)
    pd.testing.assert_frame_equal(by_key["exposure_materials"].frame,
                                  ex[list(by_key["exposure_materials"].frame.columns)].reset_index(drop=True))
    m = capabilities.match(wh, region, top=3).frame
    pd.testing.assert_frame_equal(by_key["matches"].frame,
                                  m[list(by_key["matches"].frame.columns)].reset_index(drop=True))


def test_helper_process_draws_the_same_files():
    """Figures drawn by the helper process equal those drawn in-process; without a helper it still works."""
    from critmat.report import figures as F
    from critmat.report.parallel import Helper

    def fig():
        f, ax = F.new(2.0)
        ax.plot([2025, 2030, 2035], [1.0, 3.0, 2.0])
        ax.set_title("x")
        return f

    local = F.render(fig())
    with Helper(workers=1) as h:
        assert h.proc is not None
        got = h.figure(fig())()
    assert got[0] == local[0] and got[1] == local[1]
    # as the report asks: the PNGs first (the helper keeps the figures), then all SVGs in one task
    with Helper(workers=1) as h:
        drawn = [h.figure(fig()) for _ in range(3)]
        assert [d.png() for d in drawn] == [local[1]] * 3
        h.request_svgs()
        assert [d.svg() for d in drawn] == [local[0]] * 3
        d = h.figure(fig())  # drawn after the SVGs were asked for: its SVG is asked for when wanted
        assert d() == local
    with Helper(workers=0) as h:
        assert h.proc is None and h.figure(fig())() == local
    # a plan (function name + arguments) is made where it is drawn: in the helper, the same files
    plan = F.Plan("critmat.report.figures", "empty", ("nothing to draw",))
    here = F.render(plan.make())
    with Helper(workers=1) as h:
        assert h.figure(plan)() == here
    with Helper(workers=0) as h:
        assert h.figure(plan)() == here


def test_helper_failure_falls_back_to_in_process(tmp_path):
    """A helper that dies after drawing the PNGs: the SVGs and the data appendix are made in-process, the
    same files."""
    from critmat.report import figures as F
    from critmat.report.parallel import Helper

    plan = F.Plan("critmat.report.figures", "empty", ("nothing to draw",))
    here = F.render(plan.make())
    frames = {"table_01_x": ("Table 1. x", pd.DataFrame({"a": [1, 2]}))}
    meta = {"region": "r", "title": "t", "created": "2026-01-01T00:00:00+00:00"}
    with Helper(workers=1) as h:
        d = h.figure(plan)
        assert d.png() == here[1]
        h.proc.kill()
        h.proc.wait()
        h.request_svgs()
        assert d.svg() == here[0]
        paths = h.appendix(tmp_path, frames, meta)()
    assert [p.name for p in paths] == ["datapackage.json", "report_data.xlsx"] and all(p.exists() for p in paths)
    assert (tmp_path / "data" / "table_01_x.csv").read_text() == "a\n1\n2\n"


def test_a_stalled_or_failing_helper_is_given_up_and_says_why(monkeypatch, caplog):
    """A helper that never answers is stopped after STALL_SECONDS and the figure is drawn here; one that exits
    names its last stderr line in the error."""
    import sys
    import time

    from critmat.report import figures as F
    from critmat.report import parallel
    from critmat.report.parallel import Helper, HelperError

    plan = F.Plan("critmat.report.figures", "empty", ("nothing to draw",))
    here = F.render(plan.make())
    monkeypatch.setattr(parallel, "STALL_SECONDS", 1.0)
    monkeypatch.setattr(parallel, "HELPER_COMMAND", [sys.executable, "-c", "import time; time.sleep(60)"])
    with Helper(workers=1) as h:
        d = h.figure(plan)
        t0 = time.monotonic()
        assert d.png() == here[1] and time.monotonic() - t0 < 20
        assert h.proc.wait(timeout=10) is not None  # stopped
    assert "gave no answer for 1 s" in caplog.text
    monkeypatch.setattr(parallel, "HELPER_COMMAND", [
        sys.executable, "-c", "import sys; sys.stdin.buffer.read(8); sys.stderr.write('boom: no memory\\n'); sys.exit(3)"])
    with Helper(workers=1) as h:
        d = h.figure(plan)
        with pytest.raises(HelperError, match="stopped: boom: no memory"):
            h._wait(d._k)


def test_provinces_table_is_the_comparison_service(built):
    """Section 'Provinces compared': the rows of critmat.services.compare.provinces (what `critmat region
    compare --region nh-fl` prints) for the report's CRM materials, and the assets per province."""
    from critmat.services import compare

    res, _ = built
    c = res.composer
    by_key = {t.key: t for t in res.tables}
    svc = compare.provinces(c.inp.wh, [c.inp.region], scenario=c.inp.scenario, draws=c.inp.draws, seed=c.inp.seed)
    shown = by_key["provinces"].frame
    want = svc.frame[svc.frame["material"].isin(set(c._crm_ids()))]
    pd.testing.assert_frame_equal(shown, want[list(shown.columns)].reset_index(drop=True))
    assert set(shown["province_name"]) == {"Noord-Holland", "Flevoland"} and len(shown) >= 40
    assets = next(s for s in svc.sections if s.name == "assets").frame
    got = by_key["provinces_assets"].frame
    pd.testing.assert_frame_equal(got, assets[list(got.columns)].reset_index(drop=True))
    assert by_key["provinces"].sources and by_key["provinces"].caption
    html = res.html.read_text(encoding="utf-8")
    assert 'id="provinces"' in html and "Provinces compared" in html


def test_provinces_section_only_with_several_provinces():
    """A region of one province gets no comparison section (nothing to compare)."""
    from critmat.report.i18n import strings
    from critmat.report.model import Result
    from critmat.report.sections import Composer

    one = pd.DataFrame({"province_code": ["PV24", "PV24"], "material": ["copper", "nickel"]})
    c = Composer.__new__(Composer)
    c.t = strings("en")
    c.get = lambda fn, **kw: Result(one, title=fn)
    assert c._provinces({"copper"}) is None
    c.get = lambda fn, **kw: Result(pd.DataFrame(), title=fn)  # the service had nothing (shown as missing)
    assert c._provinces({"copper"}) is None


def test_helper_starts_on_a_free_core(monkeypatch):
    """The 1-minute load still counts a report that just finished; what runs now decides with it."""
    from critmat.report import parallel

    real = parallel.running_others
    import os
    import sys

    n = real(samples=1)
    if sys.platform.startswith("linux") and os.path.exists("/proc/stat"):
        assert isinstance(n, int) and n >= 0  # the reading exists where /proc/stat does (this process excluded)
    else:
        assert n is None
    monkeypatch.delenv("CRITMAT_REPORT_WORKERS", raising=False)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (1.8, 1.0, 0.5))
    monkeypatch.setattr(parallel, "running_others", lambda: 0)
    assert parallel.workers_wanted() == 1      # our previous report in the average, nothing running now
    monkeypatch.setattr(parallel, "running_others", lambda: 2)
    assert parallel.workers_wanted() == 0      # two others running: no free core
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert parallel.workers_wanted() == 1      # a burst now, an idle minute: the average decides
    monkeypatch.setattr(parallel, "running_others", lambda: None)  # no /proc/stat: the average alone
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (1.8, 1.0, 0.5))
    assert parallel.workers_wanted() == 0
    monkeypatch.setenv("CRITMAT_REPORT_WORKERS", "1")
    assert parallel.workers_wanted() == 1


def test_small_numbers_read_positionally() -> None:
    """A table of tonnes shows 0.000013, not 1.3e-05 (two significant digits, the decimal comma in Dutch)."""
    from critmat.report.i18n import fmt_num

    assert fmt_num(1.32e-5) == "0.000013" and fmt_num(2.2e-6, "nl") == "0,0000022"
    assert fmt_num(0.123) == "0.12" and fmt_num(0.5) == "0.5" and fmt_num(1234.5) == "1\u2009234"
    assert all("e" not in fmt_num(10.0 ** -k) for k in range(1, 12))


@pytest.mark.skipif(not PDF, reason="WeasyPrint/Pango not available")
def test_a_failed_pdf_keeps_the_rest_of_the_report(warehouse_db, tmp_path, monkeypatch):
    """The PDF fails (a figure that cannot be drawn, Pango...): report.html, the figure files and the data
    appendix are still written, then the error is raised; no report.pdf without its figures."""
    import critmat
    from critmat.report import build_report, render

    def broken(key):
        raise RuntimeError(f"figure {key} could not be drawn")

    real = render.pdf
    monkeypatch.setattr(render, "pdf", lambda html_text, path, images=None: real(html_text, path, images=broken))
    with pytest.raises(RuntimeError, match="could not be drawn"):
        build_report("nh-fl", tmp_path, wh=critmat.open(db=str(warehouse_db)))
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert (tmp_path / "data" / "datapackage.json").is_file() and (tmp_path / "report_data.xlsx").is_file()
    assert len(list((tmp_path / "figures").glob("*.png"))) >= 16
    assert not (tmp_path / "report.pdf").exists()


def test_fewer_collections_restores_the_collector(monkeypatch):
    """Nested reports leave the thresholds to the outermost; a caller's own gc.freeze() is kept."""
    import gc

    from critmat.report.build import fewer_collections
    from critmat.report.parallel import GC_GEN0

    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    with fewer_collections():
        with fewer_collections():
            assert gc.get_threshold()[0] == GC_GEN0
        assert gc.get_threshold()[0] == GC_GEN0  # the inner one did not restore it under the outer
    assert gc.get_threshold() == before
    if frozen_before == 0:
        assert gc.get_freeze_count() == 0  # what it froze is unfrozen
    else:
        assert gc.get_freeze_count() >= frozen_before  # an earlier freeze is kept
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with fewer_collections():
            pass
        assert gc.get_freeze_count() >= frozen  # not unfrozen
    finally:
        if frozen_before == 0:
            gc.unfreeze()


def test_column_widths_follow_the_text():
    """render.colwidths: widths in % summing to the page when the text fits; a number column never narrower than
    its longest number; headings of number columns wrap before the table runs off the page; only when the
    longest words alone are wider than the page are widths given in em, with the table's own width."""
    from critmat.report.model import Table
    from critmat.report.render import CELL_PAD, TABLE_EM, colwidths, rows, text_em

    def widths(frame, formats, columns=None):
        t = Table("k", "t", frame, columns=columns or {c: c for c in frame.columns}, formats=formats)
        return colwidths(t, rows(t, "en"), "en")

    w = widths(pd.DataFrame({"name": ["a long description of a material"] * 3, "t": [1.0, 22.0, 333.0]}),
               {"t": "num"})
    pcts = [float(x.rstrip("%")) for x in w["cols"]]
    assert w["width"] is None and not w["wrap_heads"] and abs(sum(pcts) - 100) < 0.05
    assert pcts[0] > pcts[1]  # the longer text gets more of the spare width
    # a long text column wraps; the number column keeps its longest number on one line
    long_text = " ".join(["word"] * 200)
    f = pd.DataFrame({"name": [long_text], "t": [123456789.0]})
    w = widths(f, {"t": "num"})
    shown = rows(Table("k", "t", f, columns={"name": "name", "t": "t"}, formats={"t": "num"}), "en")[0][1][0]
    num_em = float(w["cols"][1].rstrip("%")) / 100 * TABLE_EM
    assert num_em >= text_em(shown) + CELL_PAD - 0.01 and float(w["cols"][0].rstrip("%")) > 50
    # many wide number columns with long headings: the headings wrap, the table stays on the page
    heads = {f"c{i}": f"Secondary supply share {i}" for i in range(9)}
    f = pd.DataFrame({c: [123456.0] for c in heads})
    w = widths(f, {c: "num" for c in heads}, heads)
    assert w["wrap_heads"] and w["width"] is None
    # words wider than the page together: em widths and the table's own width
    f = pd.DataFrame({f"c{i}": ["Xy" * 30] for i in range(6)})
    w = widths(f, {})
    assert w["width"].endswith("em") and all(x.endswith("em") for x in w["cols"])
    assert widths(pd.DataFrame({"a": [1]}), {}, {"zzz": "Z"}) is None  # no shown column
