#!/usr/bin/env python3
"""report.py - docs/benchmarks.md and its plots from the CSV files that
bench/run.sh writes under OUT/data/bench/.  Plots are drawn with matplotlib
(Agg backend; Debian package python3-matplotlib, required: without it the
script exits 2), each as SVG and PNG, byte-identical from the same CSVs.

usage: bench/report.py OUT        (reads OUT/data/bench, writes OUT/benchmarks.md
                                   and OUT/bench/*.svg, *.png)
"""
import csv
import math
import os
import statistics
import sys

ENGINES = [
    ("random", "built-in random"),
    ("pct", "built-in PCT"),
    ("libfuzzer-fb", "libFuzzer, feedback on"),
    ("libfuzzer-nofb", "libFuzzer, feedback off"),
    ("afl", "AFL++"),
    ("stress", "stress (real threads)"),
]
COLORS = {
    "random": "#1f77b4", "pct": "#17becf", "libfuzzer-fb": "#2ca02c",
    "libfuzzer-nofb": "#98df8a", "afl": "#ff7f0e", "stress": "#d62728",
}
VARIANTS = [
    "swapin-dead-entry", "anon-fault-double-alloc", "swapoff-single-pass",
    "lru-free-irq-double-free", "migrate-swapcache-anon-vma-uaf",
    "zswap-writeback-invalidate-leak", "zswap-writeback-stale-data",
    "free-swap-and-cache-swapoff-uaf",
]


def read(path):
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fnum(x, default=None):
    try:
        return float(x)
    except (TypeError, ValueError):
        return default


def fmt_s(x):
    if x is None:
        return "-"
    if x < 0.1:
        return "%.3f s" % x
    if x < 10:
        return "%.2f s" % x
    return "%.0f s" % x


def fmt_n(x):
    if x is None:
        return "-"
    x = float(x)
    if x >= 1e6:
        return "%.1fM" % (x / 1e6)
    if x >= 1e4:
        return "%.0fk" % (x / 1e3)
    return "%d" % round(x)


def censored_median(vals, nfound, n):
    """Median of trial values where trials not found count as 'at least the
    limit' (they sort last).  Returns (value, is_lower_bound)."""
    if n == 0:
        return None, False
    s = sorted(vals)
    # not-found trials are the largest values; the median is a lower bound
    # when it falls on (or between) not-found trials
    mid_hi = n // 2
    lower = (n - nfound) > 0 and mid_hi >= nfound
    return statistics.median(s), lower


# ---- plots (matplotlib, Agg) ----------------------------------------------------------

PX = 100  # figure dpi: a figure W x H pixels is W/PX x H/PX inches; the PNG is W x H


def load_matplotlib():
    """matplotlib with the Agg backend, set up for byte-identical output, or
    exit 2 with one line naming the Debian package."""
    try:
        import matplotlib
    except ImportError:
        # python3-matplotlib is installed for Debian's own interpreter; a
        # python3 found first on PATH (pyenv, a venv) does not see it
        deb = "/usr/bin/python3"
        if os.path.exists(deb) and os.path.realpath(sys.executable) != os.path.realpath(deb):
            os.execv(deb, [deb] + sys.argv)
        sys.stderr.write("bench/report.py: matplotlib not found: install the Debian package python3-matplotlib\n")
        sys.exit(2)
    matplotlib.use("Agg")
    matplotlib.rcParams.update({
        "svg.hashsalt": "mmfuzz-bench",  # element ids from a fixed salt, not a random one
        "svg.fonttype": "none",          # text as <text>, not glyph paths
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.edgecolor": "#cccccc",
        "xtick.color": "#555555",
        "ytick.color": "#555555",
        "xtick.labelcolor": "#555555",
        "ytick.labelcolor": "#222222",
        "axes.labelcolor": "#333333",
    })
    global Figure, Line2D, Patch, blend
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.transforms import blended_transform_factory as blend


def new_figure(w, h):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig = Figure(figsize=(w / PX, h / PX), dpi=PX, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def save(fig, path):
    """path.svg and path.png; no dates or other run-dependent data in either."""
    fig.savefig(path, format="svg", metadata={"Date": None})
    fig.savefig(path[:-4] + ".png", format="png", dpi=PX)


def log_axis(lo, hi):
    a = math.floor(math.log10(lo))
    b = math.ceil(math.log10(hi))
    if b == a:
        b += 1
    return a, b


def log_ticks(ax, axis, a, b, label):
    """Decade ticks 10^a..10^b with label(10^k), no minor ticks."""
    from matplotlib.ticker import FixedLocator, NullLocator
    xy = ax.xaxis if axis == "x" else ax.yaxis
    ks = [10.0 ** k for k in range(a, b + 1)]
    xy.set_major_locator(FixedLocator(ks))
    xy.set_minor_locator(NullLocator())
    (ax.set_xticklabels if axis == "x" else ax.set_yticklabels)([label(k) for k in range(a, b + 1)])


def rows_on_log_axis(ax, a, b, labels, tick_label):
    """One labelled row per item down the y axis, a log x axis from 10**a
    to 10**b with a light grid, no frame: the style of the bar and dot plots."""
    ax.set_xscale("log")
    ax.set_xlim(10 ** a, 10 ** b)
    ax.set_ylim(len(labels), 0)
    log_ticks(ax, "x", a, b, tick_label)
    ax.grid(axis="x", color="#dddddd", linewidth=1)
    ax.set_axisbelow(True)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.tick_params(length=0)
    ax.set_yticks([i + 0.5 for i in range(len(labels))])
    ax.set_yticklabels(labels)


def plot_ttb(rows, engines, limit, path):
    """Time-to-bug per variant and engine, log scale; one dot per trial, a
    bar at the median; hollow dots at the limit are trials that did not find."""
    W, left, right, top, rowh = 1040, 250, 30, 60, 62
    H = top + rowh * len(VARIANTS) + 70
    fig = new_figure(W, H)
    ax = fig.add_axes([left / W, 70 / H, (W - left - right) / W, rowh * len(VARIANTS) / H])
    vals = [fnum(r["seconds"]) for r in rows if fnum(r["seconds"])]
    lo = max(min(vals + [limit]) * 0.8, 0.005)
    a, b = log_axis(lo, limit * 1.2)
    X = lambda v: max(v, 10 ** a)
    fig.suptitle("Time to bug per variant and engine (log scale; one dot per trial)",
                 y=1 - 10 / H, va="top", fontsize=11, fontweight="bold")
    rows_on_log_axis(ax, a, b, VARIANTS,
                     lambda k: ("%g s" % 10 ** k) if k >= 0 else ("%g ms" % (10 ** (k + 3))))
    ax.axvline(limit, color="#d62728", linewidth=1, linestyle=(0, (4, 3)))
    ax.text(limit, -0.048, "limit %g s" % limit, transform=blend(ax.transData, ax.transAxes),
            ha="center", va="top", color="#d62728", fontsize=8)
    ax.set_xlabel("seconds from start to the first failure of the class BUGS.md names", labelpad=22)
    ne = len(engines)
    dot = dict(linestyle="none", marker="o", markersize=5)
    for i, v in enumerate(VARIANTS):
        if i % 2 == 0:
            ax.axhspan(i, i + 1, color="#f6f6f6", zorder=0, linewidth=0)
        for j, (e, _) in enumerate(engines):
            y = i + (6 + (rowh - 12) * (j + 0.5) / ne) / rowh
            cell = [r for r in rows if r["engine"] == e and r["variant"] == v]
            if not cell:
                continue
            ts, hit, miss = [], [], []
            for r in cell:
                if r["found"] == "1":
                    t = fnum(r["seconds"], limit)
                    hit.append(X(t))
                    ts.append(t)
                else:
                    miss.append(X(limit))
                    ts.append(limit)
            if hit:
                ax.plot(hit, [y] * len(hit), color=COLORS[e], alpha=0.85, markeredgewidth=0, zorder=3, **dot)
            if miss:
                ax.plot(miss, [y] * len(miss), markerfacecolor="white", markeredgecolor=COLORS[e],
                        markeredgewidth=1, zorder=3, **dot)
            ax.plot([X(statistics.median(ts))], [y], linestyle="none", marker="|", markersize=10,
                    markeredgewidth=2, color="black", zorder=4)
    handles = [Line2D([], [], color=COLORS[e], label=name, **dot) for e, name in engines]
    handles.append(Line2D([], [], markerfacecolor="white", markeredgecolor="#555555", label="not found", **dot))
    handles.append(Line2D([], [], linestyle="none", marker="|", markersize=10, markeredgewidth=2,
                          color="black", label="median"))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1 - 30 / H), ncol=len(handles),
               frameon=False, fontsize=8, handletextpad=0.3, columnspacing=1.6)
    save(fig, path)


def plot_bars(items, title, unit, path):
    """Horizontal bars (log scale) for (label, value, color)."""
    W, left, right, top, barh = 940, 330, 80, 50, 26
    H = top + barh * len(items) + 50
    fig = new_figure(W, H)
    ax = fig.add_axes([left / W, 50 / H, (W - left - right) / W, barh * len(items) / H])
    fig.suptitle(title, y=1 - 12 / H, va="top", fontsize=11, fontweight="bold")
    vals = [v for _, v, _ in items if v]
    a, b = log_axis(min(vals) * 0.8, max(vals) * 1.2)
    rows_on_log_axis(ax, a, b, [lab for lab, _, _ in items], lambda k: fmt_n(10 ** k))
    for i, (lab, v, col) in enumerate(items):
        if v:
            ax.barh(i + 0.5, v - 10 ** a, left=10 ** a, height=(barh - 8) / barh, color=col)
            ax.annotate(fmt_n(v), (v, i + 0.5), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8, color="#222222")
    ax.set_xlabel(unit)
    save(fig, path)


def plot_scaling(rows, path):
    params = ["tasks", "frames", "ops"]
    variants = sorted({r["variant"] for r in rows})
    cols = ["#1f77b4", "#d62728", "#2ca02c"]
    W, H, pw, top, left = 990, 330, 280, 60, 70
    meds = {}
    for r in rows:
        n = fnum(r["executions"], 0)
        meds.setdefault((r["variant"], r["param"], int(r["value"])), []).append(n)
    allv = [statistics.median(x) for x in meds.values() if statistics.median(x) > 0]
    if not allv:
        return
    a, b = log_axis(min(allv) * 0.8, max(allv) * 1.2)
    fig = new_figure(W, H)
    fig.suptitle("Executions to bug against workload size (built-in random; median of seeds)",
                 y=1 - 10 / H, va="top", fontsize=11, fontweight="bold")
    fig.legend(handles=[Patch(color=cols[j % 3], label=v) for j, v in enumerate(variants)],
               loc="upper left", bbox_to_anchor=(left / W, 1 - 30 / H), ncol=len(variants),
               frameon=False, fontsize=8, handlelength=1, handleheight=1, columnspacing=3)
    y0, ph = top + 10, H - top - 60
    for pi, p in enumerate(params):
        ax = fig.add_axes([(left + pi * (pw + 30)) / W, (H - y0 - ph) / H, pw / W, ph / H])
        xs = sorted({k[2] for k in meds if k[1] == p})
        if not xs:
            ax.set_axis_off()
            continue
        ax.set_facecolor("#fafafa")
        ax.set_yscale("log")
        ax.set_ylim(10 ** a, 10 ** b)
        ax.set_xlim(0, len(xs))
        log_ticks(ax, "y", a, b, lambda k: fmt_n(10 ** k))
        if pi == 0:
            ax.set_ylabel("executions", color="#222222")
            ax.tick_params(axis="y", labelsize=8, labelcolor="#555555")
        else:
            ax.tick_params(axis="y", labelleft=False)
        ax.grid(axis="y", color="#e4e4e4", linewidth=1)
        ax.set_axisbelow(True)
        ax.tick_params(length=0)
        ax.set_xticks([k + 0.5 for k in range(len(xs))])
        ax.set_xticklabels([str(xv) for xv in xs])
        ax.set_xlabel(p + "=", color="#222222")
        for j, v in enumerate(variants):
            pts = [(k + 0.5, max(statistics.median(meds[(v, p, xv)]), 10 ** a))
                   for k, xv in enumerate(xs) if (v, p, xv) in meds]
            ax.plot([q[0] for q in pts], [q[1] for q in pts], color=cols[j % 3], linewidth=1.5,
                    marker="o", markersize=5)
    save(fig, path)


# ---- the report -------------------------------------------------------------------

# ---- coverage-guided engines (bench/engines.sh writes data/engines/) -----------------

ENGINE_COLORS = {"random": "#4c72b0", "pct": "#8172b2", "libfuzzer": "#dd8452", "afl": "#55a868",
                 "libfuzzer mutator off (all feedback)": "#f2b48c", "libfuzzer all feedback": "#c44e52"}
DEEP = ["zswap-writeback-stale-data", "free-swap-and-cache-swapoff-uaf"]
# bench/engines.sh's columns and ablation rows, in its order
MAIN_ORDER = ["random", "pct", "libfuzzer", "libfuzzer all feedback", "libfuzzer mutator off (all feedback)", "afl"]
ABL_ORDER = ["libfuzzer", "base: reverse 25%", "mutator off", "reverse off", "reverse off (the default mutator)",
             "reverse 25%", "PCT-like cap 3", "feedback off", "all feedback", "switch only", "rf only", "lock only",
             "order only", "ASan build", "afl", "afl mutator off"]


def in_order(names, order):
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), names.index(n)))


def cmedian(rows, key, limit_key=None):
    """Median over trials where a trial that did not find the bug counts as
    more than any that did; returns (value, lower_bound).  A median that
    falls on such trials is the least of their values, marked >=."""
    if not rows:
        return None, False
    found = sorted(fnum(r[key], 0) for r in rows if r["found"] == "1")
    miss = sorted(fnum(r[limit_key] if limit_key else r[key], 0) for r in rows if r["found"] != "1")
    n = len(rows)
    allv = [(v, False) for v in found] + [(v, True) for v in miss]
    if n % 2:
        v, lb = allv[n // 2]
        return v, lb
    (a, la), (b, lb) = allv[n // 2 - 1], allv[n // 2]
    if la or lb:
        return (b if not la else a), True
    return (a + b) / 2, False


def fmt_med(v, lb, f):
    return ("&ge;" if lb else "") + f(v) if v is not None else "-"


def trial_cell(rs):
    """A table cell for a set of trials, and its medians (executions and
    time, each with its lower-bound mark) with the trials."""
    ex, exl = cmedian(rs, "executions")
    tm, tml = cmedian(rs, "seconds", "limit")
    nf = sum(r["found"] == "1" for r in rs)
    text = "**%s** / %s, %d/%d" % (fmt_med(ex, exl, fmt_n), fmt_med(tm, tml, fmt_s), nf, len(rs))
    return text, (ex, exl, tm, tml, rs)


def engines_section(out, imgd, w):
    data = os.path.join(out, "data", "engines")
    rows = read(os.path.join(data, "ttb.csv"))
    if not rows:
        return
    mach = {r["key"]: r["value"] for r in (read(os.path.join(data, "machine.csv")) or [])}
    main = [r for r in rows if r["table"] == "main"]
    abl = [r for r in rows if r["table"] == "ablation"]
    variants = []
    for r in main:
        if r["variant"] not in variants:
            variants.append(r["variant"])
    configs = []
    for r in main:
        if r["config"] not in configs:
            configs.append(r["config"])
    configs = in_order(configs, MAIN_ORDER)
    cell = {}
    for r in main:
        cell.setdefault((r["variant"], r["config"]), []).append(r)
    w("## Coverage-guided engines against the built-in sources")
    w("")
    w("`bench/engines.sh` (commit `%s`, %s, %s trials per cell, %s s limit, %s trials at a time on %s"
      " cores, %.0f min): the generic workload with one variant on, each trial stopped at the first"
      " failure of a class BUGS.md names for the variant. **random** and **pct** are the built-in"
      " sources (`mmfuzz run`, gcc build); **libfuzzer** is the libfuzzer-fast preset (clang,"
      " libFuzzer, the model's checked heap instead of ASan) with the decision-space mutator and"
      " no interleaving feedback (the campaign default, fuzz/campaign/libfuzzer.sh), beside it the"
      " same with all four feedback kinds, and that without the mutator; **afl** is the afl preset (ASan)"
      " with the custom mutator library and AFL++'s own stages (fuzz/campaign/afl.sh). Both engines start from"
      " corpus/seeds/mm. Executions are the engine's own count plus the runs the mutator made to"
      " learn input shapes. A trial that did not find the bug counts as more than any that did, so a"
      " median marked &ge; is a lower bound." % (
          mach.get("commit", "?"), mach.get("date", "?"), mach.get("trials", "?"),
          mach.get("limit_s", "?"), mach.get("jobs", "?"), mach.get("cores", "?"),
          fnum(mach.get("total_s"), 0) / 60))
    w("")
    if not main:
        variants = []
    w("Each cell: **median executions to bug** / median time, found/trials.")
    w("")
    w("| variant | " + " | ".join(configs) + " |")
    w("|---|" + "---|" * len(configs))
    med = {}
    for v in variants:
        cells = []
        for c in configs:
            rs = cell.get((v, c), [])
            text, med[(v, c)] = trial_cell(rs)
            cells.append(text)
        w("| %s | %s |" % (v, " | ".join(cells)))
    w("")
    # targets
    guided = [c for c in configs if c in ("libfuzzer", "libfuzzer all feedback", "afl")]
    w("**Against the targets** (issue: engines beat random and PCT in median executions on every")
    w("variant, by 5x on the two deepest; one engine within 2x of random in median time everywhere;")
    w("every trial of the two deepest found within 60 s):")
    w("")
    w("| variant | best built-in (executions) | " + " | ".join("%s: executions vs best built-in" % g for g in guided) +
      " | best engine time vs random | deepest: every trial < 60 s |")
    w("|---|---|" + "---|" * len(guided) + "---|---|")
    for v in variants:
        bi = [(med[(v, c)][0], c) for c in ("random", "pct") if (v, c) in med and med[(v, c)][0] is not None]
        if not bi:
            continue
        best, bname = min(bi)
        parts = []
        for g in guided:
            ex, exl = med.get((v, g), (None, False))[:2]
            if ex is None or not best:
                parts.append("-")
                continue
            ratio = best / ex
            tgt = 5 if v in DEEP else 1
            ok = ratio >= tgt and not exl
            parts.append("%s%.2fx %s" % ("&le;" if exl else "", ratio, "met" if ok else "missed (target %dx)" % tgt))
        rt = med.get((v, "random"), (None,) * 4)[2]
        tbest = None
        for g in guided:
            t, tl = med.get((v, g), (None, False, None, False))[2:4]
            if t is not None and (tbest is None or t < tbest[0]):
                tbest = (t, tl, g)
        if rt and tbest:
            tr = tbest[0] / rt
            tcell = "%s %.1fx (%s) %s" % ("&ge;" if tbest[1] else "", tr, tbest[2], "met" if tr <= 2 and not tbest[1] else "missed")
        else:
            tcell = "-"
        if v in DEEP:
            dd = []
            for g in guided:
                rs = med.get((v, g), (None,) * 5)[4] or []
                dd.append("%s %d/%d" % (g, sum(r["found"] == "1" and fnum(r["seconds"], 99) < 60 for r in rs), len(rs)))
            dcell = ", ".join(dd)
        else:
            dcell = ""
        w("| %s | %s (%s) | %s | %s | %s |" % (v, fmt_n(best), bname, " | ".join(parts), tcell, dcell))
    w("")
    # plot: median executions per variant and engine
    if variants and configs:
        W, H = 940, 60 + 34 * len(variants) * 1 + 70
        fig = new_figure(W, H)
        ax = fig.add_axes([300 / W, 60 / H, (W - 340) / W, (H - 110) / H])
        fig.suptitle("median executions to bug (log scale; hatched: a lower bound)", y=1 - 12 / H, va="top",
                     fontsize=11, fontweight="bold")
        vals = [med[k][0] for k in med if med[k][0]]
        a, b = log_axis(min(vals) * 0.8, max(vals) * 1.2)
        rows_on_log_axis(ax, a, b, variants, lambda k: fmt_n(10 ** k))
        bh = 0.8 / len(configs)
        for j, c in enumerate(configs):
            for i, v in enumerate(variants):
                ex, exl = med.get((v, c), (None, False))[:2]
                if not ex:
                    continue
                ax.barh(i + 0.1 + bh * (j + 0.5), ex - 10 ** a, left=10 ** a, height=bh * 0.9,
                        color=ENGINE_COLORS.get(c, "#999999"), hatch="//" if exl else None,
                        edgecolor="white" if exl else None)
        fig.legend(handles=[Patch(color=ENGINE_COLORS.get(c, "#999999"), label=c) for c in configs],
                   loc="lower center", ncol=len(configs), frameon=False)
        save(fig, os.path.join(imgd, "engines.svg"))
        w("![median executions to bug per engine](bench/engines.svg)")
        w("")
    if abl:
        acfg = []
        for r in abl:
            if r["config"] not in acfg:
                acfg.append(r["config"])
        acfg = in_order(acfg, ABL_ORDER)
        avars = []
        for r in abl:
            if r["variant"] not in avars:
                avars.append(r["variant"])
        acell = {}
        for r in abl:
            acell.setdefault((r["config"], r["variant"]), []).append(r)
        w("### Ablation on the two deepest races")
        w("")
        base = mach.get("ablation_base")
        w("%s trials per cell%s. Each row changes one setting from the base (the first row)%s."
          " Environment: `MMFUZZ_MUTATOR=0` (the engine's own byte mutations only),"
          " `MMFUZZ_MUT_REVERSE=0` (no reversal of conflicting pairs), `MMFUZZ_MUT_CAP=3` (PCT-like:"
          " about three preemptions at most), `MMFUZZ_FEEDBACK=0|switch|rf|lock|order`"
          " (sched/feedback.h). *ASan build* is the libfuzzer preset with the base settings; *afl*"
          " rows are AFL++ with and without the custom mutator library." % (
              mach.get("ablation_trials", mach.get("trials", "?")),
              (" (%s)" % mach["ablation_date"]) if mach.get("ablation_date") else "",
              (": %s" % base) if base else ""))
        w("")
        w("| configuration | " + " | ".join(avars) + " |")
        w("|---|" + "---|" * len(avars))
        for c in acfg:
            cells = []
            for v in avars:
                cells.append(trial_cell(acell.get((c, v), []))[0])
            w("| %s | %s |" % (c, " | ".join(cells)))
        w("")
        speed = {}
        for c in ("libfuzzer", "base: reverse 25%", "ASan build", "afl"):
            rs = [r for r in abl if r["config"] == c and fnum(r["seconds"], 0) > 0]
            if rs:
                speed["libfuzzer" if c.startswith("base") else c] = statistics.median(
                    fnum(r["executions"], 0) / fnum(r["seconds"], 1) for r in rs)
        if "libfuzzer" in speed and "ASan build" in speed:
            w("Executions per second in these trials (median over trials, two trials sharing the two")
            w("cores, the base settings): libfuzzer-fast preset %s/s, libfuzzer preset (ASan) %s/s (%.1fx)%s." % (
                fmt_n(speed["libfuzzer"]), fmt_n(speed["ASan build"]), speed["libfuzzer"] / speed["ASan build"],
                (", AFL++ (ASan, fork server) %s/s" % fmt_n(speed["afl"])) if "afl" in speed else ""))
            w("")
    fb = [r for r in rows if r["table"] == "feedback"]
    if fb:
        fcfg, fvars, fcell = [], [], {}
        for r in fb:
            if r["config"] not in fcfg:
                fcfg.append(r["config"])
            if r["variant"] not in fvars:
                fvars.append(r["variant"])
            fcell.setdefault((r["config"], r["variant"]), []).append(r)
        w("### Feedback kinds with the default mutator")
        w("")
        w("After the ablation above made reverse-off the default, the feedback kinds again, on the")
        w("default mutator, %s trials per cell (`MMFUZZ_FEEDBACK`; the same seeds as the main table, so" % max(len(v) for v in fcell.values()))
        w("*all kinds* and *off* repeat its runs with the same executions where a trial ended in time;")
        w("times are not comparable, builds shared the machine during part of this pass):")
        w("")
        w("| feedback | " + " | ".join(fvars) + " |")
        w("|---|" + "---|" * len(fvars))
        for c in fcfg:
            w("| %s | %s |" % (c, " | ".join(trial_cell(fcell.get((c, v), []))[0] for v in fvars)))
        w("")
    notes = os.path.join(data, "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            w(f.read().rstrip())
        w("")


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: bench/report.py OUT\n")
        sys.exit(2)
    out = sys.argv[1]
    load_matplotlib()
    data = os.path.join(out, "data", "bench")
    imgd = os.path.join(out, "bench")
    os.makedirs(imgd, exist_ok=True)
    mach = {r["key"]: r["value"] for r in (read(os.path.join(data, "machine.csv")) or [])}
    ttb = read(os.path.join(data, "ttb.csv")) or []
    tput = read(os.path.join(data, "throughput.csv")) or []
    size = read(os.path.join(data, "scaling_size.csv")) or []
    rep = read(os.path.join(data, "replay.csv")) or []
    rer = read(os.path.join(data, "stress_rerun.csv")) or []
    exp = read(os.path.join(data, "explore.csv")) or []
    limit = fnum(mach.get("trial_limit_s"), 60)
    mode = mach.get("mode", "?")
    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w("How fast mmfuzz finds the historic races, how fast it runs, and how well its findings")
    w("reproduce, against the real-thread stress baseline (`mmfuzz stress`: the same model, workload")
    w("generator and sanitizer on pthreads, no controlled scheduler). Regenerate everything with")
    w("`bench/run.sh --full` (this page, raw CSV in [data/bench/](data/bench/), plots in")
    w("[bench/](bench/)); `bench/run.sh --quick` is a smaller run (under 10 minutes once built).")
    w("")
    w("| | |")
    w("|---|---|")
    w("| mode | %s (%s trials per cell, %s s limit per trial) |" % (mode, mach.get("seeds_per_cell", "?"), mach.get("trial_limit_s", "?")))
    w("| commit | `%s` |" % mach.get("commit", "?"))
    w("| date | %s |" % mach.get("date", "?"))
    w("| machine | %s, %s cores, %s GiB, Linux %s |" % (mach.get("cpu", "?"), mach.get("cores", "?"), mach.get("memory_gib", "?"), mach.get("kernel", "?")))
    w("| compilers | %s; %s; %s |" % (mach.get("gcc", "?"), mach.get("clang", "?"), mach.get("afl", "?") or "AFL++ not installed"))
    if mach.get("total_s"):
        w("| run time | %.0f min |" % (fnum(mach["total_s"], 0) / 60))
    w("")

    engines = [(e, n) for e, n in ENGINES if any(r["engine"] == e for r in ttb)]
    cells = {}
    for r in ttb:
        cells.setdefault((r["variant"], r["engine"]), []).append(r)

    def cell_stats(v, e):
        rs = cells.get((v, e), [])
        if not rs:
            return None
        n = len(rs)
        found = [r for r in rs if r["found"] == "1"]
        # a trial that did not find counts as the limit (engines overshoot it
        # by their shutdown time)
        ts = [fnum(r["seconds"], limit) if r["found"] == "1" else limit for r in rs]
        xs_found = [fnum(r["executions"], 0) for r in found]
        med_t, lower = censored_median(ts, len(found), n)
        return {
            "n": n, "found": len(found), "med_t": med_t, "lower": lower,
            "max_t": max(ts), "med_x": statistics.median(xs_found) if xs_found else None,
            "max_x": max(xs_found) if xs_found else None,
            "other": sorted({r["class"][6:] for r in rs if r["class"].startswith("other:")}),
        }

    # ---- targets
    if ttb:
        w("## Where we stand against the targets")
        w("")
        w("| target | status |")
        w("|---|---|")
        best_ok = []
        for v in VARIANTS:
            ok = []
            for e in ("random", "pct", "libfuzzer-fb"):
                st = cell_stats(v, e)
                if st and st["found"] == st["n"] and st["med_t"] < 10 and st["max_t"] < 60:
                    ok.append(e)
            best_ok.append((v, ok))
        nok = sum(1 for _, ok in best_ok if ok)
        miss = [v for v, ok in best_ok if not ok]
        w("| every variant: median < 10 s and every trial < 60 s (built-in or libFuzzer) | %s of 8 met%s |"
          % (nok, ("; not met: " + ", ".join(miss)) if miss else ""))
        ratios = []
        for v in VARIANTS:
            a = cell_stats(v, "random")
            s = cell_stats(v, "stress")
            if a and s and a["med_t"]:
                ratios.append((v, s["med_t"] / a["med_t"], s["lower"] or a["lower"], s))
        if ratios:
            n100 = sum(1 for _, r, _, _ in ratios if r >= 100)
            w("| at least 100x faster than the stress baseline (median time, built-in random) | %d of %d variants |"
              % (n100, len(ratios)))
        if rep:
            tot = sum(int(r["replays"]) for r in rep)
            same = sum(int(r["identical"]) for r in rep)
            w("| replay 1,000 of 1,000 | %s of %s replays identical (%d reproducers x %s) |"
              % (f"{same:,}", f"{tot:,}", len(rep), rep[0]["replays"]))
        w("")

    # ---- time-to-bug
    if ttb:
        w("## Time to bug, per variant and engine")
        w("")
        w("Each cell: **median time to bug**, (median executions), found/trials, and the slowest trial.")
        w("The generic workload (program `mm`, no parameters) with one variant switched on; a trial ends")
        w("at the first failure of a class BUGS.md names for the variant, or at the limit (%g s)." % limit)
        w("Not-found trials count as the limit, so a median marked `>=` is a lower bound. The built-in")
        w("engine and the stress baseline run the same gcc build with the model's own checks (page state,")
        w("leak audit, data shadow, object lifetimes) and pass over failures of other classes; libFuzzer")
        w("and AFL++ run their ASan builds, where a sanitizer report of another class ends the trial")
        if mach.get("stress_alone") == "1":
            w("(`stopped on`). The engines' trials ran %s at a time, one core each; the stress baseline's"
              % mach.get("concurrent_trials", "?"))
            w("trials ran one at a time with all %s cores to itself (its threads race in parallel)."
              % mach.get("cores", "?"))
        else:
            w("(`stopped on`). Trials ran %s at a time on the %s cores, the stress baseline's among them:"
              % (mach.get("concurrent_trials", "?"), mach.get("cores", "?")))
            w("every trial had one core's worth of CPU; the stress baseline's threads still ran in parallel")
            w("across both cores, sharing them with the trial beside it (`bench/run.sh --stress-alone`")
            w("gives them the whole machine, one trial at a time).")
        w("")
        w("![time to bug](bench/ttb.svg)")
        w("")
        w("| variant | " + " | ".join(n for _, n in engines) + " |")
        w("|---|" + "---|" * len(engines))
        for v in VARIANTS:
            row = []
            for e, _ in engines:
                st = cell_stats(v, e)
                if not st:
                    row.append("-")
                    continue
                med = ("&ge;" if st["lower"] else "") + fmt_s(st["med_t"])
                row.append("**%s** (%s) %d/%d, max %s%s" % (
                    med, fmt_n(st["med_x"]) if st["med_x"] is not None else "-", st["found"], st["n"],
                    ("&ge;" if st["found"] < st["n"] else "") + fmt_s(st["max_t"]),
                    (" [stopped on: %s]" % ", ".join(st["other"])) if st["other"] else ""))
            w("| %s | %s |" % (v, " | ".join(row)))
        w("")
        w("Executions are the engine's own count (libFuzzer's executed units, AFL++'s execs_done,")
        w("the stress baseline's completed runs). A trial that ended on a sanitizer report of a class")
        w("not sought for the variant is listed as `stopped on` and counted as not found.")
        w("")
        if ratios:
            w("**Speed-up over the stress baseline** (median time to bug of stress / built-in random; `>=`")
            w("where stress did not find the bug in most trials, so its median is the limit):")
            w("")
            w("| variant | stress found | stress median | built-in random median | speed-up |")
            w("|---|---|---|---|---|")
            for v, r, lower, s in ratios:
                a = cell_stats(v, "random")
                w("| %s | %d/%d | %s%s | %s | %s%.0fx |" % (
                    v, s["found"], s["n"], "&ge;" if s["lower"] else "", fmt_s(s["med_t"]),
                    fmt_s(a["med_t"]), "&ge;" if lower else "", r))
            w("")
        plot_ttb(ttb, engines, limit, os.path.join(imgd, "ttb.svg"))

    # ---- throughput
    if tput:
        w("## Throughput")
        w("")
        w("The generic workload on the fixed model, %s s per row, one core unless said otherwise. The built-in"
          % mach.get("throughput_s", "?"))
        w("engine is `mmfuzz hunt --jobs N`; libFuzzer runs from the generic seeds with an in-memory")
        w("corpus; AFL++ in persistent mode from the same seeds. Scheduling points per second for the")
        w("engines come from the targets' own count (`MMFUZZ_STATS_FILE`).")
        w("")
        w("| build | engine | jobs | executions | execs/s | scheduling points/s |")
        w("|---|---|---|---|---|---|")
        items = []
        for r in tput:
            w("| %s | %s | %s | %s | %s | %s |" % (r["build"], r["engine"], r["jobs"], fmt_n(fnum(r["executions"])),
                                                  fmt_n(fnum(r["execs_per_sec"])),
                                                  fmt_n(fnum(r["points_per_sec"])) if r["points_per_sec"] else "-"))
            col = {"default": "#1f77b4", "asan": "#9467bd", "tsan": "#8c564b", "libfuzzer": "#2ca02c",
                   "afl": "#ff7f0e"}.get(r["build"], "#d62728")
            bname = {"default": "gcc", "asan": "ASan", "tsan": "TSan", "libfuzzer": "clang+ASan",
                     "afl": "afl-clang-fast+ASan"}.get(r["build"], r["build"])
            jobs = ("%s job%s" % (r["jobs"], "" if r["jobs"] == "1" else "s")) if r["jobs"].isdigit() else r["jobs"]
            items.append(("%s, %s, %s" % (r["engine"], bname, jobs), fnum(r["execs_per_sec"]), col))
        w("")
        w("![throughput](bench/throughput.svg)")
        w("")
        j1 = [fnum(r["execs_per_sec"]) for r in tput if r["build"] == "default" and r["jobs"] == "1" and "hunt" in r["engine"]]
        j2 = [fnum(r["execs_per_sec"]) for r in tput if r["build"] == "default" and r["jobs"] == "2" and "hunt" in r["engine"]]
        if j1 and j2 and j1[0]:
            w("Scaling over cores: `hunt --jobs 2` runs %.2fx the executions per second of `--jobs 1` (gcc build)." % (j2[0] / j1[0]))
            w("")
        plot_bars(items, "Executions per second (generic workload, fixed model)", "executions per second (log scale)",
                  os.path.join(imgd, "throughput.svg"))

    # ---- scaling with workload size
    if size:
        w("## Executions to bug against workload size")
        w("")
        w("The built-in random engine (gcc build) with one workload parameter fixed and the others drawn")
        w("as usual; median executions to bug over seeds (not-found trials count as the executions run).")
        w("")
        w("![scaling](bench/scaling.svg)")
        w("")
        vs = sorted({r["variant"] for r in size})
        w("| parameter | " + " | ".join(vs) + " |")
        w("|---|" + "---|" * len(vs))
        keys = []
        for r in size:
            k = (r["param"], int(r["value"]))
            if k not in keys:
                keys.append(k)
        for p, val in keys:
            row = []
            for v in vs:
                rs = [r for r in size if r["variant"] == v and r["param"] == p and int(r["value"]) == val]
                xs = [fnum(r["executions"], 0) for r in rs]
                nf = sum(1 for r in rs if r["found"] == "1")
                row.append("%s (%d/%d)" % (fmt_n(statistics.median(xs)) if xs else "-", nf, len(rs)))
            w("| %s=%d | %s |" % (p, val, " | ".join(row)))
        w("")
        plot_scaling(size, os.path.join(imgd, "scaling.svg"))

    # ---- reproducibility
    if rep or rer:
        w("## Reproducibility")
        w("")
    if rep:
        w("Each committed reproducer (corpus/regressions/) replayed in a fresh process, gcc build; a")
        w("replay counts as identical when it fails and both its re-recorded trace and its output are")
        w("byte-identical to the first replay's (heap addresses in report texts masked: they move with ASLR).")
        w("")
        w("| reproducer | class | replays | identical failures | ms per replay |")
        w("|---|---|---|---|---|")
        for r in rep:
            w("| %s | %s | %s | %s | %s |" % (r["reproducer"], r["class"], r["replays"], r["identical"], r["ms_per_replay"]))
        w("")
    if rer:
        w("The stress baseline has no reproducer: the nearest thing is to run the configuration that")
        w("failed once (same variant, same workload seed, same number of executions) again:")
        w("")
        w("| variant | seed | executions | reruns | failed again | seconds |")
        w("|---|---|---|---|---|---|")
        for r in rer:
            w("| %s | %s | %s | %s | %s | %s |" % (r["variant"], r["seed"], r["executions"], r["reruns"],
                                                r["failed_again"], fmt_s(fnum(r["seconds"]))))
        w("")
    elif ttb:
        w("The stress baseline found no variant in this run, so there was no failing configuration to rerun.")
        w("")

    # ---- exhaustive
    if exp:
        w("## Exhaustive search")
        w("")
        w("`mmfuzz explore` over every schedule with at most K preemptions of each focused scenario")
        w("(corpus/focused/), gcc build, with the fixed model and with the scenario's historic variant;")
        w("first failure = the number of schedules explored up to the first failing one.")
        w("")
        w("| scenario | model | bound | schedules | complete | failing | first failure | seconds | schedules/s |")
        w("|---|---|---|---|---|---|---|---|---|")
        for r in exp:
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["scenario"], r["model"], r["bound"], f"{int(r['schedules']):,}" if r["schedules"] else "-",
                "yes" if r["complete"] == "1" else "no", r["failing"] or "0",
                ("%s (%s)" % (r["first_failure"], r["first_class"])) if r["first_failure"] else "-",
                fmt_s(fnum(r["seconds"])), fmt_n(fnum(r["schedules_per_sec"]))))
        w("")

    notes = os.path.join(data, "notes.md")
    if os.path.exists(notes):
        w("## Notes on this run")
        w("")
        with open(notes) as f:
            w(f.read().rstrip())
        w("")

    engines_section(out, imgd, w)

    # ---- the checked heap's cost (bench/kasan_cost.sh writes data/kasan_cost.md)
    kc = os.path.join(out, "data", "kasan_cost.md")
    if os.path.exists(kc):
        w("## Cost of the checked heap")
        w("")
        w("The default build checks every model load, store and primitive against the checked heap's")
        w("shadow (docs/scheduler.md, \"Checked heap\"). `bench/kasan_cost.sh` builds the same gcc tree")
        w("with the checked heap and without it (`-DMMF_KASAN=OFF`: poison and quarantine only, the")
        w("default build before it), and the asan preset, and hunts the fixed model with each in turn,")
        w("same seed and budget. Target: at most 2x the plain build and several times faster than ASan.")
        w("")
        with open(kc) as f:
            w(f.read().rstrip())
        w("")

    # ---- the mutation self-test (bench/mutants/run.sh writes data/mutants/)
    mut_table = os.path.join(out, "data", "mutants", "table.md")
    if os.path.exists(mut_table):
        w("## Mutation self-test")
        w("")
        w("Does mmfuzz catch the mistakes it is meant for, in code it has never seen fail? Each mutant")
        w("in [bench/mutants/](../bench/mutants/) is one small, realistic kernel-style mistake in core/:")
        w("a dropped lock pair, a wrong lock, a missing or doubled get or put, a removed re-check after")
        w("taking a lock, a publish before initialisation, a skipped free, a removed RCU read section, a")
        w("reference dropped before its last use. `bench/mutants/run.sh` applies each mutant to a scratch")
        w("copy of the tree (one scratch build per preset, re-applied incrementally), builds it, runs")
        w("`mmfuzz hunt --bugs none --jobs 1 --execs N --seed S` (stopped at its first finding), and")
        w("reverts. **The target: every mutant that can fail under some interleaving is caught by the")
        w("default build within 1.5M executions, and the report names the mutated function or its caller")
        w("in most cases.** A mutant that no interleaving of the model can make fail (an unlocked")
        w("read-modify-write with no scheduling point inside) says so in its file (`expect: cannot-fail`,")
        w("with the reason) and is listed, not counted.")
        w("")
        w("    bench/mutants/run.sh --builds default --execs 1500000 --seeds 1,2   # the full default pass")
        w("    bench/mutants/run.sh --builds default,asan,tsan --jobs 2             # all three builds")
        w("    bench/mutants/run.sh --only 09 --execs 100000 --seeds 1              # one mutant, quickly")
        w("    bench/mutants/mutants.py check                                       # every mutant still applies")
        w("")
        w("The run is resumable: a cell (build, mutant, seed) already measured on the same tree (core/,")
        w("sched/, fuzz/, cmake/, the CMake files), mutant file and budget is kept, so after a change to")
        w("the model or the oracles the same command measures everything again, and an interrupted run")
        w("goes on where it stopped (`--force` measures again regardless). Results: one JSON per cell in")
        w("[data/mutants/raw/](data/mutants/raw/), gathered into [results.json](data/mutants/results.json)")
        w("and [table.md](data/mutants/table.md) (`bench/mutants/mutants.py report` rewrites both).")
        w("")
        w("*Names the function*: the hunt's signature of the first finding, the report of its replay")
        w("(`mmfuzz replay --quiet`: failure line, task, reporting site) and the functions of the failing")
        w("task's last 8 scheduling points in the replay table are searched for the mutated function's")
        w("name or the name of a direct caller (a function in core/*.c whose body calls it: `mutants.py")
        w("callers NAME`, a grep over top-level function bodies, one level, no function pointers).")
        w("")
        with open(mut_table) as f:
            w(f.read().rstrip())
        w("")
        mut_notes = os.path.join(out, "data", "mutants", "notes.md")
        if os.path.exists(mut_notes):
            with open(mut_notes) as f:
                w(f.read().rstrip())
            w("")

    # exec mode against RFF and PERIOD, and its speed: written by hand from
    # bench/exec/ (plot.py, speed.sh) runs, kept beside their data
    exec_notes = os.path.join(out, "data", "exec", "notes.md")
    if os.path.exists(exec_notes):
        with open(exec_notes) as f:
            w(f.read().rstrip())
        w("")

    w("## Raw data")
    w("")
    w("CSV files in [data/bench/](data/bench/): machine.csv, ttb.csv (one row per trial), throughput.csv,")
    w("scaling_size.csv, replay.csv, stress_rerun.csv, explore.csv. bench/trial.sh runs one trial by hand.")
    w("")
    with open(os.path.join(out, "benchmarks.md"), "w") as f:
        f.write("\n".join(L))
    print("wrote %s" % os.path.join(out, "benchmarks.md"))


if __name__ == "__main__":
    main()
