"""The report's sections, in the order of the source report and beyond it. Each section asks
:mod:`critmat.report.data` (the services) for its results, selects rows and columns to show, and draws
figures from the same frames. Nothing here computes a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from critmat.errors import CritmatError
from critmat.report import data as D
from critmat.report.figures import Plan
from critmat.report.i18n import ASSET_CLASSES, fmt_num, fmt_share
from critmat.report.model import Figure, Result, Section, Table, Text

F = Plan.of("critmat.report.figures")  # F.criticality(...) is a plan: the figure is made where it is drawn
M = Plan.of("critmat.report.maps")

Step = Callable[[str], None]


class Composer:
    """Builds the sections for one region, scenario and language; ``results`` keeps every result used."""

    def __init__(self, inp: D.Inputs, t: dict[str, str], lang: str, step: Step | None = None,
                 helper: Any = None) -> None:
        self.inp, self.t, self.lang = inp, t, lang
        if helper is None:  # figures drawn in this process
            from critmat.report.parallel import Helper

            helper = Helper(workers=0)
        self.helper = helper          # critmat.report.parallel.Helper: draws figure files in a helper process
        self._figures: dict[str, Figure] = {}
        self._drawings: dict[str, Any] = {}  # figure key -> its parallel.Drawing (PNG and SVG when asked)
        self.step = step or (lambda _msg: None)
        self.results: dict[str, Result] = {}
        self.sparks: dict[str, Figure] = {}
        self.missing: dict[str, str] = {}
        self.classes = ASSET_CLASSES[lang]
        from critmat.warehouse.access import material_names

        # short names: without a trailing "(HREE)"; English ones also without their note ("Boron (borates)")
        short = re.compile(r" \(.*\)$" if lang == "en" else r" \([A-Z]+\)$")
        self.full_names = material_names(inp.wh, lang)
        self.names = {k: short.sub("", v) for k, v in self.full_names.items()}

    # -- helpers -------------------------------------------------------------------------------------------
    def get(self, fn: str, **kw: Any) -> Result:
        key = fn + "".join(f":{k}={v}" for k, v in sorted(kw.items()))
        if key not in self.results:
            try:
                self.results[key] = self._named(getattr(D, fn)(self.inp, **kw))
            except CritmatError as exc:  # data this region does not have: shown as missing, never hidden
                self.missing[key] = str(exc)
                self.results[key] = Result(pd.DataFrame(), title=fn, caption=str(exc),
                                           doc={"gaps": pd.DataFrame(), "streams": pd.DataFrame(),
                                                "totals": {}, "trends": {}})
        return self.results[key]

    def _named(self, res: Result) -> Result:
        """``res`` with the ``name`` column of a frame of materials in the report's language (the services
        give the English names of the EC's lists)."""
        f = res.frame
        if self.lang == "en" or "name" not in f.columns:
            return res
        ids = "material_id" if "material_id" in f.columns else ("id" if "material_kind" in f.columns else None)
        if ids is None:
            return res
        import copy

        res = copy.copy(res)
        res.frame = f.assign(name=[self.full_names.get(i, n) for i, n in zip(f[ids], f["name"])])
        return res

    def table(self, key: str, title: str, fn: str, pick: Callable[[pd.DataFrame], pd.DataFrame],
              columns: dict[str, str], caption: str = "", formats: dict[str, str] | None = None,
              sources: list[str] | None = None, **kw: Any) -> Table:
        r = self.get(fn, **kw)
        if not len(r.frame.columns):  # the service has nothing for this region: say so where the table would be
            return Text(f"{title}: {r.caption or self.t['missing']}", "missing")  # type: ignore[return-value]
        frame = pick(r.frame)
        frame = frame[[c for c in columns if c in frame]].reset_index(drop=True)
        return Table(key=key, title=title, frame=frame, caption=caption, sources=sources or r.sources,
                     columns=columns, formats=formats or {}, fn=fn, kwargs=kw, pick=pick)

    def figure(self, key: str, title: str, fig: Any, caption: str = "", sources: list[str] | None = None,
               data: pd.DataFrame | None = None) -> Figure:
        out = Figure(key=key, title=title, svg="", png=b"", caption=caption, sources=sources or [])
        out.data = data  # type: ignore[attr-defined]  # the numbers drawn, for the data appendix
        self._figures[key] = out
        self._drawings[key] = self.helper.figure(fig)
        return out

    def request_svgs(self) -> None:
        """Ask the helper process for the SVGs of every figure it draws (it draws them after their PNGs)."""
        if self._drawings:
            self.helper.request_svgs()

    def png(self, key: str) -> bytes:
        """The PNG of the figure ``key``, waiting for the helper process if it is still drawing it."""
        f = self._figures[key]
        if not f.png:
            f.png = self._drawings[key].png()
        return f.png

    def resolve(self) -> None:
        """Every figure's PNG and SVG, waiting for the helper process where it draws them."""
        for key, d in self._drawings.items():
            f = self._figures[key]
            f.png, f.svg = d.png(), d.svg()

    # -- sections ------------------------------------------------------------------------------------------
    def compose(self) -> list[Section]:
        t = self.t
        secs = []
        for name, make in [("materials", self.materials), ("region", self.region), ("flows", self.flows),
                           ("exposure", self.exposure), ("capabilities", self.capabilities),
                           ("policy", self.policy)]:
            self.step(t[f"s_{name}"])
            secs.append(make())
        return secs

    def materials(self) -> Section:
        t, s = self.t, Section("materials", self.t["s_materials"])
        crm = self.get("materials")
        s1 = Section("crm_list", t["s_crm_list"])
        s1.blocks.append(self.table(
            "crm_list_2023", t["s_crm_list"], "materials", lambda f: f.sort_values("name"),
            {"name": "Material", "symbol": "Symbol", "strategic": "Strategic", "sr_2023": "SR", "ei_2023": "EI",
             "lists": "On the lists of"}, t["cap_crm_list"], {"sr_2023": "num", "ei_2023": "num"}))
        s2 = Section("criticality", t["s_criticality"])
        d = crm.frame.rename(columns={"sr_2023": "sr", "ei_2023": "ei"})
        s2.blocks.append(self.figure("fig_criticality", t["s_criticality"],
                                     F.criticality(d, 1.0, 2.8, t), t["cap_criticality"], ["ec_crm_2023"],
                                     d[["id", "name", "sr", "ei", "strategic"]]))
        hist = self.get("criticality_history").frame
        s2.blocks.append(self.figure("fig_sr_history", t["cap_sr_history"], F.sr_history(hist, self.names, t),
                                     t["cap_sr_history"], ["ec_crm_2023"], hist))
        s3 = Section("concentration", t["s_concentration"])
        focus = self._focus_ids()
        risk = self.get("risk").frame
        risk = risk[risk["material_id"].isin(focus)]
        s3.blocks.append(self.figure("fig_concentration", t["s_concentration"], F.concentration(risk, t),
                                     t["cap_concentration"], ["ec_crm_2023"],
                                     risk[["material_id", "name", "china_extraction", "china_processing",
                                           "hhi_extraction", "hhi_processing"]]))
        s3.blocks.append(self.table(
            "concentration_top", t["cap_concentration_t"], "risk",
            lambda f: f[f["material_id"].isin(focus)].head(15),
            {"name": "Material", "sr": "SR", "hhi_extraction": "HHI extr.", "hhi_processing": "HHI proc.",
             "china_extraction": "China extr.", "china_processing": "China proc.", "top_processing":
             "Largest processor", "crma_exceeds": "> 65 %"}, t["cap_concentration"],
            {"sr": "num", "hhi_extraction": "num", "hhi_processing": "num", "china_extraction": "share",
             "china_processing": "share"}))
        s4 = Section("controls", t["s_controls"])
        tm = self.get("trade_measures").frame
        s4.blocks.append(self.figure("fig_controls", t["s_controls"],
                                     F.controls_timeline(tm, pd.Timestamp(self.inp.on), t, self.names), t["cap_controls"],
                                     self.get("trade_measures").sources,
                                     tm[["measure_id", "effective_date", "end_date", "measure_status"]]))
        s4.blocks.append(self.table(
            "controls_active", t["s_controls"], "trade_measures",
            lambda f: f[f["measure_status"].isin(["active", "suspended", "announced"])].sort_values(
                ["effective_date", "measure_id"]),
            {"measure_id": "Measure", "country_iso3": "By", "instrument": "Instrument", "effective_date": "In force",
             "measure_status": "Status", "measure_stage": "Stage", "materials": "Materials"}, t["cap_controls"],
            {"measure_status": "term", "materials": "term"}))
        s.subsections = [s1, s2, s3, s4]
        return s

    def region(self) -> Section:
        t, s = self.t, Section("region", self.t["s_region"])
        inp = self.inp
        # goods categories (Table 3, Figure 5)
        s1 = Section("goods", t["s_goods"])
        gc = self.get("goods_categories")
        if len(gc.frame):
            provs = self.get("municipalities").frame.drop_duplicates("province_code")
            pnames = dict(zip(provs["province_code"], provs["province_name"]))
            s1.blocks.append(self.table(
                "goods_categories", t["s_goods"], "goods_categories",
                lambda f: f.sort_values(["province_code", "rank"], ascending=[False, True]),
                {"province_code": "Province", "rank": "Rank", "goods_category_name": "Goods category",
                 "share": "Share of CRM volume", "materials": "Materials named"}, t["cap_goods"],
                {"share": "share"}))
            s1.blocks.append(self.figure("fig_goods", t["s_goods"], F.goods_categories(gc.frame, pnames, t),
                                         t["cap_goods"], gc.sources, gc.frame))
        else:
            s1.blocks.append(Text(t["no_goods"], "missing"))
        # maps
        s2 = Section("maps", t["s_maps"])
        assets = self.get("assets").frame
        mun = self.get("municipalities").frame
        bnd = self.get("boundaries").frame
        if not len(bnd):
            s2.blocks.append(Text(t["no_boundaries"], "missing"))
        asrc = self.get("assets").sources
        s2.blocks.append(self.figure("map_assets", t["s_maps"],
                                     M.assets_map(assets, bnd, mun, self.classes, t,
                                                  only=("wind_onshore", "wind_offshore", "solar_pv", "datacentre")),
                                     t["cap_assets_map"], asrc,
                                     assets[["asset_id", "asset_class", "status", "capacity_mw", "lat", "lon"]]))
        comp = self.get("companies")
        if len(comp.frame):
            acts = self.get("activities").frame
            anames = dict(zip(acts["activity_id"], acts["activity_name"])) if "activity_name" in acts else {}
            s2.blocks.append(self.figure("map_companies", t["cap_companies_map"],
                                         M.companies_map(comp.frame, bnd, mun, anames, t), t["cap_companies_map"],
                                         ["hcss_2025", "cap_town_centres"],
                                         comp.frame[["company_id", "primary_activity_id", "lat", "lon"]]))
        # stock
        s3 = Section("stock", t["s_stock"])
        crm = set(self._crm_ids())
        sm = self.get("stock", by="material")
        s3.blocks.append(self.figure("fig_stock_bands", t["s_stock"], F.stock_bands(sm.frame, self.names, t),
                                     t["cap_stock_bands"], sm.sources, sm.frame))
        s3.blocks.append(self.table(
            "stock_material", t["s_stock"], "stock", lambda f: f.head(25),
            {"material": "Material", "mass_t": "t (central)", "low_t": "t (5th pct.)", "high_t": "t (95th pct.)"},
            t["cap_stock_bands"], {"material": "material", "mass_t": "num", "low_t": "num", "high_t": "num"},
            by="material"))
        sc = self.get("stock", by="asset_class")
        scc = sc.frame[sc.frame["material"].isin(crm)]
        s3.blocks.append(self.figure("fig_stock_heat", t["cap_stock_heat"],
                                     F.stock_heatmap(scc, self.names, self.classes, t), t["cap_stock_heat"],
                                     sc.sources, scc))
        smun = self.get("stock", by="municipality")
        mf = smun.frame
        crm_mun = mf[mf["material"].isin(crm)]
        unalloc = crm_mun[~crm_mun["area"].astype(str).str.startswith("GM")]["mass_t"].sum()
        s3.blocks.append(self.figure("map_choropleth", t["cap_choropleth"],
                                     M.choropleth(crm_mun, bnd, mun, t), t["cap_choropleth"], smun.sources,
                                     crm_mun))
        if unalloc > 0:
            s3.blocks.append(Text(t["unallocated"].format(t=fmt_num(unalloc, self.lang)), "note"))
        s3.blocks.append(self.table(
            "stock_municipality", t["cap_stock_mun"], "stock",
            lambda f: f[f["area"].astype(str).str.startswith("GM") & f["material"].isin(crm)]
            .sort_values("mass_t", ascending=False).head(20),
            {"area": "Code", "name": "Municipality", "material": "Material", "mass_t": "t", "low_t": "5th pct.",
             "high_t": "95th pct."}, t["cap_stock_mun"], {"material": "material", "mass_t": "num", "low_t": "num", "high_t": "num"},
            by="municipality"))
        # coverage of the holdings
        s4 = Section("coverage", t["s_coverage"])
        s4.blocks.append(self.table(
            "asset_coverage", t["s_coverage"], "assets",
            lambda f: f.groupby(["asset_class", "status"], as_index=False).agg(
                assets=("asset_id", "size"), capacity_mw=("capacity_mw", "sum"), length_km=("length_km", "sum"),
                units=("units", "sum"), located=("lat", "count")),
            {"asset_class": "Asset class", "status": "Status", "assets": "Assets", "capacity_mw": "MW",
             "length_km": "km", "units": "Units", "located": "With coordinates"}, t["cap_coverage"],
            {"asset_class": "class", "capacity_mw": "num", "length_km": "num", "units": "num"}))
        s4.blocks.append(self.table(
            "crm_coverage", t["t_crm_coverage"], "crm_coverage", lambda f: f,  # no data: NaN ("–"), not 0
            {"name": "Material", "srm_2024": "Strategic", "status": "Status", "mass_t": "t", "low_t": "5th pct.",
             "high_t": "95th pct.", "asset_classes": "Held in", "reason": "Why none"}, t["cap_crm_coverage"],
            {"mass_t": "num", "low_t": "num", "high_t": "num", "asset_classes": "shares"}))
        s4.blocks.append(self.table(
            "asset_coverage_official", t["cap_asset_coverage"], "asset_coverage", lambda f: f,
            {"asset_class": "Asset class", "measure": "Measure", "counted": "Counted", "official": "Official",
             "coverage_share": "Share", "statement": "Statement"}, t["cap_asset_coverage"],
            {"asset_class": "class", "counted": "num", "official": "num", "coverage_share": "share"}))
        del inp
        s.subsections = [s1, s2, s3, s4]
        return s

    def _focus_ids(self) -> set[str]:
        """Materials shown in the concentration views: the 2023 list without its groups, plus the magnet
        rare earths and the car-catalyst PGMs (the groups' elements that the region's assets hold)."""
        crm = self.get("materials").frame
        ids = set(crm.loc[crm["material_kind"] != "group", "id"])
        return ids | {"neodymium", "praseodymium", "dysprosium", "terbium", "platinum", "palladium", "rhodium"}

    def _crm_ids(self) -> list[str]:
        from critmat.services.policy import crm_material_ids

        return crm_material_ids(self.inp.wh)

    def flows(self) -> Section:
        t, s = self.t, Section("flows", self.t["s_flows"])
        fl = self.get("flows_long")
        summ = self.get("flows_summary")
        crm = set(self._crm_ids())
        s1 = Section("eol", t["s_eol"])
        reg = fl.frame[(fl.frame["area_type"] == "region") & (fl.frame["asset_class"] == "all")]
        if len(reg):
            top = (summ.frame[summ.frame["material"].isin(crm)].sort_values("outflow_t", ascending=False)
                   .head(9)["material"].tolist())
            sel = reg[reg["material"].isin(top)]
            s1.blocks.append(self.figure("fig_flows", t["s_eol"], F.flows_bands(sel, top, self.names, t),
                                         t["cap_flows"], summ.sources, sel))
            s1.blocks.append(self.table(
                "flows_summary", t["cap_flows_t"], "flows_summary",
                lambda f: f[f["material"].isin(crm)].sort_values("outflow_t", ascending=False),
                {"material": "Material", "outflow_t": "Outflow t", "reused_t": "Reused t",
                 "secondary_supply_t": "Recovered t", "lost_t": "Lost t", "demand_t": "Own demand t",
                 "eol_rir": "Secondary / demand", "meets_benchmark": "≥ 25 %"}, t["cap_flows_t"],
                {"material": "material", "outflow_t": "num", "reused_t": "num", "secondary_supply_t": "num", "lost_t": "num",
                 "demand_t": "num", "eol_rir": "share"}))
        else:
            s1.blocks.append(Text(t["no_flows"], "missing"))
        s2 = Section("need", t["s_need"])
        ex = self.get("exposure_materials")
        exc = ex.frame[ex.frame["material_id"].isin(crm)]
        s2.blocks.append(self.figure("fig_need", t["s_need"], F.need_split(exc, self.names, t), t["cap_need"],
                                     ex.sources, exc[["material_id", "replacement_t_per_yr", "pipeline_t_per_yr",
                                                      "need_t_per_yr"]]))
        s3 = Section("secondary", t["s_secondary"])
        if len(summ.frame):
            sel = summ.frame[summ.frame["material"].isin(crm)]
            s3.blocks.append(self.figure("fig_secondary", t["s_secondary"],
                                         F.secondary_vs_benchmark(sel, self.names, summ.params.get("benchmark"), t),
                                         t["cap_secondary"], summ.sources, sel))
            hi = "eol_rir_p95" if "eol_rir_p95" in sel else "eol_rir"
            none = sel[(sel["demand_t"] > 0) & (sel["eol_rir"].fillna(0) <= 0) & (sel[hi].fillna(0) <= 0)]
            if len(none):
                s3.blocks.append(Text(t["no_secondary"].format(
                    names=", ".join(sorted(self.names.get(m, m) for m in none["material"]))), "note"))
        s.subsections = [s1, s2, s3]
        s4 = self._provinces(crm)
        if s4 is not None:
            s.subsections.append(s4)
        return s

    def _provinces(self, crm: set[str]) -> Section | None:
        """Provinces side by side (stock, end-of-life flows, own demand), when the region has more than one."""
        t = self.t
        pr = self.get("provinces")
        if "province_code" not in pr.frame or pr.frame["province_code"].nunique() < 2:
            return None  # one province (or no comparison for this region): nothing to compare
        s = Section("provinces", t["s_provinces"])
        cap = t["cap_provinces"].format(draws=self.inp.draws, seed=self.inp.seed, scenario=self.inp.scenario)
        s.blocks.append(self.table(
            "provinces", t["s_provinces"], "provinces", lambda f: f[f["material"].isin(crm)],
            {"material": "Material", "province_name": "Province", "stock_t": "Stock t", "stock_low_t": "5th pct.",
             "stock_high_t": "95th pct.", "stock_share": "Share", "outflow_t": "Outflow t",
             "secondary_supply_t": "Secondary t", "demand_t": "Demand t", "eol_rir": "Sec. / demand"},
            cap, {"material": "material", "province_name": "nowrap", "stock_t": "num", "stock_low_t": "num",
                  "stock_high_t": "num", "stock_share": "share", "outflow_t": "num", "secondary_supply_t": "num",
                  "demand_t": "num", "eol_rir": "share"}))
        s.blocks.append(self.table(
            "provinces_assets", t["cap_provinces_assets"], "provinces", lambda f: f,
            {"province_name": "Province", "assets": "Assets", "wind_mw": "Wind MW", "solar_mw": "Solar MWp",
             "datacentre_mw": "Data centres MW", "grid_km": "Grid km", "vehicles": "Vehicles"},
            t["cap_provinces_assets"], {"province_name": "nowrap", "assets": "int", "wind_mw": "num",
                                        "solar_mw": "num", "datacentre_mw": "num", "grid_km": "num",
                                        "vehicles": "num"},
            sources=self.get("assets").sources, section="assets"))
        return s

    def exposure(self) -> Section:
        t, s = self.t, Section("exposure", self.t["s_exposure"])
        s1 = Section("exposure_views", t["s_exposure_views"])
        ex = self.get("exposure_materials")
        exc = ex.frame[ex.frame["material_id"].isin(set(self._crm_ids()))]
        s1.blocks.append(self.figure("fig_exposure", t["s_exposure_views"], F.exposure(exc, self.names, t),
                                     t["cap_exposure"], ex.sources, exc))
        s1.blocks.append(self.table(
            "exposure_materials", t["cap_exposure_t"], "exposure_materials",
            lambda f: f.sort_values("rank").head(20),
            {"rank": "Rank", "material_id": "Material", "sr": "SR", "stock_t": "Stock t",
             "need_t_per_yr": "Need t/yr", "exposure_score": "Score", "controls_active": "Controls",
             "china_processing": "China proc."},
            t["cap_exposure_t"] + " " + ex.caption, {"material_id": "material", "sr": "num", "stock_t": "num", "need_t_per_yr": "num",
                                                      "exposure_score": "num", "china_processing": "share"}))
        s1.blocks.append(self.table(
            "exposure_classes", t["cap_exposure_classes"], "exposure_asset_classes", lambda f: f.sort_values("rank"),
            {"rank": "Rank", "asset_class": "Asset class", "need_t_per_yr": "Need t/yr",
             "exposure_score": "Score", "top_material": "Top material",
             "controlled_need_t_per_yr": "Controlled need t/yr"}, t["cap_exposure_classes"],
            {"need_t_per_yr": "num", "exposure_score": "num", "controlled_need_t_per_yr": "num",
             "top_material": "material", "asset_class": "class"}))
        s2 = Section("disruption", t["s_disruption"])
        sh = self.get("shocks")
        rows = []
        for sid in sh.frame["shock_id"]:
            r = self.get("disrupt", shock=sid)
            rows.append({"shock_id": sid, **r.doc["totals"]})
        tot = pd.DataFrame(rows)
        self.results["shock_totals"] = Result(tot, title="Shock totals")
        s2.blocks.append(self.table(
            "shocks", t["cap_shocks_t"], "shocks", lambda f: f,
            {"shock_id": "Shock", "title": "Title", "country": "Country", "stage": "Stage", "share": "Share",
             "start": "Start", "months": "Months", "materials": "Materials"}, t["cap_shocks_t"],
            {"share": "share"}))
        s2.blocks.append(self.figure("fig_shocks", t["s_disruption"], F.shocks(tot, t), t["cap_shocks"],
                                     sh.sources, tot))
        for sid in sh.frame["shock_id"]:
            s2.blocks.append(self.table(
                f"shock_{sid}", f"{sid}", "disrupt", lambda f: f[f["affected_t"] > 0],
                {"material": "Material", "affected_t": "Affected t", "alternative_t": "Alternative t",
                 "secondary_t": "Secondary t", "residual_t": "Residual t", "substitution": "Substitution"},
                self.get("disrupt", shock=sid).doc["description"],
                {"material": "material", "affected_t": "num", "alternative_t": "num", "secondary_t": "num",
                 "residual_t": "num"},
                shock=sid))
        s.subsections = [s1, s2]
        return s

    def capabilities(self) -> Section:
        t, s = self.t, Section("capabilities", self.t["s_capabilities"])
        s1 = Section("stages", t["s_stages"])
        comp = self.get("companies").frame
        if not len(comp):
            s1.blocks.append(Text(t["no_companies"], "missing"))
        cov = self.get("capabilities")
        if len(cov.frame):
            s1.blocks.append(self.figure("fig_coverage", t["s_stages"], F.coverage(cov.frame, t),
                                         t["cap_coverage_stages"], cov.sources, cov.frame))
        fil = self.get("fillers")
        s1.blocks.append(self.table(
            "fillers", t["cap_fillers"], "fillers", lambda f: f[f["facility_id"].notna()],
            {"stream": "Stream", "activity_id": "Stage", "name": "Facility", "country_iso3": "Country",
             "distance_km": "km", "facility_status": "Status", "capacity_t_per_yr": "t/yr"}, t["cap_fillers"],
            {"distance_km": "num", "capacity_t_per_yr": "num"}))
        if len(fil.frame):
            n_unfilled = int(fil.frame["facility_id"].isna().sum())
            s1.blocks.append(Text(f"{n_unfilled} / {len(fil.frame)}: " + t["k_gaps"], "note"))
        s2 = Section("matches", t["s_matches"])
        m = self.get("match")
        if len(m.doc["streams"]):
            self.results["match_streams"] = Result(m.doc["streams"], title="Streams")
            s2.blocks.append(self.table(
                "match_streams", t["cap_streams"], "match", lambda f: f, {"stream": "Stream"}, t["cap_streams"]))
            # the streams themselves are in the match result's doc; the table shows its stream column only
            s2.blocks[-1].frame = m.doc["streams"].rename(columns={})
            s2.blocks[-1].columns = {"stream": "Stream", "tonnes_per_year": "t/yr", "years": "Years",
                                     "basis": "Basis"}
            s2.blocks[-1].formats = {"tonnes_per_year": "num"}
            s2.blocks[-1].fn, s2.blocks[-1].pick = "match_streams", None
            s2.blocks[-1].frame = s2.blocks[-1].frame[list(s2.blocks[-1].columns)]
            s2.blocks.append(self.table(
                "matches", t["cap_matches"], "match", lambda f: f,
                {"stream": "Stream", "role": "Role", "rank": "#", "name": "Candidate", "country_iso3": "Country",
                 "distance_km": "km", "capacity_t_per_yr": "t/yr", "facility_status": "Status", "score": "Score"},
                t["cap_matches"], {"distance_km": "num", "capacity_t_per_yr": "num", "score": "num"}))
        else:
            s2.blocks.append(Text(t["no_streams"], "missing"))
        s.subsections = [s1, s2]
        return s

    def policy(self) -> Section:
        t, s = self.t, Section("policy", self.t["s_policy"])
        pol = self.get("policy")
        ind = self.get("policy_indicators")
        items = pol.frame
        title_col = "title_nl" if self.lang == "nl" else "title"
        s_ind = Section("indicators", t["s_indicators"])
        ind_frame = ind.frame.copy()
        s_ind.blocks.append(self.table(
            "policy_indicators", t["s_indicators"], "policy_indicators", lambda f: f,
            {title_col: t["indicator"], "value": t["value"], "unit": "Unit", "target_share": "Target",
             "basis": t["basis"], "items": t["tracks"]}, t["cap_indicators"],
            {"value": "num", "target_share": "share"}))
        for key, rows in ind.doc["trends"].items():
            tr = pd.DataFrame(rows)
            if len(tr):
                fig = F.sparkline(tr, "")
                f = self.figure(f"spark_{key}", key, fig, "", ind.sources, tr)
                f.spark = True
                self.sparks[key] = f
                self.results[f"trend:{key}"] = Result(tr, title=key)
                s_ind.blocks.append(f)
        del ind_frame
        if not pol.doc["has_pack"]:
            s.blocks.append(Text(t["no_policy_pack"], "missing"))
            s.subsections = [s_ind]
            return s
        s1 = Section("swot", t["s_swot"])
        s1.blocks.append(self.table(
            "swot", t["s_swot"], "policy", lambda f: f[f["policy_item_kind"] != "recommendation"],
            {"policy_item_id": "Id", "policy_item_kind": "Kind", title_col: "Item", "report_ref": t["ref"]},
            t["cap_swot"]))
        s2 = Section("recs", t["s_recs"])
        recs = items[items["policy_item_kind"] == "recommendation"]
        self.results["policy_matrix"] = Result(pd.DataFrame(pol.doc["matrix"]), title="Matrix")
        s2.blocks.append(self.table(
            "recommendations", t["s_recs"], "policy", lambda f: f[f["policy_item_kind"] == "recommendation"],
            {"item_number": "#", title_col: t["recommendation"], "time_frame": t["time_frame"],
             "actors": t["actors"], "report_ref": t["ref"]}, t["cap_matrix"],
            {"time_frame": "term", "actors": "term"}))
        del recs
        s.subsections = [s1, s2, s_ind]
        return s
