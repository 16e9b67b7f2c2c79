"""Benchmark `critmat report --region nh-fl`: cold (empty CRITMAT_HOME: warehouse build + report) and warm
(warehouse present), against the floor of any data answer (`python -c "import pandas, duckdb"`) measured in
the same run. Not run by CI; figures go to docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_report.py [--runs 3] [--no-pdf] [--region nh-fl] [--lang en]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "critmat"


CPU: dict[str, list[float]] = {}


def timed(cmd: list[str], env: dict[str, str], name: str = "") -> float:
    """Wall seconds of one run; its CPU seconds (user + system of the child) go to CPU[name]: on a shared
    machine the CPU time is the steadier figure, wall time grows with the load."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(name, []).append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--region", default="nh-fl")
    ap.add_argument("--lang", default="en")
    ap.add_argument("--no-pdf", action="store_true")
    a = ap.parse_args()
    report = [str(BIN), "report", "--region", a.region, "--lang", a.lang] + (["--no-pdf"] if a.no_pdf else [])
    floor, cold, warm = [], [], []
    for _ in range(a.runs):
        home = tempfile.mkdtemp(prefix="critmat-bench-report-")
        env = {**os.environ, "CRITMAT_HOME": home}
        out = Path(home) / "out"
        try:
            floor.append(timed([sys.executable, "-c", "import pandas, duckdb"], env, "floor"))
            cold.append(timed([*report, "--out", str(out)], env, "cold"))
            warm.append(timed([*report, "--out", str(out)], env, "warm"))
        finally:
            shutil.rmtree(home, ignore_errors=True)
    load = os.getloadavg()[0]
    f = statistics.median(floor)
    print(f"critmat report --region {a.region} --lang {a.lang}{' --no-pdf' if a.no_pdf else ''}; "
          f"{a.runs} runs, medians; load average {load:.1f}, {os.cpu_count()} CPUs")
    print(f"{'what':<34}{'median s':>10}{'min s':>8}{'x floor':>9}{'CPU s':>8}")
    for (name, xs), key in zip([("floor: import pandas, duckdb", floor), ("cold: build + report", cold),
                                ("warm: report", warm)], ("floor", "cold", "warm")):
        print(f"{name:<34}{statistics.median(xs):>10.2f}{min(xs):>8.2f}{statistics.median(xs) / f:>9.1f}"
              f"{statistics.median(CPU[key]):>8.1f}")
    print(f"targets: warm < 15 s, cold < 60 s on 2 cores -> warm {'met' if min(warm) < 15 else 'NOT met'}, "
          f"cold {'met' if min(cold) < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
