"""Profile of the scale batch before/after the shared work: seconds per region by step (cProfile).

    .venv/bin/python benchmarks/profile_scale.py --assets-per-region 4000 --regions 5

Writes ``--regions + 1`` synthetic packs (the first one warms the process up and is not measured), then runs
``critmat.batch.run`` on the others twice in one process: under ``batch.per_region_reference()`` (the per-region
path: one task a region, frictionless on every file, nothing shared) and as is (one task of all the regions),
each under cProfile, and prints the cumulative
time of each step per region and its share. Profiled times run ~30 % above unprofiled ones. The exposure step
needs the EC indicators from a warehouse (built once under ``--out``, not timed). Results in docs/scale.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

GROUPS = {
    "frictionless validate": [r"frictionless/resource/resource\.py:\d+\(validate\)"],
    "fast validate (_proven_clean)": [r"\(_proven_clean\)"],
    "CSV to frames (_read_frame)": [r"\(_read_frame\)"],
    "YAML": [r"safeyaml\.py:\d+\(load\)"],
    "stock total": [r"\(regional_stock\)", r"\(chunk_stock\)"],
    "  stock kernels (sparse product, partition, PERT)": [r"\(_percentile_block\)", r"\(pert_draws\)"],
    "flows total": [r"\(flow_arrays\)"],
    "  flows kernels (accumulate, pathways, roll-up)": [
        r"eolflows\.py:\d+\((accumulate|pathways|rolled|pair_roll_up|pair_pathways|pair_rolled)\)"],
    "Parquet write (tables and files)": [r"batch\.py:\d+\((_write|_append|_finish|flows_table)\)"],
    "exposure": [r"\(material_exposure\)", r"\(need_frame\)", r"\(chunk_exposure\)", r"\(_need_demand\)"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assets-per-region", type=int, default=4000)
    ap.add_argument("--regions", type=int, default=5)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import pandas as pd

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_scale import _indicators

    from critmat import batch
    from critmat.build.synth import synth_regions

    out = Path(args.out or tempfile.mkdtemp(prefix="critmat-profile-"))
    home = out / "home"
    home.mkdir(parents=True, exist_ok=True)
    ind = pd.read_parquet(_indicators(home))
    k = args.regions
    packs = synth_regions(args.assets_per_region * (k + 1), k + 1, seed=2, out=out / "packs")
    kw = dict(draws=args.draws, scenarios=("baseline", "high-recovery"), indicators=ind)
    shutil.rmtree(out / "warm", ignore_errors=True)
    batch.run(packs[:1], out / "warm", **kw)
    for label, ctx in (("before (per_region_reference)", batch.per_region_reference), ("after", contextlib.nullcontext)):
        shutil.rmtree(out / "res", ignore_errors=True)
        with ctx():
            pr = cProfile.Profile()
            t = time.perf_counter()
            pr.enable()
            batch.run(packs[1:], out / "res", regions_per_task=k, **kw)  # the reference: one task a region
            pr.disable()
            wall = time.perf_counter() - t
        st = pstats.Stats(pr).stats  # type: ignore[attr-defined]
        print(f"\n{label}: {wall / k:.2f} s per region (profiled, {k} regions of {args.assets_per_region} assets)")
        for g, pats in GROUPS.items():
            tot = sum(v[3] for key, v in st.items()
                      if any(re.search(p, f"{key[0]}:{key[1]}({key[2]})") for p in pats))
            print(f"  {g:<52} {tot / k:6.3f} s  {100 * tot / wall:5.1f} %")


if __name__ == "__main__":
    main()
