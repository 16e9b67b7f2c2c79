"""Results the build computes once, so that reading a default answer is a query.

For every region pack: the stock and the pipeline (Monte Carlo, :data:`STOCK_DRAWS` draws, seed
:data:`SEED`) and the end-of-life flows under every bundled scenario (deterministic run over the scenario's
years, as ``critmat flows`` gives by default). Tables (long format, one value per row):

- ``result_stock``: ``region, scenario`` (stock | pipeline), ``area_type, area, asset_class, material,
  variable`` (mass_t, median_t, low_t, high_t), ``unit, value``;
- ``result_flows``: ``region, area_type, area, scenario, asset_class, material, year, variable, unit,
  value`` at region, province and unallocated level (municipality level: computed on demand; it is 90 % of
  the rows);
- ``result_flows_summary``, ``result_flows_indicators``, ``result_flows_fleets``: the model's other frames
  with ``region, scenario`` in front;
- ``results``: one row per stored run (``kind, region, scenario, params_json, inputs_hash, meta_json,
  rows``); ``inputs_hash`` is the build's input fingerprint, so a result is only ever read with the
  inputs it came from.

Readers: :mod:`critmat.services.stock` and :mod:`critmat.services.flows`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource
    from critmat.warehouse.store import Warehouse

STOCK_DRAWS = 1000
SEED = 0
FLOW_LEVELS = ("region", "province", "unallocated")
FLOW_FRAMES = ("summary", "indicators", "fleets")
#: The destination whose export controls the build stores per period (the Netherlands: critmat's regions).
STORED_DESTINATION = "NLD"
RESULT_COLUMNS = ["kind", "region", "scenario", "params_json", "inputs_hash", "meta_json", "rows"]


def stock_params(pipeline: bool = False) -> dict[str, Any]:
    return {"draws": STOCK_DRAWS, "seed": SEED, "pipeline": pipeline, "scale_to_official": False}


def flows_params() -> dict[str, Any]:
    return {"draws": 0, "seed": SEED, "start": None, "end": None, "materials": None}


def _front(df: pd.DataFrame, region: str, scenario: str) -> pd.DataFrame:
    out = df.copy()
    for i, (k, v) in enumerate((("region", region), ("scenario", scenario))):
        if k in out:
            out = out.drop(columns=k)
        out.insert(i, k, v)
    return out


def compute(src: Any, inputs_hash: str, say: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """The result tables for every region and bundled scenario in ``src`` (the build's validated frames)."""
    from critmat.flows import run_flows
    from critmat.stock import caption_facts, load_inputs, regional_stock
    from critmat.warehouse import access

    say = say or (lambda _m: None)
    index, stock, flows = [], [], []
    frames: dict[str, list[pd.DataFrame]] = {k: [] for k in FLOW_FRAMES}
    for rid in access.region_ids(src):
        inputs = load_inputs(rid, source=src)
        for pipeline in (False, True):
            what = "pipeline" if pipeline else "stock"
            say(f"results: {what} of {rid} ({STOCK_DRAWS} draws)")
            res = regional_stock(inputs, n_draws=STOCK_DRAWS, seed=SEED, pipeline=pipeline)
            stock.append(_front(res, rid, what))
            index.append(("stock", rid, what, stock_params(pipeline), caption_facts(inputs, pipeline), len(res)))
        for name in access.spec_names(src, "scenario"):
            say(f"results: flows of {rid}, scenario {name}")
            fr = run_flows(rid, name, wh=src)
            keep = fr.flows[fr.flows["area_type"].isin(FLOW_LEVELS)]
            flows.append(keep)
            for k in FLOW_FRAMES:
                frames[k].append(_front(getattr(fr, k), rid, name))
            meta = {"years": [int(fr.years[0]), int(fr.years[-1])], "benchmark": fr.benchmark,
                    "n_draws": fr.n_draws, "notes": list(fr.notes), "sampled": list(fr.sampled),
                    "not_sampled": list(fr.not_sampled), "levels": list(FLOW_LEVELS)}
            index.append(("flows", rid, name, flows_params(), meta, len(keep)))
    out = {"results": pd.DataFrame([(k, r, s, json.dumps(p, sort_keys=True), inputs_hash, json.dumps(m), n)
                                    for k, r, s, p, m, n in index], columns=RESULT_COLUMNS)}
    if stock:
        out["result_stock"] = pd.concat(stock, ignore_index=True)
    if flows:
        out["result_flows"] = pd.concat(flows, ignore_index=True)
        for k in FLOW_FRAMES:
            out[f"result_flows_{k}"] = pd.concat(frames[k], ignore_index=True)
    return out


def after_write(wh: Warehouse, say: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Tables computed from the build's written tables (``wh``): the risk indicators per period of export
    control statuses (:func:`critmat.risk_report.indicator_tables`) and the stored answers
    (:mod:`critmat.services.stored`)."""
    from critmat import risk_report as rr
    from critmat.services import stored

    (say or (lambda _m: None))("results: supply-risk indicators per period of export controls")
    return {**rr.indicator_tables(rr.risk_data(wh)), stored.TABLE: stored.compute(wh, say)}


def indicators(wh: TableSource, day: dt.date, destination: str | None,
               compute: Callable[[], pd.DataFrame] | None = None) -> pd.DataFrame | None:
    """Every material's risk indicators on ``day`` (columns of
    :data:`critmat.models.exposure.INDICATOR_COLUMNS`) from the tables the build stored, once per build, day
    and destination (a copy is returned); when it stored none for ``destination``: ``compute()``, or None."""
    from critmat.services.context import memo

    def read() -> pd.DataFrame | None:
        from critmat.models.exposure import CONTROL_COLUMNS, INDICATOR_COLUMNS
        from critmat.models.risk import STAGES

        if not (hasattr(wh, "sql") and wh.has("result_indicators") and wh.has("result_controls")):
            return None
        cols = ", ".join("coalesce(c.controls_active, 0) AS controls_active" if c == "controls_active" else
                         f"c.{c}" if c in CONTROL_COLUMNS else f"i.{c}" for c in INDICATOR_COLUMNS)
        query = (f"SELECT {cols} FROM result_indicators i LEFT JOIN (SELECT * FROM result_controls "
                 "WHERE destination = ? AND (valid_from IS NULL OR valid_from <= ?) "
                 "AND (valid_to IS NULL OR ? < valid_to)) c ON c.material_id = i.material_id "
                 "WHERE i.destination = ? ORDER BY i.rowid")
        params = [destination, day, day, destination]
        # a hundred rows: built from Python values (DuckDB's pandas conversion costs more on its first use)
        found = (pd.DataFrame(wh.rows(query, params), columns=INDICATOR_COLUMNS) if hasattr(wh, "rows")
                 else wh.sql(query, params))
        if found.empty:  # the build stored no indicators for this destination
            return None
        # the computed frame's dtypes (floats, counts, True/False/None, text/None) are those of the Python
        # values, but for a numeric column without any value (object of None there, float NaN here)
        for c in ("sr", "ei", *(f"{k}_{st}" for k in ("hhi", "china") for st in STAGES)):
            if found[c].dtype == object:
                found[c] = found[c].astype("float64")
        return found

    key = (day.isoformat(), destination)
    found = memo(wh, ("indicators stored", *key), read)
    if found is None and compute is not None:
        found = memo(wh, ("indicators computed", *key), compute)
    return None if found is None else found.copy()


def stored(wh: TableSource, kind: str, region: str, scenario: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The ``results`` row of a stored run with exactly these parameters (meta decoded), or None."""
    if wh is None or not hasattr(wh, "sql") or not wh.has("results"):
        return None
    rows = wh.sql("SELECT * FROM results WHERE kind = ? AND region = ? AND scenario = ? AND params_json = ?",
                  [kind, region, scenario, json.dumps(params, sort_keys=True)])
    if rows.empty or rows["inputs_hash"].iloc[0] != wh.meta("fingerprint"):
        return None
    row = rows.iloc[0].to_dict()
    row["meta"] = json.loads(row.pop("meta_json"))
    return row


def read(wh: TableSource, table: str, region: str, scenario: str,
         area_types: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The rows of one stored run (parameters bound; the table name is one of this module's), only those of
    ``area_types`` when given."""
    if table not in ("result_stock", "result_flows", *(f"result_flows_{k}" for k in FLOW_FRAMES)):
        raise ValueError(f"not a result table: {table!r}")
    # the long flows rows (140,000 for nh-fl's baseline): through Arrow, 3-4x faster; the small ones as they were
    # (Arrow's first use costs more than it saves on a few thousand rows)
    sql = getattr(wh, "sql_labels", wh.sql) if table == "result_flows" else wh.sql
    if not area_types:
        return sql(f"SELECT * FROM {table} WHERE region = ? AND scenario = ?", [region, scenario])
    marks = ", ".join("?" for _ in area_types)
    return sql(f"SELECT * FROM {table} WHERE region = ? AND scenario = ? AND area_type IN ({marks})",
               [region, scenario, *area_types])
