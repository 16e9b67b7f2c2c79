"""Regenerate the curated reference tables (criticality, supply_shares, countries) from publisher files.

Usage: python tools/curate_reference.py --eu-crm DIR --wgi FILE

DIR holds the EC study's machine-readable distribution as published (source ``ec_crm_2023_dataset``,
github.com/erikemilsson/EU-Critical-Raw-Materials-CRM-Reports-Datasets, folder Data/:
``fact_GlobalSupplyShares&t.csv``, ``fact_EUSupplyShares&t.csv``, ``dimension_CRMsOverTime.csv``); the
tables are selected from those files. ``critmat data import --download`` fetches and caches them in
``$CRITMAT_HOME/cache``. FILE is a WGI file in a layout :func:`critmat.loaders.wgi.read_wgi` reads (the
World Bank download of :func:`critmat.loaders.wgi.download_wgi`, or the pytradeshifts 2022 mean).
../shared/data is not an input here: tests only use it to cross-check the loaders and these extracts.

What is selected (and why it is a curated fact table, not a copy of the publisher's files):
* criticality: SR and EI (EC 2023 study, Annex 4) only for materials that were on at least one EU CRM list,
  plus aluminium and the strategic nickel and copper; ids, numeric types, dropped '-' rows.
* supply_shares: for materials of the 2023 CRM list (with aluminium, under which the EC assesses
  "Bauxite/Alumina/Aluminium") and their REE/PGM elements, per stage and scope, the
  five largest suppliers plus China (EC 2023 study, Annex 7), as fractions with ISO3 codes. Countries below
  the top five (each usually < 2 %) are left to `critmat data import`.
* countries: every country in that table, the EU27 and the Netherlands, with the WGI 2022 mean estimate.
The script is kept so the selection can be reviewed and repeated; it never runs at install or test time.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from critmat.catalog.package import load_resource, read_spec
from critmat.loaders import ec_crm, wgi
from critmat.materials import MaterialIndex
from critmat.models.countries import EU27

REF = Path(__file__).resolve().parents[1] / "src/critmat/data/packages/reference"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eu-crm", type=Path, required=True)
    ap.add_argument("--wgi", type=Path, required=True)
    args = ap.parse_args()
    spec = {r.name: r for r in read_spec(REF).resources}
    mats = load_resource(REF / "materials.csv", spec["materials"]).frame
    known = {"materials": mats}
    aliases = load_resource(REF / "material_aliases.csv", spec["material_aliases"], known).frame
    lists = load_resource(REF / "material_lists.csv", spec["material_lists"], known).frame
    groups = load_resource(REF / "material_groups.csv", spec["material_groups"], known).frame
    idx = MaterialIndex(mats, aliases, lists)

    listed = set(lists.loc[lists.list_id.str.startswith("crm"), "material_id"]) | {"aluminium", "copper", "nickel"}
    crit = ec_crm.read_sr_ei(ec_crm.find_file(args.eu_crm, "sr_ei"), idx)
    crit = crit[crit.material_id.isin(listed)].sort_values(["material_id", "year"])
    crit.to_csv(REF / "criticality.csv", index=False, lineterminator="\n")

    crm23 = set(lists.loc[lists.list_id == "crm_2023", "material_id"])
    members = set(groups.loc[groups.group_id.isin(crm23), "material_id"])
    keep = crm23 | members | {"aluminium"}  # the 2023 entry "Bauxite/Alumina/Aluminium" is assessed as aluminium
    frames = []
    for key, scope in (("global_supply", "global"), ("eu_sourcing", "eu_sourcing")):
        df = ec_crm.read_supply_shares(ec_crm.find_file(args.eu_crm, key), scope, idx)
        # ties at the fifth place are broken by country code, so the selection is reproducible
        df = df[df.material_id.isin(keep)].sort_values(["share", "country_iso3"], ascending=[False, True],
                                                         kind="stable")
        top = df.groupby(["material_id", "stage"]).head(5)
        china = df[df.country_iso3 == "CHN"]
        frames.append(pd.concat([top, china]).drop_duplicates(["material_id", "stage", "scope", "country_iso3"]))
    supply = pd.concat(frames).sort_values(["material_id", "scope", "stage", "share"],
                                           ascending=[True, True, True, False])
    supply.to_csv(REF / "supply_shares.csv", index=False, lineterminator="\n")

    import country_converter as coco

    g = wgi.read_wgi(args.wgi)
    g = g[g.wgi_year == g.wgi_year.max()]
    isos = sorted(set(supply.country_iso3) | EU27)
    names = coco.convert(isos, src="ISO3", to="name_short", not_found=None)
    countries = pd.DataFrame({"country_iso3": isos, "country_name": names})
    countries["eu_member"] = countries.country_iso3.isin(EU27)
    countries = countries.merge(g, on="country_iso3", how="left")
    countries["wgi_estimate"] = countries["wgi_estimate"].round(4)
    countries["source_id"] = "wgi_2023"
    countries.loc[countries.wgi_estimate.isna(), "source_id"] = "iso_3166"
    countries[["country_iso3", "country_name", "eu_member", "wgi_estimate", "wgi_year", "source_id"]].to_csv(
        REF / "countries.csv", index=False, lineterminator="\n")
    print(f"criticality {len(crit)} rows, supply_shares {len(supply)} rows, countries {len(countries)} rows")


if __name__ == "__main__":
    main()
