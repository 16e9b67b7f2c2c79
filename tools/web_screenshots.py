"""Screenshots of every dashboard page in headless Chromium (Debian's ``chromium`` through Playwright), in
English and Dutch, for looking at what a user sees. Starts ``critmat serve`` on a free port of 127.0.0.1
(or uses ``--url``) and writes ``<out>/<lang>-<page>.png`` (full page) plus any console error per page.

    .venv/bin/python tools/web_screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PAGES = ["map", "material/gallium", "stock", "flows", "disrupt", "companies", "policy", "sources"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("screenshots"))
    ap.add_argument("--url", default=None, help="a running server instead of starting one")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    proc = None
    base = args.url
    if base is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "critmat", "serve", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
    args.out.mkdir(parents=True, exist_ok=True)
    problems = 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            for lang in ("en", "nl"):
                ctx = browser.new_context(viewport={"width": args.width, "height": 900}, locale=lang)
                ctx.add_init_script(f"localStorage.setItem('critmat.lang', '{lang}')")
                page = ctx.new_page()
                page.set_default_timeout(120_000)
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                for route in PAGES:
                    errors.clear()
                    page.goto(f"{base}/#/{route}")
                    page.wait_for_selector(f"body[data-ready='{route.split('/')[0]}'][data-pending='0']",
                                           state="attached")
                    name = f"{lang}-{route.replace('/', '-')}.png"
                    page.screenshot(path=str(args.out / name), full_page=True)
                    print(name, "console errors:", errors or "none")
                    problems += len(errors)
                ctx.close()
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
