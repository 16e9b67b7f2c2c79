"""User-experience checks of the command line: readable tables, flagged group rows, JSON listings as arrays,
reflowed help, one-line errors with exit code 2, a --db that is not a warehouse left alone, the README tour."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from critmat.cli import app, reflow
from critmat.cli.output import fmt_number, starred, table
from critmat.services.base import flag_groups

runner = CliRunner()
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def db(warehouse_db: Path) -> Path:
    return warehouse_db


def _ok(*args: str, env: dict[str, str] | None = None) -> str:
    res = runner.invoke(app, list(args), env=env)
    assert res.exit_code == 0, (args, res.output, res.exception)
    return res.stdout


def _render(df: pd.DataFrame, width: int, caption: str | None = None) -> list[str]:
    con = Console(width=width, file=io.StringIO(), color_system=None)
    con.print(table(df, title="t", caption=caption, width=width))
    return con.file.getvalue().splitlines()


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "critmat", *args], capture_output=True, text=True,
                          env={"CRITMAT_HOME": str(home), "PATH": "", "COLUMNS": "120"}, timeout=120)


# ------------------------------------------------------------------------------------------ table cells

def test_numbers_rounded_for_tables_not_for_csv() -> None:
    assert fmt_number(1995553.6244) == "1,995,554"
    assert fmt_number(894.6145) == "895" and fmt_number(67.086) == "67.1" and fmt_number(1.401057) == "1.40"
    assert fmt_number(0.0000213) == "0.0000213" and "e" not in fmt_number(0.00201)
    assert fmt_number(2025.0, year=True) == "2025" and fmt_number(1493663.0, integral=True) == "1,493,663"
    df = pd.DataFrame({"material": ["steel", "gallium"], "mass_t": [1995553.6244, 0.0213],
                       "commissioning_year": [2022.0, None], "sr": [5.6, 4.0], "crma_exceeds": [True, False]})
    text = "\n".join(_render(df, 120))
    assert "1,995,554" in text and "1995553.6" not in text and "0.0213" in text
    assert "2022" in text and "2,022" not in text
    assert "5.6" in text and "4.0" in text and "5.60" not in text  # no more decimals than a value needs
    assert "yes" in text and "True" not in text
    out = StringIO()
    df.to_csv(out, index=False)  # what emit(..., csv) writes: full precision
    assert "1995553.6244" in out.getvalue()


@pytest.mark.parametrize("width", [80, 100, 120])
def test_wide_tables_fit_and_never_break_numbers(width: int) -> None:
    n = 14
    df = pd.DataFrame({"asset_id": [f"wind-windplanblauw-land-{i:04d}" for i in range(3)],
                       "name": ["Windplanblauw area turbines on land (before repowering)"] * 3,
                       **{f"secondary_supply_{k}_t": [1234567.891, 0.00123, 42.0] for k in range(n)}})
    lines = _render(df, width)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert "1,234,568" in text and "0.00123" in text  # whole numbers, never folded
    assert "not shown for want of width" in text  # what is left out is named, not silently cut
    left_out = re.search(r"not shown for want of width: ([^;]+);", " ".join(lines)).group(1)
    assert f"secondary_supply_{n - 1}_t" in left_out


def test_group_rows_flagged() -> None:
    df = pd.DataFrame({"material": ["neodymium", "rare_earth_elements_light"], "mass_t": [680.4, 894.6]})
    data = flag_groups(df, "material", {"rare_earth_elements_light"})  # what services return (csv, json)
    assert list(data.columns) == ["material", "is_group", "mass_t"] and list(data["is_group"]) == [False, True]
    shown, caption = starred(data, "tonnes")  # what the CLI's tables show
    assert list(shown["material"]) == ["neodymium", "rare_earth_elements_light *"]
    assert list(shown.columns) == ["material", "mass_t"]
    assert caption.startswith("tonnes\n* ") and "do not add them up" in caption
    none = flag_groups(df.head(1), "material", {"rare_earth_elements_light"})
    assert list(none.columns) == ["material", "mass_t"] and starred(none, "c") == (none, "c")


# --------------------------------------------------------------------------------------- commands

def test_stock_group_rows_flagged_and_sum_of_members() -> None:
    rows = pd.read_csv(StringIO(_ok("stock", "--draws", "0", "--format", "csv")))
    assert rows["is_group"].dtype == bool
    light = rows.set_index("material")
    assert light.loc["rare_earth_elements_light", "is_group"] and not light.loc["neodymium", "is_group"]
    members = ["lanthanum", "cerium", "praseodymium", "neodymium", "samarium"]
    held = light.loc[[m for m in members if m in light.index], "mass_t"].sum()
    assert light.loc["rare_earth_elements_light", "mass_t"] == pytest.approx(held)  # why a sum double counts
    tab = _ok("stock", "--draws", "0", "--top", "40", env={"COLUMNS": "120"})
    assert "rare_earth_elements_light *" in tab and "do not add them up" in tab
    assert "low/high intensities" in tab and "percentile" not in tab  # the caption of --draws 0


def test_risk_groups_flagged_and_table_fits(db: Path) -> None:
    out = json.loads(_ok("risk", "--db", str(db), "-f", "json"))
    flags = {r["material_id"]: r["is_group"] for r in out["materials"]}
    assert flags["rare_earth_elements_heavy"] is True and flags["dysprosium"] is False
    tab = _ok("risk", "--db", str(db), "--top", "10", env={"COLUMNS": "120"})
    assert "rare_earth_elements_heavy *" in tab and "assessed as a whole" in tab
    narrow = _ok("risk", "--db", str(db), "--top", "10", env={"COLUMNS": "100"})
    assert max(len(x) for x in narrow.splitlines()) <= 100


LISTINGS = [
    ["materials", "list"], ["sources"], ["sources", "--registry"], ["region", "list"], ["scenario", "list"],
    ["assets", "--class", "wind"], ["stock", "--draws", "0"], ["companies"], ["capabilities"],
    ["capabilities", "--fillers"], ["disrupt", "--list"], ["match", "--placeholders", "-s", "pv-panels-eol"],
]


@pytest.mark.parametrize("args", LISTINGS, ids=[" ".join(a) for a in LISTINGS])
def test_listing_json_is_an_array_of_row_objects(db: Path, args: list[str]) -> None:
    rows = json.loads(_ok(*args, "--format", "json", env={"CRITMAT_DB": str(db)}))
    assert isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows)
    assert len({tuple(r) for r in rows}) == 1  # the same keys in every row


def test_help_reads_as_paragraphs() -> None:
    assert reflow("One line.\n\n    A paragraph\n    over lines.\n\n    \b\n    kept\n    lines") == \
        "One line.\n\nA paragraph over lines.\n\nkept\nlines"

    def commands(typer_app):
        for cmd in typer_app.registered_commands:
            yield cmd
        for grp in typer_app.registered_groups:
            yield from commands(grp.typer_instance)

    for cmd in commands(app):
        text = cmd.help or ""
        first, *rest = text.split("\n\n")
        assert "\n" not in first and len(first) <= 110, (cmd.name, first)
        assert all("\n" not in p for p in rest), cmd.name  # rich mode would keep source line breaks
    res = runner.invoke(app, ["--help"], env={"COLUMNS": "100"})
    for panel in ("Materials and supply risk", "The region", "End-of-life flows", "Companies", "Data"):
        assert panel in res.stdout


def test_a_command_line_loads_only_its_topic_and_answers_as_the_whole_app() -> None:
    """``main`` builds an app of the first word's topic only (start-up); TOPICS must name every root command of
    every topic module, and the one-topic app must give the same help, usage and errors as the whole app."""
    import typer.main

    from critmat.cli import TOPICS, make_app, topic_of

    whole = typer.main.get_command(app)
    assert sorted(whole.commands) == sorted(n for names in TOPICS.values() for n in names)
    for topic, names in TOPICS.items():
        assert sorted(typer.main.get_command(make_app([topic])).commands) == sorted(names), topic
        for name in names:
            assert topic_of([name, "--help"]) == topic
            sub = whole.commands[name]
            lines = [[name, "--help"], [name, "--no-such-option"],
                     *([[name, c, "--help"] for c in getattr(sub, "commands", {})])]
            for args in lines:
                one, full = (runner.invoke(a, args, env={"COLUMNS": "100"}) for a in (make_app([topic]), app))
                assert (one.exit_code, one.output) == (full.exit_code, full.output), args
    assert topic_of([]) is None and topic_of(["--version"]) is None and topic_of(["nonsense"]) is None


def test_usage_is_checked(db: Path) -> None:
    for args, needle in [(["assets", "--status", "broken"], "unknown --status 'broken'"),
                         (["region", "show", "nh-fl", "--table", "cables"], "unknown --table 'cables'"),
                         (["disrupt", "--db", str(db)], "no shock given"),
                         (["companies", "--activity", "recycling"], "ambiguous")]:
        res = runner.invoke(app, args)
        assert res.exit_code != 0 and needle in str(res.exception), (args, res.exception)
    ids = pd.read_csv(StringIO(_ok("companies", "--activity", "metal_recovery", "-f", "csv")))
    assert "recycling_metal_recovery" in set(ids["activities"].str.split(";").explode())


# ----------------------------------------------------------------------------- errors and exit codes

def test_db_that_is_not_a_warehouse_is_left_alone(tmp_path: Path) -> None:
    mine = tmp_path / "scenario.yaml"
    mine.write_text("name: mine\n", encoding="utf-8")
    res = _cli("materials", "list", "--db", str(mine), home=tmp_path)
    assert res.returncode == 2 and res.stderr.startswith("error: --db") and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert mine.read_text(encoding="utf-8") == "name: mine\n"  # was silently replaced by the warehouse
    res = _cli("sources", "--db", str(tmp_path), home=tmp_path)
    assert res.returncode == 2 and "is a folder" in res.stderr


def test_file_system_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    res = _cli("export", "--to", str(blocker / "out"), "--draws", "0", "--no-gpkg", home=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("error: ") and str(blocker) in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_malformed_yaml_is_one_line(tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture) -> None:
    from critmat.cli import main

    bad = tmp_path / "shock.yaml"
    bad.write_text("id: x\n  materials: [gallium\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["critmat", "disrupt", str(bad), "--db", str(db)])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.startswith("error: ") and str(bad) in err
    assert len(err.strip().splitlines()) == 1  # the YAML parser's message spans several lines


# ------------------------------------------------------------------------------------------- README

def _tour() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("## A tour of the command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.startswith("critmat ")]


FAST = ("materials", "sources", "region show", "assets", "scenario", "companies", "capabilities", "risk --top")


def test_readme_tour_commands_run_as_written(db: Path) -> None:
    """Every tour command parses; the quick ones (no network, no files written, seconds) also run."""
    tour = _tour()
    assert len(tour) >= 15
    for line in tour:
        args = shlex.split(line.split(">", 1)[0])[1:]
        res = runner.invoke(app, [*args, "--help"])
        assert res.exit_code == 0, (line, res.output)  # the command and its options exist
        if line.removeprefix("critmat ").startswith(FAST):
            _ok(*args, env={"CRITMAT_DB": str(db), "COLUMNS": "120"})
