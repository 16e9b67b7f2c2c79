"""Reproduce the EC 2023 supply risk (SR) from its published inputs (glue: load frames, call the models).

Inputs: the EC 2023 supply shares and trade parameters (Annex 7, read by :mod:`critmat.loaders.ec_crm`),
the World Bank WGI (:mod:`critmat.loaders.wgi`; the latest year per country) and the bundled
``risk_inputs`` package (IR, EoL-RIR, SI_SR, the supply basis and the published SR per material and stage).
The formula is :func:`critmat.models.risk.eu_supply_risk_frame`; this module only prepares its inputs:

* **Supply basis** (the EC's "supply used in SR calculation"): ``gs_only`` drops the EU-sourcing term
  (global supply in both terms), ``eu_only`` uses EU sourcing in both terms. For ``gs_and_eu`` (or no basis
  given) a stage without EU-sourcing shares in Annex 7 falls back to global supply in both terms, and a
  stage without global shares is computable only when IR = 0 (the global term then has weight 0).
* IR is irrelevant when both terms are the same concentration; it is then set to 0 if the source gives none.

Result columns (:func:`sr_reproduction_table`): ``material_id, stage, sr_supply_basis, sr_published,
sr_computed, deviation`` (computed − published), ``reproduced`` (|deviation| <= ``abs_tol`` +
``rel_tol`` · published; NA when either value is missing), ``reason`` (why SR is not computed, or the fallbacks used and the source note when
it is not reproduced). SR values are dimensionless on the published scale.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.catalog.package import bundled_frames, load_package
from critmat.errors import DataError
from critmat.models import risk
from critmat.paths import bundled_packages

PACKAGE = "risk_inputs"
#: Published SR is rounded to 0.1 (±0.05); critmat has WGI 2022 only, a later vintage than the EC used (5 %).
ABS_TOL = 0.05
REL_TOL = 0.05
COLUMNS = ["material_id", "stage", "sr_supply_basis", "sr_published", "sr_computed", "deviation", "reproduced",
           "reason"]


def reference_frames() -> dict[str, pd.DataFrame]:
    """The bundled reference package's frames (materials, aliases, lists, countries) and the source registry."""
    return bundled_frames("reference")


def load_risk_inputs(pkg_dir: Path | None = None, known: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The ``supply_risk_inputs`` table (bundled package unless ``pkg_dir``), schema and keys checked."""
    pkg_dir = Path(pkg_dir) if pkg_dir else bundled_packages() / PACKAGE
    known = known if known is not None else reference_frames()
    return load_package(pkg_dir, known=known)["supply_risk_inputs"].frame


def eu_members(countries: pd.DataFrame) -> frozenset[str]:
    """ISO3 codes of the EU member states in the reference ``countries`` table."""
    return frozenset(countries.loc[countries["eu_member"].astype(bool), "country_iso3"])


def _prepare(components: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """Per material × stage: the concentration terms and inputs the formula gets, or a reason it cannot run."""
    inputs = inputs.copy()
    num = ["import_reliance_share", "eol_rir_share", "si_sr", "supply_risk_stage"]
    inputs[num] = inputs[num].astype("float64")  # nullable (pd.NA) → NaN
    df = inputs.merge(components, on=["material_id", "stage"], how="left")
    gs_eff, eu_eff, ir_eff, reasons = [], [], [], []
    for r in df.itertuples(index=False):
        gs, eu, ir = (float(v) for v in (r.hhi_wgi_t_global, r.hhi_wgi_t_eu_sourcing, r.import_reliance_share))
        basis = r.sr_supply_basis if isinstance(r.sr_supply_basis, str) else ""
        why: list[str] = []
        if basis == "gs_only":
            eu = np.nan
        elif basis == "eu_only":
            gs = eu
        elif np.isnan(eu) and not np.isnan(gs):
            why.append("no EU-sourcing shares at this stage in Annex 7: global supply used in both terms")
        if np.isnan(gs) and not np.isnan(eu) and basis != "eu_only":
            if ir == 0:
                gs = eu
                why.append("no global shares in Annex 7; IR = 0 gives them weight 0")
            else:
                gs = np.nan
        if np.isnan(eu) or gs == eu:
            ir = 0.0 if np.isnan(ir) else ir  # both terms equal: IR does not enter
        missing = [name for name, v in (("global supply shares" if basis != "eu_only" else "EU-sourcing shares",
                                         gs), ("IR", ir), ("EoL-RIR", r.eol_rir_share), ("SI_SR", r.si_sr))
                   if v is None or np.isnan(v)]
        if missing:
            why = [f"not computed: no {', no '.join(missing)}"]
        gs_eff.append(gs)
        eu_eff.append(eu)
        ir_eff.append(ir)
        reasons.append("; ".join(why))
    df["h_gs"], df["h_eu"], df["ir_used"], df["why"] = gs_eff, eu_eff, ir_eff, reasons
    return df


def compute_stage_sr(components: pd.DataFrame, inputs: pd.DataFrame, *, abs_tol: float = ABS_TOL,
                     rel_tol: float = REL_TOL) -> pd.DataFrame:
    """SR per material × stage from :func:`risk.supply_risk_components` output and the ``risk_inputs`` rows.

    Pure (no I/O). See the module docstring for the supply-basis rules and the result columns.
    """
    df = _prepare(components, inputs)
    ok = ~df["why"].str.startswith("not computed")
    comp = pd.DataFrame({"material_id": df["material_id"], "stage": df["stage"], "hhi_wgi_t_global": df["h_gs"],
                         "hhi_wgi_t_eu_sourcing": df["h_eu"]})[ok]
    inp = pd.DataFrame({"material_id": df["material_id"], "stage": df["stage"],
                        "import_reliance_share": df["ir_used"], "eol_rir_share": df["eol_rir_share"],
                        "si_sr": df["si_sr"]})[ok]
    sr = risk.eu_supply_risk_frame(comp, inp)[["material_id", "stage", "supply_risk"]]
    df = df.merge(sr, on=["material_id", "stage"], how="left")
    out = pd.DataFrame({"material_id": df["material_id"], "stage": df["stage"],
                        "sr_supply_basis": df["sr_supply_basis"].fillna(""),
                        "sr_published": df["supply_risk_stage"].astype(float),
                        "sr_computed": df["supply_risk"].astype(float)})
    out["deviation"] = out["sr_computed"] - out["sr_published"]
    comparable = out["deviation"].notna()
    within = out["deviation"].abs() <= abs_tol + rel_tol * out["sr_published"]
    out["reproduced"] = pd.array([bool(w) if c else pd.NA for w, c in zip(within, comparable)], dtype="boolean")
    reasons = []
    for why, note, comp, rep, pub, calc in zip(df["why"], df["note"].fillna(""), comparable, within,
                                               out["sr_published"], out["sr_computed"]):
        if np.isnan(calc):
            parts = [why, note]
        elif np.isnan(pub):
            parts = ["no published stage SR", why, note]
        elif rep:
            parts = [why]
        else:
            parts = [why, note] if (why or note) else ["unexplained (inputs as transcribed)"]
        reasons.append("; ".join(x for x in parts if x))
    out["reason"] = reasons
    return out[COLUMNS].sort_values(["material_id", "stage"]).reset_index(drop=True)


def material_sr_comparison(stage_table: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Material level: the computed bottleneck (higher stage) against the published material SR.

    ``published`` has ``material_id, supply_risk`` (e.g. :func:`critmat.loaders.ec_crm.read_sr_ei` for 2023).
    Columns: ``material_id, stage, sr_computed, sr_published, deviation``.
    """
    top = risk.bottleneck(stage_table, "sr_computed")[["material_id", "stage", "sr_computed"]]
    pub = published[["material_id", "supply_risk"]].rename(columns={"supply_risk": "sr_published"})
    out = top.merge(pub, on="material_id", how="inner")
    out["deviation"] = out["sr_computed"] - out["sr_published"]
    return out


def load_supply_and_wgi(eu_crm_dir: Path, wgi_path: Path,
                        ref: dict[str, pd.DataFrame] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """EC 2023 global + EU-sourcing shares (long) and the EC-scaled WGI (0..10, latest year per country)."""
    from critmat.loaders import ec_crm, wgi
    from critmat.materials import MaterialIndex

    ref = ref if ref is not None else reference_frames()
    idx = MaterialIndex(ref["materials"], ref.get("material_aliases"), ref.get("material_lists"))
    frames = []
    for key, scope in (("global_supply", "global"), ("eu_sourcing", "eu_sourcing")):
        path = ec_crm.find_file(Path(eu_crm_dir), key)
        if path is None:
            raise DataError(f"no EC {key} file ({' or '.join(ec_crm.FILES[key][0])})", file=str(eu_crm_dir))
        frames.append(ec_crm.read_supply_shares(path, scope, idx))
    w = wgi.read_wgi(Path(wgi_path)).sort_values("wgi_year").groupby("country_iso3").tail(1)
    return pd.concat(frames, ignore_index=True), risk.wgi_eu_scaled(w.set_index("country_iso3")["wgi_estimate"])


def sr_reproduction_table(eu_crm_dir: Path, wgi_path: Path, *, inputs: pd.DataFrame | None = None,
                          members: Iterable[str] | None = None, abs_tol: float = ABS_TOL,
                          rel_tol: float = REL_TOL) -> pd.DataFrame:
    """Published vs recomputed SR for every material × stage of the ``risk_inputs`` package.

    ``eu_crm_dir`` holds the EC 2023 share files (publisher or critmat names, see
    :data:`critmat.loaders.ec_crm.FILES`), ``wgi_path`` a WGI file :func:`critmat.loaders.wgi.read_wgi`
    reads. ``inputs`` defaults to the bundled package, ``members`` to the EU27 of the reference countries.
    """
    ref = reference_frames()
    supply, wgi_scaled = load_supply_and_wgi(eu_crm_dir, wgi_path, ref)
    members = frozenset(members) if members is not None else eu_members(ref["countries"])
    components = risk.supply_risk_components(supply, wgi_scaled, eu_members=members)
    inputs = inputs if inputs is not None else load_risk_inputs(known=ref)
    return compute_stage_sr(components, inputs, abs_tol=abs_tol, rel_tol=rel_tol)


def markdown(table: pd.DataFrame) -> str:
    """The reproduction table as a Markdown table (2 decimals; empty cells for missing values)."""
    def f(v: float, fmt: str) -> str:
        return "" if v != v else format(v, fmt)

    lines = ["| material | stage | basis | SR published | SR computed | deviation | reproduced | reason |",
             "|---|---|---|---:|---:|---:|---|---|"]
    for r in table.itertuples(index=False):
        rep = "" if r.sr_computed != r.sr_computed or r.sr_published != r.sr_published else (
            "yes" if r.reproduced else "**no**")
        lines.append(f"| {r.material_id} | {r.stage} | {r.sr_supply_basis} | {f(r.sr_published, '.2f')} | "
                     f"{f(r.sr_computed, '.2f')} | {f(r.deviation, '+.2f')} | {rep} | {r.reason} |")
    return "\n".join(lines)


__all__ = ["ABS_TOL", "REL_TOL", "compute_stage_sr", "eu_members", "load_risk_inputs", "load_supply_and_wgi",
           "markdown", "material_sr_comparison", "reference_frames", "sr_reproduction_table"]
