"""docs/dev/tables.md is generated from the packages and the field dictionary, and stays so."""

from __future__ import annotations

from pathlib import Path

from critmat.catalog.contracts import DERIVED, render

PAGE = Path(__file__).resolve().parents[1] / "docs" / "dev" / "tables.md"


def test_table_contracts_page_is_generated_and_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "docs/dev/tables.md is out of date: run `python -m critmat.catalog.contracts docs/dev/tables.md`")


def test_every_warehouse_table_has_a_contract(warehouse_db: Path) -> None:
    from critmat.warehouse import Warehouse

    text = render()
    with Warehouse(warehouse_db) as wh:
        tables = wh.tables()
    missing = [t for t in tables if f"`{t}`" not in text]
    assert not missing, f"tables without a contract: {missing} (add them to a package or to DERIVED)"
    assert set(DERIVED) <= set(tables), "DERIVED names a table the build no longer writes"
