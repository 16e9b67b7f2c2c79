"""End-of-life flows of the bundled nh-fl region: mass balance, aggregation, scenarios, Monte Carlo, CLI, IAMC."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from critmat.cli import app
from critmat.errors import ModelError, ScenarioError, UnknownIdError
from critmat.flows import FLOW_VARIABLES, run_flows, to_iamc
from critmat.specs.scenarios import load_scenario, validate_scenario
from critmat.warehouse import Warehouse

runner = CliRunner(env={"COLUMNS": "250"})  # wide tables: no folded cells
MATS = ["neodymium", "dysprosium", "copper", "silicon_metal", "silver", "lithium"]


@pytest.fixture(scope="module")
def db(warehouse_db: Path) -> Path:
    return warehouse_db


@pytest.fixture(scope="module")
def wh(db: Path) -> Warehouse:
    w = Warehouse(db)
    yield w
    w.close()


@pytest.fixture(scope="module")
def base(wh: Warehouse):
    return run_flows("nh-fl", "baseline", wh=wh)


def _wide(flows: pd.DataFrame) -> pd.DataFrame:
    key = ["area_type", "area", "asset_class", "material", "year"]
    return flows.pivot_table(index=key, columns="variable", values="value", aggfunc="first")


def test_mass_balance_and_non_negativity(base) -> None:
    w = _wide(base.flows[base.flows["unit"] == "t"])
    scale = max(1.0, float(w["outflow"].abs().max()))
    np.testing.assert_allclose(w["outflow"], w["reused"] + w["recovered"] + w["lost"], atol=1e-9 * scale)
    np.testing.assert_allclose(w["lost"], w["lost_uncollected"] + w["lost_pretreatment"] + w["lost_recovery"],
                               atol=1e-9 * scale)
    np.testing.assert_allclose(w["demand"], w["demand_replacement"] + w["demand_new"], atol=1e-9 * scale)
    assert (w[list(FLOW_VARIABLES)] >= -1e-9 * scale).all().all()
    assert set(base.flows["year"]) == set(range(2025, 2051))
    assert base.benchmark == pytest.approx(0.25)  # CRMA recycling benchmark from crma_benchmarks (used)
    assert not base.flows[["region", "area_type", "area", "scenario", "asset_class", "material", "year",
                           "variable", "unit"]].duplicated().any()


def test_parts_sum_to_the_whole_across_areas_and_classes(base) -> None:
    f = base.flows[base.flows["variable"].isin(["outflow", "recovered", "demand"])]
    region = f[f["area_type"] == "region"].set_index(["asset_class", "material", "year", "variable"])["value"]
    for types in (["province"], ["municipality", "unallocated"]):
        parts = f[f["area_type"].isin(types)].groupby(["asset_class", "material", "year", "variable"])["value"].sum()
        both = pd.concat([region.rename("whole"), parts.rename("parts")], axis=1).fillna(0.0)
        np.testing.assert_allclose(both["whole"], both["parts"], rtol=1e-9, atol=1e-9)
    classes = f[(f["area_type"] == "region") & (f["asset_class"] != "all")]
    by_mat = classes.groupby(["material", "year", "variable"])["value"].sum()
    total = f[(f["area_type"] == "region") & (f["asset_class"] == "all")].set_index(
        ["material", "year", "variable"])["value"]
    both = pd.concat([total.rename("whole"), by_mat.rename("parts")], axis=1).fillna(0.0)
    np.testing.assert_allclose(both["whole"], both["parts"], rtol=1e-9, atol=1e-9)


def test_what_the_region_holds_shows_up(base) -> None:
    s = base.summary.set_index("material")
    assert set(MATS) <= set(s.index)
    # the offshore pipeline (5.5 GW of direct-drive PM turbines) makes neodymium demand far exceed outflow
    assert s.loc["neodymium", "demand_t"] > 2 * s.loc["neodymium", "outflow_t"]
    # rare earths from magnets below 1 %: secondary supply below 1 % of the outflow
    assert s.loc["neodymium", "secondary_supply_t"] < 0.01 * s.loc["neodymium", "outflow_t"]
    assert s.loc["silicon_metal", "secondary_supply_t"] == pytest.approx(0.0, abs=1e-9)  # no CRM from PV (RIVM)
    assert 0 < s.loc["copper", "eol_rir"] <= 1
    ind = base.indicators
    assert {"eol_rir", "secondary_to_demand", "benchmark_share", "meets_benchmark"} <= set(ind.columns)
    assert ((ind["eol_rir"].dropna() >= 0) & (ind["eol_rir"].dropna() <= 1)).all()
    # vehicles: half of the outflow is exported as used cars
    v = base.flows[(base.flows["area_type"] == "region") & (base.flows["asset_class"] == "vehicle")]
    tot = v.groupby("variable")["value"].sum()
    assert tot["reused"] == pytest.approx(0.5 * tot["outflow"])


def test_scenarios_move_the_numbers(wh: Warehouse, base) -> None:
    hr = run_flows("nh-fl", "high-recovery", wh=wh)
    b = base.summary.set_index("material")
    h = hr.summary.set_index("material")
    assert (h["secondary_supply_t"] >= b["secondary_supply_t"] - 1e-9).all()
    assert h.loc["neodymium", "secondary_supply_t"] > 20 * b.loc["neodymium", "secondary_supply_t"]
    assert h.loc["silicon_metal", "secondary_supply_t"] > 0
    np.testing.assert_allclose(h["outflow_t"], b["outflow_t"])  # same stock, same exits
    ext = run_flows("nh-fl", "lifetime-extension", wh=wh, materials=["neodymium"]).flows
    acc = run_flows("nh-fl", "accelerated-repowering", wh=wh, materials=["neodymium"]).flows

    def wind_out(f: pd.DataFrame) -> float:
        sel = (f["area_type"] == "region") & f["asset_class"].str.startswith("wind") & (f["variable"] == "outflow")
        return float(f.loc[sel, "value"].sum())

    b_nd = base.flows[base.flows["material"] == "neodymium"]
    assert wind_out(ext) < wind_out(b_nd) < wind_out(acc)


def test_monte_carlo_is_seeded_and_brackets(wh: Warehouse) -> None:
    a = run_flows("nh-fl", "baseline", wh=wh, materials=["neodymium", "copper"], n_draws=300, seed=3)
    b = run_flows("nh-fl", "baseline", wh=wh, materials=["neodymium", "copper"], n_draws=300, seed=3)
    pd.testing.assert_frame_equal(a.flows, b.flows)
    f = a.flows[(a.flows["area_type"] == "region") & (a.flows["asset_class"] == "all")]
    w = f.pivot_table(index=["material", "year"], columns="variable", values="value")
    assert (w["outflow_p05"] <= w["outflow_p95"] + 1e-12).all()
    assert (w["recovered_p05"] <= w["recovered_p95"] + 1e-12).all()
    s = a.summary.set_index("material")
    assert (s["secondary_supply_p05_t"] <= s["secondary_supply_p95_t"]).all()
    assert a.sampled and any("intensities" in x for x in a.sampled) and any("recovery" in x for x in a.sampled)
    assert s.loc["neodymium", "outflow_p05_t"] < s.loc["neodymium", "outflow_p95_t"]  # lifetimes do vary
    c = run_flows("nh-fl", "baseline", wh=wh, materials=["neodymium"], n_draws=300, seed=4)
    assert not c.summary["outflow_p95_t"].equals(a.summary.loc[a.summary["material"] == "neodymium", "outflow_p95_t"])


def test_bad_input_names_the_value(wh: Warehouse) -> None:
    with pytest.raises(ModelError, match="years out of order: from 2040 is after to 2030"):
        run_flows("nh-fl", "baseline", wh=wh, start=2040, end=2030)
    with pytest.raises(UnknownIdError, match="material 'unobtainium'"):
        run_flows("nh-fl", "baseline", wh=wh, materials=["unobtainium"])
    sc = validate_scenario({"name": "typo", "region": "nh-fl", "pipeline": {"wind-hkw-ix": {"commissioning_year": 2031}}})
    with pytest.raises(ScenarioError, match="pipeline: 'wind-hkw-ix' is not an asset of region 'nh-fl'"):
        run_flows("nh-fl", sc, wh=wh)
    other = validate_scenario({"name": "elsewhere", "region": "zh", "pipeline": {"x-1": {"commissioning_year": 2031}}})
    assert any("x-1" in n for n in run_flows("nh-fl", other, wh=wh, materials=["copper"]).notes)
    sc = validate_scenario({"name": "m", "recovery": {"all": {"kryptonite": 0.5}}})
    with pytest.raises(ScenarioError, match="unknown material 'kryptonite'"):
        run_flows("nh-fl", sc, wh=wh, materials=["copper"])
    # a group id would match no flow (rates are per element) and silently change nothing
    sc = validate_scenario({"name": "g", "recovery": {"all": {"rare_earth_elements_heavy": {2030: 0.7}}}})
    with pytest.raises(ScenarioError, match="'rare_earth_elements_heavy' in pretreatment/recovery is a material "
                                            "group; give the rate per element .*dysprosium"):
        run_flows("nh-fl", sc, wh=wh, materials=["dysprosium"])


def test_pipeline_years_come_from_the_scenario(wh: Warehouse) -> None:
    base = load_scenario("baseline").to_dict()
    base["pipeline"]["wind-ijmuiden-ver-alpha"]["commissioning_year"] = 2035
    moved = run_flows("nh-fl", validate_scenario(base), wh=wh, materials=["neodymium"]).flows
    sel = (moved["area_type"] == "region") & (moved["asset_class"] == "wind_offshore") & (moved["variable"] == "demand_new")
    by_year = moved[sel].set_index("year")["value"]
    assert by_year[2035] > 0 and by_year[2029] == pytest.approx(by_year[2035])  # 2 GW each: alpha moved, beta stays
    base["pipeline"]["wind-ijmuiden-ver-alpha"]["include"] = False
    res = run_flows("nh-fl", validate_scenario(base), wh=wh, materials=["neodymium"])
    assert any("wind-ijmuiden-ver-alpha" in n and "left out" in n for n in res.notes)


# ------------------------------------------------------------------------------------------------- CLI
def _ok(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res.stdout


def test_cli_iamc_loads_in_pyam(db: Path) -> None:
    pyam = pytest.importorskip("pyam")
    out = _ok("flows", "--region", "nh-fl", "--scenario", "baseline", "--material", "Nd", "--format", "iamc",
              "--db", str(db))
    df = pyam.IamDataFrame(pd.read_csv(StringIO(out)))
    assert df.model == ["critmat"] and df.scenario == ["baseline"] and df.region == ["nh-fl"]
    assert "Secondary Supply|Neodymium" in df.variable and sorted(df.unit) == ["share", "t/yr"]
    assert df.year == list(range(2025, 2051))
    assert df.check_aggregate("Secondary Supply|Neodymium") is None  # asset classes add up to the material
    assert df.check_aggregate("Demand|Neodymium") is None


def test_cli_formats(db: Path) -> None:
    table = _ok("flows", "-m", "copper", "--db", str(db))
    assert "End-of-life flows of nh-fl" in table and "copper" in table and "25%" in table
    rows = pd.read_csv(StringIO(_ok("flows", "-m", "lithium", "--from", "2030", "--to", "2032", "--level",
                                    "province", "-f", "csv", "--db", str(db))))
    assert set(rows["year"]) == {2030, 2031, 2032} and set(rows["area_type"]) == {"province"}
    assert set(rows["area"]) == {"PV24", "PV27"}
    doc = json.loads(_ok("flows", "-m", "rare_earth_elements_heavy", "-f", "json", "--db", str(db)))
    assert doc["benchmark"] == 0.25 and {r["material"] for r in doc["summary"]} >= {"dysprosium", "terbium"}
    by_year = _ok("flows", "-m", "Nd", "--by", "year", "--draws", "50", "--seed", "1", "--db", str(db))
    assert "recovered_p95" in by_year and "medians of the draws" in by_year and "recovered_det" in by_year
    assert "wind_offshore" in _ok("flows", "-m", "Nd", "--by", "asset_class", "--db", str(db))


def test_cli_bad_input(db: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["flows", "--from", "2040", "--to", "2030", "--db", str(db)])
    assert res.exit_code != 0 and "from 2040 is after to 2030" in str(res.exception)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrecovery:\n  all: {copper: 1.4}\n", encoding="utf-8")
    res = runner.invoke(app, ["flows", "--scenario", str(bad), "--db", str(db)])
    assert isinstance(res.exception, ScenarioError) and "got 1.4" in str(res.exception)
    res = runner.invoke(app, ["flows", "--level", "street", "--db", str(db)])
    assert res.exit_code == 2 and "street" in res.output


def test_cli_scenario_commands(tmp_path: Path) -> None:
    listed = json.loads(_ok("scenario", "list", "-f", "json"))
    assert [r["name"] for r in listed] == ["accelerated-repowering", "baseline", "high-ambition", "high-recovery",
                                          "lifetime-extension", "slow"]
    shown = _ok("scenario", "show", "high-recovery")
    assert "extends: baseline" in shown and "wind-hkw-vi-2026" in shown
    assert json.loads(_ok("scenario", "show", "baseline", "-f", "json"))["years"] == {"start": 2025, "end": 2050}
    good = tmp_path / "good.yaml"
    good.write_text("name: good\nextends: baseline\nrecovery:\n  all: {copper: {2030: 0.8}}\n", encoding="utf-8")
    res = runner.invoke(app, ["scenario", "validate", str(good)])
    assert res.exit_code == 0 and "valid scenario 'good'" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrecoveryy: {}\n", encoding="utf-8")
    res = runner.invoke(app, ["scenario", "validate", str(bad)])
    assert isinstance(res.exception, ScenarioError) and "unknown key 'recoveryy'" in str(res.exception)


def test_iamc_without_bands_has_no_percentile_scenarios(base) -> None:
    iamc = to_iamc(base.flows[base.flows["material"] == "copper"], {"copper": "Copper"})
    assert list(iamc.columns) == ["model", "scenario", "region", "variable", "unit", "year", "value"]
    assert "Secondary Supply|Copper|Grid Cables" in set(iamc["variable"])
    assert not iamc["variable"].str.contains("p05").any()
    assert set(iamc["region"]) == {"nh-fl", "nh-fl|PV24", "nh-fl|PV27"} | set(
        "nh-fl|" + base.flows.loc[base.flows["area_type"] == "municipality", "area"])


# ------------------------------------------------------------------------------------ population fleets
def test_population_flows_by_hand() -> None:
    """Fleets held at their registered stock: stationary, stepped in at commissioning, or grown from zero."""
    from critmat.models.fleets import population_flows as _population_flows
    from critmat.models.lifetimes import Fixed

    years = np.arange(2025, 2051)
    # stationary: stock = I x sum_a sf(a) = 10 I for Fixed(10) (end-of-year stock holds ages 0..9)
    out, repl, new = _population_flows(500.0, Fixed(10), years, None, None, 2024)
    np.testing.assert_allclose(out, 50.0)
    np.testing.assert_allclose(repl, 50.0)
    assert (new == 0).all()
    # a data centre commissioned in 2030: enters whole, leaves and is replaced 10 years later
    out, repl, new = _population_flows(8.0, Fixed(10), years, 2030.0, None, 2024)
    assert new[years == 2030].item() == 8.0 and new.sum() == 8.0
    assert out[years == 2040].item() == 8.0 and out[years == 2050].item() == 8.0 and out.sum() == 16.0
    np.testing.assert_allclose(repl, out)
    # a fleet grown linearly from zero since 2014 to the registry year 2024, constant after: 1/10 of it
    # entered each year 2015-2024, so from 2025 one tenth leaves (and is replaced) each year
    out, repl, new = _population_flows(1000.0, Fixed(10), years, None, 2014, 2024)
    np.testing.assert_allclose(out, 100.0, atol=1e-9)
    np.testing.assert_allclose(repl, 100.0, atol=1e-9)
    assert (new == 0).all()


def test_every_monte_carlo_central_value_lies_inside_its_band(wh: Warehouse) -> None:
    """The central value of a Monte Carlo result is the median of its draws, inside [p05, p95], for every
    band variable, class, material and year and for the window totals; the deterministic run (mean
    lifetimes) may fall outside and is reported apart (the 2048 Nd case of issue 12)."""
    res = run_flows("nh-fl", "baseline", wh=wh, materials=["neodymium", "steel", "copper", "lithium"],
                    n_draws=200, seed=0)
    f = res.flows[res.flows["area_type"] == "region"]
    w = f.pivot_table(index=["asset_class", "material", "year"], columns="variable", values="value")
    checked = 0
    for v in ("outflow", "reused", "recovered", "lost", "demand", "demand_replacement", "demand_new", "eol_rir"):
        sub = w[[f"{v}_p05", f"{v}_p50", f"{v}_p95"]].dropna()
        tol = 1e-9 * max(1.0, float(sub.abs().max().max()))
        assert (sub[f"{v}_p05"] <= sub[f"{v}_p50"] + tol).all(), v
        assert (sub[f"{v}_p50"] <= sub[f"{v}_p95"] + tol).all(), v
        checked += len(sub)
    assert checked > 1000
    s = res.summary.set_index("material")
    for v in ("secondary_supply", "outflow", "demand", "reused", "lost"):
        assert (s[f"{v}_p05_t"] <= s[f"{v}_p50_t"]).all() and (s[f"{v}_p50_t"] <= s[f"{v}_p95_t"]).all()
    assert (s["eol_rir_p05"] <= s["eol_rir_p50"]).all() and (s["eol_rir_p50"] <= s["eol_rir_p95"]).all()
    # intensities are sampled: steel demand of the fleets varies although their lifetimes are fixed
    assert s.loc["steel", "demand_p05_t"] < s.loc["steel", "demand_p95_t"]
    # the tables show the medians as central values and the deterministic run apart
    from critmat.services.flows import table as _table

    t = _table(res, "material").set_index("material")
    assert t.loc["neodymium", "secondary_supply_t"] == pytest.approx(s.loc["neodymium", "secondary_supply_p50_t"])
    assert t.loc["neodymium", "secondary_supply_det_t"] == pytest.approx(s.loc["neodymium", "secondary_supply_t"])
    assert (t["secondary_supply_p05_t"] <= t["secondary_supply_t"]).all()
    assert (t["secondary_supply_t"] <= t["secondary_supply_p95_t"]).all()


def test_a_recycling_benchmark_that_is_no_share_is_refused_where_it_is_read():
    """The CRMA recycling benchmark is a share: 25 (a percentage typed in) stops the flows model with the
    table's name, before any model runs."""
    import pandas as pd

    from critmat.errors import ModelError
    from critmat.flows import recycling_benchmark
    from critmat.warehouse.access import FrameSource

    def src(v):
        return FrameSource({"crma_benchmarks": pd.DataFrame({"benchmark_stage": ["recycling"], "used": [True],
                                                             "value_share": [v]})})

    assert recycling_benchmark(src(0.25)) == 0.25
    with pytest.raises(ModelError, match="CRMA recycling benchmark: share must be between 0 and 1, got 25"):
        recycling_benchmark(src(25.0))
