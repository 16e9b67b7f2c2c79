"""The knowledge base as answers: material listings and profiles, assembled from warehouse tables.

Faces (CLI, API, report, dashboard) call these functions; the numbers come from :mod:`critmat.models`
(concentration and the CRMA check in :mod:`critmat.models.risk`, export controls in
:mod:`critmat.models.trade`). Shares are fractions, HHI is on the 0..1 scale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import pandas as pd

from critmat.materials import MaterialIndex
from critmat.models import risk
from critmat.models.countries import EU27
from critmat.warehouse import Warehouse

ListChoice = Literal["2023", "srm", "all"]


def material_index(wh: Warehouse) -> MaterialIndex:
    return MaterialIndex(wh.table("materials"), wh.table("material_aliases"), wh.table("material_lists"))


def resolve(wh: Warehouse, query: str) -> str:
    """The material id of ``query`` (:meth:`MaterialIndex.resolve`); a material id as given is found with one
    query, without building the index of every spelling."""
    q = str(query).strip()
    if (wh.rows("SELECT 1 FROM materials WHERE material_id = ?", [q]) if hasattr(wh, "rows")
            else (wh.table("materials")["material_id"] == q).any()):
        return q
    return material_index(wh).resolve(query)


def groups(wh: Warehouse) -> dict[str, list[str]]:
    """Group id → member material ids (REE, HREE, LREE, PGM, REE for magnets); the one group map
    (:func:`critmat.warehouse.access.material_groups`)."""
    from critmat.warehouse.access import material_groups

    return material_groups(wh)


def list_materials(wh: Warehouse, which: ListChoice = "2023") -> pd.DataFrame:
    """Materials with their list memberships and 2023 SR/EI.

    ``which``: ``2023`` (the 34 CRMs of the 2023 list), ``srm`` (the 17 strategic raw materials of
    Regulation (EU) 2024/1252) or ``all`` (every material critmat knows).
    """
    mats = wh.table("materials")
    lists = wh.table("material_lists")
    crit = wh.table("criticality")
    years = lists.groupby("material_id")["list_year"].apply(lambda s: ", ".join(str(y) for y in sorted(s)))
    out = mats[["material_id", "name", "symbol", "material_kind"]].rename(columns={"material_id": "id"})
    if wh.has("material_names"):  # the Dutch name, for Dutch readers (reference/material_names.csv)
        from critmat.warehouse.access import material_names

        out.insert(2, "name_nl", out["id"].map(material_names(wh, "nl")))
    out["lists"] = out["id"].map(years).fillna("")
    out["crm_2023"] = out["id"].isin(lists.loc[lists.list_id == "crm_2023", "material_id"])
    out["strategic"] = out["id"].isin(lists.loc[lists.list_id == "srm_2024", "material_id"])
    c23 = crit[crit.year == 2023].set_index("material_id")
    out["sr_2023"] = out["id"].map(c23["supply_risk"])
    out["ei_2023"] = out["id"].map(c23["economic_importance"])
    if which == "2023":
        out = out[out.crm_2023]
    elif which == "srm":
        out = out[out.strategic]
    return out.sort_values("name", key=lambda s: s.str.lower()).reset_index(drop=True)


def _members_or_self(wh: Warehouse, mid: str) -> list[str]:
    return groups(wh).get(mid, [])


def export_controls(wh: Warehouse, mid: str, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Trade measures that name the material, its group or its members, with their status on ``on``."""
    if not (wh.has("trade_measures") and wh.has("measure_materials")):
        return []
    from critmat.models import trade

    found = trade.controls_for(mid, wh.table("trade_measures"), wh.table("measure_materials"),
                               on=on or dt.date.today(), groups=groups(wh), statuses=trade.STATUSES)
    cols = ["measure_id", "country_iso3", "title", "instrument", "announced_date", "effective_date", "end_date",
            "status_on", "destinations", "measure_stage", "products", "via", "source_id"]
    rows = found[[c for c in cols if c in found.columns]].to_dict(orient="records")
    for row in rows:
        for c in ("announced_date", "effective_date", "end_date"):
            if c in row:
                row[c] = None if row[c] is None or pd.isna(row[c]) else pd.Timestamp(row[c]).strftime("%Y-%m-%d")
    return rows


def material_profile(wh: Warehouse, query: str, on: dt.date | None = None) -> dict[str, Any]:
    """Everything critmat knows about one material, each part with its source ids.

    Keys: id, name, symbol, kind, lists (years), strategic, criticality [{year, sr, ei}], supply
    [{stage, scope, country, share}] (global supply unless scope says eu_sourcing), sr_inputs_2023 (per stage:
    SR, import reliance, EoL-RIR, substitution indices of the EC 2023 assessment), hhi {extraction,
    processing} (global, 0..1), china_share, top_supplier, crma (single-third-country check per stage, on
    EU sourcing where the EC reports it, else on global supply as a proxy), export_controls, members (for
    groups), sources.
    """
    from critmat.warehouse.access import where

    mid = resolve(wh, query)
    row = where(wh, "materials", "material_id", mid).iloc[0]
    mine = where(wh, "material_lists", "material_id", mid)
    crit = where(wh, "criticality", "material_id", mid).sort_values("year")
    supply = where(wh, "supply_shares", "material_id", mid).sort_values(["scope", "stage", "share"],
                                                                        ascending=[True, True, False])
    names = dict(wh.rows("SELECT country_iso3, country_name FROM countries WHERE country_iso3 IN "
                         "(SELECT country_iso3 FROM supply_shares WHERE material_id = ?)", [mid])
                 if hasattr(wh, "rows") else wh.table("countries")[["country_iso3", "country_name"]].values)

    conc_g = risk.concentration_table(supply[supply.scope == "global"], eu_members=EU27).set_index("stage")
    conc_eu = risk.concentration_table(supply[supply.scope == "eu_sourcing"], eu_members=EU27).set_index("stage")
    hhi = {st: (round(float(conc_g.at[st, "hhi"]), 4) if st in conc_g.index else None) for st in risk.STAGES}
    crma = {}
    for st in risk.STAGES:
        basis, tab = ("eu_sourcing", conc_eu) if st in conc_eu.index else ("global", conc_g)
        if st not in tab.index:
            crma[st] = None
            continue
        crma[st] = {"basis": basis, "country": tab.at[st, "crma_country"], "share": round(float(tab.at[st, "crma_share"]), 4),
                    "limit": risk.CRMA_SINGLE_COUNTRY_LIMIT, "exceeds": bool(tab.at[st, "crma_exceeds"])}
    china = {st: round(float(conc_g.at[st, "china_share"]), 4) for st in conc_g.index}
    top = {st: {"country": conc_g.at[st, "top_country"], "share": round(float(conc_g.at[st, "top_share"]), 4)}
           for st in conc_g.index}
    controls = export_controls(wh, mid, on)
    sr_inputs = []
    if wh.has("supply_risk_inputs"):
        for r in where(wh, "supply_risk_inputs", "material_id", mid).itertuples():
            sr_inputs.append({"stage": r.stage, "sr": _num(r.supply_risk_stage), "import_reliance": _num(r.import_reliance_share),
                              "eol_rir": _num(r.eol_rir_share), "si_sr": _num(r.si_sr), "si_ei": _num(r.si_ei),
                              "supply_basis": r.sr_supply_basis, "source_id": r.source_id})
    src = set(mine.source_id) | set(crit.source_id) | set(supply.source_id) | {row.source_id}
    src |= {c["source_id"] for c in controls if c.get("source_id")} | {i["source_id"] for i in sr_inputs}
    prov = where(wh, "provenance", "dataset", "supply_shares")
    complete = "imported" in str(prov["title"].iloc[0]) if len(prov) else False
    return {
        "id": mid,
        "name": row["name"],
        "symbol": row["symbol"] if isinstance(row["symbol"], str) else None,
        "kind": row["material_kind"],
        "lists": sorted(int(y) for y in mine.loc[mine.list_id.str.startswith("crm"), "list_year"]),
        "strategic": bool((mine.list_id == "srm_2024").any()),
        "names_on_lists": {r.list_id: r.name_on_list for r in mine.itertuples()},
        "criticality": [{"year": int(r.year), "sr": _num(r.supply_risk), "ei": _num(r.economic_importance),
                         "source_id": r.source_id} for r in crit.itertuples()],
        "supply": [{"stage": r.stage, "scope": r.scope, "country": r.country_iso3,
                    "country_name": names.get(r.country_iso3),
                    "share": round(float(r.share), 4), "source_id": r.source_id} for r in supply.itertuples()],
        "supply_coverage": "complete (imported EC dataset)" if complete else
                           "main suppliers only (bundled: top five plus China per stage); HHI is a lower bound",
        "sr_inputs_2023": sr_inputs,
        "hhi": hhi,
        "china_share": china,
        "top_supplier": top,
        "crma": crma,
        "export_controls": controls,
        "members": _members_or_self(wh, mid),
        "sources": sorted(s for s in src if isinstance(s, str)),
        "note": row["note"] if isinstance(row["note"], str) else None,
    }


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)
