/*
** policy_int.h — private to the policy family: the structures shared by
**   sandbox.c       the Lua state: allocator cap, instruction budget,
**                   frozen tables, the pruned library, running a function
**   policy_facts.c  the fact proxies the rules read (and what they read)
**   memo.c          results memoised on the facts a rule read
**   policy_load.c   loading and validating a version's source
**   policy_rt.c     the runtime's lifetime (one per connection)
**   policy_call.c   eligible(), meal(), site(): calls and result checks
**   policy_store.c  the stored versions, version choice, policy_install/_load
**   policy_test.c   policy_test(): the versions' own test cases
** Other modules see only policy.h.
*/
#ifndef ZC_POLICY_INT_H
#define ZC_POLICY_INT_H
#include "policy.h"
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#define ZC_POLICY_BUDGET   10000000L        /* VM instructions per call */
#define ZC_POLICY_HOOK     1000             /* hook tick, instructions */
#define ZC_POLICY_MEM_CAP  (64u << 20)      /* bytes per connection state */
#define ZC_POLICY_MAX_SRC  (1 << 20)        /* bytes of source text */
#define MEMO_MAX_MASKS     16
#define MEMO_MAX_ENTRIES   (1 << 16)
#define MAX_NAME           64
#define MAX_DEPTH          64

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
  Memo memo[2];
  struct PVersion *next_all;
} PVersion;

typedef struct IndexRow {
  sqlite3_int64 id;
  char *name;
  int eff;                 /* ZC_NONE when the stored text is not a date */
  char sha[65];
} IndexRow;

struct ZcPolicyRt {
  ZcConn *zc;
  lua_State *L;
  size_t mem, mem_cap;
  int mem_hit, budget_hit, in_call;
  long steps;
  int memo_on;
  /* fact proxies (registry refs, by ZF_K_*) and the struct each reads now */
  int ref_proxy[ZF_NKIND];
  int ref_base;
  const ZcElderFacts *cur_elder;
  const ZcMealFacts *cur_meal;
  const ZcSiteFacts *cur_site;
  const ZcSiteStats *cur_stats;
  Mask seen;
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

/* sandbox.c */
enum { RUN_OK, RUN_ERR, RUN_BUDGET, RUN_MEM };
void *zc_sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* Opens the pruned libraries and the read-only base table (rt->ref_base). */
int zc_sb_open(lua_State *L);
/* Runs f(ctx) protected, with a fresh instruction budget.  On RUN_ERR
** *pmsg is the error text (sqlite3_malloc'd). */
int zc_sb_run(Rt *rt, lua_CFunction f, void *ctx, char **pmsg);
/* Pushes the table holding t's contents: its hidden table if t is frozen,
** else t itself; -1 if t has a metatable of another kind. */
int zc_sb_contents(lua_State *L, int idx);
/* Freezes the value at idx in place (visited table at vis, the upvalue
** snapshot at snap). */
void zc_sb_freeze(lua_State *L, int idx, int vis, int snap, int depth);
/* __newindex of globals once a version is loaded */
int zc_sb_global_assign(lua_State *L);

/* policy_facts.c: creates the proxies (rt->ref_proxy). */
int zc_pf_open(lua_State *L);
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
/* Loads source as a version (validated, frozen); *out owned by the caller. */
int zc_pl_load(Rt *rt, const char *src, size_t len, const char *chunk, PVersion **out, char **pmsg);
void zc_pl_free(Rt *rt, PVersion *v);

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

#endif /* ZC_POLICY_INT_H */
