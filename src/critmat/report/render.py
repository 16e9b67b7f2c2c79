"""HTML (self-contained: inline CSS, figures as data URIs) and PDF (WeasyPrint) from the document model."""

from __future__ import annotations

import base64
import math
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from critmat.report.i18n import fmt_num, fmt_share, header
from critmat.report.model import Figure, Table


def svg_uri(fig: Figure) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(fig.svg.encode()).decode()


def png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def cell(v: Any, kind: str, lang: str, names: dict[str, str] | None = None) -> str:
    if kind == "shares" and names is not None and isinstance(v, str):  # "vehicle 84%, grid_cable 12%"
        parts = (x.split(" ") for x in v.split(", "))
        return ", ".join(" ".join([names.get(p[0], p[0]), *p[1:]]) for p in parts if p[0])
    if kind in ("material", "class", "term") and names is not None and isinstance(v, str):
        return ", ".join(names.get(x, x) for x in v.split(";")) if kind == "term" else names.get(v, v)
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return "–"
    if kind == "share":
        return fmt_share(v, lang)
    if kind in ("num", "int"):
        return fmt_num(v, lang)
    if isinstance(v, bool):
        return "✓" if v else ""
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, float):
        return fmt_num(v, lang)
    s = str(v)
    return s.replace(";", "; ") if ";" in s and " " not in s else s


def rows(table: Table, lang: str, names: dict[str, str] | None = None) -> list[list[tuple[str, str]]]:
    """Formatted cells (text, css class) of the shown columns; ``material`` columns show material names."""
    cols = [c for c in table.columns if c in table.frame.columns]
    out = []
    for rec in table.frame[cols].itertuples(index=False):
        out.append([(cell(v, table.formats.get(c, "text"), lang, names), table.formats.get(c, "text"))
                    for c, v in zip(cols, rec)])
    return out


def swot(table: Table) -> list[tuple[str, list[dict[str, str]]]]:
    """The SWOT table's rows grouped by kind, in the order strengths, weaknesses, opportunities, threats."""
    f = table.frame
    text = next(c for c in f.columns if c.startswith("title"))
    out = []
    for kind in ("strength", "weakness", "opportunity", "threat"):
        sel = f[f["policy_item_kind"] == kind]
        out.append((kind, [{"text": str(r[text]), "ref": str(r["report_ref"])} for _, r in sel.iterrows()]))
    return out


def html(context: dict[str, Any], raster: bool = False) -> str:
    """Render the Jinja2 template with the document context; CSS is inlined. Figures are SVG data URIs, or
    PNG with ``raster`` (for the PDF: WeasyPrint draws PNG much faster than matplotlib's SVG)."""
    import jinja2

    tdir = files("critmat.report") / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tdir)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    lang = context["lang"]
    css = (files("critmat.report") / "style.css").read_text(encoding="utf-8")
    return env.get_template("report.html.j2").render(
        css=css, rows=lambda t: rows(t, lang, context.get("names")), swot=swot, header=lambda h: header(h, lang), svg_uri=(lambda f: png_uri(f.png)) if raster else svg_uri, **context)


def pdf(html_text: str, path: Path) -> int:
    """Paginate the HTML with WeasyPrint into ``path`` (print media: A4, running footer, TOC page numbers,
    footnotes); returns the number of pages."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    doc = HTML(string=html_text, base_url=None).render()
    doc.write_pdf(path)
    return len(doc.pages)
