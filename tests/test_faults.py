"""Fault tests (issue 15): kill -9 at random points of build, data import and region build; a full disk
(RLIMIT_FSIZE, as ``ulimit -f``); a read-only home; concurrent builds; SIGTERM. After each fault the next
command works and gives the same answers, the previous warehouse/package is intact or correctly replaced,
and no temporary file or staging folder is left behind (or read as data).

critmat runs in a subprocess (``python -m critmat``) so the faults hit a real process. One run of each
fault (kill -9 of build; the debris a kill leaves, for all three writers) is in the default test run; the
repeated random kills of build, import and region build are marked ``slow`` (``pytest -m ""`` runs all).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import badinput as B
from critmat.warehouse import verify
from test_cli_materials import complete_publisher_folder

CLI = [sys.executable, "-m", "critmat"]
CBS = "gemeentecode_gm,gemeentenaam_2025,provinciecode_pv,provincienaam\nGM0034,Almere,PV24,Flevoland\n" \
      "GM0050,Zeewolde,PV24,Flevoland\n"
PPM = ("id,Name,Fueltype,Technology,Set,Country,Capacity,DateIn,DateOut,lat,lon\n"
       "1,Park A,Wind,Onshore,PP,Netherlands,10,2010,,52.40,5.30\n"
       "2,Park B,Solar,PV,PP,Netherlands,20,2015,,52.35,5.20\n")


def run(home: Path, *args: str, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRITMAT_HOME": str(home)}
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout, **kw)


def popen(home: Path, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "CRITMAT_HOME": str(home)}
    return subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def debris(home: Path) -> list[str]:
    """Temporary files and staging folders anywhere under the home."""
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if ".building-" in p.name or "-staging-" in p.name or ".tmp-" in p.name or p.name.endswith(".wal"))


def answers(home: Path) -> tuple[str, str]:
    """What a user sees: the content checksum of the warehouse and the materials listing."""
    r = run(home, "materials", "list", "--format", "csv")
    assert r.returncode == 0, r.stderr
    return verify(home / "critmat.duckdb"), r.stdout


def one_error_line(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr[-2000:]
    return lines[0]


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a built warehouse (copied by each test)."""
    home = tmp_path_factory.mktemp("fault_home")
    r = run(home, "build")
    assert r.returncode == 0, r.stderr
    return home


def _copy_home(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def _kill_at_random(home: Path, args: list[str], seed: int, span: float) -> int:
    """Start ``critmat ARGS`` and SIGKILL it after a random delay in [0, span] s; returns its exit code."""
    p = popen(home, *args)
    time.sleep(random.Random(seed).uniform(0.0, span))
    p.kill()
    p.communicate(timeout=60)
    return p.returncode


def _duration(home: Path, args: list[str]) -> float:
    t0 = time.monotonic()
    r = run(home, *args)
    assert r.returncode == 0, r.stderr
    return time.monotonic() - t0


# ------------------------------------------------------------------------------------ kill -9

def _kill_build(built_home: Path, tmp_path: Path, seeds: range) -> None:
    home = _copy_home(built_home, tmp_path / "home")
    ref = answers(home)
    span = _duration(home, ["build"])
    for seed in seeds:
        _kill_at_random(home, ["build"], seed, span)
        assert answers(home) == ref, f"seed {seed}: different answers after kill -9"
        assert debris(home) == [], f"seed {seed}: left {debris(home)}"


def test_kill9_build_then_next_command_works(built_home: Path, tmp_path: Path) -> None:
    _kill_build(built_home, tmp_path, range(1))


@pytest.mark.slow
def test_kill9_build_many(built_home: Path, tmp_path: Path) -> None:
    _kill_build(built_home, tmp_path, range(2, 14))


def _kill_import(built_home: Path, tmp_path: Path, seeds: range) -> None:
    home = _copy_home(built_home, tmp_path / "home")
    pub = complete_publisher_folder(tmp_path / "pub")
    r = run(home, "data", "import", "--from", str(pub))
    assert r.returncode == 0, r.stderr
    ref = answers(home)
    package = sorted(p.name for p in (home / "packages" / "ec_crm_2023").iterdir())
    span = _duration(home, ["data", "import", "--from", str(pub)])
    for seed in seeds:
        _kill_at_random(home, ["data", "import", "--from", str(pub)], seed, span)
        assert answers(home) == ref, f"seed {seed}"
        assert sorted(p.name for p in (home / "packages" / "ec_crm_2023").iterdir()) == package
        assert debris(home) == [], f"seed {seed}: left {debris(home)}"


@pytest.mark.slow
def test_kill9_import_then_next_command_works(built_home: Path, tmp_path: Path) -> None:
    _kill_import(built_home, tmp_path, range(2))


@pytest.mark.slow
def test_kill9_import_many(built_home: Path, tmp_path: Path) -> None:
    _kill_import(built_home, tmp_path, range(2, 12))


def _region_src(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "gemeenten_2025.csv").write_text(CBS, encoding="utf-8")
    (src / "ppm.csv").write_text(PPM, encoding="utf-8")
    return src


def _kill_region_build(built_home: Path, tmp_path: Path, seeds: range) -> None:
    home = _copy_home(built_home, tmp_path / "home")
    args = ["region", "build", "--province", "Flevoland", "--from", str(_region_src(tmp_path)), "--id", "zz-test"]
    assert run(home, *args).returncode == 0
    listing = run(home, "assets", "--region", "zz-test", "--format", "csv").stdout
    ref = answers(home)
    span = _duration(home, args)
    for seed in seeds:
        _kill_at_random(home, args, seed, span)
        assert answers(home) == ref, f"seed {seed}"
        assert run(home, "assets", "--region", "zz-test", "--format", "csv").stdout == listing
        assert debris(home) == [], f"seed {seed}: left {debris(home)}"
        assert [p.name for p in (home / "regions").iterdir()] == ["zz-test"]


@pytest.mark.slow
def test_kill9_region_build_then_next_command_works(built_home: Path, tmp_path: Path) -> None:
    _kill_region_build(built_home, tmp_path, range(2))


@pytest.mark.slow
def test_kill9_region_build_many(built_home: Path, tmp_path: Path) -> None:
    _kill_region_build(built_home, tmp_path, range(2, 12))


def test_debris_of_a_dead_process_is_cleaned_and_never_read(built_home: Path, tmp_path: Path) -> None:
    """What kill -9 leaves (a half-written database and its .wal, a staging pack holding a valid-looking
    region pack, a hidden import folder) is never read as data and is removed by the next command."""
    home = _copy_home(built_home, tmp_path / "home")
    ref = answers(home)
    dead = _dead_pid()
    (home / f"critmat.duckdb.building-{dead}").write_bytes(b"\0" * 4096)
    (home / f"critmat.duckdb.building-{dead}.wal").write_bytes(b"\0" * 4096)
    B.copy_pack(home / "regions" / f".nh-fl-staging-{dead}-abc123")
    B.set_cell(home / "regions" / f".nh-fl-staging-{dead}-abc123", "assets.csv", "capacity_mw", "1")
    bogus = home / "packages" / f".ec_crm_2023-staging-{dead}-xyz"
    bogus.mkdir(parents=True)
    (bogus / "resources.yaml").write_text("name: ec_crm_2023\ntitle: x\nresources: []\n")
    hidden = home / "regions" / ".my-notes"  # a user's own hidden folder: ignored, not deleted
    hidden.mkdir()
    assert answers(home) == ref
    assert debris(home) == []
    assert hidden.is_dir()


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_killed_mid_swap_puts_the_previous_package_back(built_home: Path, tmp_path: Path) -> None:
    """Killed after moving the old package aside but before the new one took its place: the next command
    moves the old one back instead of deleting it."""
    home = _copy_home(built_home, tmp_path / "home")
    pub = complete_publisher_folder(tmp_path / "pub")
    assert run(home, "data", "import", "--from", str(pub)).returncode == 0
    ref = answers(home)
    pkg = home / "packages" / "ec_crm_2023"
    pkg.rename(home / "packages" / f".ec_crm_2023-old-staging-{_dead_pid()}-q1w2e3")
    assert answers(home) == ref
    assert pkg.is_dir() and debris(home) == []


# ---------------------------------------------------------------------------------- full disk

def _fsize_limit(limit: int):
    import resource

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("limit", [200_000, pytest.param(2_000_000, marks=pytest.mark.slow)])
def test_full_disk_build_keeps_the_old_warehouse(built_home: Path, tmp_path: Path, limit: int) -> None:
    home = _copy_home(built_home, tmp_path / "home")
    before = B.sha256(home / "critmat.duckdb")
    r = run(home, "build", preexec_fn=_fsize_limit(limit))
    line = one_error_line(r)
    assert "previous warehouse is unchanged" in line
    assert B.sha256(home / "critmat.duckdb") == before
    assert debris(home) == []
    answers(home)


def test_full_disk_import_changes_nothing(built_home: Path, tmp_path: Path) -> None:
    home = _copy_home(built_home, tmp_path / "home")
    pub = complete_publisher_folder(tmp_path / "pub")
    before = B.sha256(home / "critmat.duckdb")
    r = run(home, "data", "import", "--from", str(pub), preexec_fn=_fsize_limit(1_000_000))
    one_error_line(r)
    assert B.sha256(home / "critmat.duckdb") == before
    assert not (home / "packages" / "ec_crm_2023").exists()
    assert debris(home) == []


def test_full_disk_region_build_changes_nothing(built_home: Path, tmp_path: Path) -> None:
    home = _copy_home(built_home, tmp_path / "home")
    args = ["region", "build", "--province", "Flevoland", "--from", str(_region_src(tmp_path)), "--id", "zz-test"]
    assert run(home, *args).returncode == 0
    pack = {p.name: B.sha256(p) for p in (home / "regions" / "zz-test").iterdir()}
    r = run(home, *args, preexec_fn=_fsize_limit(300))
    one_error_line(r)
    assert {p.name: B.sha256(p) for p in (home / "regions" / "zz-test").iterdir()} == pack
    assert debris(home) == []


# ----------------------------------------------------------------------------- read-only home

def _read_only(home: Path) -> list[str]:
    """A command prefix under which ``home`` is read-only: chmod for a normal user; for root (who ignores
    permissions) a read-only bind mount in a private mount namespace (``unshare -m``)."""
    for p in [*home.rglob("*"), home]:
        os.chmod(p, 0o555 if p.is_dir() else 0o444)
    if os.geteuid() != 0:
        return []
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare(1): cannot make the home read-only")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind -o ro '{home}' '{home}' && touch '{home}/x'"],
                           capture_output=True, text=True)
    if "Read-only" not in probe.stderr:
        pytest.skip(f"cannot mount the home read-only here ({probe.stderr.strip()[:100]})")
    return ["unshare", "-m", "sh", "-c", f"mount --bind -o ro '{home}' '{home}' && exec \"$0\" \"$@\""]


def test_read_only_home(built_home: Path, tmp_path: Path) -> None:
    """Reading works; building says why it cannot write (exit 2, one line) and changes nothing."""
    home = _copy_home(built_home, tmp_path / "home")
    try:
        prefix = _read_only(home)
        before = B.sha256(home / "critmat.duckdb")
        env = {**os.environ, "CRITMAT_HOME": str(home)}

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([*prefix, *CLI, *args], env=env, capture_output=True, text=True, timeout=600)

        r = cli("materials", "list", "--format", "csv")
        assert r.returncode == 0 and "gallium" in r.stdout, r.stderr
        line = one_error_line(cli("build"))
        assert "read-only" in line.lower() or "permission denied" in line.lower(), line
        assert B.sha256(home / "critmat.duckdb") == before
        assert debris(home) == []
    finally:
        for p in [home, *home.rglob("*")]:
            os.chmod(p, 0o755)


# --------------------------------------------------------------------------- concurrent builds

def test_concurrent_builds(built_home: Path, tmp_path: Path) -> None:
    home = _copy_home(built_home, tmp_path / "home")
    ref = answers(home)
    procs = [popen(home, "build") for _ in range(3)]
    results = [(p.wait(timeout=600), p.communicate()[1]) for p in procs]
    for code, err in results:
        assert "Traceback" not in err
        assert code in (0, 2), err
        if code == 2:
            assert len([ln for ln in err.splitlines() if ln.strip()]) == 1, err
    assert any(code == 0 for code, _ in results)
    assert answers(home) == ref
    assert debris(home) == []


# ---------------------------------------------------------------------------------------- SIGTERM

def test_sigterm_during_build_leaves_no_temp_files(built_home: Path, tmp_path: Path) -> None:
    home = _copy_home(built_home, tmp_path / "home")
    ref = answers(home)
    p = popen(home, "build")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        if any(".building-" in q.name for q in home.iterdir()):
            break
        time.sleep(0.01)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert "Traceback" not in err
    assert p.returncode in (0, 128 + signal.SIGTERM), (p.returncode, err)
    assert debris(home) == []
    assert answers(home) == ref
