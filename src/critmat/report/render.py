"""HTML (self-contained: inline CSS, figures as data URIs) and PDF (WeasyPrint) from the document model."""

from __future__ import annotations

import base64
import math
import re
from importlib.resources import files
from pathlib import Path
from typing import Any
from collections.abc import Callable

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


# DejaVu Sans (the report's font) advance widths of the characters 32-126, in hundredths of an em; bold is ~12 %
# wider (:func:`text_em`). Enough to choose table column widths the way an automatic table layout would (:func:`colwidths`).
_ADV = [32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 34,
        34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79, 60, 79, 69, 63, 61, 73,
        68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63, 63, 28, 28, 58, 28, 97, 63, 61, 63,
        63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84]
_ADV_MORE = {0x2009: 20, 0x202F: 20, 0xA0: 32, 0x2013: 50, 0x2014: 100, 0x2713: 84, 0x25CF: 87, 0x2192: 84,
             0x2265: 84, 0x2264: 84, 0x2248: 84, 0xD7: 84, 0x20AC: 64}  # thin space (thousands), dashes, marks
TABLE_EM = 63.4   # the text width of an A4 page with 2 cm margins (170 mm) in ems of the tables' 7.6 pt font
CELL_PAD = 0.95   # a cell's left + right padding (2 x .35 em) and rule, with a little to spare
_BREAKS = re.compile(r"\s+|(?<=[/\-–])(?=[^\W\d_])")  # line breaks: spaces, after a slash or hyphen before a letter
NOWRAP = ("num", "share", "int", "nowrap")  # cell classes that never wrap (style.css)


def text_em(s: str, bold: bool = False) -> float:
    """The width of ``s`` in ems of DejaVu Sans (checked against WeasyPrint's layout to within 2 %; bold is
    about 12 % wider)."""
    w = sum(_ADV[o - 32] if 32 <= (o := ord(ch)) < 127 else _ADV_MORE.get(o, 70) for ch in s) / 100
    return w * 1.12 if bold else w


def colwidths(table: Table, cells: list[list[tuple[str, str]]], lang: str) -> dict[str, Any] | None:
    """Column widths chosen from the cells' text as the automatic table layout would choose them: each column
    gets at least its longest word (its whole text where it does not wrap), and what is left of the page
    width goes to the columns in proportion to how much more their longest line needs. Given these widths,
    the PDF lays a table out in one pass (``table-layout: fixed``) instead of measuring every cell's text
    first (about 0.5-1 s of a report's pagination).

    Gives ``{"cols": ["12.5%", ...], "width": None, "wrap_heads": False}``. When the numbers with their
    unwrapped headings are wider than the page, the headings of number columns may wrap
    (``wrap_heads``: "Eigen behoefte t" on two lines) so that the table keeps to the page; only when even
    that does not fit are the widths given in em with the table's own width (as the automatic layout: the
    table then runs into the right margin)."""
    cols = [c for c in table.columns if c in table.frame.columns]
    if not cols:
        return None
    lo, hi, lo_wrapped = [], [], []
    for j, c in enumerate(cols):
        head = header(table.columns[c], lang)
        texts = [r[j][0] for r in cells]
        head_words = max([text_em(w, bold=True) for w in _BREAKS.split(head)] + [0.0])
        mx = max([text_em(x) for x in texts] + [text_em(head, bold=True)])
        if table.formats.get(c, "text") in NOWRAP:
            mn = mx
            mn_wrapped = max([text_em(x) for x in texts] + [head_words])
        else:
            mn = mn_wrapped = max([text_em(w) for x in texts for w in _BREAKS.split(x)] + [head_words])
        lo.append(mn + CELL_PAD)
        lo_wrapped.append(mn_wrapped + CELL_PAD)
        hi.append(mx + CELL_PAD)
    room = TABLE_EM
    wrap_heads = False
    if sum(lo) >= room:
        if sum(lo_wrapped) >= room:  # the longest words alone are wider than the page
            return {"cols": [f"{w:.2f}em" for w in lo_wrapped], "width": f"{sum(lo_wrapped):.2f}em",
                    "wrap_heads": True}
        lo, wrap_heads = lo_wrapped, True
    if sum(hi) <= room:  # every cell fits on one line: the spare width in proportion to the widths
        ws = [h * room / sum(hi) for h in hi]
    else:
        extra = [h - m for h, m in zip(hi, lo)]
        ws = [m + (room - sum(lo)) * e / sum(extra) for m, e in zip(lo, extra)]
    return {"cols": [f"{100 * w / room:.2f}%" for w in ws], "width": None, "wrap_heads": wrap_heads}


def swot(table: Table) -> list[tuple[str, list[dict[str, str]]]]:
    """The SWOT table's rows grouped by kind, in the order strengths, weaknesses, opportunities, threats."""
    f = table.frame
    text = next(c for c in f.columns if c.startswith("title"))
    out = []
    for kind in ("strength", "weakness", "opportunity", "threat"):
        sel = f[f["policy_item_kind"] == kind]
        out.append((kind, [{"text": str(r[text]), "ref": str(r["report_ref"])} for _, r in sel.iterrows()]))
    return out


FIGURE_URL = "critmat-figure:"  # + a figure's key: its PNG, handed to WeasyPrint by pdf()'s ``images``


def html(context: dict[str, Any], raster: bool = False) -> str:
    """Render the Jinja2 template with the document context; CSS is inlined. Figures are SVG data URIs, or
    with ``raster`` (for the PDF: WeasyPrint draws PNG much faster than matplotlib's SVG) ``critmat-figure:``
    URLs that :func:`pdf` resolves to each figure's PNG when it gets to it."""
    import jinja2

    tdir = files("critmat.report") / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tdir)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    lang = context["lang"]
    css = (files("critmat.report") / "style.css").read_text(encoding="utf-8")
    png_src = (lambda f: FIGURE_URL + f.key) if raster else (lambda f: png_uri(f.png))
    return env.get_template("report.html.j2").render(
        css=css, rows=lambda t: rows(t, lang, context.get("names")), swot=swot,
        colwidths=lambda t, cells: colwidths(t, cells, lang), header=lambda h: header(h, lang),
        svg_uri=png_src if raster else svg_uri, png_src=png_src, **context)


def _fetcher(images: Callable[[str], bytes], errors: list[BaseException]) -> Any:
    """A WeasyPrint URL fetcher that answers ``critmat-figure:<key>`` with ``images(key)`` (the PNG; it may
    wait for the helper process to finish drawing it) and leaves every other URL to WeasyPrint. A figure that
    fails is appended to ``errors`` (WeasyPrint would log it and paginate without the figure)."""

    def figure(url: str) -> bytes:
        try:
            return images(url[len(FIGURE_URL):])
        except Exception as exc:
            errors.append(exc)
            raise

    try:
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except ImportError:  # WeasyPrint < 66: a fetcher is a function returning a dict
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> dict:
            if url.startswith(FIGURE_URL):
                return {"string": figure(url), "mime_type": "image/png"}
            return default_url_fetcher(url, *args, **kwargs)
        return fetch

    class Fetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith(FIGURE_URL):
                return URLFetcherResponse(url, figure(url), {"Content-Type": "image/png"})
            return super().fetch(url, headers)
    return Fetcher()


def pdf(html_text: str, path: Path, images: Callable[[str], bytes] | None = None) -> int:
    """Paginate the HTML with WeasyPrint into ``path`` (print media: A4, running footer, TOC page numbers,
    footnotes); returns the number of pages. ``images(key)``: the PNG of a ``critmat-figure:`` URL of
    :func:`html` with ``raster``, asked for when WeasyPrint reaches the figure (after parsing and styling
    the whole document, so the report's helper process can still be drawing the last figures)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    errors: list[BaseException] = []
    kw = {"url_fetcher": _fetcher(images, errors)} if images is not None else {}
    doc = HTML(string=html_text, base_url=None, **kw).render()
    if errors:  # a PDF without one of its figures is not written
        raise errors[0]
    doc.write_pdf(path)
    return len(doc.pages)
