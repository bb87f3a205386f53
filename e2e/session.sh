#!/usr/bin/env bash
#! Inside Xvfb and a private D-Bus session: starts tauri-driver, runs the scenario, stops the
#! driver (and so the app) whatever happens.
set -euo pipefail

LOG="$E2E_ARTIFACTS/tauri-driver.log"
# Two free ports picked by the kernel (bind to port 0), so parallel runs on one machine never
# collide; the tiny race between closing and tauri-driver binding is retried below.
free_ports() {
  node -e '
    const net = require("node:net");
    const grab = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => ok(s)); });
    Promise.all([grab(), grab()]).then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });'
}
DRIVER=
trap '[[ -n "$DRIVER" ]] && { kill "$DRIVER" 2>/dev/null || true; wait "$DRIVER" 2>/dev/null || true; }' EXIT
for attempt in 1 2 3; do
  read -r PORT NATIVE_PORT < <(free_ports)
  tauri-driver --port "$PORT" --native-port "$NATIVE_PORT" >"$LOG" 2>&1 &
  DRIVER=$!
  for _ in $(seq 1 100); do
    if (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; then break 2; fi
    kill -0 "$DRIVER" 2>/dev/null || break   # it exited (port taken meanwhile): try others
    sleep 0.1
  done
  echo "e2e: tauri-driver did not come up on $PORT/$NATIVE_PORT (attempt $attempt)" >&2
  kill "$DRIVER" 2>/dev/null || true; wait "$DRIVER" 2>/dev/null || true; DRIVER=
done
[[ -n "$DRIVER" ]] || { echo "e2e: cannot start tauri-driver" >&2; exit 1; }
# It forwards a new session to the WebKitWebDriver it starts on the native port: wait for that
# too, or the first request can meet a closed socket on a loaded machine.
for _ in $(seq 1 300); do
  (echo >/dev/tcp/127.0.0.1/"$NATIVE_PORT") 2>/dev/null && break
  sleep 0.1
done
echo "e2e: tauri-driver on 127.0.0.1:$PORT (native $NATIVE_PORT)"
export E2E_DRIVER_PORT="$PORT"

node e2e/scenario.mjs || { echo "e2e: the scenario failed; tauri-driver's log:" >&2; tail -n 60 "$LOG" >&2; exit 1; }
