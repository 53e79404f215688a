#!/usr/bin/python3
"""tools/perfplot.py RESULTS.tsv OUTDIR — the province bench's curve.

Reads the rows bench/province.sh measured (size, meals, elders, file bytes,
pass, variant, cpu_s, wall_s, rss_kib, result) and writes, from those rows
only:
  OUTDIR/province.svg  two panels against meals in the month (log scale):
                       CPU microseconds per meal (warm; dashed: cold) per
                       pass and baseline, and max RSS per pass;
  OUTDIR/province.md   the table of every measurement and the targets of
                       issue #20 checked against them (met / NOT met).
No plotting library: the SVG is written by hand.
"""
import csv
import math
import os
import sys

PASSES = ["settlement", "settle", "replay", "anomaly_scan", "subsidy_for", "needs_watch", "notices",
          "floor_elder", "floor_time", "plain_sql"]
COLOURS = {
    "settlement": "#c0392b", "settle": "#8e44ad", "replay": "#2980b9", "anomaly_scan": "#27ae60",
    "subsidy_for": "#d35400", "needs_watch": "#16a085", "notices": "#f39c12", "floor_elder": "#7f8c8d",
    "floor_time": "#95a5a6", "plain_sql": "#2c3e50",
}
LABEL = {
    "floor_elder": "read floor (meal_elder_time)", "floor_time": "read floor (meal_time)",
    "plain_sql": "plain SQL (window)",
}
GIB = 1024 * 1024  # KiB
# The variant that measures the computation: warm, except settle (one run
# per connection: a second would be refused) and subsidy_for (a second
# query on the same connection answers from the prices of the first).
COMPUTE = {"settle": "fresh", "subsidy_for": "fresh"}


def load(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            for k in ("meals", "elders", "file_bytes", "rss_kib"):
                r[k] = int(float(r[k]))
            for k in ("cpu_s", "wall_s"):
                r[k] = float(r[k])
            rows.append(r)
    # by size (meals), then in the bench's order of passes and variants: a
    # run that re-measured some passes (PROV_KEEP) writes its rows after the
    # kept ones
    passes = ["settlement", "settle", "replay", "anomaly_scan", "subsidy_for", "needs_watch", "notices",
              "floor_elder", "floor_time", "plain_sql"]
    variants = ["cold", "warm", "fresh"]
    first = {}
    for i, r in enumerate(rows):
        first.setdefault(r["size"], (r["meals"], i))
    def key(ir):
        i, r = ir
        return (first[r["size"]], passes.index(r["pass"]) if r["pass"] in passes else len(passes),
                variants.index(r["variant"]) if r["variant"] in variants else len(variants), i)
    return [r for _, r in sorted(enumerate(rows), key=key)]


def per_meal_us(r):
    return r["cpu_s"] * 1e6 / r["meals"] if r["meals"] else 0.0


def series(rows, p, variant, key):
    if variant == "compute":
        variant = COMPUTE.get(p, "warm")
    pts = [(r["meals"], key(r)) for r in rows if r["pass"] == p and r["variant"] == variant]
    return sorted(pts)


def fmt_meals(n):
    if n >= 1e6:
        return "%.1fM" % (n / 1e6)
    return "%.0fk" % (n / 1e3)


def nice(v):
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above v."""
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def panel(out, x0, y0, w, h, rows, title, ylabel, key, variants, ymax_hint=None, hline=None, dash_cold=True):
    pts_all = [pt for p in PASSES for v in variants for pt in series(rows, p, v, key)]
    if not pts_all:
        return
    xs = [p[0] for p in pts_all]
    lo, hi = math.log10(min(xs)), math.log10(max(xs))
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    ymax = max(p[1] for p in pts_all)
    if hline:
        ymax = max(ymax, hline[0])
    ymax = nice(ymax * 1.05)
    if ymax_hint:
        ymax = max(ymax, ymax_hint)

    def X(m):
        return x0 + (math.log10(m) - lo) / (hi - lo) * w

    def Y(v):
        return y0 + h - v / ymax * h

    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (x0, y0, w, h))
    out.append('<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>' % (x0, y0 - 10, title))
    out.append('<text x="%d" y="%d" font-size="11" transform="rotate(-90 %d %d)" text-anchor="middle">%s</text>'
               % (x0 - 45, y0 + h / 2, x0 - 45, y0 + h / 2, ylabel))
    for i in range(6):
        v = ymax * i / 5
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (x0, x0 + w, Y(v), Y(v)))
        out.append('<text x="%d" y="%.1f" font-size="10" text-anchor="end">%s</text>'
                   % (x0 - 4, Y(v) + 3, ("%.2f" % v) if ymax < 10 else ("%.0f" % v)))
    for m in sorted(set(xs)):
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>' % (X(m), X(m), y0, y0 + h))
        out.append('<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>' % (X(m), y0 + h + 14, fmt_meals(m)))
    out.append('<text x="%d" y="%d" font-size="11" text-anchor="middle">meals in the month (log scale)</text>'
               % (x0 + w / 2, y0 + h + 30))
    if hline:
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="6,3"/>'
                   % (x0, x0 + w, Y(hline[0]), Y(hline[0])))
        out.append('<text x="%d" y="%.1f" font-size="10" fill="#c00" text-anchor="end">%s</text>'
                   % (x0 + w - 4, Y(hline[0]) - 4, hline[1]))
    for p in PASSES:
        for v in variants:
            pts = series(rows, p, v, key)
            if not pts:
                continue
            dash = ' stroke-dasharray="5,4"' if v == "cold" and dash_cold else ""
            path = " ".join("%.1f,%.1f" % (X(m), Y(val)) for m, val in pts)
            out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>' % (path, COLOURS[p], dash))
            for m, val in pts:
                out.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (X(m), Y(val), COLOURS[p]))


def svg(rows, path):
    W, H = 1100, 520
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>']
    panel(out, 70, 40, 430, 360, rows, "CPU per meal (solid: warm*; dashed: cold page cache)",
          "microseconds of CPU per meal", per_meal_us, ["compute", "cold"])
    rss_rows = [r for r in rows if r["variant"] == "cold"]
    panel(out, 610, 40, 430, 360, rss_rows, "max RSS of the process", "MiB", lambda r: r["rss_kib"] / 1024,
          ["cold"], hline=(1024, "1 GiB"), dash_cold=False)
    # legend
    ly = 450
    present = [p for p in PASSES if any(r["pass"] == p for r in rows)]
    for i, p in enumerate(present):
        lx = 70 + (i % 5) * 200
        yy = ly + (i // 5) * 20
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/>' % (lx, lx + 24, yy, yy, COLOURS[p]))
        out.append('<text x="%d" y="%d" font-size="11">%s</text>' % (lx + 30, yy + 4, LABEL.get(p, p)))
    out.append('<text x="70" y="%d" font-size="10">* settle and subsidy_for: a fresh connection (a second settle is refused; a second subsidy_for answers from cached prices). replay: in the connection that settled.</text>' % (H - 12))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def get(rows, size, p, v):
    for r in rows:
        if r["size"] == size and r["pass"] == p and r["variant"] == v:
            return r
    return None


def md(rows, path, svgname):
    sizes = []
    for r in rows:
        if r["size"] not in sizes:
            sizes.append(r["size"])
    L = ["<!-- written by tools/perfplot.py from build/bench-province/results.tsv: do not edit -->",
         "# Province bench: measured curve", "",
         "![cost per meal and RSS against meals](%s)" % svgname, "",
         "Variants: **cold** = a fresh connection after the file was dropped from the page cache; **warm** = the same statement again on that connection; **fresh** = a fresh connection in a second process on the page cache the first left. µs/meal and meals/s are of CPU (user + system, both threads where a pass has two).",
         "",
         "| size | meals | elders | file MiB | pass | variant | CPU s | wall s | wall/CPU | µs/meal | meals/s (CPU) | meals/s (wall) | RSS MiB |",
         "|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        mps = r["meals"] / r["cpu_s"] if r["cpu_s"] > 0 else 0
        mpw = r["meals"] / r["wall_s"] if r["wall_s"] > 0 else 0
        L.append("| %s | %d | %d | %.0f | %s | %s | %.2f | %.2f | %.2f | %.3f | %.0f | %.0f | %.0f |" % (
            r["size"], r["meals"], r["elders"], r["file_bytes"] / 1048576, r["pass"], r["variant"], r["cpu_s"],
            r["wall_s"], r["wall_s"] / r["cpu_s"] if r["cpu_s"] > 0 else 0, per_meal_us(r), mps, mpw,
            r["rss_kib"] / 1024))
    L += ["", "## Targets (issue #20), checked on these measurements", ""]
    if "county" in sizes and len(sizes) > 1:
        big = sizes[-1]
        L.append("Largest size: %s. County: the county fixture month." % big)
        L.append("")
        for p in ["settlement", "settle", "anomaly_scan", "subsidy_for"]:
            v = COMPUTE.get(p, "warm")
            a, b = get(rows, "county", p, v), get(rows, big, p, v)
            if a and b and a["meals"] and b["meals"]:
                ratio = per_meal_us(b) / per_meal_us(a) if per_meal_us(a) > 0 else float("inf")
                L.append("- cost per meal of %s (%s) at %s / county: %.3f / %.3f µs = **%.2f×** (target ≤ 1.25: %s)"
                         % (p, v, big, per_meal_us(b), per_meal_us(a), ratio, "met" if ratio <= 1.25 else "NOT met"))
    for p in ["settlement", "anomaly_scan"]:
        for v, target, what in (("warm", 2e6, "warm"), ("fresh", 1.5e6, "fresh connection"),
                                ("cold", 1.5e6, "fresh connection, file dropped from the page cache")):
            for clock, col in (("CPU", "cpu_s"), ("wall", "wall_s")):
                worst = None
                for s_ in sizes:
                    r = get(rows, s_, p, v)
                    if r and r[col] > 0:
                        mps = r["meals"] / r[col]
                        if worst is None or mps < worst[0]:
                            worst = (mps, s_)
                if worst:
                    L.append("- %s, %s: slowest %.2fM meals/s of %s (at %s) (target ≥ %.1fM: %s)"
                             % (p, what, worst[0] / 1e6, clock, worst[1], target / 1e6,
                                "met" if worst[0] >= target else "NOT met"))
    big = sizes[-1] if sizes else None
    if big:
        worst = max((r for r in rows if r["size"] == big and not r["pass"].startswith(("floor", "plain"))),
                    key=lambda r: r["rss_kib"], default=None)
        if worst:
            L.append("- largest RSS of a pass at %s: %s %.0f MiB (target ≤ 1024: %s)"
                     % (big, worst["pass"], worst["rss_kib"] / 1024, "met" if worst["rss_kib"] <= GIB else "NOT met"))
        r = get(rows, big, "settlement", "cold")
        if r and r["cpu_s"] > 0:
            q = r["wall_s"] / r["cpu_s"]
            L.append("- cold-cache settlement at %s: wall %.2f s / CPU %.2f s = %.2f (target ≤ 1.5: %s)"
                     % (big, r["wall_s"], r["cpu_s"], q, "met" if q <= 1.5 else "NOT met"))
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")
    return L


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tools/perfplot.py RESULTS.tsv OUTDIR")
    rows = load(sys.argv[1])
    os.makedirs(sys.argv[2], exist_ok=True)
    svg(rows, os.path.join(sys.argv[2], "province.svg"))
    lines = md(rows, os.path.join(sys.argv[2], "province.md"), "province.svg")
    for l in lines:
        if l.startswith("- ") or l.startswith("Largest"):
            print(l)
    print("wrote %s/province.svg and %s/province.md" % (sys.argv[2], sys.argv[2]))


if __name__ == "__main__":
    main()
