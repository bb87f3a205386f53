#!/usr/bin/env bash
#! Inside Xvfb and a private D-Bus session: starts tauri-driver, runs the scenario, stops the
#! driver (and so the app) whatever happens.
set -euo pipefail

LOG="$E2E_ARTIFACTS/tauri-driver.log"
tauri-driver --port 4444 --native-port 4445 >"$LOG" 2>&1 &
DRIVER=$!
trap 'kill "$DRIVER" 2>/dev/null || true; wait "$DRIVER" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if (echo >/dev/tcp/127.0.0.1/4444) 2>/dev/null; then break; fi
  sleep 0.1
done

node e2e/scenario.mjs
