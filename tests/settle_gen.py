#!/usr/bin/python3
# tests/settle_gen.py DB N_ELDERS DAYS — a large month for settle tests and
# bench when data/city.db is absent: N_ELDERS elders (valid IDs, ages 60-95)
# at 200 sites under Zhongyang, lunch every day and breakfast on odd days.
import sqlite3, sys
db, ne, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]; C = '10X98765432'
def idn(i):
    y = 1929 + i % 36
    x = '141129%04d%02d%02d%03d' % (y, 1 + i % 12, 1 + i % 28, i % 1000)
    return x + C[sum(int(c) * w for c, w in zip(x, W)) % 11]
con = sqlite3.connect(db)
con.execute('PRAGMA journal_mode=OFF'); con.execute('PRAGMA synchronous=OFF')
con.executescript(open(sys.argv[4] if len(sys.argv) > 4 else 'sql/schema.sql').read())
con.execute("INSERT INTO region VALUES('141129',NULL,'county','中阳县','zhongyang',NULL)")
con.executemany("INSERT INTO region VALUES(?, '141129', 'village', ?, NULL, NULL)",
                [('141129%06d' % v, 'v%d' % v) for v in range(200)])
con.executemany("INSERT INTO site(id,name,region,kind,opened_on,slots) VALUES(?,?,?,'canteen','2023-01-01','breakfast,lunch,dinner')",
                [(s + 1, 's%d' % s, '141129%06d' % s) for s in range(200)])
con.executemany("INSERT INTO elder(id,id_number,name,region) VALUES(?,?,?,?)",
                [(i + 1, idn(i), 'e%d' % i, '141129%06d' % (i % 200)) for i in range(ne)])
con.execute("INSERT INTO agreement SELECT id, (id-1)%200+1, '2023-01-01', NULL, NULL FROM elder WHERE id % 10 <> 0")
con.execute("""INSERT INTO meal(elder_id, site_id, served_at, slot, method, device, token, price_fen)
  WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM d WHERE n < ?1)
  SELECT e.id, (e.id-1)%200+1, printf('2024-03-%02d %s', d.n, s.t), s.slot, 'card', 'D'||((e.id-1)%200+1), 'C'||e.id, s.p
    FROM d, elder e, (SELECT '07:30:00' t, 'breakfast' slot, 400 p UNION ALL SELECT '11:45:00', 'lunch', 1200) s
   WHERE s.slot = 'lunch' OR d.n % 2 = 1
   ORDER BY d.n, s.t, e.id""", (days,))
con.commit()
print(con.execute("SELECT count(*) FROM meal").fetchone()[0])
