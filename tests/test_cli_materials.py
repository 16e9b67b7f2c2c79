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


def test_data_import_replaces_curated_tables(tmp_path: Path, _isolated_home: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    db = tmp_path / "wh.duckdb"
    res = runner.invoke(app, ["data", "import", "--from", str(fixtures / "ec_crm"), "--db", str(db)])
    assert res.exit_code == 0, res.output
    p = _json(["materials", "show", "cobalt", "--db", str(db), "--format", "json"])
    assert p["supply_coverage"].startswith("complete")
    fin = [s for s in p["supply"] if s["country"] == "FIN"]
    assert fin and fin[0]["share"] == pytest.approx(0.11)


def test_data_import_bad_file_keeps_everything(tmp_path: Path, _isolated_home: Path) -> None:
    good = Path(__file__).parent / "fixtures" / "ec_crm"
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
