"""EC 2023 supply risk recomputed from its published inputs (risk_inputs package) and compared per stage.

The first tests need no external data (the bundled package and inline frames). The reproduction tests run
on the real EC 2023 share files and WGI in ../shared/data and skip when it is absent.

Tolerance (critmat.risk_reproduction.ABS_TOL/REL_TOL): |SR_computed − SR_published| <= 0.05 + 0.05 · SR_published
— 0.05 is half the 0.1 rounding of the published SR, 5 % covers the WGI vintage (critmat has WGI 2022 only).
Stages outside it are listed in NOT_REPRODUCED with the reason; a change in either direction fails.

Run ``python tests/test_risk_sr_reproduction.py`` to print the table of docs/risk-methods.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmat import risk_reproduction as rr
from critmat.catalog.sources import source_registry
from critmat.loaders import ec_crm
from critmat.materials import MaterialIndex

WGI_FILE = Path("wgi") / "wgi_2022_mean6_normalised_0_1.csv"

#: (material, stage) outside the tolerance, with the kind of reason (details in the `reason` column / docs).
NOT_REPRODUCED = {
    # no EU-sourcing shares for the element at extraction in Annex 7: global used in both terms
    **{(m, "extraction"): "no EU sourcing" for m in ("dysprosium", "erbium", "europium", "gadolinium", "holmium",
                                                      "lutetium", "terbium", "thulium", "ytterbium", "yttrium",
                                                      "titanium_metal")},
    # transcription doubts, checked in test_noted_transcription_doubts_explain_the_deviation
    ("kaolin_clay", "extraction"): "doubtful EoL-RIR", ("kaolin_clay", "processing"): "doubtful EoL-RIR",
    ("perlite", "extraction"): "doubtful basis", ("chromium", "extraction"): "doubtful IR",
    ("neodymium", "extraction"): "doubtful stage SR", ("molybdenum", "processing"): "basis 'EU'",
    # unexplained with the inputs as transcribed
    **{k: "unexplained" for k in (
        ("arsenic", "processing"), ("germanium", "processing"), ("cerium", "extraction"),
        ("yttrium", "processing"), ("rhodium", "processing"), ("platinum", "processing"),
        ("palladium", "processing"), ("lanthanum", "processing"), ("neodymium", "processing"),
        ("samarium", "processing"), ("titanium", "processing"), ("silver", "extraction"),
        ("phosphate_rock", "extraction"), ("natural_teak_wood", "extraction"), ("lithium", "processing"),
        ("tantalum", "extraction"), ("beryllium", "processing"), ("krypton", "processing"),
        ("gold", "extraction"))},
}


@pytest.fixture(scope="module")
def ref() -> dict[str, pd.DataFrame]:
    return rr.reference_frames()


@pytest.fixture(scope="module")
def inputs(ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return rr.load_risk_inputs(known=ref)


# ------------------------------------------------------------------------------------ the curated package


def test_inputs_are_fractions_with_registered_sources(inputs: pd.DataFrame) -> None:
    assert not inputs.duplicated(["material_id", "stage"]).any()
    for col in ("import_reliance_share", "eol_rir_share", "si_sr", "si_ei"):
        v = inputs[col].dropna().astype(float)
        assert ((v >= 0) & (v <= 1)).all(), col
    assert set(inputs["source_id"]) <= set(source_registry())
    # percentages of the source became fractions: gallium IR 98 %, copper EoL-RIR 55 %, lead 83 %
    g = inputs.set_index(["material_id", "stage"])
    assert g.at[("gallium", "processing"), "import_reliance_share"] == pytest.approx(0.98)
    assert g.at[("copper", "extraction"), "eol_rir_share"] == pytest.approx(0.55)
    assert g.at[("lead", "processing"), "eol_rir_share"] == pytest.approx(0.83)
    # EoL-RIR and SI are per material: equal on both stages
    both = inputs.groupby("material_id").filter(lambda d: len(d) == 2)
    assert (both.groupby("material_id")[["eol_rir_share", "si_sr"]].nunique(dropna=False) == 1).all().all()


def test_every_row_without_a_value_or_with_a_repair_says_so(inputs: pd.DataFrame) -> None:
    groups = {"rare_earth_elements_heavy", "rare_earth_elements_light", "platinum_group_metals"}
    no_si = inputs[inputs["si_sr"].isna()]
    assert set(no_si["material_id"]) == groups | {"silica_sand"}
    assert no_si["note"].fillna("").str.len().gt(0).all()
    shifted = inputs[inputs["note"].fillna("").str.contains("shifted")]
    assert {"coking_coal", "diatomite", "magnesite", "natural_cork", "strontium"} <= set(shifted["material_id"])


# ------------------------------------------------------------------------------------ glue on inline frames


def _inp(**kw: object) -> pd.DataFrame:
    row = {"material_id": "x", "stage": "extraction", "import_reliance_share": 0.5, "eol_rir_share": 0.2,
           "si_sr": 0.9, "sr_supply_basis": "gs_and_eu", "supply_risk_stage": 1.0, "note": None}
    row.update(kw)
    return pd.DataFrame([row])


COMP = pd.DataFrame({"material_id": ["x"], "stage": ["extraction"], "hhi_wgi_t_global": [2.0],
                     "hhi_wgi_t_eu_sourcing": [1.0]})


def test_supply_basis_selects_the_terms() -> None:
    both = rr.compute_stage_sr(COMP, _inp()).iloc[0]
    assert both["sr_computed"] == pytest.approx((2.0 * 0.25 + 1.0 * 0.75) * 0.8 * 0.9)
    gs = rr.compute_stage_sr(COMP, _inp(sr_supply_basis="gs_only")).iloc[0]
    assert gs["sr_computed"] == pytest.approx(2.0 * 0.8 * 0.9)
    eu = rr.compute_stage_sr(COMP, _inp(sr_supply_basis="eu_only", import_reliance_share=np.nan)).iloc[0]
    assert eu["sr_computed"] == pytest.approx(1.0 * 0.8 * 0.9)
    # computed 0.9; tolerance 0.05 + 5 % of the published value
    assert bool(rr.compute_stage_sr(COMP, _inp(supply_risk_stage=0.99)).iloc[0]["reproduced"])
    assert not bool(rr.compute_stage_sr(COMP, _inp(supply_risk_stage=1.01)).iloc[0]["reproduced"])


def test_missing_terms_fall_back_or_give_a_reason() -> None:
    no_eu = COMP.assign(hhi_wgi_t_eu_sourcing=np.nan)
    r = rr.compute_stage_sr(no_eu, _inp(import_reliance_share=np.nan)).iloc[0]
    assert r["sr_computed"] == pytest.approx(2.0 * 0.8 * 0.9) and "global supply used in both" in r["reason"]
    no_gs = COMP.assign(hhi_wgi_t_global=np.nan)
    r = rr.compute_stage_sr(no_gs, _inp(import_reliance_share=0.0)).iloc[0]
    assert r["sr_computed"] == pytest.approx(1.0 * 0.8 * 0.9) and "weight 0" in r["reason"]
    r = rr.compute_stage_sr(no_gs, _inp()).iloc[0]  # IR 0.5 needs the global term
    assert np.isnan(r["sr_computed"]) and r["reason"].startswith("not computed: no global supply shares")
    assert pd.isna(r["reproduced"])
    r = rr.compute_stage_sr(COMP, _inp(import_reliance_share=np.nan, si_sr=np.nan, note="n")).iloc[0]
    assert r["reason"] == "not computed: no IR, no SI_SR; n"
    r = rr.compute_stage_sr(COMP, _inp(supply_risk_stage=np.nan)).iloc[0]
    assert pd.isna(r["reproduced"]) and r["reason"].startswith("no published stage SR")
    r = rr.compute_stage_sr(COMP, _inp(supply_risk_stage=3.0)).iloc[0]
    assert r["reason"] == "unexplained (inputs as transcribed)"


# ------------------------------------------------------------------------------------ real EC 2023 files

_CACHE: dict[Path, tuple[pd.DataFrame, pd.DataFrame]] = {}


def _data(shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reproduction table, SR components) for the shared data, computed once per session."""
    if shared_data not in _CACHE:
        ref = rr.reference_frames()
        supply, wgi_scaled = rr.load_supply_and_wgi(shared_data / "eu_crm", shared_data / WGI_FILE, ref)
        comp = rr.risk.supply_risk_components(supply, wgi_scaled, eu_members=rr.eu_members(ref["countries"]))
        table = rr.compute_stage_sr(comp, rr.load_risk_inputs(known=ref))
        _CACHE[shared_data] = (table, comp)
    return _CACHE[shared_data]


@pytest.fixture
def table(shared_data: Path) -> pd.DataFrame:
    return _data(shared_data)[0]


@pytest.mark.shared_data
@pytest.mark.filterwarnings("ignore::critmat.errors.DataWarning")
def test_published_stage_sr_is_reproduced(table: pd.DataFrame) -> None:
    comparable = table[table["reproduced"].notna()]
    assert len(comparable) >= 120, len(comparable)
    assert int(comparable["reproduced"].sum()) >= 85, comparable.to_string()
    missed = {(r.material_id, r.stage) for r in comparable.itertuples() if not r.reproduced}
    assert missed == set(NOT_REPRODUCED), (missed ^ set(NOT_REPRODUCED))
    assert comparable.loc[~comparable["reproduced"].astype(bool), "reason"].str.len().gt(0).all()
    by = table.set_index(["material_id", "stage"])
    for key, pub in ((("gallium", "processing"), 3.9), (("magnesium", "processing"), 4.1),
                     (("cobalt", "extraction"), 2.8), (("niobium", "extraction"), 4.4),
                     (("natural_graphite", "extraction"), 1.8), (("tungsten", "processing"), 1.2),
                     (("iridium", "processing"), 3.9), (("copper", "extraction"), 0.1)):
        assert by.at[key, "sr_published"] == pub and bool(by.at[key, "reproduced"]), key


@pytest.mark.shared_data
@pytest.mark.filterwarnings("ignore::critmat.errors.DataWarning")
def test_not_computed_stages_are_the_groups_and_silica_sand(table: pd.DataFrame) -> None:
    not_computed = table[table["sr_computed"].isna()]
    assert set(not_computed["material_id"]) == {"rare_earth_elements_heavy", "rare_earth_elements_light",
                                                "platinum_group_metals", "silica_sand"}
    assert not_computed["reason"].str.startswith("not computed").all()


@pytest.mark.shared_data
@pytest.mark.filterwarnings("ignore::critmat.errors.DataWarning")
def test_noted_transcription_doubts_explain_the_deviation(shared_data: Path) -> None:
    """The notes' claims: kaolin with EoL-RIR 0, perlite on EU sourcing, chromium ore with IR 1 reproduce."""
    table, comp = _data(shared_data)
    inputs = rr.load_risk_inputs()
    key = inputs.set_index(["material_id", "stage"]).index
    fixed = inputs.copy()
    fixed.loc[key.get_level_values(0) == "kaolin_clay", "eol_rir_share"] = 0.0
    fixed.loc[key.isin([("perlite", "extraction")]), "sr_supply_basis"] = "eu_only"
    fixed.loc[key.isin([("chromium", "extraction")]), "import_reliance_share"] = 1.0
    redo = rr.compute_stage_sr(comp, fixed).set_index(["material_id", "stage"])
    for k in (("kaolin_clay", "extraction"), ("kaolin_clay", "processing"), ("perlite", "extraction"),
              ("chromium", "extraction")):
        assert not bool(table.set_index(["material_id", "stage"]).at[k, "reproduced"]), k
        assert bool(redo.at[k, "reproduced"]), (k, redo.at[k, "sr_computed"])


@pytest.mark.shared_data
@pytest.mark.filterwarnings("ignore::critmat.errors.DataWarning")
def test_material_bottleneck_against_annex4(shared_data: Path, table: pd.DataFrame,
                                            ref: dict[str, pd.DataFrame]) -> None:
    """The computed higher stage against the independent Annex 4 transcription (ec_crm_2023_dataset)."""
    idx = MaterialIndex(ref["materials"], ref["material_aliases"], ref["material_lists"])
    pub = ec_crm.read_sr_ei(ec_crm.find_file(shared_data / "eu_crm", "sr_ei"), idx)
    pub = pub[pub["year"] == 2023]
    mat = rr.material_sr_comparison(table.dropna(subset=["sr_computed"]), pub)
    ok = mat["deviation"].abs() <= rr.ABS_TOL + rr.REL_TOL * mat["sr_published"]
    assert len(mat) >= 65 and int(ok.sum()) >= 50, mat[~ok].to_string()
    # the two transcriptions agree on the material SR (to 0.1) except aluminium (1.2 vs 1.1), silicon metal
    # (1.4 vs 1.3) and the LREE group (stage value 3.58 vs material 3.7 in the same transcribed row)
    stage_max = table.groupby("material_id")["sr_published"].max()
    both = pub.set_index("material_id")["supply_risk"].to_frame().join(stage_max, how="inner")
    assert len(both) >= 68
    differ = set(both.index[(both["supply_risk"] - both["sr_published"]).abs() > 0.05 + 1e-9])
    assert differ == {"aluminium", "silicon_metal", "rare_earth_elements_light"}, both.loc[sorted(differ)]


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    print(rr.markdown(rr.sr_reproduction_table(root / "eu_crm", root / WGI_FILE)))
