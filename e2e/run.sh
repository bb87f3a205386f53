#!/usr/bin/env bash
#! End-to-end tests of the real desktop app: builds the UI and the debug app, then runs
#! e2e/scenario.mjs against it through tauri-driver (WebKitWebDriver) under Xvfb, with a fresh
#! data directory. Screenshots land in artifacts/e2e/. Exits non-zero on any failure.
#!
#! Then e2e/educators.mjs: an educator, a reviewer and a student, each in an app with a data
#! directory of its own, against a fresh database on the test PostgreSQL server.
#!
#! Environment: SKIP_BUILD=1 reuses the built app; E2E_KEEP=1 keeps the temp data directory;
#! E2E_ONLY=main or E2E_ONLY=educators runs one of the two.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [[ -z "${SKIP_BUILD:-}" ]]; then
  [[ -d ui/node_modules ]] || npm --prefix ui ci --no-audit --no-fund
  npm --prefix ui run build
  cargo build -p stratagraph-app -p stratagraph-cli
fi
[[ -d e2e/node_modules ]] || npm --prefix e2e ci --no-audit --no-fund

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export STRATAGRAPH_E2E_APP="$TARGET_DIR/debug/stratagraph-app"
export STRATAGRAPH_E2E_CLI="$TARGET_DIR/debug/stratagraph"
[[ -x "$STRATAGRAPH_E2E_APP" ]] || { echo "e2e: no app at $STRATAGRAPH_E2E_APP" >&2; exit 1; }
command -v tauri-driver >/dev/null || { echo "e2e: tauri-driver missing (scripts/setup-system.sh)" >&2; exit 1; }

WORK=$(mktemp -d)
export STRATAGRAPH_DATA_DIR="$WORK/data"
export XDG_CONFIG_HOME="$WORK/config"   # window state of this run only
export XDG_DATA_HOME="$WORK/xdg-data"
export XDG_CACHE_HOME="$WORK/cache"
export STRATAGRAPH_STARTUP_LOG=1
export E2E_ARTIFACTS="$ROOT/artifacts/e2e"
mkdir -p "$E2E_ARTIFACTS" "$XDG_CONFIG_HOME"
rm -f "$E2E_ARTIFACTS"/fail-*.png "$E2E_ARTIFACTS"/retry-*.png   # failures of earlier runs
cleanup() { [[ -n "${E2E_KEEP:-}" ]] && echo "e2e: data kept in $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

if [[ "${E2E_ONLY:-}" != educators ]]; then
  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash e2e/session.sh
fi
if [[ "${E2E_ONLY:-}" != main ]]; then
  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node e2e/educators.mjs
fi
