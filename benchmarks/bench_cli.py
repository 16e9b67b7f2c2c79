"""Warm start-up of critmat's faces against the floor of any data answer, measured in the same run.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 7] [--db PATH]

Runs each command ``--repeat`` times as a new process (after one unmeasured warm-up run, so the warehouse
exists and the OS file cache is warm, and with critmat's bytecode compiled) and prints the median wall time, and its ratio to the floor:
``python -c "import pandas, duckdb"``. Targets (issue 10): ``critmat materials show gallium`` and
``critmat stock --region nh-fl`` within 1.5x of the floor, under 1 s on 2 cores; and, in process, a
service call for a default result under 20 ms (first call after opening the warehouse, and repeated).
Commands are interleaved (round robin) so that load changes hit them alike. Prints the machine's load.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

FLOOR = [sys.executable, "-c", "import pandas, duckdb"]
CRITMAT = [sys.executable, "-m", "critmat"]
COMMANDS = {
    "floor: python -c 'import pandas, duckdb'": FLOOR,
    "critmat --version": [*CRITMAT, "--version"],
    "critmat materials show gallium": [*CRITMAT, "materials", "show", "gallium"],
    "critmat stock --region nh-fl": [*CRITMAT, "stock", "--region", "nh-fl"],
    "critmat flows --region nh-fl": [*CRITMAT, "flows", "--region", "nh-fl"],
    "critmat risk --region nh-fl": [*CRITMAT, "risk", "--region", "nh-fl"],
}


def warm_bytecode() -> None:
    """Compile critmat's modules to bytecode (``__pycache__``), as any first run does where Python may write
    it: with PYTHONDONTWRITEBYTECODE set (this machine's shells) an editable install would otherwise compile
    every changed module again in every measured process."""
    import compileall

    import critmat

    compileall.compile_dir(str(Path(critmat.__file__).parent), quiet=1)


def _run(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr[-500:]}")
    return dt


def _in_process(db: Path | None) -> dict[str, float]:
    """Milliseconds of default service calls in this process: the first (query of the stored result)
    and the median of 20 repeats (memoised for the build)."""
    from critmat.services import context, exposure, flows, stock

    wh = context.warehouse(db)
    out = {}
    for name, call in (("services.stock.stock(wh, 'nh-fl')", lambda: stock.stock(wh, "nh-fl")),
                       ("services.flows.flows(wh, 'nh-fl')", lambda: flows.flows(wh, "nh-fl")),
                       ("services.exposure.supply_risk(wh)", lambda: exposure.supply_risk(wh))):
        t0 = time.perf_counter()
        call()
        first = (time.perf_counter() - t0) * 1000
        reps = []
        for _ in range(20):
            t0 = time.perf_counter()
            call()
            reps.append((time.perf_counter() - t0) * 1000)
        out[name] = (first, statistics.median(reps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--db", type=Path, default=None, help="warehouse (default: $CRITMAT_HOME's)")
    args = ap.parse_args()
    env = {**os.environ, "COLUMNS": "120"}
    cmds = dict(COMMANDS)
    if args.db:
        cmds = {k: (v + ["--db", str(args.db)] if v[:3] == CRITMAT and "--version" not in v else v)
                for k, v in cmds.items()}
    print(f"# {' '.join([sys.executable, *sys.argv])}")
    print(f"# {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average before {os.getloadavg()[0]:.1f}")
    warm_bytecode()
    for cmd in cmds.values():  # warm-up: builds the warehouse if needed, fills the file cache
        _run(cmd, env)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(args.repeat):
        for name, cmd in cmds.items():
            times[name].append(_run(cmd, env))
    floor = statistics.median(times[next(iter(cmds))])
    print(f"\n| command | median s (of {args.repeat}) | min s | ratio to floor |")
    print("|---|---:|---:|---:|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {med:.3f} | {min(ts):.3f} | {med / floor:.2f} |")
    print("\n| in-process service call (default result) | first ms | repeated ms (median of 20) |")
    print("|---|---:|---:|")
    for name, (first, rep) in _in_process(args.db).items():
        print(f"| {name} | {first:.1f} | {rep:.3f} |")
    print(f"\n# load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
