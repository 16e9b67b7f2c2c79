"""The batch's shared work changes no number and no verdict.

* ``critmat.batch.run`` with the shared work (packs proven clean at column speed instead of frictionless on
  every file, unit profiles and vintage contents shared across regions, YAML parsed once) and in a pool of
  two processes writes the same Parquet results as the per-region reference path
  (``batch.per_region_reference``: frictionless on every file, nothing shared, one process).
* ``critmat.catalog.package._proven_clean`` never vouches for a file frictionless rejects (mutations of a
  real pack's tables), and does vouch for clean packs (so the fast path is the one taken).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmat import batch
from critmat.build.synth import synth_regions
from critmat.catalog import package
from critmat.catalog.package import _frictionless_errors, _proven_clean, read_spec
from critmat.errors import DataError
from critmat.paths import bundled_data
from batchcheck import canonical, indicators

PACK = bundled_data() / "regions" / "nh-fl"


def test_shared_and_pooled_runs_equal_the_per_region_path(tmp_path):
    packs = synth_regions(1000, 5, seed=5, out=tmp_path / "packs")
    kw = dict(draws=30, seed=3, scenarios=("baseline", "high-recovery"), indicators=indicators())
    with batch.per_region_reference():
        ref = batch.run(packs, tmp_path / "ref", **kw)
    new = batch.run(packs, tmp_path / "new", regions_per_task=5, **kw)  # one task of five regions
    pool = batch.run(packs, tmp_path / "pool", workers=2, regions_per_task=2, **kw)  # tasks of 2, 2 and 1
    assert len(list((tmp_path / "new" / "stock").rglob("*.parquet"))) == 1
    assert len(list((tmp_path / "pool" / "flows" / "scenario=baseline").rglob("*.parquet"))) == 3
    assert len(list((tmp_path / "ref" / "stock").rglob("*.parquet"))) == 5
    # the chunk's stock is one model run (every region's cells at once): region by region gives the same
    monkey = pytest.MonkeyPatch()
    monkey.setattr(batch, "CHUNK_STOCK", False)
    apart = batch.run(packs, tmp_path / "apart", regions_per_task=5, **kw)
    monkey.undo()
    assert list(ref["region"]) == list(new["region"]) == list(pool["region"]) == list(apart["region"])
    for col in ("assets", "rows_stock", "rows_flows", "rows_exposure"):
        assert list(ref[col]) == list(new[col]) == list(pool[col]) == list(apart[col])
    for part in batch.PARTS:
        a = canonical(batch.read(tmp_path / "ref", part))
        assert len(a) > 0
        assert list(a.columns) == list(batch.read(tmp_path / "new", part).columns)
        for other in ("new", "pool", "apart"):
            b = canonical(batch.read(tmp_path / other, part))
            num = [c for c in a.columns if pd.api.types.is_float_dtype(a[c])]
            pd.testing.assert_frame_equal(a.drop(columns=num), b.drop(columns=num), check_exact=True)
            for c in num:  # the shared set-up sums in another order: equal to rounding
                np.testing.assert_allclose(b[c].to_numpy(), a[c].to_numpy(), rtol=1e-9, atol=1e-12, err_msg=c)


def test_a_run_refuses_what_it_could_not_read_back(tmp_path):
    """Two packs of one region (their assets would add up in one region's cells), a folder holding an earlier
    run's results (read() would mix them in); and a failing task leaves no hidden half-written file."""
    from critmat.errors import CritmatError, RegionError

    packs = synth_regions(200, 2, seed=7, out=tmp_path / "packs")
    twin = tmp_path / "twin"
    shutil.copytree(packs[0], twin)
    with pytest.raises(RegionError, match="again"):
        batch.run([*packs, twin], tmp_path / "dup", draws=5, parts=("stock",))
    assert not (tmp_path / "dup").exists()
    batch.run(packs, tmp_path / "out", draws=5, parts=("stock",), regions_per_task=1)
    with pytest.raises(CritmatError, match="earlier run"):
        batch.run(packs, tmp_path / "out", draws=5, parts=("stock",), regions_per_task=2)
    assert len(batch.read(tmp_path / "out", "stock").groupby("region")) == 2
    broken = tmp_path / "broken"
    shutil.copytree(packs[1], broken)
    (broken / "assets.csv").write_text((broken / "assets.csv").read_text(encoding="utf-8") + "x,y\n", encoding="utf-8")
    with pytest.raises(DataError):
        batch.run([packs[0], broken], tmp_path / "fail", draws=5, scenarios=("baseline",), parts=("flows",),
                  regions_per_task=2)
    assert not [p for p in (tmp_path / "fail").rglob("*") if p.is_file()]


def test_chunk_stock_runs_region_by_region_when_the_regions_inputs_differ(tmp_path):
    """One model run for a chunk only when its regions share technologies, intensities and groups and no area
    lies in two provinces; otherwise each region's own run (here: the second region's intensities doubled)."""
    import dataclasses

    from critmat.stock import region_pack
    from critmat.stock import regional_stock

    packs = synth_regions(300, 2, seed=11, out=tmp_path / "packs")
    a, b = (region_pack(p)[0] for p in packs)
    cols = ["low_kg_per_basis", "central_kg_per_basis", "high_kg_per_basis"]
    cols = [c for c in cols if c in b.intensities]
    assert cols
    b2 = dataclasses.replace(b, intensities=b.intensities.assign(**{c: b.intensities[c] * 2 for c in cols}))
    key = ["region", "area_type", "area", "asset_class", "material", "variable"]

    def tidy(df):
        return df.sort_values(key).reset_index(drop=True)

    own = tidy(pd.concat([regional_stock(a, n_draws=20, seed=1), regional_stock(b2, n_draws=20, seed=1)],
                         ignore_index=True))
    got = tidy(batch.chunk_stock([a, b2], n_draws=20, seed=1))
    pd.testing.assert_frame_equal(got[own.columns], own, check_exact=False, rtol=1e-12)
    same = tidy(batch.chunk_stock([a, b], n_draws=20, seed=1))  # shared inputs: one run, the same numbers
    both = tidy(pd.concat([regional_stock(a, n_draws=20, seed=1), regional_stock(b, n_draws=20, seed=1)],
                          ignore_index=True))
    pd.testing.assert_frame_equal(same[both.columns], both, check_exact=False, rtol=1e-12)
    b_mass = own[(own["region"] == b.region_id) & (own["variable"] == "mass_t") & (own["area_type"] == "region")]
    b_same = both[(both["region"] == b.region_id) & (both["variable"] == "mass_t") & (both["area_type"] == "region")]
    assert (b_mass["value"].sum() > 1.5 * b_same["value"].sum())  # the doubled intensities were used


def _verdicts(path: Path, res) -> tuple[bool, bool]:
    """(frictionless finds nothing, the fast check proves the file clean)."""
    data = path.read_bytes()
    try:
        _frictionless_errors(path, res)
        ok = True
    except DataError:
        ok = False
    return ok, _proven_clean(data, res) is not None


def test_clean_packs_take_the_fast_path(tmp_path):
    for pkg in (PACK, *sorted(p for p in (bundled_data() / "packages").iterdir() if (p / "resources.yaml").is_file())):
        spec = read_spec(pkg)
        for res in spec.resources:
            path = pkg / res.path
            if path.exists():
                ok, fast = _verdicts(path, res)
                assert ok, path
                assert fast or "foreignKeys" in package.table_schema(res), f"{path}: clean but not proven clean"


MUTATIONS = [
    ("a number that is text", lambda rows, h: _set(rows, h, "capacity_mw", "12,5x")),
    ("a negative capacity", lambda rows, h: _set(rows, h, "capacity_mw", "-1")),
    ("a year of three digits", lambda rows, h: _set(rows, h, "commissioning_year", "999")),
    ("an unknown status", lambda rows, h: _set(rows, h, "status", "operatonal")),
    ("an empty required id", lambda rows, h: _set(rows, h, "asset_id", "")),
    ("a duplicated key", lambda rows, h: rows.insert(2, list(rows[1]))),
    ("a short row", lambda rows, h: rows[3].pop()),
    ("a long row", lambda rows, h: rows[3].append("x")),
    ("a blank row", lambda rows, h: rows.insert(4, [""] * len(h))),
    ("an empty line", lambda rows, h: rows.insert(4, [])),
    ("columns swapped", lambda rows, h: [r.insert(0, r.pop(1)) for r in rows]),
    ("a boolean that is not", lambda rows, h: _set(rows, h, "offshore", "yes") if "offshore" in h else rows[3].pop()),
]


def _set(rows: list[list[str]], header: list[str], col: str, value: str) -> None:
    rows[3][header.index(col)] = value


@pytest.mark.parametrize("name,mutate", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_fast_check_never_vouches_for_a_file_frictionless_rejects(tmp_path, name, mutate):
    import csv

    spec = read_spec(PACK)
    res = next(r for r in spec.resources if r.name == "assets")
    with open(PACK / res.path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    mutate(rows, rows[0])
    path = tmp_path / "assets.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        for r in rows:
            f.write(",".join(f'"{c}"' if ("," in c or '"' in c) else c for c in r) + "\n")
    ok, fast = _verdicts(path, res)
    assert not ok, f"{name}: frictionless accepts the mutation (the test's mutation is wrong)"
    assert not fast


def test_fast_check_random_cells(tmp_path):
    """Random cell values in every column of the assets table: proven clean only if frictionless agrees."""
    import csv

    spec = read_spec(PACK)
    res = next(r for r in spec.resources if r.name == "assets")
    with open(PACK / res.path, newline="", encoding="utf-8") as f:
        base = list(csv.reader(f))
    rng = np.random.default_rng(0)
    seen = {(a, b): 0 for a in (True, False) for b in (True, False)}
    values = ["", "0", "-0", "1e3", "1E-400", "nan", "inf", " 5", "5 ", "2025", "0202", "+7", "1.", ".5", "true",
              "TRUE", "1", "NL", "GM0363", "PV27", "operational", "x" * 300, "é", "1_000", "0x10", "12345678901234567890"]
    for k in range(150):
        rows = [list(r) for r in base]
        j = int(rng.integers(len(rows[0])))
        i = int(rng.integers(1, len(rows)))
        rows[i][j] = values[int(rng.integers(len(values)))]
        path = tmp_path / f"a{k}.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
        ok, fast = _verdicts(path, res)
        assert ok or not fast, (rows[0][j], rows[i][j])
        seen[(ok, fast)] += 1
    # the draws reached both sides: files frictionless rejects, and files the fast check proves clean
    assert seen[(False, False)] > 0 and seen[(True, True)] > 0, seen


def test_copy_of_a_pack_loads_the_same_with_and_without_the_fast_check(tmp_path):
    from critmat.regions import load_region

    shutil.copytree(PACK, tmp_path / "nh-fl")
    fast = load_region(tmp_path / "nh-fl")
    with batch.per_region_reference():
        slow = load_region(tmp_path / "nh-fl")
    assert fast.tables.keys() == slow.tables.keys()
    for name in fast.tables:
        pd.testing.assert_frame_equal(fast.tables[name], slow.tables[name])


def test_stock_percentiles_of_identical_cells_are_computed_once_and_equal(tmp_path, monkeypatch):
    """Cells with the same column of the stock matrix (a one-province region and its province) share their
    percentiles: the same numbers, bit for bit, as computing every cell."""
    from critmat.stock import region_pack
    from critmat.models import inventory as inv

    pack = synth_regions(600, 13, seed=2, out=tmp_path / "packs")[0]  # 13 regions: one province each
    i = region_pack(pack)[0]
    sm = inv.select_matrix(i.assets, i.technologies, i.intensities, groups=i.groups, n_draws=200)
    first, inverse = inv._unique_columns(sm.A)
    assert len(first) < sm.A.shape[1]  # the region's and its province's cells at least
    A = sm.A.tocsc()
    for j in range(A.shape[1]):  # every cell's representative holds the same column
        r = first[inverse[j]]
        assert np.array_equal(A[:, [j]].toarray(), A[:, [r]].toarray())
    fast = inv.stock_values(sm, i.intensities, n_draws=200, seed=4)
    n = sm.A.shape[1]
    monkeypatch.setattr(inv, "_unique_columns", lambda a: (np.arange(n), np.arange(n)))
    slow = inv.stock_values(sm, i.intensities, n_draws=200, seed=4)
    for a, b in zip(fast, slow):
        assert np.array_equal(a, b)


def test_yaml_memo_hands_out_copies_and_sees_changed_files(tmp_path):
    from critmat import safeyaml
    from critmat.errors import DataError as Err

    f = tmp_path / "x.yaml"
    f.write_text("a: [1, 2]\nb: {c: 3}\n", encoding="utf-8")
    first = safeyaml.load(f, Err)
    first["a"].append(99)
    first["b"]["c"] = -1
    assert safeyaml.load(f, Err) == {"a": [1, 2], "b": {"c": 3}}
    f.write_text("a: [5]\n", encoding="utf-8")
    assert safeyaml.load(f, Err) == {"a": [5]}
    f.write_text("a: [5\n", encoding="utf-8")  # invalid: never memoised, the error names the file
    with pytest.raises(Err, match="x.yaml"):
        safeyaml.load(f, Err)


def test_chunk_stock_is_one_model_run_and_equals_region_by_region(tmp_path, monkeypatch):
    """Four regions' stock as one run of the stock model (the fast path is the one taken) gives each region's
    own rows: the same labels, the same numbers to rounding."""
    import critmat.stock
    from critmat.stock import region_pack

    packs = synth_regions(800, 4, seed=8, out=tmp_path / "packs")
    inputs = []
    for p in packs:
        inputs.append(region_pack(p)[0])
    apart = pd.concat([critmat.stock.regional_stock(i, n_draws=50, seed=2) for i in inputs], ignore_index=True)

    def refuse(*a, **k):
        raise AssertionError("region by region")

    monkeypatch.setattr(critmat.stock, "regional_stock", refuse)
    together = batch.chunk_stock(inputs, n_draws=50, seed=2)
    a, b = canonical(apart), canonical(together)
    pd.testing.assert_frame_equal(a.drop(columns="value"), b.drop(columns="value"), check_exact=True)
    np.testing.assert_allclose(b["value"].to_numpy(), a["value"].to_numpy(), rtol=1e-9, atol=1e-12)
    # an error in one region is that region's own error (the chunk falls back to region by region)
    monkeypatch.undo()
    bad = inputs[2].assets.copy()
    bad.loc[0, "technology_id"] = "no_such_technology"
    broken = [inputs[0], inputs[1], type(inputs[2])(**{**inputs[2].__dict__, "assets": bad})]
    with pytest.raises(DataError, match="no_such_technology") as got:
        batch.chunk_stock(broken, n_draws=10)
    with pytest.raises(DataError) as own:
        critmat.stock.regional_stock(broken[2], n_draws=10)
    assert str(got.value) == str(own.value)


def test_chunk_exposure_equals_material_exposure_region_by_region():
    """The grouped exposure of several regions gives each region's material_exposure rows, in order, exactly
    (regions with and without need, materials unknown to the indicators, a missing supply risk)."""
    from critmat.models.exposure import material_exposure

    rng = np.random.default_rng(3)
    ind = indicators()
    ind.loc[3, "sr"] = np.nan
    needs, stocks = [], []
    for k, mats in enumerate((["copper", "neodymium", "boron"], ["copper"], [], ["gallium", "zinc", "copper"])):
        rows = [(y, c, m) for y in range(2025, 2031) for c in ("wind_onshore", "vehicle") for m in mats]
        need = pd.DataFrame(rows, columns=["year", "asset_class", "material"])
        need["replacement_t"] = rng.random(len(need)) * (rng.random(len(need)) > 0.3)
        need["pipeline_t"] = rng.random(len(need)) * (rng.random(len(need)) > 0.5)
        needs.append((f"r{k}", need))
        stocks.append(pd.DataFrame({"region": f"r{k}", "asset_class": "vehicle", "material": mats,
                                    "stock_t": rng.random(len(mats))}))
    stock = pd.concat(stocks, ignore_index=True)
    got = batch.chunk_exposure(needs, stock, ind)
    for rid, need in needs:
        own = material_exposure(batch._with_stock(need, stock[stock["region"] == rid]), ind)
        mine = got[got["region"] == rid].drop(columns="region").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, own, check_exact=True)
