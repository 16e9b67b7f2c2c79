"""Hypothesis fuzzing of the inputs critmat reads (issue 15): random cell values in the bundled region pack,
random YAML documents as scenarios and shocks, random option values. Whatever the input, critmat either
accepts it (exit 0) or rejects it with one line (exit 2); it never shows a traceback, hangs or changes the
home. The default run tries a few examples per test; ``pytest -m ""`` runs the slow, larger sweep.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import badinput as B

FAST = settings(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

CELLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["inf", "-inf", "nan", "NaN", "1e309", "-1e309", "", " ", "0", "-0", "1e-320", "9" * 25,
                     "2025-02-30", "'", '"', ",", "\n", "\\", "=cmd|' /C calc'!A0", "null", "None", "true"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
FILES = [r.path for r in B.TEMPLATE.resources]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_home")


def _check(code: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err
    assert code in (0, 2), (code, err[-2000:])
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("warning:")]
        assert lines, err
        if lines[0].startswith("error:"):
            assert len(lines) == 1, err[-2000:]


def _mutated_pack(data: st.DataObject) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="critmat-fuzz-"))
    pack = B.copy_pack(tmp / "nh-fl")
    for _ in range(data.draw(st.integers(1, 3))):
        file = data.draw(st.sampled_from(FILES))
        rows = B.read_rows(pack / file)
        if len(rows) < 2:
            continue
        r = data.draw(st.integers(1, len(rows) - 1))
        c = data.draw(st.integers(0, len(rows[0]) - 1))
        rows[r][c] = data.draw(CELLS)
        B.write_rows(pack / file, rows)
    return pack


def _pack_property(home: Path, data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITMAT_HOME", str(home))
    pack = _mutated_pack(data)
    try:
        _check(*B.run_cli(["assets", "--region", str(pack), "--format", "csv"]))
    finally:
        shutil.rmtree(pack.parent, ignore_errors=True)
    assert list(home.iterdir()) == []  # reading a pack writes nothing


@FAST
@given(data=st.data())
def test_random_cells_in_a_region_pack(home: Path, data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    _pack_property(home, data, monkeypatch)


@pytest.mark.slow
@SLOW
@given(data=st.data())
def test_random_cells_in_a_region_pack_many(home: Path, data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    _pack_property(home, data, monkeypatch)


YAML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=True),
              st.text(max_size=20), st.sampled_from(["2025-02-30", "gallium", "CHN", "baseline", "all"])),
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=12), kids, max_size=4)),
    max_leaves=20,
)
KEYS = st.sampled_from(["name", "years", "recovery", "pathways", "pretreatment", "lifetime_shift_years", "extends",
                        "region", "registry_year", "pipeline", "commissioning_years", "id", "materials", "country",
                        "stage", "share", "start", "months", "destinations", "spare_capacity", "eu_leakage"])
DOCS = st.dictionaries(KEYS, YAML_VALUES, max_size=6)


def _yaml_property(home: Path, doc: dict, command: list[str], monkeypatch: pytest.MonkeyPatch,
                   warehouse_db: Path) -> None:
    monkeypatch.setenv("CRITMAT_HOME", str(home))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        fmt = ["--format", "csv"] if command[0] == "disrupt" else []
        _check(*B.run_cli([*command, str(path), "--db", str(warehouse_db), *fmt]))


@FAST
@given(doc=DOCS)
def test_random_scenarios(home: Path, doc: dict, monkeypatch: pytest.MonkeyPatch, warehouse_db: Path) -> None:
    _yaml_property(home, doc, ["scenario", "validate"], monkeypatch, warehouse_db)


@FAST
@given(doc=DOCS)
def test_random_shocks(home: Path, doc: dict, monkeypatch: pytest.MonkeyPatch, warehouse_db: Path) -> None:
    _yaml_property(home, doc, ["disrupt"], monkeypatch, warehouse_db)


OPTION_VALUES = st.one_of(st.sampled_from(["-1", "0", "inf", "nan", "1e9", "1e309", "abc", "", "2025-02-30",
                                           str(2**64), "-0", "0x10"]),
                          st.integers(-(10**20), 10**20).map(str), st.text(max_size=12))


@FAST
@given(option=st.sampled_from([("stock", "--draws"), ("stock", "--seed"), ("disrupt", "--months"),
                               ("disrupt", "--start"), ("disrupt", "--share"), ("risk", "--on"),
                               ("flows", "--from"), ("risk", "--top")]),
       value=OPTION_VALUES)
def test_random_option_values(home: Path, option: tuple[str, str], value: str, monkeypatch: pytest.MonkeyPatch,
                              warehouse_db: Path) -> None:
    monkeypatch.setenv("CRITMAT_HOME", str(home))
    cmd, opt = option
    extra = ["-m", "gallium", "-c", "CHN"] if cmd == "disrupt" else []
    if cmd in ("stock", "flows"):  # a valid value runs a whole model; the accepted range is tested elsewhere
        try:
            n = int(value)
            if (0 <= n <= 2**32) or (opt == "--from" and 1900 <= n <= 2200):
                value = "-1"
        except ValueError:
            pass
    _check(*B.run_cli([cmd, *extra, opt, value, "--db", str(warehouse_db), "--format", "csv"]))
