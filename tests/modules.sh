#!/bin/bash
# The house rules of ext/, checked on the build:
#   - no module uses another that uses it back, directly or round a circle
#     (tools/modgraph.sh, from the objects' symbols), and docs/design.md
#     shows the graph as it is;
#   - no source file over 1,200 lines, no function over 100
#     (tools/fnlen.sh);
#   - every source file opens with a comment saying what it owns;
#   - the extension exports its two init entry points and nothing else.
# modes: plain
set -u
cd "$ZC_ROOT" || exit 1
fail=0
graph=$(tools/modgraph.sh build/obj) || { echo "$graph"; echo "modules use each other in a circle"; exit 1; }
doc=$(sed -n '/^<!-- modgraph: begin/,/^<!-- modgraph: end/p' docs/design.md | sed '1d;$d' | sed '/^```/d')
if [ "$graph" != "$doc" ]; then
  echo "docs/design.md's module graph is stale; the build's is:"
  diff <(echo "$doc") <(echo "$graph")
  fail=1
fi
for f in ext/*.c ext/*.h; do
  n=$(wc -l < "$f")
  [ "$n" -le 1200 ] || { echo "$f: $n lines (at most 1,200)"; fail=1; }
  [ "$(head -c 2 "$f")" = "/*" ] || { echo "$f: does not open with a comment"; fail=1; }
done
long=$(tools/fnlen.sh | awk '$1 > 100')
[ -z "$long" ] || { echo "functions over 100 lines:"; echo "$long"; fail=1; }
exports=$(nm -D --defined-only zhucan.so | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
[ "$exports" = "sqlite3_extension_init sqlite3_zhucan_init " ] || { echo "zhucan.so exports: $exports"; fail=1; }
[ $fail -eq 0 ] && echo "$(echo "$graph" | grep -c '^  ') modules, no circle; sizes within limits; exports: $exports"
exit $fail
