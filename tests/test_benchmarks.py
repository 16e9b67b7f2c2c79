"""CRMA benchmarks per material: four benchmarks, indicators or reasons, recycling on CRMs only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmat.models import benchmarks as bm

SUPPLY = pd.DataFrame([
    ("x", "extraction", "eu_sourcing", "SWE", 0.2), ("x", "extraction", "eu_sourcing", "CHN", 0.8),
    ("x", "processing", "global", "CHN", 0.9), ("y", "processing", "eu_sourcing", "DEU", 0.5),
    ("y", "processing", "eu_sourcing", "ZAF", 0.5)],
    columns=["material_id", "stage", "scope", "country_iso3", "share"])


def test_four_benchmarks_with_indicators_or_reasons() -> None:
    t = bm.crma_benchmarks(["x", "y", "z"], SUPPLY, {"SWE", "DEU"}, {"x": 0.3, "y": 0.1, "z": 0.5}, {"x", "y"})
    t = t.set_index("material_id")
    assert t.loc["x", "eu_share_extraction"] == 0.2 and bool(t.loc["x", "meets_extraction"])
    assert np.isnan(t.loc["x", "eu_share_processing"]) and "not computable" in t.loc["x", "processing_reason"]
    assert bool(t.loc["x", "meets_recycling"]) and not bool(t.loc["y", "meets_recycling"])
    assert t.loc["z", "meets_recycling"] is None and "CRMs only" in t.loc["z", "recycling_reason"]
    assert t.loc["x", "max_third_country"] == "CHN" and not bool(t.loc["x", "meets_single_country"])
    assert "global proxy" in t.loc["x", "single_country_reason"] or "EU sourcing" in t.loc["x", "single_country_reason"]
    assert bool(t.loc["y", "meets_single_country"])  # ZAF 50 % <= 65 %
    for m in t.index:  # every empty verdict has a reason
        for b in ("extraction", "processing", "recycling", "single_country"):
            assert t.loc[m, f"meets_{b}"] is not None or t.loc[m, f"{b}_reason"]
    assert "EoL-RIR" in bm.EOL_RIR_DEFINITION
