"""The knowledge-base CLI: materials list/show, sources, build, data import; the Python API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import critmat
from critmat.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(warehouse_db: Path) -> Path:
    return warehouse_db


def _json(args: list[str]) -> object:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_materials_list_2023_and_srm(db: Path) -> None:
    rows = _json(["materials", "list", "--db", str(db), "--format", "json"])
    assert len(rows) == 34 and {"id", "name"} <= set(rows[0])
    ids = {r["id"] for r in rows}
    assert {"gallium", "rare_earth_elements_heavy", "copper", "nickel"} <= ids
    srm = _json(["materials", "list", "--list", "srm", "--db", str(db), "--format", "json"])
    assert len(srm) == 17
    everything = _json(["materials", "list", "--list", "all", "--db", str(db), "--format", "json"])
    assert len(everything) > 90


def test_materials_list_rejects_unknown_list(db: Path) -> None:
    res = runner.invoke(app, ["materials", "list", "--list", "2019", "--db", str(db)])
    assert res.exit_code != 0 and "2019" in res.output


def test_materials_show_gallium_json(db: Path) -> None:
    p = _json(["materials", "show", "Gallium", "--db", str(db), "--format", "json"])
    assert p["id"] == "gallium" and p["name"] == "Gallium"
    assert p["lists"] == [2011, 2014, 2017, 2020, 2023] and p["strategic"] is True
    crit = {c["year"]: c for c in p["criticality"]}
    assert set(crit) == {2011, 2014, 2017, 2020, 2023} and crit[2023]["sr"] == pytest.approx(3.9)
    proc = [s for s in p["supply"] if s["stage"] == "processing" and s["scope"] == "global"]
    assert proc[0]["country"] == "CHN" and proc[0]["share"] == pytest.approx(0.938)
    assert all(0 <= s["share"] <= 1 for s in p["supply"])
    assert p["hhi"]["processing"] == pytest.approx(sum(s["share"] ** 2 for s in proc), abs=1e-4)
    assert p["hhi"]["extraction"] is None  # gallium is a by-product; the EC reports processing only
    assert p["crma"]["processing"]["exceeds"] is True and p["crma"]["processing"]["country"] == "CHN"
    assert any("2023" in c["measure_id"] for c in p["export_controls"])
    assert "ec_crm_2023" in p["sources"]


@pytest.mark.parametrize("query", ["ga", "GALLIUM", " gallium "])
def test_show_accepts_symbol_and_case(db: Path, query: str) -> None:
    assert _json(["materials", "show", query, "--db", str(db), "--format", "json"])["id"] == "gallium"


def test_show_group_lists_members(db: Path) -> None:
    p = _json(["materials", "show", "heavy rare earth elements", "--db", str(db), "--format", "json"])
    assert p["id"] == "rare_earth_elements_heavy" and "dysprosium" in p["members"]


def test_show_unknown_material_exits_2_with_one_line(db: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "critmat", "materials", "show", "unobtainium", "--db", str(db)],
                          capture_output=True, text=True, env={"CRITMAT_HOME": str(tmp_path), "PATH": ""})
    assert proc.returncode == 2
    assert "unknown material 'unobtainium'" in proc.stderr and "Traceback" not in proc.stderr


def test_sources_lists_provenance(db: Path) -> None:
    rows = _json(["sources", "--db", str(db), "--format", "json"])
    datasets = {r["dataset"] for r in rows}
    assert {"materials", "supply_shares", "criticality"} <= datasets
    assert all(len(r["sha256"]) >= 64 for r in rows)
    reg = _json(["sources", "--registry", "--db", str(db), "--format", "json"])
    assert any(r["source_id"] == "ec_crm_2023" for r in reg)


def test_table_and_csv_formats(db: Path) -> None:
    res = runner.invoke(app, ["materials", "list", "--db", str(db), "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.splitlines()[0].startswith("id,name")
    res = runner.invoke(app, ["materials", "show", "cobalt", "--db", str(db)])
    assert res.exit_code == 0 and "Cobalt" in res.stdout and "HHI" in res.stdout


def test_python_api(db: Path) -> None:
    wh = critmat.open(str(db))
    assert len(wh.materials) > 90
    assert "supply_shares" in wh.tables()
    assert wh.sql("SELECT count(*) AS n FROM material_lists WHERE list_id = 'crm_2023'").n.item() == 34


def complete_publisher_folder(folder: Path) -> Path:
    """The small EC fixtures plus, in the publisher's format, every curated (material, stage, scope) and
    (material, year) group they lack: an import must cover the tables it replaces (else it fails)."""
    import shutil

    import pandas as pd

    from critmat.catalog.package import bundled_frames
    from critmat.loaders import ec_crm
    from critmat.materials import MaterialIndex
    from critmat.paths import bundled_packages

    fixtures = Path(__file__).parent / "fixtures" / "ec_crm"
    shutil.copytree(fixtures, folder)
    ref = bundled_packages() / "reference"
    shares = pd.read_csv(ref / "supply_shares.csv", dtype=str, keep_default_na=False)
    glob_path = folder / "fact_GlobalSupplyShares&t.csv"
    given = pd.read_csv(glob_path, dtype=str, keep_default_na=False)
    frames = bundled_frames("reference")
    idx = MaterialIndex(frames["materials"], frames["material_aliases"], frames["material_lists"])
    covered = set(zip(*(ec_crm.read_supply_shares(glob_path, "global", idx)[c] for c in ("material_id", "stage"))))
    for scope, name in (("global", glob_path.name), ("eu_sourcing", "fact_EUSupplyShares&t.csv")):
        rows = shares[(shares["scope"] == scope)
                      & pd.Series([scope != "global" or k not in covered
                                   for k in zip(shares["material_id"], shares["stage"])], index=shares.index)]
        extra = pd.DataFrame({"Material": rows["material_id"], "Stage": rows["stage"].str[0].str.upper(),
                              "Country": rows["country_iso3"],
                              "Share": [r if r.endswith("%") else f"{float(v) * 100:g}%"
                                        for r, v in zip(rows["share_reported"], rows["share"])],
                              "t": rows["trade_factor"]})
        out = pd.concat([given, extra]) if scope == "global" else extra
        out.to_csv(folder / name, index=False)
    crit = pd.read_csv(ref / "criticality.csv", dtype=str, keep_default_na=False)
    sr_path = folder / "dimension_CRMsOverTime.csv"
    have = pd.read_csv(sr_path, dtype=str, keep_default_na=False)
    have_keys = {(m, str(y)) for m, y in zip(*(ec_crm.read_sr_ei(sr_path, idx)[c] for c in ("material_id", "year")))}
    crit = crit[[(m, y) not in have_keys for m, y in zip(crit["material_id"], crit["year"])]]
    pd.concat([have, pd.DataFrame({"Material": crit["material_id"], "Year": crit["year"],
                                   "SR": crit["supply_risk"].replace("", "-"),
                                   "EI": crit["economic_importance"].replace("", "-")})]).to_csv(sr_path, index=False)
    return folder


def test_data_import_replaces_curated_tables(tmp_path: Path, _isolated_home: Path) -> None:
    db = tmp_path / "wh.duckdb"
    res = runner.invoke(app, ["data", "import", "--from", str(complete_publisher_folder(tmp_path / "pub")),
                              "--db", str(db)])
    assert res.exit_code == 0, res.output
    p = _json(["materials", "show", "cobalt", "--db", str(db), "--format", "json"])
    assert p["supply_coverage"].startswith("complete")
    fin = [s for s in p["supply"] if s["country"] == "FIN" and s["scope"] == "global"]
    assert fin and fin[0]["share"] == pytest.approx(0.11)


def test_data_import_that_would_lose_rows_fails(tmp_path: Path, _isolated_home: Path) -> None:
    """The small fixture alone lacks most curated materials and the EU-sourcing scope: importing it would
    drop those rows, so it fails (exit 2) and nothing is imported."""
    fixtures = Path(__file__).parent / "fixtures" / "ec_crm"
    res = runner.invoke(app, ["data", "import", "--from", str(fixtures), "--db", str(tmp_path / "wh.duckdb")])
    assert res.exit_code != 0 and "would lose" in str(res.exception)
    assert not (_isolated_home / "packages" / "ec_crm_2023").exists()


def test_data_import_bad_file_keeps_everything(tmp_path: Path, _isolated_home: Path) -> None:
    good = complete_publisher_folder(tmp_path / "pub")
    db = tmp_path / "wh.duckdb"
    assert runner.invoke(app, ["data", "import", "--from", str(good), "--db", str(db)]).exit_code == 0
    before = db.read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "fact_GlobalSupplyShares&t.csv").write_text("Material,Stage,Country,Share,t\nGallium,P,China,193%,1\n")
    res = runner.invoke(app, ["data", "import", "--from", str(bad), "--db", str(db)])
    assert res.exit_code != 0 and "above 100 %" in str(res.exception)
    assert db.read_bytes() == before
    assert (_isolated_home / "packages" / "ec_crm_2023" / "supply_shares.csv").exists()


def test_import_has_no_side_effects(tmp_path: Path) -> None:
    """Importing every module writes nothing and opens no connection."""
    code = ("import pkgutil, importlib, critmat\n"
            "for m in pkgutil.walk_packages(critmat.__path__, 'critmat.'):\n"
            "    if not m.name.endswith('__main__'):\n"
            "        importlib.import_module(m.name)\n")
    home = tmp_path / "home"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"CRITMAT_HOME": str(home), "HOME": str(tmp_path / "user"), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert not home.exists() and not (tmp_path / "user").exists()
