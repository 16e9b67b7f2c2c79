"""The report's document model: numbered tables and figures inside sections, with source footnotes.

The model holds what the services returned (frames, titles, captions, source ids) and how to show it; it
computes nothing. Numbers (Table n, Figure n) are assigned in reading order by :func:`number`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


from critmat.services.base import Result  # noqa: E402  (one result shape for every face)


@dataclass
class Table:
    """A numbered table: ``frame`` is shown as is (formatting only); ``key`` names it in the data appendix."""

    key: str
    title: str
    frame: pd.DataFrame
    caption: str = ""
    sources: list[str] = field(default_factory=list)
    call: str = ""                       # the service call that produced it, e.g. "stock.stock(by='material')"
    columns: dict[str, str] = field(default_factory=dict)   # column -> shown header
    formats: dict[str, str] = field(default_factory=dict)   # column -> share | num | int | text
    number: int = 0
    fn: str = ""                         # critmat.report.data function that gave the frame
    kwargs: dict[str, Any] = field(default_factory=dict)
    pick: Any = None                     # frame -> shown frame (selection only; the tests re-apply it)


@dataclass
class Figure:
    """A numbered figure: ``svg`` (text) and ``png`` (bytes) rendered by :mod:`critmat.report.figures`."""

    key: str
    title: str
    svg: str
    png: bytes
    caption: str = ""
    sources: list[str] = field(default_factory=list)
    number: int = 0
    wide: bool = False
    spark: bool = False                  # an indicator's trend line: shown in the policy cards, not numbered


@dataclass
class Text:
    """A paragraph (plain text; the template escapes it)."""

    text: str
    kind: str = "p"                      # p | note | missing | kv


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Table | Figure | Text] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    number: str = ""


def number(sections: list[Section]) -> tuple[list[Table], list[Figure]]:
    """Number sections (1, 1.1), tables and figures in reading order; return all tables and figures."""
    tables: list[Table] = []
    figures: list[Figure] = []

    def walk(secs: list[Section], prefix: str) -> None:
        for i, s in enumerate(secs, 1):
            s.number = f"{prefix}{i}"
            for b in s.blocks:
                if isinstance(b, Table):
                    tables.append(b)
                    b.number = len(tables)
                elif isinstance(b, Figure):
                    figures.append(b)
                    b.number = 0 if b.spark else 1 + sum(not f.spark for f in figures[:-1])
            walk(s.subsections, f"{s.number}.")

    walk(sections, "")
    return tables, figures
