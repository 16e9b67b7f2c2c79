"""Static figures of the report (matplotlib, Agg): each function takes frames and labels and returns a
matplotlib Figure; :func:`render` turns it into SVG text and PNG bytes. Nothing here computes a result:
frames arrive as the services returned them, and the functions only sort, select and draw.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@functools.cache
def _mpl() -> Any:
    """matplotlib, imported on first use (importing it builds a font cache; ``import critmat`` must not).
    Figures are drawn with ``_mpl().figure.Figure`` directly: no pyplot, no global backend."""
    import matplotlib
    import matplotlib.cm
    import matplotlib.colors
    import matplotlib.figure
    import matplotlib.patches
    import matplotlib.ticker

    return matplotlib

# Okabe-Ito: distinguishable for colour-blind readers and in greyscale print
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000", "#999999"]
STYLE = {
    "font.family": "DejaVu Sans", "font.size": 8.5, "axes.titlesize": 9.5, "axes.labelsize": 8.5,
    "xtick.labelsize": 7.5, "ytick.labelsize": 7.5, "legend.fontsize": 7.5, "legend.frameon": False,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6, "axes.axisbelow": True,
    "svg.fonttype": "none", "svg.hashsalt": "critmat", "figure.dpi": 100,
}
WIDTH = 6.7  # inches: the text width of an A4 page with 2 cm margins


def styled(fn):
    """Run a figure function inside the report's matplotlib style (the global rcParams stay untouched)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _style():
            return fn(*args, **kwargs)
    return wrapper


def _style() -> Any:
    from cycler import cycler

    return _mpl().rc_context({**STYLE, "axes.prop_cycle": cycler(color=PALETTE)})


def new(height: float = 3.6, width: float = WIDTH, **kw) -> tuple[Figure, object]:
    with _style():
        fig = _mpl().figure.Figure(figsize=(width, height), layout="constrained")
        ax = fig.subplots(**kw)
    return fig, ax


class Plan:
    """A figure to make: the name of a figure function of :mod:`critmat.report.figures` or
    :mod:`critmat.report.maps` and its arguments (frames, labels), picklable. The report's helper process
    makes and draws it (the main process then never imports matplotlib); :meth:`make` makes it in-process.

    ``Plan.of(module)`` gives a stand-in for the module whose functions return plans:
    ``Plan.of("critmat.report.figures").criticality(d, 1.0, 2.8, t)``."""

    __slots__ = ("module", "name", "args", "kwargs")

    def __init__(self, module: str, name: str, args: tuple = (), kwargs: dict | None = None) -> None:
        self.module, self.name, self.args, self.kwargs = module, name, args, kwargs or {}

    def __getstate__(self) -> tuple:
        return self.module, self.name, self.args, self.kwargs

    def __setstate__(self, state: tuple) -> None:
        self.module, self.name, self.args, self.kwargs = state

    def make(self) -> Figure:
        import importlib

        return getattr(importlib.import_module(self.module), self.name)(*self.args, **self.kwargs)

    @staticmethod
    def of(module: str) -> Any:
        class _Module:
            def __getattr__(self, name: str) -> Any:
                return lambda *args, **kwargs: Plan(module, name, args, kwargs)
        return _Module()


def png(fig: Figure, dpi: int = 150) -> bytes:
    """PNG bytes of a figure; its layout is done here, at the PNG's dpi, and then kept (positions are fractions
    of the figure, the same at any dpi), so that :func:`svg` afterwards draws the same figure without a new
    layout pass."""
    with _style():
        p = io.BytesIO()
        fig.savefig(p, format="png", dpi=dpi, metadata={"Software": "critmat"},
                    pil_kwargs={"compress_level": 1})  # zlib level 1: 5x faster than the default, files ~1.5x
        if fig.get_layout_engine() is not None:
            fig.set_layout_engine("none")
    return p.getvalue()


def svg(fig: Figure) -> str:
    """SVG text of a figure (no metadata date, so builds are reproducible); after :func:`png`, which lays it
    out."""
    with _style():
        s = io.StringIO()
        fig.savefig(s, format="svg", metadata={"Date": None, "Creator": "critmat"})
    return s.getvalue()


def render(fig: Figure | Plan, dpi: int = 150) -> tuple[str, bytes]:
    """SVG text and PNG bytes of a figure (a plan is made first): :func:`png`, then :func:`svg` on the same
    layout. The report's helper process calls the two apart (the PNG for the PDF first, the SVG later) and
    gets the same files."""
    if isinstance(fig, Plan):
        fig = fig.make()
    p = png(fig, dpi)
    return svg(fig), p


@styled
def empty(message: str, height: float = 1.2) -> Figure:
    """A figure that says plainly that there is nothing to draw (never an empty chart)."""
    fig, ax = new(height)
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=9, color="#666", wrap=True,
            transform=ax.transAxes)
    return fig


def _repel(ax, xs: np.ndarray, ys: np.ndarray, labels: Sequence[str], fontsize: float = 6.5) -> None:
    """Label points without overlaps: each label takes the first free place among right, left, above and
    below its point, then further up or down on either side (with a leader line); a place is free when it
    overlaps no other label, no other point and stays inside the axes. Works in display space (points at
    72/inch, so the result does not depend on the dpi the figure is saved at)."""
    fig = ax.figure
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    trans = ax.transData
    pts = trans.transform(np.column_stack([xs, ys]))
    bb = ax.get_window_extent()
    scale = fig.dpi / 72.0
    h = fontsize * 1.3 * scale
    gap, rad = 3.5 * scale, 4.0 * scale
    placed: list[tuple[float, float, float, float]] = []

    def free(box: tuple[float, float, float, float], own: int) -> bool:
        if box[0] < bb.x0 or box[2] > bb.x1 or box[1] < bb.y0 or box[3] > bb.y1:
            return False
        if any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in placed):
            return False
        for j, (px, py) in enumerate(pts):
            if j != own and box[0] - rad < px < box[2] + rad and box[1] - rad < py < box[3] + rad:
                return False
        return True

    steps = [0.0, 1.0, -1.0] + [k * sgn for k in (1.6, 2.2, 2.8, 3.4, 4.0, 5.0, 6.0) for sgn in (1, -1)]
    for i in np.argsort(-pts[:, 1]):
        x, y = pts[i]
        w = len(labels[i]) * fontsize * 0.56 * scale
        choice = None
        for dy in steps:
            for side in (1, -1):
                tx = x + side * gap
                box = (tx, y + dy * h - h / 2, tx + w, y + dy * h + h / 2) if side > 0 else \
                    (tx - w, y + dy * h - h / 2, tx, y + dy * h + h / 2)
                if free(box, i):
                    choice = (side, dy, box)
                    break
            if choice:
                break
        if choice is None:  # nowhere free: to the right, as before
            choice = (1, 0.0, (x + gap, y - h / 2, x + gap + w, y + h / 2))
        side, dy, box = choice
        placed.append(box)
        tx, ty = (box[0] if side > 0 else box[2]), y + dy * h
        dx, dyd = trans.inverted().transform((tx, ty))
        ax.annotate(labels[i], (xs[i], ys[i]), xytext=(dx, dyd), textcoords="data", fontsize=fontsize,
                    va="center", ha="left" if side > 0 else "right", color="#333",
                    arrowprops=dict(arrowstyle="-", lw=0.5, color="#888", shrinkA=0, shrinkB=2.5)
                    if abs(dy) >= 1.0 else None)


# --- materials ------------------------------------------------------------------------------------------

@styled
def criticality(df: pd.DataFrame, sr_threshold: float, ei_threshold: float, labels: dict[str, str]) -> Figure:
    """SR (y) against EI (x) for one assessment, with the EU thresholds; columns name, sr, ei, strategic."""
    d = df.dropna(subset=["sr", "ei"])
    fig, ax = new(4.6)
    crit = (d["sr"] >= sr_threshold) & (d["ei"] >= ei_threshold)
    ax.axhline(sr_threshold, color="#D55E00", lw=0.8, ls="--")
    ax.axvline(ei_threshold, color="#D55E00", lw=0.8, ls="--")
    ax.scatter(d.loc[~crit, "ei"], d.loc[~crit, "sr"], s=16, color=PALETTE[8], label=labels["below"])
    ax.scatter(d.loc[crit, "ei"], d.loc[crit, "sr"], s=18, color=PALETTE[0], label=labels["critical"])
    if "strategic" in d:
        st = d[d["strategic"].fillna(False).astype(bool)]
        ax.scatter(st["ei"], st["sr"], s=60, facecolors="none", edgecolors=PALETTE[1], lw=1,
                   label=labels["strategic"])
    ax.set_xlabel(labels["ei"])
    ax.set_ylabel(labels["sr"])
    ax.set_xlim(left=max(0, d["ei"].min() - 0.5), right=d["ei"].max() + 1.6)
    ax.set_ylim(bottom=0, top=d["sr"].max() + 0.4)
    ax.text(ei_threshold, ax.get_ylim()[1], f" EI {ei_threshold:g}", color="#D55E00", fontsize=7, va="top")
    ax.text(ax.get_xlim()[1], sr_threshold, f"SR {sr_threshold:g} ", color="#D55E00", fontsize=7, ha="right",
            va="bottom")
    _repel(ax, d["ei"].to_numpy(), d["sr"].to_numpy(), d["name"].astype(str).str.replace(r" \(.*\)", "",
                                                                                          regex=True).tolist())
    ax.legend(loc="upper right")  # high EI with high SR is empty on the EU charts; upper left holds the REEs
    return fig


@styled
def sr_history(hist: pd.DataFrame, names: dict[str, str], labels: dict[str, str]) -> Figure:
    """Heat map of supply risk per material (rows, by 2023 SR) and assessment year (columns)."""
    p = hist.pivot_table(index="material_id", columns="year", values="supply_risk", aggfunc="first")
    last = p.columns.max()
    p = p.loc[p[last].sort_values(ascending=False, na_position="last").index]
    fig, ax = new(max(3.0, 0.16 * len(p) + 0.9), width=WIDTH)
    ax.grid(False)
    data = p.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap="YlOrRd", vmin=0, vmax=np.nanmax(data))
    ax.set_yticks(range(len(p)), [names.get(m, m) for m in p.index], fontsize=6.5)
    ax.set_xticks(range(len(p.columns)), [str(c) for c in p.columns])
    ax.xaxis.tick_top()
    for (i, j), v in np.ndenumerate(data):
        if not np.isnan(v):
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=5.8,
                    color="white" if v > 0.6 * np.nanmax(data) else "#222")
    fig.colorbar(im, ax=ax, shrink=0.5, label=labels["sr"])
    return fig


@styled
def concentration(df: pd.DataFrame, labels: dict[str, str], top: int = 30) -> Figure:
    """China's share of global supply per stage (bars) and the HHI (markers), one row per material."""
    d = df.dropna(subset=["china_extraction", "china_processing"], how="all").copy()
    d["k"] = d[["china_extraction", "china_processing"]].max(axis=1)
    d = d.sort_values("k", ascending=True).tail(top)
    fig, ax = new(max(3.0, 0.17 * len(d) + 1.0))
    y = np.arange(len(d))
    ax.barh(y - 0.2, d["china_extraction"].fillna(0), height=0.38, color=PALETTE[4], label=labels["china_e"])
    ax.barh(y + 0.2, d["china_processing"].fillna(0), height=0.38, color=PALETTE[0], label=labels["china_p"])
    ax.scatter(d["hhi_extraction"], y - 0.2, marker="|", s=40, color="#222", label=labels["hhi"], zorder=3)
    ax.scatter(d["hhi_processing"], y + 0.2, marker="|", s=40, color="#222", zorder=3)
    ax.axvline(0.65, color="#D55E00", lw=0.8, ls="--")
    ax.text(0.655, len(d) - 0.4, labels["crma65"], color="#D55E00", fontsize=6.5, va="top")
    ax.set_yticks(y, d["name"].astype(str).str.replace(r" \(.*\)", "", regex=True), fontsize=6.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel(labels["share"])
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    return fig


@styled
def controls_timeline(df: pd.DataFrame, today: pd.Timestamp, labels: dict[str, str],
                      names: dict[str, str] | None = None) -> Figure:
    """One bar per measure from its effective (or announced) date to its end date (or today), coloured by
    status; columns measure_id, country_iso3, effective_date, announced_date, end_date, measure_status,
    materials."""
    d = df.copy()
    d["start"] = pd.to_datetime(d["effective_date"]).fillna(pd.to_datetime(d["announced_date"]))
    d["stop"] = pd.to_datetime(d["end_date"]).fillna(today)
    d = d.sort_values(["start", "measure_id"]).reset_index(drop=True)
    colors = {"active": PALETTE[3], "suspended": PALETTE[1], "lifted": PALETTE[8], "announced": PALETTE[4]}
    fig, ax = new(0.24 * len(d) + 1.1)
    ax.grid(axis="y", visible=False)
    for i, r in d.iterrows():
        ax.barh(i, (r["stop"] - r["start"]).days, left=r["start"], height=0.6,
                color=colors.get(r["measure_status"], PALETTE[8]))
        mats = ", ".join((names or {}).get(m, m) for m in str(r.get("materials") or "").split(";") if m)
        mats = mats if len(mats) < 48 else mats[:46] + "…"
        ax.text(r["stop"] + pd.Timedelta(days=25), i, mats, va="center", fontsize=5.8, color="#444")
    ax.set_yticks(range(len(d)), d["measure_id"], fontsize=6.2)
    ax.invert_yaxis()
    ax.axvline(today, color="#222", lw=0.7)
    lo = d["start"].min() - pd.Timedelta(days=60)
    ax.set_xlim(lo, today + pd.Timedelta(days=int(0.45 * (today - lo).days)))
    handles = [_mpl().patches.Patch(color=c, label=labels.get(k, k)) for k, c in colors.items()
               if k in set(d["measure_status"])]
    ax.legend(handles=handles, loc="lower left", ncols=4)
    return fig


@styled
def goods_categories(df: pd.DataFrame, provinces: dict[str, str], labels: dict[str, str]) -> Figure:
    """Share of each goods category in the CRM volume, per province (grouped bars)."""
    p = df.pivot_table(index="goods_category_name", columns="province_code", values="share", aggfunc="sum")
    p = p.loc[p.max(axis=1).sort_values().index]
    fig, ax = new(0.3 * len(p) + 1.0)
    y = np.arange(len(p))
    h = 0.8 / max(1, len(p.columns))
    for k, col in enumerate(p.columns):
        vals = p[col].to_numpy()
        ax.barh(y + (k - (len(p.columns) - 1) / 2) * h, np.nan_to_num(vals), height=h * 0.95,
                color=PALETTE[k], label=provinces.get(col, col))
        for yy, v in zip(y + (k - (len(p.columns) - 1) / 2) * h, vals):
            if not np.isnan(v):
                ax.text(v + 0.004, yy, f"{v:.0%}", va="center", fontsize=6.5)
    ax.set_yticks(y, p.index)
    ax.xaxis.set_major_formatter(_mpl().ticker.PercentFormatter(1.0))
    ax.set_xlabel(labels["share"])
    ax.legend(loc="lower right")
    return fig


# --- region ---------------------------------------------------------------------------------------------

@styled
def stock_heatmap(df: pd.DataFrame, names: dict[str, str], classes: dict[str, str], labels: dict[str, str],
                  top: int = 25) -> Figure:
    """Tonnes per material (rows, largest first) x asset class (columns), log colour scale, values printed."""
    p = df.pivot_table(index="material", columns="asset_class", values="mass_t", aggfunc="sum")
    p = p.loc[p.sum(axis=1).sort_values(ascending=False).index].head(top)
    fig, ax = new(0.19 * len(p) + 1.2)
    ax.grid(False)
    data = p.to_numpy(dtype=float)
    masked = np.ma.masked_where(~(data > 0), data)
    im = ax.imshow(masked, aspect="auto", cmap="viridis_r",
                   norm=_mpl().colors.LogNorm(vmin=max(np.nanmin(masked), 1e-3), vmax=np.nanmax(masked)))
    ax.set_yticks(range(len(p)), [names.get(m, m) for m in p.index], fontsize=6.5)
    ax.set_xticks(range(len(p.columns)), [classes.get(c, c).replace(" ", "\n") for c in p.columns], fontsize=6.8)
    ax.xaxis.tick_top()
    lo, hi = np.log10(max(np.nanmin(masked), 1e-3)), np.log10(np.nanmax(masked))
    for (i, j), v in np.ndenumerate(data):
        if v > 0:  # viridis_r: dark cells hold the large values
            ax.text(j, i, fmt_t(v), ha="center", va="center", fontsize=5.6,
                    color="white" if np.log10(v) > lo + 0.45 * (hi - lo) else "#111")
    fig.colorbar(im, ax=ax, shrink=0.5, label=labels["tonnes"])
    return fig


def fmt_t(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.1f}M"
    if v >= 1e3:
        return f"{v / 1e3:.0f}k" if v >= 1e4 else f"{v / 1e3:.1f}k"
    if v >= 10:
        return f"{v:.0f}"
    if v >= 0.1:
        return f"{v:.1f}"
    return f"{v:.2g}"


@styled
def stock_bands(df: pd.DataFrame, names: dict[str, str], labels: dict[str, str], top: int = 20) -> Figure:
    """Tonnes per material with the 5th-95th percentile band (log scale)."""
    d = df[df["mass_t"] > 0].sort_values("mass_t", ascending=True).tail(top)
    fig, ax = new(0.2 * len(d) + 1.0)
    y = np.arange(len(d))
    ax.barh(y, d["mass_t"], color=PALETTE[0], height=0.6, label=labels["central"])
    ax.errorbar(d["mass_t"], y, xerr=[d["mass_t"] - d["low_t"], d["high_t"] - d["mass_t"]], fmt="none",
                ecolor="#222", elinewidth=0.8, capsize=2, label=labels["band"])
    ax.set_xscale("log")
    ax.set_yticks(y, [names.get(m, m) for m in d["material"]])
    ax.set_xlabel(labels["tonnes"])
    ax.legend(loc="lower right")
    return fig


def _tick_t(v: float, _pos: object) -> str:
    """Tick label in tonnes (a module-level function: figures are pickled to the render process)."""
    return fmt_t(v)


@styled
def flows_bands(fl: pd.DataFrame, materials: list[str], names: dict[str, str], labels: dict[str, str]) -> Figure:
    """Small multiples: outflow and recovered (t/yr) per year with their p05-p95 bands, one panel a material."""
    n = len(materials)
    cols = 3
    rows = int(np.ceil(n / cols))
    fig, axes = new(1.75 * rows + 0.5, nrows=rows, ncols=cols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        m = materials[k]
        d = fl[fl["material"] == m].pivot_table(index="year", columns="variable", values="value", aggfunc="sum")
        for var, c in (("outflow", PALETTE[0]), ("recovered", PALETTE[2])):
            if var in d:
                ax.plot(d.index, d[var], color=c, lw=1.2, label=labels[var])
                if f"{var}_p05" in d and f"{var}_p95" in d:
                    ax.fill_between(d.index, d[f"{var}_p05"], d[f"{var}_p95"], color=c, alpha=0.2, lw=0)
        if "demand" in d:
            ax.plot(d.index, d["demand"], color=PALETTE[3], lw=0.9, ls="--", label=labels["demand"])
        ax.set_title(names.get(m, m), loc="left")
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=6.5)
        ax.yaxis.set_major_formatter(_mpl().ticker.FuncFormatter(_tick_t))
    h, lab = axes.flat[0].get_legend_handles_labels()
    fig.legend(h, lab, loc="outside lower center", ncols=4)
    fig.supylabel(labels["t_per_yr"], fontsize=7.5)
    return fig


@styled
def need_split(df: pd.DataFrame, names: dict[str, str], labels: dict[str, str], top: int = 20) -> Figure:
    """Yearly need per material (t/yr, log scale, left) and its split into replacement and growth from
    planned assets (share of the need, right)."""
    d = df[(df["need_t_per_yr"] > 0)].sort_values("need_t_per_yr").tail(top)
    fig, (ax, ax2) = new(0.2 * len(d) + 1.1, ncols=2, sharey=True, width_ratios=[1.4, 1])
    y = np.arange(len(d))
    rep = d["replacement_t_per_yr"].fillna(0).to_numpy()
    grow = d["pipeline_t_per_yr"].fillna(0).to_numpy()
    tot = rep + grow
    ax.barh(y, tot, color=PALETTE[8], height=0.6)
    for yy, v in zip(y, tot):
        ax.text(v * 1.15, yy, fmt_t(v), va="center", fontsize=6)
    ax.set_xscale("log")
    ax.set_xlim(tot[tot > 0].min() / 2, tot.max() * 8)
    ax.set_yticks(y, [names.get(m, m) for m in d["material_id"]])
    ax.set_xlabel(labels["t_per_yr"] + " (log)")
    share_r = np.where(tot > 0, rep / np.where(tot > 0, tot, 1), 0)
    ax2.barh(y, share_r, color=PALETTE[0], height=0.6, label=labels["replacement"])
    ax2.barh(y, 1 - share_r, left=share_r, color=PALETTE[1], height=0.6, label=labels["growth"])
    ax2.xaxis.set_major_formatter(_mpl().ticker.PercentFormatter(1.0))
    ax2.set_xlim(0, 1)
    ax2.tick_params(axis="y", left=False)
    fig.legend(*ax2.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig


@styled
def secondary_vs_benchmark(df: pd.DataFrame, names: dict[str, str], benchmark: float | None,
                           labels: dict[str, str]) -> Figure:
    """End-of-life recycling input rate per material (secondary supply / own demand) with its band and the
    CRMA benchmark line."""
    d = df[df["demand_t"] > 0]
    hi_col = "eol_rir_p95" if "eol_rir_p95" in d else "eol_rir"
    d = d[(d["eol_rir"].fillna(0) > 0) | (d[hi_col].fillna(0) > 0)].sort_values("eol_rir")  # none: said in text
    if not len(d):
        return empty(labels["no_secondary_any"])
    fig, ax = new(0.2 * len(d) + 1.1)
    y = np.arange(len(d))
    colors = [PALETTE[2] if (benchmark is not None and v >= benchmark) else PALETTE[0] for v in d["eol_rir"]]
    ax.barh(y, d["eol_rir"], color=colors, height=0.6)
    if "eol_rir_p05" in d and "eol_rir_p95" in d:
        lo = (d["eol_rir"] - d["eol_rir_p05"]).clip(lower=0)
        hi = (d["eol_rir_p95"] - d["eol_rir"]).clip(lower=0)
        ax.errorbar(d["eol_rir"], y, xerr=[lo, hi], fmt="none", ecolor="#222", elinewidth=0.7, capsize=1.5)
    if benchmark is not None:
        ax.axvline(benchmark, color="#D55E00", lw=1, ls="--")
        ax.text(benchmark, 1.0, " " + labels["benchmark"], color="#D55E00", fontsize=7, va="bottom", ha="left",
                transform=ax.get_xaxis_transform())
    ax.set_yticks(y, [names.get(m, m) for m in d["material"]], fontsize=6.5)
    ax.xaxis.set_major_formatter(_mpl().ticker.PercentFormatter(1.0))
    ax.set_xlim(0, max(1.0, float(d["eol_rir"].max()) * 1.05) if len(d) else 1)
    ax.set_xlabel(labels["eol_rir"])
    return fig


@styled
def exposure(df: pd.DataFrame, names: dict[str, str], labels: dict[str, str], top: int = 25) -> Figure:
    """Need (t/yr, log x) against supply risk (y), marker size by exposure score, controlled materials marked."""
    d = df[(df["need_t_per_yr"] > 0) & df["sr"].notna()].sort_values("exposure_score", ascending=False).head(top)
    fig, ax = new(4.2)
    size = 20 + 200 * (d["exposure_score"] / d["exposure_score"].max())
    ctrl = d["controls_active"].fillna(0) > 0
    ax.scatter(d.loc[~ctrl, "need_t_per_yr"], d.loc[~ctrl, "sr"], s=size[~ctrl], color=PALETTE[0], alpha=0.7,
               label=labels["no_controls"])
    ax.scatter(d.loc[ctrl, "need_t_per_yr"], d.loc[ctrl, "sr"], s=size[ctrl], color=PALETTE[3], alpha=0.7,
               label=labels["controls"])
    ax.set_xscale("log")
    ax.set_xlabel(labels["need"])
    ax.set_ylabel(labels["sr"])
    ax.set_xlim(d["need_t_per_yr"].min() / 3, d["need_t_per_yr"].max() * 8)
    _repel(ax, d["need_t_per_yr"].to_numpy(), d["sr"].to_numpy(), [names.get(m, m) for m in d["material_id"]])
    ax.legend(loc="upper right", markerscale=0.5)
    return fig


@styled
def shocks(df: pd.DataFrame, labels: dict[str, str]) -> Figure:
    """Per shock: affected need split into alternative supply, secondary supply and the residual (t)."""
    d = df.copy()
    fig, ax = new(0.45 * len(d) + 1.0)
    y = np.arange(len(d))
    left = np.zeros(len(d))
    for col, c in (("alternative_t", PALETTE[2]), ("secondary_t", PALETTE[4]), ("residual_t", PALETTE[3])):
        ax.barh(y, d[col], left=left, color=c, height=0.55, label=labels[col])
        left += d[col].to_numpy()
    for yy, v in zip(y, d["affected_t"]):
        ax.text(v * 1.01 + 1e-9, yy, f"{v:,.2f} t" if v < 10 else f"{v:,.0f} t", va="center", fontsize=6.5)
    ax.set_yticks(y, d["shock_id"])
    ax.set_xlabel(labels["t"])
    ax.set_xlim(0, max(float(d["affected_t"].max()) * 1.2, 1e-6))
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    return fig


@styled
def coverage(matrix: pd.DataFrame, labels: dict[str, str]) -> Figure:
    """Companies per stream (rows) and supply-chain stage (columns); zero cells are the gaps."""
    stages = [c for c in matrix.columns if c not in ("stream", "covered", "gaps")]
    m = matrix.set_index("stream")[stages].astype(float)
    fig, ax = new(0.2 * len(m) + 1.0, width=WIDTH * 0.9)
    ax.grid(False)
    ax.imshow(np.where(m.to_numpy() > 0, np.log1p(m.to_numpy()), np.nan), aspect="auto", cmap="Blues",
              vmin=0, vmax=np.log1p(m.to_numpy().max() or 1) * 1.2)
    for (i, j), v in np.ndenumerate(m.to_numpy()):
        ax.text(j, i, f"{v:.0f}" if v > 0 else "–", ha="center", va="center", fontsize=6.5,
                color="#111" if v > 0 else "#D55E00")
    ax.set_yticks(range(len(m)), m.index, fontsize=6.5)
    ax.set_xticks(range(len(stages)), stages, rotation=20, ha="left", fontsize=6.8)
    ax.xaxis.tick_top()
    ax.set_xlabel(labels["gaps"], fontsize=7)
    return fig


@styled
def sparkline(s: pd.DataFrame, unit: str) -> Figure:
    """A small line of an indicator's per-year values (frame year, value)."""
    fig, ax = new(0.55, width=1.6)
    ax.axis("off")
    d = s.dropna()
    if len(d):
        ax.plot(d["year"], d["value"], color=PALETTE[0], lw=1)
        ax.fill_between(d["year"], d["value"], color=PALETTE[0], alpha=0.12, lw=0)
        ax.text(d["year"].iloc[0], ax.get_ylim()[1], str(int(d["year"].iloc[0])), fontsize=5.5, va="top")
        ax.text(d["year"].iloc[-1], ax.get_ylim()[1], str(int(d["year"].iloc[-1])), fontsize=5.5, va="top",
                ha="right")
    return fig
