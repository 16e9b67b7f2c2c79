"""Export (CSV, Parquet, GeoPackage) and the `critmat stock` / `critmat export` commands on inline inputs."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

import critmat.stock as stock_mod
from critmat.cli import app
from critmat.errors import CritmatError, DataError
from critmat.export import export_region, point_wkb
from critmat.intensities import load_intensities
from critmat.models import inventory as inv

runner = CliRunner()


def _assets() -> pd.DataFrame:
    rows = [
        ("wind-a", "nh-fl", "wind_onshore", "wind_gb_dfig", "operational", 2008, 30.0, None, 10, "GM0034", "PV24",
         52.45, 5.35, None),
        ("wind-b", "nh-fl", "wind_offshore", "wind_dd_pmsg", "operational", 2023, 759.0, None, 69, "GM0373", "PV27",
         52.70, 4.40, None),
        ("solar-a", "nh-fl", "solar_pv", "pv_csi", "under_construction", 2024, 40.0, None, None, "GM0363", "PV27",
         52.35, 4.90, None),
        ("solar-b", "nh-fl", "solar_pv", "pv_csi", "planned", 2027, 90.0, None, None, "GM0363", "PV27",
         52.36, 4.91, None),
        ("dc-a", "nh-fl", "datacentre", "datacentre_generic", "operational", 2019, None, None, None, "GM0363",
         "PV27", 52.30, 4.94, "colocation"),
        ("cars-bev", "nh-fl", "vehicle", "car_bev", "operational", None, None, None, 15000, "GM0363", "PV27",
         None, None, None),
        ("grid-mv", "nh-fl", "grid_cable", "cable_mv", "operational", None, None, None, None, None, "PV24",
         None, None, None),
    ]
    df = pd.DataFrame(rows, columns=inv.ASSET_COLUMNS + ["lat", "lon", "datacentre_type"])
    df["length_km"] = df["length_km"].astype(float)
    df.loc[df["asset_id"] == "grid-mv", "length_km"] = 5000.0
    return df


@pytest.fixture(scope="module")
def inputs() -> stock_mod.StockInputs:
    techs, ints = load_intensities()
    mun = pd.DataFrame({"municipality_code": ["GM0034", "GM0373", "GM0363"],
                        "municipality_name": ["Almere", "Bergen (NH.)", "Amsterdam"],
                        "province_code": ["PV24", "PV27", "PV27"]})
    groups = {"rare_earth_elements_light": ["neodymium", "praseodymium"],
              "rare_earth_elements_heavy": ["dysprosium", "terbium"],
              "platinum_group_metals": ["platinum", "palladium", "rhodium"]}
    return stock_mod.StockInputs("nh-fl", stock_mod.fill_datacentre_capacity(_assets()), mun, techs, ints, groups)


@pytest.fixture
def patched(monkeypatch, inputs):
    monkeypatch.setattr(stock_mod, "load_inputs", lambda region="nh-fl", groups=None: inputs)
    return inputs


def test_datacentre_capacity_imputed_by_type(inputs):
    dc = inputs.assets.set_index("asset_id").loc["dc-a"]
    assert dc["capacity_mw"] == stock_mod.DATACENTRE_MW_BY_TYPE["colocation"] and dc["capacity_imputed"]


def test_regional_stock_with_bundled_intensities(inputs):
    res = stock_mod.regional_stock(inputs, n_draws=300, seed=5)
    by_mat = stock_mod.summarize(res, "material")
    nd = by_mat.set_index("material").loc["neodymium"]
    assert nd["low_t"] <= nd["mass_t"] <= nd["high_t"]
    # DD-PMSG 759 MW x 180 kg + DFIG 30 MW x 12 kg + 15,000 BEV x 0.36 kg
    assert nd["mass_t"] == pytest.approx((759 * 180 + 30 * 12 + 15000 * 0.36) / 1000)
    assert "rare_earth_elements_light" in set(by_mat["material"])
    by_muni = stock_mod.summarize(res, "municipality", municipalities=inputs.municipalities)
    assert "(unallocated: PV24)" in set(by_muni["name"])
    with pytest.raises(CritmatError, match="unknown --by"):
        stock_mod.summarize(res, "planet")
    with pytest.raises(CritmatError, match="material 'unobtainium'"):
        stock_mod.summarize(res, "material", material="unobtainium")


def test_cli_stock_json_rows(patched):
    r = runner.invoke(app, ["stock", "--region", "nh-fl", "--by", "material", "--draws", "200", "--seed", "1",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows and {"material", "mass_t", "low_t", "high_t"} <= set(rows[0])
    masses = [x["mass_t"] for x in rows]
    assert masses == sorted(masses, reverse=True)
    again = json.loads(runner.invoke(app, ["stock", "--draws", "200", "--seed", "1", "--format", "json"]).stdout)
    assert again == rows  # same seed, same numbers


def test_cli_stock_by_class_csv_and_material_filter(patched):
    r = runner.invoke(app, ["stock", "--by", "asset_class", "--material", "silver", "--draws", "50",
                            "--format", "csv"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "asset_class,material,mass_t,median_t,low_t,high_t"
    assert {ln.split(",")[0] for ln in lines[1:]} == {"solar_pv", "datacentre"}
    r = runner.invoke(app, ["stock", "--pipeline", "--draws", "0", "--format", "json"])
    assert {x["material"] for x in json.loads(r.stdout)} >= {"silver", "silicon_metal"}


def test_export_writes_csv_parquet_gpkg(tmp_path, inputs):
    res = stock_mod.regional_stock(inputs, n_draws=50)
    paths = export_region(tmp_path / "out", "nh-fl", inputs.assets, res)
    names = sorted(p.name for p in paths)
    assert names == ["nh-fl_assets.csv", "nh-fl_assets.gpkg", "nh-fl_assets.parquet", "nh-fl_stock.csv",
                     "nh-fl_stock.parquet"]
    back = pd.read_parquet(tmp_path / "out" / "nh-fl_stock.parquet")
    pd.testing.assert_frame_equal(back.reset_index(drop=True), res.reset_index(drop=True), check_dtype=False)
    assert len(pd.read_csv(tmp_path / "out" / "nh-fl_assets.csv")) == len(inputs.assets)
    pyogrio = pytest.importorskip("pyogrio")
    info = pyogrio.read_info(tmp_path / "out" / "nh-fl_assets.gpkg")
    assert info["features"] == int(inputs.assets["lat"].notna().sum())
    assert info["geometry_type"] == "Point" and "4326" in info["crs"]
    _, _, geom, fields = pyogrio.raw.read(tmp_path / "out" / "nh-fl_assets.gpkg")
    assert "asset_id" in list(info["fields"])
    assert list(fields[0]) == list(inputs.assets.loc[inputs.assets["lat"].notna(), "asset_id"])
    assert bytes(geom[0])[-16:] == point_wkb(5.35, 52.45)[-16:]


def test_export_without_pyogrio_fails_before_writing(tmp_path, inputs, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyogrio", None)
    monkeypatch.setitem(sys.modules, "pyogrio.raw", None)
    res = stock_mod.regional_stock(inputs, n_draws=0)
    with pytest.raises(CritmatError, match="pyogrio"):
        export_region(tmp_path / "out", "nh-fl", inputs.assets, res)
    assert not (tmp_path / "out").exists()
    paths = export_region(tmp_path / "out", "nh-fl", inputs.assets, res, geopackage=False)
    assert len(paths) == 4


def test_export_bad_target_and_no_coordinates(tmp_path, inputs):
    f = tmp_path / "file.txt"
    f.write_text("x", encoding="utf-8")
    res = stock_mod.regional_stock(inputs, n_draws=0)
    with pytest.raises(DataError, match="not a folder"):
        export_region(f, "nh-fl", inputs.assets, res)
    with pytest.raises(DataError, match="no asset has coordinates"):
        export_region(tmp_path / "o2", "nh-fl", inputs.assets.assign(lat=None, lon=None), res)
    assert not (tmp_path / "o2").exists()


def test_cli_export(patched, tmp_path):
    r = runner.invoke(app, ["export", "--region", "nh-fl", "--to", str(tmp_path / "x"), "--draws", "20"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "x" / "nh-fl_stock.csv").is_file()
    assert len(r.stdout.strip().splitlines()) == 5


def test_assets_without_quantity_are_set_aside(inputs):
    a = inputs.assets.copy()
    a.loc[a["asset_id"] == "solar-a", "capacity_mw"] = None
    usable, excluded = stock_mod.split_missing_quantity(a, inputs.technologies)
    assert list(excluded["asset_id"]) == ["solar-a"] and "solar-a" not in set(usable["asset_id"])


def test_bundled_region_stock_integrates():
    """The bundled nh-fl pack through the whole chain: parts sum to the whole (checked inside), intervals."""
    from critmat.paths import bundled_data

    if not (bundled_data() / "regions" / "nh-fl" / "assets.csv").is_file():
        pytest.skip("region pack nh-fl has no assets yet")
    inp = stock_mod.load_inputs("nh-fl")
    res = stock_mod.regional_stock(inp, n_draws=100, seed=0)
    w = stock_mod.summarize(res, "material")
    assert (w["low_t"] <= w["high_t"]).all() and (w["mass_t"] > 0).all()
    assert {"neodymium", "copper", "lithium"} <= set(w["material"])
