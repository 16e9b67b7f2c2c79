"""The warehouse build: validation of packages, one clear error per bad input, atomic swap."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from critmat.catalog.package import load_package, write_datapackage
from critmat.errors import DataError
from critmat.paths import bundled_packages
from critmat.warehouse import Warehouse, build, open_warehouse

REF = bundled_packages() / "reference"


@pytest.fixture
def ref_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "reference"
    shutil.copytree(REF, dest)
    return dest


@pytest.fixture
def built(tmp_path: Path) -> Path:
    db = tmp_path / "wh.duckdb"
    build(db, packages=[REF])
    return db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_build_writes_tables_and_provenance(built: Path) -> None:
    with Warehouse(built) as wh:
        assert {"materials", "material_lists", "criticality", "supply_shares", "countries", "sources", "fields",
                "provenance"} <= set(wh.tables())
        prov = wh.provenance.set_index("dataset")
        assert prov.at["materials", "rows"] == len(wh.materials)
        assert len(prov.at["supply_shares", "sha256"]) == 64
        assert "2023" in prov.at["criticality", "vintage"]
        lists = wh.material_lists
        assert (lists.list_id == "crm_2023").sum() == 34
        assert (lists.list_id == "srm_2024").sum() == 17
        # every source id used by any table is in the registry
        used = set(wh.sql("SELECT DISTINCT source_id FROM supply_shares UNION SELECT DISTINCT source_id FROM materials")
                   .source_id)
        assert used <= set(wh.sources.source_id)


def test_open_builds_on_first_use_and_reuses(tmp_path: Path) -> None:
    db = tmp_path / "first.duckdb"
    assert not db.exists()
    wh = open_warehouse(db)
    assert db.exists() and wh.has("materials")
    stamp = wh.meta("built_at")
    wh.close()
    with open_warehouse(db) as again:
        assert again.meta("built_at") == stamp  # not rebuilt: inputs unchanged


def test_default_location_follows_critmat_home(_isolated_home: Path) -> None:
    with open_warehouse() as wh:
        assert wh.path == _isolated_home / "critmat.duckdb"


# ---- bad input: one test per case; each names file, row/line and column, and leaves the old warehouse ----

BAD_CASES = {
    "missing_column": ("supply_shares.csv", "material_id,stage,scope,country_iso3,share,share_reported,trade_factor,source_id",
                       "material_id,stage,scope,country_iso3,share_reported,trade_factor,source_id",
                       r"missing column.*'share'"),
    "wrong_type": ("criticality.csv", "antimony,2023,", "antimony,2023x,", r"line \d+.*column 'year'.*2023x"),
    "share_above_one": ("supply_shares.csv", ",0.63,63%,", ",1.63,163%,", r"column 'share'.*1\.63"),
    "unknown_material": ("supply_shares.csv", "antimony,extraction,eu_sourcing,TUR", "antimonium,extraction,eu_sourcing,TUR",
                         r"unknown material_id 'antimonium'"),
    "unknown_country": ("supply_shares.csv", "antimony,extraction,eu_sourcing,TUR", "antimony,extraction,eu_sourcing,XYZ",
                        r"unknown country_iso3 'XYZ'"),
    "duplicated_key": ("material_lists.csv", "crm_2011,2011,antimony,Antimony,com_2011_25\n",
                       "crm_2011,2011,antimony,Antimony,com_2011_25\ncrm_2011,2011,antimony,Antimony,com_2011_25\n",
                       r"line 3.*duplicated key"),
    "unknown_source": ("materials.csv", "gallium,Gallium,Ga,element,iupac_periodic_table",
                       "gallium,Gallium,Ga,element,somebody_said_so", r"unknown source_id 'somebody_said_so'"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_package_is_rejected_and_warehouse_kept(case: str, ref_copy: Path, built: Path) -> None:
    fname, old, new, pattern = BAD_CASES[case]
    _edit(ref_copy / fname, old, new)
    before = _digest(built)
    with pytest.raises(DataError, match=pattern) as exc:
        build(built, packages=[ref_copy])
    assert fname in str(exc.value)
    assert _digest(built) == before
    assert not list(built.parent.glob("*.building-*"))


def test_shares_summing_above_one(ref_copy: Path, built: Path) -> None:
    path = ref_copy / "supply_shares.csv"
    df = pd.read_csv(path)
    mask = (df.material_id == "gallium") & (df.stage == "processing") & (df["scope"] == "global")
    df.loc[mask & (df.country_iso3 != "CHN"), "share"] = 0.2
    df.to_csv(path, index=False)
    before = _digest(built)
    with pytest.raises(DataError, match=r"supply_shares\.csv, line \d+, column .share.: share of group .*gallium.*processing.*sums to 1\.7"):
        build(built, packages=[ref_copy])
    assert _digest(built) == before


def test_wrong_encoding(ref_copy: Path, built: Path) -> None:
    path = ref_copy / "countries.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Austria", "Österreich").encode("latin-1"))
    before = _digest(built)
    line = next(i for i, t in enumerate(path.read_text(encoding="latin-1").splitlines(), 1) if "Österreich" in t)
    with pytest.raises(DataError, match=rf"countries\.csv, line {line}: not valid UTF-8"):
        build(built, packages=[ref_copy])
    assert _digest(built) == before


def test_truncated_file(ref_copy: Path, built: Path) -> None:
    path = ref_copy / "criticality.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 7])  # cut mid-row, as an interrupted download would
    before = _digest(built)
    with pytest.raises(DataError, match=r"criticality\.csv.*(truncated|line \d+)"):
        build(built, packages=[ref_copy])
    assert _digest(built) == before


def test_malformed_resources_yaml(ref_copy: Path, built: Path) -> None:
    _edit(ref_copy / "resources.yaml", "primary_key: [material_id]", "primary_keys: [material_id]")
    with pytest.raises(DataError, match=r"resources\.yaml.*primary_keys"):
        build(built, packages=[ref_copy])


def test_unknown_field_in_spec(ref_copy: Path) -> None:
    _edit(ref_copy / "resources.yaml", "fields: [alias, material_id, source_id]",
          "fields: [alias, material_id, source_id, mystery_column]")
    with pytest.raises(Exception, match="mystery_column"):
        load_package(ref_copy)


def test_bundled_datapackages_are_in_sync_and_valid(tmp_path: Path) -> None:
    """datapackage.json is generated from resources.yaml + the field dictionary, and frictionless accepts it."""
    import frictionless

    from critmat.warehouse import discover_packages

    for pkg in discover_packages():
        committed = (pkg / "datapackage.json").read_text(encoding="utf-8")
        copy = tmp_path / pkg.name
        shutil.copytree(pkg, copy)
        write_datapackage(copy)
        assert (copy / "datapackage.json").read_text(encoding="utf-8") == committed, \
            f"{pkg}/datapackage.json is stale: run `critmat data package {pkg}`"
        report = frictionless.validate(str(pkg / "datapackage.json"))
        assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])[:5]


def test_source_registry_has_one_entry_per_document() -> None:
    """One home per source: two registry entries may not point to the same document (url)."""
    from collections import Counter

    from critmat.catalog.sources import source_registry

    urls = Counter((s.url or "").rstrip("/") for s in source_registry().values() if s.url)
    assert [u for u, n in urls.items() if n > 1] == []


def test_every_registered_source_is_used_or_is_an_assumption(tmp_path: Path) -> None:
    """No orphan sources: each entry is cited by at least one bundled row (assumptions may be cited in notes)."""
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        used: set[str] = set()
        for name in wh.tables():
            cols = wh.sql(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{name}'")
            if name != "sources" and "source_id" in set(cols.column_name):
                used |= set(wh.sql(f'SELECT DISTINCT source_id FROM "{name}"').source_id.dropna())
        unknown = used - set(wh.sources.source_id)
        assert not unknown


def test_built_region_packs_join_the_warehouse(tmp_path: Path, _isolated_home: Path) -> None:
    """A second region pack appends its rows (region_id tells them apart); a rebuilt pack of the same id
    replaces the bundled one instead of duplicating it."""
    from critmat.paths import bundled_data
    from critmat.regions import user_regions_dir

    second = user_regions_dir() / "nh-fl-copy"
    shutil.copytree(bundled_data() / "regions" / "nh-fl", second)
    for csv in second.glob("*.csv"):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        df["region_id"] = "nh-fl-copy"
        for key in ("asset_id", "event_id", "replacement_asset_id"):
            if key in df:
                df[key] = df[key].where(df[key] == "", df[key] + "-copy")
        df.to_csv(csv, index=False)
    cfg = second / "region.yaml"  # the same regional rules as `region` commands: rows carry the pack's id
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("id: nh-fl", "id: nh-fl-copy", 1), encoding="utf-8")
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        counts = wh.sql("SELECT region_id, count(*) AS n FROM assets GROUP BY region_id").set_index("region_id").n
        assert counts["nh-fl"] == counts["nh-fl-copy"] > 0
        assert "+" in wh.provenance.set_index("dataset").at["assets", "package"]
    shutil.copytree(bundled_data() / "regions" / "nh-fl", user_regions_dir() / "nh-fl")
    with open_warehouse(tmp_path / "wh2.duckdb") as wh:
        assert wh.sql("SELECT count(*) AS n FROM assets WHERE region_id = 'nh-fl'").n.item() == counts["nh-fl"]


def test_python_api_refuses_to_overwrite_a_foreign_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.yaml"
    notes.write_text("important: true\n")
    with pytest.raises(Exception, match="not a DuckDB file"):
        open_warehouse(notes)
    with pytest.raises(Exception, match="not a DuckDB file"):
        build(notes, packages=[REF])
    assert notes.read_text() == "important: true\n"
