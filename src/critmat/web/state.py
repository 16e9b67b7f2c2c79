"""What the server holds: the warehouse path (opened read-only, one connection per thread), its build id,
the default region, and a bounded cache of rendered responses keyed on the build id.

The build id is a short hash of the warehouse's ``meta`` fingerprint and ``built_at``: every ETag and cache
entry carries it, so a rebuilt warehouse (new id, after a restart) never serves an old answer.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from critmat.warehouse import Warehouse


@dataclass
class ServerState:
    db: Path
    region: str = "nh-fl"
    tiles: str | None = None            # opt-in basemap tile URL template (None: no tiles, fully offline)
    tiles_attribution: str = ""
    build_id: str = ""
    built_at: str = ""
    critmat_version: str = ""
    cache_entries: int = 512
    cache_max_bytes: int = 4_000_000
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _cache: OrderedDict[str, tuple[bytes, str, dict[str, str]]] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _open: list[Warehouse] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        with Warehouse(self.db) as wh:
            fp, built = wh.meta("fingerprint") or "", wh.meta("built_at") or ""
            self.critmat_version = wh.meta("critmat_version") or ""
        self.built_at = built
        self.build_id = hashlib.sha256(f"{fp}|{built}".encode()).hexdigest()[:16]

    def warehouse(self) -> Warehouse:
        """This thread's read-only connection to the warehouse (DuckDB connections are not shared by threads)."""
        wh = getattr(self._local, "wh", None)
        if wh is None:
            wh = self._local.wh = Warehouse(self.db)
            with self._lock:
                if not self._open:
                    atexit.register(self.close)
                self._open.append(wh)
        return wh

    def close(self) -> None:
        """Close every thread's connection (at shutdown; a DuckDB connection left to the interpreter's
        teardown in a worker thread can abort the process)."""
        with self._lock:
            opened, self._open = self._open, []
        for wh in opened:
            try:
                wh.close()
            except Exception:  # noqa: BLE001 - closing at shutdown: nothing left to do
                pass

    def cached(self, key: str) -> tuple[bytes, str, dict[str, str]] | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def remember(self, key: str, body: bytes, media_type: str, headers: dict[str, str]) -> None:
        if len(body) > self.cache_max_bytes:
            return
        with self._lock:
            self._cache[key] = (body, media_type, headers)
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_entries:
                self._cache.popitem(last=False)
