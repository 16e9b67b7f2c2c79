"""Benchmark of critmat's dynamic stock model against peers (not a test; not run by CI).

Compares, on identical inputs (time x assets x materials, one Weibull lifetime, inflow at the end of the
year), the wall time and peak traced memory (tracemalloc) of

* ``critmat.models.dynamics.inflow_driven`` (and ``stock_driven``),
* flodym ``InflowDrivenDSM`` / ``StockDrivenDSM`` (``inflow_at="end"``) — the results are checked equal,
* a bare vectorised numpy lower bound (survival Toeplitz matrix, one matmul, balance) and
* ODYM's ``DynamicStockModel`` if the ``odym`` package can be imported (it is not on PyPI; see README),

and the asset-level Monte Carlo (``asset_exits`` + ``AssetExits.outflow``): 10,000 draws over 2,000 assets
x 34 materials x 2025-2060.

Run:  .venv/bin/python benchmarks/bench_dynamics.py            (full, about 2 minutes, ~3 GB peak)
      .venv/bin/python benchmarks/bench_dynamics.py --quick    (smaller sizes)
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import toeplitz

from critmat.models.dynamics import asset_exits, inflow_driven, stock_driven
from critmat.models.lifetimes import FoldedNormal, LogNormal, Normal, Weibull

SHAPE, SCALE = 5.3759, 30.0


def measure(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """(best wall time s, peak traced MB of one extra run, result)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    del out
    gc.collect()
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, out


def numpy_lower_bound(inflow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stock and outflow with nothing but numpy: Weibull sf, Toeplitz, one matmul, balance."""
    n_t = inflow.shape[0]
    sf = np.exp(-((np.arange(n_t) / SCALE) ** SHAPE))
    x = inflow.reshape(n_t, -1)
    stock = toeplitz(sf, np.zeros(n_t)) @ x
    outflow = x.copy()
    outflow[1:] += stock[:-1]
    outflow -= stock
    return stock.reshape(inflow.shape), outflow.reshape(inflow.shape)


def flodym_inflow(inflow: np.ndarray, years: np.ndarray) -> Any:
    import flodym as fd

    dims = fd.DimensionSet(dim_list=[
        fd.Dimension(name="time", letter="t", items=[int(y) for y in years]),
        fd.Dimension(name="assets", letter="a", items=list(range(inflow.shape[1]))),
        fd.Dimension(name="materials", letter="m", items=list(range(inflow.shape[2]))),
    ])
    lm = fd.WeibullLifetime(dims=dims, inflow_at="end", weibull_shape=SHAPE, weibull_scale=SCALE)
    dsm = fd.InflowDrivenDSM(dims=dims, lifetime_model=lm, inflow=fd.StockArray(dims=dims, values=inflow))
    dsm.compute()
    return dsm


def flodym_stock(stock: np.ndarray, years: np.ndarray) -> Any:
    import flodym as fd

    dims = fd.DimensionSet(dim_list=[
        fd.Dimension(name="time", letter="t", items=[int(y) for y in years]),
        fd.Dimension(name="assets", letter="a", items=list(range(stock.shape[1]))),
        fd.Dimension(name="materials", letter="m", items=list(range(stock.shape[2]))),
    ])
    lm = fd.WeibullLifetime(dims=dims, inflow_at="end", weibull_shape=SHAPE, weibull_scale=SCALE)
    dsm = fd.StockDrivenDSM(dims=dims, lifetime_model=lm, stock=fd.StockArray(dims=dims, values=stock))
    dsm.compute()
    return dsm


def odym_available() -> str | None:
    try:
        import ODYM  # noqa: F401
    except ImportError:
        try:
            import odym  # noqa: F401
        except ImportError:
            return None
    return "importable"


def bench_cohort(n_t: int, n_assets: int, n_mat: int, with_flodym: bool, repeat: int) -> list[dict]:
    rng = np.random.default_rng(0)
    years = np.arange(1900, 1900 + n_t)
    inflow = rng.random((n_t, n_assets, n_mat)) * 100
    lt = Weibull(SHAPE, SCALE)
    size = f"{n_t} yr x {n_assets} assets x {n_mat} materials"
    rows = []
    t_np, m_np, (s_np, o_np) = measure(lambda: numpy_lower_bound(inflow), repeat)
    rows.append({"size": size, "model": "numpy lower bound (inflow-driven)", "seconds": t_np, "peak_MB": m_np})
    t_cm, m_cm, res = measure(lambda: inflow_driven(inflow, lt, years), repeat)
    assert np.allclose(res.stock, s_np, atol=1e-8) and np.allclose(res.outflow, o_np, atol=1e-8)
    rows.append({"size": size, "model": "critmat inflow_driven", "seconds": t_cm, "peak_MB": m_cm})
    t_cs, m_cs, res_s = measure(lambda: stock_driven(res.stock, lt, years), repeat)
    assert np.allclose(res_s.inflow, inflow, atol=1e-6)
    rows.append({"size": size, "model": "critmat stock_driven", "seconds": t_cs, "peak_MB": m_cs})
    if n_t * n_t * inflow[0].size * 8 < 2e9:  # the year x cohort table is T^2 N doubles: skip above 2 GB
        t_cc, m_cc, _ = measure(lambda: inflow_driven(inflow, lt, years).stock_by_cohort, 1)
        rows.append({"size": size, "model": "critmat inflow_driven + stock_by_cohort", "seconds": t_cc,
                     "peak_MB": m_cc})
    if with_flodym:
        t_fd, m_fd, dsm = measure(lambda: flodym_inflow(inflow, years), 1)
        assert np.allclose(dsm.stock.values, res.stock, atol=1e-8)
        assert np.allclose(dsm.outflow.values, res.outflow, atol=1e-8)
        rows.append({"size": size, "model": "flodym InflowDrivenDSM", "seconds": t_fd, "peak_MB": m_fd})
        del dsm
        t_fs, m_fs, dsm = measure(lambda: flodym_stock(np.asarray(res.stock), years), 1)
        assert np.allclose(dsm.inflow.values, inflow, atol=1e-6)
        rows.append({"size": size, "model": "flodym StockDrivenDSM", "seconds": t_fs, "peak_MB": m_fs})
        del dsm
    return rows


def bench_assets(n_assets: int, n_mat: int, n_draws: int) -> list[dict]:
    rng = np.random.default_rng(1)
    techs = ["wind_dd", "wind_gb", "pv", "cable", "transformer"]
    assets = pd.DataFrame({
        "asset_id": [f"a{i}" for i in range(n_assets)],
        "commissioning_year": rng.integers(1990, 2035, n_assets),
        "quantity": rng.uniform(0.1, 50, n_assets),
        "technology_id": rng.choice(techs, n_assets),
        "status": "operational",
        "units": rng.integers(1, 40, n_assets),
    })
    lifetimes = {"wind_dd": Weibull(3.5, 25), "wind_gb": Normal(22, 5), "pv": Weibull(SHAPE, SCALE),
                 "cable": LogNormal(45, 12), "transformer": FoldedNormal(40, 10)}
    ev_assets = rng.choice(n_assets, 60, replace=False)
    events = pd.DataFrame({
        "asset_id": [f"a{i}" for i in ev_assets],
        "event": ["lifetime_extension"] * 20 + ["decommissioning"] * 20 + ["repowering"] * 20,
        "year": assets["commissioning_year"].to_numpy()[ev_assets] + 15,
        "extension_years": [5.0] * 20 + [None] * 40,
    })
    content = rng.random((n_assets, n_mat))  # t of each material per asset
    years = np.arange(2025, 2061)
    size = f"{n_draws} draws x {n_assets} assets x {n_mat} materials x {years[0]}-{years[-1]}"

    def run() -> np.ndarray:
        ex = asset_exits(assets, lifetimes, events, n_draws=n_draws, rng=np.random.default_rng(7),
                         alive_in=2024)
        return ex.outflow(years, content)

    t_mc, m_mc, out = measure(run, 3)
    assert out.shape == (n_draws, len(years), n_mat)
    return [{"size": size, "model": "critmat asset_exits + outflow (Monte Carlo)", "seconds": t_mc,
             "peak_MB": m_mc}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    args = ap.parse_args()
    print("command:", " ".join([os.path.relpath(sys.executable)] + sys.argv))
    print(f"python {platform.python_version()}, numpy {np.__version__}, cpus {os.cpu_count()}, "
          f"{platform.processor() or platform.machine()}")
    try:
        import flodym

        print(f"flodym {flodym.__version__ if hasattr(flodym, '__version__') else '(version unknown)'}")
    except ImportError:
        print("flodym not installed: skipping flodym")
    print("ODYM:", odym_available() or "not installed (no 'odym' distribution on PyPI): skipped")
    rows: list[dict] = []
    if args.quick:
        rows += bench_cohort(100, 5, 34, with_flodym=True, repeat=3)
        rows += bench_cohort(200, 100, 34, with_flodym=False, repeat=3)
        rows += bench_assets(2000, 34, 1000)
    else:
        rows += bench_cohort(200, 10, 34, with_flodym=True, repeat=3)
        rows += bench_cohort(200, 50, 34, with_flodym=True, repeat=3)
        rows += bench_cohort(200, 1000, 34, with_flodym=False, repeat=3)
        rows += bench_assets(2000, 34, 10_000)
    df = pd.DataFrame(rows)
    ref = df[df.model == "critmat inflow_driven"].set_index("size")["seconds"]
    df["x critmat inflow_driven"] = df.apply(lambda r: r.seconds / ref.get(r["size"], np.nan), axis=1)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(df.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    for size, grp in df.groupby("size", sort=False):
        g = grp.set_index("model")["seconds"]
        if "critmat inflow_driven" in g and "flodym InflowDrivenDSM" in g:
            print(f"{size}: flodym / critmat = {g['flodym InflowDrivenDSM'] / g['critmat inflow_driven']:.1f}x "
                  "(target >= 5)")
        if "critmat inflow_driven" in g and "numpy lower bound (inflow-driven)" in g:
            print(f"{size}: critmat / numpy lower bound = "
                  f"{g['critmat inflow_driven'] / g['numpy lower bound (inflow-driven)']:.2f}x (target <= 2)")


if __name__ == "__main__":
    main()
