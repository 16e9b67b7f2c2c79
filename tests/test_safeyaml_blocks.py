"""``safeyaml._parse_blocks`` (a top-level mapping parsed one key at a time, the blocks seen before taken
from a memo) never accepts a text the whole-text parse rejects and never gives another value: on bundled and
generated YAML files, on edge cases, and on random mutations of a region pack's resources.yaml."""

from __future__ import annotations

import numpy as np
import pytest

from critmat import safeyaml
from critmat.build.synth import synth_regions
from critmat.errors import DataError
from critmat.paths import bundled_data


def _whole(text: str):
    try:
        return True, safeyaml.parse(text, "x.yaml", DataError)
    except DataError as exc:
        return False, str(exc)


def _agree(text: str) -> bool:
    """Asserts the property; True when the block path gave a value (not None)."""
    ok, whole = _whole(text)
    safeyaml._BLOCKS.clear()
    for _ in range(2):  # from the loader, then from the memo
        got = safeyaml._parse_blocks(text, "x.yaml", DataError)
        if got is None:
            return False
        assert ok, f"the block path accepts a text the whole parse rejects ({whole})"
        assert got == whole and repr(got) == repr(whole)
    return True


def test_bundled_and_generated_files(tmp_path):
    files = sorted(bundled_data().rglob("*.yaml"))
    packs = synth_regions(200, 2, seed=1, out=tmp_path / "packs")
    files += [p / n for p in packs for n in ("resources.yaml", "region.yaml")]
    used = sum(_agree(f.read_text(encoding="utf-8")) for f in files)
    assert used >= len(packs) * 2  # the packs' files do take the block path


@pytest.mark.parametrize("text", [
    "a: 1\nb: 2\na: 3\n",                        # a key twice
    "a: &x [1]\nb: *x\n",                        # an alias across blocks
    "a: \"abc\ndef: x\"\n",                      # a quoted scalar reaching column 0
    "a: [1,\nb: 2]\n",                           # a flow sequence reaching column 0
    "a: abc\n  def\nb: x\n",                     # a plain scalar continued (indented)
    "a: |\n  one\n\n  two\n# c\nb: x\n",         # a block scalar, a blank line, a comment at column 0
    "# head\n\na: 1\nb: {c: 2, d: [3, 4]}\n",    # a comment before the first key
    "a: 1\n\tb: 2\n",                            # a tab at column 0
    "---\na: 1\nb: 2\n",                         # a document marker
    "a: 1\nb: 2\n...\n",
    "a:\n  b: 1\n  b: 2\nc: 3\n",                # a duplicate key inside a block
    "a: 2025-02-30\nb: 1\n",                     # not a date
    "yes: 1\ntrue: 2\n",                         # keys that resolve to the same value
    "a: 1\r\nb: 2\r\n",                          # another line break
    "a: 1\nb:\n- x\n- y\n",                      # a sequence at column 0 under its key
    "a: 1\n- x\nb: 2\n",                        # an entry under a scalar
    "- x\na: 1\n",
    "a: 1\nb:\n  - [\n  ]\n",
])
def test_edge_cases(text):
    _agree(text)


@pytest.mark.parametrize("text", [
    "# head\n\na: 1\nb: {c: 2, d: [3, 4]}\n",
    "a: |\n  one\n\n  two\n# c\nb: x\n",
    "a: abc\n  def\nb: x\n",
    "a: 1\nb:\n- x\n- y\n",
])
def test_simple_mappings_take_the_block_path(text):
    assert _agree(text)


def test_a_text_over_the_node_limit_is_refused_as_by_the_whole_parse():
    """Each block is under the limit, together they are over it: the whole parse refuses, so must load()."""
    text = "a: [" + "?," * 45_000 + "]\nb: [" + "?," * 45_000 + "]\n"
    assert not _whole(text)[0]
    assert safeyaml._parse_blocks(text, "x.yaml", DataError) is None
    small = "a: [" + "?," * 100 + "]\nb: [" + "?," * 100 + "]\n"
    assert _agree(small)


def test_random_mutations_of_a_pack_spec(tmp_path):
    pack = synth_regions(100, 1, seed=2, out=tmp_path / "packs")[0]
    base = (pack / "resources.yaml").read_text(encoding="utf-8")
    rng = np.random.default_rng(0)
    pieces = ["\n", " ", "  ", ":", "- ", "#", "'", '"', "[", "]", "{", "}", ",", "|", ">", "x", "a: b\n", "\n- c",
              "\nname: y", "?", "!", "%", "@", "`", "\t", "0", "yes"]
    used = 0
    for _ in range(300):
        text = base
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(len(text)))
            if rng.random() < 0.5:
                text = text[:i] + pieces[int(rng.integers(len(pieces)))] + text[i:]
            else:
                text = text[:i] + text[i + int(rng.integers(1, 4)):]
        used += _agree(text)
    assert used > 50  # mutations the block path took (and agreed on)
