"""`critmat risk` and `critmat disrupt` through CliRunner on critmat.cli.app, on a warehouse built once."""

from __future__ import annotations

import json
import sys
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmat.cli import app, main
from critmat.errors import ModelError, ScenarioError, UnknownIdError

runner = CliRunner()


@pytest.fixture(scope="session")
def risk_db(warehouse_db: Path) -> Path:
    return warehouse_db


def _table(db: Path, name: str) -> pd.DataFrame:
    from critmat.warehouse import Warehouse

    with Warehouse(db) as wh:
        return wh.table(name)


@pytest.fixture(scope="session")
def supply(risk_db: Path) -> pd.DataFrame:
    return _table(risk_db, "supply_shares")


def _share(supply: pd.DataFrame, material: str, stage: str, scope: str, country: str) -> float:
    s = supply[(supply.material_id == material) & (supply.stage == stage) & (supply.scope == scope)
               & (supply.country_iso3 == country)]
    return float(s["share"].sum())


def _json(*args: str) -> dict | list:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return json.loads(res.stdout)


def test_risk_table_of_all_materials(risk_db: Path) -> None:
    out = _json("risk", "--db", str(risk_db), "--on", "2025-06-01", "-f", "json")
    mats = {r["material_id"]: r for r in out["materials"]}
    assert len(mats) > 40
    ga = mats["gallium"]
    assert ga["sr"] == 3.9 and ga["china_processing"] > 0.9 and ga["crma_exceeds"] is True
    assert ga["controls_active"] >= 1 and "chn-2023-023" in ga["control_ids"]
    dy = mats["dysprosium"]
    stage_sr = _table(risk_db, "supply_risk_inputs")
    assert dy["sr"] == stage_sr.loc[stage_sr.material_id == "dysprosium", "supply_risk_stage"].max()
    assert "stage SR" in dy["sr_basis"] and "chn-2025-018" in dy["control_ids"]
    # before the April 2025 controls, dysprosium had none in force that applies to NLD
    before = {r["material_id"]: r for r in _json("risk", "--db", str(risk_db), "--on", "2025-01-01",
                                                 "-f", "json")["materials"]}
    assert before["dysprosium"]["controls_active"] == 0
    srs = [r["sr"] for r in out["materials"] if r["sr"] is not None]
    assert srs == sorted(srs, reverse=True)


def test_risk_material_stage_and_csv(risk_db: Path) -> None:
    text = runner.invoke(app, ["risk", "-m", "Ga", "--stage", "processing", "--db", str(risk_db), "-f", "csv"]).stdout
    df = pd.read_csv(StringIO(text))
    assert list(df["material_id"]) == ["gallium"]
    assert "hhi_processing" in df.columns and "hhi_extraction" not in df.columns
    table = runner.invoke(app, ["risk", "--top", "5", "--db", str(risk_db)])
    assert table.exit_code == 0 and "Supply risk of 5 materials" in table.stdout


def test_risk_region_exposure_sections(risk_db: Path) -> None:
    out = _json("risk", "--region", "nh-fl", "--top", "10", "--on", "2026-11-27", "--db", str(risk_db), "-f", "json")
    assert {"materials", "asset_classes", "goods_categories", "companies", "projects_under_controls",
            "lifetimes"} <= set(out)
    mats = out["materials"]
    assert len(mats) == 10 and [m["rank"] for m in mats] == sorted(m["rank"] for m in mats)
    for m in mats:
        assert m["exposure_score"] == pytest.approx(m["need_t_per_yr"] * m["sr"])
        assert m["need_t_per_yr"] == pytest.approx(m["replacement_t_per_yr"] + m["pipeline_t_per_yr"])
    assert out["horizon_years"][0] == 2026 and len(out["horizon_years"]) == 10
    classes = {c["asset_class"] for c in out["asset_classes"]}
    assert {"wind_offshore", "vehicle", "solar_pv"} <= classes
    assert out["goods_categories"][0]["goods_category_id"] == "automotive_products"
    # the IJmuiden Ver pipeline holds dysprosium under the April 2025 controls
    proj = [p for p in out["projects_under_controls"] if p["material"] == "dysprosium"]
    assert {"wind-ijmuiden-ver-alpha", "wind-ijmuiden-ver-beta"} <= {p["asset_id"] for p in proj}
    assert all("chn-2025-018" in p["control_ids"] for p in proj)
    table = runner.invoke(app, ["risk", "--region", "nh-fl", "--top", "3", "--db", str(risk_db)])
    assert table.exit_code == 0 and "Exposure of nh-fl by material" in table.stdout


def test_disrupt_bundled_april_2025(risk_db: Path, supply: pd.DataFrame) -> None:
    out = _json("disrupt", "ree-april-2025", "--region", "nh-fl", "--db", str(risk_db), "-f", "json")
    assert out["shock"]["id"] == "ree-april-2025" and set(out["year_fraction"]) == {"2025"}
    sup = {r["material_id"]: r for r in out["supply"]}
    w = out["shock"]["share"]
    for m in ("dysprosium", "samarium", "scandium"):
        assert sup[m]["world_lost_share"] == pytest.approx(_share(supply, m, "processing", "global", "CHN") * w)
    aff = pd.DataFrame(out["affected_need"])
    assert {"dysprosium", "terbium"} <= set(aff["material"]) and (aff["affected_t"] > 0).all()
    f = out["year_fraction"]["2025"]
    for r in out["affected_need"]:
        assert r["affected_t"] == pytest.approx(r["need_t"] * r["lost_share"] * f)
    assert out["totals"]["affected_t"] == pytest.approx(aff["affected_t"].sum())
    si = _table(risk_db, "supply_risk_inputs").query("stage == 'processing'").set_index("material_id")["si_sr"]
    for m in out["mitigations"]:
        assert m["substitution"].startswith(f"SI_SR {si[m['material']]:.2f}")
        assert m["residual_t"] == pytest.approx(m["affected_t"] - m["alternative_t"] - m["secondary_t"])
    dy = next(m for m in out["mitigations"] if m["material"] == "dysprosium")
    assert 0 < dy["secondary_t"] <= dy["secondary_available_t"]
    assert "wind-hkw-vi-2026" in {p["asset_id"] for p in out["projects"]}


def test_disrupt_options_and_share_zero(risk_db: Path, supply: pd.DataFrame) -> None:
    args = ["disrupt", "-m", "heavy rare earths", "-c", "CHN", "--start", "2027-01-01", "--months", "12",
            "--region", "nh-fl", "--db", str(risk_db), "-f", "json"]
    full = _json(*args)
    assert full["totals"]["affected_t"] > 0 and "dysprosium" in full["materials"]
    zero = _json(*args, "--share", "0")
    assert zero["totals"] == {"affected_t": 0.0, "alternative_t": 0.0, "secondary_t": 0.0, "residual_t": 0.0}
    assert all(r["world_lost_share"] == 0 for r in zero["supply"]) and zero["companies"] == []
    us = _json("disrupt", "-m", "gallium", "-c", "CHN", "-d", "USA", "--db", str(risk_db), "-f", "json")
    assert us["supply"][0]["eu_lost_share"] == 0
    ga_chn = _share(supply, "gallium", "processing", "global", "CHN")
    assert us["supply"][0]["world_lost_share"] == pytest.approx(ga_chn)
    csv = pd.read_csv(StringIO(runner.invoke(app, ["disrupt", "ga-ge-2023", "--db", str(risk_db), "-f", "csv"]).stdout))
    assert set(csv["material_id"]) == {"gallium", "germanium"}
    listing = runner.invoke(app, ["disrupt", "--list", "-f", "csv"])
    assert "china-ree-processing-ban-12m" in listing.stdout


@pytest.mark.parametrize(("args", "exc", "needle"), [
    (["disrupt", "-m", "unobtainium", "-c", "CHN"], ScenarioError, "'unobtainium': unknown material"),
    (["disrupt", "-m", "gallium", "-c", "XYZ"], ScenarioError, "key 'country' = 'XYZ'"),
    (["disrupt", "-m", "gallium", "-c", "CHN", "--share", "1.5"], ScenarioError, "key 'share' = 1.5"),
    (["disrupt", "-m", "gallium", "-c", "CHN", "--months", "-1"], ScenarioError, "key 'months' = -1"),
    (["disrupt", "-m", "gallium", "-c", "CHN", "--stage", "refining"], ScenarioError, "key 'stage' = 'refining'"),
    (["disrupt", "atlantis"], ScenarioError, "unknown shock 'atlantis'"),
    (["disrupt", "-c", "CHN"], ScenarioError, "missing key 'materials'"),
    (["risk", "--stage", "refining"], ModelError, "unknown stage 'refining'"),
    (["risk", "-m", "unobtainium"], UnknownIdError, "unknown material 'unobtainium'"),
])
def test_bad_input_is_one_clear_error(risk_db: Path, args: list[str], exc: type, needle: str,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    full = [*args, "--db", str(risk_db)]
    res = runner.invoke(app, full)  # on the Typer app the critmat error propagates
    assert isinstance(res.exception, exc) and needle in str(res.exception)
    monkeypatch.setattr(sys, "argv", ["critmat", *full])  # the entry point turns it into exit code 2
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and needle.split("'")[1] in err and "Traceback" not in err



def test_risk_region_sort_by_sr_lists_only_held_materials_in_sr_order(risk_db: Path) -> None:
    res = CliRunner().invoke(app, ["risk", "--region", "nh-fl", "--sort", "sr", "--db", str(risk_db), "-f", "csv"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(StringIO(res.stdout))
    assert ((df.stock_t > 0) | (df.need_t_per_yr > 0)).all()
    sr = df.sr.dropna().to_numpy()
    assert (sr[:-1] >= sr[1:]).all() and len(sr) > 5
    bad = CliRunner().invoke(app, ["risk", "--region", "nh-fl", "--sort", "price", "--db", str(risk_db)])
    assert bad.exit_code != 0 and "--sort 'price'" in str(bad.exception)
