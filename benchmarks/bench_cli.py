"""Warm start-up of critmat's faces against the floor of any data answer, measured in the same run.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 7] [--db PATH]

Runs each command ``--repeat`` times as a new process (after one unmeasured warm-up run, so the warehouse
exists and the OS file cache is warm, and with critmat's bytecode compiled) and prints the median wall time, and its ratio to the floor:
``python -c "import pandas, duckdb"``. Targets (issue 10): ``critmat materials show gallium`` and
``critmat stock --region nh-fl`` within 1.5x of the floor, under 1 s on 2 cores; and, in process, a
service call for a default result under 20 ms (first call after opening the warehouse, each in a new process,
and repeated).
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


SERVICE_CALLS = {  # name -> Python statement (wh: the open warehouse)
    "services.stock.stock(wh, 'nh-fl')": "from critmat.services import stock; call = lambda: stock.stock(wh, 'nh-fl')",
    "services.flows.flows(wh, 'nh-fl')": "from critmat.services import flows; call = lambda: flows.flows(wh, 'nh-fl')",
    "services.exposure.supply_risk(wh)": "from critmat.services import exposure; call = lambda: exposure.supply_risk(wh)",
    "services.materials.profile(wh, 'gallium')":
        "from critmat.services import materials; call = lambda: materials.profile(wh, 'gallium')",
}
FIRST_CALL = """
import sys, time
from critmat.services import context
wh = context.warehouse(sys.argv[1] if len(sys.argv) > 1 else None)
{setup}
t0 = time.perf_counter(); call(); first = time.perf_counter() - t0
reps = []
for _ in range(20):
    t0 = time.perf_counter(); call(); reps.append(time.perf_counter() - t0)
print(first * 1000, sorted(reps)[10] * 1000)
"""


def _in_process(db: Path | None, runs: int, env: dict[str, str]) -> dict[str, tuple[float, float, float]]:
    """Milliseconds of each default service call in a new process that has opened the warehouse and imported
    the service's module: the first call (median and min of ``runs`` processes) and the median of 20 repeats
    (memoised for the build)."""
    out = {}
    for name, setup in SERVICE_CALLS.items():
        firsts, reps = [], []
        for _ in range(runs):
            cmd = [sys.executable, "-c", FIRST_CALL.format(setup=setup), *([str(db)] if db else [])]
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if p.returncode != 0:
                raise SystemExit(f"{name} failed: {p.stderr[-500:]}")
            first, rep = map(float, p.stdout.split())
            firsts.append(first)
            reps.append(rep)
        out[name] = (statistics.median(firsts), min(firsts), statistics.median(reps))
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
    print(f"\n| in-process service call (default result) | first ms (median of {args.repeat} processes) | min ms "
          "| repeated ms (median of 20) |")
    print("|---|---:|---:|---:|")
    for name, (first, low, rep) in _in_process(args.db, args.repeat, env).items():
        print(f"| {name} | {first:.1f} | {low:.1f} | {rep:.3f} |")
    print(f"\n# load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
