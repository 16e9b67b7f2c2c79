"""premise's literature compilation of metal intensities (``SI_2_Material_requirements.xlsx``) in its long
CSV form: technology_sheet, material, unit, year, value_kind (summary|source), label (mean/median/min/max or
the citation key of the study), sheet_column, value, count, note.

Used for the trace metals of passenger cars (sheet ``ICEV``, unit kg metal per kg vehicle, year 2020): each
``source`` value belongs to one primary study (Cullbrand & Magnusson 2012, Widmer et al. 2015, Alonso et al.
2012 ...), which critmat cites; the compilation itself (premise 2.5.5, BSD-3-Clause) only carries them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv

COLUMNS = ["technology_sheet", "material", "unit", "year", "value_kind", "label", "sheet_column", "value"]

#: citation keys of the compilation → critmat source ids (the keys' typos kept: both Widmer spellings)
STUDIES = {"Cullbrand_2011": "cullbrand_2012", "Widmer_2015": "widmer_2015", "Widmet_2015": "widmer_2015",
           "Widmett_2015": "widmer_2015", "Alonso_2012": "alonso_2012", "Fishman_2018": "fishman_2018",
           "deKoning_2018": "dekoning_2018", "ÖkoInstitut_2011": "oeko_2011"}


def read_long(path: Path) -> pd.DataFrame:
    """All rows of the long CSV, value as float; missing columns or non-numeric values raise DataError."""
    df = read_text_csv(path)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"not a premise material-requirements table: missing {missing}", file=str(path), row=1,
                        column=missing[0])
    out = df[COLUMNS].copy()
    out["value"] = pd.to_numeric(out["value"].str.strip(), errors="coerce")
    bad = out.index[out["value"].isna() | (out["value"] < 0)]
    if len(bad):
        raise DataError(f"value {df.at[bad[0], 'value']!r} is not a number >= 0", file=str(path),
                        row=int(bad[0]) + 2, column="value")
    return out


def study_values(long: pd.DataFrame, sheet: str = "ICEV", year: str = "2020") -> pd.DataFrame:
    """material (element name as in the sheet), study (critmat source id), key (citation key), column, value."""
    s = long[(long["technology_sheet"] == sheet) & (long["value_kind"] == "source") & (long["year"].astype(str) == year)]
    unknown = sorted(set(s["label"]) - set(STUDIES))
    if unknown:
        raise DataError(f"unknown study key(s) {unknown} in sheet {sheet}: add them to STUDIES with a source id")
    return pd.DataFrame({"material": s["material"].str.strip(), "study": s["label"].map(STUDIES), "key": s["label"],
                         "column": s["sheet_column"], "value": s["value"]}).reset_index(drop=True)
