/*
** lang.c — the language of messages on this connection: zhucan_lang().
**
**   SELECT zhucan_lang();          -- 'zh' (the default) or 'en'
**   SELECT zhucan_lang('en');      -- sets English, answers the language before: 'zh'
**
** Error messages, anomaly_scan's details, coverage_gaps' reasons and
** idcard_sex_label() speak the connection's language (ZcConn.lang; each
** module picks its text with zc_tr(zc, "English", "中文")).  A connection
** starts in Chinese, or in English when the environment variable
** ZHUCAN_LANG is 'en' (or starts with 'en', as 'en_US.UTF-8') when the
** extension is loaded; 'zh…' or anything else keeps Chinese.  A policy's
** own reasons are its own text, in whatever language its author wrote.
*/
#include "modules.h"
#include <stdlib.h>
#include <string.h>

/* The language a word names: ZC_LANG_ZH, ZC_LANG_EN, or -1. */
static int lang_word(const char *z) {
  if (z == NULL) return -1;
  if (strcmp(z, "zh") == 0) return ZC_LANG_ZH;
  if (strcmp(z, "en") == 0) return ZC_LANG_EN;
  return -1;
}

static void lang_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcConn *zc = sqlite3_user_data(ctx);
  const char *was = zc->lang == ZC_LANG_EN ? "en" : "zh";
  if (argc == 1) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
      zc_errorf(ctx, zc_tr(zc, "zhucan_lang: language is NULL; expected 'zh' or 'en'",
                           "zhucan_lang：语言参数为 NULL；应为 'zh'（中文）或 'en'（英文）"));
      return;
    }
    const char *z = (const char *)sqlite3_value_text(argv[0]);
    int l = lang_word(z);
    if (l < 0) {
      char *r = zc_value_repr(argv[0]);
      zc_errorf(ctx, zc_tr(zc, "zhucan_lang: %s is not a language; expected 'zh' or 'en'",
                           "zhucan_lang：%s 不是可用的语言；应为 'zh'（中文）或 'en'（英文）"),
                r ? r : "?");
      sqlite3_free(r);
      return;
    }
    zc->lang = l;
  }
  sqlite3_result_text(ctx, was, -1, SQLITE_STATIC);
}

int zc_lang_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  const char *env = getenv("ZHUCAN_LANG");
  zc->lang = env && strncmp(env, "en", 2) == 0 ? ZC_LANG_EN : ZC_LANG_ZH;
  /* never deterministic (it answers the connection's setting); setting
  ** it is not innocuous: only from top-level SQL, never a view or trigger */
  static const ZcFunc aFunc[] = {
      {"zhucan_lang", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, lang_func},
      {"zhucan_lang", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, lang_func},
  };
  return zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
}
