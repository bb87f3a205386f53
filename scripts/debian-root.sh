#!/usr/bin/env bash
#! Prints the path of a tarball of a minimal Debian 12 (bookworm) root made with debootstrap,
#! building it once and caching it under ~/.cache/stratagraph (STRATAGRAPH_CACHE overrides
#! the folder). The only network it uses is the Debian archive named in the host's
#! /etc/apt/sources.list*; the root's apt sources point at the same archive.
#! STRATAGRAPH_REFRESH_ROOT=1 builds the tarball again.
set -euo pipefail

CACHE="${STRATAGRAPH_CACHE:-$HOME/.cache/stratagraph}"
TARBALL="$CACHE/debian-bookworm-minbase.tar.gz"
mkdir -p "$CACHE"

if [[ -f "$TARBALL" && -z "${STRATAGRAPH_REFRESH_ROOT:-}" ]]; then
  echo "$TARBALL"
  exit 0
fi

# The Debian archive the host uses (deb822 `URIs:` or one-line `deb URI ...` entries).
archive_uri() {
  local suite_re=$1 files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    if [[ -f "$f" ]]; then files+=("$f"); fi
  done
  ((${#files[@]})) || return 0
  awk -v re="$suite_re" '
    /^Types:/ { uri = ""; suites = "" }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { suites = $0 }
    /^deb / { for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) ~ re) { print $i; exit } } }
    uri != "" && suites ~ re { print uri; exit }' "${files[@]}"
}
MIRROR=$(archive_uri '(^| )bookworm( |$)' | sed 's:/*$::')
SECURITY=$(archive_uri 'bookworm-security' | sed 's:/*$::')
[[ -n "$MIRROR" ]] || { echo "debian-root: no bookworm archive in /etc/apt/sources.list*" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debian-root: debootstrap is missing (scripts/setup-system.sh)" >&2; exit 1; }

echo "debian-root: building a minimal bookworm root from $MIRROR (once)" >&2
WORK=$(mktemp -d "$CACHE/root-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
debootstrap --variant=minbase bookworm "$WORK/root" "$MIRROR" >&2
{
  echo "deb $MIRROR bookworm main"
  echo "deb $MIRROR bookworm-updates main"
  [[ -n "$SECURITY" ]] && echo "deb $SECURITY bookworm-security main"
} >"$WORK/root/etc/apt/sources.list"
rm -rf "$WORK/root/var/cache/apt/archives/"*.deb
tar -C "$WORK/root" --numeric-owner -czf "$WORK/root.tar.gz" .
mv "$WORK/root.tar.gz" "$TARBALL"
echo "$TARBALL"
