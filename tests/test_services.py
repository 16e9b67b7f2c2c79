"""The service layer: one data path (the warehouse), one answer per question, no cache beyond a build.

- the CLI's JSON is the service's document (stock, flows, risk, disrupt, companies, capabilities, match);
- stored default results equal a fresh run of the model;
- after `critmat build`, the README's read commands answer the same with the package's data folder gone;
- changing a region pack and rebuilding changes every answer that depends on it in a long-lived process,
  and two services asked the same thing give the same number.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmat.cli import app
from critmat.services import capabilities, context, exposure, flows, regions, stock
from critmat.services.base import to_json

runner = CliRunner()
ON = "2026-06-01"


@pytest.fixture
def wh(warehouse_db: Path):
    return context.warehouse(warehouse_db)  # the handle every face in this process shares


def _cli_json(db: Path, *args: str):
    res = runner.invoke(app, [*args, "--db", str(db), "-f", "json"])
    assert res.exit_code == 0, (args, res.output, res.exception)
    return json.loads(res.stdout)


def _doc(result) -> object:
    return json.loads(to_json(result.document()))  # what a face prints, through the same JSON encoder


# ----------------------------------------------------------------------------- the CLI prints the service


def test_cli_json_is_the_service_document(wh, warehouse_db: Path) -> None:
    on = dt.date.fromisoformat(ON)
    spec = exposure.shock_spec(wh, "ree-april-2025")
    cases = [
        (("stock", "--region", "nh-fl", "--by", "asset_class"), stock.stock(wh, "nh-fl", by="asset_class")),
        (("flows", "--region", "nh-fl", "--material", "neodymium"), flows.flows(wh, "nh-fl", material="neodymium")),
        (("risk", "--on", ON), exposure.supply_risk(wh, on=on)),
        (("risk", "--region", "nh-fl", "--on", ON), exposure.exposure(wh, "nh-fl", on=on)),
        (("disrupt", "ree-april-2025", "--region", "nh-fl"), exposure.disrupt(wh, spec, "nh-fl")),
        (("companies", "--region", "nh-fl"), capabilities.companies(wh, "nh-fl")),
        (("capabilities", "--region", "nh-fl"), capabilities.coverage(wh, "nh-fl")),
        (("match", "--region", "nh-fl"), capabilities.match(wh, "nh-fl")),
    ]
    for args, result in cases:
        assert _cli_json(warehouse_db, *args) == _doc(result), args


def test_stored_defaults_equal_a_fresh_model_run(wh) -> None:
    """The build's results (read as queries) are the model's numbers, not an approximation."""
    from critmat.flows import run_flows
    from critmat.stock import regional_stock
    from critmat.warehouse import results

    assert results.stored(wh, "stock", "nh-fl", "stock", results.stock_params()) is not None
    fresh = regional_stock(stock.inputs(wh, "nh-fl"), n_draws=1000, seed=0)
    pd.testing.assert_frame_equal(stock.run(wh, "nh-fl").reset_index(drop=True), fresh, check_dtype=False)
    for name in ("baseline", "high-ambition"):
        got = flows.run(wh, "nh-fl", name)
        assert results.stored(wh, "flows", "nh-fl", name, results.flows_params()) is not None
        ref = run_flows("nh-fl", name, wh=wh)
        want = ref.flows[ref.flows["area_type"].isin(results.FLOW_LEVELS)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got.flows.reset_index(drop=True), want, check_dtype=False)
        pd.testing.assert_frame_equal(got.summary, ref.summary, check_dtype=False)
        assert got.notes == ref.notes and got.benchmark == ref.benchmark and list(got.years) == list(ref.years)


def test_exposure_need_reads_a_window_of_the_stored_flows(wh) -> None:
    """The exposure's need comes from the scenario's stored whole run: a window of it equals the model run
    over that window alone (the flows model only clips its output years)."""
    from critmat import risk_report as rr
    from critmat.flows import run_flows
    from critmat.models.inventory import ALL_CLASSES

    data = rr.risk_data(wh)
    years = list(range(2026, 2036))
    demand, recovered = rr.flows_demand(data, "nh-fl", years)
    window = run_flows("nh-fl", "baseline", wh=wh, start=2026, end=2035).flows
    reg = window[(window["area_type"] == "region") & (window["asset_class"] != ALL_CLASSES)]
    want = reg[reg["variable"] == "demand_new"].groupby(["year", "material"])["value"].sum()
    got = demand.groupby(["year", "material"])["pipeline_t"].sum()
    assert sorted(demand["year"].unique()) == years and len(want) > 50
    pd.testing.assert_series_equal(got.reindex(want.index), want, check_names=False, rtol=1e-12, atol=1e-12)
    rec = window[(window["area_type"] == "region") & (window["asset_class"] == ALL_CLASSES)
                 & (window["variable"] == "recovered")].set_index(["year", "material"])["value"]
    assert recovered.set_index(["year", "material"])["recovered_t"].reindex(rec.index).tolist() == pytest.approx(
        rec.tolist(), rel=1e-12, abs=1e-12)


def test_scenario_controls_run_a_variant_through_the_flows_service(wh) -> None:
    """The dashboard's what-if controls are the flows service's parameters: the model on the variant scenario."""
    from critmat.flows import run_flows

    sc = flows.variant(wh, "baseline", lifetime_shift=2, recovery=0.42)
    assert sc.name == "baseline-variant" and "+2 years" in sc.title and "42%" in sc.title
    r = flows.flows(wh, "nh-fl", "baseline", material="copper", lifetime_shift=2, recovery=0.42)
    ref = run_flows("nh-fl", sc, wh=wh, materials=["copper"])
    pd.testing.assert_frame_equal(r.sections[0].frame, flows.table(ref, "material"))
    plain = flows.flows(wh, "nh-fl", "baseline", material="copper")
    assert r.params["recovery"] == 0.42 and "recovery" not in plain.params
    assert not r.sections[0].frame.equals(plain.sections[0].frame)
    from critmat.warehouse import access

    assert flows.variant(wh, "baseline") == access.scenario(wh, "baseline")  # no controls: the scenario itself
    label = flows.run(wh, "nh-fl", "baseline").scenario  # the stored answer keeps its name and title
    assert (label.name, label.title) == (access.scenario(wh, "baseline").name, access.scenario(wh, "baseline").title)


def test_boundaries_come_from_the_warehouse(wh) -> None:
    b = regions.boundaries(wh, "nh-fl")
    pack = regions.region(wh, "nh-fl")
    if b.params["kind"] == "centroid":  # the bundled pack has no polygons: one point per municipality
        assert len(b.frame) == len(pack.table("municipalities")) and "centroids only" in b.caption
    else:
        assert b.frame["geometry_wkt"].str.startswith(("POLYGON", "MULTIPOLYGON")).any()
    from critmat.errors import UnknownIdError

    with pytest.raises(UnknownIdError):
        regions.boundaries(wh, "atlantis")


def test_captions_do_not_name_command_line_options(wh) -> None:
    """Captions and titles reach the report and the API: a command-line option in them belongs in ``hint``,
    which only the CLI shows (appended to the caption)."""
    import re

    on = dt.date.fromisoformat(ON)
    results = [exposure.supply_risk(wh, on=on), exposure.exposure(wh, "nh-fl", on=on),
               exposure.benchmarks(wh, "nh-fl"), capabilities.coverage(wh, "nh-fl"), capabilities.match(wh, "nh-fl"),
               capabilities.fillers(wh, "nh-fl"), regions.assets(wh, "nh-fl"), stock.stock(wh, "nh-fl", draws=0),
               stock.stock(wh, "nh-fl", scale=True), flows.flows(wh, "nh-fl"),
               exposure.disrupt(wh, exposure.shock_spec(wh, "ree-april-2025"), "nh-fl"), flows.scenarios(wh)]
    option = re.compile(r"(^|[\s(])--[a-z]|critmat [a-z]")
    hints = 0
    for r in results:
        for sec in [r, *r.sections]:
            assert not option.search(f"{sec.title} {sec.caption}"), (sec.title, sec.caption)
            hints += bool(sec.hint)
    assert hints >= 8  # the CLI still says where to find more
    from critmat.cli.output import with_hint

    assert with_hint("tonnes.", "--all for every material.") == "tonnes. --all for every material."
    assert with_hint("tonnes", "--all.") == "tonnes · --all." and with_hint("", "x") == "x"


def test_other_parameters_compute_through_the_same_service(wh) -> None:
    a = stock.stock(wh, "nh-fl", draws=50, seed=3).frame
    b = stock.stock(wh, "nh-fl", draws=50, seed=3).frame
    pd.testing.assert_frame_equal(a, b)
    default = stock.stock(wh, "nh-fl").frame.set_index("material")
    assert (a.set_index("material")["mass_t"] - default["mass_t"]).abs().max() < 1e-6  # central: same
    mun = flows.flows(wh, "nh-fl", level="municipality").frame  # not stored: computed on demand
    assert set(mun["area_type"]) <= {"municipality", "unallocated"} and len(mun)


def test_two_services_give_the_same_number(wh) -> None:
    from critmat.models.inventory import ALL_CLASSES

    held = stock.stock(wh, "nh-fl").frame.set_index("material")["mass_t"]
    rep = exposure.exposure(wh, "nh-fl", on=dt.date.fromisoformat(ON), all_materials=True).frame
    exp = rep.set_index("material_id")["stock_t"].dropna()
    common = [m for m in exp.index if m in held.index and exp[m] > 0]
    assert len(common) > 10
    pd.testing.assert_series_equal(exp[common], held[common], check_names=False, rtol=1e-9)
    n_assets = len(regions.assets(wh, "nh-fl").frame)
    inp = stock.inputs(wh, "nh-fl")
    assert n_assets == len(inp.assets) + len(inp.excluded)
    long = stock.run(wh, "nh-fl")
    reg = long[(long["area_type"] == "region") & (long["asset_class"] == ALL_CLASSES) & (long["variable"] == "mass_t")]
    assert reg.set_index("material")["value"].reindex(held.index).tolist() == pytest.approx(held.tolist())


# ----------------------------------------------------------------------------- one data path


def test_read_commands_answer_the_same_without_the_data_folder(tmp_path: Path) -> None:
    """An installed copy of critmat, built, then its data/ folder moved away: the README's read commands and
    the API's read routes give the same JSON (nothing after the build reads a package file)."""
    pkg = tmp_path / "site"
    shutil.copytree(Path(__import__("critmat").__file__).parent, pkg / "critmat",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": str(pkg), "CRITMAT_HOME": str(home), "COLUMNS": "120"}
    script = tmp_path / "tour.py"
    script.write_text(
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from critmat.cli import app\n"
        "tour = [['materials', 'list'], ['materials', 'show', 'heavy rare earth elements'], ['risk', '--top', '15',"
        f" '--on', '{ON}'], ['sources'], ['region', 'show', 'nh-fl'], ['assets', '--region', 'nh-fl', '--class', 'wind'],"
        " ['stock', '--region', 'nh-fl', '--by', 'material', '--top', '15'], ['flows', '--region', 'nh-fl',"
        " '--material', 'neodymium'], ['risk', '--region', 'nh-fl', '--top', '10', '--on', '" + ON + "'],"
        " ['disrupt', 'ree-april-2025', '--region', 'nh-fl'], ['companies', '--region', 'nh-fl'],"
        " ['capabilities', '--region', 'nh-fl', '--fillers'], ['match', '--region', 'nh-fl', '--stream',"
        " 'ndfeb-magnets-wind-repowering'], ['benchmarks']]\n"
        "out = {}\n"
        "for args in tour:\n"
        "    r = CliRunner().invoke(app, args + ['-f', 'json'])\n"
        "    assert r.exit_code == 0, (args, r.output, repr(r.exception))\n"
        "    out[' '.join(args)] = json.loads(r.stdout)\n"
        "from fastapi.testclient import TestClient\n"
        "from critmat.paths import default_db\n"
        "from critmat.web.app import create_app\n"
        "with TestClient(create_app(default_db())) as client:\n"
        "    for route in ['materials', 'materials?list=all', 'materials/gallium', 'materials/gallium/supply', 'regions',"
        " 'regions/nh-fl/assets', 'regions/nh-fl/municipalities', 'regions/nh-fl/summary', 'regions/nh-fl/stock',"
        " 'regions/nh-fl/companies', 'regions/nh-fl/boundaries', 'sources', 'provenance']:\n"
        "        r = client.get('/api/v1/' + route)\n"
        "        assert r.status_code == 200, (route, r.text[:500])\n"
        "        out['GET ' + route] = r.json()\n"
        "json.dump(out, sys.stdout)\n", encoding="utf-8")

    def tour() -> dict:
        p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600)
        assert p.returncode == 0, p.stderr[-3000:]
        return json.loads(p.stdout)

    built = subprocess.run([sys.executable, "-m", "critmat", "build", "--results"], capture_output=True, text=True,
                           env=env, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    before = tour()
    (pkg / "critmat" / "data").rename(pkg / "data-moved-away")
    after = tour()
    for key in before:
        if key == "sources":  # provenance names the package files' paths, which moved: compare the rest
            for rows in (before[key], after[key]):
                for r in rows:
                    r.pop("path", None)
        assert after[key] == before[key], key


def test_a_changed_region_pack_changes_every_answer_after_rebuild(tmp_path: Path, monkeypatch) -> None:
    """A long-lived process (a server): drop an asset from the pack, rebuild, ask again - no stale answer."""
    from critmat.regions import bundled_regions_dir
    from critmat.warehouse import build

    home = tmp_path / "home"
    pack = home / "regions" / "nh-fl"  # a built pack replaces the bundled one of the same id
    shutil.copytree(bundled_regions_dir() / "nh-fl", pack)
    monkeypatch.setenv("CRITMAT_HOME", str(home))
    db = tmp_path / "wh.duckdb"
    build(db, results=True)
    context.clear()
    on = dt.date.fromisoformat(ON)

    def answers() -> dict:
        w = context.warehouse(db)
        nd = lambda f: float(f.set_index("material").loc["neodymium", "mass_t"])  # noqa: E731
        return {"assets": len(regions.assets(w, "nh-fl").frame),
                "stock_nd": nd(stock.stock(w, "nh-fl").frame),
                "stock_nd_draws": nd(stock.stock(w, "nh-fl", draws=20).frame),
                "flows_nd": float(flows.run(w, "nh-fl").summary.set_index("material").loc["neodymium", "outflow_t"]),
                "exposure_nd": float(exposure.exposure(w, "nh-fl", on=on).frame.set_index("material_id")
                                     .loc["neodymium", "stock_t"]),
                "summary_rows": int(regions.summary(w, "nh-fl").frame["rows"].sum())}

    first = answers()
    assets = pd.read_csv(pack / "assets.csv", dtype=str, keep_default_na=False)
    referenced = set()  # assets other tables point to stay (their foreign keys would break)
    for name, cols in (("asset_events", ("asset_id", "replacement_asset_id")), ("match_decisions", ("asset_id",))):
        t = pd.read_csv(pack / f"{name}.csv", dtype=str, keep_default_na=False)
        referenced |= {v for c in cols for v in t[c]}
    magnets = assets[assets["technology_id"].isin(["wind_dd_pmsg", "wind_gb_pmsg", "car_bev", "car_phev"])
                     & (assets["status"] == "operational") & ~assets["asset_id"].isin(referenced)]
    assert len(magnets), "the bundled pack should hold an operational asset with NdFeB magnets"
    assets.drop(index=magnets.index[0]).to_csv(pack / "assets.csv", index=False)
    build(db, results=True)
    second = answers()
    assert second["assets"] == first["assets"] - 1 and second["summary_rows"] == first["summary_rows"] - 1
    for key in ("stock_nd", "stock_nd_draws", "flows_nd", "exposure_nd"):
        assert second[key] < first[key], key
    assert second["exposure_nd"] == pytest.approx(second["stock_nd"], rel=1e-9)
    context.clear()


def test_region_compare_prints_the_comparison_service(wh, warehouse_db: Path) -> None:
    from io import StringIO

    from critmat.services.compare import provinces

    res = runner.invoke(app, ["region", "compare", "-m", "neodymium", "--db", str(warehouse_db), "-f", "csv"])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(StringIO(res.stdout))
    want = provinces(wh, material="neodymium").frame
    assert list(got.columns) == list(want.columns) and len(got) == len(want) == 2
    assert got["stock_t"].sum() == pytest.approx(want["stock_t"].sum())
    nd = stock.stock(wh, "nh-fl", material="neodymium").frame.set_index("material").loc["neodymium", "mass_t"]
    assert got["stock_t"].sum() == pytest.approx(nd, rel=1e-9)  # provinces add up to the region's stock


def test_what_changed_is_one_rule():
    """compare.changes: a figure changed when it moved by more than 0.1 % of its old value; a figure the
    previous build did not have, or an empty one, has no delta."""
    from critmat.services.compare import changes

    now = pd.DataFrame({"key": ["a", "b", "c", "d", "e"], "value": [100.0, 100.05, 0.0, 5.0, None]})
    before = pd.DataFrame({"key": ["a", "b", "c", "e"], "value": [90.0, 100.0, 0.0, 1.0]})
    ch = changes(now, before).set_index("key")
    assert list(ch["changed"]) == [True, False, False, False, False]
    assert ch.at["a", "delta"] == 10.0 and ch.at["a", "before"] == 90.0
    assert pd.isna(ch.at["d", "before"]) and pd.isna(ch.at["d", "delta"]) and pd.isna(ch.at["e", "delta"])
    assert not changes(now, None)["changed"].any()
