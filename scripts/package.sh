#!/usr/bin/env bash
#! Builds the release desktop app and the `stratagraph` CLI and packs both into one Debian
#! package with Tauri's bundler: dist/stratagraph_<version>_<arch>.deb. The package holds the
#! app (/usr/bin/stratagraph-app, its desktop entry and icons), the CLI (/usr/bin/stratagraph)
#! and the examples (/usr/share/stratagraph/examples); its Depends line is computed from the
#! libraries both binaries link (dpkg-shlibdeps), so `apt install ./stratagraph_*.deb` pulls
#! in WebKitGTK and the rest. Incremental: a second run rebuilds nothing that did not change,
#! and the UI (ui/dist) is built again only when a file under ui/ is newer than it.
#!
#! Usage: scripts/package.sh [--version X.Y.Z] [--ci]
#!   --version  the package's version (default: the version in tauri.conf.json)
#!   --ci       build with the `ci-release` cargo profile (release optimisation, no LTO,
#!              parallel and incremental codegen: faster to build and link) into dist/ci/.
#!              For CI's package test only; a package to ship is built without it
#!              (`release`: thin LTO, one codegen unit).
#! Environment: CARGO_TARGET_DIR (default ~/.cache/stratagraph/target, as scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

VERSION=
PROFILE=release
OUT=dist
while (($#)); do
  case "$1" in
    --version) VERSION=${2:?--version needs a value}; shift 2 ;;
    --version=*) VERSION=${1#--version=}; shift ;;
    --ci) PROFILE=ci-release; OUT=dist/ci; shift ;;
    *) echo "package: unknown argument $1 (usage: scripts/package.sh [--version X.Y.Z] [--ci])" >&2; exit 2 ;;
  esac
done
if [[ -z "$VERSION" ]]; then
  VERSION=$(python3 -c 'import json; print(json.load(open("tauri.conf.json"))["version"])')
fi
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
  { echo "package: version '$VERSION' is not semver (X.Y.Z)" >&2; exit 2; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stratagraph/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
for tool in strip dpkg-shlibdeps dpkg-deb dpkg-parsechangelog desktop-file-validate npm; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing (scripts/setup-system.sh)" >&2; exit 1; }
done
[[ -d ui/node_modules ]] || npm --prefix ui ci --no-audit --no-fund
TAURI="$ROOT/ui/node_modules/.bin/tauri"
[[ -x "$TAURI" ]] || { echo "package: the Tauri CLI is missing (npm --prefix ui ci)" >&2; exit 1; }

STAGE="$CARGO_TARGET_DIR/package"
rm -rf "$STAGE"
# The bundler takes the app from <target dir>/release: the stripped copy in $STAGE/target.
mkdir -p "$STAGE/target/release" "$OUT"
t0=$(date +%s)

# The UI is built here, and only when something under ui/ is newer than the build in ui/dist:
# a new build rewrites ui/dist, which makes cargo compile and link the app again. So `tauri
# build` gets no beforeBuildCommand, and the same --config every run (cargo rebuilds the app
# when it changes).
ui_current() {
  [[ -f ui/dist/index.html ]] &&
    [[ -z "$(find ui -path ui/node_modules -prune -o -path ui/dist -prune -o -name '*.tsbuildinfo' \
      -o -type f -newer ui/dist/index.html -print -quit)" ]]
}
if ui_current; then
  echo "package: ui/dist is newer than every file under ui/: not building the UI again"
else
  echo "package: building the UI"
  npm --prefix ui run build
fi
# The version is a build input (the app reports it), so it goes to the build and the bundle.
printf '{"version": "%s", "build": {"beforeBuildCommand": null}}\n' "$VERSION" >"$STAGE/build.json"

echo "package: $PROFILE build of the CLI"
cargo build --profile "$PROFILE" --locked -p stratagraph-cli
install -m 0755 "$CARGO_TARGET_DIR/$PROFILE/stratagraph" "$STAGE/stratagraph"
strip "$STAGE/stratagraph"

# `tauri build` builds the app with the features a bundled app needs (tauri/custom-protocol:
# the UI comes from the binary).
echo "package: $PROFILE build of the app"
(cd src-tauri && "$TAURI" build --no-bundle --config "$STAGE/build.json" -- --profile "$PROFILE" --locked)
# Symbols are not needed to run it, so the packaged binaries are stripped.
APP_BIN="$STAGE/target/release/stratagraph-app"
install -m 0755 "$CARGO_TARGET_DIR/$PROFILE/stratagraph-app" "$APP_BIN"
strip "$APP_BIN"

# Depends: the packages of the shared libraries both binaries link, as Debian computes them.
mkdir -p "$STAGE/shlibdeps/debian"
: >"$STAGE/shlibdeps/debian/control"
DEPENDS=$(cd "$STAGE/shlibdeps" &&
  dpkg-shlibdeps -O "$APP_BIN" "$STAGE/stratagraph" 2> >(grep -v 'warning:' >&2) |
  sed -n 's/^shlibs:Depends=//p')
[[ -n "$DEPENDS" ]] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
echo "package: Depends: $DEPENDS"

# Debian's changelog: packaging/debian/changelog, with an entry for this build on top when
# its version is not the newest entry's. Its maintainer is the package's Maintainer.
CHANGELOG=packaging/debian/changelog
MAINTAINER=$(dpkg-parsechangelog -l "$CHANGELOG" -S Maintainer)
if [[ "$(dpkg-parsechangelog -l "$CHANGELOG" -S Version)" != "$VERSION" ]]; then
  {
    printf 'stratagraph (%s) unstable; urgency=medium\n\n' "$VERSION"
    printf '  * Built from commit %s.\n\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    printf ' -- %s  %s\n\n' "$MAINTAINER" "$(date -R)"
    cat "$CHANGELOG"
  } >"$STAGE/changelog"
else
  cp "$CHANGELOG" "$STAGE/changelog"
fi
# Installed as /usr/share/doc/stratagraph/changelog.gz (the bundler's own changelog option puts
# it under the product name, /usr/share/doc/Stratagraph).
gzip -9n "$STAGE/changelog"

python3 - "$STAGE" "$VERSION" "$DEPENDS" "$ROOT" <<'PY'
import json, sys
stage, version, depends, root = sys.argv[1:]
config = {
    "version": version,
    "bundle": {"linux": {"deb": {
        "depends": [d.strip() for d in depends.split(",") if d.strip()],
        # Merged into tauri.conf.json's files (the examples).
        "files": {
            "/usr/bin/stratagraph": f"{stage}/stratagraph",
            "/usr/share/doc/stratagraph/copyright": f"{root}/packaging/debian/copyright",
            "/usr/share/doc/stratagraph/changelog.gz": f"{stage}/changelog.gz",
        },
    }}},
}
json.dump(config, open(f"{stage}/bundle.json", "w"), indent=2)
PY

echo "package: Debian package"
(cd src-tauri && CARGO_TARGET_DIR="$STAGE/target" "$TAURI" bundle --bundles deb --config "$STAGE/bundle.json")
ARCH=$(dpkg --print-architecture)
BUILT="$STAGE/target/release/bundle/deb/Stratagraph_${VERSION}_${ARCH}.deb"
[[ -f "$BUILT" ]] || { echo "package: the bundler made no $BUILT" >&2; exit 1; }

# Tauri's bundler takes the Maintainer from Cargo's authors or the publisher (a name without
# an address) and appends its own WebKitGTK and GTK entries to Depends: the package is
# unpacked, given the changelog's maintainer and the computed Depends, and packed again.
dpkg-deb -R "$BUILT" "$STAGE/deb"
MAINTAINER="$MAINTAINER" DEPENDS="$DEPENDS" python3 - "$STAGE/deb/DEBIAN/control" <<'PY'
import os, sys
path = sys.argv[1]
out = []
for line in open(path).read().splitlines():
    if line.startswith("Maintainer: "):
        continue
    if line.startswith("Depends: "):
        line = "Depends: " + os.environ["DEPENDS"]
    out.append(line)
    if line.startswith("Installed-Size: "):
        out.append("Maintainer: " + os.environ["MAINTAINER"])
open(path, "w").write("\n".join(out) + "\n")
PY
DEB="$OUT/stratagraph_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz -b "$STAGE/deb" "$DEB" >/dev/null

# The package must hold the app, the CLI, the desktop entry (valid), the 256 px icon, the
# copyright file and the changelog.
listing=$(dpkg-deb -c "$DEB")
for path in usr/bin/stratagraph-app usr/bin/stratagraph usr/share/applications/Stratagraph.desktop \
  usr/share/icons/hicolor/256x256/apps/stratagraph-app.png \
  usr/share/doc/stratagraph/copyright usr/share/doc/stratagraph/changelog.gz; do
  grep -q " \./$path\$\| $path\$" <<<"$listing" || { echo "package: $DEB lacks $path" >&2; exit 1; }
done
desktop-file-validate "$STAGE/deb/usr/share/applications/Stratagraph.desktop"
echo "package: $DEB ($(stat -c %s "$DEB") bytes, $(($(date +%s) - t0)) s)"
