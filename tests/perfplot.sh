# tools/perfplot.py (the province bench's table, plot and target checks) on
# hand-made measurements: each verdict line is worked out here by hand.
#   county      1,000,000 meals: settlement warm 0.40 s CPU -> 0.400 us/meal
#   province-x 10,000,000 meals: settlement warm 4.80 s -> 0.480 us/meal:
#               0.480 / 0.400 = 1.20x (met); 10M / 4.80 s = 2.08M/s (met)
#   subsidy_for fresh: county 0.50 s (0.500 us), province 7.00 s (0.700 us):
#               1.40x (NOT met); its warm row (cached answers) is not used
#   settlement cold at province-x: wall 9.00 s / CPU 6.00 s = 1.50 (met);
#               10M / 6.00 s = 1.67M/s of CPU (met), 10M / 9.00 = 1.11M/s of
#               wall (NOT met)
#   RSS: anomaly_scan 1,100,000 KiB = 1074 MiB at province-x (NOT met)
# modes: plain
set -eu
cd "$ZC_ROOT"
tmp=$(mktemp -d /tmp/zcperfplot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
t=$(printf '\t')
{
  printf 'size\tmeals\telders\tfile_bytes\tpass\tvariant\tcpu_s\twall_s\trss_kib\tresult\n'
  for v in cold warm fresh; do
    printf 'county\t1000000\t50000\t1048576\tsettlement\t%s\t0.40\t0.40\t10240\t1 2\n' $v
    printf 'county\t1000000\t50000\t1048576\tsubsidy_for\t%s\t%s\t0.50\t10240\t1 2\n' $v "$([ $v = warm ] && echo 0.05 || echo 0.50)"
    printf 'county\t1000000\t50000\t1048576\tanomaly_scan\t%s\t0.40\t0.30\t20480\t3\n' $v
  done
  printf 'province-x\t10000000\t500000\t10485760\tsettlement\tcold\t6.00\t9.00\t512000\t1 2\n'
  printf 'province-x\t10000000\t500000\t10485760\tsettlement\twarm\t4.80\t4.80\t512000\t1 2\n'
  printf 'province-x\t10000000\t500000\t10485760\tsettlement\tfresh\t5.00\t5.00\t512000\t1 2\n'
  printf 'province-x\t10000000\t500000\t10485760\tsubsidy_for\tcold\t8.00\t8.00\t600000\t1 2\n'
  printf 'province-x\t10000000\t500000\t10485760\tsubsidy_for\twarm\t0.50\t0.50\t600000\t1 2\n'
  printf 'province-x\t10000000\t500000\t10485760\tsubsidy_for\tfresh\t7.00\t7.00\t600000\t1 2\n'
  for v in cold warm fresh; do
    printf 'province-x\t10000000\t500000\t10485760\tanomaly_scan\t%s\t4.00\t3.00\t1100000\t3\n' $v
  done
} > "$tmp/r.tsv"
/usr/bin/python3 tools/perfplot.py "$tmp/r.tsv" "$tmp/out" > "$tmp/said"
md=$tmp/out/province.md
want() { grep -qF -- "$1" "$md" || { echo "missing in province.md: $1"; cat "$md"; exit 1; }; }
want "cost per meal of settlement (warm) at province-x / county: 0.480 / 0.400 µs = **1.20×** (target ≤ 1.25: met)"
want "cost per meal of subsidy_for (fresh) at province-x / county: 0.700 / 0.500 µs = **1.40×** (target ≤ 1.25: NOT met)"
want "cost per meal of anomaly_scan (warm) at province-x / county: 0.400 / 0.400 µs = **1.00×** (target ≤ 1.25: met)"
want "settlement, warm: slowest 2.08M meals/s of CPU (at province-x) (target ≥ 2.0M: met)"
want "settlement, fresh connection, file dropped from the page cache: slowest 1.67M meals/s of CPU (at province-x) (target ≥ 1.5M: met)"
want "settlement, fresh connection, file dropped from the page cache: slowest 1.11M meals/s of wall (at province-x) (target ≥ 1.5M: NOT met)"
want "largest RSS of a pass at province-x: anomaly_scan 1074 MiB (target ≤ 1024: NOT met)"
want "cold-cache settlement at province-x: wall 9.00 s / CPU 6.00 s = 1.50 (target ≤ 1.5: met)"
# every measured row is in the table, with its cost per meal
[ "$(grep -c '^| county |' "$md")" = 9 ] || { echo "county rows"; exit 1; }
[ "$(grep -c '^| province-x |' "$md")" = 9 ] || { echo "province rows"; exit 1; }
grep -qF "| province-x | 10000000 | 500000 | 10 | settlement | warm | 4.80 | 4.80 | 1.00 | 0.480 | 2083333 | 2083333 | 500 |" "$md" ||
  { echo "settlement warm row"; grep settlement "$md"; exit 1; }
# the plot: an SVG with a line per pass drawn and the 1 GiB mark
svg=$tmp/out/province.svg
/usr/bin/python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$svg"
[ "$(grep -c '<polyline' "$svg")" -ge 5 ] || { echo "too few lines in the plot"; exit 1; }
grep -q '1 GiB' "$svg"
echo "perfplot: verdicts and table as worked by hand"
