/* critmat dashboard: small SVG charts (line with 5–95 % band, horizontal bars, timeline). No dependency,
   no inline style (the page's CSP forbids it): colours are SVG presentation attributes. They draw what the
   API returns and compute nothing but the pixel positions. */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1b6ca8", "#d1495b", "#2a9d8f", "#e9a03b", "#6a4c93", "#5c8001", "#8d6e63", "#00798c",
                   "#c05299", "#3d405b"];

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    const t = el("text", Object.assign({ x, y, "font-size": 11, fill: "#333" }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + " M";
    if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + " k";
    if (a >= 10) return v.toFixed(0);
    if (a >= 1) return Number.isInteger(v) ? String(v) : v.toFixed(1);
    if (a === 0) return "0";
    return v.toPrecision(2);
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const step0 = (hi - lo) / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= step0) || step0;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }
  function widthOf(container) {
    const w = container.clientWidth || (container.parentElement && container.parentElement.clientWidth) || 720;
    return Math.max(420, Math.min(1100, w));
  }
  function svgFor(container, w, h, label) {
    container.replaceChildren();
    const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img", "aria-label": label || "chart",
                             class: "chart" });
    container.appendChild(svg);
    return svg;
  }

  /* series: [{name, points: [{x, y}], band: [{x, lo, hi}]?}] */
  function line(container, spec) {
    const W = widthOf(container), H = spec.height || 300, m = { l: 64, r: 150, t: 16, b: 36 };
    const svg = svgFor(container, W, H, spec.title);
    const all = spec.series.flatMap(s => s.points.concat((s.band || []).map(b => ({ x: b.x, y: b.hi }))));
    if (!all.length) { text(svg, 20, 30, spec.empty || "–"); return svg; }
    const xs = all.map(p => p.x), ys = all.map(p => p.y).filter(v => v !== null && !Number.isNaN(v));
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const y0 = Math.min(0, ...ys), y1 = Math.max(...ys, spec.yMin1 ? 1 : 0) || 1;
    const X = v => m.l + (x1 === x0 ? 0.5 : (v - x0) / (x1 - x0)) * (W - m.l - m.r);
    // log scale (spec.log): decades from the smallest positive value (at most 6 below the largest); 0 sits on the axis
    const pos = ys.filter(v => v > 0), log = !!spec.log && pos.length > 0;
    const lmax = log ? Math.ceil(Math.log10(Math.max(...pos))) : 1;
    const lmin = log ? Math.max(lmax - 6, Math.floor(Math.log10(Math.min(...pos)))) : 0;
    const Y = log
      ? v => H - m.b - (Math.max(lmin, Math.log10(Math.max(v, Math.pow(10, lmin)))) - lmin) / ((lmax - lmin) || 1) * (H - m.t - m.b)
      : v => H - m.b - (v - y0) / (y1 - y0 || 1) * (H - m.t - m.b);
    const yTicks = log ? Array.from({ length: lmax - lmin + 1 }, (_, i) => Math.pow(10, lmin + i)) : niceTicks(y0, y1, 5);
    if (log) text(svg, W - m.r, H - 2, "log", { "text-anchor": "end", fill: "#999", "font-size": 10 });
    for (const t of yTicks) {
      el("line", { x1: m.l, x2: W - m.r, y1: Y(t), y2: Y(t), stroke: "#e3e3e3" }, svg);
      text(svg, m.l - 6, Y(t) + 4, fmt(t), { "text-anchor": "end" });
    }
    for (const t of niceTicks(x0, x1, 8)) {
      if (t % 1 && spec.integerX) continue;
      text(svg, X(t), H - m.b + 16, String(t), { "text-anchor": "middle" });
    }
    el("line", { x1: m.l, x2: W - m.r, y1: Y(log ? Math.pow(10, lmin) : y0), y2: Y(log ? Math.pow(10, lmin) : y0), stroke: "#999" }, svg);
    if (spec.yLabel) text(svg, 8, m.t + 4, spec.yLabel, { "font-size": 11, fill: "#555" });
    spec.series.forEach((s, i) => {
      const c = s.color || PALETTE[i % PALETTE.length];
      const g = el("g", { class: "series", "data-name": s.name }, svg);
      if (s.band && s.band.length) {
        const up = s.band.map(b => `${X(b.x)},${Y(b.hi)}`), dn = s.band.slice().reverse().map(b => `${X(b.x)},${Y(b.lo)}`);
        el("polygon", { points: up.concat(dn).join(" "), fill: c, "fill-opacity": 0.18, stroke: "none", class: "band" }, g);
      }
      const pts = s.points.filter(p => p.y !== null && !Number.isNaN(p.y));
      el("polyline", { points: pts.map(p => `${X(p.x)},${Y(p.y)}`).join(" "), fill: "none", stroke: c,
                        "stroke-width": 2, class: "line" }, g);
      for (const p of pts.length <= 12 ? pts : []) {
        const dot = el("circle", { cx: X(p.x), cy: Y(p.y), r: 3, fill: c }, g);
        el("title", {}, dot).textContent = `${s.name} ${p.x}: ${fmt(p.y)}`;
      }
      const ly = m.t + 14 + i * 16;
      el("rect", { x: W - m.r + 10, y: ly - 9, width: 10, height: 10, fill: c }, svg);
      text(svg, W - m.r + 24, ly, s.name.length > 20 ? s.name.slice(0, 19) + "…" : s.name);
    });
    return svg;
  }

  /* bars: [{label, value, lo?, hi?, color?}] horizontal */
  function bars(container, spec) {
    const rows = spec.bars.slice(0, spec.max || 25);
    const W = widthOf(container), rowH = 20, m = { l: 170, r: 70, t: 8, b: 24 };
    const H = m.t + m.b + Math.max(1, rows.length) * rowH;
    const svg = svgFor(container, W, H, spec.title);
    if (!rows.length) { text(svg, 20, 24, spec.empty || "–"); return svg; }
    const vmax = Math.max(...rows.map(r => Math.max(r.value || 0, r.hi || 0)), spec.xMax || 0) || 1;
    const pos = rows.flatMap(r => [r.value, r.lo]).filter(v => v > 0);
    const log = spec.log && pos.length > 0;
    const lmin = log ? Math.floor(Math.log10(Math.min(...pos))) : 0, lmax = log ? Math.ceil(Math.log10(vmax)) : 1;
    const X = log
      ? v => m.l + (Math.max(lmin, Math.log10(Math.max(v, Math.pow(10, lmin)))) - lmin) / ((lmax - lmin) || 1) * (W - m.l - m.r)
      : v => m.l + (v / vmax) * (W - m.l - m.r);
    const ticks = log ? Array.from({ length: lmax - lmin + 1 }, (_, i) => Math.pow(10, lmin + i)) : niceTicks(0, vmax, 5);
    for (const t of ticks) {
      el("line", { x1: X(t), x2: X(t), y1: m.t, y2: H - m.b, stroke: "#eee" }, svg);
      text(svg, X(t), H - m.b + 14, fmt(t), { "text-anchor": "middle", fill: "#666" });
    }
    if (log) text(svg, W - m.r, H - 2, "log", { "text-anchor": "end", fill: "#999", "font-size": 10 });
    rows.forEach((r, i) => {
      const y = m.t + i * rowH;
      const label = r.label.length > 26 ? r.label.slice(0, 25) + "…" : r.label;
      text(svg, m.l - 6, y + 14, label, { "text-anchor": "end" });
      const x0 = log ? m.l : X(0);
      const b = el("rect", { x: x0, y: y + 3, width: Math.max(0.5, X(r.value || 0) - x0), height: rowH - 6,
                             fill: r.color || spec.color || PALETTE[0], class: "bar" }, svg);
      el("title", {}, b).textContent = `${r.label}: ${fmt(r.value)}${spec.unit ? " " + spec.unit : ""}`;
      if (r.lo !== undefined && r.hi !== undefined && r.lo !== null && r.hi !== null) {
        el("line", { x1: X(r.lo), x2: X(r.hi), y1: y + rowH / 2, y2: y + rowH / 2, stroke: "#222", "stroke-width": 1.2 }, svg);
      }
      text(svg, Math.max(X(r.value || 0), X(r.hi || 0)) + 4, y + 14, fmt(r.value), { fill: "#555" });
    });
    return svg;
  }

  /* events: [{date: "YYYY-MM-DD", end?: "YYYY-MM-DD", label, color?}] on a time axis */
  function timeline(container, spec) {
    const ev = spec.events.filter(e => e.date);
    const W = widthOf(container), rowH = 22, m = { l: 12, r: 12, t: 10, b: 26 };
    const H = m.t + m.b + Math.max(1, ev.length) * rowH;
    const svg = svgFor(container, W, H, spec.title);
    if (!ev.length) { text(svg, 20, 24, spec.empty || "–"); return svg; }
    const toT = s => new Date(s + "T00:00:00Z").getTime();
    const now = Date.now();
    const t0 = Math.min(...ev.map(e => toT(e.date))), t1 = Math.max(now, ...ev.map(e => e.end ? toT(e.end) : toT(e.date)));
    const X = t => m.l + (t - t0) / ((t1 - t0) || 1) * (W - m.l - m.r - 300);
    const y0 = new Date(t0).getUTCFullYear(), y1 = new Date(t1).getUTCFullYear();
    for (let y = y0; y <= y1 + 1; y++) {
      const t = Date.UTC(y, 0, 1);
      if (t < t0 || t > t1) continue;
      el("line", { x1: X(t), x2: X(t), y1: m.t, y2: H - m.b, stroke: "#eee" }, svg);
      text(svg, X(t), H - m.b + 14, String(y), { "text-anchor": "middle", fill: "#666" });
    }
    ev.sort((a, b) => toT(a.date) - toT(b.date)).forEach((e, i) => {
      const y = m.t + i * rowH + rowH / 2;
      const c = e.color || PALETTE[1];
      const xe = e.end ? X(toT(e.end)) : X(now);
      el("line", { x1: X(toT(e.date)), x2: xe, y1: y, y2: y, stroke: c, "stroke-width": 4, "stroke-opacity": 0.45 }, svg);
      const d = el("circle", { cx: X(toT(e.date)), cy: y, r: 5, fill: c }, svg);
      el("title", {}, d).textContent = `${e.date}: ${e.label}`;
      // the label column is 290 px: date + ~36 characters at 10.5 px; the whole label is the tooltip
      const lab = e.label.length > 36 ? e.label.slice(0, 35) + "…" : e.label;
      const tx = text(svg, W - m.r - 290, y + 4, `${e.date} ${lab}`, { "font-size": 10.5 });
      el("title", {}, tx).textContent = `${e.date}: ${e.label}`;
    });
    return svg;
  }

  window.CritmatCharts = { line, bars, timeline, fmt, PALETTE };
})();
