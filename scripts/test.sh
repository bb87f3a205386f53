#!/usr/bin/env bash
# Sets up what the test suite needs (idempotently) and runs all of it: formatting, lints,
# Rust tests, the UI's checks and the end-to-end suite. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }

# Build outside the clone when none is set, so repeated CI runs in fresh clones stay warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stratagraph/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step "system packages"
bash scripts/setup-system.sh

step "PostgreSQL"
bash scripts/ensure-postgres.sh

step "rustfmt"
cargo fmt --all -- --check

step "clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "core crates stay free of Tauri"
for crate in stratagraph-engine stratagraph-store; do
    if cargo tree -p "$crate" -e normal --locked 2>/dev/null | grep -q ' tauri '; then
        echo "error: $crate depends on tauri" >&2
        exit 1
    fi
done

step "Rust tests"
cargo test --workspace --locked

if [ -f ui/package.json ]; then
    step "UI: install, typecheck, lint, unit tests, build"
    (cd ui && npm ci --no-audit --no-fund && npm run --if-present lint && npm test && npm run build)
fi

if [ -x scripts/check-bindings.sh ]; then
    step "generated IPC bindings are up to date"
    bash scripts/check-bindings.sh
fi

if [ -x e2e/run.sh ]; then
    step "end-to-end tests on the real app"
    bash e2e/run.sh
fi

step "all checks passed"
