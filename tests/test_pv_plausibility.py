"""National plausibility: Dutch PV waste from IRENA installations vs the RIVM figures quoted by HCSS.

Chain: IRENA net PV additions for the Netherlands 2000-2022 (MW, source ``irena_pv_capacity_2022``, read by
``critmat.loaders.irena``) x module mass per MW of the installation year (PV_ICE c-Si g/m² of glass, frame,
encapsulant, backsheet, silicon, copper and silver ÷ module efficiency, source ``nrel_pv_ice``: about 92 t/MW
in 2000 falling to 58 t/MW in 2022) → tonnes of modules entering the stock → ``inflow_driven`` with the
IRENA/IEA-PVPS (2016) regular-loss lifetime ``Weibull(shape=5.3759, scale=30)``
(``irena_iea_pvps_2016_pv_eol``) → outflow = PV waste (t). After 2022: additions flat at the 2020-2022
mean (assumption ``critmat_assumption_pv_future_additions``), bracketed by none and the 2022 level.

RIVM (``rivm_2024_pv_recycling``, quoted in HCSS 2025 section 3): about 10,000 t in 2035 and 230,000 t in
2045. The model must land within a factor 2.5 of each figure in the central case: the factor covers the
differences documented in docs/benchmarks.md (installation series — IRENA vs CBS —, future additions,
lifetime and module mass), each of which moves the result by tens of percent; a factor beyond 2.5 would
point to an error in units (MW vs t), time convention or the lifetime. The results are written out in
docs/benchmarks.md ("PV plausibility").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmat.catalog.sources import get_source
from critmat.errors import DataError
from critmat.loaders import irena
from critmat.loaders.pv_ice import kg_per_mwp, read_baseline
from critmat.models.dynamics import inflow_driven
from critmat.models.lifetimes import Weibull

FIXTURES = Path(__file__).parent / "fixtures" / "irena"
RIVM_T = {2035: 10_000.0, 2045: 230_000.0}
FACTOR = 2.5
REGULAR_LOSS = Weibull(shape=5.3759, scale=30)
SOURCES = ("irena_pv_capacity_2022", "nrel_pv_ice", "irena_iea_pvps_2016_pv_eol", "rivm_2024_pv_recycling",
           "critmat_assumption_pv_future_additions")
CSI_PARTS = ("glass", "aluminium_frames", "encapsulant", "backsheet", "silicon", "copper", "silver")


# --- loader on fixtures written in the publisher's layouts -------------------------------------------

def test_read_annual_additions_fixture() -> None:
    df = irena.read_pv_annual_additions(FIXTURES / "pv_annual_additions_wide.csv")
    assert list(df.columns) == ["country_or_area", "year", "net_added_capacity_mw"]
    nl = irena.pv_additions_series(df, "Netherlands")
    assert nl.to_dict() == {2018: 120.0, 2019: 250.25, 2020: 300.0, 2021: 280.0}
    assert df.query("country_or_area == 'Belgium' and year == 2019")["net_added_capacity_mw"].item() == -3.5
    assert sorted(df.query("country_or_area == 'Atlantis'")["year"]) == [2020, 2021]  # empty cells dropped


def test_read_cumulative_fixture_and_differences() -> None:
    cum = irena.read_pv_cumulative_capacity(FIXTURES / "pv_cumulative_capacity_long.csv")
    assert list(cum.columns) == ["country_or_area", "year", "cumulative_capacity_mw", "irena_flag"]
    assert cum.query("year == 2020 and country_or_area == 'Netherlands'")["irena_flag"].item() == "e"
    add = irena.additions_from_cumulative(cum)
    nl = irena.pv_additions_series(add, "Netherlands")
    wide = irena.pv_additions_series(irena.read_pv_annual_additions(FIXTURES / "pv_annual_additions_wide.csv"),
                                     "Netherlands")
    assert nl[2018] == 400.0  # first year: the whole cumulative capacity counts as added
    pd.testing.assert_series_equal(nl.loc[2019:], wide.loc[2019:], check_names=False)
    assert irena.pv_additions_series(add, "Belgium").to_dict() == {2019: 500.0, 2020: -5.0, 2021: 110.0}


@pytest.mark.parametrize("name, text, match", [
    ("wide_bad_number.csv", ",World\n2020,12x\n", r"line 2, column 'World': not a number: '12x'"),
    ("wide_bad_year.csv", ",World\n20x0,1\n", r"line 2, column 'year'"),
    ("wide_dup_year.csv", ",World\n2020,1\n2020,2\n", "year 2020 appears twice"),
    ("wide_bad_first.csv", "country,World\n2020,1\n", "first column must be the \\(unnamed\\) year column"),
    ("long_missing.csv", "country_or_area,year,cumulative_capacity_MW\nX,2020,1\n", r"missing column\(s\)"),
    ("long_negative.csv", "country_or_area,year,cumulative_capacity_MW,irena_flag\nX,2020,-1,\n",
     r"line 2, column 'cumulative_capacity_MW': cumulative capacity must be >= 0"),
    ("long_dup.csv", "country_or_area,year,cumulative_capacity_MW,irena_flag\nX,2020,1,\nX,2020,2,\n",
     "'X' 2020 appears twice"),
])
def test_loader_errors(tmp_path: Path, name: str, text: str, match: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    reader = irena.read_pv_annual_additions if name.startswith("wide") else irena.read_pv_cumulative_capacity
    with pytest.raises(DataError, match=match):
        reader(path)


def test_loader_missing_file_and_country(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        irena.read_pv_annual_additions(tmp_path / "nope.csv")
    df = irena.read_pv_annual_additions(FIXTURES / "pv_annual_additions_wide.csv")
    with pytest.raises(DataError, match="no PV capacity figures for 'Narnia'"):
        irena.pv_additions_series(df, "Narnia")


# --- the national run on the real files ----------------------------------------------------------------

def _module_t_per_mw(pv_ice: Path) -> pd.Series:
    """Tonnes of c-Si module per MWp by year of manufacture (PV_ICE g/m² summed over the parts ÷ efficiency)."""
    g_m2 = sum(read_baseline(pv_ice / f"baseline_material_mass_{part}.csv", "mat_massperm2", "g")
               for part in CSI_PARTS)
    eff = read_baseline(pv_ice / "baseline_modules_mass_World.csv", "mod_eff", "%")
    return kg_per_mwp(g_m2, eff) / 1000.0


def pv_waste_nl(shared: Path, future_mw_per_year: str = "mean_2020_2022",
                lifetime: Weibull = REGULAR_LOSS, last_year: int = 2050) -> pd.Series:
    """Dutch PV module waste (t/yr) from IRENA additions, PV_ICE mass per MW and a lifetime."""
    pv_ice = shared / "pv_ice"
    adds = irena.pv_additions_series(
        irena.read_pv_annual_additions(pv_ice / "irena_pv_annual_additions_by_country_2000_2022_MW.csv"),
        "Netherlands")
    future = {"none": 0.0, "mean_2020_2022": float(adds.loc[2020:2022].mean()),
              "level_2022": float(adds.loc[2022])}[future_mw_per_year]
    years = np.arange(int(adds.index.min()), last_year + 1)
    mw = adds.reindex(years).fillna(future).clip(lower=0).to_numpy()
    t_per_mw = _module_t_per_mw(pv_ice).reindex(years).ffill().to_numpy()  # PV_ICE ends in 2050
    result = inflow_driven(mw * t_per_mw, lifetime, years)
    return pd.Series(result.outflow, index=years, name="pv_waste_t")


def test_sources_are_registered() -> None:
    for sid in SOURCES:
        assert get_source(sid).id == sid
    assert get_source("critmat_assumption_pv_future_additions").kind == "assumption"


@pytest.mark.shared_data
def test_module_mass_per_mw_matches_literature_range(shared_data: Path) -> None:
    t_per_mw = _module_t_per_mw(shared_data / "pv_ice")
    assert 85 <= t_per_mw[2000] <= 100  # early panels: heavy, low efficiency
    assert 55 <= t_per_mw[2020] <= 65
    assert t_per_mw[2000] > t_per_mw[2010] > t_per_mw[2020]


@pytest.mark.shared_data
def test_dutch_pv_waste_within_factor_of_rivm(shared_data: Path) -> None:
    central = pv_waste_nl(shared_data)
    low = pv_waste_nl(shared_data, "none")
    high = pv_waste_nl(shared_data, "level_2022")
    for year, rivm in RIVM_T.items():
        ratio = central[year] / rivm
        assert 1 / FACTOR <= ratio <= FACTOR, f"{year}: model {central[year]:,.0f} t vs RIVM {rivm:,.0f} t"
        assert low[year] <= central[year] <= high[year]
    # waste grows steeply between 2035 and 2045 (RIVM: x23): the 2010s boom reaches its wear-out ages
    assert central[2045] / central[2035] > 5
    # little waste before 2030: Dutch PV is young
    assert central.loc[:2029].sum() < central[2035]


@pytest.mark.shared_data
def test_national_run_conserves_mass(shared_data: Path) -> None:
    waste = pv_waste_nl(shared_data, "none", last_year=2200)
    pv_ice = shared_data / "pv_ice"
    adds = irena.pv_additions_series(
        irena.read_pv_annual_additions(pv_ice / "irena_pv_annual_additions_by_country_2000_2022_MW.csv"),
        "Netherlands")
    installed_t = (adds.clip(lower=0) * _module_t_per_mw(pv_ice).reindex(adds.index)).sum()
    assert waste.sum() == pytest.approx(installed_t, rel=1e-9)  # everything installed is discarded once
