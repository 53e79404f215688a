# zcgen --scale province (docs/fixtures.md "Province scale"): its arguments,
# the shape of the smallest province (--cities 1: 阳泉市, ~1M meals, a few
# seconds), ID numbers and region.policy checked here in Python, the
# policies installed by tools/province_policies.sh, and the versions that
# take effect on 2024-03-16 paying what their files say.
# modes: plain
set -eu
GEN="$ZC_ROOT/build/zcgen"
[ -x "$GEN" ] || { echo "missing $GEN: run make"; exit 1; }
cd "$ZC_ROOT"
tmp=$(mktemp -d /tmp/zcgen_prov.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. arguments: --cities is 1..11 and for the province only; a refusal leaves no file
for bad in 0 12 x 1x ""; do
  if "$GEN" --scale province --cities "$bad" --out "$tmp/x.db" 2> "$tmp/x.err"; then
    echo "--cities '$bad' accepted"; exit 1; fi
  grep -q "cities '$bad' is not a number of cities from 1 to 11" "$tmp/x.err" || { cat "$tmp/x.err"; exit 1; }
done
if "$GEN" --scale city --cities 2 --out "$tmp/x.db" 2> "$tmp/x.err"; then echo "--cities with city accepted"; exit 1; fi
grep -q "province only" "$tmp/x.err" || { cat "$tmp/x.err"; exit 1; }
[ ! -e "$tmp/x.db" ] || { echo "a refused run left $tmp/x.db"; exit 1; }

# 2. the smallest province: its oracle agrees with the planner
db="$tmp/p1.db"
"$GEN" --scale province --cities 1 --out "$db" 2> "$tmp/p1.err" || { cat "$tmp/p1.err"; exit 1; }
grep -q 'scale=province .*unplanned=0 missed=0' "$tmp/p1.err" || { cat "$tmp/p1.err"; exit 1; }

# 3. shape, ID numbers and policies, read with Python's sqlite3 (no zhucan)
/usr/bin/python3 - "$db" <<'PY'
import sqlite3, sys, re, datetime as dt
db = sqlite3.connect(sys.argv[1])
q = lambda sql, *a: db.execute(sql, a).fetchall()
fail = []
def check(cond, msg):
    if not cond: fail.append(msg)
fx = dict(q("SELECT key, value FROM fixture"))
check(fx.get("scale") == "province" and fx.get("cities") == "1", f"fixture rows {fx}")
meals = q("SELECT count(*) FROM meal")[0][0]
check(800_000 <= meals <= 1_200_000, f"{meals} meals, expected 1M +-20%")
# the tree: 140000 province -> 140300 city -> its five units
reg = {c: (p, lv, n, pol) for c, p, lv, n, pol in q("SELECT code, parent, level, name, policy FROM region")}
check(reg.get("140000", (0, 0))[:2] == (None, "province"), "no province 140000 at the top")
check(reg.get("140300", (0, 0))[:2] == ("140000", "city"), "no city 140300 under 140000")
units = sorted(c for c, r in reg.items() if r[1] == "county")
check(units == ["140302", "140303", "140311", "140321", "140322"], f"county-level units {units}")
def county_of(code):
    while code is not None and reg[code][1] != "county": code = reg[code][0]
    return code
# policies: on the top and every county-level unit, nowhere else; 区 -> sx_urban
files = fx.get("policy_files", "").split()
named = set()
for f in files:
    m = re.search(r'\bname\s*=\s*"([^"]+)"', open(f, encoding="utf-8").read())
    check(m is not None, f"{f}: no name"); named.add(m and m.group(1))
for c, (p, lv, n, pol) in reg.items():
    if lv in ("county", "province"):
        check(pol in named, f"region {c} {n}: policy {pol} not among the installed files {sorted(named)}")
        if lv == "county": check((pol == "sx_urban") == n.endswith("区"), f"region {c} {n}: policy {pol}")
    else:
        check(pol is None, f"region {c} ({lv}) has policy {pol}")
check({reg[u][3] for u in units} == {"sx_urban", "sx_rural", "sx_shared"}, "not all three province policies used")
# ID numbers: GB 11643, unique, the address code of the elder's county-level unit
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
seen = set()
for eid, idn, region in q("SELECT id, id_number, region FROM elder"):
    ok = len(idn) == 18 and idn[:17].isdigit() and "10X98765432"[sum(int(c) * w for c, w in zip(idn, W)) % 11] == idn[17]
    try: dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError: ok = False
    check(ok, f"elder {eid}: bad id_number {idn}")
    check(idn not in seen, f"elder {eid}: id_number {idn} twice"); seen.add(idn)
    check(idn[:6] == county_of(region), f"elder {eid}: {idn[:6]} is not the code of {region}'s county")
    if len(fail) > 10: break
# every kind planted, in proportion to the size (the city scale's rate)
kinds = dict(q("SELECT kind, count(*) FROM planted GROUP BY kind"))
check(len(kinds) == 12 and min(kinds.values()) >= 5, f"planted kinds {kinds}")
# changes inside the month: deaths, hospital stays, revocations, agreements
m0, m1 = "2024-03-01", "2024-04-01"
for what, sql in [("deaths", "SELECT count(*) FROM elder WHERE died_on >= ? AND died_on < ?"),
                  ("hospital stays", "SELECT count(*) FROM elder_status WHERE status='hospitalized' AND valid_from >= ? AND valid_from < ?"),
                  ("revocations", "SELECT count(*) FROM card WHERE revoked_on >= ? AND revoked_on < ?"),
                  ("agreements signed", "SELECT count(*) FROM agreement WHERE signed_on >= ? AND signed_on < ?"),
                  ("agreements ended", "SELECT count(*) FROM agreement WHERE ended_on >= ? AND ended_on < ?")]:
    n = q(sql, m0, m1)[0][0]
    check(n >= 10, f"{n} {what} in the month")
if fail:
    print("\n".join(fail[:20])); sys.exit(1)
PY

# 4. the policies install (each version passes its own tests), twice is harmless
ZC_SO="$ZC_SO" sh tools/province_policies.sh "$db" > "$tmp/ids1"
ZC_SO="$ZC_SO" sh tools/province_policies.sh "$db" > "$tmp/ids2"
[ "$(wc -l < "$tmp/ids1")" = 7 ] || { cat "$tmp/ids1"; exit 1; }
cmp -s "$tmp/ids1" "$tmp/ids2" || { echo "a second install changed the versions"; diff "$tmp/ids1" "$tmp/ids2"; exit 1; }
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$db" "$@"; }
[ "$(Z "SELECT count(*) FROM zhucan_policy")" = 7 ] || { echo "expected 7 versions"; exit 1; }
if sh tools/province_policies.sh "$ZC_SMALL_DB" 2> "$tmp/x.err"; then echo "a non-province fixture accepted"; exit 1; fi
grep -q "not a province fixture" "$tmp/x.err" || { cat "$tmp/x.err"; exit 1; }

# 5. versions switch on the 16th: the subsidised first lunches of eligible
# elders pay what the files say (sx_shared 500 then 600; sx_rural 400 then
# 500, 低保/特困 500 then 600) -- the amounts written here by hand
got=$(Z "
WITH l AS (
  SELECT m.id, substr(m.served_at, 1, 10) AS day, r.policy,
         subsidy_for(m.id) AS fen
  FROM meal m JOIN site s ON s.id = m.site_id
  JOIN region r ON r.code = substr(s.region, 1, 6)
  WHERE m.slot = 'lunch' AND substr(m.served_at, 1, 10) IN ('2024-03-15', '2024-03-16')
    AND r.policy IN ('sx_shared', 'sx_rural') AND m.site_id % 7 = 0)
SELECT policy, day, group_concat(DISTINCT fen) FROM
  (SELECT * FROM l WHERE fen > 0 ORDER BY fen) GROUP BY policy, day ORDER BY policy, day;")
want="sx_rural|2024-03-15|400,500
sx_rural|2024-03-16|500,600
sx_shared|2024-03-15|500
sx_shared|2024-03-16|600"
[ "$got" = "$want" ] || { printf 'versions by day:\n%s\nexpected:\n%s\n' "$got" "$want"; exit 1; }

# 6. settlement over the province is the sum of its counties'
prov=$(Z "SELECT count(*), sum(amount_fen) FROM settlement('140000', '2024-03')")
sum=$(Z "SELECT sum(n), sum(f) FROM (
  SELECT (SELECT count(*) FROM settlement(code, '2024-03')) AS n,
         (SELECT sum(amount_fen) FROM settlement(code, '2024-03')) AS f
  FROM region WHERE level = 'county')")
[ "$prov" = "$sum" ] || { echo "settlement(140000) $prov, its counties $sum"; exit 1; }
case $prov in 0\|*|*\|) echo "empty settlement: $prov"; exit 1 ;; esac
echo "ok: $(sed -n 's/.*meals=\([0-9]*\).*/\1/p' "$tmp/p1.err") meals, settlement $prov"
