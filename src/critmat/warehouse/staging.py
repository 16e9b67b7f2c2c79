"""Temporary files, staging folders and output markers: what critmat writes aside before a rename.

* A staging folder is hidden and carries the writer's PID: ``.<name>-staging-<pid>-<random>``
  (:func:`staging_dir`). A warehouse being written is ``<db>.building-<pid>`` (+ DuckDB's ``.wal``).
* Hidden entries are never read as data (:func:`is_hidden`); entries of a process that is gone (killed)
  are removed by :func:`clean_stale`, which every writing command calls on start.
* :func:`install_signal_handlers` turns SIGTERM into ``SystemExit`` so the ``except BaseException``
  clean-up of every writer runs, as it does for SIGINT (``KeyboardInterrupt``).
* Folders critmat writes for a user (``region build --out``, ``export --out``) carry a marker file
  (:data:`MARKER`); critmat replaces or deletes only folders with that marker (:func:`check_output_dir`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

from critmat.errors import CritmatError

MARKER = ".critmat-output"
_STAGING = re.compile(r"^\.(?P<name>.+)-staging-(?P<pid>\d+)-[A-Za-z0-9_]+$")
OLD_SUFFIX = "-old"  # staging_dir(parent, name + OLD_SUFFIX): a previous version moved aside before a swap
_BUILDING = re.compile(r"^.+\.building-(?P<pid>\d+)(\.wal|\.tmp)?$")
_EXPORT_TMP = re.compile(r"^\..+\.tmp-(?P<pid>\d+)(\.[A-Za-z0-9]+)?$")


def is_hidden(path: Path) -> bool:
    """A dot-name: a staging folder, a temporary file or the user's own hidden file; never data."""
    return Path(path).name.startswith(".")


def staging_dir(parent: Path, name: str) -> Path:
    """A new hidden staging folder in ``parent`` named after ``name`` and this process."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_\-]", "_", name)[:40] or "x"
    return Path(tempfile.mkdtemp(prefix=f".{safe}-staging-{os.getpid()}-", dir=parent))


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_stale(*folders: Path) -> list[Path]:
    """Remove staging folders and temporary warehouse files of processes that are gone; returns them. A
    previous version moved aside (``<name>-old``) by a process killed before the new one took its place is
    moved back instead."""
    removed: list[Path] = []
    for folder in folders:
        try:
            entries = list(Path(folder).iterdir())
        except OSError:
            continue
        for p in entries:
            m = _STAGING.match(p.name) or _BUILDING.match(p.name) or _EXPORT_TMP.match(p.name)
            if not m or pid_alive(int(m.group("pid"))):
                continue
            name = m.groupdict().get("name") or ""
            try:
                if name.endswith(OLD_SUFFIX) and p.is_dir() and not (p.parent / name[: -len(OLD_SUFFIX)]).exists():
                    p.rename(p.parent / name[: -len(OLD_SUFFIX)])  # killed mid-swap: put the previous one back
                elif p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def clean_home() -> None:
    """:func:`clean_stale` on the critmat home and its package and region folders (cheap: a few listdirs)."""
    from critmat.paths import home, imported_dir

    h = home()
    if h.is_dir():
        clean_stale(h, imported_dir(), h / "regions")


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    """SIGTERM (and SIGHUP) raise ``SystemExit`` in the main thread, so writers remove their temporary
    files as they do for Ctrl-C."""
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) in (signal.SIG_DFL, None):
            try:
                signal.signal(sig, _terminate)
            except (ValueError, OSError):  # not the main thread
                pass


def mark_output(folder: Path) -> None:
    """Mark ``folder`` as written by critmat (so a later run may replace what is in it)."""
    (Path(folder) / MARKER).write_text("written by critmat; critmat may replace this folder\n", encoding="utf-8")


def check_output_dir(folder: Path, what: str = "--out") -> None:
    """Refuse to write into ``folder`` when it holds anything critmat did not write: a missing or empty
    folder, or one with the critmat marker, is fine; a file, or a folder of other files, is a CritmatError."""
    folder = Path(folder)
    if folder.is_symlink():
        raise CritmatError(f"{what} {folder}: is a symbolic link; give a plain folder")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise CritmatError(f"{what} {folder}: exists and is not a folder; critmat will not overwrite it")
    try:
        entries = [p.name for p in folder.iterdir()]
    except OSError as exc:
        raise CritmatError(f"{what} {folder}: cannot read ({exc.strerror})") from None
    if entries and MARKER not in entries:
        raise CritmatError(f"{what} {folder}: exists and was not written by critmat ({len(entries)} entries, no "
                           f"{MARKER} marker); critmat will not replace or delete it (give a new or empty folder)")
