"""Bounded YAML reading: every YAML file critmat reads (packs, regions, scenarios, shocks, registries).

YAML from a user is data, and data must not exhaust memory or the stack. :func:`load` parses with
PyYAML's safe loader plus four limits: file size (:data:`MAX_BYTES`), aliases (:data:`MAX_ALIASES`),
values after expanding aliases (:data:`MAX_NODES`; an "alias bomb" of nested anchors expands to
gigabytes) and nesting depth (:data:`MAX_DEPTH`). A
violation, or any YAML syntax error, becomes the caller's error class with the file, the line and a short
message. :func:`excerpt` shortens a value for an error message (never print a whole input back).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 5_000_000
MAX_ALIASES = 100
MAX_DEPTH = 64
MAX_NODES = 200_000  # values after expanding aliases
EXCERPT = 60


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """``repr(value)`` cut to ``limit`` characters (containers are summarised, never expanded in full)."""
    if isinstance(value, dict):
        text = f"a mapping of {len(value)} key(s)"
    elif isinstance(value, (list, tuple)) and len(repr(value[:3])) > limit:
        text = f"a list of {len(value)} item(s)"
    else:
        try:
            text = repr(value)
        except RecursionError:
            text = f"a deeply nested {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _LimitError(yaml.YAMLError):
    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and nesting while composing (before anything is expanded)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._weights: dict[int, int] = {}
        self._nodes: list[Any] = []

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _LimitError(f"more than {MAX_ALIASES} aliases (*ref); critmat does not expand alias "
                                  "chains", self.peek_event().start_mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _LimitError(f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        key = id(node)
        if key not in self._weights:  # an alias returns a node weighed before: its weight counts again
            if isinstance(node, yaml.SequenceNode):
                w = 1 + sum(self._weights.get(id(c), 1) for c in node.value)
            elif isinstance(node, yaml.MappingNode):
                w = 1 + sum(self._weights.get(id(k), 1) + self._weights.get(id(v), 1) for k, v in node.value)
            else:
                w = 1
            if w > MAX_NODES:
                raise _LimitError(f"expands to more than {MAX_NODES:,} values (aliases of aliases?)", node.start_mark)
            self._weights[key] = w
            self._nodes.append(node)  # keep ids valid while composing
        return node


def _timestamp(loader: _BoundedLoader, node: yaml.Node) -> Any:
    """YAML dates (``2025-02-30`` is no date: an error naming the line, not a ValueError)."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise _LimitError(f"{excerpt(node.value)} is not a valid date ({exc})", node.start_mark) from None


_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _mapping(loader: _BoundedLoader, node: yaml.MappingNode) -> dict:
    """A mapping whose keys are unique: a repeated key (the second silently winning) is an error."""
    seen: set = set()
    for key_node, _ in node.value:  # the keys written in this mapping (a merged ``<<`` may be overridden)
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            dup = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: PyYAML reports it below
            continue
        if dup:
            raise _LimitError(f"duplicate key {excerpt(key)} (a repeated key would silently replace the first)",
                              key_node.start_mark)
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=True)


_BoundedLoader.add_constructor("tag:yaml.org,2002:map", _mapping)


def parse(text: str, where: str, error: type[Exception]) -> Any:
    """Parse YAML ``text`` within the limits; ``error(message)`` names ``where`` and the line."""
    if len(text) > MAX_BYTES:
        raise error(f"{where}: YAML larger than {MAX_BYTES:,} bytes")
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{where}{line}: not valid YAML ({' '.join(str(problem).split())[:120]})") from None
    except RecursionError:
        raise error(f"{where}: YAML nested too deeply") from None
    finally:
        loader.dispose()


def load(path: str | Path, error: type[Exception]) -> Any:
    """Read and parse a YAML file within the limits; a missing, unreadable, non-UTF-8, oversized or invalid
    file raises ``error`` naming the file."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise error(f"{p}: YAML larger than {MAX_BYTES:,} bytes")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except IsADirectoryError:
        raise error(f"{p}: is a folder, not a YAML file") from None
    hit = _PARSED.get(text) if _PARSED_MAX else None
    if hit is None:
        hit = _parse_blocks(text, str(p), error) if _PARSED_MAX else None
        if hit is None:
            hit = parse(text, str(p), error)
        if not _PARSED_MAX or len(text) > _PARSED_TEXT_MAX:
            return hit
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()  # (no eviction order to keep: threads may read while one clears)
        _PARSED[text] = hit
    return copy.deepcopy(hit)


#: Texts parsed before in this process -> their value (only successful parses; callers get a deep copy).
#: The same file is read again by every command of a batch (a region pack's resources.yaml when the pack is
#: written, then loaded): the pure-Python bounded loader costs ~20 ms per pack file.
_PARSED: dict[str, Any] = {}
_PARSED_MAX = 512
_PARSED_TEXT_MAX = 256_000  # larger files are parsed each time (the memo stays under ~130 MB)

_KEY_LINE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*:(?: |$)")
_BLOCKS: dict[str, Any] = {}
_BLOCKS_MAX = 2048  # entries
_BLOCKS_CHARS_MAX = 4_000_000  # characters of the blocks held (their values are a few times that in memory)
_BLOCKS_CHARS = [0]


def _nodes(value: Any) -> int:
    """Values in a parsed YAML value (each mapping, sequence, key and scalar counts one), the measure the
    whole-text parse bounds by :data:`MAX_NODES` (no aliases here: the block path refuses them)."""
    if isinstance(value, dict):
        return 1 + sum(_nodes(k) + _nodes(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(_nodes(v) for v in value)
    return 1


def _parse_blocks(text: str, where: str, error: type[Exception]) -> dict | None:
    """The value of a YAML text that is a plain top-level mapping, parsed one top-level key at a time with the
    blocks seen before taken from a memo (region packs' ``resources.yaml`` differ only in their name, title and
    description: the rest, most of the text, is parsed once per process); None when the text is not of that
    simple form or anything is in doubt, and :func:`parse` decides (and reports any error, with its line).

    The form: every line at column 0 starts a key (``name:``, a plain word), is an entry of a sequence under the
    key before it (``- ``), a comment or blank; no
    anchor, alias or tag-like character (``&``, ``*``) anywhere, no line break other than ``\n``, and the text
    far below :data:`MAX_NODES`. A key's block (its line and the indented lines after it) is then parsed by
    the same bounded loader as a one-key mapping; a value can span lines only indented (a plain, quoted,
    flow or block scalar that reaches column 0 is unfinished in its block: an error, so :func:`parse`
    decides). Keys repeated across blocks also go to :func:`parse` (which names the duplicate)."""
    # the text is short enough for load() to memoise and deep-copy (the values of _BLOCKS are shared)
    if len(text) >= min(MAX_NODES, _PARSED_TEXT_MAX) or any(c in text for c in ("&", "*", "\r", "\x85", "\u2028", "\u2029", "\ufeff")):
        return None
    blocks: list[list[str]] = []
    pending: list[str] = []
    for line in text.split("\n"):
        head = line[:1]
        if head in (" ", "#") or not line.strip(" ") or line == "-" or line.startswith("- "):
            if not blocks:
                if head != "#" and line.strip(" "):
                    return None
                pending.append(line)
            else:
                blocks[-1].append(line)
        elif _KEY_LINE.match(line):
            blocks.append([*pending, line])
            pending = []
        else:
            return None
    if not blocks or len(blocks) < 2:
        return None
    out: dict = {}
    try:
        for lines in blocks:
            chunk = "\n".join(lines) + "\n"
            value = _BLOCKS.get(chunk)
            if value is None:
                value = parse(chunk, where, error)
                if not isinstance(value, dict) or len(value) != 1:
                    return None
                if len(_BLOCKS) >= _BLOCKS_MAX or _BLOCKS_CHARS[0] + len(chunk) > _BLOCKS_CHARS_MAX:
                    _BLOCKS.clear()
                    _BLOCKS_CHARS[0] = 0
                _BLOCKS[chunk] = value
                _BLOCKS_CHARS[0] += len(chunk)
            ((key, val),) = value.items()
            if key in out:
                return None
            out[key] = val
    except Exception:  # noqa: BLE001 - any doubt: the whole text is parsed and reports its own error
        return None
    # each block is bounded on its own; the whole text must be too (a flow sequence makes up to 1.5 values a
    # character): a large value goes to the whole-text parse, which bounds it (with half the limit to spare)
    if _nodes(out) > MAX_NODES // 2:
        return None
    return out
