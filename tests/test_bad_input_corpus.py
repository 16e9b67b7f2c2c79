"""The bad-input corpus (issue 15): every malformed input gets exit code 2, one line naming what and where,
no traceback, and leaves the warehouse untouched (byte for byte) and no temporary files behind.

Cases are in ``tests/badinput.py`` (generated from the field dictionary and the bundled region pack, plus the
hand-made cases of the issue). The cases run in-process through critmat's real entry point. Region-pack
cases run through ``assets --region PATH``; the ones marked ``build`` also run through ``critmat build``
with the pack placed in ``<home>/regions`` (the same rules at every door). ``test_corpus_size`` states the
count per file type.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import badinput as B
from test_cli_materials import complete_publisher_folder

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CASES = [*B.generated_pack_cases(), *B.rule_cases(), *B.spec_cases(), *B.region_yaml_cases(),
         *B.scenario_cases(), *B.shock_cases(), *B.import_cases(complete_publisher_folder),
         *B.region_build_cases(SHARED if SHARED.is_dir() else None), *B.cli_cases()]
BUILD_CASES = [c for c in CASES if c.build]


def _params(cases: list[B.Case], fast_every: int, always: tuple[str, ...] = ()) -> list:
    """Every case; in the default (fast) run the hand-made ones plus every ``fast_every``-th generated one
    of each file type; the rest are marked slow (the full corpus: ``pytest -m ""``)."""
    seen: Counter = Counter()
    out = []
    for c in cases:
        seen[c.kind] += 1
        generated = c.kind.startswith(("region-csv:", "publisher-ec")) and c.kind not in always
        fast = not generated or (seen[c.kind] - 1) % fast_every == 0
        out.append(pytest.param(c, id=c.id, marks=() if fast else pytest.mark.slow))
    return out


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a built warehouse that every case must leave untouched."""
    import os

    from critmat.warehouse import build

    home = tmp_path_factory.mktemp("corpus_home")
    old = os.environ.get("CRITMAT_HOME")
    os.environ["CRITMAT_HOME"] = str(home)
    try:
        build()
    finally:
        if old is not None:
            os.environ["CRITMAT_HOME"] = old
    return home


def _snapshot(home: Path) -> dict[str, str]:
    """Every file under the home (relative path -> sha256): the warehouse, packages and region packs."""
    return {str(p.relative_to(home)): B.sha256(p) for p in sorted(home.rglob("*")) if p.is_file()}


def _assert_one_clear_error(case: B.Case, code: int, out: str, err: str) -> None:
    text = out + err
    assert "Traceback" not in text, text
    assert code == 2, f"{case.id}: exit {code}, expected 2\n{text[:2000]}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if lines and lines[0].startswith("error:"):
        assert len(lines) == 1, f"{case.id}: more than one line:\n{err[:2000]}"
        assert len(lines[0]) < 1200, f"{case.id}: message of {len(lines[0])} characters"
        assert case.expect.lower() in lines[0].lower(), f"{case.id}: {case.expect!r} not in {lines[0]!r}"
    else:  # a usage error from the option parser (bounds, types): names the option, exit 2
        assert "Invalid value" in err or "No such option" in err or "Missing" in err, err[:2000]


@pytest.mark.parametrize("case", _params(CASES, 4, always=("region-csv:rules",)))
def test_bad_input(case: B.Case, corpus_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITMAT_HOME", str(corpus_home))
    before = _snapshot(corpus_home)
    argv = case.make(tmp_path)
    code, out, err = B.run_cli(argv)
    _assert_one_clear_error(case, code, out, err)
    assert _snapshot(corpus_home) == before, f"{case.id}: the home changed"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=() if i % 8 == 0 else pytest.mark.slow)
                                  for i, c in enumerate(BUILD_CASES)])
def test_bad_pack_fails_build_too(case: B.Case, corpus_home: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`critmat build` applies the rules `assets --region` applies, and keeps the old warehouse."""
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home)
    monkeypatch.setenv("CRITMAT_HOME", str(home))
    argv = case.make(tmp_path)
    pack = Path(argv[argv.index("--region") + 1])
    shutil.move(pack, home / "regions" / "nh-fl") if (home / "regions").is_dir() else (
        (home / "regions").mkdir(), shutil.move(pack, home / "regions" / "nh-fl"))
    before = B.sha256(home / "critmat.duckdb")
    code, out, err = B.run_cli(["build"])
    _assert_one_clear_error(case, code, out, err)
    assert B.sha256(home / "critmat.duckdb") == before
    assert sorted(p.name for p in home.iterdir()) == ["critmat.duckdb", "regions"]


def test_corpus_size() -> None:
    """At least 300 malformed inputs, across every file type critmat reads."""
    by_kind = Counter(c.kind.split(":")[0] for c in CASES)
    assert len(CASES) >= 300, by_kind
    assert {"region-csv", "resources.yaml", "region.yaml", "scenario-yaml", "shock-yaml", "publisher-ec",
            "publisher-region", "cli-arg"} <= set(by_kind)
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
