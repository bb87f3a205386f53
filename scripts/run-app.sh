#!/usr/bin/env bash
#! Installs what is missing (system packages, npm packages), builds the UI and the desktop app,
#! and launches it. Extra arguments go to the app. Set STRATAGRAPH_DATA_DIR to use another data
#! directory; under a headless session, run it inside `xvfb-run -a dbus-run-session --`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# The same build directory as scripts/test.sh, so running the app after the tests (or the
# other way round) does not compile everything a second time.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stratagraph/target}"
bash scripts/setup-system.sh
if [[ ! -d ui/node_modules ]]; then
  npm --prefix ui ci --no-audit --no-fund
fi
npm --prefix ui run build
cargo build -p stratagraph-app
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
exec "$TARGET_DIR/debug/stratagraph-app" "$@"
