"""The warehouse: every data package, validated, in one embedded DuckDB file.

``build()`` loads the bundled packages (``critmat/data/packages``, ``critmat/data/regions``) and the
imported ones (``<home>/packages``, written by ``critmat data import``) in dependency order, validates each
resource (see :mod:`critmat.catalog.package`), and writes the tables plus ``sources``, ``fields`` and a
``provenance`` table (dataset, package, source, vintage, sha256, rows) into a new file beside the target,
which then replaces the old one in one atomic rename (:func:`_write_atomic`: write aside, CHECKPOINT, close,
reopen and verify tables, row counts and the checksum stored in ``meta``, fsync, ``os.replace``). A failed or
interrupted build leaves the previous warehouse as it was and removes its temporary files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from critmat import __version__
from critmat.catalog.ident import quote_ident
from critmat.errors import CritmatError, DataError, UnknownIdError
from critmat.paths import bundled_data, default_db, imported_dir, user_regions_dir

if TYPE_CHECKING:
    from critmat.catalog.package import LoadedResource, PackageSpec

Progress = Callable[[str], None]


def discover_packages() -> list[Path]:
    """Package folders: bundled packages, region packs (a pack built with ``critmat region build`` replaces
    the bundled pack of the same id), then imported packages."""
    from critmat.warehouse.staging import is_hidden

    def packs(root: Path, marker: str = "resources.yaml") -> dict[str, Path]:
        # hidden folders are staging areas of a running or killed command: never data
        return ({p.name: p for p in sorted(root.iterdir()) if not is_hidden(p) and (p / marker).exists()}
                if root.is_dir() else {})

    # a region pack is a folder with region.yaml (its regional rules apply at every door)
    for root in (bundled_data() / "regions", user_regions_dir()):
        for p in packs(root).values():
            if not (p / "region.yaml").is_file():
                from critmat.errors import RegionError

                raise RegionError(f"{p}: not a region pack (no region.yaml); every pack in {root} needs one")
    regions = {**packs(bundled_data() / "regions", "region.yaml"), **packs(user_regions_dir(), "region.yaml")}
    return [*packs(bundled_data() / "packages").values(), *regions.values(), *packs(imported_dir()).values()]


def _order(specs: list[tuple[Path, PackageSpec]]) -> list[tuple[Path, PackageSpec]]:
    """Bundled before imported; within each, providers of foreign-key targets first (stable)."""
    provides = {name: i for i, (_, s) in enumerate(specs) for name in (r.name for r in s.resources)}
    deps = {i: {provides[fk.resource] for r in s.resources for fk in r.foreign_keys
                if fk.resource in provides and provides[fk.resource] != i}
            for i, (_, s) in enumerate(specs)}
    ordered: list[int] = []
    visiting: set[int] = set()

    def visit(i: int) -> None:
        if i in ordered:
            return
        if i in visiting:
            raise DataError(f"packages depend on each other in a cycle (at {specs[i][1].name})")
        visiting.add(i)
        for d in sorted(deps[i]):
            if d < i or specs[d][0].parent == specs[i][0].parent:
                visit(d)
        visiting.discard(i)
        ordered.append(i)

    for i in range(len(specs)):
        visit(i)
    return [specs[i] for i in ordered]


def input_files(packages: list[Path]) -> list[Path]:
    """Every file a build reads: the source registry, the field dictionary, the specs and the packages."""
    from critmat.warehouse.derived import spec_dirs

    meta = [p for d in [bundled_data() / "sources", bundled_data() / "fields", *spec_dirs()]
            for p in sorted(d.glob("*.yaml"))]
    return meta + [f for pkg in packages for f in sorted(pkg.iterdir()) if f.is_file()]


def fingerprint(packages: list[Path]) -> str:
    """Hash of critmat's version, the metadata and every package file: a changed input means rebuild."""
    from critmat.catalog.package import sha256_file

    h = hashlib.sha256(__version__.encode())
    for p in input_files(packages):
        h.update(str(p.name).encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()


def stat_key(packages: list[Path]) -> str:
    """Hash of the input files' paths, sizes and modification times: equal → inputs unchanged (no need to
    hash their contents); different → compare :func:`fingerprint`."""
    h = hashlib.sha256(__version__.encode())
    for p in input_files(packages):
        st = p.stat()
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def is_current(wh: "Warehouse") -> bool:
    """Whether ``wh`` was built from the inputs there are now. Without the installed data folder (moved or
    stripped away), the warehouse is all critmat has: it is current."""
    if not (bundled_data() / "packages").is_dir():
        return True
    packages = discover_packages()
    if wh.meta("inputs_stat") == stat_key(packages):
        return True
    return wh.meta("fingerprint") == fingerprint(packages)


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def _is_lock_error(exc: BaseException) -> bool:
    """DuckDB's "Could not set lock on file" / "Conflicting lock" (another process has the file open)."""
    import re

    return re.search(r"\block\b", str(exc).lower()) is not None and "corrupt" not in str(exc).lower()


def check_target(db: str | Path, what: str = "") -> None:
    """Refuse a warehouse path that would overwrite something that is not a critmat warehouse.

    critmat (re)builds a missing or stale warehouse in place; a folder or some other file (a CSV, a YAML,
    another DuckDB database) must not be replaced by it. An empty file (e.g. from ``mktemp``) is fine.
    """
    db = Path(db)
    if db.is_dir():
        raise CritmatError(f"{what}{db}: is a folder; give a file, e.g. {db / 'critmat.duckdb'}")
    if not db.exists():
        return
    try:
        with open(db, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise CritmatError(f"{what}{db}: cannot read ({exc.strerror})") from None
    if not head:
        return
    if head[8:12] != DUCKDB_MAGIC:
        raise CritmatError(f"{what}{db}: exists and is not a DuckDB file; critmat would overwrite it with "
                           "its warehouse (give a new path or a critmat warehouse)")
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        if _is_lock_error(exc):
            return  # in use by another critmat process: opening it will say so
        raise CritmatError(f"{what}{db}: cannot open the DuckDB file ({str(exc).splitlines()[0][:160]}); if it is "
                           f"a damaged critmat warehouse, {REBUILD_HINT}") from None
    try:
        tables = set(con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
    finally:
        con.close()
    if tables and not {"meta", "provenance"} <= tables:
        raise CritmatError(f"{what}{db}: is a DuckDB database but not a critmat warehouse (no meta/provenance "
                           "tables); critmat would overwrite it (give a new path)")


@dataclass
class BuildReport:
    path: Path
    tables: dict[str, int]
    seconds: float


def build(db: str | Path | None = None, packages: list[Path] | None = None,
          progress: Progress | None = None, results: bool | None = None) -> BuildReport:
    """Validate every package and (re)write the warehouse atomically; returns table row counts.

    ``results``: also compute the default stock and flows of every region pack, the supply-risk indicators
    per period of export-control statuses (:mod:`critmat.warehouse.results`) and the services' default
    answers (:mod:`critmat.services.stored`), so that reading them is a query; None: yes unless the
    environment sets ``CRITMAT_BUILD_RESULTS=0`` (then every answer is computed on first use, with the same
    numbers)."""
    if results is None:
        results = os.environ.get("CRITMAT_BUILD_RESULTS", "1").strip() not in ("0", "false", "no")
    from critmat.catalog.fields import field_dictionary
    from critmat.catalog.package import load_resource, read_spec, resource_file, run_checks, sources_frame
    from critmat.catalog.sources import source_registry
    from critmat.warehouse.staging import clean_stale

    t0 = dt.datetime.now()
    target = Path(db) if db else default_db()
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target.parent)
    packages = discover_packages() if packages is None else [Path(p) for p in packages]
    specs = _order([(p, read_spec(p)) for p in packages])
    say = progress or (lambda _m: None)

    tables: dict[str, pd.DataFrame] = {"sources": sources_frame()}
    prov: dict[str, dict] = {}
    registry = source_registry()
    region_packs: dict[Path, list[str]] = {}
    for pkg_dir, spec in specs:
        pkg_loaded: dict[str, LoadedResource] = {}
        for res in spec.resources:
            say(f"{spec.name}/{res.name}")
            loaded = pkg_loaded[res.name] = load_resource(resource_file(pkg_dir, res), res, tables)
            frame = loaded.frame
            if res.name in tables and res.name in prov and spec.combine == "append":
                frame = pd.concat([tables[res.name], frame], ignore_index=True)
                if res.primary_key and frame.duplicated(res.primary_key).any():
                    dup = frame[frame.duplicated(res.primary_key)].iloc[0]
                    raise DataError(f"{res.primary_key} {tuple(dup[res.primary_key])} also in another package",
                                    file=str(loaded.path))
            tables[res.name] = frame
            src_ids = sorted(set(frame["source_id"].dropna())) if "source_id" in frame else (
                [res.source_id] if res.source_id else [])
            vintages = sorted({registry[s].vintage for s in src_ids if s in registry})
            entry = {"dataset": res.name, "package": spec.name, "title": res.title, "path": str(loaded.path),
                     "package_description": spec.description,
                     "source_ids": ", ".join(src_ids), "vintage": "; ".join(vintages), "sha256": loaded.sha256,
                     "rows": len(frame)}
            if res.name in prov and spec.combine == "append":
                old = prov[res.name]
                entry.update(package=f"{old['package']} + {spec.name}", sha256=f"{old['sha256']} + {loaded.sha256}",
                             path=f"{old['path']} + {loaded.path}")
            elif res.name in prov:
                entry["title"] += f" (replaces {prov[res.name]['package']})"
            prov[res.name] = entry
        run_checks(spec, pkg_loaded)
        if (pkg_dir / "region.yaml").is_file():  # the same regional rules as every region command
            _check_region_pack(pkg_dir, pkg_loaded, tables)
            region_packs[pkg_dir] = [r.name for r in spec.resources]

    from critmat.warehouse.derived import regions_table, specs_table

    say("regions and specs")
    tables["regions"] = regions_table(region_packs)
    tables["specs"] = specs_table(tables["streams"]["stream_id"] if "streams" in tables else None)
    fp = fingerprint(packages)
    if results:
        from critmat.warehouse.access import FrameSource
        from critmat.warehouse.results import compute

        tables.update(compute(FrameSource(tables), fp, say))

    fields = pd.DataFrame([f.model_dump(exclude={"constraints"}) for f in field_dictionary().values()])
    meta = pd.DataFrame({"key": ["critmat_version", "built_at", "fingerprint", "inputs_stat"],
                         "value": [__version__, dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
                                   fp, stat_key(packages)]})
    finish = None
    if results:
        from critmat.warehouse.results import after_write

        finish = lambda wh: after_write(wh, say)  # noqa: E731
    _write_atomic(target, {**tables, "fields": fields, "meta": meta,
                           "provenance": pd.DataFrame(prov.values())}, progress=say, finish=finish)
    return BuildReport(target, {k: len(v) for k, v in tables.items()},
                       (dt.datetime.now() - t0).total_seconds())


def _check_region_pack(pkg_dir: Path, loaded: dict[str, LoadedResource], known: dict[str, pd.DataFrame]) -> None:
    from critmat.regions import Region, check_region, read_region_config

    reg = Region(config=read_region_config(pkg_dir), path=pkg_dir,
                 tables={n: r.frame for n, r in loaded.items()}, files={n: r.path for n, r in loaded.items()})
    check_region(reg, technologies=known.get("technologies"))


def _table_checksum(con: duckdb.DuckDBPyConnection, name: str) -> tuple[int, str]:
    """Rows and an order-independent content hash of one table (DuckDB ``hash`` of every row)."""
    rows, digest = con.execute(f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {quote_ident(name)} t").fetchone()
    return int(rows), f"{int(digest):x}"


def content_checksum(con: duckdb.DuckDBPyConnection, names: list[str]) -> str:
    """sha256 over (table, rows, row-hash) of ``names``: what :func:`_write_atomic` stores (over every table
    but ``meta``, which holds it) and verifies."""
    h = hashlib.sha256()
    for name in sorted(names):
        rows, digest = _table_checksum(con, name)
        h.update(f"{name}:{rows}:{digest};".encode())
    return h.hexdigest()


def _fsync(path: Path, directory: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        if directory:
            return  # some file systems do not open folders; the rename is still atomic
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def temp_paths(target: Path, pid: int | None = None) -> tuple[Path, Path]:
    """The temporary database file of a build of ``target`` by process ``pid`` and its DuckDB ``.wal``."""
    tmp = target.with_name(f"{target.name}.building-{pid or os.getpid()}")
    return tmp, tmp.with_name(tmp.name + ".wal")


def _write_atomic(target: Path, tables: dict[str, pd.DataFrame], progress: Progress | None = None,
                  finish: Callable[[Warehouse], dict[str, pd.DataFrame]] | None = None) -> None:
    """Write ``tables`` (name -> frame; must include ``meta`` with ``key, value``) as a new warehouse at
    ``target`` so that it either fully replaces the old file or leaves it untouched. ``finish`` is given
    the new tables as a :class:`Warehouse` and returns more tables to write beside them (the stored
    answers, :mod:`critmat.services.stored`).

    Steps: write a temporary file beside the target, add ``meta`` rows ``checksum`` (see
    :func:`content_checksum`) and ``table_rows``, CHECKPOINT, close, reopen read-only and verify the tables,
    row counts and checksum (a full disk or a lost write fails here), fsync, ``os.replace``, fsync the folder.
    Any error, or a signal, removes the temporary files (incl. the ``.wal``) and leaves the old warehouse.
    """
    import json

    say = progress or (lambda _m: None)
    if "meta" not in tables:
        raise ValueError("_write_atomic needs a meta table")
    tmp, wal = temp_paths(target)
    for p in (tmp, wal):
        p.unlink(missing_ok=True)
    expected = {name: len(frame) for name, frame in tables.items()}
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, frame in tables.items():
                say(f"write {name}")
                con.register("_frame", frame)
                con.execute(f"CREATE TABLE {quote_ident(name)} AS SELECT * FROM _frame")
                con.unregister("_frame")
            if finish is not None:
                for name, frame in finish(Warehouse.over(con, tmp)).items():
                    say(f"write {name}")
                    expected[name] = len(frame)
                    con.register("_frame", frame)
                    con.execute(f"CREATE TABLE {quote_ident(name)} AS SELECT * FROM _frame")
                    con.unregister("_frame")
            checksum = content_checksum(con, [n for n in expected if n != "meta"])
            expected["meta"] += 2
            con.execute("INSERT INTO meta (key, value) VALUES ('checksum', ?), ('table_rows', ?)",
                        [checksum, json.dumps(expected, sort_keys=True)])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if wal.exists() and wal.stat().st_size:
            raise CritmatError(f"{target}: the new warehouse was not written completely (data left in "
                               f"{wal.name}; disk full?); the previous warehouse is unchanged")
        say("verify")
        verify(tmp, expected=expected, checksum=checksum)
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent, directory=True)
    except duckdb.Error as exc:
        _remove(tmp, wal)
        first = " ".join(str(exc).split())[:200]
        raise CritmatError(f"{target}: cannot write the new warehouse ({first}); the previous warehouse is "
                           "unchanged") from None
    except BaseException:
        _remove(tmp, wal)
        raise


def _remove(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass


def verify(path: Path, expected: dict[str, int] | None = None, checksum: str | None = None) -> str:
    """Reopen a warehouse read-only and check its tables, row counts and content checksum against
    ``expected`` / ``checksum`` (default: the ones stored in its ``meta`` table). Returns the checksum;
    raises :class:`CritmatError` on any mismatch."""
    import json

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise CritmatError(f"{path}: cannot reopen the written warehouse ({' '.join(str(exc).split())[:160]})") from None
    try:
        names = set(con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
        if "meta" not in names:
            raise CritmatError(f"{path}: warehouse has no meta table ({len(names)} tables)")
        stored = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if expected is None:
            expected = json.loads(stored.get("table_rows") or "{}")
        if checksum is None:
            checksum = stored.get("checksum")
        if not expected or checksum is None:
            raise CritmatError(f"{path}: warehouse carries no checksum (built by an older critmat)")
        missing = sorted(set(expected) - names)
        if missing:
            raise CritmatError(f"{path}: tables missing after writing: {', '.join(missing[:5])}")
        for name, rows in expected.items():
            got, _ = _table_checksum(con, name)
            if got != rows:
                raise CritmatError(f"{path}: table {name} has {got} rows, {rows} were written")
        actual = content_checksum(con, [n for n in expected if n != "meta"])
        if actual != checksum or stored.get("checksum") != checksum:
            raise CritmatError(f"{path}: content checksum differs from the one written")
        return actual
    finally:
        con.close()


REBUILD_HINT = "delete it and run `critmat build` to rebuild it from the data packages"


class Warehouse:
    """Read access to a built warehouse: ``wh.table("materials")``, ``wh.materials``, ``wh.sql(...)``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.closed = False
        try:
            self._con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                raise
            raise CritmatError(f"{self.path}: cannot open the warehouse ({' '.join(str(exc).split())[:160]}); "
                               f"it may be corrupt: {REBUILD_HINT}") from None
        self._tables = {r[0] for r in self._con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}

    @classmethod
    def over(cls, con: duckdb.DuckDBPyConnection, path: str | Path) -> "Warehouse":
        """Read access through an open connection (the build's, before its file is in place)."""
        wh = cls.__new__(cls)
        wh.path, wh.closed, wh._con = Path(path), False, con
        wh._tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return wh

    def tables(self) -> list[str]:
        return sorted(self._tables)

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a DataFrame."""
        if name not in self._tables:
            raise UnknownIdError(f"no table '{name}' in the warehouse {self.path} (tables: {', '.join(self.tables())})")
        return self._con.execute(f"SELECT * FROM {quote_ident(name)}").df()

    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        """Run a read-only SQL query (DuckDB dialect) and return a DataFrame."""
        return self._con.execute(query, params or []).df()

    def rows(self, query: str, params: list | None = None) -> list[tuple]:
        """Run a read-only SQL query and return its rows as tuples (no DataFrame: a few rows, fast)."""
        return self._con.execute(query, params or []).fetchall()

    def sql_labels(self, query: str, params: list | None = None) -> pd.DataFrame:
        """:meth:`sql` through Arrow, for long tables of labels and numbers (the stored results): a repeated
        string becomes one Python object, 3-4x faster than :meth:`sql` on 140,000 rows of labels; the same
        frame for text, integer and float columns (Arrow maps dates and integers with NULLs otherwise)."""
        cur = self._con.cursor()  # its own connection: the shared one may hold an unfinished result
        try:
            return cur.sql(query, params=params or None).to_arrow_table().to_pandas()
        finally:
            cur.close()

    def has(self, name: str) -> bool:
        return name in self._tables

    @property
    def provenance(self) -> pd.DataFrame:
        return self.table("provenance")

    def meta(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self.__dict__.get("_tables", set()):
            return self.table(name)
        raise AttributeError(f"Warehouse has no table or attribute '{name}'")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | self._tables)

    def close(self) -> None:
        self.closed = True
        self._con.close()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_warehouse(db: str | Path | None = None, rebuild: bool = False,
                   progress: Progress | None = None) -> Warehouse:
    """Open the warehouse, building it first if it is missing, stale (inputs changed) or ``rebuild``.

    A current warehouse is opened once (one read-only connection); only a build checks the target first
    (:func:`check_target`: never overwrite a file that is not a critmat warehouse)."""
    path = Path(db) if db else default_db()
    if not rebuild and path.is_file():
        try:
            wh = Warehouse(path)
        except (duckdb.Error, CritmatError):
            wh = None
        if wh is not None:
            try:
                if wh.has("meta") and is_current(wh):
                    return wh
            except (duckdb.Error, CritmatError):
                pass
            wh.close()
    check_target(path)
    build(path, progress=progress)
    return Warehouse(path)
