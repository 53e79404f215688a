#!/bin/bash
# A NULL required argument (issue #13, ask 4): every function that answers
# money, eligibility, a run, a policy or a file's rows says which argument is
# NULL — an error naming the function — and never answers zero rows or NULL,
# which a sum would read as 0.  The helpers on text (ID numbers, masks,
# regular expressions, age_on) follow SQL instead: NULL in, NULL out.  Each
# call below is made once per argument with that argument NULL; every
# function documented in docs/ref/ must appear here in one of the two lists,
# so a new function has to choose.
# modes: plain asan
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" test.db "$@" 2>&1; }
fail=0
Z "SELECT policy_load('lua/zhongyang.lua')" >/dev/null || exit 1
Z "SELECT settle('141129', '2024-03')" >/dev/null || exit 1
# errors: function|SQL with @1, @2, ... for the arguments|the arguments, ';' between
ERRORS="
settlement|SELECT count(*) FROM settlement(@1, @2)|'141129';'2024-03'
settle|SELECT settle(@1, @2)|'141129';'2024-04'
settle|SELECT settle(@1, @2, @3)|'141129';'2024-04';'supersede'
replay|SELECT count(*) FROM replay(@1)|1
run_verify|SELECT count(*) FROM run_verify(@1)|1
zhucan_run_unpack|SELECT count(*) FROM zhucan_run_unpack(@1)|(SELECT data FROM zhucan_run_pack LIMIT 1)
anomaly_scan|SELECT count(*) FROM anomaly_scan(@1, @2)|'141129';'2024-03'
coverage_gaps|SELECT count(*) FROM coverage_gaps(@1, @2)|'141129';'2024-03'
needs_watch|SELECT count(*) FROM needs_watch(@1, @2)|'141129';'2024-03'
swipe_log|SELECT count(*) FROM swipe_log(@1, @2)|'fixtures/swipes/good.csv';'csv'
swipe_log|SELECT count(*) FROM swipe_log(@1, @2, @3)|'fixtures/swipes/good.csv';'csv';'gbk'
subsidy_for|SELECT subsidy_for(@1)|1
zhucan_scan_row|SELECT zhucan_scan_row(@1, @2)|1;2
subsidy_for|SELECT subsidy_for(@1, @2, @3, @4)|1;1;'2024-03-05 12:00:00';'lunch'
subsidy_explain|SELECT subsidy_explain(@1)|1
eligible|SELECT eligible(@1, @2)|1;'2024-03-05'
eligible|SELECT eligible(@1, @2, @3)|1;'2024-03-05';'meal'
policy_load|SELECT policy_load(@1)|'lua/zhongyang.lua'
policy_install|SELECT policy_install(@1)|'return {}'
policy_test|SELECT policy_test(@1)|'zhongyang'
policy_load|SELECT policy_load(@1, @2)|'lua/taiyuan.lua';'a reason'
policy_install|SELECT policy_install(@1, @2)|'return {}';'a reason'
policy_in_force|SELECT policy_in_force(@1, @2)|'141129';'2024-03-15'
policy_assign|SELECT policy_assign(@1, @2)|'141129100';'zhongyang'
policy_retire|SELECT policy_retire(@1)|1
policy_impact|SELECT count(*) FROM policy_impact(@1, @2, @3)|'lua/zhongyang.lua';'141129';'2024-03'
zhucan_lang|SELECT zhucan_lang(@1)|'en'
notice|SELECT count(*) FROM notice(@1, @2)|1;'2024-03'
notice_html|SELECT notice_html(@1, @2)|1;'2024-03'
notice_due|SELECT count(*) FROM notice_due(@1, @2)|'141129';'2024-03'
honour_roll|SELECT count(*) FROM honour_roll(@1, @2)|'141129';'2024-03'
award_ranking|SELECT count(*) FROM award_ranking(@1, @2)|'141129';2024
donation_certificate_html|SELECT donation_certificate_html(@1)|1
credit_ledger|SELECT count(*) FROM credit_ledger(@1, @2)|'141129';'2024-03-31'
credit_ledger_digest|SELECT credit_ledger_digest(@1, @2)|'141129';'2024-03-31'
credit_statement|SELECT count(*) FROM credit_statement(@1, @2)|1;2024
credit_redeem|SELECT credit_redeem(@1, @2, @3, @4, @5)|1;'2024-03-31';1000;'meal';1
credit_give|SELECT credit_give(@1, @2, @3, @4, @5)|1;2;'spouse';'2024-03-31';1000
credit_settle|SELECT credit_settle(@1, @2)|'141129';'2024-03-31'
credit_settle|SELECT credit_settle(@1, @2, @3)|'141129';'2024-03-31';'supersede'
credit_verify|SELECT count(*) FROM credit_verify(@1)|1
"
# NULL in, NULL out
NULLS="
idcard_birth|SELECT quote(idcard_birth(@1))|'11010519491231002X'
idcard_sex|SELECT quote(idcard_sex(@1))|'11010519491231002X'
idcard_sex_label|SELECT quote(idcard_sex_label(@1))|'11010519491231002X'
idcard_sex_label|SELECT quote(idcard_sex_label(@1, @2))|'11010519491231002X';'zh'
idcard_region|SELECT quote(idcard_region(@1))|'11010519491231002X'
age_on|SELECT quote(age_on(@1, @2))|'11010519491231002X';'2024-03-05'
mask_name|SELECT quote(mask_name(@1))|'张三丰'
mask_id|SELECT quote(mask_id(@1))|'11010519491231002X'
regexp|SELECT quote(regexp(@1, @2))|'b';'abc'
regexp_like|SELECT quote(regexp_like(@1, @2))|'abc';'b'
regexp_substr|SELECT quote(regexp_substr(@1, @2))|'abc';'b'
regexp_capture|SELECT quote(regexp_capture(@1, @2, @3))|'abc';'(b)';1
regexp_replace|SELECT quote(regexp_replace(@1, @2, @3))|'abc';'b';'x'
"
# no arguments, or no required ones
NONE="zhucan_version zhucan_run_guard zhucan_policy_guard"
# idcard_valid is a predicate: NULL is not a valid ID, 0 (docs/ref/idcard_valid.md)
[ "$(Z "SELECT quote(idcard_valid(NULL))")" = 0 ] && echo "ok   SELECT idcard_valid(NULL): 0" ||
  { echo "FAIL idcard_valid(NULL) is not 0"; fail=1; }
NONE="$NONE idcard_valid"

# calls SQL with argument k NULL; prints the result
call() { # template args k
  local sql=$1 k=$3 i=1 a
  IFS=';' read -r -a A <<< "$2"
  for a in "${A[@]}"; do
    [ $i = "$k" ] && a=NULL
    sql=${sql//@$i/$a}; i=$((i + 1))
  done
  Z "$sql"
}

run_list() { # list want
  while IFS='|' read -r fn sql args; do
    [ -n "$fn" ] || continue
    IFS=';' read -r -a A <<< "$args"
    for k in $(seq 1 "${#A[@]}"); do
      out=$(call "$sql" "$args" "$k")
      shown="${sql//@$k/NULL}"
      if [ "$2" = error ]; then
        case "$out" in *"$fn:"*) echo "ok   $shown: ${out#*stepping, }" ;;
          *) echo "FAIL $shown: no error naming $fn: $out"; fail=1 ;; esac
      else
        [ "$out" = NULL ] && echo "ok   $shown: NULL" || { echo "FAIL $shown: $out, expected NULL"; fail=1; }
      fi
    done
  done <<< "$1"
}
run_list "$ERRORS" error
run_list "$NULLS" null

# every documented function is in one of the lists
for f in "$ZC_ROOT"/docs/ref/*.md; do
  fn=$(basename "$f" .md)
  case " $NONE " in *" $fn "*) continue ;; esac
  printf '%s\n%s\n' "$ERRORS" "$NULLS" | grep -q "^$fn|" || { echo "FAIL: $fn (docs/ref/$fn.md) is in neither list"; fail=1; }
done
exit $fail
