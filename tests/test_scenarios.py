"""Flow scenarios: bundled files validate, `extends` merges, bad files are rejected naming key and value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from critmat.errors import ScenarioError, UnknownIdError
from critmat.specs.scenarios import (
    ALWAYS,
    Scenario,
    list_scenarios,
    load_scenario,
    scenario_names,
    validate_scenario,
)

BUNDLED = ["accelerated-repowering", "baseline", "high-ambition", "high-recovery", "lifetime-extension", "slow"]


def test_bundled_scenarios_load() -> None:
    assert scenario_names() == BUNDLED
    table = list_scenarios()
    assert table["name"].tolist() == BUNDLED and table["title"].str.len().gt(0).all()
    base = load_scenario("baseline")
    assert base.years.start == 2025 and base.years.end == 2050 and base.region == "nh-fl"
    assert base.pipeline["wind-ijmuiden-ver-alpha"].commissioning_year == 2029
    assert base.pipeline["solar-espel-hcss"].include is False
    assert not base.recovery and not base.pathways  # baseline = the sourced package as it is


def test_extends_merges_parent_and_child() -> None:
    hr = load_scenario("high-recovery")
    assert hr.extends == "baseline"
    assert hr.pipeline == load_scenario("baseline").pipeline  # inherited
    assert hr.recovery["all"]["neodymium"] == ((2030, 0.7),)
    assert hr.recovery["vehicle"]["lithium"] == ((2028, 0.8),)
    assert hr.pathway_overrides()[("grid_cable", "collection")] == ((2030, 0.9),)
    assert hr.stage_overrides()[("wind_onshore", "neodymium", "pretreatment")] == ((2030, 0.9),)
    ar = load_scenario("accelerated-repowering")
    assert ar.lifetime_shift_years == {"wind_onshore": -5, "wind_offshore": -3}
    assert ar.pathway_overrides()[("wind_onshore", "export_reuse")] == ((ALWAYS, 0.6),)


def test_yaml_round_trip(tmp_path: Path) -> None:
    for name in BUNDLED:
        sc = load_scenario(name)
        path = tmp_path / f"{name}-copy.yaml"
        data = sc.to_dict()
        data["extends"] = None
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        again = load_scenario(path)
        assert again.model_dump(exclude={"extends"}) == sc.model_dump(exclude={"extends"})


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text, match", [
    ("name: x\nrecovery_rate: 0.5\n", r"unknown key 'recovery_rate'"),
    ("name: x\npathways:\n  wind_onshore: {export: 0.2}\n", r"unknown key 'export' in 'pathways.wind_onshore'"),
    ("name: x\nrecovery:\n  all: {copper: 1.5}\n", r"'recovery.all.copper': share must be between 0 and 1, got 1.5"),
    ("name: x\nrecovery:\n  solar_pv: {silver: {2030: 1.2}}\n",
     r"recovery.solar_pv.silver.*year 2030: share must be between 0 and 1, got 1.2"),
    ("name: x\npathways:\n  vehicle: {collection: -0.1}\n", r"pathways.vehicle.collection.*got -0.1"),
    ("name: x\nrecovery:\n  all: {copper: high}\n", r"share must be a number between 0 and 1, got 'high'"),
    ("name: x\nyears: {start: 2050, end: 2025}\n", r"years out of order: end 2025 is before start 2050"),
    ("name: x\nrecovery:\n  windmills: {copper: 0.5}\n", r"unknown key 'windmills' in 'recovery': expected 'all', 'wind_onshore'"),
    ("name: x\nrecovery:\n  all: {copper: {twenty: 0.5}}\n", r"schedule year must be a whole year 1900..2200, got 'twenty'"),
    ("name: x\nlifetime_shift_years: {all: 5}\n", r"unknown key 'all' in 'lifetime_shift_years'"),
    ("name: Bad Name\n", r"'name'"),
    ("title: no name\n", r"'name': Field required"),
    ("- a\n- b\n", r"must hold a mapping of keys, got list"),
    ("name: x\nrecovery: [\n", r"line \d+: not valid YAML"),
])
def test_bad_files_are_rejected_naming_key_and_value(tmp_path: Path, text: str, match: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenario(path)
    assert str(path) in str(info.value)


def test_extends_errors(tmp_path: Path) -> None:
    _write(tmp_path, "name: a\nextends: b\n", "a.yaml")
    _write(tmp_path, "name: b\nextends: a\n", "b.yaml")
    with pytest.raises(ScenarioError, match=r"'extends' makes a cycle \(a → b → a\)"):
        load_scenario(tmp_path / "a.yaml")
    p = _write(tmp_path, "name: c\nextends: nowhere\n", "c.yaml")
    with pytest.raises(ScenarioError, match="unknown scenario 'nowhere'"):
        load_scenario(p)
    child = _write(tmp_path, "name: mine\nextends: baseline\nrecovery:\n  all: {copper: 0.75}\n", "mine.yaml")
    sc = load_scenario(child)
    assert sc.recovery["all"]["copper"] == ((ALWAYS, 0.75),) and "wind-hkw-vi-2026" in sc.pipeline


def test_unknown_names_and_frozen() -> None:
    with pytest.raises(UnknownIdError, match="unknown scenario 'nope'.*baseline"):
        load_scenario("nope")
    sc = validate_scenario({"name": "x"})
    with pytest.raises(ValidationError, match="frozen"):
        sc.name = "y"  # type: ignore[misc]
    assert isinstance(sc, Scenario) and sc.years.start == 2025
    with pytest.raises(ScenarioError, match="a scenario must be a mapping"):
        validate_scenario(["x"])
