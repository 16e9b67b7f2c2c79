"""Many regions at once: stock (Monte Carlo), flows per scenario and exposure of every region pack, written
as partitioned Parquet, on this machine or on a Dask cluster.

Glue like :mod:`critmat.flows`: the numbers come from :func:`critmat.stock.regional_stock` (or the same model
run on several regions at once, :func:`chunk_stock`), :func:`critmat.flows.flow_arrays` and
:func:`critmat.models.exposure.material_exposure`. One task is a chunk of consecutive regions
(:func:`chunk_results`): regions are independent, a region's Monte Carlo draws are seeded by ``seed`` alone,
so the same region gives the same numbers wherever and with whichever other regions it runs. :func:`run`
maps the task over the chunks in this process (``client=None``), in a local process pool (``workers``) or
with ``client.map`` on a ``dask.distributed`` cluster (a ``LocalCluster`` or a real one, see
``docs/scale.md``) - the same function either way. Nothing is gathered but a small row of statistics per
region: every result goes straight to Parquet.

Layout under ``out`` (Hive partitions; DuckDB reads them with :func:`read`), one file per task and result,
the region a column of the file:

* ``stock/part-<task>.parquet``: the stock model's long rows (``area_type, area, asset_class,
  material, variable, unit, value, region``; ``mass_t``, ``low_t``, ``high_t`` and ``median_t`` with draws);
* ``flows/scenario=<s>/part-<task>.parquet``: one row per cell, material and year with a column per
  flow variable (:data:`critmat.flows.FLOW_VARIABLES`, tonnes), only the cells that hold the material, one
  row group per region;
* ``exposure/scenario=<s>/part-<task>.parquet``: :func:`critmat.models.exposure.material_exposure`
  on the flows model's yearly need (replacement + new demand, region level) and the stock.

The per-region path (:func:`region_results`, under :func:`per_region_reference`) writes one file per region
and result (``stock/region=<id>/part-0.parquet`` ...); :func:`read` gives the same table from either layout.
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

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, **_options(table.schema))
    tmp.replace(path)


def flows_table(fa: Any) -> Any:
    """A pyarrow table of a :class:`critmat.flows.FlowArrays` (see the module docstring), built from its
    arrays: one row per present (cell, material) and year."""
    import pyarrow as pa

    from critmat.flows import FLOW_VARIABLES

    rows = getattr(fa.agg, "present_rows", None)  # the rolled rows (no dense array per variable)
    if rows is not None:
        ci, mi, k = rows()
    else:
        ci, mi = np.nonzero(fa.present)
    n_y = len(fa.years)
    cells = np.array(fa.cells, dtype=object).reshape(-1, 3)
    cols: dict[str, Any] = {}
    rep = np.repeat(np.arange(len(ci)), n_y)
    for j, name in enumerate(("area_type", "area", "asset_class")):
        u, inv = np.unique(cells[:, j].astype(str), return_inverse=True)
        cols[name] = pa.DictionaryArray.from_arrays(pa.array(inv[ci][rep].astype(np.int32)),
                                                    pa.array(u, type=pa.string()))
    # typed even when empty: every region's table of a chunk goes into one file of one schema
    cols["material"] = pa.DictionaryArray.from_arrays(pa.array(mi[rep].astype(np.int32)),
                                                      pa.array(list(fa.mats), type=pa.string()))
    cols["year"] = pa.array(np.tile(fa.years.astype(np.int16), len(ci)))
    for v in FLOW_VARIABLES:
        vals = fa.agg.column(v, k) if rows is not None else fa.agg[v][ci, mi]
        cols[v] = pa.array(vals.reshape(-1))
    return pa.table(cols)


def need_frame(fa: Any, stock: pd.DataFrame) -> pd.DataFrame:
    """The exposure model's yearly need (:data:`critmat.models.exposure.NEED_COLUMNS`) from the flows
    model's region-level demand per class and the stock (central, operational and under construction)."""
    return _with_stock(_need_demand(fa), _region_stock(stock))


def _need_demand(fa: Any) -> pd.DataFrame:
    """The flows part of :func:`need_frame`: replacement and new demand per year, class and material."""
    from critmat.models.inventory import ALL_CLASSES

    rows = [i for i, (t, _a, c) in enumerate(fa.cells) if t == "region" and c != ALL_CLASSES]
    n_y = len(fa.years)
    k = len(rows) * len(fa.mats)
    return pd.DataFrame({"year": np.tile(fa.years, k),
                         "asset_class": np.repeat([fa.cells[i][2] for i in rows], len(fa.mats) * n_y),
                         "material": np.tile(np.repeat(fa.mats, n_y), len(rows)),
                         "replacement_t": _cells(fa, "demand_replacement", rows).reshape(-1),
                         "pipeline_t": _cells(fa, "demand_new", rows).reshape(-1)})


def _cells(fa: Any, v: str, rows: list[int]) -> np.ndarray:
    """``fa.agg[v][rows]`` (without a dense array per variable when the flows hold the rolled rows)."""
    take = getattr(fa.agg, "take", None)
    return take(v, rows) if take is not None else fa.agg[v][rows]


def _region_stock(stock: pd.DataFrame) -> pd.DataFrame:
    """The stock part of :func:`need_frame`: central tonnes per class and material at region level (with the
    column ``region``)."""
    from critmat.models.inventory import ALL_CLASSES

    s = stock[(stock["area_type"] == "region") & (stock["asset_class"] != ALL_CLASSES)
              & (stock["variable"] == "mass_t")]
    return s.rename(columns={"value": "stock_t"})[["region", "asset_class", "material", "stock_t"]]


def _with_stock(need: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    need = need.merge(s[["asset_class", "material", "stock_t"]], on=["asset_class", "material"],
                      how="left").fillna({"stock_t": 0.0})
    need["need_t"] = need["replacement_t"] + need["pipeline_t"]
    return need[need[["stock_t", "need_t"]].to_numpy().any(axis=1)].reset_index(drop=True)


@contextmanager
def _timed(stats: dict[str, Any], key: str) -> Iterator[None]:
    """Add the seconds the block takes to ``stats[key]``."""
    t = time.perf_counter()
    try:
        yield
    finally:
        stats[key] += time.perf_counter() - t


def _stats(region: str, assets: int, load_s: float) -> dict[str, Any]:
    """A region's row of :data:`STAT_COLUMNS`, before its steps run."""
    return {"region": region, "assets": assets, "load_s": load_s, "stock_s": 0.0, "flows_s": 0.0,
            "exposure_s": 0.0, "write_s": 0.0, "rows_stock": 0, "rows_flows": 0, "rows_exposure": 0}


def _write_exposure(exp: pd.DataFrame, path: Path) -> None:
    """The exposure rows without their nested columns (lists, mappings: no Parquet column of one type)."""
    import pyarrow as pa

    keep = [c for c in exp.columns if exp[c].map(lambda x: not isinstance(x, (list, tuple, dict))).all()]
    _write(pa.Table.from_pandas(exp[keep], preserve_index=False).replace_schema_metadata(None), path)


def region_results(pack: str | Path, out: str | Path, *, draws: int = 1000, seed: int = 0,
                   scenarios: Sequence[str] = ("baseline",), indicators: pd.DataFrame | None = None,
                   parts: Sequence[str] = PARTS, wh: Any = None) -> dict[str, Any]:
    """Stock, flows per scenario and exposure of one region pack, written under ``out``; returns a row of
    :data:`STAT_COLUMNS` (seconds and rows written). ``indicators``: the exposure model's indicators
    (:func:`critmat.risk_report.indicators`), needed for ``exposure``."""
    import pyarrow as pa

    from critmat.flows import flow_arrays
    from critmat.stock import region_pack
    from critmat.models.exposure import material_exposure
    from critmat.stock import regional_stock

    out = Path(out)
    t0 = time.perf_counter()
    inputs, _reg = region_pack(pack)
    rid = inputs.region_id
    stats = _stats(rid, len(inputs.assets), time.perf_counter() - t0)
    stock = None
    if "stock" in parts or "exposure" in parts:
        with _timed(stats, "stock_s"):
            stock = regional_stock(inputs, n_draws=draws, seed=seed)
        if "stock" in parts:
            with _timed(stats, "write_s"):
                tab = pa.Table.from_pandas(stock.drop(columns="region"), preserve_index=False)
                _write(tab.replace_schema_metadata(None), out / "stock" / f"region={rid}" / "part-0.parquet")
            stats["rows_stock"] = len(stock)
    for sc in scenarios if ("flows" in parts or "exposure" in parts) else ():
        with _timed(stats, "flows_s"):
            fa = flow_arrays(pack, sc, wh=wh)
        if "flows" in parts:
            with _timed(stats, "write_s"):
                tab = flows_table(fa)
                _write(tab, out / "flows" / f"scenario={sc}" / f"region={rid}" / "part-0.parquet")
            stats["rows_flows"] += tab.num_rows
        if "exposure" in parts and indicators is not None:
            with _timed(stats, "exposure_s"):
                exp = material_exposure(need_frame(fa, stock), indicators)
            with _timed(stats, "write_s"):
                _write_exposure(exp, out / "exposure" / f"scenario={sc}" / f"region={rid}" / "part-0.parquet")
            stats["rows_exposure"] += len(exp)
    return stats


def chunk_results(packs: Sequence[str | Path], out: str | Path, *, part: int = 0, draws: int = 1000, seed: int = 0,
                  scenarios: Sequence[str] = ("baseline",), indicators: pd.DataFrame | None = None,
                  parts: Sequence[str] = PARTS, wh: Any = None) -> list[dict[str, Any]]:
    """:func:`region_results` of several region packs as one task: the same numbers, with the steps that
    cost per call run once over the chunk. Every pack is loaded and validated and its flows computed per
    scenario (the flows model is per region), each region's flows appended to one Parquet file per scenario
    (``flows/scenario=<s>/part-<part>.parquet``, one row group per region, the column ``region``); the stock
    of all the chunk's regions is one run of the stock model on their assets (cells keyed by region, the
    Monte Carlo draws are the same for every region) with one parts-sum-to-wholes check, written as
    ``stock/part-<part>.parquet``; exposure per region, one file per scenario. Returns one row of
    :data:`STAT_COLUMNS` per region: the steps run once per chunk (stock, exposure, writes of stock and
    exposure) are shared evenly among its regions."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from critmat.flows import flow_arrays
    from critmat.stock import region_pack

    out = Path(out)
    name = f"part-{part:05d}.parquet"
    want_stock = "stock" in parts or "exposure" in parts
    want_flows = "flows" in parts or "exposure" in parts
    rows: list[dict[str, Any]] = []
    inputs_list = []
    needs: dict[str, list[tuple[str, pd.DataFrame]]] = {sc: [] for sc in scenarios}
    writers: dict[str, Any] = {}
    tmp_paths: dict[str, tuple[Path, Path]] = {}
    try:
        for pack in packs:
            t0 = time.perf_counter()
            inputs, _reg = region_pack(pack)
            rid = inputs.region_id
            st = _stats(rid, len(inputs.assets), time.perf_counter() - t0)
            inputs_list.append(inputs)
            for sc in scenarios if want_flows else ():
                with _timed(st, "flows_s"):
                    fa = flow_arrays(pack, sc, wh=wh)
                if "flows" in parts:
                    with _timed(st, "write_s"):
                        tab = flows_table(fa)
                        tab = tab.append_column("region", pa.DictionaryArray.from_arrays(
                            pa.array(np.zeros(tab.num_rows, dtype=np.int32)), pa.array([rid])))
                        if sc not in writers:
                            path = out / "flows" / f"scenario={sc}" / name
                            path.parent.mkdir(parents=True, exist_ok=True)
                            tmp = path.with_name(f".{path.name}.tmp")
                            tmp_paths[sc] = (tmp, path)
                            writers[sc] = pq.ParquetWriter(tmp, tab.schema, **_options(tab.schema))
                        _append(writers[sc], tab)
                    st["rows_flows"] += tab.num_rows
                if "exposure" in parts and indicators is not None:
                    with _timed(st, "exposure_s"):
                        needs[sc].append((rid, _need_demand(fa)))
                del fa
            rows.append(st)
        t = time.perf_counter()
        for sc, w in writers.items():
            _finish(w, *tmp_paths[sc])
        writers.clear()
        share_write = time.perf_counter() - t
    finally:
        for sc, w in writers.items():  # a failed task leaves no hidden half-written file
            w.close()
            tmp_paths[sc][0].unlink(missing_ok=True)
    n = max(len(rows), 1)
    shared = {"stock_s": 0.0, "exposure_s": 0.0, "write_s": share_write}
    stock = None
    if want_stock:
        t = time.perf_counter()
        stock = chunk_stock(inputs_list, n_draws=draws, seed=seed)
        shared["stock_s"] += time.perf_counter() - t
        counts = stock["region"].value_counts()
        for st in rows:
            st["rows_stock"] = int(counts.get(st["region"], 0)) if "stock" in parts else 0
        if "stock" in parts:
            t = time.perf_counter()
            cols = [c for c in stock.columns if c != "region"] + ["region"]
            tab = pa.Table.from_pandas(stock[cols], preserve_index=False)
            _write(tab.replace_schema_metadata(None), out / "stock" / name)
            shared["write_s"] += time.perf_counter() - t
    if "exposure" in parts and indicators is not None and stock is not None:
        s_reg = _region_stock(stock)
        n_exp = {st["region"]: 0 for st in rows}
        for sc in scenarios:
            if not needs[sc]:
                continue
            t = time.perf_counter()
            exp = chunk_exposure(needs[sc], s_reg, indicators)
            for rid, k in exp["region"].value_counts().items():
                n_exp[rid] += int(k)
            shared["exposure_s"] += time.perf_counter() - t
            t = time.perf_counter()
            _write_exposure(exp, out / "exposure" / f"scenario={sc}" / name)
            shared["write_s"] += time.perf_counter() - t
        for st in rows:
            st["rows_exposure"] = n_exp[st["region"]]
    for st in rows:
        for k, v in shared.items():
            st[k] += v / n
    return rows


def chunk_exposure(needs: Sequence[tuple[str, pd.DataFrame]], stock: pd.DataFrame, indicators: pd.DataFrame
                   ) -> pd.DataFrame:
    """:func:`critmat.models.exposure.material_exposure` of several regions at once, with the column
    ``region``: ``needs`` ``(region, flows part of the need)`` (:func:`_need_demand`), ``stock`` the regions'
    stock at region level (:func:`_region_stock`). The same rows and numbers as one call per region on
    :func:`need_frame` (the sums run per region and material over the same rows in the same order), in one
    pass of grouped frame operations instead of about twenty small ones per region."""
    from critmat.models.exposure import NEED_COLUMNS, _require

    _require(indicators, ["material_id", "sr"], "indicators")
    regions = [rid for rid, _ in needs]
    need = pd.concat([n.assign(region=rid) for rid, n in needs], ignore_index=True)
    need = need.merge(stock[["region", "asset_class", "material", "stock_t"]],
                      on=["region", "asset_class", "material"], how="left").fillna({"stock_t": 0.0})
    need["need_t"] = need["replacement_t"] + need["pipeline_t"]
    need = need[need[["stock_t", "need_t"]].to_numpy().any(axis=1)]
    _require(need, NEED_COLUMNS, "need")
    n_years = need.groupby("region", sort=False)["year"].nunique()
    first = need[need["year"] == need.groupby("region", sort=False)["year"].transform("min")]
    st = first.groupby(["region", "material"])["stock_t"].sum()
    agg = need.groupby(["region", "material"])[["replacement_t", "pipeline_t", "need_t"]].sum()
    agg = agg.div(n_years.reindex(agg.index.get_level_values(0)).to_numpy(), axis=0)
    per = pd.DataFrame({"stock_t": st}).join(agg, how="outer").fillna(0.0)
    per = per.rename(columns={"replacement_t": "replacement_t_per_yr", "pipeline_t": "pipeline_t_per_yr",
                              "need_t": "need_t_per_yr"})
    per = per.reset_index().rename(columns={"material": "material_id"})
    base = indicators.merge(pd.DataFrame({"region": regions}), how="cross")
    out = base.merge(per, on=["region", "material_id"], how="outer")
    for col in ("stock_t", "replacement_t_per_yr", "pipeline_t_per_yr", "need_t_per_yr"):
        out[col] = out[col].fillna(0.0)
    out["name"] = out["name"].fillna(out["material_id"]) if "name" in out else out["material_id"]
    out["exposure_score"] = out["need_t_per_yr"] * out["sr"]
    out["rank"] = out.groupby("region", sort=False)["exposure_score"].rank(ascending=False, method="min") \
        .astype("Int64")
    out["_order"] = out["region"].map({r: i for i, r in enumerate(regions)})
    out = out.sort_values(["_order", "rank", "sr", "material_id"], ascending=[True, True, False, True],
                          na_position="last")
    cols = [c for c in out.columns if c not in ("region", "_order")] + ["region"]
    return out[cols].reset_index(drop=True)


def chunk_stock(inputs_list: Sequence[Any], *, n_draws: int = 1000, seed: int = 0) -> pd.DataFrame:
    """:func:`critmat.stock.regional_stock` of several regions, concatenated (column ``region``): one run of the
    stock model on all their assets when they share the technologies, intensities and groups (the cells are
    keyed by region, a region's percentiles are those of its own cells, the draws depend on the seed only),
    and one parts-sum-to-wholes check. A data error, or inputs that differ, and each region runs on its own (so an
    error is the one :func:`~critmat.stock.regional_stock` raises; a fault of the code is raised as it is)."""
    from critmat.errors import CritmatError
    from critmat.models import inventory
    from critmat.stock import regional_stock

    def one_by_one() -> pd.DataFrame:
        frames = [regional_stock(i, n_draws=n_draws, seed=seed) for i in inputs_list]
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=inventory.OUTPUT_COLUMNS)

    if len(inputs_list) < 2 or not CHUNK_STOCK:
        return one_by_one()
    first = inputs_list[0]
    if any(not (i.technologies.equals(first.technologies) and i.intensities.equals(first.intensities)
                and i.groups == first.groups) for i in inputs_list[1:]):
        return one_by_one()
    where: dict[str, str] = {}
    for i in inputs_list:
        for area, prov in i.municipality_province.items():
            if where.setdefault(area, prov) != prov:  # an area in two provinces: check region by region
                return one_by_one()
    try:
        assets = pd.concat([i.assets for i in inputs_list], ignore_index=True)
        # asset ids are unique within a region: qualify them (the stock model refuses duplicates)
        assets["asset_id"] = assets["region_id"].astype(str) + "\x1f" + assets["asset_id"].astype(str)
        res = inventory.stock(assets, first.technologies, first.intensities, groups=first.groups,
                              n_draws=n_draws, seed=seed)
        if len(res):
            inventory.assert_aggregate(res, where)
    except CritmatError:  # bad data: the region-by-region run raises the error that region's own run raises
        return one_by_one()
    return res


#: Run the stock of a chunk's regions as one model run (False: region by region, for comparisons).
CHUNK_STOCK = True


def _append(writer: Any, table: Any) -> None:
    """One region's table as the next row group of a task's file (a function of its own for the profile)."""
    writer.write_table(table)


def _finish(writer: Any, tmp: Path, path: Path) -> None:
    writer.close()
    tmp.replace(path)


def _options(schema: Any) -> dict[str, Any]:
    """How results are written: LZ4 (a flows table of 110,000 rows wrote in 31 ms with zstd, 20 with LZ4, files
    7 % larger); dictionary pages for the labels only (trying them on the float columns cost half the write
    time); min/max statistics for the labels and integers only (what a query filters on: area, class,
    material, year; the float columns' statistics were a quarter of the write time)."""
    import pyarrow as pa

    labels = [f.name for f in schema if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)
              or pa.types.is_large_string(f.type)]
    stats = labels + [f.name for f in schema if pa.types.is_integer(f.type)]
    return {"compression": COMPRESSION, "use_dictionary": labels, "write_statistics": stats}


COMPRESSION = "lz4"


@contextmanager
def per_region_reference() -> Iterator[None]:
    """The per-region path this module's shared work replaced, for benchmarks and tests: one task per region
    (:func:`region_results`, one file per region and result), every file through frictionless (no
    :func:`critmat.catalog.package._proven_clean`), no set-up shared across regions (unit profiles, vintage
    contents), no parsed-YAML memo. Same numbers; use with ``workers=1``."""
    from critmat import safeyaml
    from critmat.catalog import package
    from critmat.models import eolflows

    global CHUNKS
    old = package.FAST_CHECK, eolflows.SHARE_SETUP, safeyaml._PARSED_MAX, CHUNKS
    package.FAST_CHECK, eolflows.SHARE_SETUP, safeyaml._PARSED_MAX, CHUNKS = False, False, 0, False
    try:
        yield
    finally:
        package.FAST_CHECK, eolflows.SHARE_SETUP, safeyaml._PARSED_MAX, CHUNKS = old


def run(packs: Sequence[str | Path], out: str | Path, *, client: Any = None, workers: int = 1,
        regions_per_task: int | None = None, **kwargs: Any) -> pd.DataFrame:
    """The results of every pack, in this process (``client=None``, ``workers=1``), in ``workers`` local
    processes (a process pool, tasks handed out in order), or on a ``dask.distributed.Client`` (same function,
    same numbers). A task is :func:`chunk_results` on ``regions_per_task`` consecutive packs (default: about
    :data:`TASKS_PER_WORKER` tasks per worker, at most :data:`MAX_REGIONS_PER_TASK` regions a task); under
    :func:`per_region_reference` a task is :func:`region_results` of one pack (one file per region and result).
    Returns the statistics, one row per region, in the order of ``packs``."""
    packs = [str(p) for p in packs]
    _check_run(packs, out, kwargs.get("parts", PARTS))
    if not CHUNKS:
        return _run_regions(packs, out, client=client, workers=workers, **kwargs)
    n_proc = max(1, workers) if client is None else max(1, len(client.scheduler_info().get("workers", {})) or 1)
    size = regions_per_task or max(1, min(MAX_REGIONS_PER_TASK, -(-len(packs) // (TASKS_PER_WORKER * n_proc))))
    chunks = [packs[i:i + size] for i in range(0, len(packs), size)]
    if client is None and workers > 1 and len(chunks) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        from functools import partial

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=ctx) as ex:
            done = list(ex.map(partial(_chunk_task, out=str(out), **kwargs), enumerate(chunks), chunksize=1))
    elif client is None:
        done = [_chunk_task(c, out, **kwargs) for c in enumerate(chunks)]
    else:
        futures = client.map(_chunk_task, list(enumerate(chunks)), out=str(out), pure=False, **kwargs)
        done = client.gather(futures)
    return pd.DataFrame([r for rows in done for r in rows], columns=STAT_COLUMNS)


#: At most this many regions in one task of :func:`run` (a task holds one region's flows at a time, the
#: stock of all its regions).
MAX_REGIONS_PER_TASK = 32
#: About this many tasks per worker by default: enough that the workers end together, few enough that the
#: once-per-task steps stay a small share.
TASKS_PER_WORKER = 16
#: Tasks of several regions (:func:`chunk_results`); False: one region a task (:func:`region_results`).
CHUNKS = True


def _check_run(packs: Sequence[str], out: str | Path, parts: Sequence[str]) -> None:
    """Refuse a run whose results would be wrong to read back: two packs of one region id (their assets would
    be summed into one region's cells), or an ``out`` already holding results of a part (:func:`read` reads
    every file of a part, and a run of other chunks would not replace them all)."""
    from critmat.errors import CritmatError, RegionError
    from critmat.regions import read_region_config

    seen: dict[str, str] = {}
    for pack in packs:
        rid = read_region_config(Path(pack)).id
        if rid in seen:
            raise RegionError(f"{pack}: region '{rid}' again (also {seen[rid]}); each region once per run")
        seen[rid] = pack
    for part in parts:
        d = Path(out) / part
        if d.is_dir() and next(d.rglob("*.parquet"), None) is not None:
            raise CritmatError(f"{d}: holds results of an earlier run (read() would mix them with this one's); "
                               "remove it or write to another folder")


def _chunk_task(chunk: tuple[int, Sequence[str]], out: str | Path, **kwargs: Any) -> list[dict[str, Any]]:
    return chunk_results(chunk[1], out, part=chunk[0], **kwargs)


def _run_regions(packs: Sequence[str], out: str | Path, *, client: Any = None, workers: int = 1,
                 **kwargs: Any) -> pd.DataFrame:
    """:func:`region_results` for every pack (the per-region path)."""
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
        df = con.sql(sql).df()
    finally:
        con.close()
    # the partition columns last, as a file per region gives them (a chunk's file holds ``region``)
    last = [c for c in ("scenario", "region") if c in df.columns]
    return df[[c for c in df.columns if c not in last] + last]
