"""Loaders of the material-intensity publishers: fixtures in their formats, real files, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from critmat.errors import DataError
from critmat.loaders import batpac, cawindmfa, elma, pv_ice

FIX = Path(__file__).parent / "fixtures" / "intensities"


# ---------------------------------------------------------------- ELMA
def test_elma_generation_converts_g_to_kg_and_drops_placeholders():
    df = elma.read_components(FIX / "elma_generation.csv")
    assert "<EMPTY>" not in set(df["component"])
    assert set(df["unit"]) == {"kg/MW"}
    nd = elma.value(df, "Wind onshore", "neodymium", 2020)
    assert nd == pytest.approx(20.0)  # 20,000 g/MW
    assert elma.value(df, "Solar PV", "copper", 2050) == pytest.approx(5000.0)


def test_elma_grid_tables_and_storage():
    lines = elma.read_components(FIX / "elma_grid.csv")
    assert elma.value(lines, "HV underground", "lead") == 14000
    add = elma.read_components(FIX / "elma_grid_additions.csv")
    assert set(add["unit"]) == {"kg/unit"}
    dens = elma.read_storage_density(FIX / "elma_storage_density.csv")
    assert dens.query("component == 'NMC' and year == 2030")["kg_per_kwh"].item() == 4.0
    wt = elma.read_components(FIX / "elma_storage_materials.csv")
    assert set(wt["unit"]) == {"fraction"}


def test_elma_missing_value_names_component():
    df = elma.read_components(FIX / "elma_grid.csv")
    with pytest.raises(DataError, match="LV overhead"):
        elma.value(df, "LV overhead", "copper")


@pytest.mark.parametrize("content, match", [
    ("year,g/MW,Steel,Unobtainium\n2020,Solar PV,1,2\n", "unknown material column"),
    ("year,lb/ft,Steel\n2020,Solar PV,1\n", "unknown unit column"),
    ("year,g/MW,Steel,Cu\n2020,Solar PV,1,lots\n", "(?:row|line) 2.*column 'Cu'.*not a number"),
    ("year,g/MW,Steel,Cu\n2020,Solar PV,1,-5\n", "negative"),
    ("", "empty"),
])
def test_elma_bad_input(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        elma.read_components(p)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        elma.read_components(tmp_path / "nope.csv")


# ---------------------------------------------------------------- CAwindMFA
def test_cawindmfa_parses_block_and_ignores_spillover():
    frac, mag = cawindmfa.read_material_sheet(FIX / "cawindmfa_on_material.csv")
    assert set(mag["generator"]) == set(cawindmfa.GENERATORS.values())  # tower columns ignored
    pm = mag.set_index(["generator", "material_id"])["kg_per_mw"]
    assert pm["wind_dd_pmsg", "neodymium"] == 150.0
    assert pm["wind_gb_pmsg", "dysprosium"] == 5.0
    sums = frac.groupby("generator")["mass_fraction"].sum()
    assert sums.round(6).eq(1.0).all()


def test_cawindmfa_bad_input(tmp_path):
    text = (FIX / "cawindmfa_on_material.csv").read_text(encoding="utf-8")
    p = tmp_path / "x.csv"
    p.write_text(text.replace("Cast Iron,0.4", "Kryptonite,0.4"), encoding="utf-8")
    with pytest.raises(DataError, match="unknown material row 'Kryptonite'"):
        cawindmfa.read_material_sheet(p)
    p.write_text(text.replace("Steel,0.5,0.4", "Steel,0.9,0.4"), encoding="utf-8")
    with pytest.raises(DataError, match="sum to"):
        cawindmfa.read_material_sheet(p)
    p.write_text("a,b\n1,2\n3,4\n5,6\n", encoding="utf-8")
    with pytest.raises(DataError, match="Nacelle"):
        cawindmfa.read_material_sheet(p)


# ---------------------------------------------------------------- BatPaC
def test_batpac_reads_and_pack_content():
    df = batpac.read_mineral_intensity(FIX / "batpac_kg_per_kwh.csv")
    assert "Battery_MWh" not in set(df["mineral"])
    pack = batpac.pack_content(df, "NMC 622", 60)
    assert pack["nickel"] == pytest.approx(0.55 * 60)
    assert pack["graphite"] == pytest.approx(0.9 * 60)


def test_batpac_bad_input(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("mineral,chemistry,kg_per_kwh\nVibranium,NMC 622,0.1\n", encoding="utf-8")
    with pytest.raises(DataError, match="(?:row|line) 2.*unknown mineral 'Vibranium'"):
        batpac.read_mineral_intensity(p)
    p.write_text("mineral,chemistry,kg_per_kwh\nLithium,NMC 622,120\n", encoding="utf-8")
    with pytest.raises(DataError, match="outside 0-50"):
        batpac.read_mineral_intensity(p)
    p.write_text("mineral,chem,kg\nLithium,NMC 622,0.1\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column"):
        batpac.read_mineral_intensity(p)
    df = batpac.read_mineral_intensity(FIX / "batpac_kg_per_kwh.csv")
    with pytest.raises(DataError, match="unknown battery chemistry"):
        batpac.pack_content(df, "NMC 999", 10)


# ---------------------------------------------------------------- PV_ICE
def test_pv_ice_conversion_g_per_m2_to_kg_per_mwp():
    t = pv_ice.read_technology(FIX / "pv_ice", "pv_csi")
    row = t[(t["year"] == 2010) & (t["material_id"] == "silver")].iloc[0]
    # 8 g/m² at 15 % -> 8 / (0.15 * 1000) g/W = 0.05333 g/W = 53.33 kg/MWp
    assert row["kg_per_mwp"] == pytest.approx(100 * 8 / 15)
    assert row["g_per_m2"] == 8 and row["efficiency_pct"] == 15


def test_pv_ice_cdte_drops_years_without_efficiency():
    t = pv_ice.read_technology(FIX / "pv_ice", "pv_cdte")
    assert 2008 not in set(t["year"])  # efficiency 0 before market entry


def test_pv_ice_vintage_table_bins_and_spread():
    t = pv_ice.read_technology(FIX / "pv_ice", "pv_cdte")
    tab = pv_ice.vintage_table(t, [(2008, 2010), (2011, 2013)], spread=0.2)
    al = tab[tab["material_id"] == "aluminium"]
    assert list(al["year_from"]) == [2011]  # zero-content years ignored, empty bin skipped
    cd = tab[(tab["material_id"] == "cadmium") & (tab["year_from"] == 2011)].iloc[0]
    vals = [100 * 7 / e for e in (15, 16, 17)]
    assert cd["central"] == pytest.approx(sum(vals) / 3)
    assert cd["low"] == pytest.approx(min(vals) * 0.8) and cd["high"] == pytest.approx(max(vals) * 1.2)


def test_pv_ice_bad_input(tmp_path):
    d = tmp_path / "pv"
    shutil.copytree(FIX / "pv_ice", d)
    f = d / "baseline_material_mass_silver.csv"
    lines = f.read_text(encoding="utf-8").splitlines()
    f.write_text("\n".join([lines[0]] + lines[2:]) + "\n", encoding="utf-8")  # units row removed
    with pytest.raises(DataError, match="units row"):
        pv_ice.read_technology(d, "pv_csi")
    f.write_text("\n".join(lines[:2] + ["2008,90,-3,95"]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="(?:row|line) 3.*negative"):
        pv_ice.read_technology(d, "pv_csi")
    f.write_text("\n".join([lines[0], "year,%,kg,%"] + lines[2:]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="expected 'g'"):
        pv_ice.read_technology(d, "pv_csi")
    with pytest.raises(DataError, match="technology 'pv_perovskite' unknown"):
        pv_ice.read_technology(d, "pv_perovskite")


# ---------------------------------------------------------------- real files
@pytest.mark.shared_data
def test_real_elma_files(shared_data):
    mi = shared_data / "material_intensity"
    gen = elma.read_components(mi / "elma_composition_generation.csv")
    # PROVENANCE: wind offshore Nd 158,337 g/MW = 158 kg/MW; onshore 20.3 kg/MW
    assert elma.value(gen, "Wind offshore", "neodymium", 2020) == pytest.approx(158.337)
    assert elma.value(gen, "Wind onshore", "neodymium", 2020) == pytest.approx(20.3)
    for name in ("elma_Materials_grid.csv", "elma_Materials_grid_additions.csv", "elma_storage_materials.csv",
                 "elma_composition_generation_dynamic.csv", "elma_Materials_grid_dynamic.csv"):
        assert len(elma.read_components(mi / name)) > 0
    assert len(elma.read_storage_density(mi / "elma_storage_density_kg_per_kwh.csv")) > 10


@pytest.mark.shared_data
def test_real_cawindmfa_files(shared_data):
    for sheet in ("on", "off"):
        _, mag = cawindmfa.read_material_sheet(shared_data / "material_intensity" / f"cawindmfa_{sheet}_material.csv")
        pm = mag.set_index(["generator", "material_id"])["kg_per_mw"]
        assert pm["wind_dd_pmsg", "neodymium"] == 168.0 and pm["wind_dd_pmsg", "dysprosium"] == 15.0
        assert pm["wind_gb_dfig", "neodymium"] == 0.0


@pytest.mark.shared_data
def test_real_batpac_and_pv_ice(shared_data):
    df = batpac.read_mineral_intensity(shared_data / "material_intensity"
                                       / "battery_mineral_intensity_batpac51_kg_per_kwh.csv")
    assert df["chemistry"].nunique() == 21
    t = pv_ice.read_technology(shared_data / "pv_ice", "pv_csi")
    ag = t[(t["material_id"] == "silver")].set_index("year")["kg_per_mwp"]
    assert 10 < ag[2022] < 20 and ag[1995] > ag[2010] > ag[2022]  # silver thrifting
    cd = pv_ice.read_technology(shared_data / "pv_ice", "pv_cdte")
    assert 20 < cd[(cd["material_id"] == "cadmium") & (cd["year"] == 2022)]["kg_per_mwp"].item() < 45
