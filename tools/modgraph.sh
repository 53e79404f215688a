#!/bin/sh
# tools/modgraph.sh [OBJDIR] — which module of ext/ uses which, read from
# the built objects (nm): module A uses module B when A's object needs a
# symbol B's object defines.  One line per module, "a: b c d", in layers:
# modules that use nothing first, then those that use only earlier layers,
# and so on; a circle makes the script print "circle: ..." and exit 1.
# docs/design.md holds this output; tests/modules.sh checks it is current.
cd "$(dirname "$0")/.." || exit 1
dir=${1:-build/obj}
ls "$dir"/*.o > /dev/null 2>&1 || { echo "no objects in $dir: run make first" >&2; exit 2; }
for o in "$dir"/*.o; do
  m=$(basename "$o" .o)
  # sqlite3_api (the loader's routine table, zhucan.c) is how every module calls SQLite, not a use of zhucan.c
  nm "$o" | grep -v " sqlite3_api$" | awk -v m="$m" '$1 ~ /^[0-9a-f]+$/ && $2 ~ /^[TDBR]$/ { print "def", m, $3 } $1 == "U" { print "use", m, $2 }'
done | awk '
  $1 == "def" { def[$3] = $2; next }
  { use[NR] = $2 " " $3 }
  END {
    for (i in use) {
      split(use[i], u, " ")
      if ((u[2] in def) && def[u[2]] != u[1]) dep[u[1] " " def[u[2]]] = 1
    }
    for (k in dep) print k
  }' | sort -u > /tmp/zc_modgraph.$$
for o in "$dir"/*.o; do basename "$o" .o; done | sort > /tmp/zc_modules.$$
# layers (Kahn): a module whose uses are all placed goes in the next layer
awk '
  FILENAME == ARGV[1] { mod[$1] = 1; n++; next }
  { deps[$1] = deps[$1] " " $2; nd[$1]++ }
  END {
    placed = 0
    while (placed < n) {
      layer = ""
      for (m in mod) {
        if (m in done) continue
        ok = 1; k = split(deps[m], d, " ")
        for (i = 1; i <= k; i++) if (!(d[i] in done)) ok = 0
        if (ok) layer = layer " " m
      }
      if (layer == "") {
        left = ""; for (m in mod) if (!(m in done)) left = left " " m
        print "circle: among" left; exit 1
      }
      k = split(layer, l, " ")
      for (i = 1; i <= k; i++) { done[l[i]] = 1; placed++ }
      # print this layer sorted, each with its sorted uses
      cmd = "sort"
      for (i = 1; i <= k; i++) {
        s = l[i] ":"; c = split(deps[l[i]], d, " ")
        line = ""
        for (j = 1; j <= c; j++) line = line " " d[j]
        print s line | cmd
      }
      close(cmd)
      print "--"
    }
  }' /tmp/zc_modules.$$ /tmp/zc_modgraph.$$ | awk '
  /^circle/ { print; bad = 1; next }
  /^--$/ { layer++; shown = 0; next }
  { if (!shown) { printf "layer %d\n", layer; shown = 1 }
    n = split($0, w, " "); sub(/:$/, "", w[1])
    for (i = 2; i <= n; i++) a[i - 1] = w[i]
    m = n - 1
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    line = ""; for (i = 1; i <= m; i++) line = line " " a[i]
    if (m) printf "  %-13s uses%s\n", w[1], line; else printf "  %s\n", w[1] }
  END { exit bad }'
rc=$?
rm -f /tmp/zc_modgraph.$$ /tmp/zc_modules.$$
exit $rc
