"""Scale benchmark: synthetic assets across many regions - load/validate, stock Monte Carlo, flows, exposure.

    .venv/bin/python benchmarks/bench_scale.py                        # 10k, 100k, 1M assets over 250 regions
    .venv/bin/python benchmarks/bench_scale.py --processes 2          # the same on a pool of 2 local processes
    .venv/bin/python benchmarks/bench_scale.py --sizes 10000 --quick  # one small size, 100 draws
    .venv/bin/python benchmarks/bench_scale.py --workers 2            # on a Dask LocalCluster of 2 workers

Each size runs in its own child process (so its peak RSS, ``ru_maxrss``, is its own): first write the
synthetic packs (``critmat.build.synth``, each validated by the region pack writer: *synth*, the test data,
not part of the measured pipeline), then ``critmat.batch.run`` over them (*run*, the end-to-end pipeline):
load and validate each pack, stock with ``--draws`` draws, flows under each ``--scenarios`` scenario,
exposure (the flows model's need x EC supply risk), every result written as partitioned Parquet under
``--out`` (read back with DuckDB for a row count, not timed); wall and CPU seconds (this process and its pool
workers). The baseline, measured in the same child on the first ``--baseline-regions`` packs, is the
per-region path the shared work replaced (``critmat.batch.per_region_reference``: one task per region,
frictionless on every file, nothing shared across regions, one process), next to the new path in one process
on the same packs (one task of those regions); the script prints both per region, their
ratio, the ratios of every size to the smallest and the growth exponent b of time ~ assets^b (least squares
on the log-log points). Not a test; results and discussion in docs/benchmarks.md and docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(args: argparse.Namespace) -> dict:
    import pandas as pd

    from critmat import batch
    from critmat.build.synth import synth_regions

    out = Path(args.out) / f"n{args.assets}"
    t = time.perf_counter()
    packs = synth_regions(args.assets, args.regions, seed=args.seed, out=out / "packs")
    synth_s = time.perf_counter() - t
    synth_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ind = pd.read_parquet(args.indicators) if args.indicators else None
    kw = dict(draws=args.draws, seed=args.seed, scenarios=tuple(args.scenarios), indicators=ind)
    t = time.perf_counter()
    c0 = _cpu()
    if args.workers:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cl, Client(cl) as client:
            stats = batch.run(packs, out / "results", client=client, **kw)
    else:
        stats = batch.run(packs, out / "results", workers=args.processes, **kw)
    run_s = time.perf_counter() - t
    run_cpu = _cpu() - c0  # this process and its finished children (the pool's workers; not a Dask cluster's)
    run_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak of build + run (before reading back)
    import duckdb

    rows = {}
    for p in batch.PARTS:
        glob = str(out / "results" / p / "**" / "*.parquet")
        rows[p] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning=true)").fetchall()[0][0]
    res = {"assets": args.assets, "regions": len(packs), "synth_s": synth_s, "run_s": run_s, "run_cpu_s": run_cpu,
           "processes": args.processes, "synth_peak_rss_mb": synth_rss,
           "load_s": stats["load_s"].sum(), "stock_s": stats["stock_s"].sum(), "flows_s": stats["flows_s"].sum(),
           "exposure_s": stats["exposure_s"].sum(), "write_s": stats["write_s"].sum(),
           "peak_rss_mb": run_rss,
           "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
           "rows": rows, "parquet_mb": sum(f.stat().st_size for f in (out / "results").rglob("*.parquet")) / 1e6}
    if args.baseline_regions:
        sub = packs[: args.baseline_regions]
        t, c = time.perf_counter(), _cpu()
        with batch.per_region_reference():
            batch.run(sub, out / "baseline", **kw)
        res["baseline_s"], res["baseline_cpu_s"] = time.perf_counter() - t, _cpu() - c
        t, c = time.perf_counter(), _cpu()
        batch.run(sub, out / "same", regions_per_task=len(sub), **kw)  # one task of these regions
        res["same_s"], res["same_cpu_s"] = time.perf_counter() - t, _cpu() - c
        res["baseline_regions"] = len(sub)
    return res


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its children that have finished."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _indicators(home: Path) -> Path:
    """The exposure model's indicators from a warehouse built on the bundled data (not timed)."""
    out = home / "indicators.parquet"
    if not out.exists():
        code = ("import critmat, sys; from critmat.risk_report import risk_data, indicators; "
                "ind = indicators(risk_data(critmat.open())); "
                "ind = ind[[c for c in ind.columns if ind[c].map(lambda x: not isinstance(x, (list, tuple, dict))).all()]]; "
                f"ind.to_parquet({str(out)!r})")
        subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "CRITMAT_HOME": str(home)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--regions", type=int, default=250)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--scenarios", nargs="+", default=["baseline", "high-recovery"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=0, help="Dask LocalCluster worker processes (0: in process)")
    ap.add_argument("--processes", type=int, default=1, help="local worker processes of batch.run (1: in process)")
    ap.add_argument("--baseline-regions", type=int, default=5)
    ap.add_argument("--sample", type=int, default=0,
                    help="run only the first K of --regions regions at the same assets per region and scale the "
                         "times by regions/K (labelled 'sampled'); 0: all")
    ap.add_argument("--out", default=None, help="results folder (default: a temporary one)")
    ap.add_argument("--quick", action="store_true", help="100 draws")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--assets", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--indicators", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print("RESULT " + json.dumps(_child(args)), flush=True)
        return
    if args.quick:
        args.draws = 100
    out = Path(args.out or tempfile.mkdtemp(prefix="critmat-scale-"))
    home = out / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CRITMAT_HOME": str(home)}
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    import numpy

    print(f"machine: {platform.platform()}, python {platform.python_version()}, numpy {numpy.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    ind = _indicators(home)
    results = []
    for k, n in enumerate(sorted(args.sizes)):
        n_reg = min(args.regions, n)
        k_reg = min(args.sample, n_reg) if args.sample else n_reg
        cmd = [sys.executable, __file__, "--child", "--assets", str(n * k_reg // n_reg), "--regions", str(k_reg),
               "--draws", str(args.draws), "--seed", str(args.seed), "--workers", str(args.workers),
               "--processes", str(args.processes), "--baseline-regions", str(args.baseline_regions),
               "--out", str(out),
               "--indicators", str(ind), "--scenarios", *args.scenarios]
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode:
            print(proc.stdout[-2000:], proc.stderr[-4000:])
            raise SystemExit(f"size {n} failed")
        r = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))[7:])
        r["wall_s"] = time.perf_counter() - t
        r["scale"] = n_reg / k_reg
        if k_reg < n_reg:  # sampled: the measured regions stand for all of them
            r["measured"] = {"assets": r["assets"], "regions": r["regions"], "run_s": r["run_s"]}
            for key in ("synth_s", "run_s", "load_s", "stock_s", "flows_s", "exposure_s", "write_s"):
                r[key] *= r["scale"]
            r["rows"] = {k: int(v * r["scale"]) for k, v in r["rows"].items()}
            r["assets"], r["regions"] = n, n_reg
        results.append(r)
        print(json.dumps(r), flush=True)
    import numpy as np

    base = results[0]
    print(f"\n{'assets':>9} {'regions':>7} {'synth s':>8} {'load s':>7} {'stock s':>8} {'flows s':>8} "
          f"{'expo s':>7} {'write s':>8} {'run s':>7} {'run CPU s':>9} {'x smallest':>10} {'peak RSS MB':>11} "
          f"{'flow rows':>11}")
    for r in results:
        rss = max(r["peak_rss_mb"], r["workers_peak_rss_mb"])
        print(f"{r['assets']:>9,} {r['regions']:>7} {r['synth_s']:>8.1f} {r['load_s']:>7.1f} {r['stock_s']:>8.1f} "
              f"{r['flows_s']:>8.1f} {r['exposure_s']:>7.1f} {r['write_s']:>8.1f} {r['run_s']:>7.1f} "
              f"{r.get('run_cpu_s', float('nan')):>9.1f} "
              f"{r['run_s'] / base['run_s']:>10.1f} {rss:>11.0f} "
              f"{r['rows']['flows']:>11,}" + (f"  sampled {r['measured']['regions']} regions x{r['scale']:.0f}"
                                                if "measured" in r else ""))
    print("(step times are wall seconds summed over regions (both workers; steps run once per task are shared "
          "among its regions); run s is wall time, run CPU s the CPU seconds of the parent and its pool workers. "
          f"processes={args.processes}: peak RSS is the largest process; the total is at most processes x it "
          "plus the parent's)")
    if len(results) > 1:
        x = np.log([r["assets"] for r in results])
        for key in ("run_s", "load_s", "flows_s", "stock_s", "write_s"):
            b = np.polyfit(x, np.log([max(r[key], 1e-6) for r in results]), 1)[0]
            print(f"growth exponent of {key}: {b:.2f} (time ~ assets^b)")
    for r in results:
        if "baseline_s" in r:
            k = r["baseline_regions"]
            print(f"baseline (same run, {r['assets']:,} assets): per-region reference path {r['baseline_s'] / k:.2f} s "
                  f"per region vs the new path in one process {r['same_s'] / k:.2f} s per region on the same {k} "
                  f"packs ({r['baseline_s'] / r['same_s']:.1f}x); x{r['regions']} regions: "
                  f"{r['baseline_s'] / k * r['regions']:.0f} s vs {r['same_s'] / k * r['regions']:.0f} s; CPU "
                  f"{r['baseline_cpu_s'] / k:.2f} vs {r['same_cpu_s'] / k:.2f} s per region "
                  f"({r['baseline_cpu_s'] / r['same_cpu_s']:.1f}x)")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
