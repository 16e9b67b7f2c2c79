"""The REST API of ``critmat serve``: answers, CSV, ETags, bounds, problem details, security headers, read-only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from critmat.web.app import create_app  # noqa: E402
from critmat.web.params import MAX_DRAWS  # noqa: E402

WEB = Path(__file__).resolve().parents[1] / "src" / "critmat" / "web"


@pytest.fixture(scope="module")
def client(warehouse_db: Path) -> TestClient:
    return TestClient(create_app(warehouse_db), raise_server_exceptions=False)


def _secure(r) -> None:
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "http:" not in csp and "https:" not in csp and "*" not in csp and "unsafe" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_health_names_the_build(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and re.fullmatch(r"[0-9a-f]{16}", body["build"])
    _secure(r)


def test_material_profile_and_list(client: TestClient) -> None:
    p = client.get("/api/v1/materials/Ga").json()
    assert p["id"] == "gallium" and p["hhi"]["processing"] > 0.5
    t = client.get("/api/v1/materials").json()
    assert len(t["rows"]) == 34 and "sr_2023" in t["columns"]


def test_table_as_csv_by_parameter_and_by_accept(client: TestClient) -> None:
    r = client.get("/api/v1/regions/nh-fl/assets?format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    header, *rows = r.text.strip().splitlines()
    assert header.startswith("asset_id,") and len(rows) == len(client.get("/api/v1/regions/nh-fl/assets").json()["rows"])
    r2 = client.get("/api/v1/regions/nh-fl/assets", headers={"Accept": "text/csv"})
    assert r2.text == r.text


def test_etag_revalidates_and_is_keyed_on_the_build(client: TestClient) -> None:
    r = client.get("/api/v1/regions/nh-fl/stock?draws=50")
    build = client.get("/api/v1/health").json()["build"]
    assert r.headers["x-critmat-build"] == build and "max-age" in r.headers["cache-control"]
    again = client.get("/api/v1/regions/nh-fl/stock?draws=50", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/api/v1/regions/nh-fl/stock?draws=51")
    assert other.headers["etag"] != r.headers["etag"]


def test_geojson_of_assets_and_boundaries(client: TestClient) -> None:
    g = client.get("/api/v1/regions/nh-fl/assets.geojson")
    assert g.headers["content-type"].startswith("application/geo+json")
    feats = g.json()["features"]
    table = client.get("/api/v1/regions/nh-fl/assets").json()["rows"]
    assert len(feats) == sum(1 for r in table if r["lat"] is not None and r["lon"] is not None) > 10
    b = client.get("/api/v1/regions/nh-fl/boundaries").json()
    assert b["kind"] in ("polygon", "centroid")
    munis = [f for f in b["features"] if f["properties"]["area_type"] == "municipality"]
    assert len(munis) == len(client.get("/api/v1/regions/nh-fl/municipalities").json()["rows"])
    assert all(f["geometry"]["type"] in ("Point", "Polygon", "MultiPolygon") for f in munis)


def test_flows_scenario_controls_change_the_answer(client: TestClient) -> None:
    base = client.get("/api/v1/regions/nh-fl/flows?material=copper").json()
    high = client.get("/api/v1/regions/nh-fl/flows?material=copper&recovery=0.95").json()
    low = client.get("/api/v1/regions/nh-fl/flows?material=copper&recovery=0").json()
    rec = lambda t: sum(r["recovered"] for r in t["rows"])  # noqa: E731
    assert rec(low) == 0 < rec(base) < rec(high)
    assert high["params"]["recovery"] == 0.95


def test_disruption_post_returns_the_exposed(client: TestClient) -> None:
    r = client.post("/api/v1/regions/nh-fl/disruptions", json={"shock": "ree-april-2025"})
    assert r.status_code == 200
    doc = r.json()
    assert {"supply", "affected", "mitigations", "companies", "projects"} <= set(doc["sections"])
    assert doc["sections"]["companies"]["rows"]
    csv = client.get("/api/v1/regions/nh-fl/disruptions?shock=ree-april-2025&section=companies&format=csv")
    assert csv.text.splitlines()[0].startswith("company_id")


@pytest.mark.parametrize("url, where", [
    (f"/api/v1/regions/nh-fl/stock?draws={MAX_DRAWS + 1}", "query.draws"),
    ("/api/v1/regions/nh-fl/flows?start=1800", "query.start"),
    ("/api/v1/risk?top=100000", "query.top"),
    ("/api/v1/regions/nh-fl/flows?draws=100000", "query.draws"),
    ("/api/v1/regions/nh-fl/matches?top=9999", "query.top"),
    ("/api/v1/materials/%27%3B%20DROP%20TABLE%20materials", "path.material"),
])
def test_costly_or_bad_parameters_are_422_problems(client: TestClient, url: str, where: str) -> None:
    r = client.get(url)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and where in body["detail"] and body["errors"][0]["loc"] == where
    _secure(r)


def test_post_body_bounds(client: TestClient) -> None:
    r = client.post("/api/v1/regions/nh-fl/disruptions", json={"materials": ["gallium"] * 21, "country": "CHN"})
    assert r.status_code == 422 and "body.materials" in r.json()["detail"]
    r = client.post("/api/v1/regions/nh-fl/disruptions", json={"materials": ["gallium"], "country": "CHN", "x": 1})
    assert r.status_code == 422


def test_unknown_ids_are_404_problems(client: TestClient) -> None:
    for url in ("/api/v1/materials/unobtainium", "/api/v1/regions/atlantis/assets", "/api/v1/nothing"):
        r = client.get(url)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", url
        assert r.json()["detail"]


def test_a_bug_is_a_500_problem_without_traceback(warehouse_db: Path) -> None:
    app = create_app(warehouse_db)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    r = TestClient(app, raise_server_exceptions=False).get("/api/v1/boom")
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text and "Traceback" not in r.text
    _secure(r)


def test_static_files_and_dashboard_have_the_headers(client: TestClient) -> None:
    for url in ("/", "/static/app.js", "/static/vendor/leaflet-1.9.4/leaflet.js"):
        r = client.get(url)
        assert r.status_code == 200, url
        _secure(r)


def test_the_warehouse_is_opened_read_only(client: TestClient) -> None:
    wh = client.app.state.critmat.warehouse()
    with pytest.raises(Exception, match="read-only"):
        wh.sql("CREATE TABLE intruder (a INTEGER)")


def test_the_web_face_builds_no_sql_and_fetches_nothing_remote() -> None:
    py = "\n".join(p.read_text() for p in WEB.glob("*.py"))
    assert not re.search(r"\.(sql|execute)\(\s*f[\"']", py), "SQL built from an f-string"
    ours = [p for p in (WEB / "static").rglob("*") if p.is_file() and "vendor" not in p.parts]
    for p in ours:
        if p.suffix in (".js", ".html", ".css"):
            text = p.read_text().replace("http://www.w3.org/2000/svg", "")  # the SVG namespace, not a request
            assert not re.search(r"https?://", text), f"{p.name} names a remote URL"


def test_vendored_files_are_pinned_with_licences() -> None:
    vendor = WEB / "static" / "vendor"
    versions = (vendor / "VERSIONS.md").read_text()
    for d in (p for p in vendor.iterdir() if p.is_dir()):
        assert (d / "LICENSE").is_file(), d
        name, version = d.name.rsplit("-", 1)
        assert re.search(rf"\|\s*{name}\s*\|\s*{re.escape(version)}\s*\|", versions), d.name


def test_a_cached_answer_is_the_same_answer(client: TestClient) -> None:
    """The second GET comes from the response cache (before routing): same body, headers and ETag."""
    for url in ("/api/v1/regions/nh-fl/stock?by=province&draws=20", "/api/v1/materials?format=csv",
                "/api/v1/regions/nh-fl/boundaries"):
        first, second = client.get(url), client.get(url)
        assert second.status_code == 200 and second.content == first.content, url
        for h in ("etag", "content-type", "cache-control", "x-critmat-build", "content-disposition",
                  "content-security-policy", "x-content-type-options"):
            assert first.headers.get(h) == second.headers.get(h), (url, h)
        assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    # an invalid request is never answered from the cache
    assert client.get("/api/v1/regions/nh-fl/stock?by=province&draws=-1").status_code == 422


def test_boundaries_from_a_boundaries_table_are_polygons(warehouse_db: Path, tmp_path: Path) -> None:
    """With a ``boundaries`` table (area outlines as WKT), the map gets GeoJSON polygons of each area."""
    import shutil

    import duckdb

    db = tmp_path / "critmat.duckdb"
    shutil.copy(warehouse_db, db)
    con = duckdb.connect(str(db))
    # the bundled nh-fl pack has a real boundaries table now; this test uses its own two outlines
    con.execute("DROP TABLE IF EXISTS boundaries")
    con.execute("CREATE TABLE boundaries (region_id VARCHAR, area_code VARCHAR, area_type VARCHAR, name VARCHAR, "
                "province_code VARCHAR, geometry_wkt VARCHAR, source_id VARCHAR)")
    con.execute("INSERT INTO boundaries VALUES ('nh-fl', 'GM0034', 'municipality', 'Almere', 'PV24', "
                "'POLYGON ((5.30 52.38, 5.38 52.31, 5.13 52.33, 5.30 52.38))', 'cbs_gebiedsindelingen'), "
                "('nh-fl', 'PV24', 'province', 'Flevoland', 'PV24', "
                "'MULTIPOLYGON (((5.1 52.3, 6.0 52.3, 6.0 52.9, 5.1 52.3)), ((5.2 52.4, 5.3 52.4, 5.2 52.5, 5.2 52.4)))', "
                "'cbs_gebiedsindelingen')")
    con.close()
    b = TestClient(create_app(db)).get("/api/v1/regions/nh-fl/boundaries").json()
    assert b["kind"] == "polygon"
    geoms = {f["properties"]["area_code"]: f["geometry"] for f in b["features"]}
    assert geoms["GM0034"]["type"] == "Polygon" and geoms["GM0034"]["coordinates"][0][0] == [5.30, 52.38]
    assert geoms["PV24"]["type"] == "MultiPolygon" and len(geoms["PV24"]["coordinates"]) == 2


def test_tiles_are_opt_in_and_only_their_origin_is_allowed(warehouse_db: Path) -> None:
    from critmat.errors import CritmatError

    c = TestClient(create_app(warehouse_db, tiles="https://tile.example.org/{z}/{x}/{y}.png",
                              tiles_attribution="© example"))
    r = c.get("/api/v1/health")
    assert r.json()["tiles"].startswith("https://tile.example.org/")
    csp = r.headers["content-security-policy"]
    assert "img-src 'self' data: https://tile.example.org;" in csp and csp.count("https://") == 1
    assert "connect-src 'self';" in csp and "script-src 'self';" in csp
    for bad in ("http://tile.example.org/{z}/{x}/{y}.png", "https://x.org;script-src *"):
        with pytest.raises(CritmatError):
            create_app(warehouse_db, tiles=bad)


def test_the_cache_is_keyed_on_validated_parameters(client: TestClient) -> None:
    """A default spelled out and a default left out are one answer: same ETag, computed once."""
    a = client.get("/api/v1/regions/nh-fl/stock?by=asset_class&draws=30")
    b = client.get("/api/v1/regions/nh-fl/stock?draws=30&by=asset_class&seed=0&pipeline=false")
    assert a.headers["etag"] == b.headers["etag"] and a.content == b.content
    c = client.get("/api/v1/regions/nh-fl/stock?by=asset_class&draws=30", headers={"If-None-Match": b.headers["etag"]})
    assert c.status_code == 304


def test_every_default_request_of_the_dashboard_answers(warehouse_db: Path) -> None:
    """The start-up warm-up renders the dashboard's default answers into the cache; each is a 200."""
    import asyncio

    from critmat.web.app import default_requests, warm

    app = create_app(warehouse_db)
    status = asyncio.run(warm(app, default_requests("nh-fl")))
    assert status and all(s == 200 for s in status.values()), status
    st = app.state.critmat
    assert st.cache_stats()["entries"] >= len(status) - 1  # health-like answers aside, all kept
    hit = TestClient(app).get("/api/v1/regions/nh-fl/stock?by=material")
    assert hit.status_code == 200 and hit.headers["x-critmat-build"] == st.build_id


def test_a_new_build_replaces_every_cached_answer(warehouse_db: Path, tmp_path: Path) -> None:
    """critmat build swaps the warehouse file: the server adopts the new build id and drops its cache
    (no cached answer outlives its build), without a restart."""
    import os
    import shutil

    import duckdb

    db = tmp_path / "critmat.duckdb"
    shutil.copy(warehouse_db, db)
    app = create_app(db)
    st = app.state.critmat
    st.check_interval = 0.0
    c = TestClient(app)
    first = c.get("/api/v1/sources")
    old_build, old_etag = first.headers["x-critmat-build"], first.headers["etag"]
    assert st.cache_stats()["entries"] >= 1
    new = tmp_path / "next.duckdb"
    shutil.copy(warehouse_db, new)
    con = duckdb.connect(str(new))
    con.execute("UPDATE meta SET value = 'another build' WHERE key = 'built_at'")
    con.close()
    os.replace(new, db)  # what the warehouse build does
    second = c.get("/api/v1/sources")
    assert second.status_code == 200 and second.headers["x-critmat-build"] != old_build
    assert second.headers["etag"] != old_etag
    assert c.get("/api/v1/health").json()["build"] == second.headers["x-critmat-build"]
    assert c.get("/api/v1/sources", headers={"If-None-Match": old_etag}).status_code == 200


def test_computations_are_bounded_and_busy_is_a_503(warehouse_db: Path) -> None:
    app = create_app(warehouse_db)
    st = app.state.critmat
    st.compute_wait = 0.05
    c = TestClient(app)
    for _ in range(st.max_compute):
        st._slots.acquire()
    try:
        r = c.get("/api/v1/regions/nh-fl/stock?draws=7")
        assert r.status_code == 503 and r.headers["retry-after"] and r.headers["content-type"] == "application/problem+json"
    finally:
        for _ in range(st.max_compute):
            st._slots.release()
    assert c.get("/api/v1/regions/nh-fl/stock?draws=7").status_code == 200


def test_one_computation_per_answer_at_a_time(warehouse_db: Path) -> None:
    import threading
    import time

    from critmat.web.state import ServerState

    st = ServerState(warehouse_db)
    running, peak, done = [0], [0], []

    def work() -> None:
        with st.single_flight("k"):
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            time.sleep(0.02)
            running[0] -= 1
            done.append(1)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1 and len(done) == 5 and not st._flight


def test_answers_computed_in_a_compute_process_are_the_same(warehouse_db: Path) -> None:
    """With compute processes (what `critmat serve` runs), an answer, a 404 and a 422 are what the server
    process itself gives."""
    local = TestClient(create_app(warehouse_db), raise_server_exceptions=False)
    with TestClient(create_app(warehouse_db, compute_processes=1), raise_server_exceptions=False) as pooled:
        assert pooled.app.state.critmat.pool is not None
        for url in ("/api/v1/regions/nh-fl/flows?material=copper&recovery=0.42&lifetime_shift=2",
                    "/api/v1/regions/nh-fl/stock?by=province&draws=11", "/api/v1/materials/unobtainium",
                    "/api/v1/regions/nh-fl/flows?material=unobtainium"):
            a, b = local.get(url), pooled.get(url)
            assert a.status_code == b.status_code and a.content == b.content, url
        r = pooled.post("/api/v1/regions/nh-fl/disruptions", json={"materials": ["gallium"], "country": "CHN",
                                                                   "share": 0.37, "months": 5})
        assert r.status_code == 200 and r.json()["sections"]["supply"]["rows"]
    assert pooled.app.state.critmat.pool is None  # stopped with the app


def test_a_body_that_is_not_json_is_a_documented_400(client: TestClient) -> None:
    r = client.post("/api/v1/regions/nh-fl/disruptions", content=b"\xff", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    doc = client.get("/api/v1/openapi.json").json()
    assert "400" in doc["paths"]["/api/v1/regions/{region}/disruptions"]["post"]["responses"]


def test_flows_from_a_year_before_the_registry_year(client: TestClient) -> None:
    assert client.get("/api/v1/regions/nh-fl/flows?start=2020&end=2030&material=copper").status_code == 200


def test_behind_a_proxy_on_a_sub_path(warehouse_db: Path) -> None:
    """`critmat serve --root-path /critmat` behind a proxy that strips the prefix: the API, the dashboard and
    its files answer, answers come from the cache the second time, and the OpenAPI schema names the prefix."""
    import json
    import urllib.request

    from web_server import running_server

    with running_server(warehouse_db, root_path="/critmat") as base:
        def get(url: str) -> tuple[int, dict, bytes]:
            with urllib.request.urlopen(base + url, timeout=120) as r:
                return r.status, dict(r.headers), r.read()

        assert get("/api/v1/health")[0] == 200
        assert get("/")[0] == 200 and get("/static/app.js")[0] == 200
        first = get("/api/v1/regions/nh-fl/stock?by=province&draws=9")
        again = get("/api/v1/regions/nh-fl/stock?by=province&draws=9")
        assert first[0] == again[0] == 200 and first[2] == again[2] and first[1]["etag"] == again[1]["etag"]
        assert json.loads(get("/api/v1/openapi.json")[2])["servers"] == [{"url": "/critmat"}]


def test_provinces_compared_is_the_comparison_service(client: TestClient, warehouse_db: Path) -> None:
    """/regions/{region}/provinces answers the service's table (what `critmat region compare` prints), the
    assets section too; an unknown region is a 404 problem naming it."""
    import json

    import pandas as pd

    from critmat.services import compare, context
    from critmat.services.base import to_json

    wh = context.warehouse(warehouse_db)
    svc = compare.provinces(wh, ["nh-fl"])
    r = client.get("/api/v1/regions/nh-fl/provinces")
    assert r.status_code == 200
    j = r.json()
    assert j["title"] == svc.title and j["caption"] == svc.caption and j["sources"] == svc.sources
    assert j["columns"] == list(svc.frame.columns) and j["units"] == svc.units
    want = json.loads(to_json(svc.document()))
    assert len(j["rows"]) == len(want) > 0
    for got, exp in zip(j["rows"], want):
        assert got.keys() == exp.keys()
        for k, v in exp.items():
            assert got[k] == (pytest.approx(v, rel=1e-12) if isinstance(v, float) else v), k
    assert {row["province_name"] for row in j["rows"]} == {"Noord-Holland", "Flevoland"}
    a = client.get("/api/v1/regions/nh-fl/provinces?section=assets").json()
    assets = next(s for s in svc.sections if s.name == "assets").frame
    assert a["columns"] == list(assets.columns) and len(a["rows"]) == 2
    assert sum(row["assets"] for row in a["rows"]) == int(assets["assets"].sum())
    nd = client.get("/api/v1/regions/nh-fl/provinces?material=neodymium&format=csv")
    assert nd.status_code == 200 and nd.headers["content-type"].startswith("text/csv")
    import io

    csv = pd.read_csv(io.StringIO(nd.text))
    assert set(csv["material"]) == {"neodymium"} and len(csv) == 2
    bad = client.get("/api/v1/regions/atlantis/provinces")
    assert bad.status_code == 404 and bad.headers["content-type"] == "application/problem+json"
    assert "atlantis" in bad.json()["detail"]


def test_policy_routes_are_the_policy_service(client: TestClient, warehouse_db: Path) -> None:
    """/regions/{region}/policy and /policy/indicators answer services.policy (the report shows the same
    service, with its own date and draws); a region without policy items gets the indicators and no items."""
    import json

    from critmat.services import context, policy
    from critmat.services.base import records, to_json

    wh = context.warehouse(warehouse_db)
    for url, svc in (("/api/v1/regions/nh-fl/policy", policy.items(wh, "nh-fl")),
                     ("/api/v1/regions/nh-fl/policy/indicators", policy.indicators(wh, "nh-fl"))):
        j = client.get(url).json()
        assert j["title"] == svc.title and j["columns"] == list(svc.frame.columns)
        want = json.loads(to_json(records(svc.frame)))
        assert len(j["rows"]) == len(want) > 10 and json.loads(to_json(svc.document()))  # the doc is JSON too
        for got, exp in zip(j["rows"], want):
            assert got == {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for k, v in exp.items()}
    assert not policy.items(wh, "no-such-region").doc["has_pack"]


def test_provinces_across_region_packs(client: TestClient) -> None:
    """/provinces compares the provinces of every region pack (here only nh-fl's two) or of those named."""
    every = client.get("/api/v1/provinces")
    one = client.get("/api/v1/regions/nh-fl/provinces")
    named = client.get("/api/v1/provinces?region=nh-fl")
    assert every.status_code == one.status_code == named.status_code == 200
    assert every.json()["rows"] == one.json()["rows"] == named.json()["rows"]
    bad = client.get("/api/v1/provinces?region=nh-fl&region=atlantis")
    assert bad.status_code == 404 and "atlantis" in bad.json()["detail"]
    assert client.get("/api/v1/provinces?region=NH!").status_code == 422
