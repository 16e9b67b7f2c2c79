"""`critmat companies | capabilities | match` through typer's CliRunner on critmat.cli.app."""

from __future__ import annotations

import importlib.util
import json
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmat.cli import app
from critmat.errors import CritmatError, UnknownIdError

runner = CliRunner()


def _ok(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res.stdout


def test_companies_json_and_filters() -> None:
    rows = json.loads(_ok("companies", "--region", "nh-fl", "--format", "json"))
    assert len(rows) == 66
    assert {"company_id", "municipality_code", "province_code", "lat", "lon", "location_precision"} <= set(rows[0])
    rec = pd.read_csv(StringIO(_ok("companies", "--activity", "metal recovery", "--format", "csv")))
    assert set(rec["company_id"]) == {"hks-metals-amsterdam", "riwald-recycling-beverwijk"}
    cu = pd.read_csv(StringIO(_ok("companies", "-m", "Cu", "-a", "recycling_collection", "-f", "csv")))
    assert "emr-metaal-recycling" in set(cu["company_id"]) and cu["materials"].str.contains("copper").all()
    assert "Companies in CRM supply chains" in _ok("companies", "-s", "batteries_mixed")


def test_companies_geojson(tmp_path: Path) -> None:
    out = tmp_path / "companies.geojson"
    _ok("companies", "--activity", "processing", "--geojson", str(out), "-f", "csv")
    gj = json.loads(out.read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 3
    tata = next(f for f in gj["features"] if f["properties"]["company_id"] == "tata-steel-ijmuiden")
    lon, lat = tata["geometry"]["coordinates"]
    assert 4.5 < lon < 4.7 and 52.4 < lat < 52.5  # [lon, lat] order (RFC 7946)
    assert tata["properties"]["municipality_code"] == "GM0453"


def test_companies_gpkg(tmp_path: Path) -> None:
    out = tmp_path / "companies.gpkg"
    if importlib.util.find_spec("pyogrio") is None:
        res = runner.invoke(app, ["companies", "--gpkg", str(out)])
        assert isinstance(res.exception, CritmatError) and "pyogrio" in str(res.exception)
        return
    import pyogrio

    _ok("companies", "--gpkg", str(out), "-f", "csv")
    info = pyogrio.read_info(str(out), layer="companies")
    assert info["features"] == 66 and info["geometry_type"] == "Point"


def test_capabilities_matrix_and_fillers() -> None:
    m = pd.DataFrame(json.loads(_ok("capabilities", "--format", "json"))).set_index("stream")
    assert m.loc["ndfeb_magnets", "covered"] == 0
    assert m.loc["ferrous_scrap", "collection/pre-treatment"] >= 10
    assert "metal recovery" in m.loc["pv_panels", "gaps"]
    fill = pd.DataFrame(json.loads(_ok("capabilities", "--fillers", "--k", "2", "-f", "json")))
    mag = fill[(fill["stream"] == "ndfeb_magnets") & (fill["activity_id"] == "recycling_metal_recovery")]
    assert mag["facility_id"].tolist() == ["hypromag-tyseley", "caremag-lacq"]
    mat = pd.DataFrame(json.loads(_ok("capabilities", "--by", "material", "-f", "json")))
    assert "neodymium" in set(mat["material"])


def test_match_outputs() -> None:
    out = pd.DataFrame(json.loads(_ok("match", "--region", "nh-fl", "--stream", "ndfeb-magnets-wind-repowering",
                                      "--placeholders", "--format", "json")))
    assert set(out["role"]) == {"recycler", "offtaker"}
    assert {"s_capacity", "s_distance", "s_status", "score", "distance_km"} <= set(out.columns)
    csv = pd.read_csv(StringIO(_ok("match", "-s", "pv-panels-eol", "--role", "recycler", "--top", "2", "-f", "csv",
                                   "--placeholders")))
    assert len(csv) == 2 and set(csv["role"]) == {"recycler"}
    assert "ASSUMPTION" in runner.invoke(app, ["match", "-s", "copper-cable-scrap", "--placeholders"]).output


def test_match_takes_stream_tonnes_from_the_flows_model(tmp_path: Path) -> None:
    from critmat.warehouse import build

    db = tmp_path / "wh.duckdb"
    build(db)
    res = runner.invoke(app, ["match", "-s", "ndfeb-magnets-wind-repowering", "--scenario", "baseline",
                              "--db", str(db), "-f", "table"])
    assert res.exit_code == 0, res.output
    assert "flows model, variable 'collected'" in res.output and "ASSUMPTION" not in res.output


def test_match_stream_file(tmp_path: Path) -> None:
    from critmat.capabilities_data import package_dir

    f = tmp_path / "mine.yaml"
    f.write_text((package_dir() / "eol_streams.yaml").read_text(encoding="utf-8")
                 .replace("name: pv-panels-eol", "name: my-panels"), encoding="utf-8")
    rows = json.loads(_ok("match", "--stream-file", str(f), "-s", "my-panels", "-f", "json"))
    assert {r["stream"] for r in rows} == {"my-panels"}


@pytest.mark.parametrize("args, match", [
    (["match", "-s", "unobtainium-scrap"], "unknown stream 'unobtainium-scrap'"),
    (["companies", "-a", "mining"], "unknown activity 'mining'"),
    (["companies", "-r", "pv28"], "no capability registry for region 'pv28'"),
    (["companies", "-m", "unobtainium"], "unknown material 'unobtainium'"),
    (["capabilities", "--by", "town"], "--by 'town'"),
    (["match", "--role", "broker"], "--role 'broker'"),
])
def test_cli_errors_are_critmat_errors(args: list[str], match: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code != 0
    assert isinstance(res.exception, CritmatError), res.exception
    assert match in str(res.exception)


def test_main_prints_one_line_and_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import critmat.cli as cli

    monkeypatch.setattr("sys.argv", ["critmat", "match", "-s", "nope"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "unknown stream 'nope'" in err and isinstance(UnknownIdError("x"), CritmatError)
