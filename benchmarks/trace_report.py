"""Where a warm `critmat report` spends its time, per process: the main process's steps (wall seconds since
the start and its CPU seconds, from build_report's progress messages) and each task of the helper process
(wall start -> end, CPU), so that the critical path can be read off. Not run by CI; figures go to
docs/benchmarks.md ("The report").

    CRITMAT_REPORT_WORKERS=1 .venv/bin/python benchmarks/trace_report.py [--region nh-fl] [--out DIR]

To compare with an older commit: `git worktree add /tmp/before <rev>` and run this file with
`PYTHONPATH=/tmp/before/src` (its helper tasks are wrapped by name, whatever they are).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T0 = time.time()


def helper() -> None:
    """The report's helper process with each task timed into $TRACE_REPORT_LOG."""
    from critmat.report import parallel

    log = open(os.environ["TRACE_REPORT_LOG"], "a")
    log.write(f"helper started {time.time():.3f} cpu {time.process_time():.2f}\n")
    log.flush()
    for name, fn in list(parallel.TASKS.items()):
        def timed(*args, _fn=fn, _name=name):
            t, c = time.time(), time.process_time()
            out = _fn(*args)
            log.write(f"helper {_name} {t:.3f} {time.time():.3f} cpu {time.process_time() - c:.2f} "
                      f"total {time.process_time():.2f}\n")
            log.flush()
            return out
        parallel.TASKS[name] = timed
    parallel.serve()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--region", default="nh-fl")
    ap.add_argument("--out", default=None, help="output folder (warm: use the same one twice)")
    a = ap.parse_args()
    log = Path(tempfile.mkstemp(prefix="trace-report-")[1])
    os.environ["TRACE_REPORT_LOG"] = str(log)
    real = subprocess.Popen

    def popen(args, *rest, **kw):  # the helper runs this file in its helper mode
        if list(args[1:3]) == ["-m", "critmat.report.parallel"]:
            args = [args[0], __file__, "--as-helper"]
        return real(args, *rest, **kw)

    subprocess.Popen = popen
    from critmat.report import build_report

    marks = []
    out = Path(a.out or tempfile.mkdtemp(prefix="trace-report-out-"))
    res = build_report(a.region, out, progress=lambda m, f: marks.append((m, time.time() - T0,
                                                                            time.process_time())))
    end = time.time() - T0
    for m, w, c in marks:
        print(f"main   {m:<52} at {w:6.2f} s   cpu {c:6.2f}")
    print(f"main   end{'':<49} at {end:6.2f} s   cpu {time.process_time():6.2f}")
    for line in log.read_text().splitlines():
        p = line.split()
        if p[1] == "started":
            print(f"helper started{'':<46} at {float(p[2]) - T0:6.2f} s")
        else:
            print(f"helper {p[1]:<10} {float(p[2]) - T0:6.2f} -> {float(p[3]) - T0:6.2f} s{'':<24} cpu {p[5]:>6} "
                  f"(total {p[7]})")
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"helper cpu {ch.ru_utime + ch.ru_stime:.2f} s; {res.pages} pages; load average {os.getloadavg()[0]:.1f}")
    log.unlink()


if __name__ == "__main__":
    if "--as-helper" in sys.argv:
        helper()
    else:
        main()
