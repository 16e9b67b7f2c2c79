"""European Commission CRM assessment data (2023 study, Annexes 4 and 7).

Reads the machine-readable distribution of the EC 2023 study (source ``ec_crm_2023_dataset``):

* ``fact_GlobalSupplyShares&t.csv`` / ``fact_EUSupplyShares&t.csv`` — columns ``Material, Stage, Country,
  Share, t``; Stage ``E`` (extraction) or ``P`` (processing); Share as text in percent (``"62.8%"``,
  ``"<0.1%"``); t = trade-related parameter of the supply-risk formula.
* ``dimension_CRMsOverTime.csv`` — ``Material, Year, SR, EI`` with ``-`` for not assessed.

The published files are Excel exports: cp1252, CRLF line ends, and a quoted cell may hold a bare line break
(four rows of ``dimension_CRMsOverTime.csv`` split "Natural Teak wood" over two lines). They are read as
published; error messages name the physical line a record starts on, so they stay right after such a cell.

Shares are converted once, here, to fractions (``share``); ``"<0.1%"`` becomes 0.0005 (half the
reporting threshold) and keeps its text in ``share_reported``. Material names map to critmat ids, country
names to ISO3. Anything unrecognised raises :class:`~critmat.errors.DataError` naming file, line and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from pathlib import Path

import pandas as pd

from critmat.catalog import units
from critmat.errors import DataError, DataWarning, UnknownIdError
from critmat.loaders._tables import read_text_csv
from critmat.materials import MaterialIndex, resolve_country

BASE_URL = ("https://raw.githubusercontent.com/erikemilsson/EU-Critical-Raw-Materials-CRM-Reports-Datasets/"
            "59383504ead25f91fe9c197a1e660f4813684f17/Data/")
# Publisher file name → (candidate local names, sha256 of the published file or None when not pinned).
FILES = {
    "global_supply": (["fact_GlobalSupplyShares&t.csv", "crm_2023_global_supply_shares.csv"], None),
    "eu_sourcing": (["fact_EUSupplyShares&t.csv", "crm_2023_eu_sourcing_shares.csv"], None),
    "sr_ei": (["dimension_CRMsOverTime.csv", "crm_sr_ei_2011_2023.csv"], None),
}
CENSORED_SHARE = 0.0005
_STAGES = {"E": "extraction", "P": "processing"}
_PCT = re.compile(r"^\s*(<)?\s*(\d+(?:[.,]\d+)?)\s*%\s*$")


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a publisher CSV as text, accepting UTF-8 (with BOM) or the EC's cp1252 export."""
    return read_text_csv(path, encodings=("utf-8-sig", "cp1252"))


def record_lines(path: Path, n_records: int) -> list[int]:
    """Physical line (1-based) on which each of the ``n_records`` data records of ``path`` starts.

    Differs from ``index + 2`` once a quoted cell spans lines; blank lines are skipped as pandas does.
    Falls back to ``index + 2`` when the count does not match ``n_records``.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    starts, previous = [], 0
    for rec in reader:
        if rec:
            starts.append(previous + 1)
        previous = reader.line_num
    starts = starts[1:]  # the header
    return starts if len(starts) == n_records else list(range(2, n_records + 2))


def _require(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; expected the EC format {cols}", file=str(path),
                        row=1, column=missing[0])


def parse_share(text: str, *, file: str, row: int, column: str = "Share") -> float:
    """``"62.8%"`` → 0.628; ``"<0.1%"`` → 0.0005; above 100 % is a DataError.

    A bare number without ``%`` (the EC file has ``6`` for silicon metal / Germany) is read as percent
    only when it is unambiguous (1 < x <= 100) and a warning names it; ``0.5`` could be a fraction or a
    percent and is an error.
    """
    m = _PCT.match(str(text))
    if not m:
        bare = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*", str(text))
        if bare and 1 < float(bare.group(1).replace(",", ".")) <= 100:
            warnings.warn(f"{file}, line {row}, column '{column}': share '{text}' has no % sign; read as "
                          f"{text}%", DataWarning, stacklevel=2)
            return units.convert(float(bare.group(1).replace(",", ".")), "%", "fraction")
        raise DataError(f"share '{text}' is not a percentage like '12.5%'", file=file, row=row, column=column)
    if m.group(1):
        return CENSORED_SHARE
    value = units.convert(float(m.group(2).replace(",", ".")), "%", "fraction")
    if value > 1:
        raise DataError(f"share '{text}' is above 100 %", file=file, row=row, column=column)
    return value


def read_supply_shares(path: Path, scope: str, materials: MaterialIndex) -> pd.DataFrame:
    """Global (``scope='global'``) or EU sourcing (``'eu_sourcing'``) shares in critmat form.

    Columns: material_id, stage, scope, country_iso3, share, share_reported, trade_factor, source_id.
    """
    path = Path(path)
    df = read_csv_text(path)
    _require(df, ["Material", "Stage", "Country", "Share", "t"], path)
    out = []
    for i, rec in zip(record_lines(path, len(df)), df.itertuples(index=False)):
        where = f"{path}, line {i}: "
        if not rec.Material and not rec.Country:
            continue
        try:
            mid = materials.resolve(rec.Material, where)
            iso = resolve_country(rec.Country, where)
        except UnknownIdError as exc:
            raise DataError(str(exc).removeprefix(where), file=str(path), row=i,
                            column="Material" if "material" in str(exc) else "Country") from None
        stage = _STAGES.get(str(rec.Stage).strip().upper())
        if stage is None:
            raise DataError(f"stage '{rec.Stage}' is not E (extraction) or P (processing)", file=str(path),
                            row=i, column="Stage")
        try:
            t = float(rec.t) if str(rec.t).strip() else 1.0
            if not math.isfinite(t):
                raise ValueError
        except ValueError:
            raise DataError(f"trade parameter t '{str(rec.t)[:40]}' is not a finite number", file=str(path), row=i,
                            column="t") from None
        out.append((mid, stage, scope, iso, parse_share(rec.Share, file=str(path), row=i), rec.Share.strip(), t))
    frame = pd.DataFrame(out, columns=["material_id", "stage", "scope", "country_iso3", "share",
                                       "share_reported", "trade_factor"])
    # Several publisher spellings of one country (Türkiye/Turkyie, Brazil/Brasil) are summed, once.
    frame = (frame.groupby(["material_id", "stage", "scope", "country_iso3"], as_index=False)
             .agg(share=("share", "sum"), share_reported=("share_reported", " + ".join),
                  trade_factor=("trade_factor", "max")))
    frame["source_id"] = "ec_crm_2023"
    return frame


def read_sr_ei(path: Path, materials: MaterialIndex) -> pd.DataFrame:
    """SR and EI per material and assessment year (``-`` = not assessed → row dropped).

    Columns: material_id, year, supply_risk, economic_importance, source_id.
    """
    path = Path(path)
    df = read_csv_text(path)
    _require(df, ["Material", "Year", "SR", "EI"], path)
    out = []
    for i, rec in zip(record_lines(path, len(df)), df.itertuples(index=False)):
        if str(rec.SR).strip() in ("-", "") and str(rec.EI).strip() in ("-", ""):
            continue
        try:
            mid = materials.resolve(rec.Material)
        except UnknownIdError as exc:
            raise DataError(str(exc), file=str(path), row=i, column="Material") from None
        vals = []
        for col in ("Year", "SR", "EI"):
            v = str(getattr(rec, col)).strip()
            try:
                vals.append(None if v in ("-", "") else float(v))
                if vals[-1] is not None and not math.isfinite(vals[-1]):
                    raise ValueError
            except ValueError:
                raise DataError(f"'{v[:40]}' is not a finite number", file=str(path), row=i, column=col) from None
        year = int(vals[0]) if vals[0] is not None else None
        if year not in (2011, 2014, 2017, 2020, 2023):
            raise DataError(f"year '{rec.Year}' is not an EU assessment year (2011, 2014, 2017, 2020, 2023)",
                            file=str(path), row=i, column="Year")
        if any(v is not None and v < 0 for v in vals[1:]):
            raise DataError("SR and EI cannot be negative", file=str(path), row=i, column="SR")
        out.append((mid, year, vals[1], vals[2]))
    frame = pd.DataFrame(out, columns=["material_id", "year", "supply_risk", "economic_importance"])
    dup = frame.duplicated(["material_id", "year"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        raise DataError(f"material '{first.material_id}' assessed twice in {first.year}", file=str(path),
                        column="Material")
    frame["source_id"] = "ec_crm_2023"  # Annex 4 of the 2023 study reports all five assessments
    return frame


def find_file(folder: Path, key: str) -> Path | None:
    """The local copy of publisher file ``key`` in ``folder`` (any of its known names), or None."""
    for name in FILES[key][0]:
        p = Path(folder) / name
        if p.exists():
            return p
    return None
