"""Material intensities: the bundled ``intensities`` package, its checks, and the derivations behind it.

The package (``critmat/data/packages/intensities``) holds ``technologies`` and ``material_intensities``
(kg of material per basis unit — MW, MWp, MW IT, km or unit — with low <= central <= high, all > 0, per
vintage range). Most rows are curated from literature; the PV rows, the battery-derived vehicle and
data-centre rows, the grid rows and the CIGS rows are *derived* by the functions here from the publishers'
files read by :mod:`critmat.loaders` (ELMA, BatPaC, PV_ICE) and from stated assumptions. The bundled CSV
is the result of those derivations, rounded; ``tests/test_intensities_derivation.py`` re-derives it from
the real files when they are present. ``python -m critmat.build.intensities DIR`` prints the derived rows
(``DIR`` = the folder holding ``material_intensity/`` and ``pv_ice/``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from critmat.catalog.package import bundled_frames, load_package
from critmat.errors import DataError
from critmat.paths import bundled_packages

PACKAGE = "intensities"
ALL_VINTAGES = 1900
#: Vintage bins of the PV rows (first and last bins extend to older and newer assets).
PV_BINS: list[tuple[int, int]] = [(1995, 2004), (2005, 2009), (2010, 2012), (2013, 2015), (2016, 2018),
                                  (2019, 2021), (2022, 2024), (2025, 2030)]
#: Low/high of PV rows widen the vintage bin's min/max by this share — critmat_assumption_range.
PV_SPREAD = 0.2
COLUMNS = ["technology_id", "material_id", "year_from", "year_to", "low_kg_per_basis", "central_kg_per_basis",
           "high_kg_per_basis", "source_id", "note"]


# --------------------------------------------------------------------------------------------- loading
def known_frames() -> dict[str, pd.DataFrame]:
    """Frames the intensities package's foreign keys point to: ``sources`` and ``materials``."""
    ref = bundled_frames("reference")
    return {"sources": ref["sources"], "materials": ref["materials"]}


_BUNDLED: dict[tuple, tuple[pd.DataFrame, pd.DataFrame]] = {}


def load_intensities(pkg_dir: Path | None = None,
                     known: dict[str, pd.DataFrame] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load and check ``(technologies, material_intensities)`` (bundled package unless ``pkg_dir``).

    ``known`` supplies the ``materials`` and ``sources`` frames (default: the bundled ones). Schema, foreign
    keys (unknown technology or material), positivity, low <= central <= high and non-overlapping vintage
    ranges are enforced; the first failure raises :class:`DataError` naming file, row and column.
    """
    if pkg_dir is None and known is None:  # the bundled package: validated once per process while unchanged
        folder = bundled_packages() / PACKAGE
        key = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(folder.iterdir()) if f.is_file())
        if key not in _BUNDLED:
            _BUNDLED.clear()
            _BUNDLED[key] = load_intensities(folder, known_frames())
        techs, ints = _BUNDLED[key]
        return techs.copy(), ints.copy()
    pkg_dir = Path(pkg_dir) if pkg_dir else bundled_packages() / PACKAGE
    loaded = load_package(pkg_dir, known=known if known is not None else known_frames())
    techs = loaded["technologies"].frame
    mi = loaded["material_intensities"]
    check_intensities(mi.frame, file=str(mi.path))
    return techs, mi.frame


def check_intensities(frame: pd.DataFrame, file: str | None = None) -> None:
    """Rules beyond the schema: values > 0, low <= central <= high, year_from <= year_to, no overlaps."""
    lo, ce, hi = (frame[c].astype(float) for c in ("low_kg_per_basis", "central_kg_per_basis",
                                                   "high_kg_per_basis"))
    for col, bad in (("low_kg_per_basis", ~(lo > 0)), ("central_kg_per_basis", ~(lo <= ce)),
                     ("high_kg_per_basis", ~(ce <= hi))):
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            r = frame.iloc[i]
            rule = {"low_kg_per_basis": "intensities must be > 0",
                    "central_kg_per_basis": "low <= central required",
                    "high_kg_per_basis": "central <= high required"}[col]
            raise DataError(f"{r['technology_id']}/{r['material_id']}: low={r['low_kg_per_basis']}, "
                            f"central={r['central_kg_per_basis']}, high={r['high_kg_per_basis']}: {rule}",
                            file=file, row=i + 2, column=col)
    y0 = frame["year_from"].astype("Int64")
    y1 = frame["year_to"].astype("Int64")
    bad = (y1.notna() & (y1 < y0)).fillna(False).to_numpy()
    if bad.any():
        i = int(bad.nonzero()[0][0])
        raise DataError(f"year_to {y1.iloc[i]} before year_from {y0.iloc[i]}", file=file, row=i + 2,
                        column="year_to")
    for (tech, mat), sub in frame.groupby(["technology_id", "material_id"], sort=False):
        sub = sub.assign(_y0=y0[sub.index], _y1=y1[sub.index]).sort_values("_y0")
        prev_end = None
        for idx, r in sub.iterrows():
            if prev_end is not None and (pd.isna(prev_end) or r["_y0"] <= prev_end):
                raise DataError(f"{tech}/{mat}: vintage range starting {r['_y0']} overlaps the previous row "
                                "(ranges must not overlap)", file=file, row=int(frame.index.get_loc(idx)) + 2,
                                column="year_from")
            prev_end = r["_y1"]


# ------------------------------------------------------------------------------------------ derivations
def _row(tech: str, mat: str, lo: float, ce: float, hi: float, source: str, note: str,
         y0: int = ALL_VINTAGES, y1: int | None = None) -> dict:
    return {"technology_id": tech, "material_id": mat, "year_from": y0, "year_to": y1,
            "low_kg_per_basis": lo, "central_kg_per_basis": ce, "high_kg_per_basis": hi,
            "source_id": source, "note": note}


def round_sig(x: float, sig: int = 4) -> float:
    """Round to ``sig`` significant digits (the bundled table's precision)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, sig - 1 - int(math.floor(math.log10(abs(x)))))


#: Antimony mass fraction of PV front glass (low, central, high) — critmat_assumption_pv_antimony.
SB_IN_GLASS = (0.0005, 0.002, 0.003)


def pv_rows(pv_ice_dir: Path) -> pd.DataFrame:
    """PV rows from PV_ICE: kg/MWp by vintage bin for c-Si and CdTe modules, antimony from the glass."""
    from critmat.loaders import pv_ice

    rows = []
    for tech in ("pv_csi", "pv_cdte"):
        yearly = pv_ice.read_technology(pv_ice_dir, tech)
        if tech == "pv_csi":
            glass = yearly[yearly["material_id"] == "glass"]
            sb = glass.assign(material_id="antimony")
            table_sb = pv_ice.vintage_table(sb, PV_BINS, PV_SPREAD)
            for r in table_sb.itertuples(index=False):
                rows.append(_row(tech, "antimony", r.low * SB_IN_GLASS[0], r.central * SB_IN_GLASS[1],
                                 r.high * SB_IN_GLASS[2], "critmat_assumption_pv_antimony",
                                 "Sb in front glass: PV_ICE glass kg/MWp x Sb mass fraction 0.05/0.2/0.3 %",
                                 r.year_from, r.year_to))
        table = pv_ice.vintage_table(yearly[yearly["material_id"] != "copper"], PV_BINS, PV_SPREAD)
        for r in table.itertuples(index=False):
            rows.append(_row(tech, r.material_id, r.low, r.central, r.high, "nrel_pv_ice",
                             f"PV_ICE {'world c-Si' if tech == 'pv_csi' else 'US CdTe'} module, mean of "
                             f"{r.year_from}-{r.year_to} (low/high: bin min/max -/+{PV_SPREAD:.0%})"
                             + ("; module frame only, mounting excluded" if r.material_id == "aluminium" else ""),
                             r.year_from, r.year_to))
    out = pd.DataFrame(rows, columns=COLUMNS)
    # open-ended first and last bins: older / newer assets use them
    for (tech, mat), sub in out.groupby(["technology_id", "material_id"]):
        out.loc[sub["year_from"].idxmin(), "year_from"] = ALL_VINTAGES
        out.loc[sub["year_to"].astype(float).idxmax(), "year_to"] = None
    return out


def pv_copper_rows(generation: pd.DataFrame) -> pd.DataFrame:
    """System copper of PV (modules, cabling, inverters) from ELMA, same for every PV technology."""
    from critmat.loaders.elma import value

    cu = value(generation, "Solar PV", "copper", 2020)
    rows = [_row(t, "copper", cu * 0.5, cu, cu * 1.3, "deetman_2021_elma",
                 "ELMA Solar PV system copper (modules, DC/AC cabling, inverters); low/high -50/+30 % "
                 "(critmat_assumption_range); PV_ICE module copper alone is 30-40 kg/MWp")
            for t in ("pv_csi", "pv_cdte", "pv_cigs")]
    return pd.DataFrame(rows, columns=COLUMNS)


#: CIGS absorber assumptions — critmat_assumption_cigs.
CIGS = {"thickness_um": (1.0, 2.0, 2.5), "efficiency": (0.18, 0.15, 0.13), "ga_ratio": (0.2, 0.3, 0.35),
        "density_g_cm3": 5.75, "mo_um": (0.3, 0.5, 1.0), "mo_density": 10.2}
_M = {"copper": 63.546, "indium": 114.818, "gallium": 69.723, "selenium": 78.971}


def cigs_rows() -> pd.DataFrame:
    """CIGS absorber and back-contact content from stoichiometry (kg/MWp), low/central/high."""
    from critmat.catalog import units
    from critmat.loaders.pv_ice import areal_to_kg_per_mwp

    def content(thick: float, eff: float, ga: float) -> dict[str, float]:
        molar = {"copper": _M["copper"], "indium": (1 - ga) * _M["indium"], "gallium": ga * _M["gallium"],
                 "selenium": 2 * _M["selenium"]}
        total = sum(molar.values())
        g_m2 = units.convert(thick * CIGS["density_g_cm3"], "um * g/cm^3", "g/m^2")
        return {m: areal_to_kg_per_mwp(g_m2 * v / total, "g/m^2", eff) for m, v in molar.items()}

    lo_eff, ce_eff, hi_eff = CIGS["efficiency"]
    lo_t, ce_t, hi_t = CIGS["thickness_um"]
    lo_g, ce_g, hi_g = CIGS["ga_ratio"]
    ce = content(ce_t, ce_eff, ce_g)
    rows = []
    for m in ("indium", "gallium", "selenium"):
        # low: thin absorber, efficient module and the ratio that minimises the metal (Ga low for Ga, high for In)
        lo = min(content(lo_t, lo_eff, g)[m] for g in (lo_g, hi_g))
        hi = max(content(hi_t, hi_eff, g)[m] for g in (lo_g, hi_g))
        rows.append(_row("pv_cigs", m, lo, ce[m], hi, "critmat_assumption_cigs",
                         "Cu(In,Ga)Se2 absorber, stoichiometric content per MWp (thickness, efficiency, Ga ratio "
                         "ranges in source)"))
    mo = [areal_to_kg_per_mwp(units.convert(t * CIGS["mo_density"], "um * g/cm^3", "g/m^2"), "g/m^2", e)
          for t, e in zip(CIGS["mo_um"], CIGS["efficiency"])]
    rows.append(_row("pv_cigs", "molybdenum", mo[0], mo[1], mo[2], "critmat_assumption_cigs",
                     "Mo back contact 0.3/0.5/1.0 µm"))
    return pd.DataFrame(rows, columns=COLUMNS)


#: Vehicle battery assumptions — critmat_assumption_vehicles: pack kWh (low, central, high).
PACK_KWH = {"car_bev": (40.0, 60.0, 90.0), "car_phev": (8.0, 13.0, 20.0), "car_hev": (0.8, 1.4, 2.0)}
CHEMISTRIES = ("NMC 532", "NMC 622", "NMC 811", "NCA")
CENTRAL_CHEMISTRY = "NMC 622"
#: Share of natural (vs synthetic) graphite in anodes (low, central, high) — critmat_assumption_vehicles.
NATURAL_GRAPHITE_SHARE = (0.2, 0.35, 0.5)
#: Manganese in a car's steels, kg (IEA 2021 conventional car 11.2 kg; range ±30 %).
BODY_MANGANESE = (7.8, 11.2, 14.6)


def _battery_range(batpac: pd.DataFrame, mat: str, chems: tuple[str, ...], central: str,
                   kwh: tuple[float, float, float]) -> tuple[float, float, float] | None:
    sub = batpac[(batpac["material_id"] == mat) & batpac["chemistry"].isin(chems)].set_index("chemistry")
    vals = sub["kg_per_kwh"]
    pos = vals[vals > 0]
    if pos.empty or vals.get(central, 0) <= 0:
        return None
    return float(pos.min()) * kwh[0], float(vals[central]) * kwh[1], float(pos.max()) * kwh[2]


def vehicle_battery_rows(batpac: pd.DataFrame) -> pd.DataFrame:
    """Battery metals per car (kg/unit) from BatPaC kg/kWh × pack-size assumptions."""
    rows = []
    for tech, kwh in PACK_KWH.items():
        for mat in ("lithium", "nickel", "cobalt", "manganese"):
            rng = _battery_range(batpac, mat, CHEMISTRIES, CENTRAL_CHEMISTRY, kwh)
            if rng:
                note = (f"BatPaC 5.1 {CENTRAL_CHEMISTRY} x {kwh[1]:g} kWh; range over NMC532/622/811/NCA "
                        f"x {kwh[0]:g}-{kwh[2]:g} kWh (pack sizes: critmat_assumption_vehicles)")
                if mat == "manganese":  # plus the alloying manganese of the car's steels (as car_ice)
                    rng = tuple(b + r for b, r in zip(BODY_MANGANESE, rng))
                    note += f"; plus {BODY_MANGANESE[1]:g} kg steel-alloy Mn per car (IEA 2021 conventional car)"
                rows.append(_row(tech, mat, *rng, "busch_batpac_2024", note))
        g = _battery_range(batpac, "graphite", CHEMISTRIES, CENTRAL_CHEMISTRY, kwh)
        if g:
            ns = NATURAL_GRAPHITE_SHARE
            rows.append(_row(tech, "natural_graphite", g[0] * ns[0], g[1] * ns[1], g[2] * ns[2],
                             "busch_batpac_2024", "anode graphite from BatPaC x natural share 20/35/50 % "
                             "(critmat_assumption_vehicles)"))
            rows.append(_row(tech, "synthetic_graphite", g[0] * (1 - ns[2]), g[1] * (1 - ns[1]),
                             g[2] * (1 - ns[0]), "busch_batpac_2024", "anode graphite from BatPaC x synthetic "
                             "share 50/65/80 % (critmat_assumption_vehicles)"))
    return pd.DataFrame(rows, columns=COLUMNS)


#: Data-centre UPS assumptions — critmat_assumption_datacentre.
UPS_KWH = (80.0, 170.0, 350.0)
UPS_LI_SHARE = (0.2, 0.5, 0.9)


def datacentre_battery_rows(batpac: pd.DataFrame, density: pd.DataFrame,
                            storage_materials: pd.DataFrame) -> pd.DataFrame:
    """UPS lithium (BatPaC) and lead (ELMA lead-acid density × lead fraction) per MW IT."""
    from critmat.loaders.elma import value

    li = batpac[batpac["material_id"] == "lithium"].set_index("chemistry")["kg_per_kwh"]
    li_lo, li_ce, li_hi = float(li[["LFP", "NMC 811"]].min()), float(li["LFP"]), float(li[["LFP", "NMC 622", "NMC 111"]].max())
    dens = density[density["component"] == "Deep-cycle Lead-Acid"].sort_values("year")["kg_per_kwh"].iloc[0]
    pb = value(storage_materials, "Deep-cycle Lead-Acid", "lead", 2000) * float(dens)  # kg Pb per kWh
    k, s = UPS_KWH, UPS_LI_SHARE
    rows = [
        _row("datacentre_generic", "lithium", li_lo * k[0] * s[0], li_ce * k[1] * s[1], li_hi * k[2] * s[2],
             "critmat_assumption_datacentre", "UPS: kWh per MW IT x Li-ion share x BatPaC Li kg/kWh (LFP central)"),
        _row("datacentre_generic", "lead", pb * k[0] * (1 - s[2]), pb * k[1] * (1 - s[1]), pb * k[2] * (1 - s[0]),
             "critmat_assumption_datacentre", f"UPS: kWh per MW IT x lead-acid share x {pb:.1f} kg Pb/kWh "
             "(ELMA deep-cycle lead-acid density x lead fraction)"),
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


#: Grid mapping — critmat_assumption_grid: technology → [(ELMA component, count (low, central, high))].
GRID_LINES = {"cable_lv": "LV underground", "cable_mv": "MV underground", "cable_hv": "HV underground",
              "line_hv_overhead": "HV overhead"}
GRID_UNITS = {"transformer_station": [("Mv Substation", (1, 1, 1)), ("Mv Transformer", (1, 2, 3))],
              "transformer_station_hv": [("Hv Substation", (1, 1, 1)), ("Hv Transformer", (1, 2, 4))],
              "transformer_distribution": [("Lv Substation", (1, 1, 1)), ("Lv Transformer", (1, 1, 1))]}
#: Electrical-steel share of a transformer's steel, and the +/- range of ELMA grid values — critmat_assumption_grid.
ELECTRICAL_STEEL_SHARE = (0.4, 0.6, 0.75)
GRID_RANGE = 0.3
GRID_MATERIALS = ("copper", "aluminium", "steel", "lead")


def grid_rows(lines: pd.DataFrame, additions: pd.DataFrame, year: int = 2000) -> pd.DataFrame:
    """Grid cables (kg/km) and transformer stations (kg/unit) from ELMA components (±30 %)."""
    rows = []
    u = GRID_RANGE
    for tech, comp in GRID_LINES.items():
        sub = lines[(lines["component"] == comp) & (lines["year"] == year)].set_index("material_id")["value"]
        for mat in GRID_MATERIALS:
            v = float(sub.get(mat, 0.0))
            if v > 0:
                rows.append(_row(tech, mat, v * (1 - u), v, v * (1 + u), "deetman_2021_elma",
                                 f"ELMA '{comp}' kg/km ({year}); low/high +/-30 % (critmat_assumption_grid)"))
    for tech, parts in GRID_UNITS.items():
        tot = {m: [0.0, 0.0, 0.0] for m in (*GRID_MATERIALS, "electrical_steel")}
        for comp, counts in parts:
            sub = additions[(additions["component"] == comp) & (additions["year"] == year)]
            sub = sub.set_index("material_id")["value"]
            for mat in GRID_MATERIALS:
                v = float(sub.get(mat, 0.0))
                if mat == "steel" and "Transformer" in comp:
                    es = ELECTRICAL_STEEL_SHARE
                    # central split at the central share; the ranges take the extreme splits
                    for k in range(3):
                        tot["electrical_steel"][k] += v * counts[k] * es[k]
                        tot["steel"][k] += v * counts[k] * (1 - es[2 - k])
                else:
                    for k in range(3):
                        tot[mat][k] += v * counts[k]
        desc = " + ".join(f"{c[1]} x '{p}'" for p, c in parts)
        for mat, (lo, ce, hi) in tot.items():
            if ce <= 0.01:  # traces (ELMA lists 0.002 kg lead) are not worth a row
                continue
            rows.append(_row(tech, mat, lo * (1 - u), ce, hi * (1 + u), "critmat_assumption_grid",
                             f"ELMA kg/unit ({year}): {desc}; counts and electrical-steel share 40/60/75 % "
                             "of transformer steel per source; +/-30 %"))
    return pd.DataFrame(rows, columns=COLUMNS)


#: Curb mass of a passenger car in the Dutch fleet, kg (low, central, high) — critmat_assumption_vehicle_mass.
VEHICLE_MASS_KG = (1100.0, 1300.0, 1600.0)
#: premise element names of the trace metals carried from the ICEV compilation → critmat material ids. The
#: elements the table already carries from other sources (battery metals, magnet REE, catalyst PGMs, Nb, V,
#: Mg, Mn, Al, Ce) keep those rows.
TRACE_METALS = {"Antimony": "antimony", "Beryllium": "beryllium", "Erbium": "erbium", "Europium": "europium",
                "Gadolinium": "gadolinium", "Gallium": "gallium", "Germanium": "germanium", "Gold": "gold",
                "Indium": "indium", "Lanthanum": "lanthanum", "Molybdenum": "molybdenum", "Samarium": "samarium",
                "Scandium": "scandium", "Silver": "silver", "Strontium": "strontium", "Tantalum": "tantalum",
                "Tin": "tin", "Tungsten": "tungsten", "Ytterbium": "ytterbium", "Yttrium": "yttrium",
                "Zirconium": "zirconium"}
#: which study gives the central value, in order of preference: Widmer et al. 2015 (chemical analysis of
#: car components and shredder output), then Cullbrand & Magnusson 2012 (component inventory), then Alonso 2012
CENTRAL_STUDY_ORDER = ("widmer_2015", "cullbrand_2012", "alonso_2012")
CARS = ("car_ice", "car_hev", "car_phev", "car_bev")
SINGLE_VALUE_SPREAD = 0.5  # ±50 % around a single published trace-metal value (critmat_assumption_range)


def vehicle_trace_rows(values: pd.DataFrame) -> pd.DataFrame:
    """Trace metals of the base vehicle (electronics, alloys, small motors), kg per car, for every drivetrain.

    ``values``: :func:`critmat.loaders.premise_metals.study_values` (kg metal / kg vehicle per study and
    column). Central = mean of the columns of the preferred study (:data:`CENTRAL_STUDY_ORDER`) x central
    mass; low/high = min/max over all studies' columns x low/high mass (a single value: ±50 %).
    """
    rows = []
    m_lo, m_ce, m_hi = VEHICLE_MASS_KG
    for name, mat in TRACE_METALS.items():
        v = values[values["material"] == name]
        if v.empty:
            continue
        study = next(s for s in CENTRAL_STUDY_ORDER + tuple(sorted(set(v["study"]))) if s in set(v["study"]))
        ce = float(v.loc[v["study"] == study, "value"].mean())
        if ce <= 0:  # the preferred study's mean is zero: the next study with a positive value
            study = next(s for s in CENTRAL_STUDY_ORDER if (v.loc[v["study"] == s, "value"].mean() or 0) > 0)
            ce = float(v.loc[v["study"] == study, "value"].mean())
        pos = v.loc[v["value"] > 0, "value"]
        lo, hi = float(pos.min()), float(v["value"].max())
        spread = ""
        zeros = sorted(set(v.loc[v["value"] <= 0, "study"]))
        if zeros:  # a study that reports zero: the smallest positive value is the low bound (rows need > 0)
            spread = f"; {', '.join(zeros)} also report 0 (low = smallest positive value)"
        if lo == hi:
            lo, hi = ce * (1 - SINGLE_VALUE_SPREAD), ce * (1 + SINGLE_VALUE_SPREAD)
            spread += "; single value: ±50 % (critmat_assumption_range)"
        per_study = ", ".join(f"{s} {g['value'].min():.3g}" + (f"-{g['value'].max():.3g}" if len(g) > 1 else "")
                              for s, g in v.groupby("study"))
        note = (f"kg {name.lower()} per kg vehicle from the premise ICEV compilation ({per_study}); central = "
                f"{study} x {m_ce:g} kg, low/high = min/max over the studies x {m_lo:g}/{m_hi:g} kg curb mass "
                f"(critmat_assumption_vehicle_mass); base-vehicle electronics and alloys, the same for every "
                f"drivetrain{spread}")
        lo_kg, ce_kg, hi_kg = lo * m_lo, ce * m_ce, hi * m_hi
        if lo_kg > ce_kg:  # zeros pull the study mean below every positive value: half the central as low
            lo_kg = ce_kg * (1 - SINGLE_VALUE_SPREAD)
            note += "; low = central x 0.5 where the smallest positive value exceeds the mean (critmat_assumption_range)"
        hi_kg = max(hi_kg, ce_kg)
        for tech in CARS:
            rows.append(_row(tech, mat, lo_kg, ce_kg, hi_kg, study, note))
    return pd.DataFrame(rows, columns=COLUMNS)


#: Share of LFP packs in the battery-electric car stock (low, central, high) — critmat_assumption_lfp_share.
LFP_SHARE = (0.03, 0.08, 0.25)


def lfp_phosphorus_rows(batpac: pd.DataFrame) -> pd.DataFrame:
    """Phosphorus in the LFP share of battery-electric cars: share x pack kWh x BatPaC LFP kg P / kWh."""
    p = batpac[(batpac["chemistry"] == "LFP") & (batpac["material_id"] == "phosphorus")]["kg_per_kwh"]
    if p.empty:
        return pd.DataFrame(columns=COLUMNS)
    kg = float(p.iloc[0])
    lo_k, ce_k, hi_k = PACK_KWH["car_bev"]
    return pd.DataFrame([_row("car_bev", "phosphorus", LFP_SHARE[0] * lo_k * kg, LFP_SHARE[1] * ce_k * kg,
                              LFP_SHARE[2] * hi_k * kg, "busch_batpac_2024",
                              f"BatPaC LFP {kg:.4g} kg P/kWh x pack 40/60/90 kWh x LFP share of the BEV stock "
                              "3/8/25 % (critmat_assumption_lfp_share)")], columns=COLUMNS)


#: fluorine mass fraction of LiPF6 and of CaF2 (fluorspar): 6 x 18.998 / 151.905 and 2 x 18.998 / 78.075
F_IN_LIPF6 = 6 * 18.998 / 151.905
F_IN_CAF2 = 2 * 18.998 / 78.075
#: kg LiPF6 per kWh of pack (low, central): electrolyte 0.4 / 0.5 kg per kWh x 12 % salt (1 M LiPF6 in
#: carbonates) — critmat_assumption_lipf6; the high bound is Mat-dp's BEV "LiPF6" figure, which at ~0.2 kg/kWh
#: reads as the whole electrolyte and is therefore used as an upper bound only.
LIPF6_KG_PER_KWH = (0.4 * 0.12, 0.5 * 0.12)


def lipf6_fluorspar_rows(matdp: pd.DataFrame) -> pd.DataFrame:
    """Fluorine of the LiPF6 electrolyte salt of Li-ion car packs as fluorspar (CaF2) equivalent, kg per car."""
    from critmat.loaders import matdp as md

    hi, _ = md.value(matdp, "Light duty vehicle", "BEV medium car", "LiPF6", "mean")
    to_caf2 = F_IN_LIPF6 / F_IN_CAF2
    rows = []
    for tech in ("car_bev", "car_phev", "car_hev"):
        lo_k, ce_k, hi_k = PACK_KWH[tech]
        high = hi * hi_k / PACK_KWH["car_bev"][1]
        rows.append(_row(tech, "fluorspar", LIPF6_KG_PER_KWH[0] * lo_k * to_caf2, LIPF6_KG_PER_KWH[1] * ce_k * to_caf2,
                         high * to_caf2, "critmat_assumption_lipf6",
                         f"CaF2 equivalent of the fluorine in the LiPF6 electrolyte salt (F {F_IN_LIPF6:.3f} of LiPF6, "
                         f"{F_IN_CAF2:.3f} of CaF2): 0.048/0.060 kg LiPF6 per kWh x pack {lo_k:g}/{ce_k:g} kWh "
                         f"(critmat_assumption_lipf6); high = Mat-dp BEV medium car {hi:g} kg 'LiPF6' (matdp_2024, after "
                         f"Elgowainy et al. 2016 GREET) x {hi_k:g}/60 kWh; fluorspar itself is not in the car: the row "
                         "states the raw-material equivalent of the contained fluorine"))
    return pd.DataFrame(rows, columns=COLUMNS)


def derived_rows(shared_dir: Path) -> pd.DataFrame:
    """All derived rows from the publishers' files under ``shared_dir`` (material_intensity/, pv_ice/)."""
    from critmat.loaders import batpac, elma

    from critmat.loaders import matdp, premise_metals

    mi = Path(shared_dir) / "material_intensity"
    mc = Path(shared_dir) / "material_composition"
    bat = batpac.read_mineral_intensity(mi / "battery_mineral_intensity_batpac51_kg_per_kwh.csv")
    gen = elma.read_components(mi / "elma_composition_generation.csv")
    frames = [
        pv_rows(Path(shared_dir) / "pv_ice"),
        pv_copper_rows(gen),
        cigs_rows(),
        vehicle_battery_rows(bat),
        datacentre_battery_rows(bat, elma.read_storage_density(mi / "elma_storage_density_kg_per_kwh.csv"),
                                elma.read_components(mi / "elma_storage_materials.csv")),
        grid_rows(elma.read_components(mi / "elma_Materials_grid.csv"),
                  elma.read_components(mi / "elma_Materials_grid_additions.csv")),
        vehicle_trace_rows(premise_metals.study_values(
            premise_metals.read_long(mc / "premise_SI_2_material_requirements_long.csv"))),
        lfp_phosphorus_rows(bat),
        lipf6_fluorspar_rows(matdp.read_wide(mc / "matdp_intensities_db_wide.csv")),
    ]
    out = pd.concat([f.astype({"year_to": "float64"}) for f in frames], ignore_index=True)
    for c in ("low_kg_per_basis", "central_kg_per_basis", "high_kg_per_basis"):
        out[c] = out[c].map(round_sig)
    out["year_to"] = out["year_to"].astype("Int64")
    out["year_from"] = out["year_from"].astype("Int64")
    return out


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import sys

    derived_rows(Path(sys.argv[1])).to_csv(sys.stdout, index=False)
