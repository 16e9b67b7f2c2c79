"""Loaders of the regional publishers on small fixtures in their formats and on the real copies in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmat.errors import DataError, UnknownIdError
from critmat.loaders import cbs, datacentres, nl_solar_parks, pdok, powerplantmatching

FIX = Path(__file__).parent / "fixtures" / "regional"


def test_cbs_municipality_list_fixture_and_bad_code(tmp_path):
    m = cbs.read_municipalities(FIX / "gemeenten_alfabetisch_2025.csv")
    assert list(m.columns) == ["municipality_code", "municipality_name", "province_code", "province_name"]
    assert m.set_index("municipality_code").loc["GM0599", "province_name"] == "Zuid-Holland"
    bad = tmp_path / "bad.csv"
    bad.write_text((FIX / "gemeenten_alfabetisch_2025.csv").read_text().replace("GM0453", "G0453"))
    with pytest.raises(DataError, match="line 3.*municipality_code"):
        cbs.read_municipalities(bad)


def test_cbs_cars_per_household_and_odata_fixtures():
    c = cbs.read_cars_per_household(FIX / "cars_per_household.csv")
    assert c.set_index("municipality_code")["cars_per_household"].to_dict() == {"GM0363": 0.5, "GM0453": 1.0}
    o = cbs.read_odata(FIX / "cbs_odata_typeddataset.json")
    assert list(o["RegioS"]) == ["PV27", "PV24"]  # CBS pads codes; stripped
    assert "TypedDataSet" in cbs.odata_url("85237NED")
    with pytest.raises(DataError, match="no 'value' array"):
        cbs.read_odata({"rows": []})


def test_pdok_geometry_helpers():
    sq = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}
    assert pdok.centroid(sq) == pytest.approx((1.0, 1.0))
    assert pdok.contains(sq, 1.0, 1.0) and not pdok.contains(sq, 3.0, 1.0)
    holed = {"type": "Polygon", "coordinates": [sq["coordinates"][0], [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]]}
    assert not pdok.contains(holed, 1.0, 1.0) and pdok.contains(holed, 0.2, 0.2)
    url, params = pdok.wfs_params(2025, "gemeente", start=1000)
    assert url.endswith("/2025/wfs/v1_0") and params["startIndex"] == "1000" and params["count"] == "1000"
    with pytest.raises(DataError):
        pdok.wfs_params(2025, "wijk")


def test_pdok_read_and_locate_fixture():
    b = pdok.read_boundaries(FIX / "gemeente_2025.geojson")
    pts = pd.DataFrame({"lat": [52.35, 52.80, 50.0], "lon": [4.90, 5.00, 4.0]})
    assert list(pdok.locate(pts, b)) == ["GM0363", "GM1911", None]


def test_powerplantmatching_fixture_and_missing_column(tmp_path):
    pp = powerplantmatching.read_powerplants(FIX / "powerplants.csv")
    assert len(pp) == 6  # the German row is filtered out
    ren = powerplantmatching.renewables(pp)
    assert set(ren["asset_class"]) == {"wind_onshore", "wind_offshore", "solar_pv"}
    assert ren.set_index("name").loc["Old Harbour Wind Farm", "year_out"] == 2019
    bad = tmp_path / "pp.csv"
    bad.write_text((FIX / "powerplants.csv").read_text().replace("Capacity", "Cap"))
    with pytest.raises(DataError, match="missing column"):
        powerplantmatching.read_powerplants(bad)


def test_datacentres_and_solar_list_fixtures():
    dc = datacentres.read_datacentres(FIX / "datacenters.geojson")
    assert len(dc) == 4 and dc.loc[0, "city"] == "Amsterdam"
    assert datacentres.classify("Cloud Campus", "Microsoft") == "hyperscale"
    assert datacentres.classify("Rekencentrum", "Rabobank") == "enterprise"
    assert datacentres.classify("AMS1", "Equinix") == "colocation"
    sp = nl_solar_parks.read_solar_parks(FIX / "parks_geocoded.csv")
    assert list(sp["name"]) == ["Zonnepark Stadsrand", "Zonnepark Kroonveld"]
    assert len(nl_solar_parks.read_solar_parks(FIX / "parks_geocoded.csv", geocoded_only=False)) == 3


def test_real_files(shared_data):
    m = cbs.read_municipalities(shared_data / "nl_boundaries" / "gemeente_provincie_2025.csv")
    assert len(m) == 342 and (m["province_code"] == "PV27").sum() == 44
    alf = cbs.read_municipalities(shared_data / "nl_boundaries" / "gemeenten_alfabetisch_2023.csv")
    assert set(alf["municipality_code"]) == set(m["municipality_code"])  # codes unchanged 2023-2025
    b = pdok.read_boundaries(shared_data / "nl_boundaries" / "gemeente_2025.geojson")
    assert len(b) == 342
    ams = b.set_index("code").loc["GM0363"]
    assert ams["lat"] == pytest.approx(52.37, abs=0.05) and ams["lon"] == pytest.approx(4.90, abs=0.08)
    prov = pdok.read_boundaries(shared_data / "nl_boundaries" / "provincie_2023.geojson")
    assert set(prov["code"]) == {f"PV{i}" for i in range(20, 32)}
    pp = powerplantmatching.read_powerplants(shared_data / "powerplantmatching" / "powerplants_v0.6.0_NL.csv")
    assert len(pp) == 448
    assert pp["asset_class"].value_counts().to_dict() == {"solar_pv": 221, "wind_onshore": 129, "wind_offshore": 18}
    full = shared_data / "powerplantmatching" / "powerplants_v0.6.0.csv"
    assert powerplantmatching.fetch_powerplants.__doc__ and pdok._sha256(full) == powerplantmatching.SHA256_V060
    dc = datacentres.read_datacentres(shared_data / "nl_datacenters" / "nl_datacenters_2020.geojson")
    assert len(dc) == 191 and (dc["owner"].str.contains("Microsoft")).sum() >= 1
    sp = nl_solar_parks.read_solar_parks(shared_data / "nl_solar_parks" / "nl_solar_parks_geocoded.csv")
    assert len(sp) == 375 - 57
    cars = cbs.read_cars_per_household(shared_data / "nl_vehicles" / "cbs_personenautos_per_huishouden_gemeente_2023.csv")
    assert len(cars) == 342 and cars["cars_per_household"].between(0.2, 2.5).all()


def test_cli_assets_and_region_show():
    import json

    from critmat.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["assets", "--region", "nh-fl", "--class", "wind", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {r["asset_class"] for r in rows} == {"wind_onshore", "wind_offshore"} and "note" in rows[0]
    res = runner.invoke(app, ["assets", "--class", "vehicles", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.count("\n") == 1 + 50 * 4  # header + 50 municipalities x 4 drivetrains
    res = runner.invoke(app, ["region", "show", "nh-fl", "--table", "municipalities", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.count("\n") == 51
    res = runner.invoke(app, ["region", "list", "--format", "json"])
    assert "nh-fl" in res.stdout
    res = runner.invoke(app, ["assets", "--class", "nuclear"])
    assert isinstance(res.exception, UnknownIdError)


def test_cli_region_build(tmp_path):
    from critmat.cli import app

    res = CliRunner().invoke(app, ["region", "build", "--province", "Noord-Holland", "--from", str(FIX),
                                   "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert "built pv27" in res.stdout and (tmp_path / "p" / "region.yaml").is_file()
