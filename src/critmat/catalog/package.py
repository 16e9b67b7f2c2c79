"""Data packages: spec (``resources.yaml``), generated Frictionless descriptor, validated loading.

A package folder holds ``resources.yaml`` (which resources, which fields from the dictionary, keys and
cross-row checks), the CSV files and a generated ``datapackage.json`` (``critmat data package DIR``
writes it; a test checks it is in sync). Loading enforces, in order: UTF-8 encoding, header, per-cell
types and constraints and primary key (Frictionless), foreign keys (to any resource loaded before,
including other packages and the source registry) and group sums (``sum_at_most``). The first failures
become one :class:`~critmat.errors.DataError` naming file, line and column.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from critmat.catalog.fields import Field, get_field
from critmat.catalog.ident import IDENT_PATTERN, quote_ident
from critmat.catalog.ident import is_ident as _is_ident
from critmat.errors import DataError

MAX_REPORTED = 5

#: A resource path: a relative path inside the pack, plain file names ending in ``.csv``.
PATH_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_\-]*(/[A-Za-z0-9_][A-Za-z0-9_\-]*)*\.csv$"

#: The package-level checks a pack may name: critmat's own functions, never a name from data.
#: name -> (module, function); each is called with ``{resource name: LoadedResource}``.
PACKAGE_CHECKS: dict[str, tuple[str, str]] = {
    "circularity": ("critmat.models.circularity", "check_package"),
    "policy": ("critmat.models.trade", "check_policy_package"),
}


class ForeignKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fields: list[str]
    resource: str
    reference: list[str] | None = None  # default: the same names

    @field_validator("resource")
    @classmethod
    def _ident(cls, v: str) -> str:
        if v != "__self__" and not _is_ident(v):
            raise ValueError(f"resource name must match {IDENT_PATTERN}")
        return v


class SumCheck(BaseModel):
    """Within each group ``by``, ``sum(column) <= limit`` (parts cannot exceed the whole)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    by: list[str]
    limit: float = 1.0
    tolerance: float = 0.005


class ResourceSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    path: str
    title: str
    description: str = ""
    fields: list[str]
    required: list[str] = []
    primary_key: list[str] = []
    foreign_keys: list[ForeignKey] = []
    sum_at_most: list[SumCheck] = []
    source_id: str | None = None  # package-level source when rows carry none
    min_rows: int = 0  # a required table: fewer rows (e.g. a header-only file) is an error

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _is_ident(v):
            raise ValueError(f"resource name must match {IDENT_PATTERN} (it becomes a table name)")
        return v

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        import re

        if not re.fullmatch(PATH_PATTERN, v):
            raise ValueError("resource path must be a relative path inside the pack ending in .csv (no absolute "
                             f"path, no '..', letters, digits, '_', '-' and '/' only; rule {PATH_PATTERN})")
        return v

    @model_validator(mode="after")
    def _columns_known(self) -> "ResourceSpec":
        for f in self.fields:
            if not _is_ident(f):
                raise ValueError(f"field name {f!r:.60} must match {IDENT_PATTERN}")
        cols = set(self.fields)
        named = [*self.required, *self.primary_key, *(c for fk in self.foreign_keys for c in fk.fields),
                 *(c for s in self.sum_at_most for c in [s.column, *s.by])]
        bad = [c for c in named if c not in cols]
        if bad:
            raise ValueError(f"column {bad[0]!r:.60} is not one of the resource's fields")
        return self

    def field_defs(self) -> list[Field]:
        return [get_field(f) for f in self.fields]


class PackageSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    description: str = ""
    version: str = "1.0.0"
    licenses: list[dict[str, str]] = [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}]
    # How a resource of this package meets one of the same name loaded earlier: ``replace`` it (an
    # imported complete dataset replacing a curated one) or ``append`` rows (region packs).
    combine: Literal["replace", "append"] = "replace"
    # Package-level rules beyond one table (e.g. date order across measures): names of critmat's own
    # checks (:data:`PACKAGE_CHECKS`), called with ``{name: LoadedResource}`` after every resource has loaded.
    checks: list[str] = []
    resources: list[ResourceSpec]

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"^[a-z][a-z0-9_\-]{0,62}$", v):
            raise ValueError("package name must be lower-case letters, digits, '_' or '-'")
        return v

    @field_validator("checks")
    @classmethod
    def _checks(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in PACKAGE_CHECKS:
                raise ValueError(f"unknown check {name!r:.60}: a pack may only name critmat's own checks "
                                 f"({', '.join(sorted(PACKAGE_CHECKS))})")
        return v

    @model_validator(mode="after")
    def _unique(self) -> "PackageSpec":
        names = [r.name for r in self.resources]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"resource {dup[0]!r} is declared twice")
        return self


def read_spec(pkg_dir: Path) -> PackageSpec:
    path = Path(pkg_dir) / "resources.yaml"
    if not path.exists():
        raise DataError("not a critmat data package (no resources.yaml)", file=str(pkg_dir))
    from critmat import safeyaml

    raw = safeyaml.load(path, DataError)
    if not isinstance(raw, dict):
        raise DataError(f"must hold a mapping (name, title, resources ...), got {type(raw).__name__}",
                        file=str(path))
    try:
        return PackageSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise DataError(f"{'.'.join(map(str, first['loc']))}: {msg[:300]}", file=str(path)) from None
    except DataError as exc:  # an unknown field name (the field dictionary)
        raise DataError(str(exc), file=str(path)) from None


def resource_file(pkg_dir: Path, res: ResourceSpec) -> Path:
    """The file of ``res`` inside ``pkg_dir``; a path that leads out of the pack (absolute, ``..``, a
    symlink to elsewhere) is a :class:`DataError`. Bundled and user packs follow the same rule."""
    import re

    pkg_dir = Path(pkg_dir)
    if not re.fullmatch(PATH_PATTERN, res.path):  # a spec built without validation
        raise DataError(f"resource '{res.name}': path {res.path!r:.80} leads out of the pack", file=str(pkg_dir))
    path = pkg_dir / res.path
    try:
        inside = path.resolve().is_relative_to(pkg_dir.resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise DataError(f"resource '{res.name}': {res.path} is a link to a file outside the pack (not allowed)",
                        file=str(path))
    if path.exists() and not path.is_file():
        raise DataError(f"resource '{res.name}': {res.path} is not a regular file", file=str(path))
    return path


def table_schema(res: ResourceSpec, local: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """Frictionless Table Schema generated from the field dictionary.

    Foreign keys to the resource itself, and to the resources named in ``local`` (the other resources of
    the same package), become Table Schema ``foreignKeys``; keys to resources outside the package cannot be
    expressed there (see :func:`descriptor`).
    """
    req = set(res.required) | set(res.primary_key)
    schema: dict[str, Any] = {"fields": [f.frictionless(f.name in req) for f in res.field_defs()],
                              "missingValues": [""]}
    if res.primary_key:
        schema["primaryKey"] = list(res.primary_key)
    fks = []
    for fk in res.foreign_keys:
        if fk.resource in {"__self__", res.name} or fk.resource in local:
            fields, ref = _checkable(fk, req)
            fks.append({"fields": fields,
                        "reference": {"resource": "" if fk.resource in {"__self__", res.name} else fk.resource,
                                      "fields": ref}})
    if fks:
        schema["foreignKeys"] = fks
    return schema


def _checkable(fk: ForeignKey, required: set[str]) -> tuple[list[str], list[str]]:
    """The fields of a foreign key as a Frictionless validator can check them.

    critmat skips a key when *any* of its cells is empty (``(region_id, municipality_code)`` of an asset
    without a municipality); Frictionless only when *all* are. A composite key with optional fields is
    therefore written on its optional fields alone (``municipality_code`` → ``municipalities``): the same
    check within a one-region pack, and one that still finds a code that exists nowhere in the target.
    """
    ref = list(fk.reference or fk.fields)
    optional = [i for i, f in enumerate(fk.fields) if f not in required]
    if len(fk.fields) > 1 and 0 < len(optional) < len(fk.fields):
        return [fk.fields[i] for i in optional], [ref[i] for i in optional]
    return list(fk.fields), ref


#: Where foreign keys to a resource outside every package point: the source registry.
SOURCE_REGISTRY = "critmat/data/sources"


@lru_cache(maxsize=1)
def _bundled_providers() -> dict[str, str]:
    """Resource name → the bundled package that holds it (``sources`` → the source registry)."""
    from critmat.paths import bundled_packages

    out = {"sources": SOURCE_REGISTRY}
    root = bundled_packages()
    if root.is_dir():
        for pkg in sorted(root.iterdir()):
            if (pkg / "resources.yaml").is_file():
                for r in read_spec(pkg).resources:
                    out.setdefault(r.name, pkg.name)
    return out


def external_foreign_keys(res: ResourceSpec, local: set[str] | frozenset[str]) -> list[dict[str, Any]]:
    """The foreign keys of ``res`` to resources of other packages or the source registry, in Table Schema
    form plus ``reference.package`` (the bundled package or registry that holds the target)."""
    providers = _bundled_providers()
    out = []
    for fk in res.foreign_keys:
        if fk.resource in {"__self__", res.name} or fk.resource in local:
            continue
        ref: dict[str, Any] = {"resource": fk.resource, "fields": fk.reference or fk.fields}
        if fk.resource in providers:
            ref["package"] = providers[fk.resource]
        out.append({"fields": fk.fields, "reference": ref})
    return out


def dependencies(spec: PackageSpec) -> tuple[str, ...]:
    """Bundled packages that ``spec``'s foreign keys point into, transitively, providers first."""
    providers = _bundled_providers()
    from critmat.paths import bundled_packages

    order: list[str] = []

    def visit(s: PackageSpec, seen: tuple[str, ...]) -> None:
        own = {r.name for r in s.resources}
        for r in s.resources:
            for fk in r.foreign_keys:
                pkg = providers.get(fk.resource)
                if fk.resource in own or pkg is None or pkg == SOURCE_REGISTRY or pkg in order or pkg in seen:
                    continue
                visit(read_spec(bundled_packages() / pkg), seen + (pkg,))
                if pkg not in order:
                    order.append(pkg)

    visit(spec, (spec.name,))
    return tuple(order)


def descriptor(spec: PackageSpec) -> dict[str, Any]:
    """The ``datapackage.json`` descriptor of a package.

    Foreign keys between the package's own resources are Table Schema ``foreignKeys``, so any Frictionless
    validator checks them. A Data Package cannot point into another package, so keys to other bundled
    packages (``materials`` of ``reference``, ``technologies`` of ``intensities``) and to the source registry
    are listed under the resource's ``critmat:externalForeignKeys`` (with ``reference.package``); critmat
    checks them on load (:func:`load_package`), outside validators ignore them.
    """
    local = frozenset(r.name for r in spec.resources)
    resources = []
    for r in spec.resources:
        d: dict[str, Any] = {"name": r.name, "path": r.path, "title": r.title, "description": r.description,
                             "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
                             "encoding": "utf-8", "schema": table_schema(r, local)}
        ext = external_foreign_keys(r, local)
        if ext:
            d["critmat:externalForeignKeys"] = ext
        resources.append(d)
    return {
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "version": spec.version,
        "licenses": spec.licenses,
        "resources": resources,
    }


def write_datapackage(pkg_dir: Path) -> Path:
    """(Re)generate ``datapackage.json`` from ``resources.yaml`` and the field dictionary."""
    out = Path(pkg_dir) / "datapackage.json"
    out.write_text(json.dumps(descriptor(read_spec(pkg_dir)), indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class LoadedResource:
    spec: ResourceSpec
    frame: pd.DataFrame
    path: Path
    sha256: str


def _check_encoding(path: Path) -> bytes:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"not valid UTF-8 (byte {data[exc.start]:#x} at offset {exc.start}); "
                        "re-save the file as UTF-8", file=str(path), row=line) from None
    return data


def _check_header(path: Path, data: bytes, res: ResourceSpec) -> None:
    first = data.split(b"\n", 1)[0].decode("utf-8").strip().lstrip("\ufeff")
    header = [h.strip().strip('"') for h in first.split(",")] if first else []
    missing = [f for f in res.fields if f not in header]
    extra = [h for h in header if h not in res.fields]
    if missing:
        raise DataError(f"missing column(s) {missing} required by resource '{res.name}'",
                        file=str(path), row=1, column=missing[0])
    if extra:
        raise DataError(f"unexpected column(s) {extra}: not in resource '{res.name}' "
                        "(add them to resources.yaml and the field dictionary)", file=str(path), row=1, column=extra[0])
    if not data.endswith(b"\n"):
        # A file cut mid-write usually lacks the final newline; Frictionless finds short rows, this
        # names the likely cause.
        last = data.rsplit(b"\n", 1)[-1].decode("utf-8")
        if last.count(",") < len(header) - 1 or last.count('"') % 2:
            raise DataError("file looks truncated (last line incomplete, no final newline)",
                            file=str(path), row=data.count(b"\n") + 1)


def _describe(e: Any, res: ResourceSpec) -> str:
    """One frictionless error in words: what is wrong with which value, and the rule broken."""
    cell = getattr(e, "cell", None)
    val = f"value {cell!r} " if cell not in (None, "") else ""
    kind = e.type
    if kind == "primary-key":
        header = list(res.fields)
        cells = list(getattr(e, "cells", []) or [])
        key = tuple(cells[header.index(k)] for k in res.primary_key) if len(cells) == len(header) else None
        where = e.note.replace("the same as in the row at position", "same as line")
        return f"duplicated key ({', '.join(res.primary_key)})" + (f" = {key}" if key else "") + f": {where}"
    if kind == "type-error":
        return f"{val}is not of type {e.note.split('is')[-1].strip().strip(chr(34))}"
    if kind == "constraint-error":
        return f"{val}breaks the rule {e.note}"
    if kind == "missing-cell":
        return "missing value: the row has fewer cells than the header (truncated or malformed row?)"
    if kind == "extra-cell":
        return f"{val}is an extra cell beyond the header (unquoted comma?)"
    if kind == "blank-row":
        return "blank row"
    return f"{e.title}: {e.note or e.message}"


def _frictionless_errors(path: Path, res: ResourceSpec) -> None:
    import frictionless as fl  # only when a file is validated (the build), not at every command's start

    resource = fl.Resource(path=path.name, basepath=str(path.parent),
                           schema=fl.Schema.from_descriptor(table_schema(res)), encoding="utf-8", format="csv")
    report = resource.validate(limit_errors=MAX_REPORTED)
    if report.valid:
        return
    errs = [e for task in report.tasks for e in task.errors] or list(report.errors)
    first = errs[0]
    row = getattr(first, "row_number", None)
    col = getattr(first, "field_name", None)
    msg = _describe(first, res)
    if len(errs) > 1:
        others = [f"line {getattr(e, 'row_number', '?')}"
                  + (f", column '{e.field_name}'" if getattr(e, "field_name", None) else "")
                  + f": {_describe(e, res)}" for e in errs[1:]]
        msg += f"\n  further errors{' (first ' + str(MAX_REPORTED) + ')' if len(errs) >= MAX_REPORTED else ''}:\n  " \
            + "\n  ".join(others)
    raise DataError(msg, file=str(path), row=row, column=col)


#: Skip frictionless for a file :func:`_proven_clean` proves clean (False: frictionless on every file, the
#: per-region reference path of ``critmat.batch.per_region_reference``).
FAST_CHECK = True
_SNIFF_DELIMITERS = ",\t;|"  # what frictionless's CSV parser sniffs among (formats/csv/parser.py)
_SNIFF_LINES = 100
#: Field constraints a cell's verdict depends on alone (what :func:`_proven_clean` proves).
_CELL_CONSTRAINTS = {"required", "minimum", "maximum", "enum", "pattern"}
_FIELD_CACHE: dict[str, tuple[list[Any], list[dict[str, tuple[Any, bool]]]]] = {}
_MEMO_PER_FIELD = 5_000  # distinct strings remembered per field (a memo of unique ids would only grow)


def _cell_readers(res: ResourceSpec) -> tuple[list[Any], list[dict[str, tuple[Any, bool]]]]:
    """Frictionless's own cell readers of the resource's fields (type, missing values, constraints), built
    once per schema, with a memo per field of the strings already read: ``{cell: (value, ok)}``."""
    schema = table_schema(res)
    key = json.dumps(schema, sort_keys=True, default=str)
    if key not in _FIELD_CACHE:
        import frictionless as fl

        fs = fl.Schema.from_descriptor(schema)
        _FIELD_CACHE[key] = ([f.create_cell_reader() for f in fs.fields], [{} for _ in fs.fields])
    return _FIELD_CACHE[key]


def _proven_clean(data: bytes, res: ResourceSpec) -> list[tuple[str, ...]] | None:
    """The file's columns (tuples of cell strings, in the order of the fields) only when frictionless is certain to find nothing in ``data`` (the file's bytes, UTF-8 checked):
    the same CSV dialect sniffing and parser (Python's ``csv``) as frictionless, every row as wide as the
    header, no blank row, every distinct cell string of a column read by frictionless's own cell reader of
    the field (type, missing value, required, minimum/maximum, enum, pattern: a cell's verdict depends on its
    string alone), the primary key unique over the read values. Anything else (a self foreign key, an unusual
    dialect or header, any doubt) gives None and the file goes through frictionless, which reports the
    first errors as before (None). Speed: C parsing and one read per distinct string instead of per cell and
    row; the columns then make the frame without parsing the file again (:func:`_read_frame`)."""
    import csv
    import io

    try:
        schema = table_schema(res)
        # what this proof covers; any other schema key or constraint (a row-spanning rule such as unique, a
        # foreign key) sends the file to frictionless
        if set(schema) - {"fields", "missingValues", "primaryKey"} or any(
                set(f.get("constraints", {})) - _CELL_CONSTRAINTS for f in schema["fields"]):
            return None
        text = data.decode("utf-8")
        head = text.split("\n", 1)[0]
        if head.rstrip("\r") != ",".join(res.fields):
            return None
        pos = -1
        for _ in range(_SNIFF_LINES):
            pos = text.find("\n", pos + 1)
            if pos < 0:
                break
        sample = text if pos < 0 else text[: pos + 1]
        try:
            d = csv.Sniffer().sniff(sample, _SNIFF_DELIMITERS)
            if (d.delimiter != "," or d.quotechar not in ('"', "'") or d.skipinitialspace
                    or d.escapechar is not None):
                return None
        except csv.Error:
            pass  # frictionless falls back to the excel dialect: comma, double quote
        rows = list(csv.reader(io.StringIO(text, newline="")))
        n = len(res.fields)
        body = rows[1:]
        for r in body:
            if len(r) != n or not any(r):
                return None
        readers, memos = _cell_readers(res)
        if len(readers) != n:
            return None
        cols = list(zip(*body)) if body else [() for _ in range(n)]
        values: list[dict[str, Any]] = []
        for j in range(n):
            memo, read = memos[j], readers[j]
            seen: dict[str, Any] = {}
            for cell in set(cols[j]):
                hit = memo.get(cell)
                if hit is None:
                    value, notes = read(cell)
                    hit = (value, not notes)
                    if len(memo) < _MEMO_PER_FIELD:  # codes, statuses, years: not ids or measurements
                        memo[cell] = hit
                if not hit[1]:
                    return None
                seen[cell] = hit[0]
            values.append(seen)
        if res.primary_key:
            idx = [res.fields.index(k) for k in res.primary_key]
            keys = [tuple(values[j][r[j]] for j in idx) for r in body]
            if len(set(keys)) != len(keys):
                return None
        return cols
    except Exception:  # noqa: BLE001 - any doubt: the exact check decides
        return None


_DTYPES = {"string": "string", "number": "Float64", "integer": "Int64", "year": "Int64", "boolean": "boolean"}


def _read_frame(path: Path, res: ResourceSpec, cols: list[tuple[str, ...]] | None = None) -> pd.DataFrame:
    """The typed frame of a validated file; ``cols``: its columns as parsed by :func:`_proven_clean` (the same
    strings ``read_csv(dtype=str, keep_default_na=False)`` gives), else the file is read."""
    defs = {f.name: f for f in res.field_defs()}
    if cols is not None:  # object columns with None for empty cells, built as arrays (not a frame-wide replace)
        data = {}
        for name, c in zip(res.fields, cols):
            arr = np.empty(len(c), dtype=object)
            arr[:] = c
            arr[arr == ""] = None
            data[name] = arr
        df = pd.DataFrame(data)
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        df = df.replace({"": None})
    for name, f in defs.items():
        if f.type in ("number", "integer", "year"):
            num = pd.to_numeric(df[name], errors="coerce").astype("float64")
            vals = num.to_numpy(dtype="float64")
            limit = np.inf if f.type == "number" else 2.0**53  # integers beyond this lose precision
            bad = np.flatnonzero(df[name].notna().to_numpy() & ~(np.abs(vals) < limit))
            if len(bad):  # "inf", "nan", an overflow such as 1e309: not a measurement
                raise DataError(f"value {df[name].iat[int(bad[0])]!r:.40} is not a finite number in range "
                                "(rule: numbers are finite)", file=str(path), row=int(bad[0]) + 2, column=name)
            df[name] = (num if f.type == "number" else pd.to_numeric(df[name])).astype(_DTYPES[f.type])
        elif f.type == "boolean":
            df[name] = df[name].map({"true": True, "false": False, "True": True, "False": False,
                                     "1": True, "0": False, None: None}).astype("boolean")
        elif f.type == "date":
            df[name] = pd.to_datetime(df[name]).dt.date
        else:
            df[name] = df[name].astype("string")
    return df[list(res.fields)]


@lru_cache(maxsize=8)
def _bundled(names: tuple[str, ...]) -> tuple[tuple[str, pd.DataFrame], ...]:
    from critmat.paths import bundled_packages

    known: dict[str, pd.DataFrame] = {"sources": sources_frame()}
    for name in names:
        pkg = bundled_packages() / name
        if not (pkg / "resources.yaml").is_file():
            raise DataError(f"the bundled package '{name}' is missing", file=str(pkg))
        for res_name, res in load_package(pkg, known=known).items():
            known[res_name] = res.frame
    return tuple(known.items())


def bundled_frames(*packages: str) -> dict[str, pd.DataFrame]:
    """Frames of bundled packages (validated, each seeing the ones before) plus ``sources``: what the
    foreign keys of other packages point to. Cached per process; callers get a fresh dict."""
    return dict(_bundled(tuple(packages or ("reference",))))


def sources_frame() -> pd.DataFrame:
    """The bundled source registry as a frame (what ``resource: sources`` foreign keys point to)."""
    from critmat.catalog.sources import source_registry

    return pd.DataFrame([s.model_dump() for s in source_registry().values()]).rename(columns={"id": "source_id"})


def _check_foreign_keys(path: Path, res: ResourceSpec, df: pd.DataFrame,
                        known: dict[str, pd.DataFrame]) -> None:
    for fk in res.foreign_keys:
        target = df if fk.resource in ("__self__", res.name) else known.get(fk.resource)
        if target is None and fk.resource == "sources":
            target = sources_frame()
        if target is None:
            raise DataError(f"foreign key to resource '{fk.resource}' which is not loaded",
                            file=str(path), column=fk.fields[0])
        ref = fk.reference or fk.fields
        sub = df[fk.fields].dropna()
        if sub.empty:
            continue
        keys = set(map(tuple, target[ref].astype(str).itertuples(index=False, name=None)))
        bad = [i for i, row in zip(sub.index, sub.astype(str).itertuples(index=False, name=None)) if row not in keys]
        if bad:
            i = bad[0]
            # name the column whose value the target lacks (the last one for a composite key)
            col, ref_col = fk.fields[-1], ref[-1]
            for c, rc in zip(fk.fields, ref):
                if str(df.at[i, c]) not in set(target[rc].astype(str)):
                    col, ref_col = c, rc
                    break
            others = [f"{c} '{df.at[i, c]}'" for c in fk.fields if c != col]
            raise DataError(f"unknown {col} '{df.at[i, col]}' (not in {fk.resource}.{ref_col}"
                            + (f" for {', '.join(others)}" if others else "") + ")"
                            + (f"; {len(bad) - 1} more row(s) like it" if len(bad) > 1 else ""),
                            file=str(path), row=int(i) + 2, column=col)


def check_sums(df: pd.DataFrame, checks: list[SumCheck], file: str) -> None:
    """Parts cannot exceed the whole: ``sum(column) <= limit`` within each group."""
    for chk in checks:
        sums = df.groupby(chk.by, dropna=False)[chk.column].sum()
        over = sums[sums > chk.limit + chk.tolerance]
        if len(over):
            key = over.index[0] if isinstance(over.index[0], tuple) else (over.index[0],)
            mask = (df[chk.by].astype(str) == pd.Series(dict(zip(chk.by, map(str, key))))).all(axis=1)
            row = int(df.index[mask][-1]) + 2
            raise DataError(f"{chk.column} of group {dict(zip(chk.by, key))} sums to {over.iloc[0]:.4f}, "
                            f"above {chk.limit} (parts cannot exceed the whole)", file=file, row=row,
                            column=chk.column)


def load_resource(path: Path, res: ResourceSpec, known: dict[str, pd.DataFrame] | None = None) -> LoadedResource:
    """Validate and read one CSV resource; raises :class:`DataError` naming file, line and column."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"file of resource '{res.name}' is missing", file=str(path))
    data = _check_encoding(path)
    _check_header(path, data, res)
    cols = _proven_clean(data, res) if FAST_CHECK else None
    if cols is None:  # the exact check and its messages: frictionless
        _frictionless_errors(path, res)
    df = _read_frame(path, res, cols)
    if len(df) < res.min_rows:
        raise DataError(f"{len(df)} data row(s); resource '{res.name}' needs at least {res.min_rows} "
                        "(header only? a required table cannot be empty)", file=str(path), row=2)
    _check_foreign_keys(path, res, df, known or {})
    check_sums(df, list(res.sum_at_most), str(path))
    return LoadedResource(res, df, path, hashlib.sha256(data).hexdigest())


def load_package(pkg_dir: Path, known: dict[str, pd.DataFrame] | None = None) -> dict[str, LoadedResource]:
    """Load every resource of a package in the order of ``resources.yaml``.

    ``known`` holds frames already loaded (other packages, the source registry as ``sources``) that
    foreign keys may point to; it is not modified.
    """
    pkg_dir = Path(pkg_dir)
    spec = read_spec(pkg_dir)
    seen = dict(known or {})
    out: dict[str, LoadedResource] = {}
    for res in spec.resources:
        loaded = load_resource(resource_file(pkg_dir, res), res, seen)
        out[res.name] = loaded
        seen[res.name] = loaded.frame
    run_checks(spec, out)
    return out


def run_checks(spec: PackageSpec, loaded: dict[str, LoadedResource]) -> None:
    """Run the package's cross-table ``checks`` (each raises a DataError naming file, line, column)."""
    import importlib

    for name in spec.checks:
        if name not in PACKAGE_CHECKS:  # a spec built without validation
            raise DataError(f"unknown check {name!r:.60} (allowed: {', '.join(sorted(PACKAGE_CHECKS))})",
                            file=spec.name)
        module, func = PACKAGE_CHECKS[name]
        getattr(importlib.import_module(module), func)(loaded)
