"""Bundled descriptors carry their foreign keys: an outside Frictionless validator finds a broken link;
`critmat data validate` passes on every bundled pack and on a pack `region build` writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frictionless as fl
import pytest
from typer.testing import CliRunner

from critmat import regions
from critmat.catalog.package import dependencies, descriptor, read_spec
from critmat.cli import app
from critmat.paths import bundled_data

FIX = Path(__file__).parent / "fixtures" / "regional"
PACKS = sorted(p for root in ("packages", "regions") for p in (bundled_data() / root).iterdir()
               if (p / "resources.yaml").is_file())


def _errors(report: fl.Report) -> list[str]:
    return [e.type for task in report.tasks for e in task.errors] + [e.type for e in report.errors]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_bundled_package_is_valid_for_frictionless(pack):
    report = fl.Package(str(pack / "datapackage.json")).validate()
    assert report.valid, _errors(report)


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_bundled_descriptor_is_generated_from_its_spec(pack):
    on_disk = json.loads((pack / "datapackage.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(descriptor(read_spec(pack)))), f"run: critmat data package {pack}"


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_critmat_data_validate_passes_on_bundled_pack(pack):
    res = CliRunner().invoke(app, ["data", "validate", str(pack)])
    assert res.exit_code == 0, res.output


def test_descriptors_carry_internal_and_external_foreign_keys():
    d = descriptor(read_spec(bundled_data() / "regions" / "nh-fl"))
    res = {r["name"]: r for r in d["resources"]}
    assert {"fields": ["municipality_code"], "reference": {"resource": "municipalities",
                                                           "fields": ["municipality_code"]}} \
        in res["assets"]["schema"]["foreignKeys"]
    ext = res["assets"]["critmat:externalForeignKeys"]
    assert {"fields": ["technology_id"], "reference": {"resource": "technologies", "fields": ["technology_id"],
                                                       "package": "intensities"}} in ext
    assert any(k["reference"]["resource"] == "sources" for k in ext)
    assert dependencies(read_spec(bundled_data() / "packages" / "circularity")) == ("reference", "intensities")


def _broken_copy(tmp_path: Path, pack: Path, file: str, old: str, new: str) -> Path:
    copy = tmp_path / pack.name
    shutil.copytree(pack, copy)
    text = (copy / file).read_text(encoding="utf-8")
    assert old in text
    (copy / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_broken_link_in_region_pack_is_invalid(tmp_path):
    nhfl = bundled_data() / "regions" / "nh-fl"
    copy = _broken_copy(tmp_path, nhfl, "assets.csv", ",GM0363,", ",GM9999,")
    report = fl.Package(str(copy / "datapackage.json")).validate()
    assert not report.valid and "foreign-key" in _errors(report)
    res = CliRunner().invoke(app, ["data", "validate", str(copy)])
    assert res.exit_code != 0 and "GM9999" in str(res.exception)


def test_broken_link_in_reference_package_is_invalid(tmp_path):
    ref = bundled_data() / "packages" / "reference"
    copy = _broken_copy(tmp_path, ref, "material_aliases.csv", "Barytes,baryte,", "Barytes,unobtainium,")
    spec = read_spec(copy)
    fk_res = [r for r in spec.resources if r.name == "material_aliases"][0].foreign_keys
    assert any(fk.resource == "materials" for fk in fk_res)
    report = fl.Package(str(copy / "datapackage.json")).validate()
    assert not report.valid and "foreign-key" in _errors(report)


def test_data_validate_passes_on_a_built_region_pack(tmp_path):
    out = regions.build_region(["Noord-Holland"], FIX, out=tmp_path / "pv27", now=2025)
    res = CliRunner().invoke(app, ["data", "validate", str(out)])
    assert res.exit_code == 0, res.output
    report = fl.Package(str(out / "datapackage.json")).validate()
    assert report.valid, _errors(report)
