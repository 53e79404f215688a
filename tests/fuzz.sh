#!/bin/sh
# The libFuzzer targets (fuzz/, docs/fuzzing.md) as part of `make test`:
# builds them with clang from whatever ext/ holds, runs every saved crash
# in fuzz/crashes/ as a regression, then fuzzes each target for
# FUZZ_CHECK_SECONDS (20) from the committed seeds: `make fuzz-check`.
# Any crash, sanitizer report, leak, broken invariant or timeout fails.
# Skips (77) only when clang or its libFuzzer runtime is not installed
# (Debian: apt-get install clang libclang-rt-14-dev, in tools/deps.sh).
# modes: plain
set -u
CC=${FUZZ_CC:-clang}
command -v "$CC" > /dev/null 2>&1 || {
  echo "skip: $CC not installed (apt-get install clang libclang-rt-14-dev)"; exit 77; }
probe=$(mktemp -d /tmp/zcfuzzprobe.XXXXXX)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
  > "$probe/p.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" > "$probe/log" 2>&1; then
  cat "$probe/log"
  rm -rf "$probe"
  echo "skip: $CC cannot link -fsanitize=fuzzer,address,undefined (libFuzzer runtime missing: apt-get install libclang-rt-14-dev)"
  exit 77
fi
rm -rf "$probe"
start=$(date +%s)
make -C "$ZC_ROOT" --no-print-directory -j2 fuzz-check FUZZ_CC="$CC"
rc=$?
echo "fuzz-check: exit $rc in $(( $(date +%s) - start ))s"
[ $rc -eq 0 ] || exit 1
