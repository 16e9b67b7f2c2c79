"""Names that may reach SQL, and how they are quoted (no heavy imports: read by every warehouse query)."""

from __future__ import annotations

import re

from critmat.errors import DataError

#: Names that may reach SQL (package, resource, field and table names): lower-case letters, digits and
#: underscores, starting with a letter. Checked when a spec is read and again when quoted (:func:`quote_ident`).
IDENT_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


def is_ident(v: object) -> bool:
    """Whether ``v`` is a string matching :data:`IDENT_PATTERN`."""
    return isinstance(v, str) and re.fullmatch(IDENT_PATTERN, v) is not None


def quote_ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier, after checking it against :data:`IDENT_PATTERN`."""
    if not is_ident(name):
        raise DataError(f"identifier {name!r:.60} is not allowed in SQL (rule: {IDENT_PATTERN})")
    return '"' + name.replace('"', '""') + '"'
