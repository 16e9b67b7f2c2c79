"""GeoPolRisk: critmat.models.risk.geopolrisk against geopolrisk-py's own core functions on the same inputs.

geopolrisk-py (test-only dependency) builds its database at import: it creates ~/Documents/geopolrisk and
reads a 60 s BACI table. Its formulas live in ``geopolrisk.assessment.core`` (``HHI``,
``importrisk_company``, ``importrisk``, ``GeoPolRisk``) and ``utils.aggregateTrade``. We import those two
modules with a stand-in for ``geopolrisk.assessment.database`` (no files, no home directory) and feed the
data-access functions (``getProd``, ``transformdata``, ``cvtcountry``) our inline tables, so the
computation under test is geopolrisk-py's code on our numbers.
"""

from __future__ import annotations

import importlib
import logging
import sys
import types
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from critmat.models import risk

pytest.importorskip("geopolrisk", reason="geopolrisk-py (test extra) is not installed")

# numeric ISO 3166 codes, as geopolrisk-py uses
NUM = {"CHN": 156, "AUS": 36, "USA": 840, "RUS": 643, "ZAF": 710, "NLD": 528, "DEU": 276, "BEL": 56}

PRODUCTION_T = {"CHN": 600.0, "AUS": 250.0, "USA": 100.0, "ZAF": 40.0, "NLD": 10.0}
IMPORTS_T = {"CHN": 120.0, "AUS": 30.0, "RUS": 25.0, "USA": 5.0}
INSTABILITY = {"CHN": 0.5882147252559662, "AUS": 0.2, "RUS": 0.7, "USA": 0.45, "ZAF": 0.55,
               "NLD": 0.3565, "DEU": 0.33, "BEL": 0.35}


_MODULES = ("geopolrisk.assessment.database", "geopolrisk.assessment.utils", "geopolrisk.assessment.core")


@pytest.fixture
def gpr(tmp_path: Any) -> Iterator[types.SimpleNamespace]:
    """geopolrisk-py's core and utils modules on a stand-in database; sys.modules is restored afterwards."""
    package = importlib.import_module("geopolrisk.assessment")
    saved_modules = {name: sys.modules.pop(name, None) for name in _MODULES}
    saved_attrs = {name: package.__dict__.get(name.rsplit(".", 1)[1]) for name in _MODULES}
    db = types.ModuleType("geopolrisk.assessment.database")
    db.databases = types.SimpleNamespace(regionslist={f"r{i}": [] for i in range(257)}, directory=str(tmp_path))
    db.logging = logging
    db.execute_query = lambda *a, **k: None
    sys.modules[db.__name__] = db
    try:
        utils = importlib.import_module("geopolrisk.assessment.utils")
        core = importlib.import_module("geopolrisk.assessment.core")
        yield types.SimpleNamespace(core=core, utils=utils)
    finally:
        for name in _MODULES:
            short = name.rsplit(".", 1)[1]
            if saved_modules[name] is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = saved_modules[name]
            if saved_attrs[name] is None:
                package.__dict__.pop(short, None)
            else:
                setattr(package, short, saved_attrs[name])


def _production_table() -> pd.DataFrame:
    return pd.DataFrame({"Country": list(PRODUCTION_T), "Country_Code": [NUM[c] for c in PRODUCTION_T],
                         "2022": list(PRODUCTION_T.values()), "unit": "metr. t"})


def _their_hhi(gpr: types.SimpleNamespace, economy: str, monkeypatch: pytest.MonkeyPatch) -> tuple[float, float]:
    monkeypatch.setattr(gpr.core, "getProd", lambda raw: _production_table())
    monkeypatch.setattr(gpr.core, "cvtcountry", lambda c, type="ISO": NUM[c])
    return gpr.core.HHI("Gallium", 2022, economy)


def test_hhi_matches_geopolrisk_py(gpr: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    prod_qty, their_hhi = _their_hhi(gpr, "NLD", monkeypatch)
    total = sum(PRODUCTION_T.values())
    ours = risk.hhi({c: q / total for c, q in PRODUCTION_T.items()})
    assert ours == pytest.approx(their_hhi, rel=1e-12)
    assert prod_qty == PRODUCTION_T["NLD"]


def test_company_import_risk_and_score_match_geopolrisk_py(gpr: types.SimpleNamespace,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    prod_qty, their_hhi = _their_hhi(gpr, "NLD", monkeypatch)
    trade = pd.DataFrame({"rawMaterial": "Gallium", "period": 2022, "partnerISO": [NUM[c] for c in IMPORTS_T],
                          "qty": list(IMPORTS_T.values()), "partnerWGI": [INSTABILITY[c] for c in IMPORTS_T],
                          "cifvalue": [q * 500.0 for q in IMPORTS_T.values()]})
    monkeypatch.setattr(gpr.core, "transformdata", lambda *a, **k: trade)
    num, total, price = gpr.core.importrisk_company("Gallium", 2022)
    their_score, _cf, their_wta = gpr.core.GeoPolRisk(num, total, price, prod_qty, their_hhi)

    total_prod = sum(PRODUCTION_T.values())
    ours = risk.geopolrisk(risk.hhi({c: q / total_prod for c, q in PRODUCTION_T.items()}), IMPORTS_T, INSTABILITY,
                           domestic_production=PRODUCTION_T["NLD"])
    assert ours.import_risk == pytest.approx(their_wta, rel=1e-12)
    assert ours.score == pytest.approx(their_score, rel=1e-12)
    assert ours.imports_t == pytest.approx(total)


def test_region_import_risk_matches_geopolrisk_py(gpr: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A region (NLD+BEL): intra-regional partners count with g = 0, a partner without a score with 0.5."""
    region = ["NLD", "BEL"]
    rows = [  # reporter, partner, tonnes, instability (None = missing in the WGI)
        ("NLD", "CHN", 40.0, INSTABILITY["CHN"]), ("NLD", "BEL", 15.0, INSTABILITY["BEL"]),
        ("NLD", "RUS", 5.0, INSTABILITY["RUS"]), ("BEL", "CHN", 30.0, INSTABILITY["CHN"]),
        ("BEL", "NLD", 10.0, INSTABILITY["NLD"]), ("BEL", "ZAF", 8.0, None),
    ]
    baci = pd.DataFrame({"period": 2022, "rawMaterial": "Gallium",
                         "reporterCode": [NUM[r[0]] for r in rows], "partnerCode": [NUM[r[1]] for r in rows],
                         "qty": [r[2] for r in rows], "cifvalue": [r[2] * 400.0 for r in rows],
                         "partnerWGI": pd.Series([r[3] for r in rows], dtype=object)})
    monkeypatch.setattr(gpr.utils, "cvtcountry", lambda c, type="ISO": NUM[c])
    num, total, price = gpr.core.importrisk("Gallium", 2022, region, baci)
    domestic = 12.0
    _score, _cf, their_wta = gpr.core.GeoPolRisk(num, total, price, domestic, 0.4)

    imports: dict[str, float] = {}
    for _rep, partner, q, _g in rows:
        imports[partner] = imports.get(partner, 0.0) + q
    gov = {c: g for _r, c, _q, g in rows if g is not None}
    ours = risk.geopolrisk(0.4, imports, gov, domestic, intra_region=region, missing_governance=0.5)
    assert ours.import_risk == pytest.approx(their_wta, rel=1e-12)
    assert ours.score == pytest.approx(0.4 * their_wta, rel=1e-12)
    # without the intra-region convention our value differs: the convention is what makes them agree
    plain = risk.geopolrisk(0.4, imports, gov, domestic, missing_governance=0.5)
    assert plain.import_risk > ours.import_risk
