"""Material and country identifiers: resolve names, ids, symbols and publishers' spellings.

Material ids are lowercase snake case (``gallium``, ``rare_earth_elements_heavy``). A query matches, case-
insensitively, an id, a display name, an element symbol, a name used on an official list or an alias
(the EC's spellings such as ``Barytes``, ``HREEs``). Countries are ISO 3166-1 alpha-3 codes, converted
from names with country_converter.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from critmat.errors import UnknownIdError


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-–/()]+", " ", str(text).strip().lower()).strip()


class MaterialIndex:
    """Look-up from any known spelling to a material id."""

    def __init__(self, materials: pd.DataFrame, aliases: pd.DataFrame | None = None,
                 lists: pd.DataFrame | None = None) -> None:
        self.ids = set(materials["material_id"].astype(str))
        lookup: dict[str, str] = {}
        for mid, name, sym in materials[["material_id", "name", "symbol"]].itertuples(index=False, name=None):
            lookup[_norm(mid)] = mid
            lookup[_norm(name)] = mid
            if isinstance(sym, str) and sym:
                lookup.setdefault(sym.lower(), mid)
        for frame, col in ((aliases, "alias"), (lists, "name_on_list")):
            if frame is not None:
                for alias, mid in frame[[col, "material_id"]].itertuples(index=False, name=None):
                    lookup.setdefault(_norm(alias), mid)
        self._lookup = lookup

    def get(self, query: str) -> str | None:
        """The material id for ``query``, or None."""
        q = str(query).strip()
        if q in self.ids:
            return q
        return self._lookup.get(_norm(q)) or (self._lookup.get(q.lower()) if len(q) <= 2 else None)

    def resolve(self, query: str, where: str = "") -> str:
        """The material id for ``query``; raises :class:`UnknownIdError` with close matches."""
        mid = self.get(query)
        if mid is None:
            import difflib

            close = difflib.get_close_matches(_norm(query), list(self._lookup), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(sorted({self._lookup[c] for c in close}))}?" if close else ""
            raise UnknownIdError(f"{where}unknown material '{query}'{hint} (see `critmat materials list --list all`)")
        return mid


# Publisher spellings that country_converter does not resolve (or resolves ambiguously).
_COUNTRY_FIXES = {"brasilia": "BRA", "brasil": "BRA", "libanon": "LBN", "surinam": "SUR", "turkyie": "TUR",
                  "kosovo": "XKX", "korea, south": "KOR", "korea, north": "PRK", "congo, d.r.": "COD",
                  "congo": "COG"}


@lru_cache(maxsize=1)
def _converter():  # building a CountryConverter reads its tables: do it once
    import logging

    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.CRITICAL)
    return coco.CountryConverter()


@lru_cache(maxsize=4096)
def country_iso3(name: str) -> str | None:
    """ISO3 code for a country name or code (None when unknown)."""
    key = str(name).strip()
    if re.fullmatch(r"[A-Z]{3}", key):
        return key
    if key.lower() in _COUNTRY_FIXES:
        return _COUNTRY_FIXES[key.lower()]
    code = _converter().convert(key, to="ISO3", not_found=None)
    return code if isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code) else None


def resolve_country(name: str, where: str = "") -> str:
    code = country_iso3(name)
    if code is None:
        raise UnknownIdError(f"{where}unknown country '{name}' (use an ISO 3166 alpha-3 code such as CHN)")
    return code
