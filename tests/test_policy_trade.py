"""critmat.models.trade on small inline frames: status rules, suspensions, group expansion, checks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmat.errors import DataError, ModelError, UnknownIdError
from critmat.models.trade import (
    check_benchmarks,
    check_measures,
    controls_for,
    group_map,
    related_materials,
    status_on,
    statuses_on,
    used_benchmarks,
)

D = dt.date


def measures_frame() -> pd.DataFrame:
    """A licence (open-ended), a US ban suspended by a time-limited suspension, an expired quota."""
    return pd.DataFrame([
        {"measure_id": "chn-2023-023", "instrument": "licence_requirement", "announced_date": D(2023, 7, 3),
         "effective_date": D(2023, 8, 1), "end_date": None, "suspended_by": None},
        {"measure_id": "chn-2024-046-2", "instrument": "ban", "announced_date": D(2024, 12, 3),
         "effective_date": D(2024, 12, 3), "end_date": None, "suspended_by": "chn-2025-072"},
        {"measure_id": "chn-2025-072", "instrument": "suspension", "announced_date": D(2025, 11, 9),
         "effective_date": D(2025, 11, 9), "end_date": D(2026, 11, 27), "suspended_by": None},
        {"measure_id": "cod-2025-quota", "instrument": "quota", "announced_date": D(2025, 9, 20),
         "effective_date": D(2025, 10, 16), "end_date": D(2027, 12, 31), "suspended_by": None},
        {"measure_id": "chn-2025-018", "instrument": "licence_requirement", "announced_date": D(2025, 4, 4),
         "effective_date": D(2025, 4, 4), "end_date": None, "suspended_by": None},
        {"measure_id": "chn-2023-tech", "instrument": "ban", "announced_date": D(2023, 12, 21),
         "effective_date": D(2023, 12, 21), "end_date": None, "suspended_by": None},
    ])


def links_frame() -> pd.DataFrame:
    return pd.DataFrame([
        ("chn-2023-023", "gallium", "metal"), ("chn-2023-023", "germanium", "metal"),
        ("chn-2024-046-2", "gallium", "US ban"), ("chn-2025-072", "gallium", "suspends US ban"),
        ("cod-2025-quota", "cobalt", "quota"), ("chn-2025-018", "dysprosium", "metal, magnets"),
        ("chn-2025-018", "terbium", "metal"), ("chn-2023-tech", "rare_earth_elements_heavy", "technology"),
    ], columns=["measure_id", "material_id", "scope_note"])


GROUPS = {"rare_earth_elements_heavy": ["dysprosium", "terbium", "yttrium"],
          "rare_earth_elements": ["dysprosium", "neodymium", "terbium", "yttrium"],
          "rare_earth_elements_light": ["neodymium"]}


def row(frame: pd.DataFrame, measure_id: str) -> dict:
    return frame[frame["measure_id"] == measure_id].iloc[0].to_dict()


def test_status_follows_dates_with_inclusive_end() -> None:
    m = measures_frame()
    quota = row(m, "cod-2025-quota")
    assert status_on(quota, D(2025, 9, 19)) == "not_announced"
    assert status_on(quota, D(2025, 9, 20)) == "announced"
    assert status_on(quota, D(2025, 10, 16)) == "active"
    assert status_on(quota, D(2027, 12, 31)) == "active"  # last day in force
    assert status_on(quota, "2028-01-01") == "lifted"


def test_suspension_is_respected_only_while_in_force() -> None:
    m = measures_frame()
    ban = row(m, "chn-2024-046-2")
    assert status_on(ban, D(2024, 12, 15), m) == "active"
    assert status_on(ban, D(2025, 11, 9), m) == "suspended"
    assert status_on(ban, D(2026, 11, 27), m) == "suspended"
    assert status_on(ban, D(2026, 11, 28), m) == "active"  # the suspension has ended


def test_suspension_before_entry_into_force_and_nested_suspensions() -> None:
    m = pd.DataFrame([
        {"measure_id": "chn-2025-057", "instrument": "licence_requirement", "announced_date": D(2025, 10, 9),
         "effective_date": D(2025, 11, 8), "end_date": None, "suspended_by": "chn-2025-070"},
        {"measure_id": "chn-2025-070", "instrument": "suspension", "announced_date": D(2025, 11, 7),
         "effective_date": D(2025, 11, 7), "end_date": D(2026, 11, 10), "suspended_by": "chn-2026-001"},
        {"measure_id": "chn-2026-001", "instrument": "suspension", "announced_date": D(2026, 3, 1),
         "effective_date": D(2026, 3, 1), "end_date": D(2026, 3, 31), "suspended_by": None},
    ])
    ho = row(m, "chn-2025-057")
    assert status_on(ho, D(2025, 10, 20), m) == "announced"
    assert status_on(ho, D(2025, 11, 7), m) == "suspended"
    assert status_on(ho, D(2026, 3, 15), m) == "active"  # the suspension itself is suspended
    assert status_on(ho, D(2026, 11, 11), m) == "active"


def test_status_errors() -> None:
    m = measures_frame()
    with pytest.raises(ModelError, match="pass measures="):
        status_on(row(m, "chn-2024-046-2"), D(2025, 1, 1))
    bad = m.copy()
    bad.loc[bad["measure_id"] == "chn-2024-046-2", "suspended_by"] = "chn-2099-999"
    with pytest.raises(UnknownIdError, match="chn-2099-999"):
        status_on(row(bad, "chn-2024-046-2"), D(2025, 1, 1), bad)
    cyc = m.copy()
    cyc.loc[cyc["measure_id"] == "chn-2025-072", "suspended_by"] = "chn-2024-046-2"
    with pytest.raises(ModelError, match="cycle"):
        status_on(row(cyc, "chn-2024-046-2"), D(2025, 12, 1), cyc)
    with pytest.raises(ModelError, match="ISO date"):
        status_on(row(m, "chn-2023-023"), "1 Aug 2023")
    with pytest.raises(ModelError, match="unknown status"):
        controls_for("gallium", m, links_frame(), D(2025, 1, 1), statuses=("in_force",))


def test_no_effective_date_means_announced() -> None:
    nam = {"measure_id": "nam-2023-x", "announced_date": "2023-06-08", "effective_date": None, "end_date": None}
    assert status_on(nam, "2026-11-27") == "announced"


def test_controls_for_gallium_before_and_after_the_us_suspension() -> None:
    m, links = measures_frame(), links_frame()
    dec24 = controls_for("gallium", m, links, D(2024, 12, 15))
    assert list(dec24["measure_id"]) == ["chn-2023-023", "chn-2024-046-2"]
    assert set(dec24["status_on"]) == {"active"}
    dec25 = controls_for("gallium", m, links, D(2025, 12, 15))
    assert list(dec25["measure_id"]) == ["chn-2023-023"]
    with_susp = controls_for("gallium", m, links, D(2025, 12, 15), statuses=("active", "suspended"),
                             include_suspensions=True)
    assert dict(zip(with_susp["measure_id"], with_susp["status_on"])) == {
        "chn-2023-023": "active", "chn-2024-046-2": "suspended", "chn-2025-072": "active"}
    before = controls_for("gallium", m, links, D(2023, 7, 31))
    assert before.empty
    anytime = controls_for("gallium", m, links)
    assert set(anytime["measure_id"]) == {"chn-2023-023", "chn-2024-046-2"}
    assert anytime["status_on"].isna().all()


def test_controls_for_expands_groups_both_ways() -> None:
    m, links = measures_frame(), links_frame()
    dy = controls_for("dysprosium", m, links, D(2025, 6, 1), groups=GROUPS)
    assert list(dy["measure_id"]) == ["chn-2023-tech", "chn-2025-018"]
    assert dict(zip(dy["measure_id"], dy["via"])) == {"chn-2023-tech": "rare_earth_elements_heavy",
                                                      "chn-2025-018": "dysprosium"}
    hree = controls_for("rare_earth_elements_heavy", m, links, D(2025, 6, 1), groups=GROUPS)
    assert dict(zip(hree["measure_id"], hree["via"])) == {"chn-2023-tech": "rare_earth_elements_heavy",
                                                          "chn-2025-018": "dysprosium;terbium"}
    assert "metal, magnets" in hree.set_index("measure_id").at["chn-2025-018", "scope_note"]
    # Without the group map a measure on an element does not reach the group, and vice versa.
    assert list(controls_for("dysprosium", m, links, D(2025, 6, 1))["measure_id"]) == ["chn-2025-018"]
    # A light rare earth shares no member with the heavy group.
    assert controls_for("neodymium", m, links, D(2025, 6, 1), groups=GROUPS).empty


def test_related_materials_and_group_map() -> None:
    assert related_materials("dysprosium", GROUPS) == {"dysprosium", "rare_earth_elements_heavy",
                                                       "rare_earth_elements"}
    assert related_materials("rare_earth_elements_light", GROUPS) == {
        "rare_earth_elements_light", "neodymium", "rare_earth_elements"}
    assert related_materials("cobalt") == {"cobalt"}
    frame = pd.DataFrame({"group_id": ["g", "g", "h"], "material_id": ["b", "a", "a"]})
    assert group_map(frame) == {"g": ["a", "b"], "h": ["a"]}


def test_check_measures_accepts_consistent_frames() -> None:
    check_measures(measures_frame(), links_frame(), known_materials={"gallium", "germanium", "cobalt",
                                                                     "dysprosium", "terbium",
                                                                     "rare_earth_elements_heavy"})


@pytest.mark.parametrize("mutate, column, message", [
    (lambda m, l: m.__setitem__("effective_date", m["effective_date"].where(
        m["measure_id"] != "cod-2025-quota", D(2025, 9, 1))), "effective_date", "before announced_date"),
    (lambda m, l: m.__setitem__("end_date", m["end_date"].where(
        m["measure_id"] != "cod-2025-quota", D(2025, 10, 1))), "end_date", "before effective_date"),
    (lambda m, l: m.__setitem__("suspended_by", m["suspended_by"].where(
        m["measure_id"] != "chn-2023-023", "chn-2023-023")), "suspended_by", "cannot suspend itself"),
    (lambda m, l: m.__setitem__("suspended_by", m["suspended_by"].where(
        m["measure_id"] != "chn-2024-046-2", "cod-2025-quota")), "suspended_by", "expected 'suspension'"),
])
def test_check_measures_names_the_row(mutate, column: str, message: str) -> None:
    m, links = measures_frame(), links_frame()
    mutate(m, links)
    with pytest.raises(DataError, match=message) as err:
        check_measures(m, links, measures_file="trade_measures.csv")
    assert err.value.column == column and err.value.file == "trade_measures.csv"
    assert err.value.row is not None and 2 <= err.value.row <= len(m) + 1


def test_check_measures_links() -> None:
    m, links = measures_frame(), links_frame()
    lonely = links[links["measure_id"] != "cod-2025-quota"].reset_index(drop=True)
    with pytest.raises(DataError, match="cod-2025-quota' has no material") as err:
        check_measures(m, lonely)
    assert err.value.row == 5  # 4th measure row
    with pytest.raises(DataError, match="unknown material_id 'unobtainium'") as err:
        check_measures(m, pd.concat([links, pd.DataFrame([("cod-2025-quota", "unobtainium", "")],
                                                         columns=links.columns)], ignore_index=True),
                       links_file="measure_materials.csv", known_materials={"gallium", "germanium", "cobalt",
                                                                            "dysprosium", "terbium",
                                                                            "rare_earth_elements_heavy"})
    assert err.value.row == len(links) + 2 and err.value.column == "material_id"
    orphan = m[m["measure_id"] != "chn-2024-046-2"].reset_index(drop=True)
    with pytest.raises(DataError, match="no measure names it"):
        check_measures(orphan, links[links["measure_id"] != "chn-2024-046-2"])


def test_benchmarks_need_exactly_one_used_row() -> None:
    b = pd.DataFrame({"benchmark_id": ["p", "p", "r"], "value_share": [0.40, 0.45, 0.25],
                      "used": [True, False, True]})
    assert used_benchmarks(b) == {"p": 0.40, "r": 0.25}
    b.loc[1, "used"] = True
    with pytest.raises(DataError, match="'p' has 2 rows") as err:
        check_benchmarks(b, file="crma_benchmarks.csv")
    assert err.value.row == 3
    b.loc[:, "used"] = False
    with pytest.raises(DataError, match="0 rows"):
        used_benchmarks(b)


dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31))


@given(a=dates, gap1=st.integers(0, 2000), gap2=st.integers(0, 2000), day=dates)
def test_status_progresses_in_order(a: dt.date, gap1: int, gap2: int, day: dt.date) -> None:
    """Without suspensions the status never goes backwards in time and matches the date rules."""
    e, z = a + dt.timedelta(days=gap1), a + dt.timedelta(days=gap1 + gap2)
    m = {"measure_id": "x", "announced_date": a, "effective_date": e, "end_date": z}
    order = ["not_announced", "announced", "active", "lifted"]
    s0, s1 = status_on(m, day), status_on(m, day + dt.timedelta(days=1))
    assert order.index(s0) <= order.index(s1)
    assert (s0 == "active") == (e <= day <= z)


def test_statuses_on_vectorised_matches_rowwise() -> None:
    m = measures_frame()
    s = statuses_on(m, D(2025, 12, 1))
    assert list(s) == [status_on(r, D(2025, 12, 1), m) for r in m.to_dict("records")]
    assert s.iloc[1] == "suspended"


@given(st.lists(st.integers(min_value=-400, max_value=4000), min_size=1, max_size=12))
def test_no_status_changes_inside_a_status_period(offsets: list[int]) -> None:
    """Every day of a period of :func:`status_periods` has the statuses of its first day (suspensions too),
    and the periods cover every day, in order."""
    from critmat.models.trade import status_periods

    m = measures_frame()
    periods = status_periods(m)
    assert periods[0][0] is None and periods[-1][1] is None
    assert all(a[1] == b[0] for a, b in zip(periods, periods[1:]))
    for off in offsets:
        day = D(2023, 1, 1) + dt.timedelta(days=off)
        start, end = next((a, b) for a, b in periods if (a is None or a <= day) and (b is None or day < b))
        first = start or (end - dt.timedelta(days=1))
        last = (end - dt.timedelta(days=1)) if end else day
        assert list(statuses_on(m, day)) == list(statuses_on(m, first)) == list(statuses_on(m, last))
