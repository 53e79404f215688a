# The fixture generator (build/zcgen): deterministic, well-formed, and its
# `planted` table is exactly what independent detectors (written here in
# Python, from SPEC "Anomaly kinds" and "Precise readings", default
# thresholds) find in the data.
# modes: plain
set -eu
GEN="$ZC_ROOT/build/zcgen"
[ -x "$GEN" ] || { echo "missing $GEN: run make"; exit 1; }
cd "$ZC_ROOT"
tmp=$(mktemp -d /tmp/zcgen_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. determinism: same seed twice -> identical dump; another seed differs
"$GEN" --scale small --seed 7 --out "$tmp/a.db" 2> "$tmp/a.err"
"$GEN" --scale small --seed 7 --out "$tmp/b.db" 2> /dev/null
"$GEN" --scale small --seed 8 --out "$tmp/c.db" 2> /dev/null
sa=$(sqlite3 "$tmp/a.db" .dump | sha256sum | cut -c1-64)
sb=$(sqlite3 "$tmp/b.db" .dump | sha256sum | cut -c1-64)
sc=$(sqlite3 "$tmp/c.db" .dump | sha256sum | cut -c1-64)
[ "$sa" = "$sb" ] || { echo "same seed, different dumps: $sa $sb"; exit 1; }
[ "$sa" != "$sc" ] || { echo "seeds 7 and 8 gave the same dump"; exit 1; }
grep -q 'unplanned=0 missed=0' "$tmp/a.err" || { cat "$tmp/a.err"; exit 1; }
grep -q 'meals/s=' "$tmp/a.err" || { echo "no meals/s in the summary"; exit 1; }

# 2. bad arguments are refused with a message, and leave no file behind
if "$GEN" --scale huge --out "$tmp/x.db" 2> "$tmp/x.err"; then echo "--scale huge accepted"; exit 1; fi
grep -q "scale 'huge'" "$tmp/x.err" || { cat "$tmp/x.err"; exit 1; }
if "$GEN" --scale small --month 2024-13 --out "$tmp/x.db" 2> "$tmp/x.err"; then echo "--month 2024-13 accepted"; exit 1; fi
if "$GEN" --scale small --schema /nonexistent.sql --out "$tmp/x.db" 2> "$tmp/x.err"; then echo "missing schema accepted"; exit 1; fi
[ ! -e "$tmp/x.db" ] || { echo "a failed run left $tmp/x.db"; exit 1; }

# 3. content checks on three seeds (the shipped one is seed 1)
# ZC_FIXTURE_SCALES="small county" checks bigger scales too (slow)
for run in ${ZC_FIXTURE_SCALES:-small}; do for seed in 1 7 8; do
  [ "$run" = small ] || [ $seed = 1 ] || continue
  db="$tmp/$run$seed.db"
  "$GEN" --scale $run --seed $seed --out "$db" 2> /dev/null
  /usr/bin/python3 - "$db" <<'PY'
import sqlite3, sys, datetime as dt
from collections import defaultdict
db = sqlite3.connect(sys.argv[1])
q = lambda sql, *a: db.execute(sql, a).fetchall()
fail = []
def check(cond, msg):
    if not cond: fail.append(msg)

# -- ID numbers, checked here from GB 11643 (weights and check characters)
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHK = "10X98765432"
birth = {}
for eid, idn, region in q("SELECT id, id_number, region FROM elder"):
    ok = len(idn) == 18 and idn[:17].isdigit()
    ok = ok and CHK[sum(int(c) * w for c, w in zip(idn[:17], W)) % 11] == idn[17]
    try: b = dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError: ok = False
    check(ok, f"elder {eid}: bad id_number {idn}")
    if ok: birth[eid] = b
    check(idn[:6] in ("141129",) or idn[:4] == "1401", f"elder {eid}: address code {idn[:6]}")

# -- counts for the small scale
n = {t: q(f"SELECT count(*) FROM {t}")[0][0] for t in
     ("region", "site", "device", "elder", "meal", "site_report", "card", "agreement", "elder_status", "bed_stay")}
if q("SELECT value FROM fixture WHERE key = 'scale'") == [("small",)]:
    check(100 <= n["elder"] <= 260, f"elders {n['elder']}")
    check(1200 <= n["meal"] <= 4000, f"meals {n['meal']}")
    check(5 <= n["site"] <= 10, f"sites {n['site']}")
check(n["device"] >= n["site"] and n["site_report"] > 0 and n["card"] > 0, f"counts {n}")
check(q("SELECT count(*) FROM region WHERE policy IS NOT NULL")[0] == (1,), "one region carries the policy")
check(q("SELECT policy FROM region WHERE parent IS NULL") == [("zhongyang",)], "policy on the top region")
check(q("SELECT count(*) FROM region WHERE level='hamlet' AND exempt IS NOT NULL")[0][0] >= 1, "exempt hamlets")
check(q("SELECT count(*) FROM region r JOIN region p ON p.code = r.parent WHERE substr(r.code, 1, length(p.code)) <> p.code") == [(0,)],
      "child codes extend their parent's")
check(set(x for (x,) in q("SELECT DISTINCT method FROM meal")) == {"card", "face", "manual", "delivery"}, "methods")
check(q("SELECT count(*) FROM meal WHERE method IN ('card','face') AND (device IS NULL OR token IS NULL)") == [(0,)], "card/face carry device and token")
check(q("SELECT count(*) FROM meal WHERE method IN ('manual','delivery') AND (device IS NOT NULL OR token IS NOT NULL)") == [(0,)], "manual/delivery carry none")
check(q("SELECT count(*) FROM meal m JOIN device d ON d.id = m.device WHERE d.site_id <> m.site_id") == [(0,)], "device belongs to the meal's site")
check(q("SELECT count(*) FROM meal m JOIN site s ON s.id = m.site_id WHERE ','||s.slots||',' NOT LIKE '%,'||m.slot||',%'") == [(0,)], "slot served by the site")
# meal ids follow served_at
check(q("SELECT count(*) FROM meal a JOIN meal b ON b.id = a.id + 1 WHERE b.served_at < a.served_at") == [(0,)], "ids in served_at order")

# -- validity ranges well formed
for t, f, to in (("elder_status", "valid_from", "valid_to"), ("card", "issued_on", "revoked_on"),
                 ("agreement", "signed_on", "ended_on"), ("bed_stay", "admitted_on", "left_on"),
                 ("site", "opened_on", "closed_on")):
    check(q(f"SELECT count(*) FROM {t} WHERE {to} IS NOT NULL AND {to} <= {f}") == [(0,)], f"{t}: {f} < {to}")
    check(q(f"SELECT count(*) FROM {t} WHERE date({f}) IS NOT {f} OR ({to} IS NOT NULL AND date({to}) IS NOT {to})") == [(0,)], f"{t}: dates")

# -- independent detectors
WIN = {"breakfast": ("06:00:00", "09:00:00"), "lunch": ("11:00:00", "13:30:00"), "dinner": ("17:00:00", "19:30:00")}
def on(frm, to, day): return frm <= day and (to is None or to > day)
status = defaultdict(list)
for e, s, f, t in q("SELECT elder_id, status, valid_from, valid_to FROM elder_status"): status[e].append((s, f, t))
agree = defaultdict(list)
for e, s, f, t in q("SELECT elder_id, site_id, signed_on, ended_on FROM agreement"): agree[e].append((s, f, t))
cards = {tok: (e, f, t) for tok, e, f, t in q("SELECT token, elder_id, issued_on, revoked_on FROM card")}
died = dict(q("SELECT id, died_on FROM elder"))
def has(e, st, day): return any(s == st and on(f, t, day) for s, f, t in status[e])
def age(e, day):
    b, d = birth[e], dt.date.fromisoformat(day)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))

meals = q("SELECT id, elder_id, site_id, served_at, slot, method, device, token FROM meal ORDER BY served_at, id")
found = set()
seen_slot = set(); by_elder = defaultdict(list)
for mid, e, s, at, slot, method, dev, tok in meals:
    day, tm = at[:10], at[11:]
    ts = dt.datetime.fromisoformat(at)
    if (e, day, slot) in seen_slot: found.add(("repeat_meal", mid))
    seen_slot.add((e, day, slot))
    if any(s2 != s and (ts - t2).total_seconds() < 1800 for t2, s2 in by_elder[e]): found.add(("two_sites", mid))
    by_elder[e].append((ts, s))
    dead = died[e] is not None and day >= died[e]
    if dead: found.add(("after_death", mid))
    if has(e, "hospitalized", day): found.add(("in_hospital", mid))
    if tok is not None:
        c = cards.get(tok)
        if c is None or c[0] != e or not on(c[1], c[2], day): found.add(("revoked_card", mid))
    a, b = WIN[slot]
    if not (a <= tm <= b): found.add(("out_of_hours", mid))
    if not any(s2 == s and on(f, t, day) for s2, f, t in agree[e]): found.add(("no_agreement", mid))
    if dead or age(e, day) < 70: found.add(("not_eligible", mid))
# card_burst: >= 6 card/face meals on one device, first and last <= 15 s apart
by_dev = defaultdict(list)
for mid, e, s, at, slot, method, dev, tok in meals:
    if method in ("card", "face"): by_dev[dev].append((dt.datetime.fromisoformat(at), mid))
for dev, lst in by_dev.items():
    for i in range(len(lst) - 5):
        if (lst[i + 5][0] - lst[i][0]).total_seconds() <= 15:
            for j in range(i, i + 6): found.add(("card_burst", lst[j][1]))
planted_meal = set(q("SELECT kind, meal_id FROM planted WHERE meal_id IS NOT NULL"))
check(found == planted_meal, f"meal findings differ: only found {sorted(found - planted_meal)[:8]}, only planted {sorted(planted_meal - found)[:8]}")
for mid, at, pat in q("SELECT p.meal_id, p.at, m.served_at FROM planted p JOIN meal m ON m.id = p.meal_id"):
    check(at == pat, f"planted at {at} is not served_at {pat}")

# over_report and manual_heavy
over = set((s, d, sl) for s, d, sl in q("""SELECT r.site_id, r.day, r.slot FROM site_report r
    WHERE r.diners > (SELECT count(*) FROM meal m WHERE m.site_id = r.site_id AND substr(m.served_at, 1, 10) = r.day AND m.slot = r.slot)"""))
check(over == set(q("SELECT site_id, at, note FROM planted WHERE kind = 'over_report'")), "over_report differs")
month = q("SELECT value FROM fixture WHERE key = 'month'")[0][0]
heavy = set((s, month + "-01") for (s,) in q("SELECT site_id FROM meal GROUP BY site_id HAVING sum(method = 'manual') > 0.2 * count(*)"))
check(heavy == set(q("SELECT site_id, at FROM planted WHERE kind = 'manual_heavy'")), "manual_heavy differs")

# gone_quiet: lives_alone on D, >= 10 meal days of the 14 before D, then 3 days
# in a row without a meal, alive and not in hospital, the third in the month
first = dt.date.fromisoformat(month + "-01")
nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
days = [(first + dt.timedelta(i)).isoformat() for i in range((nxt - first).days)]
ate = defaultdict(set)
for mid, e, s, at, *_ in meals: ate[e].add(at[:10])
quiet = set()
for (e,) in q("SELECT id FROM elder"):
    run = 0
    for i, day in enumerate(days):
        missed = day not in ate[e] and not (died[e] and day >= died[e]) and not has(e, "hospitalized", day)
        run = run + 1 if missed else 0
        if run == 3:
            D = dt.date.fromisoformat(day) - dt.timedelta(2)
            active = sum((D - dt.timedelta(k)).isoformat() in ate[e] for k in range(1, 15))
            if active >= 10 and has(e, "lives_alone", D.isoformat()): quiet.add((e, D.isoformat()))
check(quiet == set(q("SELECT elder_id, at FROM planted WHERE kind = 'gone_quiet'")), f"gone_quiet differs: {sorted(quiet)}")

# every kind of SPEC is planted
kinds = {"repeat_meal", "two_sites", "after_death", "card_burst", "in_hospital", "revoked_card", "over_report",
         "manual_heavy", "out_of_hours", "no_agreement", "not_eligible", "gone_quiet"}
got = dict(q("SELECT kind, count(*) FROM planted GROUP BY kind"))
check(set(got) == kinds, f"planted kinds {got}")
check(all(got.get(k, 0) >= 2 for k in kinds - {"two_sites"}), f"at least 2 of each: {got}")

# background meals (no planted row): in their window, agreement in force, eligible
bg = q("""SELECT m.id, m.elder_id, m.site_id, m.served_at, m.slot FROM meal m
          WHERE NOT EXISTS (SELECT 1 FROM planted p WHERE p.meal_id = m.id)""")
for mid, e, s, at, slot in bg:
    a, b = WIN[slot]
    check(a <= at[11:] <= b, f"background meal {mid} at {at} outside {slot}")
    check(any(s2 == s and on(f, t, at[:10]) for s2, f, t in agree[e]), f"background meal {mid}: no agreement")
check(len(bg) > 0.9 * len(meals), "background is most of the month")

if fail:
    print("\n".join(fail[:30])); sys.exit(1)
print(f"ok {sys.argv[1]}: {n['meal']} meals, planted {got}")
PY
done; done
echo ok
