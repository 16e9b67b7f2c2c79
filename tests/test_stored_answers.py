"""Stored answers (:mod:`critmat.services.stored`): the build stores the services' default results, a
first question reads them, and each one equals the service computing it again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmat.services import context, flows, stock, stored
from critmat.services.base import Result, Section, to_json


@pytest.fixture
def wh(warehouse_db: Path):
    return context.warehouse(warehouse_db)


def _same(a: Result, b: Result) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    assert [(s.name, s.title, s.caption, s.text, s.hint) for s in a.sections] == \
        [(s.name, s.title, s.caption, s.text, s.hint) for s in b.sections]
    for sa, sb in zip(a.sections, b.sections):
        if sb.frame is None:
            assert sa.frame is None
        else:
            pd.testing.assert_frame_equal(sa.frame, sb.frame, check_exact=True)
    assert (a.title, a.caption, a.units, list(a.sources), a.hint) == (b.title, b.caption, b.units,
                                                                        list(b.sources), b.hint)
    assert to_json(a.params) == to_json(b.params)
    assert to_json(a.document()) == to_json(b.document())


def test_every_stored_answer_equals_the_service_computing_it(wh) -> None:
    asked = list(stored.questions(wh))
    rows = wh.rows("SELECT service, question FROM answers")
    assert len(rows) == len(asked) >= 2 + len(wh.sql("SELECT * FROM specs WHERE kind = 'scenario'"))
    for fn, args, kwargs in asked:
        raw = fn.__wrapped__
        hit = stored.lookup(wh, raw, args, kwargs)
        assert hit is not None, (raw.__name__, args, kwargs)
        _same(hit, raw(wh, *args, **kwargs))


def test_a_question_is_its_arguments_with_defaults(wh) -> None:
    raw = stock.stock.__wrapped__
    q = stored.question(raw, ("nh-fl",), {})
    assert q == stored.question(raw, (), {"region": "nh-fl", "by": "material", "draws": 1000})
    assert q == stored.question(raw, ("nh-fl",), {"progress": lambda d, t: None})  # not part of the question
    assert q != stored.question(raw, ("nh-fl",), {"draws": 999})
    assert stored.question(raw, (Path("a/b"),), {}) is None  # a folder is never a stored question
    assert stored.question(raw, ("nh-fl",), {"no_such_option": 1}) is None
    # a question the build did not store is computed
    assert stored.lookup(wh, raw, ("nh-fl",), {"draws": 10}) is None
    assert stored.lookup(wh, raw, ("nh-fl",), {}) is not None


def test_the_service_reads_the_stored_answer_first(wh, monkeypatch: pytest.MonkeyPatch) -> None:
    """A default question is answered without running the service's code; another one runs it."""
    calls = []
    real = flows.run
    monkeypatch.setattr(flows, "run", lambda *a, **k: calls.append(a) or real(*a, **k))
    res = flows.flows(wh, "nh-fl")
    assert calls == [] and len(res.sections[0].frame) > 0
    assert "frame" in res.__dict__ and callable(object.__getattribute__(res, "frame"))  # long rows: not read yet
    assert len(res.frame) > 40_000 and calls  # ... computed when asked for
    flows.flows(wh, "nh-fl", start=2030)
    assert len(calls) == 2


def test_a_frame_that_would_not_read_back_equal_is_not_stored() -> None:
    mixed = pd.DataFrame({"a": [1, "x"]})  # Arrow cannot hold one column of numbers and text
    with pytest.raises(stored.NotStorable, match="main frame"):
        stored.encode(Result(mixed))
    ok = pd.DataFrame({"material": ["gallium", "neodymium"], "mass_t": [1.5, np.nan],
                       "n": pd.array([1, None], dtype="Int64"), "flag": [True, False]})
    res = Result(ok, title="t", caption="c", units={"mass_t": "t"}, sources=["s"], params={"region": "x"},
                 doc={"rows": 2}, sections=[Section("table", ok.head(1), "T", "C"), Section("note", text="n")])
    back = stored.decode(*stored.encode(res), compute=lambda: pytest.fail("nothing to compute"))
    _same(back, res)


def test_a_long_main_frame_is_left_to_the_service() -> None:
    long = pd.DataFrame({"value": np.arange(stored.FRAME_MAX // 4, dtype="float64")})
    res = Result(long, sections=[Section("table", long.head(3))], doc=lambda: {"n": len(long)})
    result_json, doc_json, frames = stored.encode(res)
    assert doc_json is None and len(frames) < stored.FRAME_MAX  # neither the lazy document nor the long frame
    asked = []
    back = stored.decode(result_json, doc_json, frames, compute=lambda: asked.append(1) or res)
    pd.testing.assert_frame_equal(back.sections[0].frame, long.head(3))
    assert asked == []
    assert back.document() == {"n": len(long)} and len(back.frame) == len(long) and asked == [1]  # computed once
    # fewer rows but too many bytes: not stored either
    wide = pd.DataFrame(np.random.default_rng(0).random((stored.FRAME_ROWS, 10)), columns=[f"c{i}" for i in range(10)])
    assert json.loads(stored.encode(Result(wide))[0])["frame"] == "lazy"
    assert json.loads(stored.encode(Result(wide.head(10)))[0])["frame"] == "stored"


def test_stored_indicators_equal_the_model_on_every_period(wh) -> None:
    """The build's indicators (day-independent columns + controls per status period) read back as the model
    computes them, on the first and last day of every period, today, and far before and after."""
    import datetime as dt

    from critmat import risk_report as rr
    from critmat.models import trade
    from critmat.warehouse import results

    data = rr.risk_data(wh)
    periods = trade.status_periods(data.measures)
    assert len(periods) > 10
    days = {dt.date.today(), dt.date(1990, 1, 1), dt.date(2090, 1, 1)}
    for a, b in periods:
        days |= {d for d in (a, b and b - dt.timedelta(days=1)) if d}
    for day in sorted(days):
        got = results.indicators(wh, day, results.STORED_DESTINATION)
        pd.testing.assert_frame_equal(got, rr._indicators(data, day, results.STORED_DESTINATION), check_exact=True)
    # another destination is not stored: computed
    asked = []
    computed = pd.DataFrame({"material_id": ["x"]})
    got = results.indicators(wh, dt.date.today(), "DEU", compute=lambda: asked.append(1) or computed)
    pd.testing.assert_frame_equal(got, computed)
    assert asked == [1]
    assert results.indicators(wh, dt.date.today(), "DEU") is None


def test_a_damaged_stored_row_is_computed_instead() -> None:
    """A stored row whose JSON or Arrow bytes are damaged (an edited or cut file) is not an error: the
    service computes the answer."""
    ok = pd.DataFrame({"material": ["gallium"], "mass_t": [1.5]})
    res = Result(ok, title="t", sections=[Section("table", ok)])
    result_json, doc_json, frames = stored.encode(res)

    def raw(wh, region="x"):
        return res

    class Stub:
        closed = False

        def __init__(self, row):
            self.row = row

        def has(self, name):
            return name == stored.TABLE

        def rows(self, query, params=None):
            if "question FROM" in query:
                return [(stored.service_name(raw), stored.question(raw, (), {}))]
            return [self.row]

        _critmat_build_id = "stub"

    from critmat.services import context

    for row in [("{not json", doc_json, frames), (result_json, doc_json, frames[: len(frames) // 2]),
                (result_json, doc_json, b"\0" * len(frames))]:
        context.clear()
        hit = stored.lookup(Stub(row), raw, (), {})
        assert hit is None  # the section's frame cannot be read: computed by the caller
    # the main frame is read only when asked for: a damaged one is computed then
    long = pd.DataFrame({"v": range(10)})
    lres = Result(long, sections=[])
    rj, dj, fr = stored.encode(lres)
    back = stored.decode(rj, dj, b"\0" * len(fr), compute=lambda: lres)
    pd.testing.assert_frame_equal(back.frame, long)


def test_a_scenario_label_carries_the_registry_year(wh) -> None:
    """The exposure's need reads the scenario's registry year from its stored spec without validating the
    scenario (no pydantic model): the same year as the validated one."""
    from critmat import risk_report as rr
    from critmat.warehouse import access

    names = access.spec_names(wh, "scenario")
    assert names
    for name in names:
        assert access.scenario_label(wh, name).registry_year == access.scenario(wh, name).registry_year
    assert rr._registry_year(rr.risk_data(wh), names[0]) == access.scenario(wh, names[0]).registry_year
