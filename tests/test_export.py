"""Export (a Frictionless data package: CSV, Parquet, GeoPackage) and the `critmat stock` / `critmat export`
commands on inline inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import critmat.stock as stock_mod
from critmat.cli import app
from critmat.errors import CritmatError, DataError
from critmat.export import export_package, export_region, point_wkb
from critmat.build.intensities import load_intensities
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
    df["source_id"] = "ppm_v060"
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
    """The CLI's stock service on the small frames above instead of the warehouse's nh-fl (memo emptied
    before and after, so no answer crosses between the two)."""
    from critmat.services import context
    from critmat.services import stock as service

    context.clear()
    monkeypatch.setattr(service, "inputs", lambda wh, region="nh-fl", scale=False: inputs)
    yield inputs
    context.clear()


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
    assert {ln.split(",")[0] for ln in lines[1:]} == {"solar_pv", "datacentre", "vehicle"}  # cars: Widmer et al. 2015
    r = runner.invoke(app, ["stock", "--pipeline", "--draws", "0", "--format", "json"])
    assert {x["material"] for x in json.loads(r.stdout)} >= {"silver", "silicon_metal"}


BOUNDARIES = pd.DataFrame({
    "region_id": ["nh-fl"] * 4,
    "area_code": ["GM0034", "GM0363", "PV24", "PV27"],
    "area_type": ["municipality", "municipality", "province", "province"],
    "name": ["Almere", "Amsterdam", "Flevoland", "Noord-Holland"],
    "province_code": ["PV24", "PV27", "PV24", "PV27"],
    "geometry_wkt": ["POLYGON ((5.1 52.3, 5.4 52.3, 5.4 52.5, 5.1 52.5, 5.1 52.3))",
                     "POLYGON ((4.7 52.3, 5.0 52.3, 5.0 52.4, 4.7 52.4, 4.7 52.3))",
                     "MULTIPOLYGON (((5.1 52.3, 5.9 52.3, 5.9 52.8, 5.1 52.8, 5.1 52.3)))",
                     None],
    "source_id": ["cbs_gebiedsindelingen"] * 4})


def _export(out, inputs, n_draws=50, **kw):
    from critmat.catalog.package import sources_frame
    from critmat.export import stock_input_frames
    from critmat.regions import reference_frames

    res = stock_mod.regional_stock(inputs, n_draws=n_draws)
    frames = {**stock_input_frames(inputs, reference_frames()["materials"], sources_frame()), **kw}
    return res, export_package(out, "nh-fl", stock=res, assets=inputs.assets, build_id="build-x", **frames)


def _frictionless(dp: Path) -> dict:
    exe = Path(sys.executable).with_name("frictionless")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "frictionless"]
    out = subprocess.run(cmd + ["validate", "--json", str(dp)], capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout)


def _error_types(report: dict) -> set[str]:
    return {e["type"] for t in report["tasks"] for e in t["errors"]} | {e["type"] for e in report.get("errors", [])}


@pytest.fixture(scope="module")
def exported(tmp_path_factory, inputs):
    out = tmp_path_factory.mktemp("exp") / "pkg"
    pytest.importorskip("pyogrio")
    res, paths = _export(out, inputs, boundaries=BOUNDARIES if _has_shapely() else None)
    return out, res, paths


def _has_shapely() -> bool:
    try:
        import shapely  # noqa: F401
    except ImportError:
        return False
    return True


def test_exported_package_is_valid_for_frictionless(exported):
    out, _, _ = exported
    report = _frictionless(out / "datapackage.json")
    assert report["valid"], _error_types(report)
    desc = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    fks = {r["name"]: r["schema"].get("foreignKeys", []) for r in desc["resources"] if "schema" in r}
    assert {"fields": ["material"], "reference": {"resource": "materials", "fields": ["material_id"]}} in fks["stock"]
    assert {"fields": ["area_type", "area"], "reference": {"resource": "areas",
                                                         "fields": ["area_type", "area_code"]}} in fks["stock"]
    assert {"fields": ["asset_id"], "reference": {"resource": "assets", "fields": ["asset_id"]}} in fks["asset_stock"]
    assert {"fields": ["source_id"], "reference": {"resource": "sources", "fields": ["source_id"]}} in fks["assets"]
    assert desc["critmat:build_id"] == "build-x"


def test_broken_foreign_key_makes_export_invalid(exported, tmp_path):
    out, _, _ = exported
    copy = tmp_path / "broken"
    shutil.copytree(out, copy)
    mats = pd.read_csv(copy / "materials.csv", dtype=str, keep_default_na=False)
    mats[mats["material_id"] != "neodymium"].to_csv(copy / "materials.csv", index=False, lineterminator="\n")
    desc = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    for r in desc["resources"]:
        if r["name"] == "materials":  # the file changed on purpose: only the broken link should be reported
            r.pop("bytes"), r.pop("hash")
    (copy / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    report = _frictionless(copy / "datapackage.json")
    assert not report["valid"] and _error_types(report) == {"foreign-key"}


def test_export_refuses_to_write_a_broken_link(tmp_path, inputs):
    from critmat.regions import reference_frames

    mats = reference_frames()["materials"]
    with pytest.raises(DataError, match="'material': 'neodymium'.* not in materials"):
        _export(tmp_path / "o", inputs, n_draws=0, materials=mats[mats["material_id"] != "neodymium"])
    assert not (tmp_path / "o").exists()


def test_levels_tell_totals_from_parts(exported):
    out, res, _ = exported
    st = pd.read_csv(out / "stock.csv")
    assert len(st) == len(res)  # every row of the model
    assert ((st["asset_class"] == "all") == (st["asset_class_level"] == "all")).all()
    assert set(st.loc[st["material_level"] == "group", "material"]) == {
        "rare_earth_elements_light", "rare_earth_elements_heavy", "platinum_group_metals"} & set(st["material"])
    m = st[(st["area_type"] == "region") & (st["variable"] == "mass_t") & (st["material_level"] == "material")]
    parts = m[m["asset_class_level"] == "asset_class"].groupby("material")["value"].sum()
    total = m[m["asset_class_level"] == "all"].set_index("material")["value"]
    pd.testing.assert_series_equal(parts.sort_index(), total.sort_index(), check_names=False)
    assert "neodymium" in set(m["material"]) and "rare_earth_elements_light" not in set(m["material"])


def test_no_asset_dropped_and_parquet_describes_columns(exported, inputs):
    import pyarrow.parquet as pq

    out, _, _ = exported
    assets = pd.read_csv(out / "assets.csv")
    n_all = len(inputs.assets) + len(inputs.excluded if inputs.excluded is not None else [])
    assert len(assets) == n_all and assets["counted"].all() == (n_all == len(inputs.assets))
    back = pd.read_parquet(out / "stock.parquet")
    assert len(back) == len(pd.read_csv(out / "stock.csv"))
    schema = pq.read_schema(out / "stock.parquet")
    assert schema.field("value").metadata[b"unit"] == b"t"
    assert schema.field("value").metadata[b"build_id"] == b"build-x"
    assert b"inventory" in schema.field("value").metadata[b"source"]
    a = pq.read_schema(out / "assets.parquet")
    assert a.field("capacity_mw").metadata[b"unit"] == b"MW"
    assert a.field("status").metadata[b"source"] == b"rows: source_id"
    assert schema.metadata[b"critmat:build_id"] == b"build-x"


def test_geopackage_holds_every_asset_with_tonnes(exported, inputs):
    pyogrio = pytest.importorskip("pyogrio")
    out, _, _ = exported
    gpkg = out / "nh-fl.gpkg"
    info = pyogrio.read_info(gpkg, layer="assets")
    assert info["features"] == len(pd.read_csv(out / "assets.csv"))  # also the assets without coordinates
    assert info["geometry_type"] == "Point" and "4326" in info["crs"]
    _, _, geom, fields = pyogrio.raw.read(gpkg, layer="assets")
    names = list(info["fields"])
    ids = list(fields[names.index("asset_id")])
    assert bytes(geom[ids.index("wind-a")])[-16:] == point_wkb(5.35, 52.45)[-16:]
    assert geom[ids.index("cars-bev")] is None  # no coordinates: kept, without a point
    nd = fields[names.index("t_neodymium")]
    assert nd[ids.index("wind-b")] == pytest.approx(759 * 180 / 1000)


def test_geopackage_polygons_where_boundaries_are_loaded(exported):
    pyogrio = pytest.importorskip("pyogrio")
    pytest.importorskip("shapely")
    out, res, _ = exported
    layers = dict(pyogrio.list_layers(out / "nh-fl.gpkg"))
    assert set(layers) == {"assets", "municipalities", "provinces"}
    info = pyogrio.read_info(out / "nh-fl.gpkg", layer="municipalities")
    assert info["features"] == 2 and "t_neodymium" in list(info["fields"])
    _, _, geom, fields = pyogrio.raw.read(out / "nh-fl.gpkg", layer="provinces")
    assert len(geom) == 2 and geom[1] is None  # a province without a polygon stays, without geometry
    areas = pd.read_csv(out / "areas.csv", keep_default_na=False)
    assert set(areas.loc[areas["has_polygon"], "area_code"]) == {"GM0034", "GM0363", "PV24"}


def test_export_without_boundaries_says_so(tmp_path, inputs):
    pyogrio = pytest.importorskip("pyogrio")
    _export(tmp_path / "o", inputs, n_draws=0)
    assert [n for n, _ in pyogrio.list_layers(tmp_path / "o" / "nh-fl.gpkg")] == ["assets"]
    desc = json.loads((tmp_path / "o" / "datapackage.json").read_text(encoding="utf-8"))
    assert "no boundary polygons" in desc["description"]


def test_export_without_pyogrio_fails_before_writing(tmp_path, inputs, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyogrio", None)
    monkeypatch.setitem(sys.modules, "pyogrio.raw", None)
    with pytest.raises(CritmatError, match="pyogrio"):
        _export(tmp_path / "out", inputs, n_draws=0)
    assert not (tmp_path / "out").exists()
    _, paths = _export(tmp_path / "out", inputs, n_draws=0, geopackage=False)
    assert not any(p.suffix == ".gpkg" for p in paths) and (tmp_path / "out" / "datapackage.json").is_file()


def test_minimal_export_from_stock_and_assets_is_valid(tmp_path, inputs):
    """What a service without the reference frames can call: still a valid package, links between its tables."""
    import frictionless as fl

    res = stock_mod.regional_stock(inputs, n_draws=0, pipeline=True).assign(pipeline=True)
    export_region(tmp_path / "m", "nh-fl", inputs.assets, res, geopackage=False)
    report = fl.Package(str(tmp_path / "m" / "datapackage.json")).validate()
    assert report.valid, [e.note for t in report.tasks for e in t.errors][:3]
    areas = pd.read_csv(tmp_path / "m" / "areas.csv")
    assert set(inputs.assets["municipality_code"].dropna()) <= set(areas["area_code"])


def test_export_bad_target(tmp_path, inputs):
    f = tmp_path / "file.txt"
    f.write_text("x", encoding="utf-8")
    res = stock_mod.regional_stock(inputs, n_draws=0)
    with pytest.raises(DataError, match="not a folder"):
        export_region(f, "nh-fl", inputs.assets, res)


def test_cli_export(patched, tmp_path):
    r = runner.invoke(app, ["export", "--region", "nh-fl", "--to", str(tmp_path / "x"), "--draws", "20"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "x" / "stock.csv").is_file() and (tmp_path / "x" / "datapackage.json").is_file()
    desc = json.loads((tmp_path / "x" / "datapackage.json").read_text(encoding="utf-8"))
    assert len(desc["critmat:build_id"]) == 64 and desc["critmat:params"] == {"draws": 20, "seed": 0}
    written = [p for p in (tmp_path / "x").iterdir() if not p.name.startswith(".")]  # the marker is hidden
    assert len(r.stdout.strip().splitlines()) == len(written)


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


def test_cli_export_of_the_bundled_pack_is_valid(tmp_path):
    """The real nh-fl pack end to end: every asset kept, polygons where the pack has boundaries, VALID."""
    import frictionless as fl

    from critmat.regions import load_region

    pytest.importorskip("pyogrio")
    reg = load_region("nh-fl")
    r = runner.invoke(app, ["export", "--region", "nh-fl", "--to", str(tmp_path / "nh"), "--draws", "0"])
    assert r.exit_code == 0, r.output
    report = fl.Package(str(tmp_path / "nh" / "datapackage.json")).validate()
    assert report.valid, [(t.name, e.type, e.note) for t in report.tasks for e in t.errors][:3]
    assert len(pd.read_csv(tmp_path / "nh" / "assets.csv")) == len(reg.table("assets"))
    if "boundaries" in reg.tables and _has_shapely():
        import pyogrio

        layers = {n for n, _ in pyogrio.list_layers(tmp_path / "nh" / "nh-fl.gpkg")}
        assert {"assets", "municipalities", "provinces"} <= layers


def test_export_refuses_a_folder_it_did_not_write(patched, tmp_path) -> None:
    """An export never overwrites files critmat did not write (marker file); its own it may replace."""
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "stock.csv").write_text("my own work\n")
    r = runner.invoke(app, ["export", "--region", "nh-fl", "--to", str(mine), "--draws", "0"])
    assert r.exit_code != 0 and "not written by critmat" in str(r.exception)
    assert (mine / "stock.csv").read_text() == "my own work\n"
