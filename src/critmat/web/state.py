"""What the server holds: the warehouse path (opened read-only, one connection per thread), its build id,
the default region, a bounded cache of rendered responses keyed on the build id, and the bound on how many
answers it computes at once.

The build id is a short hash of the warehouse's ``meta`` fingerprint and ``built_at``: every ETag and cache
entry carries it. The server looks at the warehouse file at most once a second (:meth:`ServerState.refresh`):
when ``critmat build`` has swapped in a new file, it adopts the new build id, drops every cached answer and
reopens its connections, so no cached answer outlives the build it came from (and no restart is needed).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from critmat.warehouse import Warehouse

Entry = tuple[bytes, str, dict[str, str]]


class Busy(Exception):
    """Every compute slot stayed taken for ``compute_wait`` seconds (answered 503 with Retry-After)."""


@dataclass
class ServerState:
    db: Path
    region: str = "nh-fl"
    tiles: str | None = None            # opt-in basemap tile URL template (None: no tiles, fully offline)
    tiles_attribution: str = ""
    build_id: str = ""
    built_at: str = ""
    critmat_version: str = ""
    cache_entries: int = 1024
    cache_max_bytes: int = 8_000_000    # a larger answer is rendered every time (none of the defaults is)
    max_compute: int = 2                # answers computed at once in this process (the rest wait their turn)
    compute_wait: float = 60.0          # seconds a request waits for a compute slot before a 503
    check_interval: float = 1.0         # seconds between looks at the warehouse file
    generation: int = 0                 # bumped when a new build is adopted
    warm: bool = False                  # the start-up warm-up has rendered the default answers
    pool: Any = None                    # a ProcessPoolExecutor of compute processes (None: compute in-process)
    pool_size: int = 0                  # its number of processes
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _cache: OrderedDict[str, Entry] = field(default_factory=OrderedDict, repr=False)
    _alias: OrderedDict[str, str] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _flight: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    _slots: threading.BoundedSemaphore | None = field(default=None, repr=False)
    _open: list[Warehouse] = field(default_factory=list, repr=False)
    _stamp: tuple[int, int, int] | None = field(default=None, repr=False)
    _checked: float = field(default=0.0, repr=False)
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _users: int = field(default=0, repr=False)
    _pending: tuple[int, int, int] | None = field(default=None, repr=False)
    _registered: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.max_compute)
        self._adopt(self._file_stamp())

    # ------------------------------------------------------------------------------------- the build
    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.db)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _adopt(self, stamp: tuple[int, int, int] | None) -> None:
        with Warehouse(self.db) as wh:
            fp, built = wh.meta("fingerprint") or "", wh.meta("built_at") or ""
            version = wh.meta("critmat_version") or ""
        self.built_at, self.critmat_version = built, version
        self.build_id = hashlib.sha256(f"{fp}|{built}".encode()).hexdigest()[:16]
        self._stamp = stamp

    def refresh(self, force: bool = False) -> bool:
        """Look whether ``critmat build`` replaced the warehouse file (at most one look per ``check_interval``
        seconds unless ``force``). A new file is adopted as soon as no computation is using the old one
        (DuckDB shares one database instance per file path in a process, so every old connection is closed
        first): new build id, every cached answer dropped, connections reopened. Until then no cached answer
        is served and new computations wait. True when a new build was adopted now."""
        now = time.monotonic()
        if not force and now - self._checked < self.check_interval:
            return False
        self._checked = now
        stamp = self._file_stamp()
        if stamp is None or stamp == self._stamp:
            return False
        with self._cond:
            if stamp == self._stamp:
                return False
            self._pending = stamp
            if self._users:
                return False  # the last computation to finish swaps
            return self._swap()

    @property
    def swapping(self) -> bool:
        return self._pending is not None

    def _swap(self) -> bool:
        """(holding ``_cond``, no computation running) close every connection, adopt the pending build."""
        stamp, self._pending = self._pending, None
        self._cond.notify_all()
        self.close()
        self.generation += 1  # every thread reopens its connection
        old = self.build_id
        try:
            self._adopt(stamp)
        except Exception:  # noqa: BLE001 - a broken file: keep the build id (its answers), reopen lazily
            self._stamp = stamp
            return False
        with self._lock:
            self._cache.clear()
            self._alias.clear()
        return self.build_id != old

    @contextmanager
    def using(self) -> Iterator[None]:
        """A computation reading the warehouse: waits while a new build is being adopted; the last one to
        finish adopts a pending build."""
        with self._cond:
            while self._pending is not None:
                if not self._users:
                    self._swap()
                    break
                self._cond.wait(timeout=1.0)
            self._users += 1
        try:
            yield
        finally:
            with self._cond:
                self._users -= 1
                if not self._users and self._pending is not None:
                    self._swap()

    def warehouse(self) -> Warehouse:
        """This thread's read-only connection to the warehouse (DuckDB connections are not shared by threads);
        reopened after a new build was adopted."""
        held = getattr(self._local, "wh", None)
        if held is not None and held[0] == self.generation:
            return held[1]
        if held is not None:
            with self._lock:
                if held[1] in self._open:
                    self._open.remove(held[1])
            try:
                held[1].close()
            except Exception:  # noqa: BLE001 - the old build's connection (closed already at the swap)
                pass
        wh = Warehouse(self.db)
        self._local.wh = (self.generation, wh)
        with self._lock:
            if not self._registered:
                atexit.register(self.close)
                self._registered = True
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

    # ------------------------------------------------------------------------------------- the cache
    def lookup(self, key: str) -> tuple[str, Entry] | None:
        """``(canonical key, rendered answer)`` for a canonical key or for a request key that led to one."""
        with self._lock:
            canon = self._alias.get(key, key)
            hit = self._cache.get(canon)
            if hit is None:
                return None
            self._cache.move_to_end(canon)
            return canon, hit

    def remember(self, key: str, body: bytes, media_type: str, headers: dict[str, str],
                 aliases: tuple[str, ...] = ()) -> None:
        """Keep an answer under its canonical ``key``; ``aliases`` (the raw request keys) point to it."""
        if len(body) > self.cache_max_bytes or not key.startswith(self.build_id + "|"):
            return  # too large, or computed for a build that has since been replaced
        with self._lock:
            self._cache[key] = (body, media_type, headers)
            self._cache.move_to_end(key)
            for a in aliases:
                if a != key:
                    self._alias[a] = key
                    self._alias.move_to_end(a)
            while len(self._cache) > self.cache_entries:
                self._cache.popitem(last=False)
            while len(self._alias) > 4 * self.cache_entries:
                self._alias.popitem(last=False)

    def alias(self, raw: str, key: str) -> None:
        if raw == key:
            return
        with self._lock:
            if self._alias.get(raw) != key and key in self._cache:
                self._alias[raw] = key
                while len(self._alias) > 4 * self.cache_entries:
                    self._alias.popitem(last=False)

    @contextmanager
    def single_flight(self, key: str) -> Iterator[None]:
        """One computation per key at a time: concurrent requests for the same answer wait for the first
        and then find it in the cache."""
        with self._lock:
            entry = self._flight.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    self._flight.pop(key, None)

    @contextmanager
    def compute_slot(self) -> Iterator[None]:
        """At most ``max_compute`` answers are computed at once; a request waits up to ``compute_wait``
        seconds for a slot, then gets a 503 (:class:`Busy`)."""
        assert self._slots is not None
        if not self._slots.acquire(timeout=self.compute_wait):
            raise Busy(f"the server is computing {self.max_compute} other answers; try again shortly")
        try:
            yield
        finally:
            self._slots.release()

    # ------------------------------------------------------------------------------------- compute processes
    def start_pool(self, processes: int) -> None:
        """Start ``processes`` compute processes (spawned: a fork of a threaded server holding DuckDB
        connections is unsafe), each opening the warehouse read-only."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from critmat.web import jobs

        if processes > 0 and self.pool is None:
            self.pool_size = processes
            self.pool = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=jobs.prepare, initargs=(str(self.db),))

    def stop_pool(self) -> None:
        """Stop the compute processes now (a computation in progress is abandoned: the server is stopping)."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if hasattr(pool, "terminate_workers"):  # Python >= 3.14: the public way
            pool.terminate_workers()
            return
        # before 3.14 no public call names a pool's processes (multiprocessing.active_children() would also
        # take other children of a test process): the executor's own map
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)

    def run_job(self, fn: Any, params: dict[str, Any], kind: str, csv: bool, name: str,
                build: str) -> Entry:
        """``fn(wh, **params)`` rendered, computed in a compute process; its error raised here (a critmat
        error as itself: 404/422; anything else as a bug: 500, logged). A pool whose process died is
        replaced and the job run once more."""
        from concurrent.futures.process import BrokenProcessPool

        from critmat import errors
        from critmat.web import jobs

        for attempt in (1, 2):
            pool = self.pool
            try:
                status, value = pool.submit(jobs.run, str(self.db), fn, params, kind, csv, name, build).result()
                break
            except BrokenProcessPool:
                processes = self.pool_size
                with self._lock:
                    if self.pool is pool:
                        self.pool = None
                        pool.shutdown(wait=False, cancel_futures=True)
                        self.start_pool(processes)
                if attempt == 2:
                    raise
        if status == "ok":
            return value
        if status == "critmat":
            cls = getattr(errors, value[0], None)
            if isinstance(cls, type) and issubclass(cls, errors.CritmatError):
                try:
                    raise cls(value[1])
                except TypeError:  # an error class with another signature
                    pass
            raise errors.CritmatError(value[1])
        raise RuntimeError(f"compute process failed:\n{value}")

    def cache_size(self) -> int:
        return len(self._cache)

    def cache_stats(self) -> dict[str, Any]:
        with self._lock:
            return {"entries": len(self._cache), "bytes": sum(len(v[0]) for v in self._cache.values())}

