"""Trade measures (export controls, bans, quotas and their suspensions) on critical raw materials.

Pure functions on the frames of the ``policy`` data package (resources ``trade_measures``,
``measure_materials`` and ``crma_benchmarks``); no I/O.

Date conventions: ``announced_date`` is the day a measure was issued, ``effective_date`` its first
day in force and ``end_date`` its last day in force (inclusive; empty = open-ended). A measure whose
``suspended_by`` names another measure (of instrument ``suspension``) is suspended on every day that
suspension is itself in force. Statuses, in order of precedence:

``not_announced``  before ``announced_date``;
``lifted``         after ``end_date``;
``suspended``      a suspension naming it is active that day;
``active``         on or after ``effective_date``;
``announced``      otherwise (announced, not yet in force, or no entry-into-force date known).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd

from critmat.errors import DataError, ModelError, UnknownIdError

STATUSES = ("not_announced", "announced", "active", "suspended", "lifted")
"""Every value :func:`status_on` can return (the package column uses the last four)."""

Groups = Mapping[str, Sequence[str]]


def _as_date(value: Any, what: str = "date") -> dt.date | None:
    """A ``datetime.date`` from a date, Timestamp, ISO string or missing value (-> None)."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ModelError(f"{what} {value!r} is not an ISO date (YYYY-MM-DD)") from None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ModelError(f"{what} {value!r} is not a date")


def _text(value: Any) -> str | None:
    """A non-empty string or None (for nullable id columns)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    return text or None


def _plain(value: Any) -> str:
    """A cell as text as it stands ("" when empty)."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _lookup(measures: pd.DataFrame, measure_id: str) -> Mapping[str, Any]:
    hit = measures[measures["measure_id"].astype(str) == measure_id]
    if hit.empty:
        raise UnknownIdError(f"unknown measure '{measure_id}' (not in trade_measures.measure_id)")
    return hit.iloc[0].to_dict()


def status_on(measure: Mapping[str, Any] | pd.Series, on: dt.date | str,
              measures: pd.DataFrame | None = None) -> str:
    """Status of one measure (a row of ``trade_measures``) on the day ``on``.

    ``measures`` (the whole ``trade_measures`` frame) is needed to resolve ``suspended_by``; a
    suspension's own status is computed the same way, so suspending a suspension works. Returns one
    of :data:`STATUSES` (see the module docstring for the rules).
    """
    return _status(dict(measure), on, measures, frozenset())


def _status(row: dict[str, Any], on: dt.date | str, measures: pd.DataFrame | None,
            seen: frozenset[str]) -> str:
    day = _as_date(on, "on")
    if day is None:
        raise ModelError("status_on needs a date (on=...)")
    mid = _text(row.get("measure_id")) or "?"
    announced = _as_date(row.get("announced_date"), f"{mid}.announced_date")
    effective = _as_date(row.get("effective_date"), f"{mid}.effective_date")
    end = _as_date(row.get("end_date"), f"{mid}.end_date")
    if announced is not None and day < announced:
        return "not_announced"
    if end is not None and day > end:
        return "lifted"
    suspender = _text(row.get("suspended_by"))
    if suspender is not None:
        if measures is None:
            raise ModelError(f"measure '{mid}' is suspended by '{suspender}': pass measures= "
                             "(the trade_measures frame) to resolve the suspension")
        if suspender == mid or suspender in seen:
            raise ModelError(f"suspension cycle through measure '{suspender}'")
        if _status(dict(_lookup(measures, suspender)), day, measures, seen | {mid}) == "active":
            return "suspended"
    if effective is not None and day >= effective:
        return "active"
    return "announced"


def statuses_on(measures: pd.DataFrame, on: dt.date | str) -> pd.Series:
    """Status of every measure on ``on``, as a Series indexed like ``measures``."""
    return pd.Series([status_on(row, on, measures) for row in measures.to_dict("records")],
                     index=measures.index, dtype="string", name="status_on")


def status_periods(measures: pd.DataFrame) -> list[tuple[dt.date | None, dt.date | None]]:
    """The periods ``[start, end)`` in which no measure's status changes, in order, covering every day
    (the first starts at None, the last ends at None). A status changes only on a measure's announced or
    effective date, or the day after its end date; a suspension's status is a measure's status too, so the
    same days bound it."""
    days: set[dt.date] = set()
    for row in measures.to_dict("records"):
        mid = _text(row.get("measure_id")) or "?"
        for col, shift in (("announced_date", 0), ("effective_date", 0), ("end_date", 1)):
            d = _as_date(row.get(col), f"{mid}.{col}")
            if d is not None:
                days.add(d + dt.timedelta(days=shift))
    bounds: list[dt.date | None] = [None, *sorted(days), None]
    return list(zip(bounds[:-1], bounds[1:]))


def related_materials(material_id: str, groups: Groups | None = None) -> set[str]:
    """Ids whose measures affect ``material_id``: itself, its members and every overlapping group.

    ``groups`` maps a group id (e.g. ``rare_earth_elements_heavy``) to its member ids
    (``dysprosium``, ...). For an element: the groups containing it. For a group: its members and
    every group sharing a member with it (so a measure on ``rare_earth_elements`` or
    ``rare_earth_elements_for_magnets`` affects ``rare_earth_elements_heavy``).
    """
    groups = groups or {}
    core = {material_id} | set(groups.get(material_id, ()))
    out = set(core)
    for group, members in groups.items():
        if core & set(members):
            out.add(group)
    return out


def group_map(material_groups: pd.DataFrame) -> dict[str, list[str]]:
    """``{group_id: [material_id, ...]}`` from a ``material_groups`` frame (reference package)."""
    return {str(g): sorted(map(str, sub["material_id"]))
            for g, sub in material_groups.groupby("group_id", sort=True)}


def controls_for(material_id: str, measures: pd.DataFrame, measure_materials: pd.DataFrame,
                 on: dt.date | str | None = None, *, groups: Groups | None = None,
                 statuses: Collection[str] = ("active",),
                 include_suspensions: bool = False, status: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Measures affecting a material, directly or through its group or member elements.

    Returns the ``trade_measures`` rows (all columns) plus ``via`` (the linked material ids that
    matched, ``;``-separated), ``scope_note`` (their scope notes, `` | ``-separated), ``forms`` (the union
    of the forms the links cover, ``;``-separated; empty when not recorded) and ``status_on``.
    With ``on`` given, only measures whose status on that day is in ``statuses`` are kept (default:
    in force); with ``on=None`` every linked measure is returned and ``status_on`` is empty.
    Measures of instrument ``suspension`` ease other measures rather than restrict exports, so they
    are left out unless ``include_suspensions``. Sorted by effective date, then id. ``status``: measure id →
    status on ``on`` when already known (:func:`statuses_on`; a caller asking for many materials).
    """
    bad = set(statuses) - set(STATUSES)
    if bad:
        raise ModelError(f"unknown status(es) {sorted(bad)}; use {list(STATUSES)}")
    related = related_materials(material_id, groups)
    links = measure_materials[measure_materials["material_id"].astype(str).isin(related)]
    cols = list(measures.columns) + ["via", "scope_note", "forms", "status_on"]
    if links.empty:
        return pd.DataFrame(columns=cols)
    # per measure: the linked materials (sorted), their scope notes and the union of their forms (a few dozen
    # links: Python, not a pandas group-by)
    per: dict[str, list[tuple[str, str, str]]] = {}
    for measure, material, note, form in zip(
            links["measure_id"].astype(str), links["material_id"].astype(str),
            links["scope_note"] if "scope_note" in links else [None] * len(links),
            links["forms"] if "forms" in links else [None] * len(links)):
        per.setdefault(measure, []).append((material, _plain(note), _plain(form)))
    grouped = {}
    for measure, rows in per.items():
        rows.sort(key=lambda r: r[0])
        grouped[measure] = (";".join(r[0] for r in rows), " | ".join(r[1] for r in rows if r[1]),
                            ";".join(sorted({f for r in rows for f in r[2].split(";") if f})))
    out = measures[measures["measure_id"].astype(str).isin(list(grouped))].copy()
    if not include_suspensions:
        out = out[out["instrument"].astype(str) != "suspension"]
    out = out.drop(columns=[c for c in ("via", "scope_note", "forms", "status_on") if c in out.columns])
    ids = out["measure_id"].astype(str)
    for i, col in enumerate(("via", "scope_note", "forms")):
        out[col] = [grouped[m][i] for m in ids]
    if on is None:
        out["status_on"] = pd.Series(pd.NA, index=out.index, dtype="string")
    else:
        known = [status.get(str(m)) if status is not None else None for m in out["measure_id"]]
        out["status_on"] = pd.Series([k if k is not None else status_on(row, on, measures)
                                      for k, row in zip(known, out.to_dict("records"))],
                                     index=out.index, dtype="string")
        out = out[out["status_on"].isin(list(statuses))]
    eff = out["effective_date"].map(lambda v: _as_date(v) or dt.date.max) if len(out) else out["effective_date"]
    out = out.assign(_eff=eff).sort_values(["_eff", "measure_id"]).drop(columns="_eff")
    return out[cols].reset_index(drop=True)


def _line(pos: int) -> int:
    """CSV line of the row at position ``pos`` (header is line 1)."""
    return pos + 2


def check_measures(measures: pd.DataFrame, measure_materials: pd.DataFrame, *,
                   measures_file: str | None = None, links_file: str | None = None,
                   known_materials: Collection[str] | None = None) -> None:
    """Rules the table schema cannot express; raises :class:`DataError` naming file, row and column.

    - ``announced_date <= effective_date <= end_date`` (where given);
    - ``suspended_by`` names another existing measure of instrument ``suspension``, and every
      suspension suspends at least one measure;
    - every measure has at least one row in ``measure_materials`` and every link names a known
      measure (and, with ``known_materials``, a known material id).
    """
    ids = measures["measure_id"].astype(str).tolist()
    instruments = dict(zip(ids, measures["instrument"].astype(str)))
    for pos, row in enumerate(measures.to_dict("records")):
        mid = str(row["measure_id"])
        a = _as_date(row.get("announced_date"), "announced_date")
        e = _as_date(row.get("effective_date"), "effective_date")
        z = _as_date(row.get("end_date"), "end_date")
        for (n1, d1), (n2, d2) in [(("announced_date", a), ("effective_date", e)),
                                   (("effective_date", e), ("end_date", z)),
                                   (("announced_date", a), ("end_date", z))]:
            if d1 is not None and d2 is not None and d2 < d1:
                raise DataError(f"measure '{mid}': {n2} {d2} is before {n1} {d1} "
                                f"(dates must satisfy announced <= effective <= end)",
                                file=measures_file, row=_line(pos), column=n2)
        sus = _text(row.get("suspended_by"))
        if sus is not None:
            if sus == mid:
                raise DataError(f"measure '{mid}' cannot suspend itself", file=measures_file,
                                row=_line(pos), column="suspended_by")
            if sus not in instruments:
                raise DataError(f"measure '{mid}': suspended_by '{sus}' is not a measure id of this table",
                                file=measures_file, row=_line(pos), column="suspended_by")
            if instruments[sus] != "suspension":
                raise DataError(f"measure '{mid}': suspended_by '{sus}' has instrument "
                                f"'{instruments[sus]}', expected 'suspension'",
                                file=measures_file, row=_line(pos), column="suspended_by")
    suspenders = {s for s in measures.get("suspended_by", pd.Series(dtype="string")).dropna().astype(str)}
    for pos, mid in enumerate(ids):
        if instruments[mid] == "suspension" and mid not in suspenders:
            raise DataError(f"measure '{mid}' has instrument 'suspension' but no measure names it in "
                            "suspended_by", file=measures_file, row=_line(pos), column="instrument")
    linked = set(measure_materials["measure_id"].astype(str))
    for pos, mid in enumerate(ids):
        if mid not in linked:
            raise DataError(f"measure '{mid}' has no material in measure_materials "
                            "(every measure needs at least one)", file=measures_file, row=_line(pos),
                            column="measure_id")
    known_ids = set(ids)
    mats = set(known_materials) if known_materials is not None else None
    for pos, row in enumerate(measure_materials.to_dict("records")):
        if str(row["measure_id"]) not in known_ids:
            raise DataError(f"unknown measure_id '{row['measure_id']}' (not in trade_measures)",
                            file=links_file, row=_line(pos), column="measure_id")
        if mats is not None and str(row["material_id"]) not in mats:
            raise DataError(f"unknown material_id '{row['material_id']}' (not in materials)",
                            file=links_file, row=_line(pos), column="material_id")


def check_benchmarks(benchmarks: pd.DataFrame, *, file: str | None = None) -> None:
    """Exactly one row with ``used`` true per ``benchmark_id``; raises :class:`DataError`."""
    for bid, sub in benchmarks.groupby("benchmark_id", sort=False):
        n = int(sub["used"].fillna(False).astype(bool).sum())
        if n != 1:
            pos = list(benchmarks.index).index(sub.index[-1])
            raise DataError(f"benchmark '{bid}' has {n} rows with used=true (exactly one required)",
                            file=file, row=_line(pos), column="used")


def used_benchmarks(benchmarks: pd.DataFrame) -> dict[str, float]:
    """``{benchmark_id: value_share}`` of the rows critmat uses (fractions 0..1)."""
    check_benchmarks(benchmarks)
    used = benchmarks[benchmarks["used"].fillna(False).astype(bool)]
    return {str(k): float(v) for k, v in zip(used["benchmark_id"], used["value_share"])}


def check_policy_package(resources: Mapping[str, Any],
                         known_materials: Collection[str] | None = None) -> None:
    """Run :func:`check_measures` and :func:`check_benchmarks` on ``load_package`` output.

    ``resources`` maps resource names to ``LoadedResource`` objects (``.frame``, ``.path``).
    """
    m, links = resources["trade_measures"], resources["measure_materials"]
    check_measures(m.frame, links.frame, measures_file=str(m.path), links_file=str(links.path),
                   known_materials=known_materials)
    if "crma_benchmarks" in resources:
        b = resources["crma_benchmarks"]
        check_benchmarks(b.frame, file=str(b.path))
