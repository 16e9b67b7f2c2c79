"""The bundled capabilities package: agreement with the source report, region membership, sources, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from critmat import capabilities_data as data
from critmat.catalog.package import descriptor, read_spec
from critmat.catalog.sources import source_registry
from critmat.errors import CritmatError, DataError, UnknownIdError
from critmat.models import capabilities as cap

PKG = data.package_dir()

# Annex 2 (Table 6) and Figure 10 of HCSS (2025), entries per activity as printed.
TABLE6 = {"processing": 3, "manufacturing": 14, "recycling_collection": 27, "recycling_metal_recovery": 2,
          "services_trade": 12, "research_development": 7}
FIGURE10 = {"processing": 2, "manufacturing": 12, "recycling_collection": 27, "recycling_metal_recovery": 2,
            "services_trade": 10, "research_development": 7}


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRITMAT_HOME", str(tmp_path_factory.mktemp("home")))
        return data.load_capabilities("nh-fl")


def test_datapackage_in_sync_and_valid() -> None:
    on_disk = json.loads((PKG / "datapackage.json").read_text(encoding="utf-8"))
    assert on_disk == descriptor(read_spec(PKG)), "run write_datapackage on the capabilities package"
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(PKG / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])[:5]


def test_listing_counts_agree_with_annex2(tables: dict[str, pd.DataFrame]) -> None:
    rec = tables["reconciliation"]
    for listing, want in (("table6", TABLE6), ("figure10", FIGURE10)):
        got = rec[rec["listing"] == listing]["listed_activity_id"].value_counts().to_dict()
        assert got == want, listing
    counts = cap.activity_counts(tables).set_index("activity_id")
    assert counts["table6_entries"].to_dict() == TABLE6
    # The registry: Table 6 plus Ketjen (Figure 10 only) as primary activities; HKS keeps collection as a 2nd.
    primary = dict(TABLE6, manufacturing=TABLE6["manufacturing"] + 1)
    assert counts["companies_primary"].to_dict() == primary
    assert counts.loc["recycling_collection", "companies_any"] == 28
    assert len(tables["companies"]) == 66


def test_about_half_are_recyclers(tables: dict[str, pd.DataFrame]) -> None:
    ca = tables["company_activities"]
    recyclers = ca[ca["activity_id"].isin(["recycling_collection", "recycling_metal_recovery"])]["company_id"].nunique()
    share = recyclers / tables["companies"]["company_id"].nunique()
    assert 0.4 <= share <= 0.6, share  # "Approximately half of the companies ..." (section 4)


def test_reconciliation_decisions(tables: dict[str, pd.DataFrame]) -> None:
    rec = tables["reconciliation"]
    comp = tables["companies"].set_index("company_id")
    dec = rec.groupby("company_id")["reconciliation_decision"].agg(set)
    assert dec["ketjen-netherlands"] == {"figure_only"}
    for cid in ("vecomach", "spamecon", "metaal-recycling-smink", "aito", "elementis-minerals",
                "elementis-minerals-distribution", "amsterdam-scientific-instruments"):
        assert dec[cid] == {"table_only"}, cid
    hks = rec[rec["company_id"] == "hks-metals-amsterdam"]
    assert len(hks) == 3 and set(hks["listed_name"]) == {"HKS Metals Amsterdam", "HKS The metal Company"}
    assert comp.loc["hks-metals-amsterdam", "primary_activity_id"] == "recycling_metal_recovery"
    # every company is in at least one list, every list entry maps to a company
    assert set(rec["company_id"]) == set(comp.index)
    # each company of both lists is listed under its primary activity in Table 6
    t6 = rec[rec["listing"] == "table6"].set_index("company_id")["listed_activity_id"]
    assert (comp.loc[t6.index, "primary_activity_id"] == t6).all()


def test_every_company_has_a_municipality_in_the_region(tables: dict[str, pd.DataFrame]) -> None:
    loc = cap.company_locations(tables["companies"], tables["towns"])
    assert loc["municipality_code"].str.fullmatch(r"GM\d{4}").all()
    assert set(loc["province_code"]) <= {"PV27", "PV24"}
    assert loc[["lat", "lon"]].notna().all().all()


def test_municipality_codes_against_cbs_2025(tables: dict[str, pd.DataFrame], shared_data: Path) -> None:
    path = shared_data / "nl_boundaries" / "gemeente_provincie_2025.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    cbs = pd.read_csv(path, dtype=str).set_index("gemeentecode_gm")
    for r in tables["towns"].itertuples():
        assert r.municipality_code in cbs.index, r.town
        assert cbs.loc[r.municipality_code, "provinciecode_pv"] == r.province_code, r.town


def _rings(geom: dict) -> list[list[list[float]]]:
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    return [ring for poly in polys for ring in poly]


def _inside(lon: float, lat: float, rings: list) -> bool:
    hit = False  # even-odd rule over all rings (holes included)
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
    return hit


def test_town_centres_lie_in_their_municipality(tables: dict[str, pd.DataFrame], shared_data: Path) -> None:
    path = shared_data / "nl_boundaries" / "gemeente_2025.geojson"
    if not path.exists():
        pytest.skip(f"{path} absent")
    feats = {f["properties"]["statcode"]: _rings(f["geometry"])
             for f in json.loads(path.read_text(encoding="utf-8"))["features"]}
    for r in tables["towns"].itertuples():
        rings = feats[r.municipality_code]
        if _inside(r.lon, r.lat, rings):
            continue
        # generalised boundaries (0.001°, 10 % simplification): accept a point within 2 km of the polygon
        pts = [p for ring in rings for p in ring]
        d = min(cap.great_circle_km(r.lat, r.lon, y, x) for x, y in pts)
        assert d < 2.0, f"{r.town} ({r.lat}, {r.lon}) is {d:.1f} km outside {r.municipality_code}"


def test_every_source_and_material_is_known(tables: dict[str, pd.DataFrame]) -> None:
    reg = source_registry()
    for name, df in tables.items():
        for col in ("source_id", "location_source_id", "size_source_id"):
            if col in df.columns:
                assert set(df[col].dropna()) <= set(reg), (name, col)
    kinds = {reg[s].kind for s in tables["company_streams"]["source_id"]}
    assert "assumption" in kinds  # inferred streams are marked as assumptions
    assert reg["hcss_2025"].kind == "report"


def test_capacities_are_published_or_empty(tables: dict[str, pd.DataFrame]) -> None:
    fc = tables["facility_capabilities"]
    assert (fc["capacity_t_per_yr"].dropna() >= 0).all()
    assert fc["capacity_basis"].notna().all()
    reg = source_registry()
    assert all(reg[s].kind != "assumption" for s in fc["source_id"])  # no invented capacities
    fac = tables["facilities"].set_index("facility_id")
    assert fac.loc["caremag-lacq", "country_iso3"] == "FRA"
    caremag = fc[(fc["facility_id"] == "caremag-lacq") & (fc["activity_id"] == "recycling_metal_recovery")]
    assert caremag["capacity_t_per_yr"].iloc[0] == 2000


def test_bundled_stream_specs(tables: dict[str, pd.DataFrame]) -> None:
    specs = data.bundled_stream_specs(tables["streams"]["stream_id"])
    assert {"ndfeb-magnets-wind-repowering", "pv-panels-eol", "li-ion-batteries-ev", "copper-cable-scrap"} <= set(specs)
    reg = source_registry()
    for s in specs.values():
        assert s.assumption and reg[s.source_id].kind == "assumption" and s.basis


# ---------------------------------------------------------------- bad input

def _copy_pkg(tmp_path: Path) -> Path:
    dst = tmp_path / "capabilities"
    shutil.copytree(PKG, dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


NH_FL = data.RegionContext("nh-fl", ("PV27", "PV24"), None)


def test_company_activity_outside_table4(tmp_path: Path) -> None:
    pkg = _copy_pkg(tmp_path)
    _edit(pkg / "companies.csv", "vecomach,nh-fl,Vecomach,processing", "vecomach,nh-fl,Vecomach,mining")
    with pytest.raises(DataError, match=r"companies\.csv.*(row|line) 4.*primary_activity_id.*mining"):
        data.load_capabilities("nh-fl", pkg, context=NH_FL)
    pkg2 = _copy_pkg(tmp_path / "b")
    _edit(pkg2 / "company_activities.csv", "vecomach,processing", "vecomach,smelting")
    with pytest.raises(DataError, match=r"company_activities\.csv.*activity_id.*smelting"):
        data.load_capabilities("nh-fl", pkg2, context=NH_FL)


def test_town_not_in_region(tmp_path: Path) -> None:
    pkg = _copy_pkg(tmp_path)
    _edit(pkg / "companies.csv", "vecomach,nh-fl,Vecomach,processing,Emmeloord", "vecomach,nh-fl,Vecomach,processing,Utrecht")
    with pytest.raises(DataError, match=r"companies\.csv.*(row|line) 4.*town.*Utrecht"):
        data.load_capabilities("nh-fl", pkg, context=NH_FL)
    # a town added to the gazetteer but lying in another province
    pkg2 = _copy_pkg(tmp_path / "b")
    with open(pkg2 / "towns.csv", "a", encoding="utf-8") as fh:
        fh.write("nh-fl,Utrecht,GM0344,PV26,52.091,5.122,cap_town_municipality,cap_town_centres,\n")
    _edit(pkg2 / "companies.csv", "vecomach,nh-fl,Vecomach,processing,Emmeloord", "vecomach,nh-fl,Vecomach,processing,Utrecht")
    with pytest.raises(DataError, match=r"towns.*line 26.*province_code.*PV26.*Utrecht.*not in region 'nh-fl'"):
        data.load_capabilities("nh-fl", pkg2, context=NH_FL)
    # with the region's municipality table: a code that is not one of its municipalities
    mun = pd.DataFrame({"municipality_code": ["GM0363"], "province_code": ["PV27"]})
    with pytest.raises(DataError, match=r"towns.*municipality_code.*not in region"):
        data.load_capabilities("nh-fl", PKG, context=data.RegionContext("nh-fl", ("PV27", "PV24"), mun))


def test_facility_with_negative_capacity(tmp_path: Path) -> None:
    pkg = _copy_pkg(tmp_path)
    _edit(pkg / "facility_capabilities.csv", "caremag-lacq,recycling_metal_recovery,ndfeb_magnets,input,2000,",
          "caremag-lacq,recycling_metal_recovery,ndfeb_magnets,input,-2000,")
    with pytest.raises(DataError, match=r"facility_capabilities\.csv.*(row|line) 2.*capacity_t_per_yr.*-2000"):
        data.load_capabilities("nh-fl", pkg, context=NH_FL)
    # the model check on frames built in code names the facility
    t = data.load_tables(PKG)
    fc = t["facility_capabilities"].copy()
    fc.loc[3, "capacity_t_per_yr"] = -1.0
    t["facility_capabilities"] = fc
    with pytest.raises(DataError, match=r"facility_capabilities\.csv, line 5.*capacity_t_per_yr.*caremag-lacq.*negative"):
        cap.validate_registry(t, region_id="nh-fl", provinces=("PV27", "PV24"))


def test_unknown_stream_and_region(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    from critmat.models.matching import get_spec

    specs = data.bundled_stream_specs(tables["streams"]["stream_id"])
    with pytest.raises(UnknownIdError, match="unknown stream 'nd-magnets'.*ndfeb-magnets-wind-repowering"):
        get_spec(specs, "nd-magnets")
    bad = tmp_path / "streams.yaml"
    text = (PKG / "eol_streams.yaml").read_text(encoding="utf-8").replace("accepts: [pv_panels]", "accepts: [solar_modules]")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"streams\.yaml.*entry 2.*pv-panels-eol.*unknown stream_id 'solar_modules'"):
        data.read_stream_specs(bad, tables["streams"]["stream_id"])
    bad.write_text(text.replace("year_to: 2050", "year_to: 2020", 1), encoding="utf-8")
    with pytest.raises(DataError, match="ndfeb-magnets-wind-repowering.*year_to 2020 is before year_from 2035"):
        data.read_stream_specs(bad)
    bad.write_text("- name: x\n  colour: red\n", encoding="utf-8")
    with pytest.raises(CritmatError, match="entry 1: stream spec 'x'"):
        data.read_stream_specs(bad)
    with pytest.raises(UnknownIdError, match="no capability registry for region 'pv28'"):
        data.load_capabilities("pv28", context=NH_FL)
