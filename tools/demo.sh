#!/bin/sh
# make demo: a month of the sample county, settled, audited and scanned.
# Works on a fresh copy of data/county.db so it can be run again and again.
set -e
cd "$(dirname "$0")/.."
cp data/county.db data/demo.db
echo "zhucan demo on data/demo.db (a fresh copy of the generated county fixture)"
sqlite3 -batch -cmd ".load ./zhucan" data/demo.db < sql/demo.sql
echo
echo "Open it yourself:  sqlite3 data/demo.db   then   .load ./zhucan"
