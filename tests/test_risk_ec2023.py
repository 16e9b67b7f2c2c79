"""The EU supply-risk formula against the EC 2023 assessment, on the real files in ../shared/data.

The EC's per-material import reliance (IR), end-of-life recycling input rate (EoL-RIR) and substitution
index (SI_SR) are not in ../shared/data and are not yet curated in critmat, so SR cannot be recomputed
exactly. What the published shares *do* pin down is an upper bound: with EoL-RIR >= 0, SI_SR <= 1 and
IR <= 1 − (EU member states' share of EU sourcing), the formula cannot exceed
``risk.sr_upper_bound(...)``. Every published 2023 SR must respect that bound at its bottleneck stage, up to
the WGI vintage (we have WGI 2022 only; the EC used an earlier vintage) and rounding (SR is published to
0.1; shares to 0.1 % / 1 %). The ratio published / bound is then the implied (1 − EoL-RIR) · SI_SR.

Run ``python tests/test_risk_ec2023.py`` to print the reproduction table of docs/risk-methods.md.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmat.models import risk

#: Relative tolerance for WGI vintage and share rounding, plus half the 0.1 rounding of published SR.
REL_TOL = 0.05
ROUNDING = 0.05
#: Published SR above the bound: the EC must have used inputs other than the Annex 7 shares (see docs).
KNOWN_ABOVE_BOUND = {"arsenic"}

EU27 = frozenset("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT "
                 "ROU SVK SVN ESP SWE".split())
# Country spellings in the EC files that country_converter does not know.
COUNTRY_FIX = {"Brasilia": "BRA", "Brasil": "BRA", "Libanon": "LBN", "Congo, D.R.": "COD", "Turkyie": "TUR"}
# Material spellings that differ between the EC's share tables and its SR table.
MATERIAL_FIX = {"barytes": "baryte", "borate": "boron", "kaolin": "kaolin_clay", "phosphorous": "phosphorus",
                "hrees": "rare_earth_elements_heavy", "lrees": "rare_earth_elements_light",
                "pgms": "platinum_group_metals"}
GROUP_FIX = {"HREE": "rare_earth_elements_heavy", "LREE": "rare_earth_elements_light", "PGM": "platinum_group_metals"}


def material_id(name: str) -> str:
    key = "_".join(str(name).strip().lower().split())
    return MATERIAL_FIX.get(key, key)


def iso3(names: pd.Series) -> list[str]:
    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    uniq = sorted(set(names))
    conv = coco.convert(uniq, to="ISO3", not_found=None)
    mapping = {n: COUNTRY_FIX.get(n, c) for n, c in zip(uniq, conv)}
    bad = [n for n, c in mapping.items() if not (isinstance(c, str) and len(c) == 3 and c.isupper())]
    assert not bad, f"country names without ISO3: {bad}"
    return [mapping[n] for n in names]


def share_fraction(text: str) -> float:
    """EC share text → fraction: ``"62.8%"`` → 0.628, ``"<0.1%"`` → 0.0005 (half the threshold)."""
    t = str(text).strip()
    if t.startswith("<"):
        return float(t[1:].rstrip("%")) / 100 / 2
    return float(t.rstrip("%")) / 100


def read_supply(data: Path) -> pd.DataFrame:
    frames = []
    for name, scope in (("crm_2023_global_supply_shares.csv", "global"),
                        ("crm_2023_eu_sourcing_shares.csv", "eu_sourcing")):
        df = pd.read_csv(data / "eu_crm" / name, dtype=str)
        df["scope"] = scope
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({
        "material_id": df["Material"].map(material_id),
        "stage": df["Stage"].map({"E": "extraction", "P": "processing"}),
        "scope": df["scope"],
        "country_iso3": iso3(df["Country"]),
        "share": df["Share"].map(share_fraction),
        "trade_factor": df["t"].astype(float),
    })


def read_wgi_scaled(data: Path) -> pd.Series:
    """WGI 2022 (mean of six, rescaled 0..1 as (x+2.5)/5 by the file's author) → EC 0..10 scale."""
    df = pd.read_csv(data / "wgi" / "wgi_2022_mean6_normalised_0_1.csv")
    estimate = pd.Series(5.0 * df["2022"].to_numpy() - 2.5, index=iso3(df["Country/Territory"]))
    return risk.wgi_eu_scaled(estimate)


def read_published_sr(data: Path) -> pd.Series:
    df = pd.read_csv(data / "eu_crm" / "crm_sr_ei_2011_2023.csv", dtype=str)
    df = df[(df["Year"] == "2023") & (df["SR"] != "-")]
    return pd.Series(df["SR"].astype(float).to_numpy(), index=df["Material"].map(material_id).to_numpy())


def read_groups(data: Path) -> dict[str, list[str]]:
    df = pd.read_csv(data / "eu_crm" / "crm_2023_screened_material_groupings.csv")
    out: dict[str, list[str]] = {}
    for mat, grp in zip(df["screened_material"], df["perm_XREE_PGM"]):
        if grp in GROUP_FIX:
            out.setdefault(GROUP_FIX[grp], []).append(material_id(mat))
    return out


def reproduction_table(data: Path) -> pd.DataFrame:
    """Per 2023 material: bottleneck stage of the bound, published SR, SR upper bound, ratio, status."""
    supply = read_supply(data)
    comp = risk.supply_risk_components(supply, read_wgi_scaled(data), eu_members=EU27)
    comp = comp.dropna(subset=["hhi_wgi_t_global"]).copy()
    comp["sr_upper"] = [
        risk.sr_upper_bound(g, None if np.isnan(e) else e, 1.0 if np.isnan(i) else i)
        for g, e, i in zip(comp["hhi_wgi_t_global"], comp["hhi_wgi_t_eu_sourcing"], comp["import_reliance_max"])
    ]
    top = risk.bottleneck(comp, "sr_upper").set_index("material_id")
    groups = read_groups(data)
    rows = []
    for mat, sr_pub in read_published_sr(data).sort_index().items():
        if mat in top.index:
            stage, bound, note = top.loc[mat, "stage"], float(top.loc[mat, "sr_upper"]), ""
        elif mat in groups and set(groups[mat]) <= set(top.index):
            members = top.loc[groups[mat]]
            best = members["sr_upper"].idxmax()
            stage, bound = members.loc[best, "stage"], float(members["sr_upper"].max())
            note = f"group: bound of its most concentrated member ({best}); not asserted"
        else:
            stage, bound = "", np.nan
            have = sorted(set(supply.loc[supply.material_id == mat, "scope"]))
            note = f"no global supply shares in Annex 7 (have: {', '.join(have) or 'none'})"
        ratio = sr_pub / bound if bound == bound else np.nan
        if not note:
            within = sr_pub <= bound * (1 + REL_TOL) + ROUNDING
            note = "within bound" if within else "ABOVE bound"
        rows.append({"material_id": mat, "stage": stage, "sr_published": sr_pub, "sr_upper": bound,
                     "implied_factor": ratio, "result": note})
    return pd.DataFrame(rows)


_CACHE: dict[Path, pd.DataFrame] = {}


@pytest.fixture
def table(shared_data: Path) -> pd.DataFrame:
    if shared_data not in _CACHE:
        _CACHE[shared_data] = reproduction_table(shared_data)
    return _CACHE[shared_data]


@pytest.mark.shared_data
def test_published_sr_respects_the_formula_bound(table: pd.DataFrame) -> None:
    assert (table["result"] == "within bound").sum() >= 55, table.to_string()
    above = set(table.loc[table["result"] == "ABOVE bound", "material_id"])
    assert above == KNOWN_ABOVE_BOUND, table[table["result"] == "ABOVE bound"].to_string()


@pytest.mark.shared_data
def test_implied_recycling_and_substitution_factor_is_plausible(table: pd.DataFrame) -> None:
    """Published / bound = (1 − EoL-RIR)·SI_SR·(IR effect): typically 0.6..1 (SI_SR of most CRMs ~0.8–1).

    A wrong WGI direction or scale (e.g. % shares without /10,000) moves this far outside the band.
    """
    asserted = table[table["result"] == "within bound"]
    median = float(asserted["implied_factor"].median())
    assert 0.7 <= median <= 1.0, median
    # high-recycling metals have the lowest factors (copper, lead: EoL-RIR is large for base metals)
    low = set(asserted.nsmallest(5, "implied_factor")["material_id"])
    assert {"copper", "lead"} <= low, asserted.nsmallest(5, "implied_factor").to_string()


@pytest.mark.shared_data
def test_gallium_is_reproduced_by_the_concentration_terms(table: pd.DataFrame) -> None:
    # gallium's published 3.9 is matched by the concentration terms alone: (1 - EoL-RIR)·SI_SR is about 1
    ga = table.set_index("material_id").loc["gallium"]
    assert ga["stage"] == "processing"
    assert ga["sr_upper"] == pytest.approx(3.9, abs=0.1)


@pytest.mark.shared_data
def test_crma_check_on_eu_sourcing_2023(shared_data: Path) -> None:
    """The 65 % single-third-country check on the EC's EU-sourcing shares (2023 study, Annex 7)."""
    supply = read_supply(shared_data)
    out = risk.concentration_table(supply[supply["scope"] == "eu_sourcing"], eu_members=EU27)
    out = out.set_index(["material_id", "stage"])
    flagged = {k for k, v in out["crma_exceeds"].items() if v}
    # China: magnesium 97 %, gallium 69 %, germanium 83 %; Turkey: borates 99 %; Chile: lithium 79 %
    assert {("magnesium", "processing"), ("gallium", "processing"), ("germanium", "processing"),
            ("boron", "extraction"), ("lithium", "processing")} <= flagged
    assert out.loc[("magnesium", "processing"), "crma_country"] == "CHN"
    assert out.loc[("boron", "extraction"), "crma_country"] == "TUR"
    # hafnium: 76 % from France, an EU member, is not a third-country dependency
    hf = out.loc[("hafnium", "processing")]
    assert hf["top_country"] == "FRA" and not hf["crma_exceeds"]


def markdown(table: pd.DataFrame) -> str:
    lines = ["| material | stage (bound) | SR published | SR upper bound | published / bound | result |",
             "|---|---|---:|---:|---:|---|"]
    for r in table.itertuples():
        bound = "" if r.sr_upper != r.sr_upper else f"{r.sr_upper:.2f}"
        ratio = "" if r.implied_factor != r.implied_factor else f"{r.implied_factor:.2f}"
        lines.append(f"| {r.material_id} | {r.stage} | {r.sr_published:.1f} | {bound} | {ratio} | {r.result} |")
    return "\n".join(lines)


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    print(markdown(reproduction_table(root)))
