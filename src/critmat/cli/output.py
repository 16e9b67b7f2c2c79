"""Printing results: rich tables for people, CSV/JSON for tools. One helper for every listing.

Tables round for reading (three significant digits, thousands separators, years and counts as integers,
booleans as yes/no); CSV and JSON keep full precision. JSON of a listing is an array of row objects.
"""

from __future__ import annotations

import math
import os
import re
import sys
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported lazily: `critmat --help` stays fast
    import pandas as pd
    from rich.console import Console

GROUP_NOTE = ("* a group of elements (e.g. light rare earths = La, Ce, Pr, Nd, Sm): its row is the sum of its "
              "members' rows, which are listed too; do not add them up")
PIPED_WIDTH = 160  # table width when stdout is not a terminal and COLUMNS is unset


from critmat.services.base import (  # noqa: E402,F401 - one home, re-exported for the CLI
    _jsonable,
    _needed_decimals,
    fmt_number,
    records,
    to_json,
)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


# ----------------------------------------------------------------------------------------------- table cells

def _is_year(name: str) -> bool:
    return "year" in name.lower() and "per_yr" not in name.lower() and "per_year" not in name.lower()


def _is_coordinate(name: str) -> bool:
    return name.lower() in {"lat", "lon", "latitude", "longitude"}


def _column_formatter(name: str, values: list[Any]):
    """A cell formatter for one column, chosen from its name and values (consistent within the column)."""
    values = [_jsonable(v) for v in values]
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
            and not (isinstance(v, float) and math.isnan(v))]
    integral = bool(nums) and all(float(v).is_integer() for v in nums)
    year = integral and _is_year(name) and all(1000 <= v <= 3000 for v in nums)
    # within a column, no more decimals than some value needs (SR 5.6 and 4.0, not 5.60 and 4.00)
    decimals = max((_needed_decimals(float(v)) for v in nums if v), default=0) if nums and not integral else None
    if _is_coordinate(name):
        decimals = 4

    def fmt(v: Any) -> str:
        v = _jsonable(v)
        if v is None:
            return ""
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, (int, float)):
            if _is_coordinate(name) and not integral:
                return f"{v:.4f}"
            return fmt_number(v, integral=integral, year=year, decimals=decimals)
        s = str(v)
        # "a;b;c" lists get a space after each separator so the table can wrap them
        return re.sub(r";(?=\S)", "; ", s) if ";" in s else s

    return fmt


def _split_header(name: str, width: int) -> str:
    """Break a snake_case header after underscores into lines of at most ``width`` (or its longest part)."""
    parts = re.findall(r"[^_]+_*|_+", name)
    lines: list[str] = []
    for p in parts:
        if lines and len(lines[-1]) + len(p) <= width:
            lines[-1] += p
        else:
            lines.append(p)
    if len(lines) > 1 and len(lines[-1]) <= 2:  # keep a unit suffix with its word: mass_t, not mass_ / t
        lines[-2:] = [lines[-2] + lines[-1]]
    return "\n".join(lines)


def stdout_console() -> Console:
    """The console for results on stdout: the terminal's width, else $COLUMNS, else a wide page for pipes
    (rich would fall back to 80 columns)."""
    from rich.console import Console

    width = None
    if not sys.stdout.isatty():
        cols = os.environ.get("COLUMNS", "")
        width = int(cols) if cols.isdigit() and int(cols) > 20 else PIPED_WIDTH
    return Console(width=width)


def table(df: pd.DataFrame, title: str | None = None, caption: str | None = None, width: int = 120):
    """A rich Table of ``df`` laid out for ``width`` columns (see :func:`fitted`)."""
    return fitted(df, title, caption, width)[0]


def fitted(df: pd.DataFrame, title: str | None = None, caption: str | None = None, width: int = 120):
    """A rich Table of ``df`` laid out for ``width`` columns, and its rendering without colour (the text
    a console without colour prints; rendering it once to check the width is half of a table's cost).

    Numbers and identifiers never break inside; prose wraps between words. A table too wide for ``width``
    turns compact (no vertical rules, long snake_case headers broken after underscores), then lets its
    longest identifiers fold, and as a last resort leaves out its right-most columns (named in the caption)
    rather than squeezing numbers. Callers order columns by importance.
    """
    import pandas as pd
    from rich import box
    from rich.table import Table

    cols = [str(c) for c in df.columns]
    cells: list[list[str]] = []
    numeric: list[bool] = []
    for col in df.columns:
        values = df[col].tolist()
        fmt = _column_formatter(str(col), values)
        cells.append([fmt(v) for v in values])
        present = [v for v in (_jsonable(v) for v in values) if v is not None]
        numeric.append(all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present) if present
                       else pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]))
    n = len(cols)
    content = [max([len(x) for x in c] + [1]) for c in cells]
    # identifiers and codes (no spaces, not too long) stay on one line; prose wraps between words
    ident = [not num and all(" " not in x.removesuffix(" *") for x in c) and w <= 34
             for num, c, w in zip(numeric, cells, content)]
    prose = [not num and not idn for num, idn in zip(numeric, ident)]
    words = [min(max([len(w) for x in c for w in x.split()] + [1]), 24) for c in cells]
    kw: dict[str, Any] = {}
    headers = cols
    if sum(max(len(h), w) for h, w in zip(cols, content)) + 3 * n + 1 > width:
        kw = {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False, "collapse_padding": True}
        headers = [_split_header(h, max(lw, 6) if pr else max(w, 8)) if pr or len(h) > w + 2 else h
                   for h, w, lw, pr in zip(cols, content, words, prose)]
    head = [max(len(x) for x in h.split("\n")) for h in headers]
    need = [max(lw if pr else w, hd) for w, lw, hd, pr in zip(content, words, head, prose)]

    def total(keep: list[int]) -> int:
        return sum(need[i] for i in keep) + (2 * (len(keep) - 1) if kw else 3 * len(keep) + 1)

    shown = list(range(n))
    released: set[int] = set()  # identifier columns allowed to fold, widest first, until the table fits
    while total(shown) > width:
        wide = [i for i in shown if ident[i] and i not in released and need[i] > max(10, head[i])]
        if wide:
            i = max(wide, key=lambda j: need[j])
            released.add(i)
            need[i] = max(10, head[i])
            continue
        long_prose = [i for i in shown if prose[i] and need[i] > max(12, head[i])]
        if long_prose:
            for i in long_prose:
                need[i] = max(12, head[i])
            continue
        if len(shown) <= 2:
            break
        shown.pop()  # leave out the right-most column

    def build(keep: list[int]) -> Table:
        left_out = [cols[i] for i in range(n) if i not in keep]
        note = (f"(not shown for want of width: {', '.join(left_out)}; widen the terminal or use --format csv)"
                if left_out else None)
        t = Table(title=title, caption="\n".join(x for x in (caption, note) if x) or None, show_lines=False,
                  caption_justify="left", **kw)
        wrap = [i for i in keep if prose[i] or i in released]
        fixed: dict[int, int] = {}
        if kw and wrap:  # too wide by nature: wrapping columns get fixed widths, the spare room shared out
            fixed = {i: need[i] for i in wrap}
            spare = width - total(keep)
            while spare > 0:
                hungry = [i for i in wrap if fixed[i] < content[i]]
                if not hungry:
                    break
                for i in sorted(hungry, key=lambda j: content[j] - fixed[j], reverse=True)[:spare]:
                    fixed[i] += 1
                    spare -= 1
        for i in keep:
            t.add_column(headers[i], justify="right" if numeric[i] else "left", no_wrap=i not in wrap,
                         overflow="fold", width=fixed.get(i),
                         min_width=need[i] if i in wrap and i not in fixed else None)
        for row in zip(*(cells[i] for i in keep)) if cells else []:
            t.add_row(*row)
        return t

    t = build(shown)
    text = _plain(t, width)
    while _too_wide(text, width) and len(shown) > 2:  # an estimate was off: leave out one more column
        shown.pop()
        t = build(shown)
        text = _plain(t, width)
    return t, text


def _plain(renderable: Any, width: int) -> str:
    """``renderable`` as a console of ``width`` columns without colour prints it."""
    import io

    from rich.console import Console

    probe = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    probe.print(renderable, crop=False)
    return probe.file.getvalue()


def _too_wide(text: str, width: int) -> bool:
    """Whether a rendering has lines wider than ``width`` columns."""
    from rich.cells import cell_len

    return any(cell_len(line) > width for line in text.splitlines())


def print_table(console: Console, df: pd.DataFrame, title: str | None = None, caption: str | None = None) -> None:
    """Print ``df`` as a table laid out for ``console``'s width; a console without colour (a pipe, a file)
    gets the text the width check rendered, instead of a second rendering."""
    t, text = fitted(df, title=title, caption=caption, width=console.width)
    if console.color_system is None and not console.record and console.file is not None:
        console.file.write(text)
    else:
        console.print(t)


def emit(df: pd.DataFrame, fmt: Format | str = Format.table, title: str | None = None,
         caption: str | None = None, console: Console | None = None) -> None:
    """Print a frame as a rich table, CSV (full precision) or a JSON array of row objects."""
    fmt = Format(fmt)
    if fmt is Format.csv:
        df.to_csv(sys.stdout, index=False)
    elif fmt is Format.json:
        sys.stdout.write(to_json(records(df)) + "\n")
    else:
        console = console or stdout_console()
        print_table(console, df, title=title, caption=caption)


def starred(df: pd.DataFrame, caption: str | None, note: str = GROUP_NOTE) -> tuple[pd.DataFrame, str | None]:
    """A service frame's ``is_group`` column (see :func:`critmat.services.base.flag_groups`) shown the table
    way: the id before it gets a trailing `` *`` and the caption ``note``."""
    if "is_group" not in df:
        return df, caption
    col = list(df.columns)[list(df.columns).index("is_group") - 1]
    df = df.copy()
    flag = df.pop("is_group").astype(bool)
    df[col] = df[col].where(~flag, df[col].astype(str) + " *")
    return df, (f"{caption}\n{note}" if caption else note) if flag.any() else caption


def with_hint(caption: str | None, hint: str | None) -> str | None:
    """A caption followed by a service's command-line hint (a sentence of its own)."""
    if not hint:
        return caption
    if not caption:
        return hint
    text = caption.rstrip()
    return f"{text} {hint}" if text.endswith((".", "!", "?")) else f"{text} · {hint}"


def show(result: Any, fmt: Format | str = Format.table, note: str = GROUP_NOTE) -> None:
    """Print a service :class:`~critmat.services.base.Result`: its document (json), its frame (csv), or its
    sections as tables (table; the frame alone when it has none)."""
    fmt = Format(fmt)
    if fmt is Format.json:
        sys.stdout.write(to_json(result.document()) + "\n")
        return
    if fmt is Format.csv:
        result.frame.to_csv(sys.stdout, index=False)
        return
    console = stdout_console()
    sections = result.sections or [None]
    for sec in sections:
        if sec is not None and sec.frame is None:
            console.print(sec.text, highlight=False)
            continue
        frame, title, caption, hint = ((result.frame, result.title, result.caption, result.hint) if sec is None
                                       else (sec.frame, sec.title, sec.caption, sec.hint))
        caption = with_hint(caption, hint)
        frame, caption = starred(frame, caption, note)
        print_table(console, frame, title=title, caption=caption or None)
