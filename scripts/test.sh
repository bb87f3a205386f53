#!/usr/bin/env bash
# Sets up what the test suite needs (idempotently) and runs all of it: the UI's checks,
# formatting, lints, every Rust test (PostgreSQL included), the generated-bindings check and
# the end-to-end suite on the real app. The README's test command; CI runs it (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

# Build outside the clone when none is set, so repeated CI runs in fresh clones stay warm;
# scripts/run-app.sh uses the same directory, so the README's two commands build once.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stratagraph/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step "system packages"
bash scripts/setup-system.sh
command -v node >/dev/null || { echo "error: Node.js 20.19+ is required" >&2; exit 1; }

step "PostgreSQL"
bash scripts/ensure-postgres.sh

# TimescaleDB on 127.0.0.1:5433 for the second run of the remote tests: built from the source
# tarball in STRATAGRAPH_TIMESCALEDB_SRC when not installed. Without either, the TimescaleDB
# half is skipped with one line (exit 3); CI requires it (STRATAGRAPH_REQUIRE_TIMESCALEDB=1).
step "TimescaleDB"
timescaledb=1
bash scripts/ensure-timescaledb.sh || { [[ $? == 3 ]] && timescaledb=0 || exit 1; }

# The desktop shell embeds ui/dist, so the UI is built before any Rust check.
step "UI: install, lint, format, unit tests, typecheck and build"
(cd ui && npm ci --no-audit --no-fund && npm run lint && npm run format:check && npm test && npm run build)

step "rustfmt"
cargo fmt --all -- --check

step "clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "core crates stay free of Tauri"
for crate in stratagraph-engine stratagraph-store stratagraph-report stratagraph-feeds stratagraph-paper stratagraph-api; do
    if cargo tree -p "$crate" -e normal --locked | grep -qE '^[│├└ ─]*tauri v'; then
        echo "error: $crate depends on tauri" >&2
        exit 1
    fi
done

step "Rust tests"
cargo test --workspace --locked

step "sync survives a PostgreSQL restart (alone: it restarts the server)"
# --workspace (not -p) keeps the feature set of the run above, so nothing is rebuilt.
STRATAGRAPH_PG_RESTART_TEST=1 cargo test --workspace --test remote --locked \
    faults::server_restart_mid_push_then_sync_completes -- --exact

# The same remote tests (store, app, CLI) against TimescaleDB, where backtest_runs is a
# hypertable; each migrated test database is checked to really hold one.
if [[ $timescaledb == 1 ]]; then
    step "remote tests again on TimescaleDB (127.0.0.1:5433)"
    export STRATAGRAPH_TEST_PG_PORT=5433 STRATAGRAPH_TEST_TIMESCALEDB=1
    cargo test --workspace --test remote --locked
    cargo test --workspace --test api --locked sync::
    cargo test --workspace --test cli --locked sync_cmds::
    STRATAGRAPH_PG_RESTART_TEST=1 STRATAGRAPH_TEST_PG_CLUSTER=timescale \
        cargo test --workspace --test remote --locked \
        faults::server_restart_mid_push_then_sync_completes -- --exact
    unset STRATAGRAPH_TEST_PG_PORT STRATAGRAPH_TEST_TIMESCALEDB
fi

# A sweep sharded onto a real single-node Slurm (installed and started when missing): a 4-task
# job array, one task killed with scancel and requeued, merged rows equal to a local run.
step "sharded sweep on Slurm (scripts/ensure-slurm.sh, scripts/test-slurm.sh)"
bash scripts/ensure-slurm.sh
bash scripts/test-slurm.sh "$CARGO_TARGET_DIR/debug/stratagraph"

step "generated IPC bindings are up to date"
bash scripts/check-bindings.sh

step "end-to-end tests on the real app (Xvfb, tauri-driver)"
bash e2e/run.sh

# The Debian package as a user gets it: built with the ci-release cargo profile (release
# optimisation without LTO, minutes faster; a package to ship keeps thin LTO), then installed
# in a fresh Debian 12 root, started under Xvfb, upgraded and purged (as root: a chroot).
step "Debian package: built, installed in a fresh Debian 12 root, started, upgraded, purged"
bash scripts/package.sh --ci
if [[ $(id -u) -eq 0 ]]; then
    bash scripts/test-package.sh --ci --no-build
else
    sudo -n env "PATH=$PATH" "HOME=$HOME" "CARGO_TARGET_DIR=$CARGO_TARGET_DIR" \
        bash scripts/test-package.sh --ci --no-build
fi

step "all checks passed"
