"""The dashboard in headless Chromium (Debian's ``chromium`` driven by Playwright's Python package; no browser
download): every page loads without console errors and without a request off the machine, the map shows the
assets, a scenario control changes the flows chart, the disruption form returns a result, a download works."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

from web_server import running_server  # noqa: E402

expect = sync_api.expect
expect.set_options(timeout=90_000)  # a flows recompute with draws takes seconds on a loaded 2-core machine

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
PAGES = ["map", "material/gallium", "stock", "flows", "disrupt", "companies", "policy", "sources"]


@pytest.fixture(scope="module")
def base_url(warehouse_db: Path) -> Iterator[str]:
    with running_server(warehouse_db) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM}); apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.problems = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("request", lambda r: None if r.url.startswith((base_url, "data:", "blob:"))
          else pg.problems.append(f"request off the server: {r.url}"))
    yield pg
    ctx.close()


def _settled(page, name: str) -> None:
    """The page ``name`` has rendered and no API request is in flight (the dashboard counts them on
    ``<body data-pending>``): a condition, not a sleep, and unlike the browser's network idle it also holds
    after a hash navigation or a control change."""
    page.wait_for_selector(f"body[data-ready='{name}'][data-pending='0']", state="attached")


def _open(page, base_url: str, route: str) -> None:
    page.goto(f"{base_url}/#/{route}")
    _settled(page, route.split("/")[0])


@pytest.mark.parametrize("route", PAGES)
def test_each_page_loads_without_console_errors(page, base_url: str, route: str) -> None:
    _open(page, base_url, route)
    assert page.locator("main h1").count() >= 1
    assert not page.locator("main .error").count(), page.locator("main .error").first.inner_text()
    blocks = page.locator("main .tableblock")
    assert blocks.count() == page.locator("main .tableblock a.download").count(), "a table without a download"
    assert page.problems == []


def test_the_map_shows_the_assets(page, base_url: str) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/api/v1/regions/nh-fl/assets.geojson") as r:
        located = len(json.load(r)["features"])
    _open(page, base_url, "map")
    assert page.locator("#map path.asset-marker").count() == located > 10
    page.locator("#map path.asset-marker").first.click(force=True)
    assert page.locator("#details dl dt").count() > 3
    page.check("#choro-toggle")
    page.wait_for_function("n => document.querySelectorAll('#map path.stock-marker, #map path.leaflet-interactive')"
                           ".length > n", arg=located)
    _settled(page, "map")
    assert page.problems == []


def test_a_scenario_control_changes_the_flows_chart(page, base_url: str) -> None:
    _open(page, base_url, "flows")
    chart = page.locator("#flows-chart")
    before = chart.inner_html()
    assert "polyline" in before and "band" in before
    page.locator("#flows-recovery").fill("0.9")
    page.locator("#flows-recovery").dispatch_event("change")
    expect(chart).to_have_attribute("data-params", re.compile(r'"recovery":"0.9"'))
    _settled(page, "flows")
    after = chart.inner_html()
    assert after != before
    page.select_option("#flows-scenario", "lifetime-extension")
    expect(chart).to_have_attribute("data-params", re.compile("lifetime-extension"))
    _settled(page, "flows")
    assert chart.inner_html() != after
    assert page.problems == []


def test_the_disruption_form_returns_a_result(page, base_url: str) -> None:
    _open(page, base_url, "disrupt")
    page.select_option("#disrupt-material", "rare_earth_elements_light")
    page.fill("#disrupt-country", "CHN")
    page.fill("#disrupt-share", "0.8")
    page.fill("#disrupt-months", "6")
    page.click("#disrupt-run")
    page.wait_for_selector("#disrupt-result .kpi")
    text = page.locator("#disrupt-result").inner_text()
    assert "CHN withholds 80%" in text and "6 months" in text
    assert page.locator("#disrupt-result table.data").count() == 5
    assert page.problems == []


def test_a_table_downloads_as_csv(page, base_url: str) -> None:
    _open(page, base_url, "stock")
    with page.expect_download() as dl:
        page.locator("a.download").first.click()
    path = dl.value.path()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[0] == "material" and "mass_t" in header and len(lines) > 10
    assert dl.value.suggested_filename.endswith(".csv")
    assert page.problems == []


def test_the_dashboard_speaks_dutch(page, base_url: str) -> None:
    _open(page, base_url, "stock")
    chart = page.locator("#stock-chart")
    assert "Synthetic graphite" in chart.inner_text() and "synthetic_graphite" not in chart.inner_text()
    page.click("#lang")
    _settled(page, "stock")
    assert page.locator("nav a[href='#/stock']").inner_text() == "Voorraad"
    assert page.evaluate("document.documentElement.lang") == "nl"
    # material names in Dutch (reference/material_names.csv), the groupings too
    assert "Synthetisch grafiet" in chart.inner_text() and "Staal" in chart.inner_text()
    assert page.locator("#stock-by option[value='asset_class']").inner_text() == "objectklasse"
    # table titles too, filled from the answer's parameters (the English title is the service's own)
    titles = page.locator("main .tablehead strong").all_inner_texts()
    assert "Materiaalvoorraad van nh-fl per grondstof, ton" in titles, titles
    assert not [t for t in titles if t.startswith(("Material stock", "Provinces compared"))], titles
    _open(page, base_url, "flows")
    assert "uitstroom" in page.locator("#flows-chart").inner_text()
    _open(page, base_url, "policy")
    risk = [t for t in page.locator("main .tablehead strong").all_inner_texts() if t.startswith("Blootstelling")]
    assert risk and re.search(r"gemiddeld over 20\d\d–20\d\d; exportbeperkingen op \d{4}-\d\d-\d\d", risk[0]), risk
    assert page.problems == []


def test_the_stock_page_compares_the_provinces(page, base_url: str) -> None:
    _open(page, base_url, "stock")
    card = page.locator("#stock-provinces")
    expect(card).to_be_visible()
    names = set(card.locator("tbody tr td:first-child").all_inner_texts())
    assert {"Noord-Holland", "Flevoland"} <= names
    assert page.problems == []
