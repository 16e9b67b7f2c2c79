"""Disruption simulator (critmat.models.disruption) and shock specs (critmat.specs.shocks) on inline frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmat.catalog.sources import source_registry
from critmat.errors import ScenarioError
from critmat.models import disruption as dis
from critmat.specs.shocks import ShockSpec, bundled_shocks, load_shock, resolve_ids, shock_from_dict

GROUPS = {"rare_earth_elements_heavy": ["dysprosium", "terbium"]}
EU = {"DEU", "FRA", "NLD"}


def _supply() -> pd.DataFrame:
    rows = [("dysprosium", "processing", "global", "CHN", 0.9), ("dysprosium", "processing", "global", "MYS", 0.1),
            ("terbium", "processing", "global", "CHN", 1.0),
            ("gallium", "processing", "global", "CHN", 0.8), ("gallium", "processing", "global", "JPN", 0.1),
            ("gallium", "processing", "global", "KOR", 0.1),
            ("gallium", "processing", "eu_sourcing", "CHN", 0.6), ("gallium", "processing", "eu_sourcing", "DEU", 0.2),
            ("gallium", "extraction", "global", "CHN", 0.5)]
    return pd.DataFrame(rows, columns=["material_id", "stage", "scope", "country_iso3", "share"])


def _need() -> pd.DataFrame:
    rows = []
    for y in (2025, 2026, 2027):
        rows += [(y, "wind_offshore", "dysprosium", 10.0), (y, "vehicle", "dysprosium", 2.0),
                 (y, "vehicle", "terbium", 1.0), (y, "datacentre", "gallium", 4.0), (y, "vehicle", "copper", 99.0)]
    return pd.DataFrame(rows, columns=["year", "asset_class", "material", "need_t"])


def _companies() -> pd.DataFrame:
    return pd.DataFrame({"company_id": ["r1", "r2"], "name": ["Recycler", "Chipmaker"],
                         "primary_activity_id": ["recycling_collection", "manufacturing"],
                         "material_id": ["dysprosium", "gallium"]})


def _projects() -> pd.DataFrame:
    return pd.DataFrame({"asset_id": ["farm", "late"], "name": ["Farm", "Late farm"],
                         "asset_class": ["wind_offshore"] * 2, "status": ["planned"] * 2,
                         "commissioning_year": [2026, 2031], "material": ["dysprosium"] * 2, "mass_t": [5.0, 8.0]})


def _shock(**kw) -> ShockSpec:
    base = {"id": "t", "materials": ["rare_earth_elements_heavy"], "country": "CHN", "stage": "processing",
            "share": 1.0, "start": "2026-01-01", "months": 12}
    base.update(kw)
    return shock_from_dict(base)


def _run(shock: ShockSpec, **kw) -> dis.DisruptionResult:
    return dis.simulate(shock, _supply(), _need(), groups=GROUPS, eu_members=EU, companies=_companies(),
                        projects=_projects(), **kw)


# ------------------------------------------------------------------------------------------ the model


def test_share_zero_changes_nothing() -> None:
    for mats in (["rare_earth_elements_heavy"], ["gallium"]):
        res = _run(_shock(materials=mats, share=0.0))
        assert (res.supply["world_lost_share"] == 0).all() and (res.supply["eu_lost_share"] == 0).all()
        assert (res.affected["affected_t"] == 0).all() and len(res.affected) > 0
        assert all(v == 0 for v in res.totals().values())
        assert res.companies.empty and res.projects.empty
        pd.testing.assert_frame_equal(dis.shocked_supply(_supply(), _shock(materials=mats, share=0.0), groups=GROUPS,
                                                         eu_members=EU), _supply())


@settings(max_examples=40, deadline=None)
@given(w=st.floats(0, 1), country=st.sampled_from(["CHN", "JPN", "KOR", "USA"]))
def test_world_loss_is_country_share_times_withheld(w: float, country: str) -> None:
    res = _run(_shock(materials=["gallium"], country=country, share=w))
    row = res.supply.set_index("material_id").loc["gallium"]
    expected_share = {"CHN": 0.8, "JPN": 0.1, "KOR": 0.1, "USA": 0.0}[country]
    assert row["country_share"] == pytest.approx(expected_share)
    assert row["world_lost_share"] == pytest.approx(expected_share * w)
    # EU-sourcing loss uses the EU-sourcing share of the country (CHN 60 %, others not listed)
    assert row["eu_lost_share"] == pytest.approx({"CHN": 0.6}.get(country, 0.0) * w)
    shocked = dis.shocked_supply(_supply(), _shock(materials=["gallium"], country=country, share=w), groups=GROUPS,
                                 eu_members=EU)
    sel = (shocked["material_id"] == "gallium") & (shocked["stage"] == "processing") & (shocked["scope"] == "global")
    lost = _supply().loc[sel, "share"].sum() - shocked.loc[sel, "share"].sum()
    assert lost == pytest.approx(expected_share * w)


@settings(max_examples=40, deadline=None)
@given(w1=st.floats(0, 1), w2=st.floats(0, 1), months=st.floats(0, 30), spare=st.floats(0, 1))
def test_exposure_is_monotone_in_share_withheld(w1: float, w2: float, months: float, spare: float) -> None:
    lo, hi = sorted((w1, w2))
    a = _run(_shock(share=lo, months=months, spare_capacity=spare))
    b = _run(_shock(share=hi, months=months, spare_capacity=spare))
    ta, tb = a.totals(), b.totals()
    assert ta["affected_t"] <= tb["affected_t"] + 1e-9
    assert ta["residual_t"] <= tb["residual_t"] + 1e-9
    merged = a.affected.merge(b.affected, on=["year", "asset_class", "material"])
    assert (merged["affected_t_x"] <= merged["affected_t_y"] + 1e-9).all()


def test_affected_need_is_need_times_lost_share_times_months_over_12() -> None:
    res = _run(_shock(share=0.5, start="2026-01-01", months=6))
    a = res.affected.set_index(["year", "asset_class", "material"])
    f = res.year_fraction[2026]
    assert f == pytest.approx(181 / 365)  # 1 Jan - 30 Jun by days, ~ 6/12
    # dysprosium: no EU-sourcing rows -> global share 0.9 as proxy; need 10 t in 2026
    assert a.loc[(2026, "wind_offshore", "dysprosium"), "affected_t"] == pytest.approx(10 * 0.9 * 0.5 * f)
    assert a.loc[(2026, "vehicle", "terbium"), "affected_t"] == pytest.approx(1 * 1.0 * 0.5 * f)
    assert set(a.index.get_level_values("year")) == {2026}  # only the years the shock touches
    assert "copper" not in set(a.index.get_level_values("material"))
    by = res.affected_by_year_class().set_index(["year", "asset_class"])
    assert by.loc[(2026, "vehicle"), "affected_t"] == pytest.approx((2 * 0.9 + 1 * 1.0) * 0.5 * f)


def test_rows_without_need_are_not_affected_rows() -> None:
    need = pd.concat([_need(), pd.DataFrame({"year": [2026], "asset_class": ["wind_onshore"],
                                             "material": ["dysprosium"], "need_t": [0.0]})], ignore_index=True)
    res = dis.simulate(_shock(), _supply(), need, groups=GROUPS, eu_members=EU)
    assert "wind_onshore" not in set(res.affected["asset_class"]) and (res.affected["need_t"] > 0).all()
    assert res.totals() == _run(_shock()).totals()


def test_year_fractions_span_years() -> None:
    yf = dis.year_fractions(dt.date(2025, 10, 1), 6)
    assert set(yf) == {2025, 2026}
    assert yf[2025] == pytest.approx(92 / 365) and yf[2026] == pytest.approx(90 / 365)  # to 1 April 2026
    assert dis.year_fractions(dt.date(2025, 1, 1), 0) == {}
    assert sum(dis.year_fractions(dt.date(2024, 1, 1), 12).values()) == pytest.approx(1.0)


def test_destinations_excluding_the_eu_mean_no_eu_loss() -> None:
    res = _run(_shock(materials=["gallium"], destinations=["USA"]))
    row = res.supply.iloc[0]
    assert row["world_lost_share"] == pytest.approx(0.8) and not row["eu_hit"]
    assert row["eu_lost_share"] == 0
    assert res.totals()["affected_t"] == 0 and res.companies.empty
    leaky = _run(_shock(materials=["gallium"], destinations=["USA"], eu_leakage=0.25))
    assert leaky.supply.iloc[0]["eu_lost_share"] == pytest.approx(0.6 * 0.25)
    for dest in (["EU"], ["DEU"], ["USA", "NLD"]):
        hit = _run(_shock(materials=["gallium"], destinations=dest))
        assert hit.supply.iloc[0]["eu_lost_share"] == pytest.approx(0.6)


def test_mitigations_alternative_secondary_substitution() -> None:
    res = _run(_shock(materials=["gallium"], share=0.5, spare_capacity=0.2))
    m = res.mitigations.set_index("material").loc["gallium"]
    # spare = (JPN 0.1 + KOR 0.1) x 0.2 = 0.04 of world supply vs 0.8 x 0.5 = 0.4 lost
    assert m["alt_cover"] == pytest.approx(0.04 / 0.4)
    assert m["alternative_t"] == pytest.approx(m["affected_t"] * 0.1)
    assert m["substitution"] == dis.NOT_AVAILABLE and pd.isna(m["secondary_available_t"])
    sec = pd.DataFrame({"material": ["gallium"], "secondary_t_per_yr": [0.5]})
    subs = pd.DataFrame({"material_id": ["gallium"], "si_sr": [0.95], "source_id": ["ec_crm_2023"]})
    m2 = _run(_shock(materials=["gallium"], share=0.5, spare_capacity=0.2), secondary=sec,
              substitution=subs).mitigations.set_index("material").loc["gallium"]
    assert m2["secondary_available_t"] == pytest.approx(0.5)
    assert m2["secondary_t"] == pytest.approx(min(0.5, m2["affected_t"] - m2["alternative_t"]))
    assert m2["residual_t"] == pytest.approx(m2["affected_t"] - m2["alternative_t"] - m2["secondary_t"])
    assert m2["substitution"].startswith("SI_SR 0.95")
    # a sole supplier: nobody can step in
    assert _run(_shock(materials=["terbium"])).mitigations.iloc[0]["alt_cover"] == 0


def test_groups_expand_and_exposed_companies_and_projects() -> None:
    res = _run(_shock())
    assert res.materials == ("dysprosium", "terbium")
    assert list(res.companies["company_id"]) == ["r1"]
    assert list(res.projects["asset_id"]) == ["farm"]  # 2031 is outside 2026 + 1 lead year
    assert list(_run(_shock(), lead_years=5).projects["asset_id"]) == ["farm", "late"]


# ------------------------------------------------------------------------------------------ shock specs


@pytest.mark.parametrize(("key", "value", "needle"), [
    ("share", 1.5, "key 'share' = 1.5"), ("share", -0.1, "key 'share' = -0.1"),
    ("months", -2, "key 'months' = -2"), ("stage", "refining", "key 'stage' = 'refining'"),
    ("country", "China!", "key 'country' = 'China!'"), ("start", "next year", "key 'start' = 'next year'"),
    ("start", 2025, "key 'start' = 2025"), ("materials", [], "key 'materials' = []"),
    ("destinations", ["U$A"], "key 'destinations' = ['U$A']: 'U$A' is not an ISO3"),
    ("spare_capacity", 2, "key 'spare_capacity' = 2"),
    ("colour", "red", "unknown key 'colour'"),
])
def test_bad_shock_values_name_key_and_value(key: str, value: object, needle: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _shock(**{key: value})
    assert needle in str(err.value)


def test_missing_key_and_not_a_mapping() -> None:
    with pytest.raises(ScenarioError, match="missing key 'country'"):
        shock_from_dict({"materials": ["gallium"], "start": "2025-01-01"})
    with pytest.raises(ScenarioError, match="must be a mapping"):
        shock_from_dict(["gallium"])  # type: ignore[arg-type]


def test_resolve_ids_unknown_material_country_source() -> None:
    lookup = {"gallium": "gallium", "ga": "gallium", "heavy rare earths": "rare_earth_elements_heavy"}
    res = resolve_ids(_shock(materials=["Ga", "heavy rare earths"]), resolve_material=lambda q: lookup.get(q.lower()),
                      countries={"CHN", "USA"})
    assert res.materials == ("gallium", "rare_earth_elements_heavy")
    with pytest.raises(ScenarioError, match="key 'materials' = 'unobtainium': unknown material"):
        resolve_ids(_shock(materials=["unobtainium"]), resolve_material=lookup.get, countries={"CHN"})
    with pytest.raises(ScenarioError, match="key 'country' = 'XYZ': unknown country"):
        resolve_ids(_shock(materials=["gallium"], country="XYZ"), resolve_material=lookup.get, countries={"CHN"})
    with pytest.raises(ScenarioError, match="key 'destinations' = 'ATL'"):
        resolve_ids(_shock(materials=["gallium"], destinations=["ATL"]), resolve_material=lookup.get,
                    countries={"CHN"})
    with pytest.raises(ScenarioError, match="key 'source_ids' = 'nope'"):
        resolve_ids(_shock(materials=["gallium"], source_ids=["nope"]), resolve_material=lookup.get,
                    countries={"CHN"}, sources={"ec_crm_2023"})


def test_spec_is_frozen() -> None:
    spec = _shock()
    with pytest.raises(Exception):
        spec.share = 0.5  # type: ignore[misc]


def test_bundled_shocks_load_and_cite_registered_sources() -> None:
    names = bundled_shocks()
    assert {"ree-april-2025", "ga-ge-2023", "china-ree-processing-ban-12m"} <= set(names)
    reg = source_registry()
    for n in names:
        spec = load_shock(n)
        assert spec.id == n and spec.source_ids
        assert all(s in reg for s in spec.source_ids), spec.source_ids
    ree = load_shock("ree-april-2025")
    assert set(ree.materials) == {"samarium", "gadolinium", "terbium", "dysprosium", "lutetium", "scandium",
                                  "yttrium"}
    assert ree.start == dt.date(2025, 4, 4) and ree.country == "CHN" and ree.stage == "processing"
    assert ree.share == pytest.approx((0.74 + 0.38) / 2)


def test_shock_file_errors_name_the_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("id: bad\nmaterials: [gallium]\ncountry: CHN\nstart: 2025-01-01\nshare: 2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: key 'share' = 2"):
        load_shock(p)
    with pytest.raises(ScenarioError, match="no such shock file"):
        load_shock(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="unknown shock 'atlantis'"):
        load_shock("atlantis")
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken.yaml, line 2: not valid YAML"):
        load_shock(tmp_path / "broken.yaml")
