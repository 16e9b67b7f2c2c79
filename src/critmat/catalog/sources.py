"""Source registry: every dataset, publication and assumption critmat relies on.

Entries live in ``critmat/data/sources/*.yaml`` (one file per domain, merged; a duplicated id is an
error). Each has id, title, publisher, url, licence, vintage (edition) and citation. ``kind`` tells a
published figure (``report``, ``dataset``, ``legislation``, ``news``, ``article``, ``website``) from a
critmat ``assumption`` whose reasoning is written in ``citation``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from critmat.errors import DataError, UnknownIdError
from critmat.paths import bundled_data

SourceKind = Literal["report", "dataset", "legislation", "news", "article", "website", "assumption"]


class Source(BaseModel):
    """One entry of the source registry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    publisher: str
    url: str | None = None
    licence: str
    vintage: str
    citation: str
    kind: SourceKind = "report"
    accessed: str | None = None


def read_sources(paths: list[Path]) -> dict[str, Source]:
    """Read and merge source YAML files; errors name the file and entry."""
    out: dict[str, Source] = {}
    for path in paths:
        from critmat import safeyaml

        entries = safeyaml.load(path, DataError) or []
        if not isinstance(entries, list):
            raise DataError("a source file must hold a list of entries", file=str(path))
        for i, entry in enumerate(entries, start=1):
            try:
                src = Source.model_validate(entry)
            except ValidationError as exc:
                first = exc.errors()[0]
                raise DataError(f"source entry {i} ({entry.get('id', '?') if isinstance(entry, dict) else '?'}): "
                                f"{'.'.join(map(str, first['loc']))}: {first['msg']}", file=str(path)) from exc
            if src.id in out:
                raise DataError(f"source id '{src.id}' defined twice", file=str(path))
            out[src.id] = src
    return out


@lru_cache(maxsize=1)
def source_registry() -> dict[str, Source]:
    """All bundled sources by id."""
    return read_sources(sorted((bundled_data() / "sources").glob("*.yaml")))


def get_source(source_id: str) -> Source:
    try:
        return source_registry()[source_id]
    except KeyError:
        raise UnknownIdError(f"unknown source '{source_id}' (see `critmat sources`)") from None
