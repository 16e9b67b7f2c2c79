"""critmat.flows.run_flows (aggregated per technology x vintage x cell) gives the results of the per-asset
implementation it replaced (tests/flows_reference.py) on nh-fl, for every bundled scenario, deterministic and
Monte Carlo (same seed), and on a synthetic pack with events, pipeline and zero quantities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flows_reference as reference
from critmat.flows import circularity_tables, run_flows
from critmat.paths import bundled_data

SCENARIOS = sorted(p.stem for p in (bundled_data() / "scenarios").glob("*.yaml"))


class _Wh:
    """A stand-in warehouse: the bundled circularity tables and a CRMA recycling benchmark (25 %)."""

    def __init__(self) -> None:
        self.tables = dict(circularity_tables(None))
        self.tables["crma_benchmarks"] = pd.DataFrame({"benchmark_stage": ["recycling"], "used": [True],
                                                       "value_share": [0.25]})

    def has(self, name: str) -> bool:
        return name in self.tables

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name].copy()


def _frames_equal(old: pd.DataFrame, new: pd.DataFrame, what: str) -> None:
    assert list(old.columns) == list(new.columns), what
    assert len(old) == len(new), f"{what}: {len(old)} rows before, {len(new)} now"
    o, n = old.reset_index(drop=True), new.reset_index(drop=True)
    for c in o.columns:
        if pd.api.types.is_float_dtype(o[c]) or pd.api.types.is_float_dtype(n[c]):
            np.testing.assert_allclose(n[c].to_numpy(float), o[c].to_numpy(float), rtol=1e-9, atol=1e-9,
                                       equal_nan=True, err_msg=f"{what}: column {c}")
        else:
            assert (o[c].astype(str).to_numpy() == n[c].astype(str).to_numpy()).all(), f"{what}: column {c}"


def assert_same(old, new, what: str) -> None:
    _frames_equal(old.flows, new.flows, f"{what} flows")
    for attr in ("indicators", "summary", "fleets"):
        _frames_equal(getattr(old, attr), getattr(new, attr), f"{what} {attr}")
    assert old.notes == new.notes, what
    assert (old.sampled, old.not_sampled, old.n_draws, old.benchmark, old.region) == \
        (new.sampled, new.not_sampled, new.n_draws, new.benchmark, new.region), what
    assert np.array_equal(old.years, new.years)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_deterministic_flows_agree_with_the_reference(scenario):
    wh = _Wh()
    assert_same(reference.run_flows("nh-fl", scenario, wh=wh), run_flows("nh-fl", scenario, wh=wh), scenario)


@pytest.mark.parametrize("scenario", ["baseline", "high-ambition"])
def test_monte_carlo_bands_agree_with_the_reference(scenario):
    wh = _Wh()
    kw = dict(wh=wh, n_draws=60, seed=3, start=2024, end=2055)
    assert_same(reference.run_flows("nh-fl", scenario, **kw), run_flows("nh-fl", scenario, **kw), scenario)


def test_material_subset_agrees_with_the_reference():
    kw = dict(materials=["neodymium", "copper", "not_a_material"], n_draws=20, seed=1)
    assert_same(reference.run_flows("nh-fl", "lifetime-extension", **kw),
                run_flows("nh-fl", "lifetime-extension", **kw), "subset")


@pytest.mark.slow  # the reference is slow by design; nh-fl above covers every scenario in the default run
def test_synthetic_pack_agrees_with_the_reference(tmp_path):
    from critmat.build.synth import synth_regions

    path = synth_regions(600, 1, seed=8, out=tmp_path)[0]
    for scenario in ("baseline", "accelerated-repowering"):
        kw = dict(wh=_Wh(), n_draws=30, seed=2)
        assert_same(reference.run_flows(path, scenario, **kw), run_flows(path, scenario, **kw), f"synth {scenario}")


@pytest.mark.parametrize("scenario", ["baseline", "high-recovery", "accelerated-repowering"])
def test_pathways_on_pairs_equal_the_full_arrays(monkeypatch, tmp_path, scenario):
    """flow_arrays applies the pathways and the roll-up on the non-zero (key, material) pairs only; the full
    arrays (what it does when a check fails) give the same numbers, bit for bit, on nh-fl and a synthetic
    pack of several provinces and classes."""
    from critmat import flows
    from critmat.build.synth import synth_regions
    from critmat.models import eolflows as eol

    packs = ["nh-fl", synth_regions(400, 2, seed=5, out=tmp_path)[0]]
    for region in packs:
        flows._SIDE_MEMO.clear()
        new = flows.flow_arrays(region, scenario)
        with monkeypatch.context() as m:
            m.setattr(eol, "pair_pathways", lambda *a, **k: None)
            flows._SIDE_MEMO.clear()
            full = flows.flow_arrays(region, scenario)
        assert np.array_equal(new.present, full.present)
        assert new.present.any()
        for v in full.agg:
            assert new.agg[v].shape == full.agg[v].shape
            assert np.array_equal(new.agg[v], full.agg[v]), v
        for k in full.rates:
            assert np.array_equal(new.rates[k], full.rates[k], equal_nan=True)


def test_pathways_on_pairs_leave_failed_checks_to_the_full_arrays():
    """A share out of range anywhere in a used class (also for a material no key holds) gives no pair result:
    the full arrays raise the error they always raised."""
    from critmat.models import circularity as circ
    from critmat.models import eolflows as eol

    k, n_y, n_m = 3, 4, 5
    raw = {v: np.zeros((k, n_y, n_m)) for v in eol.VARIABLES}
    raw["outflow"][0, :, 1] = 2.0
    raw["demand_new"][2, 1, 3] = 1.0
    member = eol.sparse.csr_matrix(np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]))
    pr = eol.pair_roll_up(member, raw)
    assert list(zip(pr.keys, pr.mats)) == [(0, 1), (2, 3)]
    ones = np.ones((1, n_y))
    params = circ.PathwayParameters(classes=("c",), materials=tuple("abcde"), years=np.arange(n_y),
                                    export_reuse=0.1 * ones, collection=0.5 * ones, replacement=ones,
                                    pretreatment=np.full((1, n_m, n_y), 0.9), recovery=np.full((1, n_m, n_y), 0.8))
    key_class = np.zeros(k, dtype=np.int64)
    p = eol.pair_pathways(pr, params, key_class)
    full = eol.pathways(raw, params, key_class)
    names = list(full)
    agg = eol.pair_rolled(pr, names, [p[v] for v in names])
    ref = eol.rolled(member, [full[v] for v in names])
    member_before = (member.indices.copy(), member.indptr.copy())
    for i, v in enumerate(names):
        assert v in agg and not agg._dense.get(v)  # asking does not make the dense array
        assert np.array_equal(agg.take(v, [2, 0]), ref[[2, 0], i])
        assert np.array_equal(agg.take(v, [1, 1, 0, 1]), ref[[1, 1, 0, 1], i])  # a cell asked twice
        assert np.array_equal(agg[v], ref[:, i])
    assert "nothing" not in agg
    assert all(np.array_equal(a, b) for a, b in zip(member_before, (member.indices, member.indptr)))
    assert np.array_equal(agg.present, (ref != 0).any(axis=(1, 3)))
    ci, mi, _ = agg.present_rows()
    assert [ci.tolist(), mi.tolist()] == [x.tolist() for x in np.nonzero(agg.present)]
    params.recovery[0, 4, 2] = 1.5  # material 'e': held by no key
    assert eol.pair_pathways(pr, params, key_class) is None
    with pytest.raises(Exception, match="recovery must be a share"):
        eol.pathways(raw, params, key_class)


def test_the_batch_reads_the_rolled_rows_as_it_would_the_dense_arrays(tmp_path):
    """``batch.flows_table`` and the exposure need read a :class:`RolledPairs` through its rows; given the same
    flows as plain dense arrays they must write the same table and need (nh-fl and a synthetic pack)."""
    import dataclasses

    from critmat import batch, flows
    from critmat.build.synth import synth_regions

    packs = ["nh-fl", synth_regions(400, 2, seed=4, out=tmp_path)[0]]
    for pack in packs:
        fa = flows.flow_arrays(pack, "baseline")
        dense = dataclasses.replace(fa, agg={v: np.array(fa.agg[v]) for v in fa.agg})
        assert batch.flows_table(fa).equals(batch.flows_table(dense))
        assert batch._need_demand(fa).equals(batch._need_demand(dense))
