#!/bin/sh
# fuzz/run.sh MODE [TARGET...] — run zhucan's libFuzzer targets (built by
# `make fuzz-build` into build/fuzz/).  Run from the repository root; the
# Makefile's `make fuzz` and `make fuzz-check` call it.  docs/fuzzing.md.
#
#   fuzz      each target for $FUZZ_SECONDS (60); the working corpus is
#             build/fuzz/corpus/<t>/ (grows, never committed), seeded from
#             fuzz/corpus/<t>/; findings in build/fuzz/artifacts/<t>/
#   check     every file of fuzz/crashes/<t>/ once (fixed crashes, kept as
#             regressions), then each target for $FUZZ_CHECK_SECONDS (20)
#             from the committed seeds in a scratch corpus
#   pending   every file of fuzz/pending/<t>/ once: which still fail (not
#             part of make test)
#   minimize  the working corpus of each target, merged into
#             build/fuzz/min/<t>/ (a candidate seed set to review and copy)
#
# One target at a time, one process each (the machine is shared).  Exit 1
# when anything crashed, leaked, broke an invariant or timed out.
set -u
MODE=${1:-}
[ $# -gt 0 ] && shift
TARGETS=${*:-identity regex swipe_log policy unpack datetime pageread}
B=build/fuzz
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_CHECK_SECONDS=${FUZZ_CHECK_SECONDS:-20}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
# UBSan's options are built in (fuzz/common.c: halt on any report, the
# suppressions of fuzz/ubsan.supp).

# Options per target: input size cap (policies are text of a few KB; the
# other inputs stay small, the padding modes of swipe_log make big files).
opts() {
  case $1 in
    policy)    echo "-max_len=16384" ;;
    swipe_log) echo "-max_len=4096" ;;
    unpack)    echo "-max_len=4096" ;;
    *)         echo "-max_len=1024" ;;
  esac
}

common() {
  t=$1
  d=""
  [ -f "fuzz/$t.dict" ] && d="-dict=fuzz/$t.dict"
  echo "$(opts "$t") $d -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1"
}

# "N execs, E exec/s" from a libFuzzer log
stats() {
  n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -n 1)
  s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$1" | tail -n 1)
  echo "${n:-?} execs, ${s:-?} exec/s"
}

# the finding libFuzzer wrote, and its cause line
finding() {
  a=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$1" | tail -n 1)
  why=$(grep -m 1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant broken|SUMMARY:" "$1")
  echo "    input: ${a:-?}"
  echo "    cause: ${why:-see $1}"
}

fail=0
summary=""
for t in $TARGETS; do
  bin=$B/$t
  [ -x "$bin" ] || { echo "fuzz: $bin missing: run 'make fuzz-build'"; exit 2; }
  mkdir -p "$B/logs" "$B/artifacts/$t"
  log=$B/logs/$t.$MODE.log
  case $MODE in
    fuzz)
      mkdir -p "$B/corpus/$t"
      echo "== $t: fuzzing ${FUZZ_SECONDS}s (log $log)"
      # shellcheck disable=SC2046
      $bin $(common "$t") -max_total_time="$FUZZ_SECONDS" -artifact_prefix="$B/artifacts/$t/" \
        "$B/corpus/$t" "fuzz/corpus/$t" > "$log" 2>&1
      rc=$?
      line="$t: $(stats "$log"), corpus $(ls "$B/corpus/$t" | wc -l) files"
      if [ $rc -ne 0 ]; then fail=1; line="$line: FOUND (exit $rc)"; echo "$line"; finding "$log"
      else line="$line: ok"; echo "$line"; fi
      summary="$summary
$line"
      ;;
    check)
      crashes=$(ls "fuzz/crashes/$t" 2>/dev/null | grep -v '^README' | sed "s|^|fuzz/crashes/$t/|")
      if [ -n "$crashes" ]; then
        # shellcheck disable=SC2086
        if $bin -timeout=10 -error_exitcode=1 -timeout_exitcode=1 $crashes > "$B/logs/$t.regress.log" 2>&1; then
          echo "ok    $t: $(echo "$crashes" | wc -l) saved crash(es) pass"
        else
          fail=1
          echo "FAIL  $t: a saved crash fails again (log $B/logs/$t.regress.log)"
          grep -m 3 -E "Running:|ERROR|runtime error|invariant broken" "$B/logs/$t.regress.log"
        fi
      fi
      w=$B/check/$t
      rm -rf "$w"
      mkdir -p "$w"
      # shellcheck disable=SC2046
      $bin $(common "$t") -max_total_time="$FUZZ_CHECK_SECONDS" -artifact_prefix="$B/artifacts/$t/" \
        "$w" "fuzz/corpus/$t" > "$log" 2>&1
      rc=$?
      if [ $rc -eq 0 ]; then
        echo "ok    $t: ${FUZZ_CHECK_SECONDS}s, $(stats "$log")"
      else
        fail=1
        echo "FAIL  $t: $(stats "$log") (log $log)"
        finding "$log"
      fi
      rm -rf "$w"
      ;;
    pending)
      for f in fuzz/pending/"$t"/*; do
        [ -f "$f" ] || continue
        if FZ_NO_GUARDS=1 UBSAN_OPTIONS=suppressions= $bin -timeout=10 -error_exitcode=1 -timeout_exitcode=1 "$f" > "$B/logs/pending.log" 2>&1; then
          echo "passes now: $f (fixed? move it to fuzz/crashes/$t/ and drop its PENDING guard)"
        else
          echo "still fails: $f"
          grep -m 1 -E "ERROR: |runtime error:|invariant broken" "$B/logs/pending.log" | sed 's/^/    /'
        fi
      done
      ;;
    minimize)
      rm -rf "$B/min/$t"
      mkdir -p "$B/min/$t"
      # shellcheck disable=SC2046
      $bin $(common "$t") -merge=1 "$B/min/$t" "fuzz/corpus/$t" "$B/corpus/$t" > "$log" 2>&1 ||
        { echo "minimize $t failed (log $log)"; fail=1; }
      echo "$t: $(ls "$B/min/$t" | wc -l) files, $(du -sk "$B/min/$t" | cut -f1) KiB in $B/min/$t"
      ;;
    *)
      echo "usage: sh fuzz/run.sh fuzz|check|pending|minimize [target...]"
      exit 2
      ;;
  esac
done
[ "$MODE" = fuzz ] && printf '%s\n' "== summary$summary"
exit $fail
