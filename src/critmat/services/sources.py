"""Sources: the provenance of every warehouse table and the source registry they point into."""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmat.services.base import Result, Section
from critmat.services.context import answer

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource


@answer
def provenance(wh: TableSource) -> Result:
    """Per table: dataset, package, source ids, vintage, rows and the sha256 of its file."""
    df = wh.provenance[["dataset", "package", "source_ids", "vintage", "rows", "sha256"]].copy()
    shown = df.assign(sha256=df["sha256"].str.slice(0, 12) + "…")
    title = "Provenance of the warehouse tables"
    caption = f"{wh.path}"
    hint = "`critmat sources --registry` lists the full citations."
    return Result(df, title=title, caption=caption, hint=hint,
                  sections=[Section("provenance", shown, title, caption, hint=hint)])


@answer
def registry(wh: TableSource) -> Result:
    """The source registry: publisher, title, vintage, licence and url of every source."""
    df = wh.table("sources")[["source_id", "kind", "publisher", "title", "vintage", "licence", "url"]]
    return Result(df, title="Source registry")
