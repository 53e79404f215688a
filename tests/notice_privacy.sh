#!/bin/bash
# Privacy of the notices (issue #16; docs/notices.md "Privacy"): every
# notice of the county fixture — notice() rows and notice_html() pages of
# every site, March 2024 — is scanned for every elder's full name and ID
# number and every staff phone in the database, and for anything shaped
# like an 18-character ID number or an 11-digit mobile number.  None may
# appear.  The scan must be able to fail: one page with an unmasked name,
# ID and phone spliced in is scanned too and must be caught three times.
# modes: plain
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
cp "$ZC_ROOT/data/county.db" county.db
Z county.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" >/dev/null || exit 1
mkdir -p out
Z county.db "SELECT count(writefile('out/' || id || '.html', notice_html(id, '2024-03')))
               + count(writefile('out/' || id || '.txt', (SELECT group_concat(section || ' ' || title || ' ' ||
                   coalesce(item, '') || ' ' || coalesce(detail, '') || ' ' || coalesce(quantity, '') || ' ' ||
                   coalesce(yuan, '') || ' ' || coalesce(note, ''), char(10)) FROM notice(s.id, '2024-03'))))
             FROM site s WHERE opened_on < '2024-04-01' AND (closed_on IS NULL OR closed_on > '2024-03-01')" || exit 1
# a planted leak: must be caught
sqlite3 county.db "SELECT writefile('leak.html', '<td>' || name || '</td><td>' || id_number || '</td>'
  || (SELECT phone FROM staff LIMIT 1)) FROM elder WHERE id = (SELECT min(elder_id) FROM meal)" >/dev/null
/usr/bin/python3 - county.db out leak.html <<'PY'
import sqlite3, sys, os, re
db = sqlite3.connect(sys.argv[1])
names = [r[0] for r in db.execute("SELECT DISTINCT name FROM elder")]
ids = [r[0] for r in db.execute("SELECT id_number FROM elder")]
phones = [r[0] for r in db.execute("SELECT phone FROM staff WHERE phone IS NOT NULL")]
staff = set(r[0] for r in db.execute("SELECT name FROM staff"))
clash = [n for n in names if n in staff]
if clash: print("elder names equal to staff names (printed as staff):", clash[:5]); sys.exit(1)
idre = re.compile(r"\d{17}[\dXx]"); phre = re.compile(r"(?<!\d)1\d{10}(?!\d)")
def scan(path):
    t = open(path, encoding="utf-8").read()
    hits = [("name", n) for n in names if n in t] + [("id", i) for i in ids if i in t] + \
           [("phone", p) for p in phones if p in t] + [("id-shaped", m) for m in idre.findall(t)] + \
           [("phone-shaped", m) for m in phre.findall(t)]
    return t, hits
files = sorted(os.listdir(sys.argv[2])); bad = 0; chars = 0; masked = 0
for f in files:
    t, hits = scan(os.path.join(sys.argv[2], f)); chars += len(t)
    masked += len(re.findall(r"\d{6}\*{8}[\dXx]{4}", t))
    if hits: bad += 1; print(f, hits[:5])
n_html = sum(f.endswith(".html") for f in files)
print(f"scanned {len(files)} files ({n_html} pages), {chars} characters, {len(names)} names, {len(ids)} ID numbers, "
      f"{len(phones)} phones; {masked} masked ID numbers seen; files with a leak: {bad}")
_, hits = scan(sys.argv[3])
kinds = sorted(set(k for k, _ in hits))
print("planted leak caught as:", kinds)
ok = bad == 0 and n_html > 100 and masked > 1000 and {"name", "id", "phone"} <= set(kinds)
sys.exit(0 if ok else 1)
PY
