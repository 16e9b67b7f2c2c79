"""Benchmark `critmat report --region nh-fl`: cold (empty CRITMAT_HOME: warehouse build + report) and warm
(warehouse present), against the floor of any data answer (`python -c "import pandas, duckdb"`) measured in
the same run. Not run by CI; figures go to docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_report.py [--runs 3] [--no-pdf] [--region nh-fl] [--lang en]

Also measured: the warm report with its helper process off (``CRITMAT_REPORT_WORKERS=0``: figures and PDF
drawn in the main process) and forced on (``=1``; by default it starts only when a core is free), to show what
the second core buys. CPU seconds include the helper process.
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


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--region", default="nh-fl")
    ap.add_argument("--lang", default="en")
    ap.add_argument("--no-pdf", action="store_true")
    a = ap.parse_args()
    report = [str(BIN), "report", "--region", a.region, "--lang", a.lang] + (["--no-pdf"] if a.no_pdf else [])
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_cli import warm_bytecode

    warm_bytecode()  # as the first run of an installed critmat leaves it
    floor, cold, warm, warm0, warm1 = [], [], [], [], []
    loads = []
    for _ in range(a.runs):
        home = tempfile.mkdtemp(prefix="critmat-bench-report-")
        env = {**os.environ, "CRITMAT_HOME": home}
        env.pop("CRITMAT_REPORT_WORKERS", None)
        out = Path(home) / "out"
        try:
            loads.append(os.getloadavg()[0])
            floor.append(timed([sys.executable, "-c", "import pandas, duckdb"], env, "floor"))
            cold.append(timed([*report, "--out", str(out)], env, "cold"))
            warm.append(timed([*report, "--out", str(out)], env, "warm"))
            warm0.append(timed([*report, "--out", str(out)], {**env, "CRITMAT_REPORT_WORKERS": "0"}, "warm0"))
            warm1.append(timed([*report, "--out", str(out)], {**env, "CRITMAT_REPORT_WORKERS": "1"}, "warm1"))
        finally:
            shutil.rmtree(home, ignore_errors=True)
    f = statistics.median(floor)
    print(f"critmat report --region {a.region} --lang {a.lang}{' --no-pdf' if a.no_pdf else ''}; "
          f"{a.runs} runs, medians")
    print(f"machine: {_cpu_model()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; load average at the "
          f"start of each run: {', '.join(f'{x:.1f}' for x in loads)}")
    print(f"{'what':<40}{'median s':>10}{'min s':>8}{'x floor':>9}{'CPU s':>8}")
    for (name, xs), key in zip([("floor: import pandas, duckdb", floor), ("cold: build + report", cold),
                                ("warm: report", warm), ("warm, no helper process (WORKERS=0)", warm0),
                                ("warm, helper process forced (WORKERS=1)", warm1)],
                               ("floor", "cold", "warm", "warm0", "warm1")):
        print(f"{name:<40}{statistics.median(xs):>10.2f}{min(xs):>8.2f}{statistics.median(xs) / f:>9.1f}"
              f"{statistics.median(CPU[key]):>8.1f}")
    print(f"targets: warm < 15 s, cold < 60 s on 2 cores -> warm {'met' if min(warm) < 15 else 'NOT met'}, "
          f"cold {'met' if min(cold) < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
