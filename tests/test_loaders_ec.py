"""EC CRM and WGI loaders: on small fixtures in the publishers' formats and on the real copies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmat.catalog.package import load_package
from critmat.errors import DataError
from critmat.loaders import ec_crm, wgi
from critmat.materials import MaterialIndex
from critmat.paths import bundled_packages

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def ref() -> dict[str, pd.DataFrame]:
    return {k: v.frame for k, v in load_package(bundled_packages() / "reference").items()}


@pytest.fixture(scope="module")
def idx(ref: dict[str, pd.DataFrame]) -> MaterialIndex:
    return MaterialIndex(ref["materials"], ref["material_aliases"], ref["material_lists"])


def test_supply_shares_fixture(idx: MaterialIndex) -> None:
    df = ec_crm.read_supply_shares(FIX / "ec_crm" / "fact_GlobalSupplyShares&t.csv", "global", idx)
    ga = df[(df.material_id == "gallium") & (df.stage == "processing")].set_index("country_iso3")
    assert ga.at["CHN", "share"] == pytest.approx(0.938)
    assert ga.at["KOR", "share"] == pytest.approx(0.009)
    assert ga.at["DEU", "trade_factor"] == 0.8
    co = df[(df.material_id == "cobalt")].set_index(["stage", "country_iso3"])
    assert co.at[("extraction", "COD"), "share"] == pytest.approx(0.628)
    assert co.at[("processing", "COD"), "share"] == ec_crm.CENSORED_SHARE
    assert co.at[("processing", "COD"), "share_reported"] == "<0.1%"
    assert set(df.material_id) == {"gallium", "cobalt", "baryte", "rare_earth_elements_heavy"}


def test_sr_ei_fixture(idx: MaterialIndex) -> None:
    df = ec_crm.read_sr_ei(FIX / "ec_crm" / "dimension_CRMsOverTime.csv", idx)
    assert len(df) == 6  # the "-" row of aggregates is dropped
    ga = df[df.material_id == "gallium"].set_index("year")
    assert ga.at[2023, "supply_risk"] == 3.9 and ga.at[2011, "economic_importance"] == 5.2


@pytest.mark.parametrize("text,expected", [("62.8%", 0.628), ("100%", 1.0), ("<0.1%", 0.0005), ("4 %", 0.04)])
def test_parse_share(text: str, expected: float) -> None:
    assert ec_crm.parse_share(text, file="f", row=2) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["104%", "abc", "0.5", ""])
def test_parse_share_rejects(text: str) -> None:
    with pytest.raises(DataError, match="f, line 7, column 'Share'"):
        ec_crm.parse_share(text, file="f", row=7)


def test_bare_number_is_read_as_percent_with_warning() -> None:
    with pytest.warns(UserWarning, match="no % sign"):
        assert ec_crm.parse_share("6", file="f", row=2) == pytest.approx(0.06)


def test_unknown_material_country_stage_name_the_line(tmp_path: Path, idx: MaterialIndex) -> None:
    bad = tmp_path / "shares.csv"
    bad.write_text("Material,Stage,Country,Share,t\nGallium,P,China,90%,1\nUnobtainium,P,China,5%,1\n")
    with pytest.raises(DataError, match="line 3") as exc:
        ec_crm.read_supply_shares(bad, "global", idx)
    assert "Unobtainium" in str(exc.value) and "'Material'" in str(exc.value)
    bad.write_text("Material,Stage,Country,Share,t\nGallium,P,Atlantis,90%,1\n")
    with pytest.raises(DataError, match="Atlantis"):
        ec_crm.read_supply_shares(bad, "global", idx)
    bad.write_text("Material,Stage,Country,Share,t\nGallium,X,China,90%,1\n")
    with pytest.raises(DataError, match="stage 'X'"):
        ec_crm.read_supply_shares(bad, "global", idx)


def test_missing_column(tmp_path: Path, idx: MaterialIndex) -> None:
    bad = tmp_path / "shares.csv"
    bad.write_text("Material,Stage,Country,t\nGallium,P,China,1\n")
    with pytest.raises(DataError, match="missing column.*Share"):
        ec_crm.read_supply_shares(bad, "global", idx)


def test_cp1252_export_is_read(tmp_path: Path, idx: MaterialIndex) -> None:
    f = tmp_path / "shares.csv"
    f.write_bytes("Material,Stage,Country,Share,t\nChromium,E,Türkiye,5%,1\n".encode("cp1252"))
    df = ec_crm.read_supply_shares(f, "global", idx)
    assert df.country_iso3.tolist() == ["TUR"]


def test_published_byte_form_is_read(idx: MaterialIndex) -> None:
    """The EC files as published: cp1252, CRLF, and a quoted material name broken over two lines."""
    folder = FIX / "ec_crm_as_published"
    assert b"\r\n" in (folder / "dimension_CRMsOverTime.csv").read_bytes()
    crit = ec_crm.read_sr_ei(ec_crm.find_file(folder, "sr_ei"), idx).set_index(["material_id", "year"])
    assert len(crit) == 5  # the "-" row of 2014 is dropped
    assert crit.at[("natural_teak_wood", 2020), "supply_risk"] == 1.9
    assert crit.at[("natural_teak_wood", 2023), "economic_importance"] == 2.4
    assert crit.at[("cobalt", 2023), "supply_risk"] == 2.8
    with pytest.warns(UserWarning, match=r"line 5, column 'Share': share '6'"):
        eu = ec_crm.read_supply_shares(ec_crm.find_file(folder, "eu_sourcing"), "eu_sourcing", idx)
    eu = eu.set_index(["material_id", "stage", "country_iso3"])
    assert eu.at[("boron", "extraction", "TUR"), "share"] == pytest.approx(0.99)
    assert eu.at[("antimony", "processing", "KOR"), "share"] == pytest.approx(0.03)
    assert eu.at[("cobalt", "processing", "COD"), "trade_factor"] == 1.1


def test_error_names_physical_line_after_multiline_cell(tmp_path: Path, idx: MaterialIndex) -> None:
    """Records after a two-line quoted cell are reported at their line in the file, not their record number."""
    f = tmp_path / "dimension_CRMsOverTime.csv"
    good = (FIX / "ec_crm_as_published" / "dimension_CRMsOverTime.csv").read_bytes()
    f.write_bytes(good + b"Gallium,2024,1.0,3.0\r\n")  # physical line 10, data record 8
    with pytest.raises(DataError, match="line 10, column 'Year'"):
        ec_crm.read_sr_ei(f, idx)


def test_wgi_normalised_layout() -> None:
    df = wgi.read_wgi(FIX / "wgi_normalised.csv").set_index("country_iso3")
    assert df.at["CHN", "wgi_estimate"] == pytest.approx(5 * 0.433 - 2.5)
    assert df.at["COD", "wgi_year"] == 2022


def test_wgi_databank_layout(tmp_path: Path) -> None:
    rows = ["Country Name,Country Code,Series Name,Series Code,2021 [YR2021],2022 [YR2022]"]
    for code in wgi.SERIES:
        rows.append(f"China,CHN,{code} name,{code},-0.5,-0.4")
    rows.append("China,CHN,Voice: percentile,VA.PER.RNK,10,11")
    f = tmp_path / "wgi.csv"
    f.write_text("\n".join(rows) + "\n")
    df = wgi.read_wgi(f)
    assert df.set_index("wgi_year").at[2022, "wgi_estimate"] == pytest.approx(-0.4)
    assert len(df) == 2


def test_real_ec_files(shared_data: Path, idx: MaterialIndex) -> None:
    folder = shared_data / "eu_crm"
    with pytest.warns(UserWarning):  # the EC file has one share without '%' (silicon metal, Germany)
        eu = ec_crm.read_supply_shares(ec_crm.find_file(folder, "eu_sourcing"), "eu_sourcing", idx)
    gl = ec_crm.read_supply_shares(ec_crm.find_file(folder, "global_supply"), "global", idx)
    sums = gl.groupby(["material_id", "stage"]).share.sum()
    assert sums.max() < 1.05 and sums.median() == pytest.approx(1.0, abs=0.01)
    ga = gl.query("material_id == 'gallium' and stage == 'processing' and country_iso3 == 'CHN'")
    assert ga.share.item() == pytest.approx(0.938)
    assert len(eu) > 800
    crit = ec_crm.read_sr_ei(ec_crm.find_file(folder, "sr_ei"), idx)
    assert crit.year.isin([2011, 2014, 2017, 2020, 2023]).all()


def test_bundled_tables_agree_with_publisher_files(shared_data: Path, idx: MaterialIndex,
                                                   ref: dict[str, pd.DataFrame]) -> None:
    """The curated bundled values are the EC's: every bundled share and SR/EI equals the published one."""
    folder = shared_data / "eu_crm"
    with pytest.warns(UserWarning):
        full = pd.concat([ec_crm.read_supply_shares(ec_crm.find_file(folder, "global_supply"), "global", idx),
                          ec_crm.read_supply_shares(ec_crm.find_file(folder, "eu_sourcing"), "eu_sourcing", idx)])
    key = ["material_id", "stage", "scope", "country_iso3"]
    m = ref["supply_shares"].merge(full, on=key, suffixes=("", "_pub"), how="left")
    assert m.share_pub.notna().all()
    assert (m.share.astype(float) - m.share_pub).abs().max() < 1e-9
    crit = ec_crm.read_sr_ei(ec_crm.find_file(folder, "sr_ei"), idx)
    c = ref["criticality"].merge(crit, on=["material_id", "year"], suffixes=("", "_pub"))
    assert len(c) == len(ref["criticality"])
    assert (c.supply_risk.astype(float) - c.supply_risk_pub).abs().max() < 1e-9


def test_bundled_lists_agree_with_compiled_lists(shared_data: Path, idx: MaterialIndex,
                                                 ref: dict[str, pd.DataFrame]) -> None:
    """Cross-check the curated list membership with the compiled official lists in ../shared/data."""
    pub = pd.read_csv(shared_data / "eu_crm" / "eu_crm_lists_2011_2023.csv")
    pub["material_id"] = [idx.resolve("bauxite" if m.startswith("Bauxite") else m) for m in pub.material]
    ours = ref["material_lists"]
    for year in (2011, 2014, 2017, 2020, 2023):
        theirs = set(pub.loc[pub.year == year, "material_id"])
        mine = set(ours.loc[ours.list_id == f"crm_{year}", "material_id"])
        assert mine == theirs, (year, mine ^ theirs)
    srm = pd.read_csv(shared_data / "eu_crm" / "eu_strategic_raw_materials_2024.csv")
    assert len(srm) == (ours.list_id == "srm_2024").sum() == 17


def test_bundled_wgi_agrees_with_publisher_file(shared_data: Path, ref: dict[str, pd.DataFrame]) -> None:
    g = wgi.read_wgi(shared_data / "wgi" / "wgi_2022_mean6_normalised_0_1.csv").set_index("country_iso3")
    c = ref["countries"].dropna(subset=["wgi_estimate"]).set_index("country_iso3")
    diff = (c.wgi_estimate.astype(float) - g.loc[c.index, "wgi_estimate"]).abs()
    assert diff.max() < 1e-3


def test_wgi_api_payload_to_databank(tmp_path: Path) -> None:
    """The World Bank API JSON (as the online download returns it) becomes the DataBank layout."""
    pages = {code: [{"page": 1}, [
        {"indicator": {"id": code, "value": code}, "country": {"id": "CN", "value": "China"},
         "countryiso3code": "CHN", "date": "2022", "value": -0.4},
        {"indicator": {"id": code, "value": code}, "country": {"id": "1W", "value": "World"},
         "countryiso3code": "", "date": "2022", "value": 0.0}]] for code in wgi.SERIES}
    frame = wgi.api_json_to_databank(pages, 2022)
    f = tmp_path / "wgi.csv"
    frame.to_csv(f, index=False)
    out = wgi.read_wgi(f)
    assert out.country_iso3.tolist() == ["CHN"] and out.wgi_estimate.item() == pytest.approx(-0.4)
    with pytest.raises(DataError, match="unexpected World Bank API response"):
        wgi.api_json_to_databank({"VA.EST": {"message": "error"}}, 2022)
