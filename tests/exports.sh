# The extension exports only its two init entry points, and loads under any
# file name through sqlite3_extension_init.
# modes: plain
set -e
syms=$(nm -D --defined-only "$ZC_SO" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
[ "$syms" = "sqlite3_extension_init sqlite3_zhucan_init " ] || { echo "exported: $syms"; exit 1; }
cp "$ZC_SO" ./other_name.so
v=$(sqlite3 :memory: ".load ./other_name" "SELECT zhucan_version() LIKE 'zhucan %'")
[ "$v" = 1 ] || { echo "loading as other_name.so failed: $v"; exit 1; }
