"""Answers the build stores: the default results of the services, so that a first question is one query.

After ``critmat build`` has written the tables, it asks every question of :func:`questions` (for each region
pack: its stock, its pipeline and its flows under every bundled scenario, by material, year and asset class,
with the services' other parameters at their defaults) and stores each :class:`~critmat.services.base.Result` in the table ``answers``
(:func:`compute`). A service decorated with :func:`critmat.services.context.answer` looks there first
(:func:`lookup`) and computes only what was not stored. The answers live in the warehouse file of the build
they came from, so none outlives it; a test asks every stored question again and compares.

Table ``answers``, one row per question (no pickle: data never runs code):

- ``service``: the function (``critmat.services.stock.stock``); ``question``: its arguments after the
  warehouse, defaults filled in, as sorted JSON (so ``stock(wh, "nh-fl")`` and ``stock(wh, region="nh-fl",
  by="material")`` are one question; ``progress`` is not part of a question);
- ``result_json``: title, caption, units, sources, params, hint, the sections without their frames, and the
  byte range of each frame in ``frames``;
- ``frames``: the main frame and each section's frame as Arrow IPC streams, one after the other (a frame is
  stored only when it reads back equal: dtypes, index and column names). A main frame over
  :data:`FRAME_ROWS` rows or :data:`FRAME_MAX` bytes is not stored: the long rows of a flows answer come
  from the service when asked for (a CSV), while the tables a reader sees are stored;
- ``doc_json``: the JSON document when the service built it eagerly; NULL when it is built on first use (a
  lazy ``doc``, e.g. the 46,000 flow rows as JSON, ~13 MB): then the service computes it when asked.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from critmat.services.base import Result
    from critmat.warehouse.access import TableSource

TABLE = "answers"
COLUMNS = ["service", "question", "result_json", "doc_json", "frames"]
SKIP = ("progress",)  # arguments that do not change the answer
SIMPLE = (str, int, float, bool, type(None))
#: Errors of a damaged stored row (bad JSON, cut or foreign Arrow bytes: pyarrow raises ArrowInvalid, a
#: ValueError, or ArrowIOError, an OSError): the service then computes the answer.
UNREADABLE = (ValueError, KeyError, TypeError, IndexError, OSError)
FRAME_ROWS = 5_000  # a main frame with more rows is not even encoded (the build's time)
FRAME_MAX = 256 * 1024  # bytes of Arrow IPC; a longer frame is computed when asked for (DuckDB reads a large
#                         BLOB column whole: one 5 MB frame made every stored answer ~30 ms slower to read)


class NotStorable(ValueError):
    """An answer that would not read back equal (its reason names what)."""


def service_name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


@functools.lru_cache(maxsize=None)
def _signature(fn: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(fn)


def question(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> str | None:
    """The arguments of ``fn(wh, *args, **kwargs)`` after the warehouse, defaults filled in, as sorted JSON;
    None when they cannot be a stored question (not plain numbers, text, booleans or None)."""
    try:
        bound = _signature(fn).bind(None, *args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    first = next(iter(bound.arguments))
    items = {k: v for k, v in bound.arguments.items() if k != first and k not in SKIP}
    if not all(isinstance(v, SIMPLE) for v in items.values()):
        return None
    return json.dumps(items, sort_keys=True)


# ------------------------------------------------------------------------------------------ the questions


def questions(wh: TableSource) -> Iterator[tuple[Callable[..., Any], tuple, dict[str, Any]]]:
    """The default questions the build answers: per region pack, ``stock`` (the stock and the pipeline)
    and ``flows`` under every bundled scenario, its table by material (the command line's default), year
    (the dashboard's) and asset class, at region level."""
    from critmat.services import flows, stock
    from critmat.warehouse import access

    for rid in access.region_ids(wh):
        yield stock.stock, (rid,), {}
        yield stock.stock, (rid,), {"pipeline": True}
        for name in access.spec_names(wh, "scenario"):
            for by in flows.BY:
                yield flows.flows, (rid, name), {} if by == "material" else {"by": by}


def compute(wh: TableSource, say: Callable[[str], None] | None = None) -> pd.DataFrame:
    """The ``answers`` table: every question of :func:`questions` asked of ``wh`` (the new build's tables)."""
    import pandas as pd

    say = say or (lambda _m: None)
    rows = []
    for fn, args, kwargs in questions(wh):
        raw = getattr(fn, "__wrapped__", fn)
        q = question(raw, args, kwargs)
        if q is None:
            raise ValueError(f"{service_name(raw)}{args}: not a question that can be stored")
        what = f"{raw.__name__} {' '.join(map(str, args))} {' '.join(f'{k}={v}' for k, v in kwargs.items())}"
        say(f"answers: {what}")
        try:
            result_json, doc_json, frames = encode(raw(wh, *args, **kwargs))
        except NotStorable as exc:  # computed on first use instead, with the same numbers
            say(f"answers: {what} not stored ({exc})")
            continue
        rows.append((service_name(raw), q, result_json, doc_json, frames))
    return pd.DataFrame(rows, columns=COLUMNS)


# ------------------------------------------------------------------------------------------ format


def _frame_bytes(df: pd.DataFrame, what: str, limit: int | None = None) -> bytes:
    """``df`` as one Arrow IPC stream; :class:`NotStorable` unless it reads back equal (not checked when it
    is longer than ``limit`` bytes: it will not be stored)."""
    import pandas as pd
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(df)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise NotStorable(f"{what}: {exc}") from None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    data = sink.getvalue().to_pybytes()
    if limit is not None and len(data) > limit:
        return data
    try:
        pd.testing.assert_frame_equal(_read_frame(data), df, check_exact=True)
    except AssertionError as exc:
        raise NotStorable(f"{what} does not read back equal: {' '.join(str(exc).split())[:200]}") from None
    return data


def _read_frame(data: bytes | memoryview) -> pd.DataFrame:
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(data)).read_all().to_pandas()


def encode(res: Result) -> tuple[str, str | None, bytes]:
    """``(result_json, doc_json, frames)`` of one answer (see the module docstring)."""
    from critmat.services.base import _jsonable

    parts: list[bytes] = []
    ranges: list[list[int] | None] = []
    pos = 0
    for i, frame in enumerate([res.frame, *(s.frame for s in res.sections)]):
        if frame is None or (i == 0 and len(frame) > FRAME_ROWS):  # long rows: computed when asked for
            ranges.append(None)
            continue
        data = _frame_bytes(frame, "the main frame" if i == 0 else f"section {res.sections[i - 1].name!r}",
                            FRAME_MAX)
        if len(data) > FRAME_MAX:
            if i:
                raise NotStorable(f"section {res.sections[i - 1].name!r}: {len(data):,} bytes")
            ranges.append(None)  # the main frame is then computed when asked for
            continue
        parts.append(data)
        ranges.append([pos, pos + len(data)])
        pos += len(data)
    raw_doc = object.__getattribute__(res, "doc")
    doc_kind = "none" if raw_doc is None else ("lazy" if callable(raw_doc) else "stored")
    meta = {"title": res.title, "caption": res.caption, "units": res.units, "sources": list(res.sources),
            "params": res.params, "hint": res.hint, "doc": doc_kind, "frames": ranges,
            "frame": "stored" if ranges[0] is not None else "lazy",
            "sections": [{"name": s.name, "title": s.title, "caption": s.caption, "text": s.text, "hint": s.hint}
                         for s in res.sections]}
    dump = functools.partial(json.dumps, ensure_ascii=False, default=_jsonable)
    doc_json = dump(raw_doc) if doc_kind == "stored" else None
    return dump(meta), doc_json, b"".join(parts)  # key order kept: a face shows params in order


def decode(result_json: str, doc_json: str | None, frames: bytes,
           compute: Callable[[], Result]) -> Result:
    """The :class:`Result` of a stored row. The main frame is read on first use; a document that was not
    stored comes from ``compute()`` (the service run) when asked for."""
    from critmat.services.base import Result, Section

    meta = json.loads(result_json)
    view = memoryview(frames)

    def frame(i: int) -> pd.DataFrame | None:
        r = meta["frames"][i]
        return None if r is None else _read_frame(view[r[0]:r[1]])

    computed = functools.cache(compute)
    sections = [Section(frame=frame(i + 1), **s) for i, s in enumerate(meta["sections"])]

    @functools.cache
    def main() -> pd.DataFrame:
        if meta["frame"] == "stored":
            try:
                return frame(0)
            except UNREADABLE:  # a damaged row: the service computes it
                pass
        return computed().frame

    if meta["doc"] == "stored":
        doc: Any = functools.cache(lambda: json.loads(doc_json))
    elif meta["doc"] == "lazy":
        doc = functools.cache(lambda: computed().doc)
    else:
        doc = None
    return Result(main, title=meta["title"], caption=meta["caption"],
                  units=meta["units"], sources=meta["sources"], params=meta["params"], doc=doc,
                  sections=sections, hint=meta["hint"])


# ------------------------------------------------------------------------------------------ reading


def _index(wh: TableSource) -> frozenset[tuple[str, str]]:
    from critmat.services.context import memo

    return memo(wh, ("stored-answers",), lambda: frozenset(
        wh.rows(f"SELECT service, question FROM {TABLE}")))


def lookup(wh: TableSource, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Result | None:
    """The stored answer to ``fn(wh, *args, **kwargs)`` (``fn`` undecorated), or None when the build did not
    store this question (or ``wh`` is not a warehouse with stored answers)."""
    if not hasattr(wh, "rows") or getattr(wh, "closed", False) or not wh.has(TABLE):
        return None
    q = question(fn, args, kwargs)
    name = service_name(fn)
    if q is None or (name, q) not in _index(wh):
        return None
    found = wh.rows(f"SELECT result_json, doc_json, frames FROM {TABLE} WHERE service = ? AND question = ?",
                    [name, q])
    if not found:
        return None
    result_json, doc_json, frames = found[0]
    try:
        return decode(result_json, doc_json, frames, lambda: fn(wh, *args, **kwargs))
    except UNREADABLE:  # a damaged row (the file was edited or cut): the service computes the answer
        return None
