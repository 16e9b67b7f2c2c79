"""Benchmark of critmat's dynamic stock model against peers (not a test; not run by CI).

Compares, on identical inputs (time x assets x materials, one Weibull lifetime, inflow at the end of the
year), the wall time and peak traced memory (tracemalloc) of

* ``critmat.models.dynamics.inflow_driven`` (and ``stock_driven``),
* flodym ``InflowDrivenDSM`` / ``StockDrivenDSM`` (``inflow_at="end"``) — the results are checked equal,
* a bare vectorised numpy lower bound (survival Toeplitz matrix, one matmul, balance) and
* ODYM's ``DynamicStockModel`` (one time series per model object, so looped over assets x materials) when
  ``--odym PATH`` (or env ``ODYM_DSM``) points to a local copy of ODYM's ``dynamic_stock_model.py``. ODYM is
  not on PyPI and its code is not shipped here; fetch the file yourself:
  ``curl -O https://raw.githubusercontent.com/IndEcol/ODYM/master/odym/modules/dynamic_stock_model.py``.
  Before timing, the script prints ODYM vs critmat on a small case for every lifetime type (and stops if
  one that should agree to 1e-8 does not); the timed ODYM results are asserted equal to critmat's;

and the asset-level Monte Carlo (``asset_exits`` + ``AssetExits.outflow``): 10,000 draws over 2,000 assets
x 34 materials x 2025-2060.

Run:  .venv/bin/python benchmarks/bench_dynamics.py            (full, about 2 minutes, ~3 GB peak)
      .venv/bin/python benchmarks/bench_dynamics.py --quick    (smaller sizes)
      .venv/bin/python benchmarks/bench_dynamics.py --odym dynamic_stock_model.py   (with ODYM, 4-5 minutes)
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib.util
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import toeplitz

from critmat.models.dynamics import asset_exits, inflow_driven, stock_driven
from critmat.models.lifetimes import (
    Fixed,
    FoldedNormal,
    Lifetime,
    LogNormal,
    Normal,
    Weibull,
)

SHAPE, SCALE = 5.3759, 30.0
ODYM_URL = "https://raw.githubusercontent.com/IndEcol/ODYM/master/odym/modules/dynamic_stock_model.py"
# ODYM creating one model per series recomputes its T x T survival table each time (~11 ms per series at
# T = 200): above this many series (200 x 1000 x 34 = 34,000 series, ~7 min per run) that variant is skipped.
ODYM_LOOP_MAX_SERIES = 2_000


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


def load_odym(path: str) -> ModuleType:
    """Import ODYM's ``dynamic_stock_model.py`` from a local file (ODYM is not an installable package)."""
    if not Path(path).is_file():
        raise SystemExit(f"--odym {path}: no such file; get it with: curl -O {ODYM_URL}")
    spec = importlib.util.spec_from_file_location("odym_dynamic_stock_model", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"--odym {path}: not a Python file")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not hasattr(mod, "DynamicStockModel"):
        raise SystemExit(f"--odym {path}: no DynamicStockModel in that file (expected ODYM's "
                         "odym/modules/dynamic_stock_model.py)")
    return mod


def odym_series(mod: ModuleType, years: np.ndarray, inflow: np.ndarray, lt: dict[str, Any],
                sf: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, Any]:
    """ODYM's inflow-driven model on one time series: (stock, outflow, the model object).

    ``lt`` holds the parameters as 1-element lists (ODYM's ``__init__`` tiles them over the cohorts and
    rejects plain scalars); it is copied because ``__init__`` replaces its values in place.
    """
    lt_copy = {k: (v if k == "Type" else list(v)) for k, v in lt.items()}
    dsm = mod.DynamicStockModel(t=years, i=inflow, lt=lt_copy, sf=sf)
    dsm.compute_s_c_inflow_driven()
    dsm.compute_o_c_from_s_c()
    return dsm.compute_stock_total(), dsm.compute_outflow_total(), dsm


def odym_inflow(mod: ModuleType, inflow: np.ndarray, years: np.ndarray, *, reuse_sf: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    """ODYM over every trailing series (assets x materials), one ``DynamicStockModel`` per series.

    ``reuse_sf=False``: each model computes its own survival table from ``lt`` (the plain loop).
    ``reuse_sf=True``: the table of the first model is handed to the others (``sf=``; ODYM's documented
    way to save time when the lifetime is the same), so only the einsum / diff / sums run per series.
    """
    lt = {"Type": "Weibull", "Shape": [SHAPE], "Scale": [SCALE]}
    x = inflow.reshape(inflow.shape[0], -1)
    stock, outflow = np.empty_like(x), np.empty_like(x)
    sf = None
    for j in range(x.shape[1]):
        stock[:, j], outflow[:, j], dsm = odym_series(mod, years, x[:, j], lt, sf)
        if reuse_sf:
            sf = dsm.sf
    return stock.reshape(inflow.shape), outflow.reshape(inflow.shape)


def odym_agreement(mod: ModuleType) -> None:
    """Print ODYM vs critmat (max |difference| of stock and outflow) on 60 years x 3 random series.

    Raises if a case expected to agree differs by more than 1e-8 (relative to values ~100).
    """
    def weib(shape: float, scale: float) -> dict[str, Any]:
        return {"Type": "Weibull", "Shape": [shape], "Scale": [scale]}

    def msd(kind: str, mean: float, sd: float) -> dict[str, Any]:
        return {"Type": kind, "Mean": [mean], "StdDev": [sd]}

    rng = np.random.default_rng(3)
    years = np.arange(1990, 2050)
    x = rng.random((years.size, 3)) * 100
    cases: list[tuple[str, dict[str, Any], Lifetime, bool]] = [
        ("Weibull(5.3759, 30)", weib(SHAPE, SCALE), Weibull(SHAPE, SCALE), True),
        ("Weibull(1.2, 8)", weib(1.2, 8), Weibull(1.2, 8), True),
        ("Normal(20, 5)", msd("Normal", 20, 5), Normal(20, 5), True),
        ("Normal(2, 3): sf(0) = 0.75 < 1", msd("Normal", 2, 3), Normal(2, 3), True),
        ("FoldedNormal(3, 4)", msd("FoldedNormal", 3, 4), FoldedNormal(3, 4), True),
        ("Fixed(12.5)", {"Type": "Fixed", "Mean": [12.5]}, Fixed(12.5), True),
        ("Fixed(0)", {"Type": "Fixed", "Mean": [0]}, Fixed(0), True),
        ("LogNormal(25, 8)", msd("LogNormal", 25, 8), LogNormal(25, 8), False),
        ("  ODYM LogNormal(25, 8) vs critmat LogNormal(25, 25**2/8)", msd("LogNormal", 25, 8),
         LogNormal(25, 25**2 / 8), True),
        ("Normal(0, 3): mean 0", msd("Normal", 0, 3), Normal(0, 3), False),
        ("FoldedNormal(0, 3): mean 0", msd("FoldedNormal", 0, 3), FoldedNormal(0, 3), False),
    ]
    print("ODYM vs critmat inflow_driven, 60 years x 3 random series (inflow 0-100), max |difference|:")
    failed = []
    for name, lt, life, expect_equal in cases:
        res = inflow_driven(x, life, years)
        d_s = d_o = 0.0
        for j in range(x.shape[1]):
            s_od, o_od, _ = odym_series(mod, years, x[:, j], lt)
            d_s = max(d_s, float(np.abs(s_od - res.stock[:, j]).max()))
            d_o = max(d_o, float(np.abs(o_od - res.outflow[:, j]).max()))
        agree = d_s <= 1e-8 and d_o <= 1e-8
        verdict = "agree" if agree else "DIFFER"
        if expect_equal and not agree:
            failed.append(name)
        print(f"  {name:60s} stock {d_s:9.2e}  outflow {d_o:9.2e}  {verdict}"
              f"{'' if agree == expect_equal else '  (unexpected)'}")
    print("  LogNormal: ODYM converts (mean m, sd s) with sigma_log^2 = log(1 + m^2/s^2) where critmat and\n"
          "  flodym use log(1 + s^2/m^2): ODYM's lognormal has mean m but sd m^2/s (row above).\n"
          "  Mean 0: ODYM sets sf = 0 for any lifetime type ('lifetime 0'); critmat keeps the distribution\n"
          "  (Normal(0, sd): sf(0) = 0.5; FoldedNormal(0, sd): sf(0) = 1). All other cases agree.")
    if failed:
        raise SystemExit(f"ODYM and critmat disagree where they should not: {failed}")


def bench_cohort(n_t: int, n_assets: int, n_mat: int, with_flodym: bool, repeat: int,
                 odym: ModuleType | None = None) -> list[dict]:
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
    if odym is not None:
        n_series = n_assets * n_mat
        t_or, m_or, (s_od, o_od) = measure(lambda: odym_inflow(odym, inflow, years, reuse_sf=True), repeat)
        assert np.allclose(s_od, res.stock, atol=1e-8) and np.allclose(o_od, res.outflow, atol=1e-8)
        rows.append({"size": size, "model": "ODYM DSM loop, sf computed once", "seconds": t_or,
                     "peak_MB": m_or})
        if n_series <= ODYM_LOOP_MAX_SERIES:
            t_ol, m_ol, (s_od, o_od) = measure(lambda: odym_inflow(odym, inflow, years, reuse_sf=False), 1)
            assert np.allclose(s_od, res.stock, atol=1e-8) and np.allclose(o_od, res.outflow, atol=1e-8)
            rows.append({"size": size, "model": "ODYM DSM loop, one model per series", "seconds": t_ol,
                         "peak_MB": m_ol})
        else:
            print(f"{size}: ODYM one model per series skipped ({n_series:,} series > "
                  f"{ODYM_LOOP_MAX_SERIES:,}; its time is linear in the number of series)")
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
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="ODYM is not on PyPI; to include it, download its single-file dynamic stock model and "
               f"pass it: curl -O {ODYM_URL} && .venv/bin/python benchmarks/bench_dynamics.py "
               "--odym dynamic_stock_model.py")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    ap.add_argument("--odym", metavar="PATH", default=os.environ.get("ODYM_DSM"),
                    help="local copy of ODYM's odym/modules/dynamic_stock_model.py (default: env ODYM_DSM); "
                         f"get it with: curl -O {ODYM_URL}")
    args = ap.parse_args()
    print("command:", " ".join([os.path.relpath(sys.executable)] + sys.argv))
    print(f"python {platform.python_version()}, numpy {np.__version__}, cpus {os.cpu_count()}, "
          f"{platform.processor() or platform.machine()}")
    try:
        import flodym

        print(f"flodym {flodym.__version__ if hasattr(flodym, '__version__') else '(version unknown)'}")
    except ImportError:
        print("flodym not installed: skipping flodym")
    odym = None
    if args.odym:
        odym = load_odym(args.odym)
        digest = hashlib.sha256(Path(args.odym).read_bytes()).hexdigest()[:16]
        print(f"ODYM: {args.odym} (sha256 {digest}…): "
              f"{odym.DynamicStockModel().return_version_info()}")
        odym_agreement(odym)
    else:
        print(f"ODYM: skipped (not on PyPI; pass --odym PATH to a copy of {ODYM_URL})")
    rows: list[dict] = []
    if args.quick:
        rows += bench_cohort(100, 5, 34, with_flodym=True, repeat=3, odym=odym)
        rows += bench_cohort(200, 100, 34, with_flodym=False, repeat=3, odym=odym)
        rows += bench_assets(2000, 34, 1000)
    else:
        rows += bench_cohort(200, 10, 34, with_flodym=True, repeat=3, odym=odym)
        rows += bench_cohort(200, 50, 34, with_flodym=True, repeat=3, odym=odym)
        rows += bench_cohort(200, 1000, 34, with_flodym=False, repeat=3, odym=odym)
        rows += bench_assets(2000, 34, 10_000)
    df = pd.DataFrame(rows)
    ref = df[df.model == "critmat inflow_driven"].set_index("size")["seconds"]
    df["x critmat inflow_driven"] = df.apply(lambda r: r.seconds / ref.get(r["size"], np.nan), axis=1)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(df.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    for size, grp in df.groupby("size", sort=False):
        g = grp.set_index("model")["seconds"]
        if "critmat inflow_driven" not in g:
            continue
        cm = g["critmat inflow_driven"]
        if "flodym InflowDrivenDSM" in g:
            print(f"{size}: flodym / critmat = {g['flodym InflowDrivenDSM'] / cm:.1f}x (target >= 5)")
        for name in ("ODYM DSM loop, one model per series", "ODYM DSM loop, sf computed once"):
            if name in g:
                print(f"{size}: {name} / critmat = {g[name] / cm:.1f}x")
        if "numpy lower bound (inflow-driven)" in g:
            print(f"{size}: critmat / numpy lower bound = "
                  f"{cm / g['numpy lower bound (inflow-driven)']:.2f}x (target <= 2)")


if __name__ == "__main__":
    main()
