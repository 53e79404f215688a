/*
** fuzz/policy.c — the policy loader (sandboxed Lua chunk, checks, params
** serialiser) and then the loaded rules at work.
**
** Input: Lua source text, given to policy_install() on a copy of a tiny
** database (sql/schema.sql, fixtures/hand/zhongyang.sql, lua/zhongyang.lua
** as version 1).  When it installs, every region with a policy is switched
** to the new policy's name and the rules run through the SQL surface:
**   policy_test(name); eligible() for every elder on four days;
**   subsidy_for() and subsidy_explain() of every March meal; three quotes;
**   settlement, coverage_gaps and anomaly_scan of 141129 in March 2024;
**   settle() of that month, its lines (view zhucan_run_line) and replay().
** A call that ran out of the sandbox's instruction budget or memory cap
** ends the input there (each costs up to 10M Lua instructions).
**
** Invariants (SPEC.md, docs/ref/subsidy_*.md, settlement.md, policy.c's
** MEMO section):
**   subsidy_explain answers valid JSON;
**   settlement's meal rows (payers other than 'elder') sum to the
**   subsidy_for of the month's meals at the region's sites ("agrees meal by
**   meal");
**   a second connection on the same data with ZHUCAN_NO_MEMO=1 gives the
**   same answers (values or error messages) to the subsidy_for, eligible,
**   subsidy_explain and settlement queries: the memo never changes a
**   result, and nothing a rule can reach depends on call history.
*/
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char fixture[] =
    "@fixtures/hand/zhongyang.sql\n"
    "SELECT policy_load('%ROOT%/lua/zhongyang.lua');\n";

/* The fixture's March meals (meal 13 is on 29 February, 15 on 1 April: a
** policy in force from 2024-03-01 has no version for them). */
#define MARCH " WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01'"

/* Queries compared between the memo and no-memo connections, in order. */
static const char *const compared[] = {
    "SELECT group_concat(coalesce(subsidy_for(id), 'N'), ',') FROM (SELECT id FROM meal" MARCH " ORDER BY id)",
    "WITH d(day, service) AS (VALUES ('2024-03-01', 'meal'), ('2024-03-15', 'meal'),"
    "                                ('2024-03-20', 'laundry'), ('2024-03-31', 'meal'))"
    "SELECT group_concat(e.id || ':' || d.day || ':' || coalesce(eligible(e.id, d.day, d.service), 'N'), ',')"
    "  FROM (SELECT id FROM elder ORDER BY id) e, d",
    "SELECT group_concat(subsidy_explain(id), char(10)) FROM (SELECT id FROM meal" MARCH " ORDER BY id)",
    "SELECT group_concat(site_id || '/' || item || '/' || payer || '/' || quantity || '/' || amount_fen, ',')"
    "  FROM (SELECT * FROM settlement('141129', '2024-03') ORDER BY 1, 2, 3)",
    "SELECT subsidy_for(1, 1, '2024-03-05 12:00:00', 'lunch') || ',' ||"
    "       subsidy_for(6, 2, '2024-03-07 11:00:00', 'lunch') || ',' ||"
    "       subsidy_for(2, 1, '2024-03-31 18:00:00', 'dinner')",
};
#define NCOMPARED (int)(sizeof compared / sizeof compared[0])

typedef struct Answer {
  int rc;
  char *text; /* value, or error message */
} Answer;

/* Answers of the compared queries on db; stops after a budget hit (the
** rest are left rc 0).  Answers how many ran. */
static int answers(sqlite3 *db, Answer *out) {
  int i;
  for (i = 0; i < NCOMPARED; i++) {
    sqlite3_stmt *st = fz_prepare(db, compared[i]);
    sqlite3_value *v;
    int rc = fz_first(st, &v);
    out[i].rc = rc;
    const char *t = rc == SQLITE_ROW ? (v ? (const char *)sqlite3_value_text(v) : NULL)
                                     : sqlite3_errmsg(db);
    out[i].text = strdup(t ? t : "(null)");
    if (getenv("FZ_VERBOSE")) fprintf(stderr, "%s\n  -> %.300s\n", compared[i], out[i].text);
    sqlite3_value_free(v);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && fz_budget_hit(db)) return i + 1;
  }
  return i;
}

static void answers_free(Answer *a, int n) {
  for (int i = 0; i < n; i++) free(a[i].text);
}

/* sum(subsidy_for) of the month's meals at 141129's sites against
** settlement's meal rows. */
static void check_agreement(sqlite3 *db) {
  char a[64], b[64];
  int ra = fz_query(db,
      "SELECT total(subsidy_for(m.id)) FROM meal m JOIN site s ON s.id = m.site_id"
      " WHERE s.id IN (1, 2) AND m.served_at >= '2024-03-01' AND m.served_at < '2024-04-01'",
      0, NULL, NULL, a, sizeof a);
  if (ra != SQLITE_DONE || fz_budget_hit(db)) return;
  int rb = fz_query(db,
      "SELECT total(amount_fen) FROM settlement('141129', '2024-03')"
      " WHERE item = 'meal' AND payer <> 'elder'",
      0, NULL, NULL, b, sizeof b);
  if (rb != SQLITE_DONE) return;
  if (strcmp(a, b) != 0)
    fz_fail("sum of subsidy_for over March at 141129's sites is %s, settlement's meal rows sum to %s",
            a, b);
}

/* The rest of the SQL surface, for crashes only. */
static void run_rest(sqlite3 *db, const char *name) {
  const char *par[1] = {name};
  fz_query(db, "SELECT policy_test(?1)", 1, par, NULL, NULL, 0);
  if (fz_budget_hit(db)) return;
  static const char *const rest[] = {
      "SELECT * FROM coverage_gaps('141129', '2024-03-15')",
      "SELECT * FROM anomaly_scan('141129', '2024-03')",
  };
  for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
    fz_query(db, rest[i], 0, NULL, NULL, NULL, 0);
    if (fz_budget_hit(db)) return;
  }
  char run[32];
  if (fz_query(db, "SELECT settle('141129', '2024-03')", 0, NULL, NULL, run, sizeof run) ==
          SQLITE_DONE &&
      run[0]) {
    const char *rp[1] = {run};
    fz_query(db, "SELECT * FROM zhucan_run_line WHERE run_id = ?1", 1, rp, NULL, NULL, 0);
    fz_query(db, "SELECT * FROM replay(?1)", 1, rp, NULL, NULL, 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0; /* the loader takes up to 1 MiB; keep inputs fast */
  sqlite3 *db = fz_open_fixture(fixture);
  /* most inputs have no test cases: installed as untested; one whose cases
  ** all pass is refused that way, and installed as it is */
  sqlite3_stmt *ins = fz_prepare(db, "SELECT policy_install(?1, 'a fuzz input')");
  fz_bind_text(ins, 1, data, size);
  sqlite3_value *v;
  int rc = fz_first(ins, &v);
  int tested = rc != SQLITE_ROW && strstr(sqlite3_errmsg(db), "it is not untested") != NULL;
  sqlite3_finalize(ins);
  if (tested) {
    ins = fz_prepare(db, "SELECT policy_install(?1)");
    fz_bind_text(ins, 1, data, size);
    rc = fz_first(ins, &v);
    sqlite3_finalize(ins);
  }
  if (rc != SQLITE_ROW) {
    fz_close(db);
    return 0;
  }
  char id[32], name[128];
  snprintf(id, sizeof id, "%lld", (long long)sqlite3_value_int64(v));
  sqlite3_value_free(v);
  const char *par[1] = {id};
  if (fz_query(db, "SELECT name FROM zhucan_policy WHERE id = ?1", 1, par, NULL, name, sizeof name) !=
          SQLITE_DONE || !name[0])
    fz_fail("policy_install answered %s but zhucan_policy has no such version", id);
  const char *np[1] = {name};
  if (fz_query(db, "UPDATE region SET policy = ?1 WHERE policy IS NOT NULL", 1, np, NULL, NULL, 0) !=
      SQLITE_DONE)
    fz_fail("cannot point the regions at policy %s", name);

  /* the same data on a connection without the memo */
  sqlite3_int64 n = 0;
  unsigned char *img = sqlite3_serialize(db, "main", &n, 0);
  if (!img) fz_fail("sqlite3_serialize failed");
  setenv("ZHUCAN_NO_MEMO", "1", 1);
  sqlite3 *plain = fz_open();
  unsetenv("ZHUCAN_NO_MEMO");
  if (sqlite3_deserialize(plain, "main", img, n, n,
                          SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
      SQLITE_OK)
    fz_fail("sqlite3_deserialize: %s", sqlite3_errmsg(plain));

  Answer with[NCOMPARED] = {{0, NULL}}, without[NCOMPARED] = {{0, NULL}};
  int nw = answers(db, with), nn = answers(plain, without);
  int budget = nw < NCOMPARED || fz_budget_hit(db);
  for (int i = 0; i < nw && i < nn; i++) {
    if (with[i].rc != without[i].rc || strcmp(with[i].text, without[i].text) != 0)
      fz_fail("a second connection on the same data (ZHUCAN_NO_MEMO=1) answers differently:\n  %s\n"
              "first (memo):     %.600s\nsecond (no memo): %.600s",
              compared[i], with[i].text, without[i].text);
  }
  if (nw != nn) fz_fail("the budget runs out at query %d with the memo, %d without", nw, nn);
  if (nw > 2 && with[2].rc == SQLITE_ROW) { /* subsidy_explain: JSON, one document per meal */
    for (char *line = with[2].text, *next; line; line = next) {
      next = strchr(line, '\n');
      if (next) *next++ = 0;
      const char *jp[1] = {line};
      char ok[8];
      fz_query(db, "SELECT json_valid(?1)", 1, jp, NULL, ok, sizeof ok);
      if (strcmp(ok, "1") != 0) fz_fail("subsidy_explain answered invalid JSON: %.300s", line);
    }
  }
  answers_free(with, nw);
  answers_free(without, nn);
  fz_close(plain);
  if (!budget) {
    check_agreement(db);
    if (!fz_budget_hit(db)) run_rest(db, name);
  }
  fz_close(db);
  return 0;
}
