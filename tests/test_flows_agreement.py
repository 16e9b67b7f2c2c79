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
