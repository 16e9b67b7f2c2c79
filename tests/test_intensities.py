"""The bundled intensities package: schema, keys, ranges, vintages; derived rows reproducible from sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from critmat.catalog.package import descriptor, read_spec
from critmat.catalog.sources import source_registry
from critmat.errors import DataError
from critmat.build.intensities import check_intensities, cigs_rows, derived_rows, known_frames, load_intensities
from critmat.paths import bundled_packages

PKG = bundled_packages() / "intensities"
CONTRACT_TECHS = {"wind_dd_pmsg", "wind_gb_pmsg", "wind_gb_dfig", "wind_dd_eesg", "pv_csi", "pv_cdte", "pv_cigs",
                  "datacentre_generic", "cable_lv", "cable_mv", "cable_hv", "transformer_station", "car_ice",
                  "car_hev", "car_phev", "car_bev"}


@pytest.fixture(scope="module")
def bundled():
    return load_intensities()


def test_bundled_package_loads_with_contract_technologies(bundled):
    techs, ints = bundled
    assert CONTRACT_TECHS <= set(techs["technology_id"])
    assert set(ints["technology_id"]) == set(techs["technology_id"])  # every technology has intensities
    assert (ints["low_kg_per_basis"] > 0).all()
    assert (ints["low_kg_per_basis"] <= ints["central_kg_per_basis"]).all()
    assert (ints["central_kg_per_basis"] <= ints["high_kg_per_basis"]).all()


def test_datapackage_json_in_sync():
    on_disk = json.loads((PKG / "datapackage.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(descriptor(read_spec(PKG))))


def test_every_row_has_a_registered_source_and_assumptions_say_so(bundled):
    _, ints = bundled
    reg = source_registry()
    assert set(ints["source_id"]) <= set(reg)
    for sid in set(ints["source_id"]):
        if sid.startswith("critmat_assumption"):
            assert reg[sid].kind == "assumption"


def test_key_materials_present(bundled):
    _, ints = bundled
    have = set(zip(ints["technology_id"], ints["material_id"]))
    for pair in [("wind_dd_pmsg", "neodymium"), ("wind_dd_pmsg", "praseodymium"), ("wind_dd_pmsg", "dysprosium"),
                 ("wind_dd_pmsg", "terbium"), ("wind_dd_pmsg", "boron"), ("pv_csi", "silver"),
                 ("pv_csi", "silicon_metal"), ("pv_csi", "antimony"), ("pv_cdte", "tellurium"),
                 ("pv_cigs", "indium"), ("pv_cigs", "gallium"), ("cable_mv", "copper"),
                 ("transformer_station", "electrical_steel"), ("car_bev", "lithium"), ("car_bev", "cobalt"),
                 ("car_ice", "palladium"), ("car_bev", "neodymium"), ("datacentre_generic", "copper")]:
        assert pair in have, pair
    assert ("wind_dd_eesg", "neodymium") not in have  # no magnets in electrically excited generators


def test_pv_intensities_depend_on_vintage(bundled):
    _, ints = bundled
    ag = ints[(ints["technology_id"] == "pv_csi") & (ints["material_id"] == "silver")].sort_values("year_from")
    assert ag["central_kg_per_basis"].is_monotonic_decreasing and len(ag) >= 6
    assert ag["year_from"].iloc[0] == 1900 and pd.isna(ag["year_to"].iloc[-1])


def test_wind_magnet_totals_match_iea_cross_check(bundled):
    _, ints = bundled
    c = ints[ints["technology_id"] == "wind_dd_pmsg"].set_index("material_id")["central_kg_per_basis"]
    # IEA (2021): offshore wind 239 kg/MW rare earths = Nd + Pr + Dy + Tb of DD-PMSG
    assert c[["neodymium", "praseodymium", "dysprosium", "terbium"]].sum() == pytest.approx(239)


def _copy_pkg(tmp_path: Path) -> Path:
    d = tmp_path / "intensities"
    shutil.copytree(PKG, d)
    return d


def _edit_row(d: Path, tech: str, mat: str, **changes) -> int:
    p = d / "material_intensities.csv"
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    idx = df.index[(df["technology_id"] == tech) & (df["material_id"] == mat)][0]
    for k, v in changes.items():
        df.loc[idx, k] = v
    df.to_csv(p, index=False)
    return int(idx) + 2


def test_unknown_material_names_row(tmp_path):
    d = _copy_pkg(tmp_path)
    line = _edit_row(d, "wind_dd_pmsg", "neodymium", material_id="adamantium")
    with pytest.raises(DataError, match=rf"(?:row|line) {line}.*material_id.*adamantium"):
        load_intensities(d, known=known_frames())


def test_unknown_technology_names_row(tmp_path):
    d = _copy_pkg(tmp_path)
    line = _edit_row(d, "car_bev", "lithium", technology_id="car_flying")
    with pytest.raises(DataError, match=rf"(?:row|line) {line}.*car_flying"):
        load_intensities(d)


@pytest.mark.parametrize("changes, match", [
    ({"low_kg_per_basis": "0"}, "must be > 0"),
    ({"low_kg_per_basis": "500"}, "low <= central"),
    ({"high_kg_per_basis": "1"}, "central <= high"),
    ({"low_kg_per_basis": "-1"}, "minimum|>= 0|must be > 0"),
])
def test_range_rules_name_row(tmp_path, changes, match):
    d = _copy_pkg(tmp_path)
    line = _edit_row(d, "wind_dd_pmsg", "neodymium", **changes)
    with pytest.raises(DataError, match=match) as exc:
        load_intensities(d)
    assert f"row {line}" in str(exc.value) or f"line {line}" in str(exc.value)


def test_overlapping_vintages_rejected():
    df = pd.DataFrame({"technology_id": ["pv_csi"] * 2, "material_id": ["silver"] * 2, "year_from": [2000, 2005],
                       "year_to": [2010, None], "low_kg_per_basis": [1.0, 1.0], "central_kg_per_basis": [2.0, 2.0],
                       "high_kg_per_basis": [3.0, 3.0]})
    with pytest.raises(DataError, match="overlaps"):
        check_intensities(df, file="x.csv")
    df.loc[0, "year_to"] = 2004
    check_intensities(df, file="x.csv")


def test_cigs_rows_are_consistent_stoichiometry():
    rows = cigs_rows().set_index("material_id")
    assert (rows["low_kg_per_basis"] < rows["central_kg_per_basis"]).all()
    assert (rows["central_kg_per_basis"] < rows["high_kg_per_basis"]).all()
    # indium of a 2 µm Cu(In0.7Ga0.3)Se2 absorber at 15 %: about 19 kg/MWp (literature 15-30 t/GW)
    assert 15 < rows.at["indium", "central_kg_per_basis"] < 25


@pytest.mark.shared_data
def test_bundled_derived_rows_reproduce_from_publisher_files(shared_data, bundled):
    """The PV, battery, data-centre UPS, grid and CIGS rows equal their derivation from the real files."""
    _, ints = bundled
    der = derived_rows(shared_data)
    key = ["technology_id", "material_id", "year_from"]
    merged = der.merge(ints, on=key, suffixes=("_der", ""), how="left", validate="one_to_one")
    assert merged["central_kg_per_basis"].notna().all(), merged[merged["central_kg_per_basis"].isna()][key]
    for c in ("low_kg_per_basis", "central_kg_per_basis", "high_kg_per_basis"):
        assert merged[c].to_numpy() == pytest.approx(merged[f"{c}_der"].to_numpy(), rel=1e-3)
