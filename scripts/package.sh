#!/usr/bin/env bash
#! Builds the release desktop app and the `stratagraph` CLI and packs both into one Debian
#! package with Tauri's bundler: dist/stratagraph_<version>_<arch>.deb. The package holds the
#! app (/usr/bin/stratagraph-app, its desktop entry and icons), the CLI (/usr/bin/stratagraph)
#! and the examples (/usr/share/stratagraph/examples); its Depends line is computed from the
#! libraries both binaries link (dpkg-shlibdeps), so `apt install ./stratagraph_*.deb` pulls
#! in WebKitGTK and the rest. Incremental: a second run rebuilds nothing that did not change.
#!
#! Usage: scripts/package.sh [--version X.Y.Z]   (default: the version in tauri.conf.json)
#! Environment: CARGO_TARGET_DIR (default ~/.cache/stratagraph/target, as scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

VERSION=
while (($#)); do
  case "$1" in
    --version) VERSION=${2:?--version needs a value}; shift 2 ;;
    --version=*) VERSION=${1#--version=}; shift ;;
    *) echo "package: unknown argument $1 (usage: scripts/package.sh [--version X.Y.Z])" >&2; exit 2 ;;
  esac
done
if [[ -z "$VERSION" ]]; then
  VERSION=$(python3 -c 'import json; print(json.load(open("tauri.conf.json"))["version"])')
fi
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
  { echo "package: version '$VERSION' is not semver (X.Y.Z)" >&2; exit 2; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stratagraph/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
for tool in strip dpkg-shlibdeps dpkg-deb npm; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing (scripts/setup-system.sh)" >&2; exit 1; }
done
[[ -d ui/node_modules ]] || npm --prefix ui ci --no-audit --no-fund
TAURI="$ROOT/ui/node_modules/.bin/tauri"
[[ -x "$TAURI" ]] || { echo "package: the Tauri CLI is missing (npm --prefix ui ci)" >&2; exit 1; }

STAGE="$CARGO_TARGET_DIR/package"
rm -rf "$STAGE"
mkdir -p "$STAGE" dist
t0=$(date +%s)

# The version is a build input (the app reports it), so it goes to the build and the bundle.
printf '{"version": "%s"}\n' "$VERSION" >"$STAGE/version.json"

echo "package: release build of the CLI"
cargo build --release --locked -p stratagraph-cli
install -m 0755 "$CARGO_TARGET_DIR/release/stratagraph" "$STAGE/stratagraph"
strip "$STAGE/stratagraph"

# `tauri build` runs the UI build (beforeBuildCommand) and builds the app with the features
# a bundled app needs (tauri/custom-protocol: the UI comes from the binary).
echo "package: release build of the app"
(cd src-tauri && "$TAURI" build --no-bundle --config "$STAGE/version.json" -- --locked)
APP_BIN="$CARGO_TARGET_DIR/release/stratagraph-app"
# Symbols are not needed to run it, so the packaged binaries are stripped (this one in place:
# cargo relinks it whenever one of its inputs changes).
strip "$APP_BIN"

# Depends: the packages of the shared libraries both binaries link, as Debian computes them.
mkdir -p "$STAGE/shlibdeps/debian"
: >"$STAGE/shlibdeps/debian/control"
DEPENDS=$(cd "$STAGE/shlibdeps" &&
  dpkg-shlibdeps -O "$APP_BIN" "$STAGE/stratagraph" 2> >(grep -v 'warning:' >&2) |
  sed -n 's/^shlibs:Depends=//p')
[[ -n "$DEPENDS" ]] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
echo "package: Depends: $DEPENDS"

python3 - "$STAGE" "$VERSION" "$DEPENDS" <<'PY'
import json, sys
stage, version, depends = sys.argv[1:]
config = {
    "version": version,
    "bundle": {"linux": {"deb": {
        "depends": [d.strip() for d in depends.split(",") if d.strip()],
        # Merged into tauri.conf.json's files (the examples).
        "files": {"/usr/bin/stratagraph": f"{stage}/stratagraph"},
    }}},
}
json.dump(config, open(f"{stage}/bundle.json", "w"), indent=2)
PY

echo "package: Debian package"
(cd src-tauri && "$TAURI" bundle --bundles deb --config "$STAGE/bundle.json")
ARCH=$(dpkg --print-architecture)
BUILT="$CARGO_TARGET_DIR/release/bundle/deb/Stratagraph_${VERSION}_${ARCH}.deb"
[[ -f "$BUILT" ]] || { echo "package: the bundler made no $BUILT" >&2; exit 1; }
DEB="dist/stratagraph_${VERSION}_${ARCH}.deb"
cp "$BUILT" "$DEB"

# The package must hold the app, the CLI and the desktop entry.
listing=$(dpkg-deb -c "$DEB")
for path in usr/bin/stratagraph-app usr/bin/stratagraph usr/share/applications/Stratagraph.desktop; do
  grep -q " $path\$" <<<"$listing" || { echo "package: $DEB lacks $path" >&2; exit 1; }
done
echo "package: $DEB ($(stat -c %s "$DEB") bytes, $(($(date +%s) - t0)) s)"
