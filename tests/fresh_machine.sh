#!/bin/bash
# modes: plain
# The first `make demo` on a fresh machine builds.  A copy of the source tree
# (no build/, data/, zhucan.so) is driven with fakes first in PATH that play a
# Debian machine where nothing is installed yet: dpkg-query reports every
# package missing, pkg-config and cc are "not found", until the fake apt-get
# (and sudo, which just runs it) "installs" them by creating a marker file;
# from then on pkg-config and cc run the real ones.  Nothing is installed or
# removed for real.  Checks:
#   1. `make` before any install stops with the one-line hint naming 'make deps';
#   2. `make demo` then installs (apt-get install -y, DEBIAN_FRONTEND=
#      noninteractive), compiles every ext/*.c with the pkg-config flags read
#      after the install (Lua's -I, else lauxlib.h is not found), builds the
#      county fixture and runs the demo, in that one invocation;
#   3. a second `make demo` installs nothing and compiles nothing.
set -u
real_pc=$(command -v pkg-config) || { echo "pkg-config not installed"; exit 1; }
real_cc=$(command -v cc) || { echo "cc not installed"; exit 1; }
lua_cflags=$("$real_pc" --cflags lua5.4) || exit 1
[ -n "$lua_cflags" ] || { echo "pkg-config --cflags lua5.4 is empty here: cannot tell"; exit 77; }
tmp=$(mktemp -d /tmp/zcfresh.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fake="$tmp/bin"; tree="$tmp/tree"; mark="$tmp/installed"; log="$tmp/apt.log"
mkdir -p "$fake" "$tree"

cat > "$fake/dpkg-query" <<EOF
#!/bin/sh
[ -e "$mark" ] || exit 1
exec "$(command -v dpkg-query)" "\$@"
EOF
cat > "$fake/pkg-config" <<EOF
#!/bin/sh
[ -e "$mark" ] || { echo "pkg-config: not found (fresh machine)" >&2; exit 127; }
exec "$real_pc" "\$@"
EOF
cat > "$fake/cc" <<EOF
#!/bin/sh
[ -e "$mark" ] || { echo "cc: not found (fresh machine)" >&2; exit 127; }
exec "$real_cc" "\$@"
EOF
cat > "$fake/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$* DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-}" >> "$log"
case " \$* " in *" install "*) touch "$mark" ;; esac
EOF
cat > "$fake/sudo" <<'EOF'
#!/bin/sh
exec "$@"
EOF
chmod +x "$fake"/*

(cd "$ZC_ROOT" && tar -c --exclude=./.git --exclude=./build --exclude=./data \
   --exclude=./zhucan.so .) | tar -x -C "$tree" || exit 1
cd "$tree" || exit 1
# a make of its own, not a sub-make of the one running the tests
unset MAKEFLAGS MFLAGS MAKELEVEL
export PATH="$fake:$PATH"

# 1. nothing installed: `make` says what to run, in one line
if make > make.out 2>&1; then echo "make built with nothing installed"; cat make.out; exit 1; fi
grep -q "^zhucan: packages missing .*run 'make deps'" make.out ||
  { echo "make without packages: no hint"; cat make.out; exit 1; }
{ [ ! -e "$mark" ] && [ ! -e "$log" ]; } || { echo "make ran apt-get"; exit 1; }

# 2. the first `make demo` installs, builds and runs the demo
make demo OPT=-O0 > demo.out 2>&1 || { echo "first make demo failed"; tail -n 30 demo.out; exit 1; }
[ -e "$mark" ] || { echo "make demo did not install the packages"; exit 1; }
grep -q '^apt-get install -y .*liblua5.4-dev.* DEBIAN_FRONTEND=noninteractive$' "$log" ||
  { echo "unexpected apt-get calls:"; cat "$log"; exit 1; }
set -- ext/*.c; n_src=$#
n_cc=$(grep -c -- " -c -o build/obj/" demo.out)
[ "$n_cc" -eq "$n_src" ] || { echo "$n_cc compiles for $n_src ext/*.c"; exit 1; }
if grep -- " -c -o build/obj/" demo.out | grep -v -q -F -- "$lua_cflags"; then
  echo "compiled without '$lua_cflags':"; grep -- " -c -o build/obj/" demo.out; exit 1
fi
{ [ -f zhucan.so ] && [ -f data/county.db ]; } || { echo "no zhucan.so or county fixture"; exit 1; }
grep -q "Open it yourself" demo.out || { echo "the demo did not run to its end"; tail -n 30 demo.out; exit 1; }

# 3. again: nothing to install, nothing to compile
: > "$log"
make demo OPT=-O0 > demo2.out 2>&1 || { echo "second make demo failed"; tail -n 30 demo2.out; exit 1; }
[ ! -s "$log" ] || { echo "second make demo ran apt-get"; cat "$log"; exit 1; }
if grep -q -- "-c -o " demo2.out; then echo "second make demo recompiled"; exit 1; fi
echo "fresh-machine make demo: ok"
