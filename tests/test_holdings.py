"""Issue 11 - the region's holdings, complete: the bundled nh-fl pack is the loaders' full pack, every
municipality holds its share, coverage against official counts is stated, and a rebuild reproduces it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmat import regions, stock
from critmat.models import inventory

NHFL = regions.bundled_regions_dir() / "nh-fl"


@pytest.fixture(scope="module")
def nhfl() -> regions.Region:
    return regions.load_region("nh-fl")


def _on_land_wind_mw(a: pd.DataFrame) -> pd.Series:
    op = a[(a["asset_class"] == "wind_onshore") & a["status"].isin(["operational", "under_construction"])]
    water = op["note"].fillna("").str.contains("inland water|lake|IJsselmeer|nearshore", case=False, regex=True)
    return op[~water].groupby("province_code")["capacity_mw"].sum()


def test_bundled_pack_counts_without_any_build(nhfl):
    a = nhfl.table("assets")
    assert (a["asset_class"] == "datacentre").sum() >= 70
    assert ((a["asset_class"] == "solar_pv") & a["capacity_mw"].notna()).sum() >= 45
    # wind on land within +-10 % of the RIVM turbine-list figure stated in the coverage table
    cov = nhfl.table("coverage")
    rivm = cov[(cov["asset_class"] == "wind_onshore") & cov["official"].notna()].set_index("coverage_scope")["official"]
    got = _on_land_wind_mw(a)
    assert set(rivm.index) == {"PV27", "PV24"}
    assert abs(got.sum() / rivm.sum() - 1) <= 0.10
    for p in rivm.index:
        assert abs(got[p] / rivm[p] - 1) <= 0.10, p


def test_coverage_states_official_counts_with_sources(nhfl):
    cov = nhfl.table("coverage")
    st = " ".join(cov["statement"])
    assert "of 143 solar parks" in st and "ROM Zon op Kaart" in st
    assert "of ≈ 95 data centres" in st and "Data Center Map" in st
    assert cov.loc[cov["official"].notna(), "official_source_id"].notna().all()
    assert {"solar_pv", "datacentre", "wind_onshore", "vehicle"} <= set(cov["asset_class"])


def test_every_municipality_holds_and_unallocated_is_small(nhfl):
    inputs = stock.load_inputs("nh-fl", loaded=nhfl)
    res = stock.regional_stock(inputs, n_draws=0)
    w = inventory.wide(res)
    allc = w[w["asset_class"] == inventory.ALL_CLASSES]
    total = allc.loc[allc["area_type"] == "region", "mass_t"].sum()
    offshore = allc.loc[allc["area_type"] == "offshore", "mass_t"].sum()
    unalloc = allc.loc[allc["area_type"] == "unallocated", "mass_t"].sum()
    assert offshore > 0 and set(allc.loc[allc["area_type"] == "offshore", "area"]) == {"NS-GM0453"}
    assert unalloc / (total - offshore) <= 0.05
    held = set(allc.loc[(allc["area_type"] == "municipality") & (allc["mass_t"] > 0), "area"])
    assert held == set(nhfl.table("municipalities")["municipality_code"])
    # Velsen (the landing/port municipality) no longer holds the North Sea farms
    off_cls = w[(w["asset_class"] == "wind_offshore") & (w["area_type"] == "municipality")]
    assert off_cls.empty


def test_pack_records_its_rebuild_command_and_inputs(nhfl):
    assert "critmat region build" in nhfl.config.build_command and "--id nh-fl" in nhfl.config.build_command
    bi = nhfl.table("build_inputs")
    assert {"powerplants", "rivm_wind", "solar_list", "datacentres", "boundaries", "municipalities", "ev_share"} \
        <= set(bi["input"])
    assert bi["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    md = nhfl.table("match_decisions")
    assert {"curated", "added", "merged_into_curated", "aggregated", "distributed_to_municipalities"} <= set(md["decision"])
    b = nhfl.table("boundaries")
    assert (b["area_type"] == "municipality").sum() == 50 and (b["area_type"] == "province").sum() == 2
    assert (NHFL / "boundaries.csv").stat().st_size < 300_000


@pytest.mark.shared_data
def test_rebuild_from_shared_data_reproduces_the_bundled_pack(shared_data, tmp_path, nhfl):
    out = regions.build_region(["Noord-Holland", "Flevoland"], shared_data, out=tmp_path / "nh-fl", region_id="nh-fl")
    for table in ("assets", "municipalities", "boundaries", "coverage", "build_inputs"):
        assert (out / f"{table}.csv").read_bytes() == (NHFL / f"{table}.csv").read_bytes(), table
    bi = nhfl.table("build_inputs")
    from critmat.region_build import sha256_file

    for f, h in zip(bi["file"], bi["sha256"]):
        assert sha256_file(Path(shared_data) / f) == h, f


@pytest.mark.shared_data
def test_wind_on_land_against_the_rivm_file(shared_data, nhfl):
    from critmat.loaders import rivm_wind

    t = rivm_wind.read_turbines(Path(shared_data) / "nl_regional_stats" / "rivm_windturbines_vermogen_onshore_nl_2026-01.csv")
    rivm = t[t["province"].isin(["Noord-Holland", "Flevoland"])]["capacity_mw"].sum()
    got = _on_land_wind_mw(nhfl.table("assets")).sum()
    assert abs(got / rivm - 1) <= 0.10
