#!/usr/bin/env bash
# Sets up and starts Stratagraph: the README's first command. Installs what is missing,
# builds, and launches the desktop app (scripts/run-app.sh; arguments go to the app).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null 2>&1; then
    echo "error: Rust is required (https://rustup.rs), then run this again" >&2
    exit 1
fi
exec bash scripts/run-app.sh "$@"
