/* critmat dashboard: plain JS, no build step. Every number comes from the API (/api/v1); this file only
   fetches, lays out and draws. Routes: #/map, #/material/<id>, #/stock, #/flows, #/disrupt, #/companies,
   #/policy, #/sources. */
"use strict";
(function () {
  const I18N = window.CRITMAT_I18N, C = window.CritmatCharts;
  const API = "api/v1/";
  const state = { lang: localStorage.getItem("critmat.lang") || ((navigator.language || "en").startsWith("nl") ? "nl" : "en"),
                  region: localStorage.getItem("critmat.region") || null, map: null };
  const t = k => (I18N[state.lang] && I18N[state.lang][k]) || I18N.en[k] || k;
  // a display label for an id (asset class "cls", activity "act"), the id itself when there is none
  const label = (kind, id) => { const k = `${kind}_${id}`, v = t(k); return v === k ? id : v; };
  const main = () => document.getElementById("main");

  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid.nodeType ? kid : String(kid));
    return e;
  }
  function url(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v === null || v === undefined || v === "") continue;
      if (Array.isArray(v)) v.forEach(x => q.append(k, x)); else q.append(k, v);
    }
    const s = q.toString();
    return API + path + (s ? "?" + s : "");
  }
  // requests in flight, on <body data-pending>: tests and screenshots wait for 0 instead of sleeping
  let pending = 0;
  const setPending = d => { pending += d; document.body.setAttribute("data-pending", String(pending)); };
  async function api(path, params, init) {
    setPending(1);
    try {
      const r = await fetch(url(path, params), Object.assign({ headers: { Accept: "application/json" } }, init || {}));
      const body = await r.json().catch(() => ({}));
      if (!r.ok) { const e = new Error(body.detail || r.statusText); e.status = r.status; throw e; }
      return body;
    } finally { setPending(-1); }
  }
  function errorBox(err) { return h("div", { class: "error", role: "alert" }, `${t("error")}: ${err.message}`); }
  function loading() { return h("p", { class: "muted" }, t("loading")); }
  function cell(col, v) {
    if (typeof v === "number" && /(^|_)(year|years|rank|seed|draws)$|_code$/.test(col)) return String(v);
    return num(v);
  }
  function num(v) {
    if (typeof v !== "number") return v === null || v === undefined ? "" : String(v);
    const a = Math.abs(v);
    if (a >= 100) return v.toLocaleString(state.lang === "nl" ? "nl-NL" : "en-GB", { maximumFractionDigits: 0 });
    if (a === 0) return "0";
    return v.toLocaleString(state.lang === "nl" ? "nl-NL" : "en-GB", { maximumSignificantDigits: 3 });
  }
  /* a table with its title, caption, sources and a CSV download of exactly this table */
  function table(data, csvPath, csvParams, opts) {
    opts = opts || {};
    const cols = (opts.columns || data.columns).filter(c => data.columns.includes(c));
    const rows = data.rows.slice(0, opts.max || 500);
    const head = h("div", { class: "tablehead" },
      h("div", {}, h("strong", {}, opts.title || title(csvPath ? csvPath.split("/").pop() : "", data)), " ",
        h("span", { class: "meta" }, `${data.rows.length} ${t("rows")}`)),
      csvPath ? h("a", { class: "download", href: url(csvPath, Object.assign({}, csvParams || {}, { format: "csv" })),
                         download: "" }, "⬇ " + t("download_csv")) : null);
    const tbl = h("table", { class: "data" },
      h("thead", {}, h("tr", {}, cols.map(c => h("th", { title: data.units && data.units[c] ? data.units[c] : null }, c)))),
      h("tbody", {}, rows.map(r => h("tr", {}, cols.map(c => h("td", { class: typeof r[c] === "number" ? "num" : null },
        typeof r[c] === "boolean" ? (r[c] ? "✓" : "") : cell(c, r[c])))))));
    return h("div", { class: "tableblock" }, head,
      data.caption ? caption(data.caption) : null,
      h("div", { class: "tablewrap" }, tbl),
      data.sources && data.sources.length ? h("div", { class: "sources" }, `${t("sources")}: ${data.sources.join(", ")}`) : null);
  }
  /* a table's title: the service's own in English; in another language the template tt_<key> of the
     answer's route (stock, flows, risk ...) filled from the parameters the answer reports it used */
  function title(key, data) {
    const tpl = I18N[state.lang] && I18N[state.lang]["tt_" + key];
    if (!tpl) return data.title || "";
    const p = Object.assign({ region: state.region }, data.params || {});
    return tpl.replace(/\{(\w+)\}/g, (_, k) => {
      const v = Array.isArray(p[k]) ? p[k].join("–") : (p[k] === null || p[k] === undefined ? "" : String(p[k]));
      return k === "by" ? label("by", v) : v;
    });
  }
  function caption(text) {
    // a long caption (a model's notes on single assets) is folded after its first part
    const cut = text.indexOf("; notes: ") >= 0 ? text.indexOf("; notes: ") : (text.length > 400 ? text.lastIndexOf("; ", 400) : -1);
    if (cut <= 0) return h("div", { class: "caption" }, text);
    return h("div", { class: "caption" }, text.slice(0, cut),
      h("details", {}, h("summary", {}, t("more")), text.slice(cut + 2)));
  }
  function select(id, options, value, onchange) {
    const s = h("select", { id, onchange: e => onchange(e.target.value) },
      options.map(o => h("option", { value: o[0], selected: String(o[0]) === String(value) }, o[1])));
    return s;
  }
  function control(label, input) { return h("label", {}, label, input); }
  async function materialOptions(withAll, list) {
    const d = await api("materials", { list: list || "crm2023" });
    const opts = d.rows.map(r => [r.id, (state.lang === "nl" && r.name_nl) || r.name]);
    return withAll ? [["", t("all")]].concat(opts) : opts;
  }

  // ------------------------------------------------------------------------------------------------ map
  const CLASS_COLORS = { wind_onshore: "#1b6ca8", wind_offshore: "#00798c", solar_pv: "#e9a03b", datacentre: "#6a4c93",
                         grid_cable: "#8d6e63", grid_transformer: "#3d405b", vehicle: "#c05299" };
  const ACT_COLORS = ["#d1495b", "#2a9d8f", "#5c8001", "#e76f51", "#264653", "#b5838d"];
  const QUANT = ["#eef4f9", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

  async function pageMap() {
    const m = main();
    m.replaceChildren(h("h1", {}, t("nav_overview")), h("p", { class: "intro" }, t("map_intro")), loading());
    const region = state.region;
    let assets, comps, bounds, mats;
    try {
      [assets, comps, bounds, mats] = await Promise.all([api(`regions/${region}/assets`), api(`regions/${region}/companies`),
        api(`regions/${region}/boundaries`), materialOptions(false)]);
    } catch (e) { m.replaceChildren(errorBox(e)); return; }
    const panel = h("div", { class: "panel card" });
    const details = h("div", { class: "details", id: "details" }, h("p", { class: "muted" }, t("click_details")));
    const mapDiv = h("div", { id: "map" });
    m.replaceChildren(h("h1", {}, t("nav_overview")), h("p", { class: "intro" }, t("map_intro")),
      h("div", { class: "mapgrid" }, mapDiv, h("div", {}, panel, h("div", { class: "card" }, details))),
      h("div", { id: "maptables" }));
    if (state.map) { state.map.remove(); state.map = null; }
    const map = L.map(mapDiv, { preferCanvas: false, attributionControl: true, zoomSnap: 0.25 });
    state.map = map;
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("critmat · CBS/PDOK, HCSS 2025 and the sources listed per row");
    if (state.tiles) L.tileLayer(state.tiles, { attribution: state.tilesAttribution, maxZoom: 18 }).addTo(map);
    const show = (title, props) => {
      details.replaceChildren(h("h3", {}, title), h("dl", {}, Object.entries(props)
        .filter(([, v]) => v !== null && v !== undefined && v !== "")
        .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "number" ? num(v) : String(v))])));
    };
    // outlines: municipalities, provinces and offshore areas (polygons when the region pack has them,
    // else municipality centroids)
    const polygons = bounds.kind === "polygon";
    const AREA_STYLE = { province: { color: "#33475b", weight: 2.2, fill: false },
                         municipality: { color: "#7b8b9b", weight: 0.8, fillColor: "#ffffff", fillOpacity: 0.7 },
                         offshore: { color: "#00798c", weight: 1, dashArray: "4 3", fillColor: "#e4f2f4", fillOpacity: 0.5 } };
    const outlineLayer = type => L.geoJSON({ type: "FeatureCollection", features: bounds.features.filter(f => f.geometry && (f.properties.area_type || "municipality") === type) }, {
      style: () => AREA_STYLE[type] || AREA_STYLE.municipality,
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 3, color: "#6b7c8f", weight: 1, fillOpacity: 0.3, className: "muni-marker" }),
      onEachFeature: (f, layer) => layer.on("click", () => show(f.properties.name || f.properties.area_code || "", f.properties)),
    });
    const outline = outlineLayer("municipality").addTo(map);
    const offshore = outlineLayer("offshore").addTo(map);
    const provinces = outlineLayer("province").addTo(map);
    // assets per class
    const layers = {}, counts = {};
    for (const r of assets.rows) {
      if (r.lat === null || r.lon === null) continue;
      const cls = r.asset_class;
      if (!layers[cls]) { layers[cls] = L.layerGroup().addTo(map); counts[cls] = 0; }
      counts[cls]++;
      const radius = 4 + Math.min(10, Math.sqrt(r.capacity_mw || 1) / 3);
      const gone = r.status === "decommissioned", future = r.status === "planned" || r.status === "under_construction";
      L.circleMarker([r.lat, r.lon], { radius, color: gone ? "#888" : future ? CLASS_COLORS[cls] || "#333" : "#fff",
                                       weight: future ? 2 : 1, dashArray: future ? "3 2" : null,
                                       fillColor: CLASS_COLORS[cls] || "#333", fillOpacity: gone ? 0.15 : future ? 0.35 : 0.9,
                                       className: "asset-marker status-" + r.status })
        .on("click", () => show(r.name || r.asset_id, r)).bindTooltip(r.name || r.asset_id).addTo(layers[cls]);
    }
    // companies by primary activity
    const acts = [...new Set(comps.rows.map(r => r.primary_activity_id))].sort();
    const clayers = {};
    acts.forEach((a, i) => { clayers[a] = L.layerGroup(); });
    for (const r of comps.rows) {
      if (r.lat === null || r.lon === null) continue;
      const i = acts.indexOf(r.primary_activity_id);
      L.circleMarker([r.lat, r.lon], { radius: 5, color: ACT_COLORS[i % ACT_COLORS.length], weight: 2, fillColor: "#fff",
                                       fillOpacity: 1, className: "company-marker" })
        .on("click", () => show(r.name || r.company_id, r)).bindTooltip(r.name || r.company_id).addTo(clayers[r.primary_activity_id]);
    }
    // stock choropleth per municipality (for one material)
    const choro = L.layerGroup();
    const legend = h("div", { class: "legend" });
    async function drawStock(material) {
      choro.clearLayers();
      legend.replaceChildren(loading());
      let d;
      try { d = await api(`regions/${region}/stock`, { by: "municipality", material, draws: 0 }); }
      catch (e) { legend.replaceChildren(errorBox(e)); return; }
      const byCode = {};
      for (const r of d.rows) byCode[r.area] = r;
      const vals = d.rows.map(r => r.mass_t).filter(v => v > 0).sort((a, b) => a - b);
      const q = v => { if (!(v > 0) || !vals.length) return 0; const i = vals.findIndex(x => x >= v); return 1 + Math.min(4, Math.floor(5 * i / vals.length)); };
      for (const f of bounds.features.filter(x => x.geometry && ["municipality", "offshore"].includes(x.properties.area_type || "municipality"))) {
        const code = f.properties.area_code, r = byCode[code];
        const style = { color: "#44617b", weight: 0.6, fillColor: QUANT[q(r ? r.mass_t : 0)], fillOpacity: 0.85 };
        const lyr = f.geometry.type === "Point"
          ? L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], Object.assign({ radius: 9, className: "stock-marker" }, style))
          : L.geoJSON(f, { style: () => style });
        lyr.on("click", () => show(f.properties.name || code, Object.assign({ material }, r || { mass_t: 0 })));
        lyr.addTo(choro);
      }
      for (const g of Object.values(layers).concat(Object.values(clayers))) g.eachLayer(l => l.bringToFront && l.bringToFront());
      const hi = vals.length ? vals[vals.length - 1] : 0;
      legend.replaceChildren(h("div", { class: "legend-scale" }, QUANT.map((c, i) => h("span", { class: "q" + i }))),
        h("div", { class: "caption" }, `0 – ${num(hi)} t ${material}`));
    }
    const toggle = (label, layer, on, cls) => h("label", {}, h("input", { type: "checkbox", checked: on, onchange: e => e.target.checked ? layer.addTo(map) : map.removeLayer(layer) }),
      " ", cls ? h("span", { class: "swatch " + cls }) : null, label);
    const clsNames = Object.keys(layers).sort();
    const matSel = select("choro-material", mats, "copper", v => drawStock(v));
    panel.append(...[h("h3", {}, t("assets_by_class")),
      ...clsNames.map(c => { const sw = h("span", { class: "swatch" }); sw.style.background = CLASS_COLORS[c] || "#333";
        return h("label", {}, h("input", { type: "checkbox", checked: true, "data-layer": c, onchange: e => e.target.checked ? layers[c].addTo(map) : map.removeLayer(layers[c]) }), " ", sw, `${label("cls", c)} (${counts[c]})`); }),
      h("div", { class: "caption" }, t("status_legend")),
      h("h3", {}, t("companies_by_activity")),
      ...acts.map((a, i) => { const sw = h("span", { class: "swatch" }); sw.style.border = `2px solid ${ACT_COLORS[i % ACT_COLORS.length]}`;
        return h("label", { title: a }, h("input", { type: "checkbox", onchange: e => e.target.checked ? clayers[a].addTo(map) : map.removeLayer(clayers[a]) }), " ", sw, label("act", a)); }),
      h("h3", {}, t("outlines")), toggle(t("municipalities"), outline, true),
      polygons ? toggle(t("provinces"), provinces, true) : null, polygons ? toggle(t("offshore"), offshore, true) : null,
      polygons ? null : h("div", { class: "note" }, t("outlines_missing")),
      h("h3", {}, t("stock_choropleth")), h("label", {}, h("input", { type: "checkbox", id: "choro-toggle", onchange: e => {
        if (e.target.checked) { choro.addTo(map); drawStock(matSel.value); } else map.removeLayer(choro); } }), " ", t("material"), " "), matSel, legend]
      .filter(x => x !== null && x !== undefined));
    const pts = assets.rows.filter(r => r.lat !== null).map(r => [r.lat, r.lon]);
    map.fitBounds(L.latLngBounds(pts.length ? pts : [[52.2, 4.6], [52.9, 5.9]]).pad(0.08));
    document.getElementById("maptables").append(
      h("div", { class: "card" }, table(assets, `regions/${region}/assets`, {}, { columns: ["asset_id", "name", "asset_class", "status", "commissioning_year", "capacity_mw", "length_km", "units", "municipality_code", "source_id"] })),
      h("div", { class: "card" }, table(comps, `regions/${region}/companies`, {}, { columns: ["company_id", "name", "primary_activity_id", "town", "municipality_code", "streams", "source_id"] })));
    window.critmatMap = { assets: Object.values(counts).reduce((a, b) => a + b, 0) };
  }

  // ------------------------------------------------------------------------------------------------ material
  async function pageMaterial(id) {
    const m = main();
    m.replaceChildren(h("h1", {}, t("nav_material")), loading());
    let list, mats;
    try { [list, mats] = await Promise.all([api("materials", { list: "crm2023" }), materialOptions(false)]); }
    catch (e) { m.replaceChildren(errorBox(e)); return; }
    id = id || "gallium";
    const listSel = h("select", { id: "list-choice", onchange: async e => {
      const d = await api("materials", { list: e.target.value }); listBox.replaceChildren(table(d, "materials", { list: e.target.value })); } },
      [["crm2023", "CRM 2023"], ["srm", "SRM 2024"], ["all", t("all")]].map(([v, l]) => h("option", { value: v }, l)));
    const listBox = h("div", {}, table(list, "materials", { list: "crm2023" }));
    const body = h("div", {}, loading());
    m.replaceChildren(h("h1", {}, t("nav_material")),
      h("div", { class: "controls" }, control(t("pick_material"), select("material-pick", mats, id, v => { location.hash = "#/material/" + v; }))),
      body, h("div", { class: "card" }, h("h2", {}, t("lists")), h("div", { class: "controls" }, listSel), listBox));
    let p;
    try { p = await api(`materials/${encodeURIComponent(id)}`); } catch (e) { body.replaceChildren(errorBox(e)); return; }
    const kp = (label, v) => h("div", { class: "kpi" }, h("b", {}, v === null || v === undefined ? "–" : num(v)), h("span", {}, label));
    const last = (p.criticality || []).slice(-1)[0] || {};
    const hhi = p.hhi || {}, cn = p.china_share || {};
    const histBox = h("div", {}), supplyBox = h("div", {}), ctrlBox = h("div", {}), holdBox = h("div", {});
    body.replaceChildren(
      h("div", { class: "card" }, h("h2", {}, `${p.name} (${p.symbol || p.id})`),
        h("div", {}, (p.lists || []).map(y => h("span", { class: "tag" }, `CRM ${y}`)), p.strategic ? h("span", { class: "tag" }, t("strategic")) : null),
        h("div", { class: "kpis" }, kp(`SR ${last.year || ""}`, last.sr), kp(`EI ${last.year || ""}`, last.ei),
          kp(`${t("hhi")} extraction`, hhi.extraction), kp(`${t("hhi")} processing`, hhi.processing),
          kp(`${t("china_share")} extraction`, cn.extraction), kp(`${t("china_share")} processing`, cn.processing)),
        p.supply_coverage ? h("div", { class: "caption" }, p.supply_coverage) : null),
      h("div", { class: "grid2" }, h("div", { class: "card" }, h("h2", {}, t("sr_ei")), histBox),
        h("div", { class: "card" }, h("h2", {}, t("supply_stage")), supplyBox)),
      h("div", { class: "grid2" }, h("div", { class: "card" }, h("h2", {}, t("controls")), ctrlBox),
        h("div", { class: "card" }, h("h2", {}, t("holdings")), holdBox)),
      h("div", { class: "sources" }, `${t("sources")}: ${(p.sources || []).join(", ")}`));
    const crit = p.criticality || [];
    C.line(histBox, { title: t("sr_ei"), integerX: true, series: [
      { name: "SR", points: crit.map(c => ({ x: c.year, y: c.sr })) }, { name: "EI", points: crit.map(c => ({ x: c.year, y: c.ei })) }] });
    histBox.append(table({ columns: ["year", "sr", "ei", "source_id"], rows: crit, title: "" }, `materials/${p.id}/criticality`));
    const stages = [...new Set((p.supply || []).map(s => s.stage))];
    for (const st of stages) {
      const rows = p.supply.filter(s => s.stage === st);
      const scopes = [...new Set(rows.map(s => s.scope))];
      for (const sc of scopes) {
        const box = h("div", {});
        supplyBox.append(h("h3", {}, `${st} · ${sc}`), box);
        C.bars(box, { bars: rows.filter(s => s.scope === sc).sort((a, b) => b.share - a.share).map(s => ({ label: s.country_name || s.country, value: s.share })), xMax: 1 });
      }
    }
    if (!stages.length) supplyBox.append(h("p", { class: "muted" }, "–"));
    else supplyBox.append(table({ columns: ["stage", "scope", "country", "country_name", "share", "source_id"], rows: p.supply, title: "" }, `materials/${p.id}/supply`));
    const ctrls = p.export_controls || [];
    if (ctrls.length) {
      const tl = h("div", {});
      ctrlBox.append(tl);
      C.timeline(tl, { events: ctrls.map(c => ({ date: c.effective_date || c.announced_date, end: c.end_date, label: `${c.country_iso3}: ${c.title}` })) });
      ctrlBox.append(table({ columns: ["measure_id", "country_iso3", "instrument", "announced_date", "effective_date", "end_date", "status_on", "source_id"], rows: ctrls }, `materials/${p.id}/export_controls`));
    } else ctrlBox.append(h("p", { class: "muted" }, t("no_controls")));
    try {
      const held = await api(`regions/${state.region}/stock`, { by: "material" });
      const members = new Set([p.id].concat(p.members || []));
      const d = held.rows.some(r => members.has(r.material))
        ? await api(`regions/${state.region}/stock`, { by: "asset_class", material: p.id }) : null;
      if (!d || !d.rows.length) { holdBox.append(h("p", { class: "muted" }, t("no_holdings"))); return; }
      else {
        const bx = h("div", {}); holdBox.append(bx);
        C.bars(bx, { bars: d.rows.map(r => ({ label: r.asset_class, value: r.mass_t, lo: r.low_t, hi: r.high_t })), unit: "t" });
      }
      holdBox.append(table(d, `regions/${state.region}/stock`, { by: "asset_class", material: p.id }));
    } catch (e) { holdBox.append(errorBox(e)); }
  }

  // ------------------------------------------------------------------------------------------------ stock
  async function pageStock() {
    const m = main();
    m.replaceChildren(h("h1", {}, t("nav_stock")), loading());
    let mats;
    try { mats = await materialOptions(true, "all"); } catch (e) { m.replaceChildren(errorBox(e)); return; }
    const nameOf = Object.fromEntries(mats);
    const ps = { by: "material", material: "", draws: 1000, pipeline: false };
    const chart = h("div", { id: "stock-chart" }), tbl = h("div", {});
    // the provinces side by side (stock, end-of-life flows, own demand), shown when the region has several
    const provCard = h("div", { class: "card", id: "stock-provinces", hidden: true });
    const logScale = h("input", { type: "checkbox", id: "stock-log", checked: true, onchange: () => run() });
    let provAsked = 0;  // only the latest request may fill the card (a slower, older reply is dropped)
    async function runProvinces() {
      const pp = ps.material ? { material: ps.material } : {};
      const mine = ++provAsked;
      let d;
      try { d = await api(`regions/${state.region}/provinces`, pp); } catch (e) { if (mine !== provAsked) return; provCard.hidden = false; provCard.replaceChildren(errorBox(e)); return; }
      if (mine !== provAsked) return;
      const several = new Set(d.rows.map(r => r.province_code)).size > 1;
      provCard.hidden = !several;
      if (several) provCard.replaceChildren(h("h2", {}, t("provinces_compared")),
        table(d, `regions/${state.region}/provinces`, pp, { columns: ["province_name", "material", "stock_t", "stock_low_t",
          "stock_high_t", "stock_share", "outflow_t", "secondary_supply_t", "demand_t", "eol_rir"] }));
    }
    async function run() {
      tbl.replaceChildren(loading());
      let d;
      try { d = await api(`regions/${state.region}/stock`, ps); } catch (e) { tbl.replaceChildren(errorBox(e)); return; }
      const matName = id => nameOf[id] || id;  // the material's name in the interface's language
      const barLabel = r => ps.by === "material" ? matName(r.material)
        : (r.name || r.area || (ps.by === "asset_class" ? label("cls", r.asset_class) : r[ps.by]));
      // a group (rare earths) would stand beside its members in the chart: the table keeps it, flagged
      const rows = d.rows.filter(r => !r.is_group).sort((a, b) => b.mass_t - a.mass_t);
      C.bars(chart, { bars: rows.map(r => ({ label: String(barLabel(r)) + (ps.by !== "material" && !ps.material ? ` · ${matName(r.material)}` : ""), value: r.mass_t, lo: r.low_t, hi: r.high_t })), unit: "t", max: 30, log: logScale.checked });
      tbl.replaceChildren(table(d, `regions/${state.region}/stock`, ps));
    }
    m.replaceChildren(h("h1", {}, t("nav_stock")), h("p", { class: "intro" }, t("stock_intro")),
      h("div", { class: "controls" },
        control(t("material"), select("stock-material", mats, "", v => { ps.material = v; run(); runProvinces(); })),
        control(t("by"), select("stock-by", ["material", "asset_class", "municipality", "province"].map(b => [b, label("by", b)]), "material", v => { ps.by = v; run(); })),
        control(t("draws"), select("stock-draws", [[0, "0 (low/high)"], [200, "200"], [1000, "1000"], [5000, "5000"]], 1000, v => { ps.draws = +v; run(); })),
        h("label", {}, t("pipeline"), h("input", { type: "checkbox", id: "stock-pipeline", onchange: e => { ps.pipeline = e.target.checked; run(); } })),
        h("label", {}, t("log_scale"), logScale)),
      h("div", { class: "card" }, chart), h("div", { class: "card" }, tbl), provCard);
    runProvinces();
    await run();
  }

  // ------------------------------------------------------------------------------------------------ flows
  async function pageFlows() {
    const m = main();
    m.replaceChildren(h("h1", {}, t("nav_flows")), loading());
    let names, scen, held;
    try {
      [names, scen, held] = await Promise.all([materialOptions(false, "all"), api("scenarios"),
        api(`regions/${state.region}/flows`, { scenario: "baseline", by: "material", draws: 0 })]);
    } catch (e) { m.replaceChildren(errorBox(e)); return; }
    // the materials the region's assets hold (the flows chart is one material's tonnes; groups are in the table)
    const nameOf = Object.fromEntries(names);
    const mats = held.rows.map(r => [r.material, nameOf[r.material] || r.material])
      .sort((a, b) => a[1].localeCompare(b[1], state.lang));
    const first = mats.some(o => o[0] === "neodymium") ? "neodymium" : (mats[0] || [""])[0];
    const ps = { scenario: "baseline", material: first, draws: 200, lifetime_shift: 0, recovery: "" };
    const chart = h("div", { id: "flows-chart" }), tbl = h("div", {}), summary = h("div", {});
    const chartNote = h("div", { class: "caption" });
    const VARS = ["outflow", "recovered", "demand", "lost"];
    // demand can be 100x what is recovered: on a log scale the recovery controls' effect stays visible
    const logScale = h("input", { type: "checkbox", id: "flows-log", checked: true, onchange: () => run() });
    let seq = 0;
    async function run() {
      const my = ++seq;
      tbl.replaceChildren(loading());
      const params = Object.assign({}, ps, { lifetime_shift: ps.lifetime_shift || null });
      // the per-material table: every material the region holds, under the same scenario controls
      const sParams = Object.assign({}, params, { by: "material", draws: 0, material: null });
      const sReq = api(`regions/${state.region}/flows`, sParams);
      let d;
      try { d = await api(`regions/${state.region}/flows`, params); }
      catch (e) { tbl.replaceChildren(errorBox(e)); return; }
      if (my !== seq) return;
      const series = VARS.filter(v => d.columns.includes(v)).map(v => ({ name: label("var", v),
        points: d.rows.map(r => ({ x: r.year, y: d.columns.includes(v + "_p50") ? r[v + "_p50"] : r[v] })),
        band: d.columns.includes(v + "_p05") ? d.rows.map(r => ({ x: r.year, lo: r[v + "_p05"], hi: r[v + "_p95"] })) : null }));
      C.line(chart, { title: d.title, series, integerX: true, yLabel: "t/yr", log: logScale.checked });
      chartNote.textContent = ps.draws > 0 ? t("flows_band_note") : t("flows_det_note");
      chart.setAttribute("data-params", JSON.stringify(params));
      tbl.replaceChildren(table(d, `regions/${state.region}/flows`, params, { columns: ["year"].concat(d.columns.filter(c => c !== "year" && c !== "material")) }));
      summary.replaceChildren(loading());
      let s;
      try { s = await sReq; } catch (e) { if (my === seq) summary.replaceChildren(errorBox(e)); return; }
      if (my !== seq) return;
      summary.replaceChildren(table(s, `regions/${state.region}/flows`, sParams, { title: `${title("flows", s)} — ${t("per_material")}` }));
    }
    const shiftOut = h("output", {}, "0");
    const recOut = h("output", {}, t("recovery_default"));
    const reset = h("button", { type: "button", id: "flows-recovery-reset", class: "small", title: t("recovery_default"), disabled: true,
      onclick: () => { ps.recovery = ""; recOut.textContent = t("recovery_default"); reset.disabled = true; run(); } }, "↺");
    m.replaceChildren(h("h1", {}, t("nav_flows")), h("p", { class: "intro" }, t("flows_intro")),
      h("div", { class: "controls" },
        control(t("scenario"), select("flows-scenario", scen.rows.map(r => [r.name, r.title || r.name]), "baseline", v => { ps.scenario = v; run(); })),
        control(t("material"), select("flows-material", mats, ps.material, v => { ps.material = v; run(); })),
        control(t("lifetime_shift"), h("span", {}, h("input", { type: "range", id: "flows-lifetime", min: -10, max: 10, step: 1, value: 0,
          onchange: e => { ps.lifetime_shift = +e.target.value; shiftOut.textContent = e.target.value; run(); } }), " ", shiftOut)),
        control(t("recovery"), h("span", {}, h("input", { type: "range", id: "flows-recovery", min: 0, max: 1, step: 0.05, value: 0.5,
          onchange: e => { ps.recovery = e.target.value; recOut.textContent = e.target.value; reset.disabled = false; run(); } }), " ", recOut, " ",
          reset)),
        control(t("draws"), select("flows-draws", [[0, "0"], [200, "200"], [1000, "1000"]], 200, v => { ps.draws = +v; run(); })),
        h("label", {}, t("log_scale"), logScale)),
      h("div", { class: "card" }, chart, chartNote), h("div", { class: "card" }, tbl), h("div", { class: "card" }, summary));
    await run();
  }

  // ------------------------------------------------------------------------------------------------ disruption
  async function pageDisrupt() {
    const m = main();
    m.replaceChildren(h("h1", {}, t("nav_disrupt")), loading());
    let mats, sh;
    try { [mats, sh] = await Promise.all([materialOptions(false), api("shocks")]); } catch (e) { m.replaceChildren(errorBox(e)); return; }
    const out = h("div", { id: "disrupt-result" });
    const f = { shock: "", material: "rare_earth_elements_light", country: "CHN", share: 1, months: 12 };
    const form = h("form", { id: "disrupt-form", class: "controls", onsubmit: async e => {
      e.preventDefault();
      const body = f.shock ? { shock: f.shock } : { materials: [f.material], country: f.country, share: +f.share, months: +f.months };
      out.replaceChildren(loading());
      let r;
      try { r = await api(`regions/${state.region}/disruptions`, null, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json", Accept: "application/json" } }); }
      catch (err) { out.replaceChildren(errorBox(err)); return; }
      const q = f.shock ? { shock: f.shock } : { material: [f.material], country: f.country, share: f.share, months: f.months };
      const tot = r.totals || {};
      out.replaceChildren(h("div", { class: "card" }, h("h2", {}, t("result")), h("p", {}, r.description),
        h("div", { class: "kpis" }, Object.entries(tot).map(([k, v]) => h("div", { class: "kpi" }, h("b", {}, typeof v === "number" ? num(v) : String(v)), h("span", {}, k))))),
        ...Object.entries(r.sections).map(([name, sec]) => h("div", { class: "card" },
          table({ title: t("sec_" + name), columns: sec.columns, rows: sec.rows }, `regions/${state.region}/disruptions`, Object.assign({ section: name }, q)))));
    } },
      control(t("shock"), select("disrupt-shock", [["", t("custom")]].concat(sh.rows.map(r => [r.name, r.title || r.name])), "", v => {
        f.shock = v;
        for (const id of ["disrupt-material", "disrupt-country", "disrupt-share", "disrupt-months"]) document.getElementById(id).disabled = !!v;
      })),
      control(t("material"), select("disrupt-material", mats, f.material, v => { f.material = v; })),
      control(t("country"), h("input", { id: "disrupt-country", value: "CHN", size: 6, oninput: e => { f.country = e.target.value; } })),
      control(t("share"), h("input", { id: "disrupt-share", type: "number", min: 0, max: 1, step: 0.05, value: 1, oninput: e => { f.share = e.target.value; } })),
      control(t("months"), h("input", { id: "disrupt-months", type: "number", min: 1, max: 120, step: 1, value: 12, oninput: e => { f.months = e.target.value; } })),
      h("button", { type: "submit", id: "disrupt-run" }, t("run")));
    m.replaceChildren(h("h1", {}, t("nav_disrupt")), h("p", { class: "intro" }, t("disrupt_intro")), h("div", { class: "card" }, form), out,
      h("div", { class: "card" }, table(sh, "shocks", {})));
  }

  // ------------------------------------------------------------------------------------------------ companies
  async function pageCompanies() {
    const m = main();
    m.replaceChildren(h("h1", {}, t("nav_companies")), loading());
    const r = state.region;
    let comps, caps, streams;
    try { [comps, caps, streams] = await Promise.all([api(`regions/${r}/companies`), api(`regions/${r}/capabilities`), api(`regions/${r}/streams`)]); }
    catch (e) { m.replaceChildren(errorBox(e)); return; }
    const acts = [...new Set(comps.rows.flatMap(x => String(x.activities || x.primary_activity_id).split(/[;,] ?/)))].filter(Boolean).sort();
    const compBox = h("div", {}, table(comps, `regions/${r}/companies`, {}, { columns: ["company_id", "name", "primary_activity_id", "activities", "town", "municipality_code", "streams", "source_id"] }));
    const matchBox = h("div", {});
    async function runMatch(stream) {
      matchBox.replaceChildren(loading());
      try { const d = await api(`regions/${r}/matches`, { stream, top: 5 }); matchBox.replaceChildren(table(d, `regions/${r}/matches`, { stream, top: 5 })); }
      catch (e) { matchBox.replaceChildren(errorBox(e)); }
    }
    m.replaceChildren(h("h1", {}, t("nav_companies")), h("p", { class: "intro" }, t("companies_intro")),
      h("div", { class: "controls" }, control(t("activity"), select("company-activity", [["", t("all")]].concat(acts.map(a => [a, label("act", a)])), "", async v => {
        compBox.replaceChildren(loading());
        try { const d = await api(`regions/${r}/companies`, { activity: v }); compBox.replaceChildren(table(d, `regions/${r}/companies`, { activity: v })); }
        catch (e) { compBox.replaceChildren(errorBox(e)); } }))),
      h("div", { class: "card" }, compBox),
      h("div", { class: "card" }, h("h2", {}, t("capabilities")), table(caps, `regions/${r}/capabilities`, {})),
      h("div", { class: "card" }, h("h2", {}, t("matches")),
        h("div", { class: "controls" }, control(t("stream"), select("match-stream", [["", t("all")]].concat(streams.rows.map(s => [s.stream, s.stream])), "", v => runMatch(v)))),
        matchBox));
    await runMatch("");
  }

  // ------------------------------------------------------------------------------------------------ policy
  async function pagePolicy() {
    const m = main();
    m.replaceChildren(h("h1", {}, t("nav_policy")), h("p", { class: "intro" }, t("policy_intro")), loading());
    const r = state.region;
    const blocks = [];
    let indicators = null;
    if (state.features.policy) {
      try {
        const pol = await api(`regions/${r}/policy`);
        const titleCol = state.lang === "nl" ? "title_nl" : "title";
        blocks.push(h("div", { class: "card" }, h("h2", {}, t("policy_items")),
          table(pol, `regions/${r}/policy`, {}, { columns: ["policy_item_kind", "item_number", titleCol, "time_frame", "actors", "report_ref", "source_id"] })));
      } catch (e) { blocks.push(errorBox(e)); }
      const indBox = h("div", { id: "policy-indicators" }, loading());
      blocks.push(h("div", { class: "card" }, h("h2", {}, t("indicators")), indBox));
      indicators = api(`regions/${r}/policy/indicators`).then(ind => {
        const titleCol = state.lang === "nl" ? "title_nl" : "title";
        indBox.replaceChildren(table(ind, `regions/${r}/policy/indicators`, {}, { columns: ["indicator_id", titleCol, "value", "unit", "target_share", "basis", "items"] }));
      }, e => indBox.replaceChildren(errorBox(e)));
    } else blocks.push(h("div", { class: "note" }, `${t("not_available")} ${t("nav_policy")} (services.policy)`));
    try {
      const ex = await api("risk", { region: r });
      const bx = h("div", {});
      C.bars(bx, { bars: ex.rows.filter(x => x.exposure_score > 0).sort((a, b) => b.exposure_score - a.exposure_score).map(x => ({ label: x.name || x.material_id, value: x.exposure_score })), max: 15 });
      blocks.push(h("div", { class: "card" }, h("h2", {}, t("exposure")), bx, table(ex, "risk", { region: r }, { columns: ["rank", "material_id", "sr", "ei", "hhi_processing", "china_processing", "crma_exceeds", "controls_active", "stock_t", "need_t_per_yr", "exposure_score"] })));
    } catch (e) { blocks.push(errorBox(e)); }
    m.replaceChildren(h("h1", {}, t("nav_policy")), h("p", { class: "intro" }, t("policy_intro")), ...blocks);
    await indicators;
  }

  // ------------------------------------------------------------------------------------------------ sources
  async function pageSources() {
    const m = main();
    m.replaceChildren(h("h1", {}, t("nav_sources")), loading());
    let s, p;
    let cov;
    try { [s, p, cov] = await Promise.all([api("sources"), api("provenance"), api(`regions/${state.region}/coverage`)]); } catch (e) { m.replaceChildren(errorBox(e)); return; }
    m.replaceChildren(h("h1", {}, t("nav_sources")), h("p", { class: "intro" }, t("sources_intro")),
      h("div", { class: "card" }, h("h2", {}, t("coverage")), table(cov, `regions/${state.region}/coverage`, {})),
      h("div", { class: "card" }, table(s, "sources", {}, { columns: ["source_id", "title", "publisher", "vintage", "kind", "licence", "url"] })),
      h("div", { class: "card" }, h("h2", {}, t("provenance")), table(p, "provenance", {})));
  }

  // ------------------------------------------------------------------------------------------------ shell
  const ROUTES = { map: pageMap, material: pageMaterial, stock: pageStock, flows: pageFlows, disrupt: pageDisrupt,
                   companies: pageCompanies, policy: pagePolicy, sources: pageSources };
  function route() {
    const [, name, arg] = (location.hash || "#/map").split("/");
    const page = ROUTES[name] ? name : "map";
    document.querySelectorAll("#nav a").forEach(a => a.classList.toggle("active", a.getAttribute("href") === "#/" + page));
    if (page !== "map" && state.map) { state.map.remove(); state.map = null; }
    document.body.setAttribute("data-page", page);
    document.body.removeAttribute("data-ready");
    const done = () => document.body.setAttribute("data-ready", page);
    return Promise.resolve(ROUTES[page](arg ? decodeURIComponent(arg) : undefined)).then(done, e => { done(); throw e; });
  }
  function applyLang() {
    document.documentElement.lang = state.lang;
    document.title = t("title");
    document.querySelectorAll("[data-i18n]").forEach(e => { e.textContent = t(e.getAttribute("data-i18n")); });
    document.getElementById("lang").textContent = state.lang === "nl" ? "EN" : "NL";
  }
  async function start() {
    applyLang();
    document.getElementById("lang").addEventListener("click", () => {
      state.lang = state.lang === "nl" ? "en" : "nl"; localStorage.setItem("critmat.lang", state.lang); applyLang(); route(); });
    try {
      const [health, regions] = await Promise.all([api("health"), api("regions")]);
      state.features = health.features || {};
      state.tiles = health.tiles || null;
      state.tilesAttribution = health.tiles_attribution || "";
      state.region = regions.rows.some(r => r.region_id === state.region) ? state.region : health.region;
      const sel = document.getElementById("region");
      sel.replaceChildren(...regions.rows.map(r => h("option", { value: r.region_id, selected: r.region_id === state.region }, `${r.region_id} — ${r.name}`)));
      sel.addEventListener("change", e => { state.region = e.target.value; localStorage.setItem("critmat.region", state.region); route(); });
      document.getElementById("build").textContent = `critmat ${health.critmat_version} · build ${health.build} (${health.built_at})`;
    } catch (e) { main().replaceChildren(errorBox(e)); return; }
    window.addEventListener("hashchange", route);
    await route();
  }
  start();
})();
