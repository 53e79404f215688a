#!/bin/sh
# make demo: show a month of the county fixture.
set -e
cd "$(dirname "$0")/.."
sqlite3 -batch -cmd ".load ./zhucan" data/county.db < sql/demo.sql
