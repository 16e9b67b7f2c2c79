"""Honesty of the bundled curated data.

* every source id a bundled file uses is in the source registry, and every curated table has a source column;
* a published source (any kind but ``assumption``) has a url, a licence and a vintage;
* an assumption states its reasoning (at least 40 characters, not just its title);
* a row whose note says it assumes or judges something, but whose source is a publication, names the
  assumption source it rests on;
* no bundled file is a copy of a file in ../shared/data, and no bundled table reproduces more than
  ``MAX_COPIED_SHARE`` of its rows from one shared file - also after the usual reshaping (columns renamed,
  reordered or dropped, a ``source_id``/``note`` column added, names turned into ids, country names into ISO3
  codes, percentages into fractions). The detector is tested on copies made here on the fly.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from critmat.catalog.sources import source_registry
from critmat.paths import bundled_data

DATA = bundled_data()
CSV_FILES = sorted(DATA.glob("packages/*/*.csv")) + sorted(DATA.glob("regions/*/*.csv"))
YAML_FILES = (sorted(DATA.glob("scenarios/*.yaml")) + sorted(DATA.glob("shocks/*.yaml"))
              + [p for p in sorted(DATA.glob("packages/*/*.yaml")) if p.name != "resources.yaml"]
              + sorted(DATA.glob("regions/*/region.yaml")))

#: Tables without a source column, and why that is honest.
NO_SOURCE_COLUMN = {
    "packages/policy/measure_materials.csv": "link table measure -> material; the facts and their source are the "
                                             "measure's row in trade_measures.csv",
}

#: Words in a note that announce a critmat judgement.
ASSUMPTION_WORDS = re.compile(r"\bassum\w*|\bjudge?ments?\b|\bguess\w*", re.IGNORECASE)


def _rel(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        rows = list(csv.reader(fh))
    return (rows[0], rows[1:]) if rows else ([], [])


def _is_source_column(name: str) -> bool:
    return name == "source_id" or name.endswith("_source_id")


def _source_refs() -> Iterator[tuple[str, str, str]]:
    """(where, column/key, source id) for every source reference of the bundled CSV and YAML files."""
    for path in CSV_FILES:
        header, rows = _read_csv(path)
        cols = [i for i, n in enumerate(header) if _is_source_column(n)]
        for line, row in enumerate(rows, start=2):
            for i in cols:
                if i < len(row) and row[i].strip():
                    yield f"{_rel(path)}:{line}", header[i], row[i].strip()

    def walk(node: object, where: str) -> Iterator[tuple[str, str, str]]:
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and (_is_source_column(k) or k == "source_ids"):
                    for sid in (v if isinstance(v, list) else [v]):
                        yield where, k, str(sid)
                else:
                    yield from walk(v, where)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v, where)

    for path in YAML_FILES:
        yield from walk(yaml.safe_load(path.read_text(encoding="utf-8")), _rel(path))


def test_every_curated_table_has_a_source_column():
    missing = [_rel(p) for p in CSV_FILES
               if not any(_is_source_column(n) for n in _read_csv(p)[0]) and _rel(p) not in NO_SOURCE_COLUMN]
    assert not missing, f"tables without a source_id column: {missing}"
    assert set(NO_SOURCE_COLUMN) <= {_rel(p) for p in CSV_FILES}, "stale entry in NO_SOURCE_COLUMN"


def test_every_source_id_used_exists():
    reg = source_registry()
    refs = list(_source_refs())
    assert len(refs) > 1000  # the walk reaches the tables (guards against a silently empty scan)
    unknown = [f"{where} {col}={sid!r}" for where, col, sid in refs if sid not in reg]
    assert not unknown, "unknown source ids:\n" + "\n".join(unknown)


def test_published_sources_have_url_licence_and_vintage():
    bad = [f"{s.id} ({s.kind}): url={s.url!r} licence={s.licence!r} vintage={s.vintage!r}"
           for s in source_registry().values() if s.kind != "assumption"
           and not (s.url and re.match(r"https?://\S+$", s.url) and s.licence.strip() and s.vintage.strip())]
    assert not bad, "published sources need an http(s) url, a licence and a vintage:\n" + "\n".join(bad)


def test_assumptions_state_their_reasoning():
    bad = [f"{s.id}: {s.citation!r}" for s in source_registry().values() if s.kind == "assumption"
           and (len(s.citation.strip()) < 40 or s.citation.strip().rstrip(".") == s.title.strip().rstrip("."))]
    assert not bad, "assumption sources must state their reasoning (>= 40 characters, not the title):\n" + "\n".join(bad)


def test_critmat_assumption_ids_are_assumptions():
    bad = [s.id for s in source_registry().values() if s.id.startswith("critmat_assumption") and s.kind != "assumption"]
    assert not bad


def test_assumptions_in_notes_name_their_assumption_source():
    """A note that says 'assumed'/'judgement' on a row citing a publication must name the assumption source."""
    reg = source_registry()
    assumption_ids = {sid for sid, s in reg.items() if s.kind == "assumption"}
    bad = []
    for path in CSV_FILES:
        header, rows = _read_csv(path)
        if "note" not in header or "source_id" not in header:
            continue
        i_note, i_src = header.index("note"), header.index("source_id")
        for line, row in enumerate(rows, start=2):
            note, sid = row[i_note], row[i_src]
            if (sid in reg and reg[sid].kind != "assumption" and ASSUMPTION_WORDS.search(note)
                    and not set(re.findall(r"[a-z][a-z0-9_]+", note)) & assumption_ids):
                bad.append(f"{_rel(path)}:{line} [{sid}] {note[:160]}")
    assert not bad, "notes announcing an assumption without naming its source:\n" + "\n".join(bad)


# --- nothing copied from ../shared/data ------------------------------------------------------------------------

#: A bundled table may not reproduce more than this share of its rows from one shared file.
MAX_COPIED_SHARE = 0.2
#: Columns of a bundled table that a copy would add (ignored when comparing).
ADDED_COLUMNS = {"source_id", "note", "region_id"}
#: A row needs this many informative cells to count as a fingerprint.
MIN_CELLS = 3

#: Bundled tables whose rows are, in content, publisher facts that also sit in ../shared/data. They cite the
#: original publisher (never the intermediary the shared copy came from). Listed so that the decision stays
#: visible; an entry that no longer trips the detector fails the test (remove it).
KNOWN_PUBLISHER_FACT_TABLES = {
    "packages/reference/criticality.csv": (
        {"ec_crm_2023"},
        ("SR/EI of the EC 2023 study (Annex 4) for the materials ever on an EU list: an extract selected by "
         "tools/curate_reference.py from the study's machine-readable distribution as published (source "
         "ec_crm_2023_dataset, E. Emilsson's GitHub repository, Data/dimension_CRMsOverTime.csv), not from "
         "../shared/data; it reproduces shared rows because ../shared/data holds a converted copy of the same "
         "file, which tests use only to cross-check. Decision: keep this extract bundled so the knowledge base "
         "works offline; `critmat data import` replaces it with the complete publisher table.")),
    "packages/reference/supply_shares.csv": (
        {"ec_crm_2023"},
        ("Top-five-plus-China supplier shares of the EC 2023 study (Annex 7) for the 2023 CRMs, the same kind of "
         "extract (names turned into ids and ISO3, % into fractions), selected by tools/curate_reference.py from "
         "the published fact_GlobalSupplyShares&t.csv and fact_EUSupplyShares&t.csv (ec_crm_2023_dataset), of "
         "which ../shared/data holds a converted copy used only by tests. Same decision: bundled for offline "
         "use, replaced by the complete table on import.")),
    "regions/nh-fl/municipalities.csv": (
        {"cbs_gemeenten_2025"},
        ("The CBS code list of the 50 municipalities of Noord-Holland and Flevoland: any correct list equals "
         "the shared gemeente_provincie_2025.csv; the centroids are critmat's.")),
}

_EMPTY = {"", "-", "na", "n/a", "nan", "none", "null"}
_NUMBER = re.compile(r"-?\d[\d,]*(\.\d+)?([eE]-?\d+)?%?")


def _cell(value: str) -> str | None:
    """Normalised cell: casefolded text, or a number to 6 significant digits (percent as a fraction)."""
    c = value.strip().casefold()
    if c in _EMPTY:
        return None
    if _NUMBER.fullmatch(c):
        s = c.replace(",", "")
        pct = s.endswith("%")
        x = float(s[:-1] if pct else s) / (100 if pct else 1)
        return f"{x:.6g}"
    return c


def _informative(cells: set[str]) -> set[str]:
    return {c for c in cells if len(c) >= 2 and c not in {"0", "1", "true", "false"}}


def _country_codes(names: set[str]) -> dict[str, str]:
    """Country names -> casefolded ISO3 (names country_converter does not know stay as they are)."""
    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    names = sorted(n for n in names if n)
    if not names:
        return {}
    out = coco.CountryConverter().convert(names, to="ISO3", not_found=None)
    out = out if isinstance(out, list) else [out]
    return {n: iso.casefold() for n, iso in zip(names, out) if isinstance(iso, str) and re.fullmatch(r"[A-Z]{3}", iso)}


def _table_rows(header: list[str], rows: list[list[str]], drop: set[str] = frozenset()) -> list[set[str]]:
    """Fingerprints (sets of informative normalised cells) of a table's rows; country columns as ISO3."""
    country_cols = [i for i, n in enumerate(header) if "country" in n.casefold()]
    codes = _country_codes({r[i].strip() for r in rows for i in country_cols if i < len(r)})
    keep = [i for i, n in enumerate(header) if n not in drop]
    out = []
    for r in rows:
        cells = set()
        for i in keep:
            if i < len(r):
                v = codes.get(r[i].strip(), r[i]) if i in country_cols else r[i]
                if (c := _cell(v)) is not None:
                    cells.add(c)
        out.append(_informative(cells))
    return out


def _geojson_rows(path: Path) -> list[set[str]]:
    """Fingerprints of a GeoJSON's features: scalar properties (flattened) and point coordinates."""
    def flat(v: object) -> Iterator[str]:
        if isinstance(v, dict):
            for x in v.values():
                yield from flat(x)
        elif isinstance(v, list):
            for x in v:
                yield from flat(x)
        elif v is not None:
            yield str(v)

    out = []
    for feat in json.loads(path.read_text(encoding="utf-8")).get("features", []):
        vals = list(flat(feat.get("properties") or {}))
        geom = feat.get("geometry") or {}
        if geom.get("type") == "Point":
            vals += [str(x) for x in geom["coordinates"]]
        out.append(_informative({c for v in vals if (c := _cell(v)) is not None}))
    return out


class SharedIndex:
    """Row fingerprints of every CSV/GeoJSON under ../shared/data, indexed for containment look-ups."""

    def __init__(self, root: Path) -> None:
        self.rows: list[tuple[str, set[str]]] = []
        for path in sorted(root.rglob("*")):
            if path.suffix == ".csv":
                fps = _table_rows(*_read_csv(path))
            elif path.suffix == ".geojson":
                fps = _geojson_rows(path)
            else:
                continue
            rel = path.relative_to(root).as_posix()
            self.rows += [(rel, fp) for fp in fps if len(fp) >= MIN_CELLS]
        self.freq: dict[str, int] = defaultdict(int)
        for _, fp in self.rows:
            for c in fp:
                self.freq[c] += 1
        self.by_rarest: dict[str, list[int]] = defaultdict(list)  # each shared row under its rarest cell
        self.by_cell: dict[str, list[int]] = defaultdict(list)
        for j, (_, fp) in enumerate(self.rows):
            self.by_rarest[min(fp, key=lambda c: (self.freq[c], c))].append(j)
            for c in fp:
                self.by_cell[c].append(j)
        self.hashes = {hashlib.sha256(p.read_bytes()).hexdigest(): p.relative_to(root).as_posix()
                       for p in root.rglob("*") if p.is_file()}

    def match(self, fp: set[str]) -> str | None:
        """Shared file holding a row contained in ``fp``, or containing ``fp`` (at least MIN_CELLS cells)."""
        for c in fp:  # a whole shared row inside the bundled row (columns added or renamed)
            for j in self.by_rarest.get(c, ()):
                if self.rows[j][1] <= fp:
                    return self.rows[j][0]
        if len(fp) >= MIN_CELLS:  # the bundled row inside a shared row (columns dropped)
            rarest = min(fp, key=lambda c: (self.freq.get(c, 0), c))
            for j in self.by_cell.get(rarest, ()):
                if fp <= self.rows[j][1]:
                    return self.rows[j][0]
        return None

    def copied(self, header: list[str], rows: list[list[str]]) -> tuple[int, dict[str, int]]:
        """(rows matched, matches per shared file) of a table."""
        per_file: dict[str, int] = defaultdict(int)
        for fp in _table_rows(header, rows, drop=ADDED_COLUMNS):
            if (hit := self.match(fp)) is not None:
                per_file[hit] += 1
        return sum(per_file.values()), dict(per_file)

    def verdict(self, header: list[str], rows: list[list[str]]) -> tuple[str, float] | None:
        """(shared file, share of rows) when one shared file supplies more than MAX_COPIED_SHARE of the rows."""
        if not rows:
            return None
        _, per_file = self.copied(header, rows)
        if not per_file:
            return None
        src, n = max(per_file.items(), key=lambda kv: kv[1])
        share = n / len(rows)
        return (src, share) if n >= MIN_CELLS and share > MAX_COPIED_SHARE else None


@pytest.fixture(scope="module")
def shared_index() -> SharedIndex:
    """Index of ../shared/data (the folder of the ``shared_data`` fixture, built once per module)."""
    root = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not root.is_dir():
        pytest.skip(f"real datasets not available at {root}")
    return SharedIndex(root)


def test_detector_catches_copied_subsets(shared_index: SharedIndex, shared_data: Path):
    """The check must flag a subset copied verbatim and one reshaped into critmat's schema."""
    header, rows = _read_csv(shared_data / "powerplantmatching" / "powerplants_v0.6.0_NL.csv")
    wind = [r for r in rows if "Wind" in r][:30]
    # verbatim subset (a grep of the publisher file)
    assert shared_index.verdict(header, wind) is not None
    # reshaped: a few columns renamed and reordered, source_id and note added
    i = {n: k for k, n in enumerate(header)}
    reshaped = [[r[i["Name"]], r[i["Capacity"]], r[i["DateIn"]], r[i["lat"]], r[i["lon"]], "ppm_v060", "from ppm"]
                for r in wind]
    assert shared_index.verdict(["name", "capacity_mw", "commissioning_year", "lat", "lon", "source_id", "note"],
                                reshaped) is not None
    # reshaped with ids, ISO3 codes and fractions (as critmat's own tables look)
    h2, r2 = _read_csv(shared_data / "eu_crm" / "crm_2023_global_supply_shares.csv")
    j = {n: k for k, n in enumerate(h2)}
    codes = _country_codes({r[j["Country"]] for r in r2[:60]})
    mine = []
    for r in r2[:60]:
        share = r[j["Share"]].rstrip("%")
        if not _NUMBER.fullmatch(share) or r[j["Country"]] not in codes:
            continue
        mine.append([r[j["Material"]].lower().replace(" ", "_"), {"E": "extraction", "P": "processing"}[r[j["Stage"]]],
                     codes[r[j["Country"]]].upper(), f"{float(share) / 100:.4g}", r[j["t"]], "ec_crm_2023"])
    assert len(mine) >= 20
    assert shared_index.verdict(["material_id", "stage", "country_iso3", "share", "trade_factor", "source_id"],
                                mine) is not None


def test_detector_leaves_curated_tables_alone(shared_index: SharedIndex):
    """Negative control: tables curated from literature do not trip the detector."""
    for rel in ("packages/intensities/material_intensities.csv", "packages/policy/trade_measures.csv",
                "regions/nh-fl/assets.csv"):
        assert shared_index.verdict(*_read_csv(DATA / rel)) is None, rel


def test_no_bundled_file_is_a_copy_of_shared_data(shared_index: SharedIndex):
    copies = [f"{_rel(p)} == {shared_index.hashes[h]}" for p in sorted(DATA.rglob("*")) if p.is_file()
              and (h := hashlib.sha256(p.read_bytes()).hexdigest()) in shared_index.hashes]
    assert not copies, "bundled files identical to files in ../shared/data:\n" + "\n".join(copies)


def test_no_bundled_table_reproduces_a_shared_file(shared_index: SharedIndex):
    flagged = {}
    for path in CSV_FILES:
        if (v := shared_index.verdict(*_read_csv(path))) is not None:
            flagged[_rel(path)] = v
    unexplained = {k: v for k, v in flagged.items() if k not in KNOWN_PUBLISHER_FACT_TABLES}
    assert not unexplained, "tables reproducing rows of ../shared/data (file, share of rows): " + repr(unexplained)
    stale = set(KNOWN_PUBLISHER_FACT_TABLES) - set(flagged)
    assert not stale, f"no longer reproduce shared rows - remove from KNOWN_PUBLISHER_FACT_TABLES: {stale}"
    for rel, (allowed, _why) in KNOWN_PUBLISHER_FACT_TABLES.items():
        header, rows = _read_csv(DATA / rel)
        used = {r[header.index("source_id")] for r in rows}
        assert used <= allowed, f"{rel} must cite the original publisher only, not {used - allowed}"


def test_every_material_has_a_dutch_name_and_the_cbs_spellings_name_crms() -> None:
    """reference/material_names.csv: one Dutch name per material; the rows citing CBS (2023) are materials of
    the EU list of 2023 (CBS's box lists those), the others cite critmat's translation (an assumption)."""
    import pandas as pd

    from critmat.paths import bundled_data

    ref = bundled_data() / "packages" / "reference"
    mats = pd.read_csv(ref / "materials.csv")
    names = pd.read_csv(ref / "material_names.csv")
    lists = pd.read_csv(ref / "material_lists.csv")
    nl = names[names["language"] == "nl"]
    assert sorted(nl["material_id"]) == sorted(mats["material_id"]) and nl["name"].str.strip().ne("").all()
    crm = set(lists.loc[lists["list_id"] == "crm_2023", "material_id"])
    cbs = set(nl.loc[nl["source_id"] == "cbs_2023_kritieke_grondstoffen", "material_id"])
    # CBS names the two REE groups of the list together: "zeldzame aardmetalen (licht en zwaar)"
    assert cbs <= crm | {"rare_earth_elements"} and len(cbs) >= 25
    assert set(nl["source_id"]) == {"cbs_2023_kritieke_grondstoffen", "critmat_nl_material_names"}
