/*
** policy_int.h — private to the policy family: the structures shared by
**   sandbox.c       the Lua state: allocator cap, instruction budget,
**                   frozen tables, the pruned library, running a function
**   policy_facts.c  the fact proxies the rules read (and what they read)
**   memo.c          results memoised on the facts a rule read
**   policy_load.c   loading and validating a version's source
**   policy_rt.c     the runtime's lifetime (one per connection)
**   policy_call.c   eligible(), meal(), site(): calls and result checks
**   policy_store.c  the stored versions, version choice, zhucan_policy_guard()
**   policy_test.c   policy_test(): the versions' own test cases (and the
**                   gate of an install)
**   policy_life.c   policy_install/_load (tests first), policy_retire,
**                   policy_in_force, policy_assign
** Other modules see only policy.h.
*/
#ifndef ZC_POLICY_INT_H
#define ZC_POLICY_INT_H
#include "policy.h"
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* The sandbox's limits (docs/rules.md, "The sandbox", says why each). */
#define ZC_POLICY_BUDGET   10000000L        /* steps per call: VM instructions and charged C work */
#define ZC_POLICY_TEST_BUDGET 100000000L    /* steps of one policy_test() call in all */
#define ZC_POLICY_HOOK     1000             /* hook tick, instructions */
#define ZC_STEP_BYTES      16               /* bytes of C work charged as one step */
#define ZC_ELEM_STEPS      4                /* steps per element a library call visits */
#define ZC_POLICY_MEM_CAP  ((size_t)64 << 20)   /* live bytes one call (or load) may add */
#define ZC_POLICY_KEEP_CAP ((size_t)256 << 20)  /* bytes the loaded versions may keep in all */
#define ZC_MAX_STRING      (4 << 10)        /* bytes of any string a policy makes */
#define ZC_MAX_STACK       (1 << 16)        /* Lua stack slots */
#define ZC_POLL_NS         10000000L        /* interrupt polls at least this often (ns) */
#define ZC_POLICY_MAX_SRC  (1 << 20)        /* bytes of source text */
#define ZC_MAX_PARAMS_JSON (1 << 20)        /* bytes of params as JSON */
#define ZC_MAX_REASON      256              /* bytes of a reason */
#define ZC_MAX_REASONS     16384            /* distinct reasons per version */
#define ZC_MAX_WORDS       256              /* distinct payer and item names per version */
#define ZC_MAX_ITEMS       1024             /* items of one site() call */
#define ZC_MAX_MSG         240              /* bytes of a Lua error message kept */
#define MEMO_MAX_MASKS     16
#define MEMO_MAX_ENTRIES   (1 << 16)
#define MAX_NAME           64
#define MAX_DEPTH          64
#define ZC_MAX_PAYERS      64               /* payers a policy may declare */

/* The rule functions of a version. */
enum { FN_ELIGIBLE, FN_MEAL, FN_SITE };
extern const char *const zc_policy_fn_name[3];

/* The facts a call read: bit f of .f is field f (fields.h); .st the status
** words read (bits of ZcElderFacts.status). */
typedef struct Mask {
  uint64_t f;
  uint64_t st;
} Mask;

typedef struct MemoEntry {
  struct MemoEntry *next;  /* same hash */
  int imask, klen;
  int ok;                  /* eligible() */
  const char *reason;      /* interned */
  int nparts;
  ZcPart parts[];          /* then klen key bytes */
} MemoEntry;

typedef struct Memo {
  Mask masks[MEMO_MAX_MASKS];
  int nmask;
  unsigned char order[MEMO_MAX_MASKS]; /* probe order: the last hit first */
  ZcMap map;               /* hash -> MemoEntry* (chain head) */
  size_t n;
} Memo;

typedef struct PNum {
  char *key;
  double val;
} PNum;

typedef struct PVersion {
  ZcPolicyVersion pub;     /* first: a ZcPolicyVersion* is a PVersion* */
  char *name;
  int ref_fn[3];           /* registry refs to eligible, meal, site */
  int ref_snap;            /* upvalue snapshot: f, i, value triples */
  int ref_tests;           /* the tests table or LUA_NOREF */
  int nparams, nanomaly;
  PNum *params, *anomaly;
  char *params_json;
  /* the payers it declares (payers = {...}), in byte order; legacy: a
  ** stored version installed before payers were required (unchecked) */
  char **payers;
  int npayers, legacy_payers;
  ZcCredit *credit;        /* the credit section (policy_credit.c) or NULL */
  Memo memo[2];
  /* the reasons its rules gave (kept for the connection's life, counted in
  ** rt->keep_extra) and the payer and item words they used */
  struct { uint64_t h; char *s; } *reasons;
  uint32_t nreasons, reasons_cap;
  ZcMap words;             /* interned pointer -> 1 */
  struct PVersion *next_all;
} PVersion;

typedef struct IndexRow {
  sqlite3_int64 id;
  char *name;
  int eff;                 /* ZC_NONE when the stored text is not a date */
  int retired;             /* retired_on is set: never chosen (policy_retire) */
  char sha[65];
} IndexRow;

struct ZcPolicyRt {
  ZcConn *zc;
  lua_State *L;
  /* memory: rt->mem bytes held by the Lua state; mem_base of them live
  ** after the last load (what the versions keep); keep_extra the reason
  ** stores (C memory) */
  size_t mem, mem_base, keep_extra;
  int em_pending;          /* one allocation refused: Lua's emergency GC runs, then retries */
  size_t em_before;
  void *stack;             /* the Lua stack's block (tracked to cap its size) */
  void *last_new;          /* the last block allocated, and its size */
  size_t last_new_size;
  int probe_stack;
  /* the run in progress (zc_sb_run) */
  int in_call, fatal;      /* fatal: a RUN_* kind the hook raises until the run ends */
  long steps;              /* this run's steps */
  long pend_steps;         /* of the last block allocated, not yet charged */
  long long steps_total;   /* all runs' steps (policy_test's total budget) */
  long long poll_ns;       /* when interrupts were last polled */
  /* where the run's limit was passed ("chunk:line", "" if unknown) */
  char fatal_where[80];
  /* a rule call: the C function that called the rule (its return into it
  ** is watched) and the line of the rule's last return, 0 if unknown */
  lua_CFunction ret_watch;
  int ret_line;
  void *c_locale;          /* locale_t "C", in force while Lua runs */
  int memo_on;
  /* fact proxies (registry refs, by ZF_K_*) and the struct each reads now */
  int ref_proxy[ZF_NKIND];
  int ref_base;
  const ZcElderFacts *cur_elder;
  const ZcMealFacts *cur_meal;
  const ZcSiteFacts *cur_site;
  const ZcSiteStats *cur_stats;
  /* policy_test: status words of a case that are not in the connection's
  ** dictionary (the memo is off while they are set) */
  const char *const *xwords;
  int nxwords;
  Mask seen;
  /* 1 while policy_install/_load/_retire write zhucan_policy
  ** (zhucan_policy_guard(), which its triggers call) */
  int guard;
  /* version index */
  int idx_valid, idx_autocommit, txn_dirty;
  unsigned int idx_dv;
  sqlite3_int64 idx_tc;
  IndexRow *rows;
  int nrows;
  ZcMap by_id;             /* id -> PVersion* loaded and current */
  PVersion *all;           /* every version ever loaded (freed at close) */
  /* last for_name answer */
  char *last_name;
  int last_day;
  sqlite3_int64 last_horizon;     /* the pick's horizon of the cached answer */
  const ZcPolicyVersion *last_v;
  /* scratch */
  unsigned char *kbuf;
  size_t kcap, klen;
  int koom;                /* the key being built ran out of memory */
  ZcSiteItem *items;
  int items_cap;
  ZcPart meal_parts[ZC_MAX_PARTS];
};
typedef struct ZcPolicyRt Rt;

/* "name@effective_from" of a version, for messages. */
#define VNAME(v) (v)->pub.name, (v)->pub.effective_text

/* The runtime of the Lua state L (its allocator's user data). */
static inline Rt *rt_of(lua_State *L) {
  void *ud = NULL;
  lua_getallocf(L, &ud);
  return ud;
}

/* A text in the language of the connection running L (zc_tr). */
static inline const char *Ltr(lua_State *L, const char *en, const char *zh) {
  return zc_tr(rt_of(L)->zc, en, zh);
}

/* sandbox.c */
enum { RUN_OK, RUN_ERR, RUN_BUDGET, RUN_MEM, RUN_STRING, RUN_STACK, RUN_INTR, RUN_BUSY };
void *zc_sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* A new Lua state for rt (rt->L), nothing opened yet; SQLITE_OK or an
** error in *pzErr. */
int zc_sb_state(Rt *rt, char **pzErr);
void zc_sb_close(Rt *rt);
/* Runs f(ctx) protected, with a fresh budget.  On RUN_ERR *pmsg is the
** error text (sqlite3_malloc'd, cut to ZC_MAX_MSG bytes of valid UTF-8). */
int zc_sb_run(Rt *rt, lua_CFunction f, void *ctx, char **pmsg);
/* What a run that ended with kind did, as "exceeded its budget of ..." */
const char *zc_sb_fatal_text(const ZcConn *zc, int kind);
/* "chunk:line" of the innermost Lua function running ("" if none). */
void zc_sb_where(lua_State *L, char *buf, size_t size);
/* SQLITE_INTERRUPT for RUN_INTR, else SQLITE_ERROR */
int zc_sb_rc(int kind);
/* Charges n steps of work done in C to the run's budget (raises when it is
** spent); zc_sb_poll also polls for an interrupt now and then. */
void zc_sb_charge(lua_State *L, lua_Integer n);
void zc_sb_poll(lua_State *L, lua_Integer n);
/* Ends the run with kind (RUN_STRING...): raises now and on every later
** instruction. */
void zc_sb_fail(lua_State *L, int kind);
/* After a load: a full collection, and what is live is what the versions
** keep.  0 when that passes ZC_POLICY_KEEP_CAP. */
int zc_sb_settle(Rt *rt);
/* Pushes a short printable quote of the value at idx (strings cut near 60
** bytes, invalid UTF-8 as hex) and returns it: for error messages. */
const char *zc_sb_repr(lua_State *L, int idx);
/* The same, but a string as it is (no quotes; cut, made valid UTF-8). */
const char *zc_sb_text(lua_State *L, int idx);
/* s[0..n) as at most max bytes of valid UTF-8 without control characters
** (but newlines), "..." when cut; sqlite3_malloc'd. */
char *zc_sb_clean(const char *s, size_t n, size_t max);
/* Pushes the table holding t's contents: its hidden table if t is frozen,
** else t itself; -1 if t has a metatable of another kind. */
int zc_sb_contents(lua_State *L, int idx);
/* Pushes an iterator over the table at src (raw), its keys in the fixed
** order: numbers, strings byte-wise, false, true; raises for keys of
** other types. */
void zc_sb_ordered_iter(lua_State *L, int src);
/* <0, 0, >0 as the value at a comes before, with, after the value at b in
** that order (values of other types last, all alike). */
int zc_sb_key_cmp(lua_State *L, int a, int b);
/* next(t, k) in that order (a frozen table's contents). */
int zc_sb_next(lua_State *L);
/* Makes the frozen table at idx checked: its __index raises for a key it
** lacks (strict: a params table, named by the string at path) and, when
** its keys are all slot words, for a key that is not one (frozen slot
** tables are so from the start, unnamed, non-strict). */
void zc_sb_check(lua_State *L, int idx, int path, int strict);
/* Freezes the value at idx in place (visited table at vis, the upvalue
** snapshot at snap). */
void zc_sb_freeze(lua_State *L, int idx, int vis, int snap, int depth);
/* 1 if s[0..n) is a word a rule may give as a payer or item name: 1 to
** MAX_NAME bytes of valid UTF-8, no control characters. */
int zc_sb_word_ok(const char *s, size_t n);
/* __newindex of globals once a version is loaded */
int zc_sb_global_assign(lua_State *L);

/* sandbox_lib.c */
/* Protected (zc_sb_run): the pruned, bounded libraries frozen into the
** read-only base table (rt->ref_base). */
int zc_sb_lib_open(lua_State *L);

/* policy_facts.c: creates the proxies (rt->ref_proxy). */
int zc_pf_open(lua_State *L);
/* The bit of status word w (n bytes) in the connection's dictionary, or -1
** (looked up only: the dictionary never grows from a lookup). */
int zc_pf_status_bit(Rt *rt, const char *w, size_t n);
/* Pushes field f (fields.h) of the current facts as the rules see it. */
void zc_pf_push(lua_State *L, Rt *rt, int f);

/* memo.c */
void zc_memo_clear(Memo *mo);
/* The entry for these facts under any mask recorded, or NULL. */
const MemoEntry *zc_memo_find(Rt *rt, Memo *mo, int day, const char *service, const ZcElderFacts *e,
                              const ZcMealFacts *m, const ZcSiteFacts *s);
/* Records a result under the mask the call observed (a failure to record
** is harmless: the memo is only a cache). */
void zc_memo_add(Rt *rt, Memo *mo, const Mask *seen, int day, const char *service, const ZcElderFacts *e,
                 const ZcMealFacts *m, const ZcSiteFacts *s, int ok, const char *reason, const ZcPart *parts,
                 int nparts);
/* The key of mask mk for these facts into rt->kbuf; 0 on OOM. */
int zc_memo_key(Rt *rt, const Mask *mk, int day, const char *service, const ZcElderFacts *e,
                const ZcMealFacts *m, const ZcSiteFacts *s);

/* policy_load.c */
extern const ZcWindow zc_default_windows[ZC_NSLOT];
/* 'HH:MM' or 'HH:MM:SS' -> seconds of day, -1 if not */
int zc_clock_parse(const char *s, size_t n);
/* Loads source as a version (validated, frozen); *out owned by the caller.
** A new source must declare its payers. */
int zc_pl_load(Rt *rt, const char *src, size_t len, const char *chunk, PVersion **out, char **pmsg);
/* The same for a version already stored: one installed before payers were
** required loads, its payers unchecked (docs/rules.md, "Payers"). */
int zc_pl_load_stored(Rt *rt, const char *src, size_t len, const char *chunk, PVersion **out, char **pmsg);
/* 1 if v declares payer s[0..n) (or is a legacy version) */
int zc_pl_payer_declared(const PVersion *v, const char *s, size_t n);
void zc_pl_free(Rt *rt, PVersion *v);
/* policy_credit.c: the policy table's credit section (at P) checked and
** kept in v->credit; src/chunk name the file and line of a wrong key. */
void zc_pl_read_credit(lua_State *L, int P, PVersion *v, const char *src, size_t len, const char *chunk);

/* policy_rt.c: the runtime of a connection (zc_rt_init at registration),
** with its Lua state made (zc_rt_get). */
int zc_rt_init(ZcConn *zc);
Rt *zc_rt_get(ZcConn *zc, char **pzErr);

/* policy_call.c */
int zc_pc_eligible(Rt *rt, PVersion *v, const ZcElderFacts *elder, int day, const char *service, int *ok,
                   const char **reason, char **pzErr);
/* meal() alone; *pparts points into the memo or rt scratch until the next call. */
int zc_pc_meal(Rt *rt, PVersion *v, const ZcMealFacts *meal, const ZcElderFacts *elder, const ZcSiteFacts *site,
               const char **reason, const ZcPart **pparts, int *pn, char **pzErr);
int zc_payer_cmp(const void *a, const void *b);

/* policy_store.c */
/* Re-reads the version index if the database may have changed (always
** unless pinned). */
int zc_ps_sync(Rt *rt, int pinned, char **pzErr);
/* The loaded version for index row r (loading it on first use). */
int zc_ps_version(Rt *rt, const IndexRow *r, const ZcPolicyVersion **out, char **pzErr);
/* Creates zhucan_policy, or brings one made by an older zhucan up to date
** (the untested and retired_on columns, the guarded triggers); for the
** functions that write it, on a writable connection. */
int zc_ps_upgrade(const ZcConn *zc, sqlite3 *db, char **pzErr);
/* The sha256 of src[0..n) as 64 hex digits. */
void zc_ps_sha256(const char *src, size_t n, char out[65]);
/* A version's untested reason (sqlite3_malloc'd), NULL when it has none or
** the table predates the column. */
char *zc_ps_untested(sqlite3 *db, sqlite3_int64 id);

/* policy_test.c */
/* The gate of policy_install: runs the cases of v (loaded, not stored).
** *ncase, *nfail counted; *plist the failures, one per line (1 MiB at most)
** (sqlite3_malloc'd, NULL when none).  SQLITE_OK, SQLITE_INTERRUPT, or
** SQLITE_ERROR with *plist saying why the cases could not all run. */
int zc_pt_gate(Rt *rt, PVersion *v, int *ncase, int *nfail, char **plist);

#endif /* ZC_POLICY_INT_H */
