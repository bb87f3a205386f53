#!/usr/bin/env bash
# Sets up and starts Stratagraph: the README's first command. Installs what is missing,
# builds, and launches the desktop app; until the desktop shell is present it runs the
# headless CLI on the bundled synthetic sample data instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
if ! command -v cargo >/dev/null 2>&1; then
    echo "error: Rust is required (https://rustup.rs), then run this again" >&2
    exit 1
fi
if [ -x scripts/run-app.sh ]; then
    exec bash scripts/run-app.sh "$@"
fi
cargo build --release -p stratagraph-cli
bin=target/release/stratagraph
echo
echo "Stratagraph CLI built at $bin. Running the SMA crossover example on the synthetic sample:"
echo
"$bin" backtest examples/sma_crossover.json --data examples/data/synthetic_random_walk_daily.csv
