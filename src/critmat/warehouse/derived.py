"""Tables the build adds beside the packages' resources, so that no answer needs a package file afterwards.

- ``regions``: one row per region pack (``region_id``, ``name``, ``config_json`` = its validated
  ``region.yaml``, ``path``, ``resources``: the pack's tables, comma-separated).
- ``specs``: every bundled scenario, shock and stream spec, validated, as JSON (``kind`` scenario | shock
  | streams, ``name``, ``title``, ``spec_json``, ``path``, ``sha256``). Scenarios are stored with
  ``extends`` resolved, so reading one back needs no other file.

The readers are in :mod:`critmat.warehouse.access`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

SPEC_COLUMNS = ["kind", "name", "title", "spec_json", "path", "sha256"]
REGION_COLUMNS = ["region_id", "name", "config_json", "path", "resources"]


def spec_dirs() -> list[Path]:
    """Folders of the bundled scenario and shock specs (part of the build's fingerprint)."""
    from critmat.paths import bundled_data

    return [bundled_data() / "scenarios", bundled_data() / "shocks"]


def regions_table(region_packs: dict[Path, list[str]]) -> pd.DataFrame:
    """``regions`` from the region pack folders loaded by the build (folder → its resource names)."""
    from critmat.regions import read_region_config

    rows = []
    for pack, resources in region_packs.items():
        cfg = read_region_config(pack)
        rows.append({"region_id": cfg.id, "name": cfg.name, "config_json": cfg.model_dump_json(),
                     "path": str(pack), "resources": ",".join(resources)})
    return pd.DataFrame(rows, columns=REGION_COLUMNS)


def specs_table(streams: list[str] | None = None) -> pd.DataFrame:
    """``specs``: the bundled scenarios (``extends`` resolved), shocks and stream specs, each validated;
    a bad spec fails the build with the error naming its file."""
    from critmat.capabilities_data import STREAMS_FILE, package_dir, read_stream_specs
    from critmat.catalog.package import sha256_file
    from critmat.specs.scenarios import bundled_scenarios_dir, load_scenario, scenario_names
    from critmat.specs.shocks import bundled_shocks, bundled_shocks_dir, read_shock

    rows = []
    for name in scenario_names():
        path = bundled_scenarios_dir() / f"{name}.yaml"
        sc = load_scenario(path)
        rows.append(("scenario", name, sc.title, sc.model_dump_json(), path))
    for name in bundled_shocks():
        path = bundled_shocks_dir() / f"{name}.yaml"
        sh = read_shock(path)
        rows.append(("shock", name, getattr(sh, "title", "") or sh.id, sh.model_dump_json(), path))
    path = package_dir() / STREAMS_FILE
    if path.is_file():
        specs = read_stream_specs(path, streams)
        rows.append(("streams", "bundled", "End-of-life stream specs",
                     json.dumps([s.model_dump(mode="json") for s in specs.values()]), path))
    return pd.DataFrame([(k, n, t, j, str(p), sha256_file(p)) for k, n, t, j, p in rows], columns=SPEC_COLUMNS)
