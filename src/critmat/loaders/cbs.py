"""CBS (Statistics Netherlands): municipality lists, StatLine OData tables, car ownership by municipality.

- :func:`read_municipalities` reads the CBS list "Gemeenten alfabetisch {year}" exported to CSV
  (columns Gemeentecode, GemeentecodeGM, Gemeentenaam, Provinciecode, ProvinciecodePV, Provincienaam) or a
  municipality→province CSV with columns gemeentecode_gm, gemeentenaam*, provinciecode_pv, provincienaam.
- :func:`fetch_odata` downloads a StatLine table through the OData v3 API
  (``https://opendata.cbs.nl/ODataApi/odata/{table}/TypedDataSet``; JSON, paged by ``odata.nextLink``)
  with plain HTTP, and caches the JSON with a ``.sha256`` file. :func:`read_odata` turns such a JSON
  (or a local copy) into a frame, with dimension codes stripped of CBS's padding.
  Tables used by critmat: 85237NED (passenger cars by vehicle characteristics and province, 1 January)
  and 85236NED (vehicle fleet by region). Never called in tests.
- :func:`read_cars_per_household` reads the CBS/RDW table "Gemiddeld aantal personenauto's per huishouden
  naar gemeente" (``;`` or ``,`` separated; decimal comma or point).

CBS data are CC BY 4.0.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv
from critmat.paths import cache_dir

ODATA_URL = "https://opendata.cbs.nl/ODataApi/odata/{table}/{dataset}"

_MUNI_FORMATS = {
    "cbs_alfabetisch": {"GemeentecodeGM": "municipality_code", "Gemeentenaam": "municipality_name",
                        "ProvinciecodePV": "province_code", "Provincienaam": "province_name"},
    "gm_pv": {"gemeentecode_gm": "municipality_code", "provinciecode_pv": "province_code",
              "provincienaam": "province_name"},
}


def _read_text_table(path: Path) -> pd.DataFrame:
    return read_text_csv(path, encodings=("utf-8-sig", "cp1252"), sniff_separator=True)


def sniff_municipalities(path: Path) -> str | None:
    """Name of the municipality-list format of a CSV, or None if it is not one."""
    try:  # the header only: a damaged body is reported when the list is read, not taken for another file
        with open(path, "rb") as fh:
            first = fh.readline(20000).decode("utf-8-sig", errors="replace").strip()
    except OSError:
        return None
    sep = ";" if first.count(";") > first.count(",") else ","
    cols = {c.strip().strip('"') for c in first.split(sep)}
    for fmt, mapping in _MUNI_FORMATS.items():
        if set(mapping) <= cols:
            return fmt
    return None


def read_municipalities(path: Path) -> pd.DataFrame:
    """municipality_code (GMxxxx), municipality_name, province_code (PVxx), province_name from a CBS list."""
    df = _read_text_table(path)
    fmt = sniff_municipalities(path)
    if fmt is None:
        raise DataError("not a CBS municipality list: expected columns GemeentecodeGM, Gemeentenaam, "
                        "ProvinciecodePV, Provincienaam (or gemeentecode_gm, gemeentenaam*, provinciecode_pv, "
                        f"provincienaam); found {list(df.columns)}", file=str(path), row=1)
    mapping = dict(_MUNI_FORMATS[fmt])
    if fmt == "gm_pv":
        name_col = next((c for c in df.columns if c.startswith("gemeentenaam")), None)
        if name_col is None:
            raise DataError("no gemeentenaam column", file=str(path), row=1)
        mapping[name_col] = "municipality_name"
    if df.empty:
        raise DataError("no municipalities: the list has a header but no data rows", file=str(path), row=2)
    out = df.rename(columns=mapping)[["municipality_code", "municipality_name", "province_code", "province_name"]]
    out = out.apply(lambda s: s.str.strip())
    for col, pat in (("municipality_code", r"^GM\d{4}$"), ("province_code", r"^PV\d{2}$")):
        bad = out.index[~out[col].str.match(pat)]
        if len(bad):
            raise DataError(f"value {out.at[bad[0], col]!r} is not a CBS code ({pat})", file=str(path),
                            row=int(bad[0]) + 2, column=col)
    dup = out.index[out["municipality_code"].duplicated()]
    if len(dup):
        raise DataError(f"municipality {out.at[dup[0], 'municipality_code']} listed twice", file=str(path),
                        row=int(dup[0]) + 2, column="municipality_code")
    return out.reset_index(drop=True)


def read_cars_per_household(path: Path) -> pd.DataFrame:
    """municipality_code, municipality_name, cars_per_household from the CBS/RDW car-ownership table."""
    df = _read_text_table(path)
    code = next((c for c in df.columns if c.lower() in ("gemeentecode_gm", "gemeentecode", "regiocode")), None)
    val = next((c for c in df.columns if "per_huishouden" in c.lower().replace(" ", "_")
                or "per huishouden" in c.lower()), None)
    name = next((c for c in df.columns if c.lower().startswith("gemeentenaam") or c.lower() == "regio"), None)
    if code is None or val is None:
        raise DataError(f"not a CBS cars-per-household table (columns {list(df.columns)})", file=str(path), row=1)
    out = pd.DataFrame({
        "municipality_code": df[code].str.strip().map(lambda c: c if c.startswith("GM") else f"GM{int(c):04d}"),
        "municipality_name": df[name].str.strip() if name else None,
        "cars_per_household": pd.to_numeric(df[val].str.replace(",", ".", regex=False).replace({"": None, ".": None}),
                                            errors="coerce"),
    })
    return out


# ---------------------------------------------------------------- StatLine OData (online only)

def odata_url(table: str, dataset: str = "TypedDataSet") -> str:
    return ODATA_URL.format(table=table, dataset=dataset)


def fetch_odata(table: str, dataset: str = "TypedDataSet", filter: str | None = None,
                timeout: float = 60.0) -> Path:
    """Download a StatLine table (all pages) as one JSON ``{"value": [...]}`` into the cache; returns its path.

    A cached copy is reused after its ``.sha256`` is verified. Plain HTTP(S) + JSON; no client library.
    """
    key = hashlib.sha1(f"{table}|{dataset}|{filter}".encode()).hexdigest()[:10]
    out = cache_dir() / "cbs" / f"{table}_{dataset}_{key}.json"
    check = out.with_suffix(".json.sha256")
    if out.exists() and check.exists():
        if hashlib.sha256(out.read_bytes()).hexdigest() != check.read_text().split()[0]:
            raise DataError("cached OData file does not match its checksum; delete it and retry", file=str(out))
        return out
    import requests

    url: str | None = odata_url(table, dataset)
    params: dict[str, str] | None = {"$format": "json", **({"$filter": filter} if filter else {})}
    rows: list[dict[str, Any]] = []
    while url:
        try:
            resp = requests.get(url, params=params, timeout=timeout)
            resp.raise_for_status()
            page = resp.json()
        except Exception as exc:
            raise DataError(f"cannot download CBS table {table} from {url} ({type(exc).__name__}: {exc}); "
                            "offline? save the table as JSON and pass the file instead") from exc
        rows.extend(page.get("value", []))
        url, params = page.get("odata.nextLink"), None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"value": rows}), encoding="utf-8")
    check.write_text(f"{hashlib.sha256(out.read_bytes()).hexdigest()}  {out.name}\n")
    return out


def read_odata(path_or_payload: Path | dict[str, Any]) -> pd.DataFrame:
    """Rows of an OData JSON (``{"value": [...]}``) as a frame; string codes are stripped of padding."""
    if isinstance(path_or_payload, dict):
        payload, where = path_or_payload, "payload"
    else:
        where = str(path_or_payload)
        try:
            payload = json.loads(Path(path_or_payload).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"cannot read OData JSON: {exc}", file=where) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("value"), list):
        raise DataError("not an OData JSON document (no 'value' array)", file=where)
    df = pd.DataFrame(payload["value"])
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].map(lambda v: v.strip() if isinstance(v, str) else v)
    return df
