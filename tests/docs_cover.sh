#!/bin/bash
# Every registered SQL function and module has docs/ref/NAME.md, every
# reference page names a registered function or module, the index links each
# page, and each page's ```sql example runs without error on the small fixture.
# modes: plain
set -e
base_f=$(sqlite3 :memory: "SELECT DISTINCT name FROM pragma_function_list" | sort -u)
base_m=$(sqlite3 :memory: "SELECT name FROM pragma_module_list" | sort -u)
ours_f=$(sqlite3 :memory: ".load ./zhucan" "SELECT DISTINCT name FROM pragma_function_list" | sort -u)
ours_m=$(sqlite3 :memory: ".load ./zhucan" "SELECT name FROM pragma_module_list" | sort -u)
registered=$( (comm -13 /dev/stdin <(echo "$ours_f") <<EOT
$base_f
EOT
comm -13 <(echo "$base_m") <(echo "$ours_m")) | sort -u)
documented=$(ls "$ZC_ROOT"/docs/ref/*.md | xargs -n1 basename | sed 's/\.md$//' | sort -u)
# A page may also document a function the sqlite3 shell already has and
# zhucan replaces (regexp): it must exist with the extension loaded.
all_ours=$(printf '%s\n%s\n' "$ours_f" "$ours_m" | sort -u)
undoc=$(comm -23 <(echo "$registered") <(echo "$documented"))
unreg=$(comm -23 <(echo "$documented") <(echo "$all_ours"))
if [ -n "$undoc" ] || [ -n "$unreg" ]; then
  echo "registered but undocumented:"; echo "$undoc"
  echo "documented but not registered:"; echo "$unreg"
  exit 1
fi
status=0
for n in $documented; do
  grep -q "ref/$n.md" "$ZC_ROOT/docs/README.md" || { echo "docs/README.md does not link ref/$n.md"; status=1; }
  ex=$(awk '/^```sql/{f=1;next} /^```/{f=0} f' "$ZC_ROOT/docs/ref/$n.md")
  [ -n "$ex" ] || { echo "ref/$n.md has no \`\`\`sql example"; status=1; continue; }
  cp "$ZC_SMALL_DB" ex.db
  if ! out=$(printf '%s\n' "$ex" | sqlite3 -bail -cmd ".load ./zhucan" ex.db 2>&1); then
    echo "ref/$n.md example fails: $out" | head -5; status=1
  fi
done
exit $status
