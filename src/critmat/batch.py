"""Many regions at once: stock (Monte Carlo), flows per scenario and exposure of every region pack, written
as partitioned Parquet, one chunk per region and result, on this machine or on a Dask cluster.

Glue like :mod:`critmat.flows`: the numbers come from :func:`critmat.stock.regional_stock`,
:func:`critmat.flows.flow_arrays` and :func:`critmat.models.exposure.material_exposure`. One task is one
region (:func:`region_results`): regions are independent, a region's Monte Carlo draws are seeded by
``seed`` alone, so the same region gives the same numbers wherever it runs. :func:`run` maps the task over
the packs in this process (``client=None``) or with ``client.map`` on a ``dask.distributed`` cluster (a
``LocalCluster`` or a real one, see ``docs/scale.md``) - the same function either way. Nothing is gathered
but a small row of statistics per region: every result goes straight to Parquet.

Layout under ``out`` (Hive partitions; DuckDB reads them with :func:`read`):

* ``stock/region=<id>/part-0.parquet``: the stock model's long rows (``area_type, area, asset_class,
  material, variable, unit, value``; ``mass_t``, ``low_t``, ``high_t`` and ``median_t`` with draws);
* ``flows/scenario=<s>/region=<id>/part-0.parquet``: one row per cell, material and year with a column per
  flow variable (:data:`critmat.flows.FLOW_VARIABLES`, tonnes), only the cells that hold the material;
* ``exposure/scenario=<s>/region=<id>/part-0.parquet``: :func:`critmat.models.exposure.material_exposure`
  on the flows model's yearly need (replacement + new demand, region level) and the stock.

Strings are dictionary-encoded; a region's flows are written from the model's arrays without a long frame.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PARTS = ("stock", "flows", "exposure")
STAT_COLUMNS = ["region", "assets", "load_s", "stock_s", "flows_s", "exposure_s", "write_s", "rows_stock",
                "rows_flows", "rows_exposure"]


def _write(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    import pyarrow as pa

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    # dictionary pages for the labels only: trying them on the float columns cost half the write time
    labels = [f.name for f in table.schema if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)
              or pa.types.is_large_string(f.type)]
    pq.write_table(table, tmp, compression="zstd", use_dictionary=labels)
    tmp.replace(path)


def flows_table(fa: Any) -> Any:
    """A pyarrow table of a :class:`critmat.flows.FlowArrays` (see the module docstring), built from its
    arrays: one row per present (cell, material) and year."""
    import pyarrow as pa

    from critmat.flows import FLOW_VARIABLES

    ci, mi = np.nonzero(fa.present)
    n_y = len(fa.years)
    cells = np.array(fa.cells, dtype=object).reshape(-1, 3)
    cols: dict[str, Any] = {}
    rep = np.repeat(np.arange(len(ci)), n_y)
    for j, name in enumerate(("area_type", "area", "asset_class")):
        u, inv = np.unique(cells[:, j].astype(str), return_inverse=True)
        cols[name] = pa.DictionaryArray.from_arrays(pa.array(inv[ci][rep].astype(np.int32)), pa.array(u))
    cols["material"] = pa.DictionaryArray.from_arrays(pa.array(mi[rep].astype(np.int32)), pa.array(fa.mats))
    cols["year"] = pa.array(np.tile(fa.years.astype(np.int16), len(ci)))
    for v in FLOW_VARIABLES:
        cols[v] = pa.array(fa.agg[v][ci, mi].reshape(-1))
    return pa.table(cols)


def need_frame(fa: Any, stock: pd.DataFrame) -> pd.DataFrame:
    """The exposure model's yearly need (:data:`critmat.models.exposure.NEED_COLUMNS`) from the flows
    model's region-level demand per class and the stock (central, operational and under construction)."""
    from critmat.models.inventory import ALL_CLASSES

    rows = [i for i, (t, _a, c) in enumerate(fa.cells) if t == "region" and c != ALL_CLASSES]
    n_y = len(fa.years)
    k = len(rows) * len(fa.mats)
    need = pd.DataFrame({"year": np.tile(fa.years, k),
                         "asset_class": np.repeat([fa.cells[i][2] for i in rows], len(fa.mats) * n_y),
                         "material": np.tile(np.repeat(fa.mats, n_y), len(rows)),
                         "replacement_t": fa.agg["demand_replacement"][rows].reshape(-1),
                         "pipeline_t": fa.agg["demand_new"][rows].reshape(-1)})
    s = stock[(stock["area_type"] == "region") & (stock["asset_class"] != ALL_CLASSES)
              & (stock["variable"] == "mass_t")]
    s = s.rename(columns={"value": "stock_t"})[["asset_class", "material", "stock_t"]]
    need = need.merge(s, on=["asset_class", "material"], how="left").fillna({"stock_t": 0.0})
    need["need_t"] = need["replacement_t"] + need["pipeline_t"]
    return need[need[["stock_t", "need_t"]].to_numpy().any(axis=1)].reset_index(drop=True)


def region_results(pack: str | Path, out: str | Path, *, draws: int = 1000, seed: int = 0,
                   scenarios: Sequence[str] = ("baseline",), indicators: pd.DataFrame | None = None,
                   parts: Sequence[str] = PARTS, wh: Any = None) -> dict[str, Any]:
    """Stock, flows per scenario and exposure of one region pack, written under ``out``; returns a row of
    :data:`STAT_COLUMNS` (seconds and rows written). ``indicators``: the exposure model's indicators
    (:func:`critmat.risk_report.indicators`), needed for ``exposure``."""
    import pyarrow as pa

    from critmat.flows import flow_arrays, region_pack
    from critmat.models.exposure import material_exposure
    from critmat.stock import regional_stock

    out = Path(out)
    t0 = time.perf_counter()
    inputs, _reg = region_pack(pack)
    rid = inputs.region_id
    stats: dict[str, Any] = {"region": rid, "assets": len(inputs.assets), "load_s": time.perf_counter() - t0,
                             "stock_s": 0.0, "flows_s": 0.0, "exposure_s": 0.0, "write_s": 0.0, "rows_stock": 0,
                             "rows_flows": 0, "rows_exposure": 0}
    stock = None
    if "stock" in parts or "exposure" in parts:
        t = time.perf_counter()
        stock = regional_stock(inputs, n_draws=draws, seed=seed)
        stats["stock_s"] = time.perf_counter() - t
        if "stock" in parts:
            t = time.perf_counter()
            tab = pa.Table.from_pandas(stock.drop(columns="region"), preserve_index=False)
            _write(tab.replace_schema_metadata(None), out / "stock" / f"region={rid}" / "part-0.parquet")
            stats["write_s"] += time.perf_counter() - t
            stats["rows_stock"] = len(stock)
    for sc in scenarios if ("flows" in parts or "exposure" in parts) else ():
        t = time.perf_counter()
        fa = flow_arrays(pack, sc, wh=wh)
        stats["flows_s"] += time.perf_counter() - t
        if "flows" in parts:
            t = time.perf_counter()
            tab = flows_table(fa)
            _write(tab, out / "flows" / f"scenario={sc}" / f"region={rid}" / "part-0.parquet")
            stats["write_s"] += time.perf_counter() - t
            stats["rows_flows"] += tab.num_rows
        if "exposure" in parts and indicators is not None:
            t = time.perf_counter()
            exp = material_exposure(need_frame(fa, stock), indicators)
            stats["exposure_s"] += time.perf_counter() - t
            t = time.perf_counter()
            keep = [c for c in exp.columns if exp[c].map(lambda x: not isinstance(x, (list, tuple, dict))).all()]
            _write(pa.Table.from_pandas(exp[keep], preserve_index=False).replace_schema_metadata(None),
                   out / "exposure" / f"scenario={sc}" / f"region={rid}" / "part-0.parquet")
            stats["write_s"] += time.perf_counter() - t
            stats["rows_exposure"] += len(exp)
    return stats


@contextmanager
def per_region_reference() -> Iterator[None]:
    """The per-region path this module's shared work replaced, for benchmarks and tests: every file through
    frictionless (no :func:`critmat.catalog.package._proven_clean`), no set-up shared across regions
    (unit profiles, vintage contents), no parsed-YAML memo. Same numbers; use with ``workers=1``."""
    from critmat import safeyaml
    from critmat.catalog import package
    from critmat.models import eolflows

    old = package.FAST_CHECK, eolflows.SHARE_SETUP, safeyaml._PARSED_MAX
    package.FAST_CHECK, eolflows.SHARE_SETUP, safeyaml._PARSED_MAX = False, False, 0
    try:
        yield
    finally:
        package.FAST_CHECK, eolflows.SHARE_SETUP, safeyaml._PARSED_MAX = old


def run(packs: Sequence[str | Path], out: str | Path, *, client: Any = None, workers: int = 1,
        **kwargs: Any) -> pd.DataFrame:
    """:func:`region_results` for every pack: in this process (``client=None``, ``workers=1``), in ``workers``
    local processes (a process pool, regions handed out in order), or as one task per pack on a
    ``dask.distributed.Client`` (same function, same numbers). Returns the statistics, one row per region."""
    packs = [str(p) for p in packs]
    if client is None and workers > 1 and len(packs) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        from functools import partial

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(packs)), mp_context=ctx) as ex:
            rows = list(ex.map(partial(region_results, out=str(out), **kwargs), packs, chunksize=1))
    elif client is None:
        rows = [region_results(p, out, **kwargs) for p in packs]
    else:
        futures = client.map(region_results, packs, out=str(out), pure=False, **kwargs)
        rows = client.gather(futures)
    return pd.DataFrame(rows, columns=STAT_COLUMNS)


def read(out: str | Path, part: str, where: str | None = None) -> pd.DataFrame:
    """A result of :func:`run` through DuckDB (``part`` stock | flows | exposure; Hive partitions become the
    columns ``region`` and ``scenario``); ``where``: an SQL condition on its columns."""
    import duckdb

    if part not in PARTS:
        from critmat.errors import UnknownIdError

        raise UnknownIdError(f"unknown result '{part}' (use one of {', '.join(PARTS)})")
    glob = str(Path(out) / part / "**" / "*.parquet").replace("'", "''")
    sql = f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)"
    if where:
        sql += f" WHERE {where}"
    con = duckdb.connect()
    try:
        return con.sql(sql).df()
    finally:
        con.close()
