#!/bin/sh
# Install the Debian packages zhucan needs (non-interactive). Skips apt when
# everything is present already.
set -e
PKGS="build-essential pkg-config sqlite3 libsqlite3-dev libpcre2-dev liblua5.4-dev nettle-dev clang libclang-rt-14-dev
      valgrind unixodbc odbcinst libsqliteodbc python3-pyodbc python3 pcre2-utils time
      libxlsxwriter-dev python3-openpyxl tmux
      chromium fonts-noto-cjk poppler-utils
      libdqlite-dev go-dqlite"
NOREC=""
# `tools/deps.sh windows`: what `make windows` and `make test-windows` need
# (docs/windows.md): the mingw-w64 cross compiler, tclsh (SQLite's
# amalgamation), dpkg-dev (apt-get source), Wine (64-bit only) and zip;
# without the recommended packages (Wine's would add fonts, GStreamer, ...)
if [ "${1:-}" = windows ]; then
  PKGS="gcc-mingw-w64-x86-64 tcl dpkg-dev wine64 wine zip"
  NOREC=--no-install-recommends
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 ||
    { echo "zhucan: missing Debian packages; as root run: apt-get install$missing"; exit 1; }
  SUDO=sudo
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q $NOREC $missing
