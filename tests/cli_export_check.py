"""tests/cli_export_check.py DB RUN REGION MONTH BY SITE_XLSX TOWN_XLSX CSV

Reads the workbooks `zhucan export` wrote back with openpyxl and checks
them against settlement(REGION, MONTH) computed by the sqlite3 shell with
the extension (an independent process; the run was settled from the same
data, so its lines are settlement()'s):
  - 明细: every line (site, item, payer) has settlement()'s quantity and
    amount, amounts are numbers formatted 0.00, and no line is missing;
  - every site sheet: its lines, and its subtotals are SUM formulas whose
    cells add up (evaluated here) to the stored value and to settlement();
  - 汇总: each row's formulas point at a sheet cell holding the right
    money, the 合计 row is SUM over the column, the SUMIFS by payer give
    settlement()'s totals;
  - Chinese headers; the township workbook's 乡镇合计 formulas;
  - the CSV starts with a UTF-8 BOM and its yuan equal settlement()'s fen.
"""
import csv, io, re, subprocess, sys
import openpyxl
from openpyxl.utils import column_index_from_string, range_boundaries

db, run, region, month, so, site_x, town_x, csv_path = sys.argv[1:9]
fails = []


def check(ok, what):
    if not ok:
        fails.append(what)


def sql(q):
    out = subprocess.run(["sqlite3", "-cmd", ".load " + so, db, q], capture_output=True, text=True, check=True)
    return [l.split("|") for l in out.stdout.splitlines()]


# settlement() by (site, item, payer): quantity, fen
truth = {}
for s, item, payer, q, fen in sql(
        f"SELECT site_id, item, payer, sum(quantity), sum(amount_fen) FROM settlement('{region}', '{month}') "
        "GROUP BY 1, 2, 3 HAVING sum(amount_fen) <> 0"):
    truth[(int(s), item, payer)] = (int(q), int(fen))
pub = {}
cop = {}
for (s, item, payer), (q, fen) in truth.items():
    d = cop if payer == "elder" else pub
    d[s] = d.get(s, 0) + fen
by_payer = {}
for (s, item, payer), (q, fen) in truth.items():
    a = by_payer.setdefault((item, payer), [0, 0])
    a[0] += q
    a[1] += fen


def fen(v):
    return round(v * 100)


def cell_value(wbv, sheet, ref):
    return wbv[sheet][ref].value


def eval_formula(wbf, wbv, sheet, f):
    """=SUM(A1,B2) =SUM(A1:A9) ='sheet'!G5 =0 =SUMIFS(...)"""
    f = f.lstrip("=")
    m = re.fullmatch(r"'([^']+)'!([A-Z]+[0-9]+)", f)
    if m:
        return cell_value(wbv, m.group(1), m.group(2))
    if f == "0":
        return 0
    m = re.fullmatch(r"SUM\((.*)\)", f)
    if m:
        tot = 0
        for part in m.group(1).split(","):
            if ":" in part:
                c1, r1, c2, r2 = range_boundaries(part)
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        v = wbv[sheet].cell(r, c).value
                        tot += v if isinstance(v, (int, float)) else 0
            else:
                tot += wbv[sheet][part].value
        return tot
    m = re.fullmatch(r"SUMIFS\('([^']+)'!([A-Z]+[0-9]+:[A-Z]+[0-9]+),'[^']+'!([A-Z]+[0-9]+:[A-Z]+[0-9]+),\"([^\"]*)\","
                     r"'[^']+'!([A-Z]+[0-9]+:[A-Z]+[0-9]+),\"([^\"]*)\"\)", f)
    if m:
        sh, rng, c1r, v1, c2r, v2 = m.groups()
        col = lambda r: range_boundaries(r)
        a, r1, _, r2 = col(rng)
        b, _, _, _ = col(c1r)
        c, _, _, _ = col(c2r)
        tot = 0
        for r in range(r1, r2 + 1):
            if wbv[sh].cell(r, b).value == v1 and wbv[sh].cell(r, c).value == v2:
                tot += wbv[sh].cell(r, a).value or 0
        return tot
    raise ValueError("formula not understood: " + f)


def check_workbook(path, township):
    wbf = openpyxl.load_workbook(path)                  # formulas
    wbv = openpyxl.load_workbook(path, data_only=True)  # the values stored with them
    names = wbf.sheetnames
    check(names[:2] == ["汇总", "明细"], f"{path}: first sheets {names[:2]}")
    det = wbv["明细"]
    heads = [det.cell(3, c).value for c in range(1, 9)]
    check(heads == ["站点编号", "站点", "乡镇", "项目", "付款方", "付款方（中文）", "数量", "金额（元）"], f"明细 headers {heads}")
    seen = {}
    for r in range(4, det.max_row + 1):
        s, item, payer, q, amt = (det.cell(r, 1).value, det.cell(r, 4).value, det.cell(r, 5).value,
                                  det.cell(r, 7).value, det.cell(r, 8))
        if s is None:
            continue
        check(isinstance(amt.value, (int, float)) and amt.number_format == "0.00",
              f"明细 row {r}: amount {amt.value!r} format {amt.number_format}")
        seen[(int(s), item, payer)] = (q, fen(amt.value))
    check(seen == truth, f"{path}: 明细 lines differ from settlement(): {sorted(set(seen.items()) ^ set(truth.items()))[:4]}")
    nformula = 0
    for name in names[2:]:
        wsf, wsv = wbf[name], wbv[name]
        check(wsf.cell(3, 7).value == "金额（元）", f"{name}: header {wsf.cell(3, 7).value}")
        town_pub = town_cop = 0
        for r in range(4, wsf.max_row + 1):
            label, kind, f = wsf.cell(r, 3).value, wsf.cell(r, 5).value, wsf.cell(r, 7).value
            if label in ("小计", "乡镇合计"):
                check(isinstance(f, str) and f.startswith("="), f"{name} row {r}: total is not a formula: {f!r}")
                nformula += 1
                stored = wsv.cell(r, 7).value
                got = eval_formula(wbf, wbv, name, f)
                check(fen(got) == fen(stored), f"{name} row {r}: {f} adds up to {got}, stored {stored}")
                if label == "小计":
                    s = int(wsf.cell(r, 1).value)
                    want = pub.get(s, 0) if kind == "公共资金" else cop.get(s, 0)
                    check(fen(stored) == want, f"{name} row {r}: site {s} {kind} {stored}, settlement() {want}")
                    if kind == "公共资金":
                        town_pub += want
                    else:
                        town_cop += want
                else:
                    want = town_pub if kind == "公共资金" else town_cop
                    check(fen(stored) == want, f"{name} row {r}: township {kind} {stored}, settlement() {want}")
        if township:
            check(any(wsf.cell(r, 3).value == "乡镇合计" for r in range(1, wsf.max_row + 1)), f"{name}: no 乡镇合计")
    check(nformula >= 2 * len(pub), f"{path}: {nformula} subtotal formulas for {len(pub)} sites")
    # 汇总
    sf, sv = wbf["汇总"], wbv["汇总"]
    tot_row = None
    rows = 0
    for r in range(4, sf.max_row + 1):
        if sf.cell(r, 2).value == "合计":
            tot_row = r
            break
        rows += 1
        for c in (6, 7):
            f = sf.cell(r, c).value
            check(isinstance(f, str) and f.startswith("='"), f"汇总 row {r}: not a reference formula: {f!r}")
            check(fen(eval_formula(wbf, wbv, "汇总", f)) == fen(sv.cell(r, c).value), f"汇总 row {r} col {c}")
    check(tot_row is not None, "汇总 has no 合计 row")
    for c, want in ((6, sum(pub.values())), (7, sum(cop.values()))):
        f = sf.cell(tot_row, c).value
        check(f == f"=SUM({sf.cell(4, c).coordinate}:{sf.cell(tot_row - 1, c).coordinate})", f"合计 formula {f}")
        check(fen(eval_formula(wbf, wbv, "汇总", f)) == want == fen(sv.cell(tot_row, c).value),
              f"合计 col {c}: {sv.cell(tot_row, c).value} vs settlement() {want}")
    found = {}
    for r in range(tot_row + 1, sf.max_row + 1):
        f = sf.cell(r, 5).value
        if isinstance(f, str) and f.startswith("=SUMIFS"):
            item, payer = sf.cell(r, 1).value, sf.cell(r, 2).value
            q = eval_formula(wbf, wbv, "汇总", sf.cell(r, 4).value)
            a = eval_formula(wbf, wbv, "汇总", f)
            check(fen(a) == fen(sv.cell(r, 5).value) and q == sv.cell(r, 4).value, f"汇总 by payer row {r}")
            found[(item, payer)] = [q, fen(a)]
    check(found == by_payer, f"by payer {found} vs settlement() {by_payer}")
    return len(names)


n1 = check_workbook(site_x, False)
check(n1 == 2 + len(set(s for s, _, _ in truth)), f"{site_x}: {n1} sheets")
check_workbook(town_x, True)
raw = open(csv_path, "rb").read()
check(raw.startswith(b"\xef\xbb\xbf"), "CSV without a UTF-8 BOM")
rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
for r in rows:
    if r["kind"] == "line":
        check(truth.get((int(r["site_id"]), r["item"], r["payer"]), (None, None))[1] == int(r["amount_fen"]),
              f"CSV line {r}")
    f = int(r["amount_fen"])
    check(r["amount_yuan"] == "%s%d.%02d" % ("-" if f < 0 else "", abs(f) // 100, abs(f) % 100), f"CSV yuan {r}")
check(sum(1 for r in rows if r["kind"] == "line") == len(truth), "CSV lines")
for f in fails:
    print("FAIL:", f)
print("export check:", "ok" if not fails else f"{len(fails)} failures", f"({len(truth)} lines)")
sys.exit(1 if fails else 0)
