"""The data appendix: every table and every figure's numbers as CSV in a Frictionless data package
(``data/datapackage.json``) and as one XLSX workbook (a sheet per table or figure)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from critmat.report.model import Figure, Table


def _name(key: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", key.lower()).strip("_")[:60]


def _sheet(name: str) -> str:
    """An Excel sheet name (at most 31 characters) that stays unique: the number prefix is kept."""
    return name.replace("figure_", "fig_").replace("table_", "tab_").replace("trend_", "tr_")[:31]


def _type(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_integer_dtype(s):
        return "integer"
    if pd.api.types.is_float_dtype(s):
        return "number"
    return "string"


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
        if str(out[c].dtype).startswith("datetime"):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return out


def frames(tables: list[Table], figures: list[Figure]) -> dict[str, tuple[str, pd.DataFrame]]:
    """name -> (title, frame) for every table and every figure that carries data."""
    out: dict[str, tuple[str, pd.DataFrame]] = {}
    for t in tables:
        out[f"table_{t.number:02d}_{_name(t.key)}"] = (f"Table {t.number}. {t.title}", t.frame)
    for f in figures:
        d = getattr(f, "data", None)
        if d is not None and f.spark:
            out[f"trend_{_name(f.key)}"[:60]] = (f"Trend of indicator {f.title}", d)
        elif d is not None:
            out[f"figure_{f.number:02d}_{_name(f.key)}"] = (f"Figure {f.number}. {f.title}", d)
    return out


def _xlsx_engine() -> str:
    """XlsxWriter when installed (writes the workbook in about half openpyxl's time), else openpyxl."""
    import importlib.util

    return "xlsxwriter" if importlib.util.find_spec("xlsxwriter") is not None else "openpyxl"


def write_frames(out: Path, fr: dict[str, tuple[str, pd.DataFrame]], meta: dict) -> list[Path]:
    """Write data/*.csv + data/datapackage.json and report_data.xlsx from :func:`frames` (what the report's
    helper process is given); return the paths."""
    ddir = out / "data"
    ddir.mkdir(parents=True, exist_ok=True)
    resources = []
    for name, (title, df) in fr.items():
        df = _clean(df.reset_index(drop=True))
        df.to_csv(ddir / f"{name}.csv", index=False)
        resources.append({"name": name, "path": f"{name}.csv", "title": title, "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8",
                          "schema": {"fields": [{"name": str(c), "type": _type(df[c])} for c in df.columns]}})
    pkg = {"name": f"critmat-report-{_name(meta['region'])}", "title": meta["title"],
           "description": "Every number shown in the critmat report, one resource per table and figure.",
           "created": meta["created"], "licenses": [{"name": "CC-BY-4.0"}],
           "sources": [{"title": s} for s in meta.get("sources", [])][:200],
           "critmat": {k: v for k, v in meta.items() if k not in ("sources",)}, "resources": resources}
    (ddir / "datapackage.json").write_text(json.dumps(pkg, indent=1, default=str), encoding="utf-8")
    xlsx = out / "report_data.xlsx"
    with pd.ExcelWriter(xlsx, engine=_xlsx_engine()) as w:
        sheets = {n: _sheet(n) for n in fr}
        index = pd.DataFrame([{"sheet": sheets[n], "title": t} for n, (t, _) in fr.items()])
        index.to_excel(w, sheet_name="contents", index=False)
        for name, (_, df) in fr.items():
            _clean(df).to_excel(w, sheet_name=sheets[name], index=False)
    return [ddir / "datapackage.json", xlsx]
