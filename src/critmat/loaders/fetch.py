"""Download publisher files with a cache and a pinned sha256 (pooch)."""

from __future__ import annotations

from pathlib import Path

from critmat.errors import DataError
from critmat.paths import cache_dir


def fetch(url: str, sha256: str | None, fname: str, progress: bool = False) -> Path:
    """Download ``url`` into the cache once and verify ``sha256``; returns the local path.

    Raises :class:`DataError` when offline or when the checksum does not match (the file changed
    upstream: pin the new checksum only after checking the content).
    """
    import pooch

    try:
        return Path(pooch.retrieve(url, known_hash=f"sha256:{sha256}" if sha256 else None, fname=fname,
                                   path=cache_dir(), progressbar=progress))
    except ValueError as exc:  # pooch: hash mismatch
        raise DataError(f"checksum mismatch for {url}: {exc}", file=fname) from exc
    except Exception as exc:  # network errors of requests/urllib
        raise DataError(f"cannot download {url} ({type(exc).__name__}: {exc}); "
                        "offline? use `critmat data import --from DIR` with a local copy", file=fname) from exc
