"""What the API computes for a request: one module-level function per question, ``fn(wh, **params)``, each a
call to :mod:`critmat.services` and a change of representation (a table envelope, GeoJSON). Nothing here
computes a number.

Being plain functions of picklable parameters, they run either in the server process (``critmat serve
--compute-processes 0``, the tests) or in a pool of compute processes (:func:`run`): a scenario recompute that
holds the CPU for a second then never stalls the server's event loop, which keeps answering cached reads.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

# ------------------------------------------------------------------------------------------- in a compute process
_OPEN: dict[str, tuple[tuple[int, int, int], Any]] = {}


def _warehouse(db: str) -> Any:
    """This process's read-only connection to ``db``, reopened when a new build replaced the file (closed
    first: DuckDB shares one database instance per path in a process)."""
    from critmat.warehouse import Warehouse

    st = os.stat(db)
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    held = _OPEN.get(db)
    if held is not None and held[0] == stamp:
        return held[1]
    if held is not None:
        held[1].close()
    wh = Warehouse(db)
    _OPEN[db] = (stamp, wh)
    return wh


def _exit_with_parent(parent: int) -> None:
    """Leave when the server process that started this one is gone (killed without a shutdown: the pool
    cannot tell its processes to stop, and an orphan would hold memory and the warehouse file)."""
    import time

    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def prepare(db: str) -> None:
    """Pool initializer: leave with the parent, import the heavy modules and open the warehouse before the
    first request."""
    import threading

    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="exit-with-parent").start()
    import critmat.services.exposure  # noqa: F401
    import critmat.services.flows  # noqa: F401
    import critmat.services.stock  # noqa: F401

    _warehouse(db)


def run(db: str, fn: Any, params: dict[str, Any], kind: str, csv: bool, name: str,
        build: str) -> tuple[str, Any]:
    """Run ``fn(wh, **params)`` in a compute process and render it: ``("ok", (body, media, headers))``, or
    ``("critmat", (class name, message))`` for a critmat error (the server raises it again: 404/422), or
    ``("bug", text)`` (a 500; the text goes to the server log)."""
    from critmat import errors
    from critmat.web.render import render

    try:
        return "ok", render(fn(_warehouse(db), **params), kind, csv, name, build)
    except errors.CritmatError as exc:
        return "critmat", (type(exc).__name__, str(exc))
    except Exception as exc:  # noqa: BLE001 - reported to the server, which logs it and answers a 500
        import traceback

        return "bug", "".join(traceback.format_exception(exc))


# ------------------------------------------------------------------------------------------- representation
def table(frame: Any, title: str = "", caption: str = "", units: dict | None = None,
          sources: list | None = None, params: dict | None = None) -> SimpleNamespace:
    """A frame with the metadata of a table envelope (for answers that are not a service's Result)."""
    return SimpleNamespace(frame=frame, title=title, caption=caption, units=units or {}, sources=sources or [],
                           params=params or {})


def features(df: Any, props: list[str]) -> dict[str, Any]:
    """GeoJSON Points of the rows with coordinates (the rows' own lat/lon, nothing computed)."""
    from critmat.web.render import frame_rows

    has = df[df["lat"].notna() & df["lon"].notna()]
    rows = frame_rows(has[[c for c in props if c in has] + ["lat", "lon"]])
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.pop("lon"), r.pop("lat")]},
                          "properties": r} for r in rows]}


def flow_units(frame: Any) -> dict[str, str]:
    """Units of a flows table's columns: tonnes, except the ratios, shares, years and ids."""
    plain = ("material", "year", "asset_class", "meets_benchmark")
    return {c: ("1" if c.startswith(("eol_rir", "secondary_to_demand", "meets_benchmark_share")) else "t")
            for c in frame.columns if c not in plain}


# ------------------------------------------------------------------------------------------- materials
def material_profile(wh: Any, material: str) -> Any:
    from critmat.services.materials import profile

    return profile(wh, material).doc


def material_table(wh: Any, material: str, table_name: str) -> SimpleNamespace:
    import pandas as pd

    doc = material_profile(wh, material)
    rows = doc.get(table_name) or []
    return table(pd.DataFrame(rows), title=f"{doc['name']}: {table_name}", sources=doc.get("sources", []),
                 params={"material": doc["id"], "table": table_name})


def materials(wh: Any, which: str) -> Any:
    from critmat.services.materials import material_list

    return material_list(wh, which)


# ------------------------------------------------------------------------------------------- regions
def assets(wh: Any, region: str, asset_class: str | None = None, status: str | None = None) -> Any:
    from critmat.services.regions import assets as assets_service

    return assets_service(wh, region, asset_class, status)


def regions(wh: Any) -> Any:
    from critmat.services.regions import regions as regions_service

    r = regions_service(wh)
    return table(r.frame.drop(columns=["path"]), title=r.title)


def region_table(wh: Any, region: str, name: str) -> Any:
    from critmat.services.regions import table as table_service

    return table_service(wh, region, name)


def region_summary(wh: Any, region: str) -> Any:
    from critmat.services.regions import summary

    return summary(wh, region)


ASSET_PROPERTIES = ["asset_id", "name", "asset_class", "technology_id", "status", "commissioning_year", "capacity_mw",
                    "length_km", "units", "municipality_code", "source_id"]
COMPANY_PROPERTIES = ["company_id", "name", "primary_activity_id", "activities", "town", "municipality_code",
                      "streams", "location_precision", "source_id"]


def assets_geojson(wh: Any, region: str, asset_class: str | None = None, status: str | None = None) -> dict:
    return features(assets(wh, region, asset_class, status).frame, ASSET_PROPERTIES)


def boundaries(wh: Any, region: str) -> dict[str, Any]:
    from critmat.services.regions import boundaries as boundaries_service
    from critmat.web.render import frame_geojson

    r = boundaries_service(wh, region)
    doc = frame_geojson(r.frame)
    doc["kind"] = r.params.get("kind")
    doc["caption"] = r.caption
    return doc


# ------------------------------------------------------------------------------------------- stock and flows
def stock(wh: Any, region: str, by: str = "material", material: str | None = None, draws: int = 1000, seed: int = 0,
          pipeline: bool = False, top: int | None = None) -> Any:
    from critmat.services.stock import stock as stock_service

    return stock_service(wh, region=region, by=by, material=material, draws=draws, seed=seed, pipeline=pipeline,
                         top=top)


def flows(wh: Any, region: str, scenario: str = "baseline", material: str | None = None, start: int | None = None,
          end: int | None = None, draws: int = 0, seed: int = 0, by: str = "year",
          lifetime_shift: float | None = None, recovery: float | None = None) -> Any:
    """The flows table ``by`` year | material | asset_class (the service's; ``lifetime_shift``, ``recovery``:
    the dashboard's controls, a variant of the scenario)."""
    from critmat.services.flows import flows as flows_service

    r = flows_service(wh, region, scenario, material=material, start=start, end=end, draws=draws, seed=seed, by=by,
                      lifetime_shift=lifetime_shift, recovery=recovery)
    sec = r.sections[0]
    return table(sec.frame, title=sec.title or r.title, caption=sec.caption or r.caption,
                 units=flow_units(sec.frame), sources=r.sources, params=r.params)


# ------------------------------------------------------------------------------------------- exposure
def risk(wh: Any, region: str | None = None, material: str | None = None, top: int | None = None) -> Any:
    from critmat.services import exposure as E

    if region is None:
        return E.supply_risk(wh, material=material, top=top)
    return E.exposure(wh, region, material=material, top=top)


DISRUPTION_SECTIONS = {"supply": "supply", "affected": "affected_by_year_class", "mitigations": "mitigations",
                       "companies": "companies", "projects": "projects"}
"""The tables of a disruption answer: API section name -> key of the disruption service's document."""


def disruption(wh: Any, region: str, shock: str | None = None, materials: list[str] | None = None,
               country: str | None = None, share: float | None = None, months: float | None = None) -> dict:
    """The disruption service's answer as the API's document (its tables as columns + rows)."""
    from critmat.services import exposure as E

    spec = E.shock_spec(wh, shock, materials=materials, country=country, share=share, months=months)
    res = E.disrupt(wh, spec, region)
    doc = res.doc
    sections = {}
    for name, key in DISRUPTION_SECTIONS.items():
        rows = doc.get(key) or []
        sections[name] = {"columns": list(rows[0]) if rows else [], "rows": rows}
    return {"shock": doc["shock"], "description": doc["description"], "region": region, "totals": doc["totals"],
            "sources": list(res.sources), "sections": sections}


def disruption_table(wh: Any, region: str, section: str, **shock: Any) -> SimpleNamespace:
    import pandas as pd

    doc = disruption(wh, region, **shock)
    sec = doc["sections"][section]
    return table(pd.DataFrame(sec["rows"], columns=sec["columns"]), title=f"{doc['description']}: {section}",
                 sources=doc["sources"], params={"region": region, "shock": doc["shock"], "section": section})


# ------------------------------------------------------------------------------------------- capabilities
def companies(wh: Any, region: str, activity: str | None = None) -> Any:
    from critmat.services import capabilities as C

    return C.companies(wh, region, activity=activity)


def companies_geojson(wh: Any, region: str, activity: str | None = None) -> dict:
    return features(companies(wh, region, activity).frame, COMPANY_PROPERTIES)


def capabilities(wh: Any, region: str) -> Any:
    from critmat.services import capabilities as C

    return C.coverage(wh, region)


def matches(wh: Any, region: str, stream: str | None = None, top: int = 10) -> Any:
    from critmat.services import capabilities as C

    return C.match(wh, region, streams=[stream] if stream else None, top=top)


def streams(wh: Any, region: str) -> SimpleNamespace:
    """The region's stream specs (critmat.services.capabilities.stream_specs) as a table."""
    import pandas as pd

    from critmat.services import capabilities as C

    cols = ["stream", "title", "region_id", "product_stream_id", "materials", "tonnes_per_year", "year_from",
            "year_to", "assumption", "basis"]
    specs = [s for s in C.stream_specs(wh, region).values() if s.region_id == region]
    rows = [{"stream": s.name, "title": s.title, "region_id": s.region_id, "product_stream_id": s.product_stream_id,
             "materials": ";".join(s.material_ids), "tonnes_per_year": s.tonnes_per_year, "year_from": s.year_from,
             "year_to": s.year_to, "assumption": bool(getattr(s, "assumption", False)),
             "basis": getattr(s, "basis", "")} for s in specs]
    return table(pd.DataFrame(rows, columns=cols), title=f"End-of-life streams of {region}",
                 caption="tonnes_per_year from the flows model (scenario baseline) where it covers the stream",
                 units={"tonnes_per_year": "t/yr"})


def provinces(wh: Any, regions: list[str] | None = None, material: str | None = None, scenario: str = "baseline",
              section: str = "materials") -> Any:
    """Provinces side by side (:func:`critmat.services.compare.provinces`, what ``critmat region compare``
    shows) across ``regions`` (None: every region pack of the warehouse): per province and material, or
    (``section`` assets) the assets counted."""
    from critmat.services.compare import provinces as compare

    r = compare(wh, regions, material=material, scenario=scenario)
    if section == "materials":
        return r
    sec = next(s for s in r.sections if s.name == section)
    return table(sec.frame, title=sec.title, caption=sec.caption, sources=r.sources, params=r.params,
                 units={k: v for k, v in r.units.items() if k in sec.frame.columns})


def coverage(wh: Any, region: str) -> Any:
    from critmat.services.coverage import asset_coverage

    return asset_coverage(wh, region)


def policy(wh: Any, region: str) -> Any:
    from critmat.services.policy import items

    return items(wh, region)


def policy_indicators(wh: Any, region: str) -> Any:
    from critmat.services.policy import indicators

    return indicators(wh, region)


# ------------------------------------------------------------------------------------------- sources
def provenance(wh: Any) -> SimpleNamespace:
    """Per warehouse table: dataset, package, sources, vintage, rows, sha256 (the server's file path is not
    shown to a client)."""
    from critmat.services.sources import provenance as provenance_service

    r = provenance_service(wh)
    return table(r.frame, title=r.title, sources=r.sources)


def sources(wh: Any) -> Any:
    from critmat.services.sources import registry

    return registry(wh)
