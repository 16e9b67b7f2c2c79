"""Exposure rankings that fit the question: several views side by side, each with a stated method.

Pure functions on frames (no I/O). Units: tonnes (``_t``), tonnes per year (``_t_per_yr``), SR on the
EC's scale, shares as fractions.

Views (:data:`VIEWS`; ``method`` of each is :data:`METHODS`):

* ``need_sr`` — **tonnage-weighted need × SR**: the region's mean yearly need (replacement + new assets)
  times the EC 2023 supply risk. Answers "where does supply risk meet large tonnages?"
* ``holdings_sr`` — **SR-weighted holdings**: the material held in the region's operational and
  under-construction assets times SR. Answers "what supply-critical material sits in the region?"
* ``controlled_need`` — **share of need under active export controls**: the part of the yearly need whose
  form is covered by an export control in force for the region's destination. A control covers a holding
  only when the control's forms (``measure_materials.forms``: ore, metal, compound, magnet, battery cell ...)
  include the form the asset holds the material in (``holding_forms``: per technology and material, the
  most specific row wins). Per asset class and material the covered fraction is the content-weighted share
  of its technologies whose form is covered; that fraction is applied to the class's need. Ranked by the
  tonnes under control, the share beside.

By default only materials on the EU CRM list (2023) or members of a listed group are ranked
(``crm_only``); ``crm_only=False`` ranks every material.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from critmat.errors import ModelError

ANY = "any"
VIEWS = ("need_sr", "holdings_sr", "controlled_need")
METHODS = {
    "need_sr": "mean yearly need (replacement + new assets, t/yr) x EC 2023 supply risk",
    "holdings_sr": "material held in operational and under-construction assets (t) x EC 2023 supply risk",
    "controlled_need": ("mean yearly need (t/yr) whose form (magnet, battery cell, ...) is covered by an export "
                        "control in force for the region; a control counts only when its forms include the form "
                        "the asset holds the material in"),
}


def _require(frame: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ModelError(f"{what} lacks column(s) {missing}")


def holding_forms(pairs: pd.DataFrame, forms: pd.DataFrame) -> pd.Series:
    """The form of each ``(technology_id, material)`` pair (index aligned with ``pairs``): the row of ``forms``
    for the technology and material, else for ``any`` technology and the material, else for the technology
    and ``any`` material, else the ``any``/``any`` default, else ``finished_product``."""
    _require(pairs, ["technology_id", "material"], "pairs")
    _require(forms, ["technology_id", "material_id", "holding_form"], "holding forms")
    table = {(str(t), str(m)): str(f) for t, m, f in forms[["technology_id", "material_id", "holding_form"]]
             .itertuples(index=False, name=None)}
    default = table.get((ANY, ANY), "finished_product")
    keys = pairs[["technology_id", "material"]].astype(str).itertuples(index=False, name=None)
    out = [table.get((t, m)) or table.get((ANY, m)) or table.get((t, ANY)) or default for t, m in keys]
    return pd.Series(out, index=pairs.index, dtype=object)


def parse_scopes(scopes: object) -> dict[str, set[str]]:
    """``"id=f1|f2;id2=f3"`` (indicators' ``control_scopes``) → ``{id: {f1, f2}, id2: {f3}}``."""
    if scopes is None or (isinstance(scopes, float) and np.isnan(scopes)) or not str(scopes):
        return {}
    out: dict[str, set[str]] = {}
    for part in str(scopes).split(";"):
        mid, _, fs = part.partition("=")
        out[mid] = {f for f in fs.split("|") if f}
    return out


def covering_controls(scopes: object, form: str) -> list[str]:
    """Ids of the controls in ``scopes`` whose forms include ``form``."""
    return sorted(i for i, fs in parse_scopes(scopes).items() if form in fs)


def controlled_fractions(content: pd.DataFrame, assets: pd.DataFrame, indicators: pd.DataFrame,
                         forms: pd.DataFrame) -> pd.DataFrame:
    """Per asset class and material: the share of the content held in a form covered by an active control,
    and the covering control ids. ``content``: ``asset_id, material, mass_t``; ``assets``: ``asset_id,
    asset_class, technology_id``. Returns ``asset_class, material, controlled_fraction, control_ids``."""
    _require(content, ["asset_id", "material", "mass_t"], "content")
    _require(assets, ["asset_id", "asset_class", "technology_id"], "assets")
    cols = ["asset_class", "material", "controlled_fraction", "control_ids"]
    if content.empty:
        return pd.DataFrame(columns=cols)
    c = content[["asset_id", "material", "mass_t"]].merge(assets[["asset_id", "asset_class", "technology_id"]],
                                                          on="asset_id", how="left")
    c = c.groupby(["asset_class", "technology_id", "material"], as_index=False)["mass_t"].sum()
    c["form"] = holding_forms(c, forms)
    scopes = indicators.set_index("material_id")["control_scopes"] if "control_scopes" in indicators else \
        pd.Series(dtype=object)
    ids = [covering_controls(scopes.get(m), f) for m, f in zip(c["material"], c["form"])]
    c["covered"] = [bool(x) for x in ids]
    c["ids"] = [";".join(x) for x in ids]
    rows = []
    for (cls, m), g in c.groupby(["asset_class", "material"], sort=True):
        tot = float(g["mass_t"].sum())
        cov = float(g.loc[g["covered"], "mass_t"].sum())
        frac = cov / tot if tot > 0 else float(g["covered"].any())
        rows.append({"asset_class": cls, "material": m, "controlled_fraction": frac,
                     "control_ids": ";".join(sorted({i for x in g.loc[g["covered"], "ids"] for i in x.split(";")
                                                     if i})) or None})
    return pd.DataFrame(rows, columns=cols)


def crm_members(lists: pd.DataFrame, groups: Mapping[str, Sequence[str]], list_id: str = "crm_2023") -> set[str]:
    """Materials on ``list_id`` and the members of the groups on it (e.g. neodymium via LREE)."""
    _require(lists, ["list_id", "material_id"], "material lists")
    on = set(lists.loc[lists["list_id"] == list_id, "material_id"].astype(str))
    return on | {m for g in on for m in groups.get(g, [])}


def _rank(score: pd.Series) -> pd.Series:
    return score.rank(ascending=False, method="min").astype("Int64")


def ranking_views(need: pd.DataFrame, content: pd.DataFrame, assets: pd.DataFrame, indicators: pd.DataFrame,
                  forms: pd.DataFrame, *, keep: Collection[str] | None = None) -> dict[str, pd.DataFrame]:
    """The three views of the module docstring, each ranked (``rank`` 1 = most exposed).

    ``need``: ``year, asset_class, material, need_t`` (:func:`critmat.models.exposure.yearly_need`);
    ``content``/``assets``: the region's holdings per asset (every status; holdings count operational and
    under-construction ones); ``indicators``: :func:`critmat.models.exposure.material_indicators`;
    ``keep``: material ids to rank (e.g. :func:`crm_members`), None for all. Materials without an SR get no
    score in the SR views.
    """
    _require(need, ["year", "asset_class", "material", "need_t"], "need")
    _require(indicators, ["material_id", "sr"], "indicators")
    n_years = need["year"].nunique() or 1
    ind = indicators.set_index("material_id")
    sr = ind["sr"]
    per = need.groupby(["asset_class", "material"], as_index=False)["need_t"].sum()
    per["need_t_per_yr"] = per["need_t"] / n_years
    frac = controlled_fractions(content, assets, indicators, forms)
    per = per.merge(frac, on=["asset_class", "material"], how="left")
    if per["controlled_fraction"].isna().any():  # need without holdings (e.g. a new technology): default form
        miss = per["controlled_fraction"].isna()
        tech = pd.DataFrame({"technology_id": ANY, "material": per.loc[miss, "material"]})
        f = holding_forms(tech, forms)
        scopes = ind["control_scopes"] if "control_scopes" in ind else pd.Series(dtype=object)
        ids = [covering_controls(scopes.get(m), fm) for m, fm in zip(tech["material"], f)]
        per.loc[miss, "controlled_fraction"] = [1.0 if x else 0.0 for x in ids]
        per.loc[miss, "control_ids"] = [";".join(x) or None for x in ids]
    per["controlled_t_per_yr"] = per["need_t_per_yr"] * per["controlled_fraction"]
    by_mat = per.groupby("material").agg(need_t_per_yr=("need_t_per_yr", "sum"),
                                         controlled_t_per_yr=("controlled_t_per_yr", "sum"))
    ctrl_ids = per.dropna(subset=["control_ids"]).groupby("material")["control_ids"].agg(
        lambda s: ";".join(sorted({i for x in s for i in str(x).split(";") if i})))
    live = assets[assets["status"].isin(["operational", "under_construction"])]["asset_id"] \
        if "status" in assets else assets["asset_id"]
    held = content[content["asset_id"].isin(set(live))].groupby("material")["mass_t"].sum()
    mats = sorted(set(by_mat.index) | set(held.index))
    if keep is not None:
        mats = [m for m in mats if m in set(keep)]
    base = pd.DataFrame({"material_id": mats})
    base["name"] = base["material_id"].map(ind["name"]) if "name" in ind else base["material_id"]
    base["name"] = base["name"].fillna(base["material_id"])
    base["sr"] = base["material_id"].map(sr)
    base["need_t_per_yr"] = base["material_id"].map(by_mat["need_t_per_yr"]).fillna(0.0)
    base["stock_t"] = base["material_id"].map(held).fillna(0.0)
    base["controlled_t_per_yr"] = base["material_id"].map(by_mat["controlled_t_per_yr"]).fillna(0.0)

    v1 = base[["material_id", "name", "need_t_per_yr", "sr"]].copy()
    v1["score"] = v1["need_t_per_yr"] * v1["sr"]
    v2 = base[["material_id", "name", "stock_t", "sr"]].copy()
    v2["score"] = v2["stock_t"] * v2["sr"]
    v3 = base[["material_id", "name", "need_t_per_yr", "controlled_t_per_yr"]].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        v3["controlled_share"] = np.where(v3["need_t_per_yr"] > 0, v3["controlled_t_per_yr"] / v3["need_t_per_yr"],
                                          np.nan)
    v3["control_ids"] = v3["material_id"].map(ctrl_ids)
    v3["score"] = v3["controlled_t_per_yr"].where(v3["controlled_t_per_yr"] > 0)
    out = {}
    for name, v in (("need_sr", v1), ("holdings_sr", v2), ("controlled_need", v3)):
        v["rank"] = _rank(v["score"])
        out[name] = v.sort_values(["rank", "material_id"], na_position="last").reset_index(drop=True)
    return out


def side_by_side(views: Mapping[str, pd.DataFrame], top: int = 10) -> pd.DataFrame:
    """The top ``top`` of each view in adjacent columns: ``rank``, then per view ``<view>`` (material id)
    and ``<view>_score``; ranks beyond a view's scored rows are empty."""
    rows = pd.DataFrame({"rank": range(1, top + 1)})
    for name in VIEWS:
        v = views[name]
        v = v[v["score"].notna()].head(top).reset_index(drop=True)
        rows[name] = pd.Series(v["material_id"].tolist() + [None] * (top - len(v)))
        rows[f"{name}_score"] = pd.Series(v["score"].tolist() + [np.nan] * (top - len(v)), dtype=float)
        if name == "controlled_need":
            rows["controlled_share"] = pd.Series(v["controlled_share"].tolist() + [np.nan] * (top - len(v)),
                                                 dtype=float)
    return rows
