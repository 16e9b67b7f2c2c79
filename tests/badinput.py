"""The bad-input corpus: malformed inputs for every file type and argument critmat reads.

Each :class:`Case` builds its input in a scratch folder and returns the command line to run. Cases are
generated (every field of every region-pack table, mutated by the rules of the field dictionary; the
resources.yaml / region.yaml / scenario / shock keys) and hand-made (every failure reported in issue 15).
``run_cli`` runs critmat's real entry point in-process and returns (exit code, stdout, stderr).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from critmat.catalog.package import read_spec
from critmat.paths import bundled_data

PACK = bundled_data() / "regions" / "nh-fl"
TEMPLATE = read_spec(PACK)


@dataclass
class Case:
    kind: str  # the file type or argument family (the corpus is counted by it)
    name: str
    make: Callable[[Path], list[str]]  # builds the input under a scratch folder; returns argv
    expect: str = ""  # a fragment the one-line message must contain (the rule or the value)
    build: bool = False  # also run `critmat build` with the input placed in <home>/regions (the same rules)

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``critmat ARGV`` through :func:`critmat.cli.main` in this process."""
    from critmat.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_argv, old_term = sys.argv, signal.getsignal(signal.SIGTERM)
    sys.argv = ["critmat", *argv]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old_argv
        signal.signal(signal.SIGTERM, old_term)
    return code, out.getvalue(), err.getvalue()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------ helpers

def copy_pack(dest: Path) -> Path:
    shutil.copytree(PACK, dest)
    return dest


def read_rows(path: Path) -> list[list[str]]:
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def set_cell(pack: Path, file: str, column: str, value: str, row: int = 1,
             where: Callable[[dict[str, str]], bool] | None = None) -> None:
    """Set ``column`` of data row ``row`` (1 = first) of ``file`` (or of the first row ``where`` matches)."""
    rows = read_rows(pack / file)
    header = rows[0]
    if where is not None:
        row = next(i for i, r in enumerate(rows[1:], start=1) if where(dict(zip(header, r))))
    rows[row][header.index(column)] = value
    write_rows(pack / file, rows)


def region_cmd(pack: Path) -> list[str]:
    return ["assets", "--region", str(pack), "--format", "csv"]


def pack_case(kind: str, name: str, mutate: Callable[[Path], None], expect: str = "", build: bool = False) -> Case:
    def make(tmp: Path) -> list[str]:
        pack = copy_pack(tmp / "nh-fl")
        mutate(pack)
        return region_cmd(pack)

    return Case(kind, name, make, expect, build)


def file_case(kind: str, name: str, filename: str, text: str | bytes, argv: Callable[[Path], list[str]],
              expect: str = "") -> Case:
    def make(tmp: Path) -> list[str]:
        p = tmp / filename
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return argv(p)

    return Case(kind, name, make, expect)


ALIAS_BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
              + "".join(f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi")))
DEEP = "a: " + "[" * 5000 + "]" * 5000 + "\n"


# ------------------------------------------------------------------------------ region-pack tables

def _bad_values(field) -> list[tuple[str, str]]:
    """(label, value) pairs that break ``field``'s type or constraints (none may be accepted)."""
    out: list[tuple[str, str]] = []
    c = field.constraints
    if field.type == "number":
        out += [("text", "abc"), ("inf", "inf"), ("-inf", "-inf"), ("nan", "nan"), ("overflow", "1e309"),
                ("two-dots", "1.2.3")]
    elif field.type in ("integer", "year"):
        out += [("text", "abc"), ("fraction", "1.5"), ("overflow", "9" * 30)]
    elif field.type == "boolean":
        out += [("text", "maybe")]
    if c.minimum is not None:
        out.append(("below-minimum", str(c.minimum - 1)))
    if c.maximum is not None:
        out.append(("above-maximum", str(c.maximum + 1)))
    if c.enum:
        out.append(("not-in-enum", "not_a_listed_value"))
    if c.pattern:
        out.append(("breaks-pattern", "Bad Value!"))
    return out


def generated_pack_cases() -> list[Case]:
    """Every field of every table of the region pack, with each value its type and constraints forbid;
    every required field emptied; a key duplicated; a foreign key pointing nowhere."""
    cases = []
    for res in TEMPLATE.resources:
        required = set(res.required) | set(res.primary_key)
        for f in res.field_defs():
            for label, value in _bad_values(f):
                cases.append(pack_case(f"region-csv:{res.path}", f"{f.name}={label}",
                                       lambda p, r=res, f=f, v=value: set_cell(p, r.path, f.name, v), f.name))
            if f.name in required:
                cases.append(pack_case(f"region-csv:{res.path}", f"{f.name}=empty-required",
                                       lambda p, r=res, f=f: set_cell(p, r.path, f.name, ""), f.name))
        for fk in res.foreign_keys:
            col = fk.fields[-1]
            if col == "region_id":
                continue
            cases.append(pack_case(f"region-csv:{res.path}", f"{col}=unknown-foreign-key",
                                   lambda p, r=res, c=col: set_cell(p, r.path, c, "zz-unknown-0"), col))
        if res.primary_key:
            def dup(p: Path, r=res) -> None:
                rows = read_rows(p / r.path)
                write_rows(p / r.path, rows + [rows[1]])
            cases.append(pack_case(f"region-csv:{res.path}", "duplicated-key", dup, "duplicated key"))
        cases += _structural(res)
    return cases


def _structural(res) -> list[Case]:
    k = f"region-csv:{res.path}"

    def drop_column(p: Path) -> None:
        rows = read_rows(p / res.path)
        write_rows(p / res.path, [r[1:] for r in rows])

    def extra_column(p: Path) -> None:
        rows = read_rows(p / res.path)
        write_rows(p / res.path, [r + (["surprise"] if i == 0 else ["x"]) for i, r in enumerate(rows)])

    def latin1(p: Path) -> None:
        data = (p / res.path).read_bytes()
        (p / res.path).write_bytes(data + "\n".join(["caf\xe9"]).encode("latin-1"))

    def truncate(p: Path) -> None:
        data = (p / res.path).read_bytes()
        cut = data.rstrip(b"\n")
        (p / res.path).write_bytes(cut[: cut.rfind(b",") - 1])

    def empty(p: Path) -> None:
        (p / res.path).write_bytes(b"")

    def missing(p: Path) -> None:
        (p / res.path).unlink()

    def short_row(p: Path) -> None:
        rows = read_rows(p / res.path)
        write_rows(p / res.path, rows + [rows[1][:2]])

    def long_row(p: Path) -> None:
        rows = read_rows(p / res.path)
        write_rows(p / res.path, rows + [rows[1] + ["a", "b"]])

    def folder(p: Path) -> None:
        (p / res.path).unlink()
        (p / res.path).mkdir()

    def symlink_out(p: Path) -> None:
        outside = p.parent / f"outside-{res.path}"
        shutil.move(p / res.path, outside)
        (p / res.path).symlink_to(outside)

    return [pack_case(k, "first-column-missing", drop_column, "missing column"),
            pack_case(k, "extra-column", extra_column, "unexpected column"),
            pack_case(k, "not-utf8", latin1, "UTF-8"),
            pack_case(k, "truncated-mid-row", truncate, ""),
            pack_case(k, "empty-file", empty, ""),
            pack_case(k, "file-missing", missing, "missing"),
            pack_case(k, "short-row", short_row, ""),
            pack_case(k, "long-row", long_row, ""),
            pack_case(k, "folder-instead-of-file", folder, "not a regular file"),
            pack_case(k, "symlink-out-of-pack", symlink_out, "outside the pack")]


def _asset_row(cls: str) -> Callable[[dict[str, str]], bool]:
    return lambda r: r["asset_class"] == cls


def rule_cases() -> list[Case]:
    """Regional rules (hand-made; each one the issue found `build` accepting)."""
    k = "region-csv:rules"
    a = "assets.csv"
    on = _asset_row("wind_onshore")
    off = _asset_row("wind_offshore")
    c = [
        pack_case(k, "capacity-320000-MW", lambda p: set_cell(p, a, "capacity_mw", "320000", where=on), "implausible", True),
        pack_case(k, "lat-40", lambda p: set_cell(p, a, "lat", "40", where=on), "outside the Netherlands", True),
        pack_case(k, "lon-120", lambda p: set_cell(p, a, "lon", "120", where=on), "outside the Netherlands", True),
        pack_case(k, "offshore-lat-60", lambda p: set_cell(p, a, "lat", "60", where=off), "outside", True),
        pack_case(k, "lat-without-lon", lambda p: set_cell(p, a, "lon", "", where=on), "both", True),
        pack_case(k, "decommissioned-before-commissioned",
                  lambda p: (set_cell(p, a, "commissioning_year", "2020", where=on),
                             set_cell(p, a, "decommissioning_year", "2010", where=on)), "before commissioning", True),
        pack_case(k, "mw-per-turbine-absurd",
                  lambda p: (set_cell(p, a, "capacity_mw", "900", where=on), set_cell(p, a, "units", "2", where=on)),
                  "per turbine", True),
        pack_case(k, "operational-without-capacity",
                  lambda p: (set_cell(p, a, "capacity_mw", "", where=on), set_cell(p, a, "status", "operational", where=on)),
                  "needs capacity_mw", True),
        pack_case(k, "decommissioned-without-year",
                  lambda p: (set_cell(p, a, "status", "decommissioned", where=on),
                             set_cell(p, a, "decommissioning_year", "", where=on)), "decommissioning_year", True),
        pack_case(k, "region-id-of-another-region", lambda p: set_cell(p, a, "region_id", "pv28"), "region_id", True),
        pack_case(k, "province-not-in-region", lambda p: set_cell(p, a, "province_code", "PV30", where=on),
                  "province", True),
        pack_case(k, "municipality-province-mismatch",
                  lambda p: set_cell(p, a, "province_code", "PV24" if _first(p, a, on)["province_code"] != "PV24" else "PV27",
                                     where=on), "lies in", True),
        pack_case(k, "technology-of-another-class", lambda p: set_cell(p, a, "technology_id", "pv_csi", where=on),
                  "class", True),
        pack_case(k, "municipality-lat-40", lambda p: set_cell(p, "municipalities.csv", "lat", "40"), "outside", True),
        pack_case(k, "municipality-province-outside",
                  lambda p: set_cell(p, "municipalities.csv", "province_code", "PV30"), "province", True),
        pack_case(k, "lifetime-extension-without-years",
                  lambda p: set_cell(p, "asset_events.csv", "event", "lifetime_extension",
                                     where=lambda r: not r["extension_years"]), "extension_years", True),
        pack_case(k, "goods-shares-above-one", lambda p: set_cell(p, "goods_categories.csv", "share", "0.99"),
                  "parts cannot exceed", True),
        pack_case(k, "capacity-1e309", lambda p: set_cell(p, a, "capacity_mw", "1e309", where=on), "finite", True),
    ]
    return c


def _first(p: Path, file: str, where: Callable[[dict[str, str]], bool]) -> dict[str, str]:
    rows = read_rows(p / file)
    return next(dict(zip(rows[0], r)) for r in rows[1:] if where(dict(zip(rows[0], r))))


# ------------------------------------------------------------------------------- resources.yaml

def _yaml_mut(file: str, mutate: Callable[[dict], None]) -> Callable[[Path], None]:
    """Load a pack's YAML file, change the mapping, write it back (independent of the file's layout)."""
    import yaml

    def edit(p: Path) -> None:
        doc = yaml.safe_load((p / file).read_text(encoding="utf-8"))
        mutate(doc)
        (p / file).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return edit


def _spec_mut(mutate: Callable[[dict], None]) -> Callable[[Path], None]:
    return _yaml_mut("resources.yaml", mutate)


def _spec_text(text: str | bytes) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        if isinstance(text, bytes):
            (p / "resources.yaml").write_bytes(text)
        else:
            (p / "resources.yaml").write_text(text, encoding="utf-8")
    return write


def _res(doc: dict, i: int = 0) -> dict:
    return doc["resources"][i]


def _set(d: dict, key: str, value) -> None:
    d[key] = value


def spec_cases() -> list[Case]:
    k = "resources.yaml"
    c = [pack_case(k, f"check-{i}", _spec_mut(lambda d, chk=chk: _set(d, "checks", [chk])), "unknown check", True)
         for i, chk in enumerate(["subprocess:run", "os:system", "critmat.models.circularity:check_package",
                                  "builtins:eval", "shutil:rmtree", "", "circularity ", "../x"])]
    for i, bad in enumerate(['x" AS SELECT 1; COPY (SELECT 1) TO \'/tmp/critmat-pwn.csv\'; --',
                             "assets; DROP TABLE materials", "Assets", "1abc", "a-b", "a b", "a" * 80, "ümlaut",
                             "meta\u0000", 'x"y']):
        c.append(pack_case(k, f"resource-name-{i}", _spec_mut(lambda d, v=bad: _set(_res(d), "name", v)),
                           "resource name", True))
    for i, bad in enumerate(["/etc/passwd", "../outside.csv", "sub/../../x.csv", "/tmp/x.csv", "~/x.csv",
                             "municipalities.txt", "C:\\x.csv", "./municipalities.csv", "a//b.csv", ""]):
        c.append(pack_case(k, f"resource-path-{i}", _spec_mut(lambda d, v=bad: _set(_res(d), "path", v)), "path",
                           True))
    c += [
        pack_case(k, "unknown-key", _spec_mut(lambda d: _set(d, "run", "rm -rf /")), "extra", True),
        pack_case(k, "unknown-field", _spec_mut(lambda d: _res(d)["fields"].insert(1, "no_such_field")),
                  "no_such_field"),
        pack_case(k, "primary-key-not-a-field", _spec_mut(lambda d: _set(_res(d), "primary_key", ["region_id", "nope"])),
                  "nope"),
        pack_case(k, "combine-bogus", _spec_mut(lambda d: _set(d, "combine", "merge")), "combine"),
        pack_case(k, "duplicate-resource", _spec_mut(lambda d: _set(_res(d, 1), "name", _res(d)["name"])), "twice"),
        pack_case(k, "duplicate-yaml-key", lambda p: (p / "resources.yaml").write_text(
            "checks: ['subprocess:run']\n" + (p / "resources.yaml").read_text(encoding="utf-8"), encoding="utf-8"),
            "duplicate key", True),
        pack_case(k, "alias-bomb", _spec_text(ALIAS_BOMB), "YAML"),
        pack_case(k, "deep-nesting", _spec_text(DEEP), "YAML"),
        pack_case(k, "not-a-mapping", _spec_text("- a\n- b\n"), "mapping"),
        pack_case(k, "syntax-error", _spec_text("name: [unclosed\n"), "YAML"),
        pack_case(k, "empty", _spec_text(""), "mapping"),
        pack_case(k, "not-utf8", _spec_text("name: caf\xe9\n".encode("latin-1")), "UTF-8"),
        pack_case(k, "python-tag", _spec_text("name: !!python/object/apply:os.system ['echo pwned']\n"), "YAML"),
        pack_case(k, "resources-not-list", _spec_text("name: x\ntitle: x\nresources: 3\n"), "resources"),
        pack_case(k, "min-rows-text", _spec_mut(lambda d: _set(_res(d), "min_rows", "lots")), "min_rows"),
        pack_case(k, "missing", lambda p: (p / "resources.yaml").unlink(), "resources.yaml"),
    ]
    return c


# ---------------------------------------------------------------------------------- region.yaml

def region_yaml_cases() -> list[Case]:
    k = "region.yaml"

    def put(text: str | bytes) -> Callable[[Path], None]:
        def w(p: Path) -> None:
            (p / "region.yaml").write_bytes(text if isinstance(text, bytes) else text.encode())
        return w

    def edit(key: str, value) -> Callable[[Path], None]:
        return _yaml_mut("region.yaml", lambda d: _set(d, key, value))

    return [
        pack_case(k, "missing", lambda p: (p / "region.yaml").unlink(), "region.yaml", True),
        pack_case(k, "id-uppercase", edit("id", "NH-FL"), "id"),
        pack_case(k, "id-path", edit("id", "../../etc"), "id"),
        pack_case(k, "id-of-other-region", edit("id", "zz"), "region_id", True),
        pack_case(k, "province-bad", edit("provinces", ["NH", "PV24"]), "PV27"),
        pack_case(k, "provinces-empty", edit("provinces", []), "provinces"),
        pack_case(k, "boundary-year-1200", edit("boundary_year", 1200), "boundary_year"),
        pack_case(k, "boundary-year-text", edit("boundary_year", "soon"), "boundary_year"),
        pack_case(k, "unknown-key", edit("exec", True), "exec"),
        pack_case(k, "alias-bomb", put(ALIAS_BOMB), "YAML"),
        pack_case(k, "deep-nesting", put(DEEP), "YAML"),
        pack_case(k, "list", put("- 1\n"), "mapping"),
        pack_case(k, "empty", put(""), "mapping"),
        pack_case(k, "not-utf8", put("name: caf\xe9\n".encode("latin-1")), "UTF-8"),
        pack_case(k, "syntax", put("id: [\n"), "YAML"),
        pack_case(k, "folder", lambda p: ((p / "region.yaml").unlink(), (p / "region.yaml").mkdir()), "region"),
    ]


# ------------------------------------------------------------------------------------ scenarios

SCEN_OK = "name: s\nyears: {start: 2025, end: 2030}\n"


def scenario_cases() -> list[Case]:
    k = "scenario-yaml"
    argv = lambda p: ["scenario", "validate", str(p)]  # noqa: E731
    texts = {
        "unknown-key": (SCEN_OK + "colour: red\n", "unknown key"),
        "share-above-1": (SCEN_OK + "recovery: {all: {neodymium: 1.5}}\n", "share"),
        "share-negative": (SCEN_OK + "recovery: {all: {neodymium: -0.1}}\n", "share"),
        "share-nan": (SCEN_OK + "recovery: {all: {neodymium: .nan}}\n", "share"),
        "share-inf": (SCEN_OK + "recovery: {all: {neodymium: .inf}}\n", "share"),
        "share-text": (SCEN_OK + "recovery: {all: {neodymium: high}}\n", "share"),
        "years-reversed": ("name: s\nyears: {start: 2040, end: 2030}\n", "out of order"),
        "year-1800": ("name: s\nyears: {start: 1800, end: 2030}\n", "1900"),
        "year-3000": ("name: s\nyears: {start: 2025, end: 3000}\n", "2200"),
        "schedule-year-text": (SCEN_OK + "recovery: {all: {neodymium: {soon: 0.5}}}\n", "year"),
        "schedule-empty": (SCEN_OK + "recovery: {all: {neodymium: {}}}\n", "empty"),
        "unknown-material": (SCEN_OK + "recovery: {all: {unobtainium: 0.5}}\n", "unknown material"),
        "material-group": (SCEN_OK + "recovery: {all: {rare_earth_elements_heavy: 0.5}}\n", "group"),
        "unknown-asset-class": (SCEN_OK + "recovery: {spaceships: {neodymium: 0.5}}\n", "spaceships"),
        "lifetime-shift-inf": (SCEN_OK + "lifetime_shift_years: {wind_onshore: .inf}\n", "lifetime_shift"),
        "lifetime-shift-1e6": (SCEN_OK + "lifetime_shift_years: {wind_onshore: 1000000}\n", "lifetime_shift"),
        "name-bad": ("name: 'Bad Name!'\n", "name"),
        "no-name": ("years: {start: 2025, end: 2030}\n", "name"),
        "extends-unknown": (SCEN_OK + "extends: nowhere\n", "nowhere"),
        "extends-self": ("name: s\nextends: cyc\n", "cycle"),
        "region-unknown": (SCEN_OK + "region: atlantis\n", "atlantis"),
        "registry-year-text": (SCEN_OK + "registry_year: later\n", "registry_year"),
        "pipeline-year-text": (SCEN_OK + "pipeline: {a: {commissioning_year: soon}}\n", "commissioning_year"),
        "alias-bomb": (ALIAS_BOMB, "YAML"),
        "deep-nesting": (DEEP, "YAML"),
        "list": ("- 1\n- 2\n", "mapping"),
        "scalar": ("42\n", "mapping"),
        "empty": ("", "mapping"),
        "syntax": ("name: [\n", "YAML"),
        "tab-indent": ("name: s\nyears:\n\tstart: 2025\n", "YAML"),
        "date-feb-30": (SCEN_OK + "description: 2025-02-30\n", "date"),
        "python-tag": ("name: !!python/name:os.system\n", "YAML"),
        "huge-string-key": (SCEN_OK + "x" * 10000 + ": 1\n", "YAML"),
        "huge-quoted-key": (SCEN_OK + '? "' + "x" * 10000 + '"\n: 1\n', "unknown key"),
    }
    out = [file_case(k, n, "cyc.yaml" if n == "extends-self" else f"{n}.yaml", t, argv, e)
           for n, (t, e) in texts.items()]
    out.append(file_case(k, "not-utf8", "latin.yaml", "name: caf\xe9\n".encode("latin-1"), argv, "UTF-8"))
    out.append(Case(k, "missing-file", lambda tmp: ["scenario", "validate", str(tmp / "nope.yaml")], "no such"))
    out.append(Case(k, "folder", lambda tmp: ["scenario", "validate", str(tmp) + "/"], ""))
    return out


# ---------------------------------------------------------------------------------------- shocks

SHOCK = "id: x\nmaterials: [gallium]\ncountry: CHN\nstart: 2025-01-01\n"


def shock_cases() -> list[Case]:
    k = "shock-yaml"
    argv = lambda p: ["disrupt", str(p), "--format", "csv"]  # noqa: E731
    texts = {
        "months-inf": (SHOCK + "months: .inf\n", "months"),
        "months-nan": (SHOCK + "months: .nan\n", "months"),
        "months-negative": (SHOCK + "months: -1\n", "months"),
        "months-1e9": (SHOCK + "months: 1000000000\n", "months"),
        "months-text": (SHOCK + "months: long\n", "months"),
        "start-feb-30": ("id: x\nmaterials: [gallium]\ncountry: CHN\nstart: 2025-02-30\n", "date"),
        "start-quoted-feb-30": ("id: x\nmaterials: [gallium]\ncountry: CHN\nstart: '2025-02-30'\n", "start"),
        "start-text": ("id: x\nmaterials: [gallium]\ncountry: CHN\nstart: tomorrow\n", "start"),
        "start-missing": ("id: x\nmaterials: [gallium]\ncountry: CHN\n", "start"),
        "start-year-0": ("id: x\nmaterials: [gallium]\ncountry: CHN\nstart: '0000-01-01'\n", "start"),
        "share-1.5": (SHOCK + "share: 1.5\n", "share"),
        "share-nan": (SHOCK + "share: .nan\n", "share"),
        "share-percent": (SHOCK + "share: 50%\n", "share"),
        "country-name": ("id: x\nmaterials: [gallium]\ncountry: China\nstart: 2025-01-01\n", "country"),
        "country-unknown": ("id: x\nmaterials: [gallium]\ncountry: ZZZ\nstart: 2025-01-01\n", "country"),
        "materials-empty": ("id: x\nmaterials: []\ncountry: CHN\nstart: 2025-01-01\n", "materials"),
        "material-unknown": ("id: x\nmaterials: [unobtainium]\ncountry: CHN\nstart: 2025-01-01\n", "unobtainium"),
        "stage-bogus": (SHOCK + "stage: mining\n", "stage"),
        "destination-bad": (SHOCK + "destinations: [Europe]\n", "destinations"),
        "spare-2": (SHOCK + "spare_capacity: 2\n", "spare_capacity"),
        "leakage-inf": (SHOCK + "eu_leakage: .inf\n", "eu_leakage"),
        "unknown-key": (SHOCK + "severity: high\n", "severity"),
        "id-bad": ("id: 'X Y'\nmaterials: [gallium]\ncountry: CHN\nstart: 2025-01-01\n", "id"),
        "source-unknown": (SHOCK + "source_ids: [nowhere_2099]\n", "source_ids"),
        "alias-bomb": (ALIAS_BOMB, "YAML"),
        "deep-nesting": (DEEP, "YAML"),
        "list": ("- 1\n", "mapping"),
        "empty": ("", "mapping"),
        "syntax": ("id: [\n", "YAML"),
    }
    out = [file_case(k, n, f"{n}.yaml", t, argv, e) for n, (t, e) in texts.items()]
    out.append(file_case(k, "not-utf8", "latin.yaml", "id: caf\xe9\n".encode("latin-1"), argv, "UTF-8"))
    return out


# ------------------------------------------------------------------ publisher files: data import

GLOBAL = "fact_GlobalSupplyShares&t.csv"
SR_EI = "dimension_CRMsOverTime.csv"
EU = "fact_EUSupplyShares&t.csv"


def import_cases(complete: Callable[[Path], Path]) -> list[Case]:
    """``complete(folder)`` writes a full set of publisher files (which imports cleanly) into ``folder``."""
    k = "publisher-ec"

    def case(name: str, edit: Callable[[Path], None], expect: str) -> Case:
        def make(tmp: Path) -> list[str]:
            folder = complete(tmp / "pub")
            edit(folder)
            return ["data", "import", "--from", str(folder)]
        return Case(k, name, make, expect)

    def header_only(file: str) -> Callable[[Path], None]:
        return lambda f: (f / file).write_text((f / file).read_text(encoding="utf-8").split("\n", 1)[0] + "\n",
                                               encoding="utf-8")

    def cell(file: str, col: str, value: str, row: int = 1) -> Callable[[Path], None]:
        return lambda f: set_cell(f, file, col, value, row)

    def rm_rows(file: str, keep: int) -> Callable[[Path], None]:
        def e(f: Path) -> None:
            rows = read_rows(f / file)
            write_rows(f / file, rows[:keep])
        return e

    c = [case("global-header-only", header_only(GLOBAL), "no data rows"),
         case("eu-header-only", header_only(EU), "no data rows"),
         case("sr-header-only", header_only(SR_EI), "no data rows"),
         case("global-truncated-to-3-rows", rm_rows(GLOBAL, 4), "would lose"),
         case("sr-truncated-to-3-rows", rm_rows(SR_EI, 4), "would lose"),
         case("eu-missing", lambda f: (f / EU).unlink(), "would lose")]
    for col, vals in (("Share", ["193%", "abc", "-5%", "inf%", "nan", "0.5", ""]), ("Stage", ["X", ""]),
                      ("Material", ["Unobtainium"]), ("Country", ["Atlantis"]), ("t", ["abc", "inf", "nan"])):
        for v in vals:
            c.append(case(f"global-{col}={v or 'empty'}", cell(GLOBAL, col, v), col))
    for col, vals in (("SR", ["inf", "nan", "-1", "abc", "1e309"]), ("EI", ["inf", "-inf", "abc"]),
                      ("Year", ["2012", "abc", ""]), ("Material", ["Unobtainium"])):
        for v in vals:
            c.append(case(f"sr-{col}={v or 'empty'}", cell(SR_EI, col, v), col))
    c += [case("global-missing-column", lambda f: write_rows(f / GLOBAL, [r[:3] for r in read_rows(f / GLOBAL)]),
               "missing column"),
          case("global-not-utf8-or-cp1252", lambda f: (f / GLOBAL).write_bytes(b"Material,Stage\n\x81\x8d\x8f\x90\n"),
               ""),
          case("global-empty", lambda f: (f / GLOBAL).write_bytes(b""), "empty"),
          case("sr-duplicate", lambda f: write_rows(f / SR_EI, read_rows(f / SR_EI) + [read_rows(f / SR_EI)[1]]),
               "twice"),
          case("global-truncated-mid-row", lambda f: (f / GLOBAL).write_bytes((f / GLOBAL).read_bytes()[:-9]), "")]
    c.append(Case(k, "no-publisher-file", lambda tmp: (tmp.joinpath("empty").mkdir(), ["data", "import", "--from",
                                                                                        str(tmp / "empty")])[1],
                  "no publisher file"))
    c.append(Case(k, "from-missing-folder", lambda tmp: ["data", "import", "--from", str(tmp / "nope")], "does not exist"))
    return c


# ----------------------------------------------------------- publisher files: region build

def region_build_cases(shared: Path | None) -> list[Case]:
    """Malformed regional publisher files; built from small synthetic copies in the publishers' formats."""
    k = "publisher-region"
    cbs_header = "gemeentecode_gm,gemeentenaam_2025,provinciecode_pv,provincienaam\n"
    cbs_rows = "GM0034,Almere,PV24,Flevoland\nGM0050,Zeewolde,PV24,Flevoland\n"
    ppm_header = "id,Name,Fueltype,Technology,Set,Country,Capacity,DateIn,DateOut,lat,lon\n"

    def build(files: dict[str, str | bytes], extra: list[str] | None = None) -> Callable[[Path], list[str]]:
        def make(tmp: Path) -> list[str]:
            src = tmp / "src"
            src.mkdir()
            for name, text in files.items():
                (src / name).write_bytes(text if isinstance(text, bytes) else text.encode())
            return ["region", "build", "--province", "Flevoland", "--from", str(src), "--id", "zz-test",
                    *(extra or [])]
        return make

    ppm_row = "1,Park,Wind,Onshore,PP,Netherlands,{cap},2010,,{lat},{lon}\n"
    good_ppm = ppm_row.format(cap="10", lat="52.4", lon="5.3")
    c = [
        Case(k, "cbs-header-only", build({"gemeenten_2025.csv": cbs_header, "ppm.csv": ppm_header + good_ppm}),
             "municipalit"),
        Case(k, "cbs-truncated-mid-row", build({"gemeenten_2025.csv": cbs_header + cbs_rows + "GM0995,Lely"}),
             "truncated"),
        Case(k, "cbs-bad-code", build({"gemeenten_2025.csv": cbs_header + "XX34,Almere,PV24,Flevoland\n"}),
             "CBS code"),
        Case(k, "cbs-duplicate", build({"gemeenten_2025.csv": cbs_header + cbs_rows + cbs_rows}), "twice"),
        Case(k, "no-cbs-list", build({"ppm.csv": ppm_header + good_ppm}), "municipality list"),
        Case(k, "province-unknown", lambda tmp: ["region", "build", "--province", "Atlantis", "--from",
                                                 str(_src(tmp, {"gemeenten_2025.csv": cbs_header + cbs_rows}))],
             "unknown province"),
    ]
    for label, cap, lat, lon, col in (("lat-text", "10", "abc", "5.3", "lat"), ("lat-inf", "10", "inf", "5.3", "lat"),
                                      ("lon-nan", "10", "52.4", "nan", "lon"),
                                      ("capacity-text", "ten", "52.4", "5.3", "Capacity"),
                                      ("capacity-1e309", "1e309", "52.4", "5.3", "Capacity"),
                                      ("capacity-negative", "-5", "52.4", "5.3", "Capacity")):
        c.append(Case(k, f"ppm-{label}", build({"gemeenten_2025.csv": cbs_header + cbs_rows,
                                                 "ppm.csv": ppm_header + ppm_row.format(cap=cap, lat=lat, lon=lon)}),
                      col))
    dc = ('{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":%s},'
          '"properties":{"name":["X"],"owner":["Y"],"address":{"street":"s","zipcode":"z","city":"Almere"}}}]}')
    for label, coords in (("text", '["a","b"]'), ("one-number", "[5.3]"), ("null", "null"), ("nan", "[NaN, 52.4]")):
        c.append(Case(k, f"datacentres-coordinates-{label}",
                      build({"gemeenten_2025.csv": cbs_header + cbs_rows, "dc.geojson": dc % coords}), "coordinates"))
    solar_header = "Name,English Name,Operator,Output (MW),Latitude,Longitude,Status\n"
    for label, row, col in (("lat-text", "Park A,,Op,5,abc,5.3,OK\n", "Latitude"),
                            ("output-text", "Park A,,Op,five,52.4,5.3,OK\n", "Output"),
                            ("ok-without-lat", "Park A,,Op,5,,,OK\n", "Latitude")):
        c.append(Case(k, f"solar-{label}", build({"gemeenten_2025.csv": cbs_header + cbs_rows,
                                                   "solar.csv": solar_header + row}), col))

    def out_existing(tmp: Path) -> list[str]:
        (tmp / "precious").mkdir()
        (tmp / "precious" / "thesis.txt").write_text("irreplaceable")
        return build({"gemeenten_2025.csv": cbs_header + cbs_rows})(tmp) + ["--out", str(tmp / "precious")]

    def out_home(tmp: Path) -> list[str]:
        from critmat.paths import home

        return build({"gemeenten_2025.csv": cbs_header + cbs_rows})(tmp) + ["--out", str(home())]

    def out_file(tmp: Path) -> list[str]:
        (tmp / "a-file").write_text("x")
        return build({"gemeenten_2025.csv": cbs_header + cbs_rows})(tmp) + ["--out", str(tmp / "a-file")]

    c += [Case("cli-arg", "region-build-out-existing-folder", out_existing, "not written by critmat"),
          Case("cli-arg", "region-build-out-home", out_home, "not written by critmat"),
          Case("cli-arg", "region-build-out-file", out_file, "not a folder")]
    if shared is not None:
        def truncated_list(tmp: Path) -> list[str]:
            src = tmp / "src"
            src.mkdir()
            lines = (shared / "nl_boundaries" / "gemeente_provincie_2025.csv").read_text(encoding="utf-8").splitlines()
            (src / "gemeente_provincie_2025.csv").write_text("\n".join(lines[:-4]) + "\n", encoding="utf-8")
            shutil.copy(shared / "nl_boundaries" / "gemeente_2025.geojson", src)
            return ["region", "build", "--province", "Flevoland", "--from", str(src), "--id", "zz-test"]
        c.append(Case(k, "cbs-list-truncated-at-a-line", truncated_list, "truncated"))
    return c


def _src(tmp: Path, files: dict[str, str]) -> Path:
    src = tmp / "src"
    src.mkdir(exist_ok=True)
    for name, text in files.items():
        (src / name).write_text(text, encoding="utf-8")
    return src


# --------------------------------------------------------------------------------- arguments

def cli_cases() -> list[Case]:
    k = "cli-arg"
    args = {
        "stock-draws-negative": ["stock", "--draws", "-1"],
        "stock-draws-1e9": ["stock", "--draws", "1000000000"],
        "stock-draws-text": ["stock", "--draws", "many"],
        "stock-draws-float": ["stock", "--draws", "1e9"],
        "stock-seed-negative": ["stock", "--seed", "-1"],
        "stock-seed-2^32": ["stock", "--seed", str(2**32)],
        "stock-seed-huge": ["stock", "--seed", "9" * 40],
        "stock-region-unknown": ["stock", "--region", "atlantis"],
        "stock-format-bogus": ["stock", "--format", "xml"],
        "flows-draws-negative": ["flows", "--draws", "-1"],
        "flows-draws-1e9": ["flows", "--draws", "1000000000"],
        "flows-seed-negative": ["flows", "--seed", "-1"],
        "flows-from-1800": ["flows", "--from", "1800"],
        "flows-to-3000": ["flows", "--to", "3000"],
        "flows-to-before-from": ["flows", "--from", "2040", "--to", "2030"],
        "flows-level-bogus": ["flows", "--level", "planet"],
        "flows-scenario-missing-file": ["flows", "--scenario", "/nonexistent/s.yaml"],
        "flows-scenario-unknown": ["flows", "--scenario", "utopia"],
        "disrupt-months-negative": ["disrupt", "-m", "gallium", "-c", "CHN", "--months", "-1"],
        "disrupt-months-inf": ["disrupt", "-m", "gallium", "-c", "CHN", "--months", "inf"],
        "disrupt-months-nan": ["disrupt", "-m", "gallium", "-c", "CHN", "--months", "nan"],
        "disrupt-months-1e9": ["disrupt", "-m", "gallium", "-c", "CHN", "--months", "1e9"],
        "disrupt-start-feb-30": ["disrupt", "-m", "gallium", "-c", "CHN", "--start", "2025-02-30"],
        "disrupt-start-text": ["disrupt", "-m", "gallium", "-c", "CHN", "--start", "soon"],
        "disrupt-share-1.5": ["disrupt", "-m", "gallium", "-c", "CHN", "--share", "1.5"],
        "disrupt-share-nan": ["disrupt", "-m", "gallium", "-c", "CHN", "--share", "nan"],
        "disrupt-spare-inf": ["disrupt", "-m", "gallium", "-c", "CHN", "--spare", "inf"],
        "disrupt-country-unknown": ["disrupt", "-m", "gallium", "-c", "ZZZ"],
        "disrupt-material-unknown": ["disrupt", "-m", "unobtainium", "-c", "CHN"],
        "disrupt-lead-years-1e6": ["disrupt", "-m", "gallium", "-c", "CHN", "--lead-years", "1000000"],
        "disrupt-shock-unknown": ["disrupt", "no-such-shock"],
        "risk-on-feb-30": ["risk", "--on", "2025-02-30"],
        "risk-on-text": ["risk", "--on", "yesterday"],
        "risk-top-0": ["risk", "--top", "0"],
        "risk-sort-bogus": ["risk", "--sort", "random"],
        "risk-stage-bogus": ["risk", "--stage", "mining"],
        "materials-show-unknown": ["materials", "show", "unobtainium"],
        "assets-class-bogus": ["assets", "--class", "spaceships"],
        "assets-region-missing-folder": ["assets", "--region", "/nonexistent/pack"],
        "data-validate-missing-folder": ["data", "validate", "/nonexistent/pack"],
    }
    out = [Case(k, n, (lambda a: lambda tmp: list(a))(a), "") for n, a in args.items()]

    def db_case(name: str, make_db: Callable[[Path], Path], expect: str) -> Case:
        return Case(k, name, lambda tmp: ["materials", "list", "--db", str(make_db(tmp))], expect)

    def csv_db(tmp: Path) -> Path:
        (tmp / "data.csv").write_text("a,b\n1,2\n")
        return tmp / "data.csv"

    def other_duckdb(tmp: Path) -> Path:
        import duckdb

        con = duckdb.connect(str(tmp / "other.duckdb"))
        con.execute("CREATE TABLE precious AS SELECT 1 AS x")
        con.close()
        return tmp / "other.duckdb"

    def corrupt_db(tmp: Path) -> Path:  # both database headers damaged: DuckDB cannot open it
        from critmat.paths import default_db

        data = bytearray(default_db().read_bytes())
        data[4096:12288] = b"\xff" * 8192
        (tmp / "corrupt.duckdb").write_bytes(bytes(data))
        return tmp / "corrupt.duckdb"

    out += [db_case("db-is-a-csv", csv_db, "not a DuckDB file"),
            db_case("db-is-a-folder", lambda tmp: tmp, "is a folder"),
            db_case("db-is-another-duckdb", other_duckdb, "not a critmat warehouse"),
            db_case("db-is-corrupt", corrupt_db, "critmat build")]
    return out
