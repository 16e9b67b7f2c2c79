"""Supply-risk methods: concentration (HHI), the CRMA 65 % check, the EU supply-risk formula, GeoPolRisk.

Pure functions on numbers, mappings, Series and frames; no I/O. Conventions (see docs/risk-methods.md):

* **Shares are fractions** (0..1, never %). A share outside 0..1, NaN or infinite is a
  :class:`~critmat.errors.ModelError` naming the country and the value.
* **Shares that do not sum to 1 are used as reported** (no renormalisation), as the EC methodology does:
  the HHI is ``Σ s_i²`` over the listed countries. Unlisted supply (the EC's EU-sourcing tables list only
  countries with ≥ 1 %; ``"<0.1%"`` entries are 0.0005 in critmat's loaders) therefore adds nothing, so the
  HHI of an incomplete list is a lower bound of the full one. Rounded shares may sum slightly above 1
  (EC 2023 files: up to 1.02); a sum above ``1 + SUM_TOLERANCE`` is an error.
* **Stages** are ``extraction`` and ``processing`` (:data:`STAGES`); anything else is a ModelError.
* **Governance.** The WGI *estimate* is on its native scale (about −2.5..2.5, higher = better).
  :func:`wgi_eu_scaled` maps it to the EC's 0..10 (higher = worse), :func:`wgi_instability` to GeoPolRisk's
  0..1 (higher = worse).

Formulas, with their sources:

* HHI (0..1) = Σ_i s_i²  (Herfindahl–Hirschman; EC 2017 guidelines use S in %, i.e. 0..10,000).
* HHI_WGI,t = Σ_i s_i² · WGI_i · t_i with s in fractions, WGI scaled 0..10, t the trade parameter. This is
  the EC's Σ (S_i[%])² · WGI_i · t_i divided by 10,000, which puts SR on the published scale.
* SR = [HHI_WGI,t(GS) · IR/2 + HHI_WGI,t(EU sourcing) · (1 − IR/2)] · (1 − EoL_RIR) · SI_SR
  (European Commission 2017, *Methodology for establishing the EU list of critical raw materials*,
  used unchanged in the 2020 and 2023 assessments). The EC computes SR at extraction and at processing
  and reports the higher one (the bottleneck stage): :func:`bottleneck`.
* GeoPolRisk import risk = Σ_j q_j · g_j / (Σ_j q_j + domestic production); score = HHI × import risk
  (Gemechu et al. 2016; Koyamparambath et al. 2024; geopolrisk-py ``core.GeoPolRisk``).
* CRMA benchmark (Regulation (EU) 2024/1252, Art. 5(1)(b)): no third country may supply more than 65 % of
  the Union's annual consumption of a strategic raw material at any relevant stage of processing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from critmat.errors import ModelError

Stage = Literal["extraction", "processing"]
STAGES: tuple[str, ...] = ("extraction", "processing")

#: Reported shares may sum above 1 by rounding (EC 2023 files: up to 1.02); beyond this the input is wrong.
SUM_TOLERANCE = 0.05
#: Regulation (EU) 2024/1252 Art. 5(1)(b): at most 65 % of EU consumption from one third country.
CRMA_SINGLE_COUNTRY_LIMIT = 0.65
#: ISO3 of China, for the China share reported next to every HHI.
CHINA = "CHN"

SharesLike = pd.Series | Mapping[str, float] | np.ndarray | list[float] | tuple[float, ...]


# --------------------------------------------------------------------------- validation helpers


FLOAT_TOLERANCE = 1e-9
"""Rounding slack for fractions computed by sums (a value within it of 0 or 1 is clipped, not rejected)."""


def check_stage(stage: str) -> str:
    """Return ``stage`` if it is one of :data:`STAGES`, else raise ModelError naming it."""
    if stage not in STAGES:
        raise ModelError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    return stage


def _check_fraction(value: float, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what} is {value!r}, not a number") from None
    if not math.isfinite(v) or v < -FLOAT_TOLERANCE or v > 1 + FLOAT_TOLERANCE:
        raise ModelError(f"{what} is {value!r}, outside 0..1 (shares are fractions, not %)")
    return min(max(v, 0.0), 1.0)  # floating-point sums such as 0.8 + 0.2 may land a hair outside


def _check_nonneg(value: float, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what} is {value!r}, not a number") from None
    if not math.isfinite(v) or v < 0:
        raise ModelError(f"{what} is {value!r}; it must be a finite number >= 0")
    return v


def as_shares(shares: SharesLike, *, what: str = "share", max_sum: float = 1.0 + SUM_TOLERANCE) -> pd.Series:
    """Validate shares (fractions) and return them as a float Series (index = country or position).

    Accepts a Series, a mapping country → share, or an array/list. Raises ModelError for a share outside
    0..1, NaN, or a total above ``max_sum``.
    """
    if isinstance(shares, pd.Series):
        s = shares
    elif isinstance(shares, Mapping):
        s = pd.Series(dict(shares), dtype=object)
    else:
        arr = np.asarray(shares, dtype=object).ravel()
        s = pd.Series(arr, dtype=object)
    out = pd.Series([_check_fraction(v, f"{what} of {k!r}") for k, v in s.items()], index=s.index, dtype=float)
    total = float(out.sum())
    if total > max_sum:
        raise ModelError(f"{what}s sum to {total:.4f}, above {max_sum:g}: shares are fractions of one whole "
                         "(parts cannot exceed it)")
    return out


# --------------------------------------------------------------------------- concentration


def hhi(shares: SharesLike, *, normalise: bool = False) -> float:
    """Herfindahl–Hirschman index on the 0..1 scale: ``HHI = Σ s_i²`` (shares as fractions).

    One supplier → 1; ``n`` equal suppliers → ``1/n``. Shares are used as reported (the EC practice): a
    list that sums below 1 gives the HHI of the listed countries only (a lower bound). ``normalise=True``
    divides by ``(Σ s)²`` instead, i.e. the HHI of the listed countries' shares of their own total.
    Empty input gives 0. Multiply by 10,000 for the %-based scale of the EC and competition authorities.
    """
    s = as_shares(shares)
    total = float(s.sum())
    h = float((s**2).sum())
    if normalise:
        if total == 0:
            raise ModelError("cannot normalise shares that sum to 0")
        h /= total**2
    return h


def top_share(shares: SharesLike) -> tuple[Any, float]:
    """The largest supplier and its share: ``(country, share)``; ``(None, 0.0)`` for no suppliers."""
    s = as_shares(shares)
    if s.empty:
        return None, 0.0
    key = s.idxmax()
    return key, float(s[key])


def country_share(shares: SharesLike, country: str = CHINA) -> float:
    """Share of one country (default China, ``CHN``); 0 when it is not listed."""
    s = as_shares(shares)
    return float(s[s.index == country].sum())


@dataclass(frozen=True)
class CrmaCheck:
    """Result of the CRMA single-third-country check for one material and stage.

    ``exceeds`` is True when the largest third-country share is strictly above ``limit``; ``country`` and
    ``share`` name that supplier (None/0 when no third country is listed).
    """

    exceeds: bool
    country: str | None
    share: float
    limit: float


def crma_check(shares: SharesLike, *, eu_members: Iterable[str] = (),
               limit: float = CRMA_SINGLE_COUNTRY_LIMIT) -> CrmaCheck:
    """CRMA Art. 5(1)(b): does one third country supply more than ``limit`` (65 %)?

    ``shares`` should be the EU's sourcing shares (its consumption) at one stage; EU member states
    (``eu_members``) are not third countries and are skipped. Applied to *global* shares it is a proxy
    for the EU's exposure, not the legal benchmark. (The Regulation treats overseas countries and
    territories like third countries for diversification; pass them as non-members.)
    """
    lim = _check_fraction(limit, "CRMA limit")
    s = as_shares(shares)
    members = set(eu_members)
    third = s[[k not in members for k in s.index]]
    if third.empty:
        return CrmaCheck(False, None, 0.0, lim)
    key = third.idxmax()
    share = float(third[key])
    return CrmaCheck(share > lim, str(key), share, lim)


def _check_frame(frame: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ModelError(f"{what}: missing column(s) {missing}; got {list(frame.columns)}")
    if "stage" in frame.columns:
        bad = frame.loc[~frame["stage"].isin(STAGES), "stage"]
        if len(bad):
            raise ModelError(f"{what}: unknown stage {bad.iloc[0]!r} (row {bad.index[0]}); "
                             f"expected one of {', '.join(STAGES)}")


def concentration_table(supply_shares: pd.DataFrame, *, by: tuple[str, ...] = ("material_id", "stage"),
                        country: str = "country_iso3", share: str = "share",
                        eu_members: Iterable[str] = (),
                        limit: float = CRMA_SINGLE_COUNTRY_LIMIT) -> pd.DataFrame:
    """Per group (default material × stage): HHI, share sum, top country and share, China share, CRMA check.

    ``supply_shares`` is long (one row per group × country). Filter it to one scope first (global supply
    or EU sourcing; the CRMA benchmark is defined on EU sourcing). Columns of the result: the ``by``
    columns, ``hhi``, ``share_sum``, ``top_country``, ``top_share``, ``china_share``,
    ``crma_country``, ``crma_share``, ``crma_exceeds``.
    """
    _check_frame(supply_shares, [*by, country, share], "supply shares")
    members = frozenset(eu_members)
    rows = []
    for key, grp in supply_shares.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        where = ", ".join(f"{b}={k}" for b, k in zip(by, key))
        if grp[country].duplicated().any():
            dup = grp.loc[grp[country].duplicated(), country].iloc[0]
            raise ModelError(f"supply shares ({where}): country {dup!r} listed twice")
        s = as_shares(pd.Series(grp[share].to_numpy(), index=grp[country].to_numpy()), what=f"share ({where})")
        top_c, top_s = top_share(s)
        chk = crma_check(s, eu_members=members, limit=limit)
        rows.append({**dict(zip(by, key)), "hhi": hhi(s), "share_sum": float(s.sum()),
                     "top_country": top_c, "top_share": top_s, "china_share": country_share(s, CHINA),
                     "crma_country": chk.country, "crma_share": chk.share, "crma_exceeds": chk.exceeds})
    cols = [*by, "hhi", "share_sum", "top_country", "top_share", "china_share", "crma_country", "crma_share",
            "crma_exceeds"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- governance scaling


def _estimate_array(estimate: Any, what: str) -> np.ndarray:
    arr = np.asarray(estimate, dtype=float)
    if np.isnan(arr).any():
        raise ModelError(f"{what}: WGI estimate is NaN; fill or drop countries without a WGI value first")
    return arr


def _like(estimate: Any, values: np.ndarray) -> Any:
    if isinstance(estimate, pd.Series):
        return pd.Series(values, index=estimate.index, name=estimate.name)
    return float(values) if values.ndim == 0 else values


def wgi_eu_scaled(estimate: Any) -> Any:
    """EC scaling of a WGI estimate to 0..10, higher = worse governance: ``5 − 2·x``, clipped to 0..10.

    Maps the native −2.5..2.5 range linearly onto 10..0 (EC 2017 guidelines: WGI "scaled 0–10", 10 = poor
    governance). Estimates beyond ±2.5 (a few countries exceed the nominal range) are clipped.
    Accepts a number, array or Series (returned with the same index).
    """
    arr = _estimate_array(estimate, "wgi_eu_scaled")
    return _like(estimate, np.clip(5.0 - 2.0 * arr, 0.0, 10.0))


def wgi_instability(estimate: Any) -> Any:
    """GeoPolRisk scaling of a WGI estimate to an instability score 0..1: ``(2.5 − x)/5``, clipped.

    This is geopolrisk-py's normalisation of the WGI *Political Stability and Absence of Violence*
    estimate (its ``wgi.db`` table ``Normalized``); applied to the mean of the six WGI it gives the
    analogous governance-based score.
    """
    arr = _estimate_array(estimate, "wgi_instability")
    return _like(estimate, np.clip((2.5 - arr) / 5.0, 0.0, 1.0))


# --------------------------------------------------------------------------- EU supply risk


def _lookup(mapping: Mapping[str, float] | pd.Series, key: str, what: str, fill: float | None) -> float:
    val = mapping.get(key) if hasattr(mapping, "get") else None
    if val is None or (isinstance(val, float) and math.isnan(val)):
        if fill is None:
            raise ModelError(f"no {what} for country {key!r}; give one or pass a fill value")
        return fill
    return float(val)


def hhi_wgi_t(shares: SharesLike, wgi_scaled: Mapping[str, float] | pd.Series,
              trade_factor: Mapping[str, float] | pd.Series | None = None, *,
              missing_wgi: float | None = None) -> float:
    """Governance- and trade-weighted concentration ``Σ_i s_i² · WGI_i · t_i`` (s as fractions).

    ``shares`` maps country → share; ``wgi_scaled`` country → EC-scaled WGI (0..10, :func:`wgi_eu_scaled`);
    ``trade_factor`` country → t (default 1 for every country; a country missing from it gets 1). The result equals the EC's
    Σ (S[%])² · WGI · t / 10,000 and lies in 0..10·max(t). A listed country without WGI is an error unless
    ``missing_wgi`` gives the value to use.
    """
    s = as_shares(shares)
    total = 0.0
    for c, si in s.items():
        if si == 0:
            continue
        w = _lookup(wgi_scaled, c, "WGI", missing_wgi)
        if not 0 <= w <= 10:
            raise ModelError(f"scaled WGI of {c!r} is {w!r}, outside 0..10 (use wgi_eu_scaled on the estimate)")
        t = 1.0 if trade_factor is None else _lookup(trade_factor, c, "trade factor t", 1.0)
        _check_nonneg(t, f"trade factor t of {c!r}")
        total += si * si * w * t
    return total


def eu_supply_risk(hhi_wgi_t_global: Any, hhi_wgi_t_eu: Any, import_reliance: Any, eol_rir: Any,
                   si_sr: Any) -> Any:
    """EU supply risk (EC 2017 guidelines, 2020/2023 assessments) for one stage.

    ``SR = [H_GS · IR/2 + H_EU · (1 − IR/2)] · (1 − EoL_RIR) · SI_SR`` where ``H`` are
    :func:`hhi_wgi_t` values of global supply (GS) and EU sourcing, ``IR`` the EU import reliance,
    ``EoL_RIR`` the end-of-life recycling input rate (both fractions 0..1) and ``SI_SR`` the substitution
    index for supply risk (0..1, 1 = no substitute). Where EU-sourcing data are missing (NaN/None) the
    global value is used for both terms. Works on scalars and numpy arrays (broadcast).
    """
    gs = np.asarray(hhi_wgi_t_global, dtype=float)
    eu = np.asarray(np.nan if hhi_wgi_t_eu is None else hhi_wgi_t_eu, dtype=float)
    eu = np.where(np.isnan(eu), gs, eu)
    ir = np.asarray(import_reliance, dtype=float)
    eol = np.asarray(eol_rir, dtype=float)
    si = np.asarray(si_sr, dtype=float)
    for name, arr in (("HHI_WGI,t of global supply", gs), ("HHI_WGI,t of EU sourcing", eu)):
        if np.isnan(arr).any() or (arr < 0).any():
            raise ModelError(f"{name} is {_first_bad(arr, lambda a: np.isnan(a) | (a < 0))}; must be >= 0")
    for name, arr in (("import reliance", ir), ("EoL-RIR", eol), ("SI_SR", si)):
        bad = np.isnan(arr) | (arr < 0) | (arr > 1)
        if bad.any():
            raise ModelError(f"{name} is {_first_bad(arr, lambda a: np.isnan(a) | (a < 0) | (a > 1))}, "
                             "outside 0..1 (fractions, not %)")
    sr = (gs * ir / 2 + eu * (1 - ir / 2)) * (1 - eol) * si
    return float(sr) if sr.ndim == 0 else sr


def _first_bad(arr: np.ndarray, test: Any) -> float:
    flat = np.atleast_1d(arr).ravel()
    return float(flat[np.atleast_1d(test(flat))][0])


def sr_upper_bound(hhi_wgi_t_global: float, hhi_wgi_t_eu: float | None, import_reliance_max: float) -> float:
    """Largest SR the formula allows with EoL-RIR = 0, SI_SR = 1 and any IR in 0..``import_reliance_max``.

    The blend is linear in IR, so the maximum is at IR = 0 or IR = ``import_reliance_max``. Used to test
    published SR values when the EC's IR, EoL-RIR and SI_SR are not at hand: SR_published <= this bound
    (up to differences in WGI vintage). See :func:`import_reliance_upper_bound`.
    """
    irmax = _check_fraction(import_reliance_max, "import reliance bound")
    return max(eu_supply_risk(hhi_wgi_t_global, hhi_wgi_t_eu, ir, 0.0, 1.0) for ir in (0.0, irmax))


def import_reliance_upper_bound(eu_sourcing: SharesLike, eu_members: Iterable[str]) -> float:
    """Upper bound of EU import reliance from EU-sourcing shares: ``1 − Σ shares of EU member states``.

    EU sourcing = domestic production + imports, so the member-state shares are D/(D+I). The EC defines
    ``IR = (I − X)/(D + I − X)``, which falls as exports X grow, hence IR <= I/(D+I) = 1 − Σ_EU s.
    Unlisted small EU producers make the bound looser, never wrong. Clipped to 0..1.
    """
    s = as_shares(eu_sourcing, what="EU sourcing share")
    members = set(eu_members)
    domestic = float(s[[k in members for k in s.index]].sum())
    return float(min(1.0, max(0.0, 1.0 - domestic)))


def supply_risk_components(supply_shares: pd.DataFrame, wgi_scaled: Mapping[str, float] | pd.Series, *,
                           eu_members: Iterable[str] = (), missing_wgi: float | None = None,
                           country: str = "country_iso3", share: str = "share", scope: str = "scope",
                           trade_factor: str = "trade_factor") -> pd.DataFrame:
    """Concentration inputs of SR per material × stage from a long supply-shares frame.

    ``supply_shares`` has ``material_id, stage, scope (global|eu_sourcing), country_iso3, share`` and
    optionally ``trade_factor`` (t; missing → 1), as in the reference package's ``supply_shares``.
    Returns ``material_id, stage, hhi_global, hhi_wgi_t_global, hhi_wgi_t_eu_sourcing,
    import_reliance_max`` (NaN where the stage has no EU-sourcing rows).
    """
    _check_frame(supply_shares, ["material_id", "stage", scope, country, share], "supply shares")
    bad_scope = supply_shares.loc[~supply_shares[scope].isin(["global", "eu_sourcing"]), scope]
    if len(bad_scope):
        raise ModelError(f"supply shares: unknown scope {bad_scope.iloc[0]!r} (row {bad_scope.index[0]}); "
                         "expected global or eu_sourcing")
    members = frozenset(eu_members)
    rows = []
    for (mat, stg), grp in supply_shares.groupby(["material_id", "stage"], sort=True):
        rec: dict[str, Any] = {"material_id": mat, "stage": stg}
        for sc in ("global", "eu_sourcing"):
            part = grp[grp[scope] == sc]
            where = f"material_id={mat}, stage={stg}, scope={sc}"
            if part.empty:
                rec[f"hhi_wgi_t_{sc}"] = np.nan
                if sc == "global":
                    rec["hhi_global"] = np.nan
                else:
                    rec["import_reliance_max"] = np.nan
                continue
            if part[country].duplicated().any():
                dup = part.loc[part[country].duplicated(), country].iloc[0]
                raise ModelError(f"supply shares ({where}): country {dup!r} listed twice")
            s = as_shares(pd.Series(part[share].to_numpy(), index=part[country].to_numpy()), what=f"share ({where})")
            t = (pd.Series(part[trade_factor].to_numpy(dtype=float), index=part[country].to_numpy())
                 if trade_factor in part.columns else None)
            rec[f"hhi_wgi_t_{sc}"] = hhi_wgi_t(s, wgi_scaled, t, missing_wgi=missing_wgi)
            if sc == "global":
                rec["hhi_global"] = hhi(s)
            else:
                rec["import_reliance_max"] = import_reliance_upper_bound(s, members)
        rows.append(rec)
    cols = ["material_id", "stage", "hhi_global", "hhi_wgi_t_global", "hhi_wgi_t_eu_sourcing",
            "import_reliance_max"]
    return pd.DataFrame(rows, columns=cols)


def eu_supply_risk_frame(components: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """SR per material × stage: :func:`supply_risk_components` joined with the EC inputs.

    ``inputs`` has ``material_id, stage, import_reliance_share, eol_rir_share, si_sr`` (the
    ``risk_inputs`` field names). Only pairs present in both frames get an SR; the result adds
    ``supply_risk`` to the component columns and the three inputs.
    """
    need = ["material_id", "stage", "import_reliance_share", "eol_rir_share", "si_sr"]
    _check_frame(components, ["material_id", "stage", "hhi_wgi_t_global", "hhi_wgi_t_eu_sourcing"], "components")
    _check_frame(inputs, need, "SR inputs")
    df = components.merge(inputs[need], on=["material_id", "stage"], how="inner", validate="one_to_one")
    df["supply_risk"] = eu_supply_risk(df["hhi_wgi_t_global"].to_numpy(), df["hhi_wgi_t_eu_sourcing"].to_numpy(),
                                       df["import_reliance_share"].to_numpy(), df["eol_rir_share"].to_numpy(),
                                       df["si_sr"].to_numpy()) if len(df) else np.array([], dtype=float)
    return df


def bottleneck(frame: pd.DataFrame, value: str = "supply_risk", *, by: str = "material_id") -> pd.DataFrame:
    """Per material, the row of the stage with the highest ``value`` (the EC reports SR at this stage).

    Rows with NaN ``value`` are ignored; ties keep the first stage in :data:`STAGES` order.
    """
    _check_frame(frame, [by, "stage", value], "bottleneck")
    df = frame.dropna(subset=[value]).copy()
    df["_order"] = df["stage"].map({s: i for i, s in enumerate(STAGES)})
    df = df.sort_values([by, value, "_order"], ascending=[True, False, True])
    return df.groupby(by, sort=True).head(1).drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------- GeoPolRisk


@dataclass(frozen=True)
class GeoPolRiskResult:
    """GeoPolRisk of one economy for one raw material.

    ``import_risk`` = Σ q·g / (Σ q + domestic), ``score`` = ``hhi`` × ``import_risk`` (both 0..1);
    ``imports_t`` = Σ q and ``domestic_production_t`` in tonnes.
    """

    hhi: float
    import_risk: float
    score: float
    imports_t: float
    domestic_production_t: float


def geopolrisk(hhi: float, imports: Mapping[str, float], governance: Mapping[str, float],
               domestic_production: float = 0.0, *, intra_region: Iterable[str] = (),
               missing_governance: float | None = None) -> GeoPolRiskResult:
    """GeoPolRisk score of an economy (Gemechu et al. 2016; Koyamparambath et al. 2024).

    ``hhi``: concentration of global production (0..1, :func:`hhi`); ``imports``: partner ISO3 → tonnes
    imported; ``governance``: ISO3 → instability 0..1 (1 = least stable, e.g. :func:`wgi_instability`);
    ``domestic_production`` in tonnes. Partners in ``intra_region`` (e.g. EU members when assessing the
    EU) count with g = 0, as geopolrisk-py does for regions. A partner without a governance score is an
    error unless ``missing_governance`` is given (geopolrisk-py silently uses 0.5).
    """
    h = _check_fraction(hhi, "HHI")
    dom = _check_nonneg(domestic_production, "domestic production (t)")
    inside = set(intra_region)
    num = 0.0
    tot = 0.0
    for partner, qty in imports.items():
        q = _check_nonneg(qty, f"imports from {partner!r} (t)")
        if q == 0:
            continue
        if partner in inside:
            g = 0.0
        else:
            g = _check_fraction(_lookup(governance, partner, "governance score", missing_governance),
                                f"governance score of {partner!r}")
        num += q * g
        tot += q
    if tot + dom == 0:
        raise ModelError("no imports and no domestic production: the import risk is undefined")
    ir = num / (tot + dom)
    return GeoPolRiskResult(hhi=h, import_risk=ir, score=h * ir, imports_t=tot, domestic_production_t=dom)


__all__ = [
    "CHINA", "CRMA_SINGLE_COUNTRY_LIMIT", "STAGES", "SUM_TOLERANCE", "CrmaCheck", "GeoPolRiskResult", "Stage",
    "as_shares", "bottleneck", "check_stage", "concentration_table", "country_share", "crma_check",
    "eu_supply_risk", "eu_supply_risk_frame", "geopolrisk", "hhi", "hhi_wgi_t", "import_reliance_upper_bound",
    "sr_upper_bound", "supply_risk_components", "top_share", "wgi_eu_scaled", "wgi_instability",
]
