"""The warehouse a service reads, and the per-process memo of its answers.

:func:`warehouse` opens the default (or given) warehouse once per process and reopens it when the file
changes (a new build replaces it atomically: new inode, size or modification time) or its inputs change
(:func:`critmat.warehouse.store.open_warehouse` rebuilds a stale one). :func:`memo` caches a computed value
under (build id, key): a value never outlives the build it was computed from, because a new build has a new
id and the memo is emptied when the id changes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource

T = TypeVar("T")

_LOCK = threading.RLock()
_OPEN: dict[str, tuple[tuple[int, int, int], Any]] = {}  # path → (file identity, Warehouse)
_MEMO: dict[tuple[str, Hashable], Any] = {}
_MEMO_BUILD: list[str] = [""]
MEMO_MAX = 256  # entries; the oldest go first


def _identity(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def warehouse(db: str | Path | None = None, check_inputs: bool = True, progress: Callable[[str], None] | None = None,
              rebuild: bool = False) -> Any:
    """The open warehouse at ``db`` (default: the user's), built first when missing or stale.

    ``check_inputs``: compare the inputs' fingerprint with the one the warehouse was built from
    (:func:`critmat.warehouse.store.is_current`); False trusts the file (a server that opened it read-only).
    ``progress``: told each step of a build; ``rebuild``: build even when current.
    """
    from critmat.paths import default_db
    from critmat.warehouse.store import Warehouse, open_warehouse

    path = Path(db) if db else default_db()
    key = str(path.resolve())
    with _LOCK:
        hit = _OPEN.get(key)
        if hit is not None and not rebuild and path.exists() and hit[0] == _identity(path):
            if not check_inputs:
                return hit[1]
            from critmat.warehouse.store import is_current

            if is_current(hit[1]):
                return hit[1]
        if hit is not None:  # close first: DuckDB would hand back the old file's instance while it is open
            try:
                hit[1].close()
            except Exception:  # noqa: BLE001 - an old handle may already be gone
                pass
            del _OPEN[key]
        wh = open_warehouse(path, rebuild=rebuild, progress=progress) if check_inputs else Warehouse(path)
        _OPEN[key] = (_identity(path), wh)
        return wh


def build_id(wh: TableSource) -> str:
    """The id of the build ``wh`` holds (sha256 hex of its content checksum, build time and input
    fingerprint, from ``meta``); a stand-in without ``meta`` gets one per object."""
    import hashlib

    cached = getattr(wh, "_critmat_build_id", None)
    if cached is not None:
        return cached
    import uuid

    # a stand-in (the build's own frames) gets a fresh id: id() of a collected object may come back
    keys = ("checksum", "built_at", "fingerprint")
    if hasattr(wh, "rows"):  # one query
        found = dict(wh.rows("SELECT key, value FROM meta WHERE key IN (?, ?, ?)", list(keys)))
        parts = [str(found.get(k)) for k in keys]
    else:
        parts = [str(wh.meta(k)) for k in keys] if hasattr(wh, "meta") else [uuid.uuid4().hex]
    bid = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    try:
        wh._critmat_build_id = bid
    except AttributeError:  # a read-only stand-in
        pass
    return bid


def memo(wh: TableSource, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per (build of ``wh``, ``key``); the memo empties when another build is asked."""
    bid = build_id(wh)
    with _LOCK:
        if _MEMO_BUILD[0] != bid:
            _MEMO.clear()
            _MEMO_BUILD[0] = bid
        if (bid, key) in _MEMO:
            return _MEMO[(bid, key)]
    value = compute()
    with _LOCK:
        if _MEMO_BUILD[0] == bid:
            if len(_MEMO) >= MEMO_MAX:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[(bid, key)] = value
    return value


def clear() -> None:
    """Forget every open warehouse and memoised answer (tests)."""
    with _LOCK:
        for _, wh in _OPEN.values():
            try:
                wh.close()
            except Exception:  # noqa: BLE001
                pass
        _OPEN.clear()
        _MEMO.clear()
        _MEMO_BUILD[0] = ""


def answer(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Memoise a service function per (build, function, arguments, today's date): a repeated question is a
    lookup; a first one reads the answer the build stored when there is one
    (:func:`critmat.services.stored.lookup`), else computes. Not kept: calls naming a file or folder (``/``,
    ``.yaml``: it may change between calls), and computed answers of calls with a progress callback. Callers
    get a shallow copy (rebinding its attributes is safe; the frames are shared: do not mutate them)."""
    import copy
    import datetime as dt
    import functools

    @functools.wraps(fn)
    def wrapper(wh: TableSource, *args: Any, **kwargs: Any) -> Any:
        from critmat.services import stored
        from critmat.warehouse.access import is_folder

        named = [*args, *kwargs.values()]
        if any(isinstance(v, (str, Path)) and (is_folder(v) or str(v).endswith((".yaml", ".yml"))) for v in named):
            return fn(wh, *args, **kwargs)

        def first() -> Any:
            hit = stored.lookup(wh, fn, args, kwargs)
            return hit if hit is not None else fn(wh, *args, **kwargs)

        if kwargs.get("progress") is not None:
            return first()
        key = (fn.__module__, fn.__qualname__, repr(args), repr(sorted(kwargs.items())), dt.date.today())
        res = copy.copy(memo(wh, key, first))  # a lazy document or frame stays lazy
        res.sections, res.params = list(res.sections), dict(res.params)
        return res

    return wrapper
