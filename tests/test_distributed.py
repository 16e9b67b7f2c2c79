"""The batch runner (critmat.batch) gives the same Parquet results in this process and on a Dask
LocalCluster (two worker processes) for the same seed; DuckDB reads them back. Skipped without the
``distributed`` extra."""

from __future__ import annotations

import pandas as pd
import pytest

from critmat import batch
from critmat.build.synth import synth_regions
from batchcheck import canonical, indicators


def test_local_and_distributed_runs_agree(tmp_path):
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    packs = synth_regions(300, 2, seed=4, out=tmp_path / "packs")
    kw = dict(draws=40, seed=7, scenarios=("baseline", "high-recovery"), indicators=indicators())
    local = batch.run(packs, tmp_path / "local", **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        dist = batch.run(packs, tmp_path / "dist", client=client, **kw)
    assert list(local["region"]) == list(dist["region"]) == ["synth-4-001", "synth-4-002"]
    assert (local["rows_flows"] > 0).all() and (local["rows_exposure"] > 0).all()
    for part in batch.PARTS:
        a, b = batch.read(tmp_path / "local", part), batch.read(tmp_path / "dist", part)
        assert len(a) > 0 and set(a["region"]) == {"synth-4-001", "synth-4-002"}
        pd.testing.assert_frame_equal(canonical(a), canonical(b), check_exact=True)
    # parts sum to wholes in what DuckDB reads: the classes of a cell add up to 'all'
    f = batch.read(tmp_path / "dist", "flows", where="area_type = 'region' AND scenario = 'baseline'")
    f = f.astype({"asset_class": str, "material": str})
    by = f[f["asset_class"] != "all"].groupby(["region", "material", "year"])["outflow"].sum()
    whole = f[f["asset_class"] == "all"].set_index(["region", "material", "year"])["outflow"]
    pd.testing.assert_series_equal(by.reindex(whole.index, fill_value=0.0), whole, check_names=False, rtol=1e-9)
