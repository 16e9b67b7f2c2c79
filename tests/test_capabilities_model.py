"""Coverage, gaps and nearest fillers on small inline frames."""

from __future__ import annotations

import pandas as pd
import pytest

from critmat.errors import DataError
from critmat.models import capabilities as cap


def _tables() -> dict[str, pd.DataFrame]:
    acts = pd.DataFrame({
        "activity_id": list(cap.ACTIVITY_ORDER),
        "activity_name": ["P", "M", "RC", "RM", "ST", "RD"],
        "stage_label": ["processing", "manufacturing", "collection/pre-treatment", "metal recovery", "trade", "R&D"],
        "sort_order": range(1, 7)})
    return {
        "supply_chain_activities": acts,
        "streams": pd.DataFrame({"stream_id": ["magnets", "scrap", "cells"]}),
        "stream_materials": pd.DataFrame({"stream_id": ["magnets", "magnets", "scrap"],
                                          "material_id": ["neodymium", "dysprosium", "steel"]}),
        "towns": pd.DataFrame({"region_id": ["r", "r"], "town": ["A", "B"], "municipality_code": ["GM0001", "GM0002"],
                               "province_code": ["PV01", "PV01"], "lat": [52.0, 53.0], "lon": [5.0, 5.0]}),
        "companies": pd.DataFrame({"company_id": ["c1", "c2", "c3"], "region_id": ["r"] * 3, "name": ["C1", "C2", "C3"],
                                   "primary_activity_id": ["recycling_collection", "services_trade", "manufacturing"],
                                   "town": ["A", "B", "A"], "lat": [None, None, 52.1], "lon": [None, None, 5.1],
                                   "location_precision": ["town", "town", "address"]}),
        "company_activities": pd.DataFrame({
            "company_id": ["c1", "c1", "c2", "c3"],
            "activity_id": ["recycling_collection", "recycling_metal_recovery", "services_trade", "manufacturing"],
            "is_primary": [True, False, True, True]}),
        "company_streams": pd.DataFrame({"company_id": ["c1", "c2", "c3"], "stream_id": ["scrap", "scrap", "cells"],
                                         "flow_direction": ["input", "input", "output"]}),
        "company_materials": pd.DataFrame({"company_id": ["c2"], "material_id": ["neodymium"]}),
    }


def test_coverage_is_the_cross_product_of_activities_and_streams() -> None:
    t = _tables()
    cov = cap.coverage(t).set_index(["stream", "activity_id"])["n_companies"]
    assert cov[("scrap", "recycling_collection")] == 1
    assert cov[("scrap", "recycling_metal_recovery")] == 1  # c1's second activity
    assert cov[("scrap", "services_trade")] == 1
    assert cov[("cells", "manufacturing")] == 1
    assert cov[("magnets", slice(None))].sum() == 0  # nobody handles magnets
    assert len(cov) == 3 * 6
    gaps = cap.gaps(cap.coverage(t))
    assert set(gaps[gaps["stream"] == "magnets"]["activity_id"]) == set(cap.ACTIVITY_ORDER)


def test_coverage_by_material_and_matrix() -> None:
    t = _tables()
    cov = cap.coverage(t, by="material").set_index(["material", "activity_id"])["n_companies"]
    assert cov[("steel", "recycling_collection")] == 1
    assert cov[("neodymium", "services_trade")] == 1  # named directly for c2
    assert cov[("dysprosium", slice(None))].sum() == 0
    m = cap.coverage_matrix(cap.coverage(t), t["supply_chain_activities"]).set_index("stream")
    assert m.loc["scrap", "covered"] == 3
    assert m.loc["magnets", "gaps"].split(";") == ["processing", "manufacturing", "collection/pre-treatment",
                                                   "metal recovery", "trade", "R&D"]
    with pytest.raises(DataError, match="coverage by 'town'"):
        cap.coverage(t, by="town")


def test_locations_and_registry_filters() -> None:
    t = _tables()
    loc = cap.company_locations(t["companies"], t["towns"]).set_index("company_id")
    assert loc.loc["c1", ["lat", "lon"]].tolist() == [52.0, 5.0]  # town centre
    assert loc.loc["c3", ["lat", "lon"]].tolist() == [52.1, 5.1]  # own address
    reg = cap.company_registry(t, activity="recycling_metal_recovery")
    assert reg["company_id"].tolist() == ["c1"]
    assert cap.company_registry(t, material="neodymium")["company_id"].tolist() == ["c2"]
    assert set(cap.company_registry(t, stream="scrap")["company_id"]) == {"c1", "c2"}


def test_great_circle() -> None:
    # Amsterdam (Dam) - Paris (Notre-Dame): about 430 km
    d = float(cap.great_circle_km(52.373, 4.893, 48.853, 2.350))
    assert 425 < d < 435
    assert float(cap.great_circle_km(10, 20, 10, 20)) == 0.0
    quarter = float(cap.great_circle_km(0, 0, 0, 90))
    assert quarter == pytest.approx(cap.EARTH_RADIUS_KM * 3.141592653589793 / 2)


def test_nearest_fillers_sorted_by_distance_and_skip_closed() -> None:
    fac = pd.DataFrame({"facility_id": ["far", "near", "shut", "own"], "name": ["F", "N", "S", "O"],
                        "country_iso3": ["FRA", "BEL", "DEU", "NLD"], "town": ["x"] * 4,
                        "lat": [45.0, 51.0, 52.0, 52.0], "lon": [0.0, 4.5, 5.0, 5.0],
                        "company_id": [None, None, None, "c1"]})
    fc = pd.DataFrame({"facility_id": ["far", "near", "shut", "own"], "activity_id": ["recycling_metal_recovery"] * 4,
                       "stream_id": ["magnets"] * 4, "facility_status": ["planned", "operational", "closed", "operational"],
                       "capacity_t_per_yr": [100.0, None, 5.0, 1.0], "source_id": ["s"] * 4})
    gaps = pd.DataFrame({"stream": ["magnets", "cells"], "activity_id": ["recycling_metal_recovery", "processing"]})
    out = cap.nearest_fillers(gaps, fac, fc, origin=(52.0, 5.0), k=5)
    mag = out[out["stream"] == "magnets"]
    assert mag["facility_id"].tolist() == ["near", "far"]  # closed and in-region facilities skipped
    assert mag["distance_km"].is_monotonic_increasing
    cells = out[out["stream"] == "cells"]
    assert len(cells) == 1 and pd.isna(cells["facility_id"].iloc[0])  # a gap nobody fills


def test_validate_registry_rules() -> None:
    t = _tables()
    cap.validate_registry(t, region_id="r", provinces=["PV01"])
    with pytest.raises(DataError, match=r"towns\.csv, line 2.*PV01.*town 'A' is not in region 'r'"):
        cap.validate_registry(t, region_id="r", provinces=["PV99"])
    mun = pd.DataFrame({"municipality_code": ["GM0001"], "province_code": ["PV01"]})
    with pytest.raises(DataError, match=r"towns\.csv, line 3.*GM0002.*town 'B'"):
        cap.validate_registry(t, region_id="r", provinces=["PV01"], municipalities=mun)
    bad = dict(t, company_activities=t["company_activities"].assign(
        activity_id=["recycling_collection", "mining", "services_trade", "manufacturing"]))
    with pytest.raises(DataError, match=r"company_activities\.csv, line 3.*'mining'.*company 'c1'.*Table 4"):
        cap.validate_registry(bad, region_id="r", provinces=["PV01"])
    two = dict(t, company_activities=t["company_activities"].assign(is_primary=[True, True, True, True]))
    with pytest.raises(DataError, match="company 'c1' has 2 primary activities"):
        cap.validate_registry(two, region_id="r", provinces=["PV01"])
    nowhere = dict(t, companies=t["companies"].assign(town=["A", "Z", "A"]))
    with pytest.raises(DataError, match=r"companies\.csv, line 3.*'Z'.*company 'c2'"):
        cap.validate_registry(nowhere, region_id="r", provinces=["PV01"])
