"""``critmat data import``: turn publisher files into a validated data package in ``<home>/packages``.

Recognised publisher files (searched recursively in the folder given, or downloaded when ``download``):
the EC 2023 CRM study datasets (global and EU-sourcing supply shares with the trade parameter t, SR/EI
2011-2023) and the World Bank WGI. The package ``ec_crm_2023`` replaces the curated ``supply_shares``,
``criticality`` and ``countries`` tables at the next build. The package is written aside, validated,
then moved into place; the warehouse is rebuilt. Any failure leaves both the previous package and the
previous warehouse as they were.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from critmat.catalog.package import (
    bundled_frames,
    load_resource,
    read_spec,
    sha256_file,
    write_datapackage,
)
from critmat.errors import DataError
from critmat.loaders import ec_crm, wgi
from critmat.materials import MaterialIndex
from critmat.paths import bundled_packages, imported_dir
from critmat.warehouse.staging import clean_stale, staging_dir

PACKAGE = "ec_crm_2023"
WGI_NAMES = ["wgi_2022_mean6_normalised_0_1.csv", "WGI_csv.csv", "wgi_databank.csv"]


def _find(folder: Path, names: list[str]) -> Path | None:
    for name in names:
        hits = sorted(folder.rglob(name))
        if hits:
            return hits[0]
    return None


def _reference() -> dict[str, pd.DataFrame]:
    return bundled_frames("reference")


def _countries(ref: pd.DataFrame, governance: pd.DataFrame | None, needed: set[str]) -> pd.DataFrame:
    """Bundled countries, plus every country the imported shares or the WGI name, with WGI where known."""
    import country_converter as coco

    from critmat.models.countries import EU27

    isos = sorted(set(ref.country_iso3) | needed | (set(governance.country_iso3) if governance is not None else set()))
    out = pd.DataFrame({"country_iso3": isos})
    out = out.merge(ref[["country_iso3", "country_name"]], how="left", on="country_iso3")
    missing = out.country_name.isna()
    if missing.any():
        names = coco.convert(out.loc[missing, "country_iso3"].tolist(), src="ISO3", to="name_short", not_found=None)
        out.loc[missing, "country_name"] = names if isinstance(names, list) else [names]
    out["country_name"] = out["country_name"].fillna(out["country_iso3"])
    out["eu_member"] = out.country_iso3.isin(EU27)
    if governance is not None:
        g = governance[governance.wgi_year == governance.wgi_year.max()]
        out = out.merge(g, how="left", on="country_iso3")
    else:
        out = out.merge(ref[["country_iso3", "wgi_estimate", "wgi_year"]], how="left", on="country_iso3")
    out["source_id"] = out["wgi_estimate"].notna().map({True: "wgi_2023", False: "iso_3166"})
    return out[["country_iso3", "country_name", "eu_member", "wgi_estimate", "wgi_year", "source_id"]]


def import_publisher_files(folder: Path | None = None, download: bool = False,
                           progress: Callable[[str], None] | None = None,
                           then: Callable[[], object] | None = None) -> Path:
    """Build the ``ec_crm_2023`` package from local publisher files (or downloads); returns its folder.

    ``then`` (e.g. rebuilding the warehouse) runs once the new package is in place; if it fails, the
    previous package is put back, so a failed import changes nothing."""
    say = progress or (lambda _m: None)
    files: dict[str, Path | None] = {}
    if download:
        from critmat.loaders.fetch import fetch

        for key, (names, sha) in ec_crm.FILES.items():
            say(f"download {names[0]}")
            files[key] = fetch(ec_crm.BASE_URL + names[0].replace("&", "%26"), sha, names[0])
        say("download WGI (World Bank API)")
        files["wgi"] = wgi.download_wgi()
    else:
        if folder is None or not Path(folder).is_dir():
            raise DataError("folder to import from does not exist", file=str(folder))
        folder = Path(folder)
        for key, (names, _sha) in ec_crm.FILES.items():
            files[key] = _find(folder, names)
        files["wgi"] = _find(folder, WGI_NAMES)
    if not any(files.values()):
        raise DataError("no publisher file recognised (expected EC CRM files such as "
                        f"{ec_crm.FILES['global_supply'][0]} or a WGI file {WGI_NAMES})", file=str(folder))
    ref = _reference()
    idx = MaterialIndex(ref["materials"], ref["material_aliases"], ref["material_lists"])
    resources = []
    frames: dict[str, pd.DataFrame] = {}
    shares = []
    for key, scope in (("global_supply", "global"), ("eu_sourcing", "eu_sourcing")):
        if files.get(key):
            say(f"read {files[key]}")
            shares.append(_rows(ec_crm.read_supply_shares(files[key], scope, idx), files[key]))
    if shares:
        frames["supply_shares"] = pd.concat(shares, ignore_index=True)
    if files.get("sr_ei"):
        say(f"read {files['sr_ei']}")
        frames["criticality"] = _rows(ec_crm.read_sr_ei(files["sr_ei"], idx), files["sr_ei"])
    governance = None
    if files.get("wgi"):
        say(f"read {files['wgi']}")
        governance = _rows(wgi.read_wgi(files["wgi"]), files["wgi"])
    needed = set(frames["supply_shares"].country_iso3) if "supply_shares" in frames else set()
    if governance is not None or needed - set(ref["countries"].country_iso3):
        frames["countries"] = _countries(ref["countries"], governance, needed)

    for name, frame in frames.items():
        _covers(name, ref[name], frame, files)
    ref_spec = {r.name: r for r in read_spec(bundled_packages() / "reference").resources}
    order = [n for n in ("countries", "criticality", "supply_shares") if n in frames]
    for name in order:
        spec = ref_spec[name].model_dump()
        spec["title"] += " (imported, complete)"
        resources.append(spec)
    # the publisher files' own checksums, so an import can be traced to the exact files it read
    used = [f"{p} (sha256 {sha256_file(p)})" for p in files.values() if p]
    pkg = {"name": PACKAGE, "title": "EC CRM 2023 study datasets and WGI (imported from publisher files)",
           "description": "Imported by `critmat data import` from: " + "; ".join(used),
           "resources": resources}
    dest = imported_dir() / PACKAGE
    dest.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(dest.parent)
    tmp = staging_dir(dest.parent, PACKAGE)  # hidden: never read as a package, removed if we are killed
    old: Path | None = None
    placed = False
    try:
        (tmp / "resources.yaml").write_text(yaml.safe_dump(pkg, sort_keys=False, allow_unicode=True), encoding="utf-8")
        for name in order:
            frames[name].to_csv(tmp / ref_spec[name].path, index=False, lineterminator="\n")
        write_datapackage(tmp)
        known = dict(ref)
        for res in read_spec(tmp).resources:  # validate exactly as the build will
            known[res.name] = load_resource(tmp / res.path, res, known).frame
        if dest.exists():
            old = staging_dir(dest.parent, f"{PACKAGE}-old")
            old.rmdir()
            dest.rename(old)
        tmp.rename(dest)
        placed = True
        if then is not None:
            then()
    except BaseException:
        shutil.rmtree(dest if placed else tmp, ignore_errors=True)
        if old is not None and old.exists():
            old.rename(dest)  # the previous package, as it was
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return dest


#: Which key columns of a curated table an imported replacement must cover (a build that would lose rows fails).
COVERAGE_KEYS = {"supply_shares": ["material_id", "stage", "scope"], "criticality": ["material_id", "year"],
                 "countries": ["country_iso3"]}


def _rows(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A publisher file that yields no rows (header only, or every row blank) is an error, not an empty table."""
    if frame is None or len(frame) == 0:
        raise DataError("no data rows (header only?): importing it would replace the curated table with an "
                        "empty one", file=str(path), row=2)
    return frame


def _covers(name: str, curated: pd.DataFrame, imported: pd.DataFrame, files: dict[str, Path | None]) -> None:
    """The imported ``name`` replaces the curated one: it must cover every key group the curated table has
    (e.g. every material/stage/scope of supply_shares), else rows would be lost and the import fails."""
    keys = COVERAGE_KEYS.get(name)
    if not keys or not set(keys) <= set(curated.columns):
        return
    have = set(map(tuple, imported[keys].astype(str).itertuples(index=False, name=None)))
    lost = [k for k in dict.fromkeys(map(tuple, curated[keys].astype(str).itertuples(index=False, name=None)))
            if k not in have]
    if lost:
        used = ", ".join(str(p) for p in files.values() if p)
        raise DataError(f"the imported {name} lacks {len(lost)} group(s) of the curated table, e.g. "
                        f"{dict(zip(keys, lost[0]))}: the import would lose those rows (rule: an imported table "
                        f"covers the one it replaces; give every publisher file)", file=used)
