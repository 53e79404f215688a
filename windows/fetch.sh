#!/bin/sh
# windows/fetch.sh DIR — the Debian source packages pinned in windows/versions,
# unpacked into DIR (build/win/src).  apt does the checking: it reads the
# Sources indexes of this machine's own Debian archive (its deb lines turned
# into deb-src, kept in a private apt state under DIR/apt so the system's apt
# configuration is not changed), verifies their signatures against the
# Debian archive keyring, and `apt-get source` verifies every downloaded
# file's size and SHA256 against the signed index (dpkg-source then checks
# them against the .dsc) before unpacking.  Nothing here is committed.
set -e
dir=${1:?usage: windows/fetch.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial"
dir=$(cd "$dir" && pwd)
src="$dir/apt/deb-src.sources"

# The archive: deb822 .sources files (Debian 12's default) or one-line lists.
: > "$src"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk 'BEGIN{RS=""; ORS="\n\n"} /(^|\n)URIs:[^\n]*debian/ && /(^|\n)Types:[^\n]*deb/ {
         sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$f" >> "$src"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  sed -n 's/^[[:space:]]*deb[[:space:]]\(.*debian.*\)/deb-src \1/p' "$f" >> "$src"
done
grep -q . "$src" || { echo "windows/fetch.sh: no Debian archive found in /etc/apt/sources.list{,.d}: cannot fetch source packages" >&2; exit 2; }
case $(cat "$src") in *deb-src\ *) mv "$src" "$dir/apt/deb-src.list"; src="$dir/apt/deb-src.list";; esac

APT="-q -o Dir::Etc::SourceList=$src -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$dir/apt/lists
     -o Dir::Cache=$dir/apt/cache -o APT::Sandbox::User=root"
echo "windows/fetch.sh: apt-get update (deb-src of $(sed -n 's/^URIs: *//p; s/^deb-src \([^ ]*\).*/\1/p' "$src" | sort -u | tr '\n' ' '))"
# shellcheck disable=SC2086
apt-get $APT update >"$dir/apt/update.log" 2>&1 || { cat "$dir/apt/update.log" >&2; exit 2; }

want=""
while read -r pkg ver folder; do
  case $pkg in ''|\#*) continue;; esac
  [ -f "$dir/$folder/.zhucan-$ver" ] && continue
  # shellcheck disable=SC2086
  have=$(apt-cache $APT showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -u | tr '\n' ' ')
  case " $have " in
    *" $ver "*) ;;
    *) echo "windows/fetch.sh: $pkg $ver (pinned in windows/versions) is not in this archive; it has: ${have:-none}." >&2
       echo "  Update windows/versions and docs/windows.md together after checking the new version builds and passes make test-windows." >&2
       exit 2;;
  esac
  rm -rf "${dir:?}/$folder"
  want="$want $pkg=$ver"
done < "$here/versions"
[ -z "$want" ] && { echo "windows/fetch.sh: sources present"; exit 0; }
echo "windows/fetch.sh: apt-get source$want"
# shellcheck disable=SC2086
(cd "$dir" && apt-get $APT source $want) >"$dir/apt/source.log" 2>&1 || { cat "$dir/apt/source.log" >&2; exit 2; }
while read -r pkg ver folder; do
  case $pkg in ''|\#*) continue;; esac
  [ -d "$dir/$folder" ] || { echo "windows/fetch.sh: $pkg $ver did not unpack into $folder" >&2; exit 2; }
  v=$(dpkg-parsechangelog -l "$dir/$folder/debian/changelog" -S Version)
  [ "$v" = "$ver" ] || { echo "windows/fetch.sh: $folder is $pkg $v, windows/versions pins $ver" >&2; exit 2; }
  touch "$dir/$folder/.zhucan-$ver"
done < "$here/versions"
rm -f "$dir"/*.orig*.tar.* "$dir"/*.debian.tar.* "$dir"/*.diff.gz "$dir"/*.asc
echo "windows/fetch.sh: sources unpacked in $dir"
