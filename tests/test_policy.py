"""The bundled policy package: loads, validates, is internally consistent, and answers known cases."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import frictionless
import pandas as pd
import pytest
import yaml

from critmat.catalog.package import descriptor, load_package, read_spec
from critmat.catalog.sources import source_registry
from critmat.errors import DataError
from critmat.models.trade import check_policy_package, controls_for, group_map, statuses_on, used_benchmarks
from critmat.paths import bundled_data

POLICY = bundled_data() / "packages" / "policy"
REFERENCE = bundled_data() / "packages" / "reference"
STATUS_DATE = dt.date(2026, 11, 27)  # the date the measure_status column describes (see resources.yaml)

MATERIALS = ["gallium", "germanium", "natural_graphite", "antimony", "tungsten", "tellurium", "bismuth",
             "molybdenum", "indium", "samarium", "gadolinium", "terbium", "dysprosium", "lutetium", "scandium",
             "yttrium", "holmium", "erbium", "thulium", "europium", "ytterbium", "neodymium", "lithium",
             "nickel", "cobalt", "manganese", "bauxite", "rare_earth_elements_light", "rare_earth_elements_heavy"]
HREE = ["dysprosium", "erbium", "europium", "gadolinium", "holmium", "lutetium", "terbium", "thulium",
        "ytterbium", "yttrium"]
LREE = ["neodymium", "samarium"]
GROUPS = {"rare_earth_elements_heavy": HREE, "rare_earth_elements_light": LREE}


def known() -> dict[str, pd.DataFrame]:
    return {"materials": pd.DataFrame({"material_id": MATERIALS}),
            "sources": pd.DataFrame({"source_id": list(source_registry())})}


@pytest.fixture(scope="module")
def pkg() -> dict:
    return load_package(POLICY, known())


@pytest.fixture(scope="module")
def measures(pkg: dict) -> pd.DataFrame:
    return pkg["trade_measures"].frame


@pytest.fixture(scope="module")
def links(pkg: dict) -> pd.DataFrame:
    return pkg["measure_materials"].frame


def test_package_loads_and_passes_the_policy_checks(pkg: dict) -> None:
    assert set(pkg) == {"trade_measures", "measure_materials", "crma_benchmarks", "holding_forms"}
    check_policy_package(pkg, known_materials=MATERIALS)
    assert len(pkg["trade_measures"].frame) >= 20


def test_datapackage_json_is_generated_from_the_spec() -> None:
    on_disk = json.loads((POLICY / "datapackage.json").read_text(encoding="utf-8"))
    assert on_disk == descriptor(read_spec(POLICY)), "regenerate with critmat.catalog.package.write_datapackage"


def test_frictionless_validate_passes() -> None:
    report = frictionless.validate(str(POLICY / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_dates_are_ordered(measures: pd.DataFrame) -> None:
    for r in measures.to_dict("records"):
        a, e, z = r["announced_date"], r["effective_date"], r["end_date"]
        present = [d for d in (a, e, z) if not pd.isna(d)]
        assert present == sorted(present), r["measure_id"]


def test_every_measure_has_a_material_and_suspensions_resolve(measures: pd.DataFrame,
                                                              links: pd.DataFrame) -> None:
    assert set(measures["measure_id"]) == set(links["measure_id"])
    ids = set(measures["measure_id"])
    for r in measures.dropna(subset=["suspended_by"]).to_dict("records"):
        assert r["suspended_by"] in ids and r["suspended_by"] != r["measure_id"]
        target = measures.set_index("measure_id").at[r["suspended_by"], "instrument"]
        assert target == "suspension"


def test_status_column_matches_the_dates(measures: pd.DataFrame) -> None:
    computed = statuses_on(measures, STATUS_DATE)
    wrong = measures.loc[computed != measures["measure_status"], "measure_id"].tolist()
    assert not wrong, f"measure_status disagrees with status_on({STATUS_DATE}) for {wrong}"


def test_unverified_statuses_say_so(measures: pd.DataFrame) -> None:
    """Every measure still in force or pending on the status date says how far its status is verified."""
    for r in measures.to_dict("records"):
        if r["suspended_by"] == "chn-2025-070" or r["measure_id"] == "chn-2025-070":
            assert "UNCERTAIN" in r["note"], r["measure_id"]
        if r["measure_status"] != "lifted":
            assert re.search(r"Status on 2026-11-27 not verified|could not be verified|UNCERTAIN|2026-11-27",
                             r["note"]), r["measure_id"]


def test_china_announcements_are_recorded(measures: pd.DataFrame, links: pd.DataFrame) -> None:
    m = measures.set_index("measure_id")
    for mid, number in [("chn-2023-023", "No. 23 of 2023"), ("chn-2023-039", "No. 39 of 2023"),
                        ("chn-2024-033", "No. 33 of 2024"), ("chn-2024-046-2", "No. 46 of 2024"),
                        ("chn-2025-010", "No. 10 of 2025"), ("chn-2025-018", "No. 18 of 2025"),
                        ("chn-2025-057", "No. 57 of 2025"), ("chn-2025-061", "No. 61 of 2025"),
                        ("chn-2025-062", "No. 62 of 2025"), ("chn-2025-070", "No. 70 of 2025"),
                        ("chn-2025-072", "No. 72 of 2025")]:
        assert number in m.at[mid, "title"], mid
    seven = set(links.loc[links["measure_id"] == "chn-2025-018", "material_id"])
    assert seven == {"samarium", "gadolinium", "terbium", "dysprosium", "lutetium", "scandium", "yttrium"}
    five = set(links.loc[links["measure_id"] == "chn-2025-057", "material_id"])
    assert five == {"holmium", "erbium", "thulium", "europium", "ytterbium"}
    assert m.at["chn-2024-046-2", "destinations"] == "USA"
    assert m.at["chn-2024-046-2", "suspended_by"] == "chn-2025-072"


def test_gallium_controls_before_and_after_the_november_2025_suspension(measures: pd.DataFrame,
                                                                        links: pd.DataFrame) -> None:
    dec24 = set(controls_for("gallium", measures, links, dt.date(2024, 12, 15))["measure_id"])
    assert {"chn-2023-023", "chn-2024-046-2"} <= dec24
    assert dec24 == {"chn-2023-023", "chn-2024-046-1", "chn-2024-046-2"}
    dec25 = controls_for("gallium", measures, links, dt.date(2025, 12, 15))
    assert "chn-2024-046-2" not in set(dec25["measure_id"])
    assert set(dec25["measure_id"]) == {"chn-2023-023", "chn-2024-046-1"}
    aug23 = controls_for("gallium", measures, links, dt.date(2023, 7, 31))
    assert aug23.empty  # announced 3 July, in force 1 August 2023


def test_heavy_rare_earth_controls_through_groups(measures: pd.DataFrame, links: pd.DataFrame) -> None:
    dy = controls_for("dysprosium", measures, links, dt.date(2025, 6, 1), groups=GROUPS)
    assert set(dy["measure_id"]) == {"chn-2023-tech-catalogue", "chn-2025-018"}
    ho_on_effective_day = controls_for("holmium", measures, links, dt.date(2025, 11, 8), groups=GROUPS,
                                       statuses=("active", "suspended"))
    status = dict(zip(ho_on_effective_day["measure_id"], ho_on_effective_day["status_on"]))
    assert status["chn-2025-057"] == "suspended"  # suspended on 7 Nov, the day before entry into force
    hree = controls_for("rare_earth_elements_heavy", measures, links, dt.date(2025, 6, 1), groups=GROUPS)
    assert "dysprosium" in hree.set_index("measure_id").at["chn-2025-018", "via"]


def test_cobalt_suspension_then_quota(measures: pd.DataFrame, links: pd.DataFrame) -> None:
    assert list(controls_for("cobalt", measures, links, dt.date(2025, 3, 1))["measure_id"]) == \
        ["cod-2025-cobalt-suspension"]
    assert list(controls_for("cobalt", measures, links, dt.date(2025, 10, 16))["measure_id"]) == \
        ["cod-2025-cobalt-quota"]


def test_crma_benchmarks_use_the_regulation(pkg: dict) -> None:
    b = pkg["crma_benchmarks"].frame
    used = b[b["used"]]
    assert set(used["source_id"]) == {"eu_2024_1252"}
    assert used_benchmarks(b) == {"crma_2030_extraction": 0.10, "crma_2030_processing": 0.40,
                                  "crma_2030_recycling": 0.25, "crma_2030_single_country": 0.65}
    hcss = b[(b["source_id"] == "hcss_2025") & (b["benchmark_id"] == "crma_2030_processing")]
    assert hcss["value_share"].tolist() == [0.45] and not hcss["used"].any()
    proposal = b[(b["source_id"] == "com_2023_160") & (b["benchmark_id"] == "crma_2030_recycling")]
    assert proposal["value_share"].tolist() == [0.15]
    assert set(b["target_year"]) == {2030}


def test_every_policy_source_is_cited() -> None:
    """No orphan registry entries: each source of sources/policy.yaml is a row's source or named in a note."""
    entries = yaml.safe_load((bundled_data() / "sources" / "policy.yaml").read_text(encoding="utf-8"))
    text = "\n".join((POLICY / f).read_text(encoding="utf-8")
                     for f in ("trade_measures.csv", "crma_benchmarks.csv"))
    orphans = [e["id"] for e in entries if not re.search(rf"\b{re.escape(e['id'])}\b", text)]
    assert not orphans
    notes = pd.concat([pd.read_csv(POLICY / f, dtype=str)["note"] for f in
                       ("trade_measures.csv", "crma_benchmarks.csv")]).dropna()
    named = set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:19|20)\d\d(?:_[a-z0-9]+)*\b", " ".join(notes)))
    assert named, "notes name corroborating sources"
    assert named - set(source_registry()) == set(), "a note names a source id missing from the registry"


# --- bad input: copies of the package with one defect each ------------------------------------------


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "policy"
    shutil.copytree(POLICY, dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_unknown_material_id_is_named(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _edit(d / "measure_materials.csv", "chn-2025-018,gadolinium,", "chn-2025-018,unobtainium,")
    with pytest.raises(DataError, match="unknown material_id 'unobtainium'") as err:
        load_package(d, known())
    assert err.value.file.endswith("measure_materials.csv")
    assert err.value.row == _line_of(d / "measure_materials.csv", "unobtainium")
    assert err.value.column == "material_id"


def test_effective_date_before_announcement_is_named(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _edit(d / "trade_measures.csv", "2023-10-20,2023-12-01", "2023-12-20,2023-12-01")
    # the schema alone cannot see it: the package check declared in resources.yaml does, at load time
    with pytest.raises(DataError, match="chn-2023-039.*effective_date 2023-12-01 is before announced_date") as err:
        load_package(d, known())
    assert err.value.file.endswith("trade_measures.csv")
    assert err.value.row == _line_of(d / "trade_measures.csv", "chn-2023-039")
    assert err.value.column == "effective_date"


def test_suspended_by_unknown_measure_is_named(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _edit(d / "trade_measures.csv", ",chn-2025-072,reuters_2024_us_ban", ",chn-2025-099,reuters_2024_us_ban")
    with pytest.raises(DataError, match="suspended_by") as err:
        load_package(d, known())
    assert err.value.row == _line_of(d / "trade_measures.csv", "chn-2025-099")


def test_measure_without_material_is_named(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    path = d / "measure_materials.csv"
    path.write_text("".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
                            if not line.startswith("idn-2023-bauxite,")), encoding="utf-8")
    with pytest.raises(DataError, match="idn-2023-bauxite' has no material") as err:
        check_policy_package(load_package(d, known()))
    assert err.value.row == _line_of(d / "trade_measures.csv", "idn-2023-bauxite")


def test_benchmark_given_in_percent_is_rejected(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _edit(d / "crma_benchmarks.csv", "min_share_of_eu_consumption,0.40,2030,eu_2024_1252",
          "min_share_of_eu_consumption,40,2030,eu_2024_1252")
    with pytest.raises(DataError, match="value_share") as err:
        load_package(d, known())
    assert err.value.file.endswith("crma_benchmarks.csv")
    assert err.value.row == _line_of(d / "crma_benchmarks.csv", ",40,2030")


def test_two_used_rows_for_one_benchmark_are_rejected(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _edit(d / "crma_benchmarks.csv", "0.45,2030,hcss_2025,false", "0.45,2030,hcss_2025,true")
    with pytest.raises(DataError, match="crma_2030_processing' has 2 rows with used=true"):
        check_policy_package(load_package(d, known()))


def test_unknown_instrument_is_rejected(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _edit(d / "trade_measures.csv", "idn-2023-bauxite,IDN,Indonesia: bauxite ore export ban,ban,",
          "idn-2023-bauxite,IDN,Indonesia: bauxite ore export ban,embargo,")
    with pytest.raises(DataError, match="instrument") as err:
        load_package(d, known())
    assert err.value.row == _line_of(d / "trade_measures.csv", "embargo")


# --- against the lead's reference package, when it is there --------------------------------------------


def test_material_ids_exist_in_the_reference_package() -> None:
    materials_csv = REFERENCE / "materials.csv"
    if not materials_csv.exists():
        pytest.skip("reference package (materials.csv) not present")
    ref = pd.read_csv(materials_csv, dtype=str)
    links = pd.read_csv(POLICY / "measure_materials.csv", dtype=str)
    missing = sorted(set(links["material_id"]) - set(ref["material_id"]))
    assert not missing, f"material ids not in reference/materials.csv: {missing}"
    groups_csv = REFERENCE / "material_groups.csv"
    if groups_csv.exists():
        groups = group_map(pd.read_csv(groups_csv, dtype=str))
        measures = load_package(POLICY, {"materials": ref, "sources": known()["sources"]})["trade_measures"].frame
        nd = controls_for("neodymium", measures, links, dt.date(2025, 10, 20), groups=groups)
        assert {"chn-2023-tech-catalogue", "chn-2025-062"} <= set(nd["measure_id"])
