"""The four CRMA 2030 benchmarks per material, with the indicators critmat can compute (pure, no I/O).

Regulation (EU) 2024/1252, Art. 5: EU extraction ≥ 10 %, processing ≥ 40 % and recycling ≥ 25 % of EU
annual consumption of strategic raw materials, and no more than 65 % of consumption from a single third
country at any stage. The legal indicators need EU consumption and EU capacities per material, which
critmat does not hold; what it computes instead (each column says which):

* **extraction / processing** — ``eu_share_<stage>``: the share of the EU's sourcing that comes from EU
  member states at that stage (EC 2023 EU sourcing shares). A proxy: sourcing is not capacity. Where the
  EC reports no EU sourcing for the stage, the cell is empty and ``<stage>_reason`` says so.
* **recycling** — ``eol_rir``: the region's end-of-life recycling input rate over the window,
  ``EoL-RIR = secondary supply from the region's end-of-life flows / the region's own demand`` (demand =
  replacement + growth; :mod:`critmat.flows`), capped at 1. Applied to CRMs only (the EU CRM list 2023 and
  members of its groups): other materials get no recycling verdict (``recycling_reason``). The region's own
  demand stands in for EU consumption.
* **single country** — ``max_third_country_share`` and its country: EU sourcing where the EC reports it,
  else global supply as a proxy (``single_country_basis``), the larger of the two stages.

Verdicts ``meets_<benchmark>`` are True/False, or empty with the reason when the indicator is missing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from critmat.models import risk

DEFAULTS = {"extraction": 0.10, "processing": 0.40, "recycling": 0.25, "single_country": 0.65}
EOL_RIR_DEFINITION = ("EoL-RIR = secondary supply recovered from the region's end-of-life flows / the region's own "
                      "demand (replacement + growth), window sums, capped at 1")


def benchmark_values(table: pd.DataFrame | None) -> dict[str, float]:
    """Benchmark shares from the policy package's ``crma_benchmarks`` (rows with ``used``), else the
    Regulation's values."""
    out = dict(DEFAULTS)
    if table is None or table.empty:
        return out
    used = table[table["used"].astype(bool)]
    for stage, key in (("extraction", "extraction"), ("processing", "processing"), ("recycling", "recycling"),
                       ("any_stage", "single_country")):
        v = used.loc[used["benchmark_stage"] == stage, "value_share"]
        if len(v):
            out[key] = float(v.iloc[0])
    return out


def crma_benchmarks(materials: Sequence[str], supply_shares: pd.DataFrame, eu_members: Collection[str],
                    eol_rir: Mapping[str, float], crm: Collection[str], *,
                    groups: Mapping[str, Sequence[str]] | None = None,
                    values: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per material: the four benchmarks, indicators, verdicts and reasons (module docstring).

    ``eol_rir``: material → the region's window EoL-RIR (from the flows summary); ``crm``: material ids the
    recycling benchmark applies to.
    """
    from critmat.models.exposure import supply_for

    v = dict(DEFAULTS, **(values or {}))
    members = set(eu_members)
    groups = groups or {}
    rows = []
    for m in materials:
        rec: dict[str, object] = {"material_id": m}
        for st in risk.STAGES:
            s, basis = supply_for(supply_shares, m, st, "eu_sourcing", groups)
            if len(s):
                share = float(s[[c in members for c in s.index]].sum())
                rec[f"eu_share_{st}"] = share
                rec[f"meets_{st}"] = share >= v[st]
                rec[f"{st}_reason"] = f"proxy: EU member states' share of EU sourcing ({basis})"
            else:
                rec[f"eu_share_{st}"] = np.nan
                rec[f"meets_{st}"] = None
                rec[f"{st}_reason"] = (f"not computable: no EU sourcing shares at the {st} stage in the EC 2023 "
                                       "study, and critmat holds no EU capacity or consumption figures")
        r = eol_rir.get(m, np.nan)
        if m not in set(crm):
            rec["eol_rir"], rec["meets_recycling"] = r, None
            rec["recycling_reason"] = "not a CRM (EU list 2023): the recycling benchmark is applied to CRMs only"
        elif r is None or (isinstance(r, float) and np.isnan(r)):
            rec["eol_rir"], rec["meets_recycling"] = np.nan, None
            rec["recycling_reason"] = "not computable: the region has no demand for it in the window"
        else:
            rec["eol_rir"], rec["meets_recycling"] = float(r), float(r) >= v["recycling"]
            rec["recycling_reason"] = EOL_RIR_DEFINITION + " (region's demand as a proxy for EU consumption)"
        best = (None, 0.0, None)
        for st in risk.STAGES:
            e, eb = supply_for(supply_shares, m, st, "eu_sourcing", groups)
            s, label = (e, f"EU sourcing, {st}") if len(e) else (supply_for(supply_shares, m, st, "global",
                                                                             groups)[0], f"global proxy, {st}")
            if len(s):
                chk = risk.crma_check(s, eu_members=members, limit=v["single_country"])
                if chk.country is not None and chk.share >= best[1]:
                    best = (chk.country, chk.share, label)
        if best[0] is None:
            rec.update({"max_third_country": None, "max_third_country_share": np.nan, "meets_single_country": None,
                        "single_country_reason": "not computable: no supply shares for it or its groups"})
        else:
            rec.update({"max_third_country": best[0], "max_third_country_share": best[1],
                        "meets_single_country": best[1] <= v["single_country"],
                        "single_country_reason": best[2]})
        rows.append(rec)
    cols = ["material_id", "eu_share_extraction", "meets_extraction", "eu_share_processing", "meets_processing",
            "eol_rir", "meets_recycling", "max_third_country", "max_third_country_share", "meets_single_country",
            "extraction_reason", "processing_reason", "recycling_reason", "single_country_reason"]
    return pd.DataFrame(rows, columns=cols)
