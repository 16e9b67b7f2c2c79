"""Load test of ``critmat serve`` on loopback: N requests from C concurrent clients (default 10,000 from 50).

The mix: the heaviest default reads of the dashboard (stock by municipality, flows, the exposure ranking,
material profiles, assets as GeoJSON, companies, matches) and a share of scenario recomputes (flows with a
recovery rate and lifetime shift never asked before, so no cache can answer). Reports errors and p50/p95/p99
per class, and the ratio of each class's p50 to the health endpoint's p50 measured in the same run (the
server's floor on this machine). Targets (issue 14): 0 errors, p95 <= 50 ms for default reads, <= 500 ms for a
recompute, on 2 cores.

    .venv/bin/python benchmarks/bench_web.py                      # 10,000 requests, 50 clients, 1 worker
    .venv/bin/python benchmarks/bench_web.py --workers 2 --requests 2000 --recompute-share 0.02
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

READS = [
    "/api/v1/regions/nh-fl/stock?by=municipality",
    "/api/v1/regions/nh-fl/stock",
    "/api/v1/regions/nh-fl/flows?material=neodymium",
    "/api/v1/regions/nh-fl/flows?by=material",
    "/api/v1/risk?region=nh-fl",
    "/api/v1/materials/gallium",
    "/api/v1/materials/rare_earth_elements_light",
    "/api/v1/regions/nh-fl/assets.geojson",
    "/api/v1/regions/nh-fl/companies",
    "/api/v1/regions/nh-fl/matches",
    "/api/v1/materials",
    "/api/v1/sources",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, db: str | None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "critmat", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
           str(workers)] + (["--db", db] if db else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
    proc.terminate()
    raise RuntimeError("server did not start in 120 s")


async def run_load(base: str, n: int, clients: int, recompute_share: float, seed: int,
                   n_recompute: int = 0) -> dict[str, list]:
    rng = random.Random(seed)
    plan: list[tuple[str, str]] = []
    if n_recompute:
        n, recompute_share = n_recompute, 1.0
    used: set[tuple[float, int]] = set()
    for i in range(n):
        if rng.random() < recompute_share:
            while True:  # a parameter pair never asked before: a true recompute
                key = (round(rng.uniform(0, 1), 4), rng.randint(-10, 10))
                if key not in used:
                    used.add(key)
                    break
            plan.append(("recompute", f"/api/v1/regions/nh-fl/flows?material=copper&recovery={key[0]}"
                                      f"&lifetime_shift={key[1]}"))
        elif i % 50 == 0:
            plan.append(("health", "/api/v1/health"))
        else:
            plan.append(("read", READS[i % len(READS)]))
    results: dict[str, list] = {"read": [], "recompute": [], "health": [], "errors": []}
    queue: asyncio.Queue = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    host, port = base.removeprefix("http://").split(":")

    async def worker() -> None:
        # a minimal HTTP/1.1 keep-alive client (httpx costs ~5 ms of CPU per request, more than the server)
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while True:
                try:
                    kind, url = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    writer.write(f"GET {url} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode())
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head.split(b" ", 2)[1])
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    await reader.readexactly(length)
                    ok = status == 200
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    ok, status = False, repr(exc)
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                dt = time.perf_counter() - t0
                if ok:
                    results[kind].append(dt)
                else:
                    results["errors"].append((url, status))
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return results


def pct(xs: list[float]) -> tuple[float, float, float]:
    a = np.asarray(xs) * 1000
    return tuple(float(np.percentile(a, q)) for q in (50, 95, 99))  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--recompute-share", type=float, default=0.0, help="share of recomputes mixed into the reads")
    ap.add_argument("--recomputes", type=int, default=100, help="recomputes in the second phase")
    ap.add_argument("--recompute-clients", type=int, default=2, help="concurrent clients of the second phase")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--db", default=None, help="warehouse file (default: $CRITMAT_HOME's)")
    ap.add_argument("--url", default=None, help="an already running server instead of starting one")
    args = ap.parse_args()

    proc = None
    base = args.url
    if base is None:
        port = free_port()
        proc = start_server(port, args.workers, args.db)
        base = f"http://127.0.0.1:{port}"
    try:
        for url in READS:  # warm: first computations and per-process loads happen once per worker
            for _ in range(args.workers):
                httpx.get(base + url, timeout=120)
        t0 = time.perf_counter()
        res = asyncio.run(run_load(base, args.requests, args.clients, args.recompute_share, args.seed))
        wall = time.perf_counter() - t0
        t1 = time.perf_counter()
        rec = asyncio.run(run_load(base, 0, args.recompute_clients, 1.0, args.seed + 1, n_recompute=args.recomputes))
        rec_wall = time.perf_counter() - t1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    done = sum(len(res[k]) for k in ("read", "recompute", "health"))
    print(f"critmat serve load test: {args.requests} requests, {args.clients} clients, {args.workers} worker(s), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"wall {wall:.1f} s, {done / wall:.0f} requests/s, errors {len(res['errors'])}")
    base_p50 = pct(res["health"])[0] if res["health"] else float("nan")
    print(f"{'class':<10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p50/health':>11}")
    for k in ("health", "read", "recompute"):
        if res[k]:
            p50, p95, p99 = pct(res[k])
            print(f"{k:<10} {len(res[k]):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {p50 / base_p50:>11.1f}")
    if rec["recompute"]:
        p50, p95, p99 = pct(rec["recompute"])
        print(f"phase 2: {args.recomputes} recomputes (flows, new recovery rate and lifetime shift each), "
              f"{args.recompute_clients} clients, wall {rec_wall:.1f} s, errors {len(rec['errors'])}")
        print(f"{'recompute':<10} {len(rec['recompute']):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {p50 / base_p50:>11.1f}")
    for url, status in (res["errors"] + rec["errors"])[:10]:
        print("error:", status, url)
    sys.exit(1 if res["errors"] or rec["errors"] else 0)


if __name__ == "__main__":
    main()
