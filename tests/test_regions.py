"""Region packs: the bundled nh-fl pack, its regional rules, counts against the HCSS report, build and boundaries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from critmat import regions
from critmat.catalog.package import descriptor, read_spec
from critmat.catalog.sources import source_registry
from critmat.errors import CritmatError, DataError, RegionError, UnknownIdError

FIX = Path(__file__).parent / "fixtures" / "regional"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NHFL = regions.bundled_regions_dir() / "nh-fl"


@pytest.fixture(scope="module")
def nhfl() -> regions.Region:
    return regions.load_region("nh-fl")


def test_bundled_pack_loads_with_all_municipalities(nhfl):
    mun = nhfl.table("municipalities")
    assert nhfl.config.provinces == ("PV27", "PV24")
    assert mun["province_code"].value_counts().to_dict() == {"PV27": 44, "PV24": 6}
    assert {"GM0363", "GM0034", "GM0050", "GM1911", "GM1980"} <= set(mun["municipality_code"])
    assert mun["lat"].between(52.0, 53.2).all() and mun["lon"].between(4.5, 6.0).all()


def test_datapackage_json_in_sync():
    on_disk = json.loads((NHFL / "datapackage.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(descriptor(read_spec(NHFL))))


def test_every_row_cites_a_registered_source(nhfl):
    known = set(source_registry())
    for name, df in nhfl.tables.items():
        if "source_id" in df.columns:
            assert df["source_id"].notna().all(), name
            assert set(df["source_id"]) <= known, name
    assert set(nhfl.table("match_decisions")["input_source_id"]) <= known
    assert set(nhfl.table("coverage")["official_source_id"].dropna()) <= known
    # assumptions are sources of kind assumption
    reg = source_registry()
    for sid in ("critmat_grid_apportionment", "critmat_vehicle_split", "critmat_region_curation"):
        assert reg[sid].kind == "assumption"


def test_zeewolde_repowering_matches_report(nhfl):
    a = nhfl.table("assets").set_index("asset_id")
    new = a.loc["wind-zeewolde-2022"]
    assert new["units"] == 83 and new["status"] == "operational"  # report: 83 new turbines
    assert 3.5 <= new["capacity_mw"] / new["units"] <= 4.5  # mix of Vestas 2 MW and 4 MW platforms
    ev = nhfl.table("asset_events").set_index("event_id").loc["ev-zeewolde-repowering-2022"]
    assert ev["replacement_asset_id"] == "wind-zeewolde-2022"
    # report (after RTL 2023): about 200 removed; operator: about 220; the note says why they differ
    assert abs(ev["units_removed"] - 200) / 200 <= 0.10
    assert "200" in ev["note"] and "220" in ev["note"]


def test_report_hyperscale_in_middenmeer_and_named_solar_parks(nhfl):
    a = nhfl.table("assets")
    hyper = a[(a["asset_class"] == "datacentre") & (a["datacentre_type"] == "hyperscale") & (a["status"] == "operational")]
    assert list(hyper["municipality_code"]) == ["GM1911"]  # Hollands Kroon (Middenmeer)
    names = " ".join(a.loc[a["asset_class"] == "solar_pv", "name"])
    for place in ("Espel", "Rutten", "Zwanenburg"):
        assert place in names


def test_offshore_farms_form_their_own_area_with_landing_and_owez_extension(nhfl):
    a = nhfl.table("assets")
    off = a[a["asset_class"] == "wind_offshore"]
    assert {"Offshore Windpark Egmond aan Zee (OWEZ)", "Prinses Amaliawindpark", "Hollandse Kust Noord"} <= set(off["name"])
    # the port municipality (Velsen) is an attribute, not the holder: the farms sit in the offshore area
    assert off["municipality_code"].isna().all() and (off["landing_municipality_code"] == "GM0453").all()
    assert (off["area_code"] == "NS-GM0453").all() and off["note"].str.contains("port").all()
    b = nhfl.table("boundaries").set_index("area_code")
    assert b.loc["NS-GM0453", "area_type"] == "offshore" and b.loc["NS-GM0453", "name"] == "North Sea (landing: Velsen)"
    ev = nhfl.table("asset_events").set_index("asset_id").loc["wind-owez-2006"]
    assert ev["event"] == "lifetime_extension" and ev["extension_years"] == 5


def test_goods_categories_table3(nhfl):
    g = nhfl.table("goods_categories")
    top = g[g["rank"] == 1].set_index("province_code")["share"].to_dict()
    assert top == {"PV27": 0.375, "PV24": 0.385}
    assert g.groupby("province_code")["share"].sum().le(1).all()
    assert set(g.loc[g["province_code"] == "PV24", "goods_category_id"]) - set(
        g.loc[g["province_code"] == "PV27", "goods_category_id"]) == {"glass_ceramics"}
    m = nhfl.table("goods_category_materials")
    assert "magnesium" in set(m.loc[m["goods_category_id"] == "non_ferrous_metals", "material_id"])


def test_vehicles_and_grid_parts_sum(nhfl):
    a = nhfl.table("assets")
    cars = a[a["asset_class"] == "vehicle"].groupby("province_code")["units"].sum()
    assert 1.2e6 < cars["PV27"] < 1.4e6 and 1.5e5 < cars["PV24"] < 3.0e5
    assert set(a.loc[a["asset_class"] == "vehicle", "technology_id"]) == {"car_ice", "car_hev", "car_phev", "car_bev"}
    # curated province totals win: the municipal rows sum exactly to them
    cur = pd.read_csv(regions.bundled_data() / "curation" / "nh-fl" / "assets.csv")
    cur_cars = cur[cur["asset_class"] == "vehicle"].groupby(["province_code", "technology_id"])["units"].sum()
    got = a[a["asset_class"] == "vehicle"].groupby(["province_code", "technology_id"])["units"].sum()
    assert got.to_dict() == cur_cars.to_dict()
    cur_km = cur[cur["asset_class"] == "grid_cable"].groupby("province_code")["length_km"].sum()
    got_km = a[a["asset_class"] == "grid_cable"].groupby("province_code")["length_km"].sum()
    assert (got_km - cur_km).abs().max() < 1.0  # rounding of 2-decimal municipal lengths
    # every municipality holds cars and grid (population proxy stated in every note)
    mun = set(nhfl.table("municipalities")["municipality_code"])
    for cls in ("vehicle", "grid_cable"):
        assert set(a.loc[a["asset_class"] == cls, "municipality_code"]) == mun
    assert a.loc[a["asset_class"] == "grid_cable", "note"].str.contains("not a grid-operator figure").all()


def test_class_aliases():
    wind = regions.assets("nh-fl", "wind")
    assert set(wind["asset_class"]) == {"wind_onshore", "wind_offshore"}
    assert set(regions.assets("nh-fl", "grid")["asset_class"]) == {"grid_cable", "grid_transformer"}
    with pytest.raises(UnknownIdError):
        regions.resolve_classes("nuclear")
    with pytest.raises(UnknownIdError):
        regions.load_region("atlantis")


def test_region_config_is_strict():
    with pytest.raises(Exception):
        regions.RegionConfig(id="x", name="x", provinces=("PV27",), boundary_year=2025, colour="red")
    with pytest.raises(Exception):
        regions.RegionConfig(id="x", name="x", provinces=("Noord-Holland",), boundary_year=2025)
    cfg = regions.RegionConfig(id="x", name="x", provinces=("PV27",), boundary_year=2025)
    with pytest.raises(Exception):
        cfg.name = "y"  # frozen


# ---------------------------------------------------------------- bad input: one clear error naming the row

def _mutated(tmp_path: Path, table: str, edit) -> Path:
    pack = tmp_path / "nh-fl"
    shutil.copytree(NHFL, pack)
    path = pack / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = edit(df)
    df.to_csv(path, index=False, lineterminator="\n")
    return pack


def _set(target: str, **vals):
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        mask = df["asset_id"] == target
        for k, v in vals.items():
            df.loc[mask, k] = v
        return df
    return edit


@pytest.mark.parametrize("edit, rule, column", [
    (_set("wind-zeewolde-2022", lat="48.85", lon="2.35"), "outside the Netherlands", "lat"),
    (_set("wind-prinses-amalia-2008", lat="57.5"), "outside the Netherlands", "lat"),
    (_set("wind-zeewolde-2022", capacity_mw="5000", units="1"), "implausible", "capacity_mw"),
    (_set("wind-prinses-alexia-2013", capacity_mw="1000", units="2"), "per turbine is absurd", "capacity_mw"),
    (_set("wind-zeewolde-2022", technology_id="car_bev"), "class 'vehicle'", "technology_id"),
    (_set("wind-zeewolde-2022", province_code="PV27"), "lies in PV24", "province_code"),
    (_set("solar-dorhout-mees", capacity_mw=""), "needs capacity_mw", "capacity_mw"),
    (_set("wind-nop-legacy", decommissioning_year=""), "needs its decommissioning_year", "decommissioning_year"),
])
def test_region_rules_name_the_row(tmp_path, edit, rule, column):
    pack = _mutated(tmp_path, "assets", edit)
    with pytest.raises(RegionError) as exc:
        regions.load_region(pack)
    msg = str(exc.value)
    assert rule in msg and f"column '{column}'" in msg and "line " in msg and "assets.csv" in msg


@pytest.mark.parametrize("table, edit, expect", [
    ("assets", _set("wind-zeewolde-2022", capacity_mw="-5"), "capacity_mw"),
    ("assets", _set("wind-zeewolde-2022", technology_id="wind_magic"), "unknown technology_id 'wind_magic'"),
    ("assets", _set("wind-zeewolde-2022", municipality_code="GM9999"), "unknown municipality_code 'GM9999'"),
    ("assets", _set("wind-hkn-2023", asset_id="wind-zeewolde-2022"), "duplicated key (region_id, asset_id) = ('nh-fl',"),
    ("goods_category_materials", lambda df: df.assign(material_id=["unobtainium"] + list(df["material_id"][1:])),
     "unknown material_id 'unobtainium'"),
])
def test_schema_and_keys_name_the_row(tmp_path, table, edit, expect):
    pack = _mutated(tmp_path, table, edit)
    with pytest.raises(DataError) as exc:
        regions.load_region(pack)
    assert expect in str(exc.value) and f"{table}.csv" in str(exc.value)


# ---------------------------------------------------------------- build from publisher files

def test_build_from_fixture_files(tmp_path):
    out = regions.build_region(["Noord-Holland"], FIX, out=tmp_path / "pv27", now=2025)
    reg = regions.load_region(out)
    assert reg.config.id == "pv27" and reg.config.nuts2 == ("NL32",)
    mun = reg.table("municipalities")
    assert set(mun["municipality_code"]) == {"GM0363", "GM0453", "GM1911"}
    assert mun.set_index("municipality_code").loc["GM0363", "lat"] == pytest.approx(52.355, abs=1e-3)
    a = reg.table("assets").set_index("name")
    assert a.loc["Polder Wind Farm", "municipality_code"] == "GM1911"
    assert a.loc["Old Harbour Wind Farm", "status"] == "decommissioned"
    assert "Rotterdam Solar" not in a.index and "Grenz Wind" not in a.index
    # a North Sea farm: its own offshore area, landing at the nearest coastal municipality of the region
    far = a.loc["Far Sea Wind Farm"]
    assert pd.isna(far["municipality_code"]) and far["area_code"] == f"NS-{far['landing_municipality_code']}"
    assert "Zonnepark Stadsrand" not in a.index  # same park as City Solar (powerplantmatching wins)
    assert "Zonnepark Kroonveld" in a.index
    dc = a[a["asset_class"] == "datacentre"]
    assert len(dc) == 3  # two co-located halls stay separate facilities
    assert a.loc["Cloud Campus", "datacentre_type"] == "hyperscale"
    b = reg.table("boundaries")
    assert set(b.loc[b["area_type"] == "municipality", "area_code"]) == {"GM0363", "GM0453", "GM1911"}
    assert (b["area_type"] == "offshore").sum() == 1 and (b["area_type"] == "province").sum() == 1
    assert len(reg.table("build_inputs")) >= 4 and reg.table("build_inputs")["sha256"].str.len().eq(64).all()
    geo = regions.region_geometries(out)
    assert {f["properties"]["geometry_kind"] for f in geo["features"]} == {"polygon"}


def test_build_is_atomic_and_rejects_unknown_province(tmp_path):
    out = regions.build_region(["PV27"], FIX, out=tmp_path / "pack", now=2025)
    before = (out / "assets.csv").read_bytes()
    with pytest.raises(RegionError, match="unknown province 'Atlantis'"):
        regions.build_region(["Atlantis"], FIX, out=out)
    bad = tmp_path / "bad"
    shutil.copytree(FIX, bad)
    pp = (bad / "powerplants.csv").read_text().replace("40.0,,2012.0", "-40.0,,2012.0")
    (bad / "powerplants.csv").write_text(pp)
    with pytest.raises(DataError, match="negative capacity"):
        regions.build_region(["PV27"], bad, out=out)
    assert (out / "assets.csv").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_build_without_municipality_list_fails(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(RegionError, match="no CBS municipality list"):
        regions.build_region(["PV27"], tmp_path / "empty")


def test_geometries_from_the_boundaries_table_else_centroids(tmp_path):
    geo = regions.region_geometries("nh-fl")
    assert len(geo["features"]) == 50
    assert {f["geometry"]["type"] for f in geo["features"]} <= {"Polygon", "MultiPolygon"}
    pack = tmp_path / "nh-fl"
    shutil.copytree(NHFL, pack)
    b = pd.read_csv(pack / "boundaries.csv")
    b.iloc[0:0].to_csv(pack / "boundaries.csv", index=False)
    geo = regions.region_geometries(pack)
    assert {f["geometry"]["type"] for f in geo["features"]} == {"Point"}
    with pytest.raises(RegionError, match="no polygon"):
        regions.import_boundaries("nh-fl", FIX / "gemeente_2025.geojson")


def test_build_zuid_holland_from_shared_data(shared_data, tmp_path):
    from critmat.loaders import cbs

    out = regions.build_region(["Zuid-Holland"], shared_data, out=tmp_path / "pv28")
    reg = regions.load_region(out)
    lst = cbs.read_municipalities(shared_data / "nl_boundaries" / "gemeente_provincie_2025.csv")
    assert len(reg.table("municipalities")) == (lst["province_code"] == "PV28").sum()
    a = reg.table("assets")
    assert (a["province_code"] == "PV28").all()
    assert {"wind_onshore", "solar_pv", "datacentre"} <= set(a["asset_class"])
    assert len(a[a["asset_class"] == "datacentre"]) >= 15  # Rotterdam, Den Haag, Delft ... in the atlas


@pytest.fixture(scope="module")
def built_nhfl(tmp_path_factory):
    if not SHARED_DATA.is_dir():
        pytest.skip("real datasets not available")
    return regions.load_region(regions.build_region(["Noord-Holland", "Flevoland"], SHARED_DATA, region_id="nh-fl",
                                                    out=tmp_path_factory.mktemp("b") / "nh-fl"))


def test_built_nhfl_counts_against_report(built_nhfl):
    """The report counts 143 solar parks (ROM Zon op Kaart, incl. small and planned parks) and about 95 data
    centres (Data Center Map, 2025). The loaded registries are smaller: powerplantmatching + the Wikipedia
    list hold the larger parks only, and the data-centre atlas is a 2020 snapshot (docs/regions.md)."""
    a = built_nhfl.table("assets")
    solar, dc = (a["asset_class"] == "solar_pv").sum(), (a["asset_class"] == "datacentre").sum()
    assert 45 <= solar < 143
    assert 70 <= dc <= 95
    assert (a["name"].str.contains("Zuidwester")).sum() == 1  # curated row wins over the loaded duplicate
    assert (a["name"].str.contains("Zeewolde Wind Farm")).sum() == 0
    assert set(built_nhfl.table("asset_events")["event_id"]) >= {"ev-zeewolde-repowering-2022"}


def test_critmat_error_family():
    assert issubclass(RegionError, CritmatError)
