#!/usr/bin/env bash
#! The Debian package as a user gets it. Builds it (scripts/package.sh), then in a fresh
#! Debian 12 root (debootstrap from the Debian archive, cached as a tarball by
#! scripts/debian-root.sh) as an ordinary user:
#!   1. installs the previous version N with apt (WebKitGTK comes with it), runs the installed
#!      CLI's `backtest` on the installed example, creates a strategy and recorded runs with it,
#!      and runs the first-start e2e check on the installed app (e2e/scenario.mjs with
#!      E2E_SCENARIO=first-start: the example graph on screen, Run gives a result);
#!   2. upgrades to the package just built (N+1): every strategy, version and run is still
#!      there, in the platform data directory, and the upgraded app shows the earlier run and the
#!      example from its library and runs it (E2E_SCENARIO=upgraded);
#!   3. removes and purges the package: the binaries are gone, the user's data is untouched.
#! N is the package just built, repacked with a lower version (`<version>~prev`).
#! Needs root (chroot, mounts). Figures (package size, cold start, idle memory, step times)
#! land in artifacts/package/figures.json. Exits non-zero on any failure.
#!
#! Usage: scripts/test-package.sh [--ci] [--no-build]
#!   --ci        the package of `scripts/package.sh --ci` (dist/ci/, cargo profile ci-release)
#!   --no-build  test the package already built (scripts/test.sh builds it as the user first)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

PACKAGE_ARGS=()
PROFILE=release
OUT=dist
BUILD=1
while (($#)); do
  case "$1" in
    --ci) PACKAGE_ARGS+=(--ci); PROFILE=ci-release; OUT=dist/ci; shift ;;
    --no-build) BUILD=; shift ;;
    *) echo "test-package: unknown argument $1 (usage: scripts/test-package.sh [--ci] [--no-build])" >&2; exit 2 ;;
  esac
done

[[ $(id -u) -eq 0 ]] || { echo "test-package: needs root (it makes a chroot)" >&2; exit 1; }
for tool in debootstrap Xvfb import node; do
  command -v "$tool" >/dev/null || { echo "test-package: $tool is missing (scripts/setup-system.sh)" >&2; exit 1; }
done
DRIVER_BIN=$(command -v tauri-driver) || { echo "test-package: tauri-driver is missing (scripts/setup-system.sh)" >&2; exit 1; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stratagraph/target}"
CACHE="${STRATAGRAPH_CACHE:-$HOME/.cache/stratagraph}"
ART="$REPO/artifacts/package"
rm -rf "$ART"
mkdir -p "$ART" "$CACHE/apt-archives/partial"

t_start=$(date +%s)
declare -A secs=()
lap_start=$t_start
lap() { local now; now=$(date +%s); secs[$1]=$((now - lap_start)); lap_start=$now; echo "test-package: $1 took ${secs[$1]} s"; }

# --- the packages ---------------------------------------------------------------------
VERSION=$(python3 -c 'import json; print(json.load(open("tauri.conf.json"))["version"])')
ARCH=$(dpkg --print-architecture)
[[ -z "$BUILD" ]] || bash scripts/package.sh "${PACKAGE_ARGS[@]}"
DEB="$REPO/$OUT/stratagraph_${VERSION}_${ARCH}.deb"
[[ -f "$DEB" ]] || { echo "test-package: no package $DEB (scripts/package.sh ${PACKAGE_ARGS[*]})" >&2; exit 1; }
lap package_build

WORK=$(mktemp -d "$CACHE/test-package.XXXXXX")
CH="$WORK/root"
PREV="${VERSION}~prev"
dpkg-deb -R "$DEB" "$WORK/prev"
sed -i "s/^Version: .*/Version: $PREV/" "$WORK/prev/DEBIAN/control"
dpkg-deb --root-owner-group -b "$WORK/prev" "$WORK/stratagraph_${PREV}_${ARCH}.deb" >/dev/null
rm -rf "$WORK/prev"

# --- the fresh root and its clean-up --------------------------------------------------
XVFB=
DRIVER=
MOUNTS=()
cleanup() {
  local rc=$?
  [[ -n "$DRIVER" ]] && { kill -- "-$DRIVER" 2>/dev/null || true; wait "$DRIVER" 2>/dev/null || true; }
  end_root_processes 0
  [[ -n "$XVFB" ]] && { kill "$XVFB" 2>/dev/null || true; wait "$XVFB" 2>/dev/null || true; }
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" || true
  done
  # Never delete through a mount that is still there.
  local left
  left=$(findmnt -rn -o TARGET)
  if grep -q "^$WORK/" <<<"$left"; then
    echo "test-package: mounts remain under $WORK; not deleting it" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
mnt() { mount "$@"; MOUNTS+=("${!#}"); }
# Pids of the processes running inside the root (all started by this script).
root_pids() {
  local p
  for p in /proc/[0-9]*; do
    [[ "$(readlink "$p/root" 2>/dev/null)" == "$CH" ]] && echo "${p#/proc/}"
  done
  return 0
}
# Waits up to $1 seconds for every process inside the root to end, then kills what is left.
end_root_processes() {
  local i pids
  for ((i = 0; i < $1 * 10; i++)); do
    [[ -z "$(root_pids)" ]] && return 0
    sleep 0.1
  done
  pids=$(root_pids)
  [[ -z "$pids" ]] && return 0
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null || true
}

TARBALL=$(bash scripts/debian-root.sh)
mkdir "$CH"
tar -C "$CH" --numeric-owner -xzf "$TARBALL"
mnt -t proc proc "$CH/proc"
mnt -t sysfs sys "$CH/sys"
mnt --bind /dev "$CH/dev"
mount --make-private "$CH/dev"   # what is mounted below it stays out of the host's /dev
mnt -t devpts -o newinstance,ptmxmode=0666 devpts "$CH/dev/pts"
mnt -t tmpfs -o mode=1777 shm "$CH/dev/shm"
# Downloaded .debs are kept between runs: everything is still installed, only not fetched.
mnt --bind "$CACHE/apt-archives" "$CH/var/cache/apt/archives"
cp /etc/resolv.conf "$CH/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$CH/usr/sbin/policy-rc.d"   # no services start in the root
chmod +x "$CH/usr/sbin/policy-rc.d"
mkdir -p "$CH/tmp/pkg"
cp "$DEB" "$WORK/stratagraph_${PREV}_${ARCH}.deb" "$CH/tmp/pkg/"
in_root() { chroot "$CH" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
as_user() {
  chroot "$CH" runuser -u tester -- env -i HOME=/home/tester USER=tester LOGNAME=tester \
    PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 XDG_RUNTIME_DIR=/tmp/runtime-tester "$@"
}
APT=(apt-get -o DPkg::Lock::Timeout=600 -o APT::Keep-Downloaded-Packages=true -y -q --no-install-recommends)
in_root "${APT[@]}" update >"$ART/apt-update.log"
in_root useradd -m -s /bin/bash tester
in_root install -d -o tester -g tester -m 0700 /tmp/runtime-tester
lap fresh_root

# --- 1. install version N -------------------------------------------------------------
before=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
in_root "${APT[@]}" install "/tmp/pkg/stratagraph_${PREV}_${ARCH}.deb" >"$ART/apt-install.log"
after=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
echo "test-package: installed $PREV with $((after - before - 1)) dependencies from the archive"
[[ "$(in_root dpkg-query -W -f='${db:Status-Status}' libwebkit2gtk-4.1-0)" == installed ]] ||
  { echo "test-package: apt did not pull in WebKitGTK" >&2; exit 1; }
for path in /usr/bin/stratagraph /usr/bin/stratagraph-app /usr/share/applications/Stratagraph.desktop \
  /usr/share/icons/hicolor/32x32/apps/stratagraph-app.png /usr/share/icons/hicolor/512x512/apps/stratagraph-app.png; do
  [[ -e "$CH$path" ]] || { echo "test-package: $path is not installed" >&2; exit 1; }
done
lap install_n

# The installed CLI's backtest of the installed example: every data row is a bar, trades are
# made, and the metrics are those of the CLI in the build tree.
EX=/usr/share/stratagraph/examples
GRAPH=$EX/sma_crossover.json
DATA=$EX/data/synthetic_random_walk_daily.csv
rows=$(($(wc -l <"$CH$DATA") - 1))
as_user stratagraph backtest "$GRAPH" --data "$DATA" | tee "$ART/cli-backtest.txt"
grep -q "^$rows bars, " "$ART/cli-backtest.txt" || { echo "test-package: the backtest did not read $rows bars" >&2; exit 1; }
as_user stratagraph backtest "$GRAPH" --data "$DATA" --json >"$ART/cli-backtest.json"
"$CARGO_TARGET_DIR/$PROFILE/stratagraph" backtest "examples/sma_crossover.json" \
  --data examples/data/synthetic_random_walk_daily.csv --json >"$WORK/tree-backtest.json"
python3 - "$ART/cli-backtest.json" "$WORK/tree-backtest.json" <<'PY'
import json, sys
installed, tree = (json.load(open(p)) for p in sys.argv[1:])
assert installed["metrics"]["trades"] > 0, "the installed CLI made no trades"
assert installed["metrics"] == tree["metrics"], "the installed CLI's metrics differ from the build tree's"
assert installed["hash"] == tree["hash"], "the installed CLI's result hash differs from the build tree's"
PY

# A strategy with two versions and two recorded runs, made with the installed CLI.
as_user stratagraph strategy create --title "Upgrade check" >/dev/null
as_user stratagraph strategy save upgrade-check "$GRAPH" --note "first" >/dev/null
as_user stratagraph backtest "$GRAPH" --data "$DATA" --save upgrade-check >/dev/null
# The second version: the example with a slower fast average.
python3 -c 'import json, sys; g = json.load(open(sys.argv[1])); next(p for p in g["parameters"] if p["name"] == "fast")["default"] = 12; json.dump(g, open(sys.argv[2], "w"))' \
  "$CH$GRAPH" "$CH/tmp/pkg/second.json"
chmod 0644 "$CH/tmp/pkg/second.json"
as_user stratagraph strategy save upgrade-check /tmp/pkg/second.json --note "second" >/dev/null
as_user stratagraph backtest /tmp/pkg/second.json --data "$DATA" --save upgrade-check >/dev/null
lap cli_n

# --- the installed app under Xvfb, driven through tauri-driver ------------------------
[[ -d e2e/node_modules ]] || npm --prefix e2e ci --no-audit --no-fund
in_root "${APT[@]}" install webkit2gtk-driver dbus >"$ART/apt-install-test-tools.log"
install -m 0755 "$DRIVER_BIN" "$CH/usr/local/bin/tauri-driver"
exec 3>"$WORK/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$ART/xvfb.log" 2>&1 &
XVFB=$!
exec 3>&-
for _ in $(seq 1 100); do [[ -s "$WORK/display" ]] && break; sleep 0.1; done
DISPLAY_NUM=$(head -1 "$WORK/display")
[[ -n "$DISPLAY_NUM" ]] || { echo "test-package: Xvfb did not start" >&2; exit 1; }

free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
# The first-start check on the installed app (the app of the package installed now).
e2e_installed() {
  local name=$1 scenario=$2 port native
  port=$(free_port)
  native=$(free_port)
  # Its own process group, so the driver, WebKitWebDriver, the app and D-Bus end together.
  setsid chroot "$CH" runuser -u tester -- env -i HOME=/home/tester USER=tester LOGNAME=tester \
    PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 XDG_RUNTIME_DIR=/tmp/runtime-tester \
    DISPLAY=":$DISPLAY_NUM" STRATAGRAPH_STARTUP_LOG=1 dbus-run-session -- \
    tauri-driver --port "$port" --native-port "$native" >"$ART/tauri-driver-$name.log" 2>&1 &
  DRIVER=$!
  # tauri-driver listens at once but forwards a new session to WebKitWebDriver, which it
  # starts beside itself: both ports must answer before the scenario begins (on a loaded
  # machine the second can take seconds).
  local p ok
  for p in "$port" "$native"; do
    ok=
    for _ in $(seq 1 300); do
      (echo >/dev/tcp/127.0.0.1/"$p") 2>/dev/null && { ok=1; break; }
      kill -0 "$DRIVER" 2>/dev/null || break
      sleep 0.1
    done
    [[ -n "$ok" ]] || {
      echo "test-package: tauri-driver ($name) does not answer on port $p; its log:" >&2
      cat "$ART/tauri-driver-$name.log" >&2
      return 1
    }
  done
  DISPLAY=":$DISPLAY_NUM" E2E_SCENARIO="$scenario" E2E_DRIVER_PORT="$port" \
    STRATAGRAPH_E2E_APP=/usr/bin/stratagraph-app E2E_ARTIFACTS="$ART/e2e-$name" \
    node e2e/scenario.mjs || {
      echo "test-package: the $scenario check failed; tauri-driver's log:" >&2
      cat "$ART/tauri-driver-$name.log" >&2
      return 1
    }
  kill -- "-$DRIVER" 2>/dev/null || true
  wait "$DRIVER" 2>/dev/null || true
  DRIVER=
  # The app and D-Bus end with the driver; nothing may still write the user's files when the
  # next stage reads them.
  end_root_processes 10
}
e2e_installed "$PREV" first-start
DATA_DIR=/home/tester/.local/share/stratagraph
for f in stratagraph.db app-state.json; do
  [[ -f "$CH$DATA_DIR/$f" ]] || { echo "test-package: the app keeps no $f in $DATA_DIR" >&2; exit 1; }
done
lap e2e_n

# --- 2. upgrade to N+1 ----------------------------------------------------------------
snapshot() {
  as_user stratagraph strategy list
  as_user stratagraph strategy history upgrade-check
  as_user stratagraph runs list --json
}
snapshot >"$ART/data-before-upgrade.txt"
in_root "${APT[@]}" install "/tmp/pkg/stratagraph_${VERSION}_${ARCH}.deb" >"$ART/apt-upgrade.log"
grep -q "Unpacking stratagraph (${VERSION}) over (${PREV})" "$ART/apt-upgrade.log" ||
  { echo "test-package: apt did not upgrade $PREV to $VERSION (see $ART/apt-upgrade.log)" >&2; exit 1; }
snapshot >"$ART/data-after-upgrade.txt"
diff -u "$ART/data-before-upgrade.txt" "$ART/data-after-upgrade.txt" ||
  { echo "test-package: the data changed in the upgrade" >&2; exit 1; }
python3 - "$ART/data-after-upgrade.txt" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
runs = json.loads(text[text.index("\n[") + 1:])
assert len(runs) >= 3, f"expected the 3 runs made before the upgrade, found {len(runs)}"
PY
lap upgrade

e2e_installed "$VERSION" upgraded
# The upgraded app ran the example once more: one run more, all the others unchanged.
as_user stratagraph runs list --json >"$ART/runs-after-e2e.json"
python3 - "$ART/data-after-upgrade.txt" "$ART/runs-after-e2e.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
before = {r["id"]: r for r in json.loads(text[text.index("\n[") + 1:])}
after = {r["id"]: r for r in json.load(open(sys.argv[2]))}
assert len(after) == len(before) + 1, f"{len(before)} runs before, {len(after)} after one run in the app"
for rid, run in before.items():
    assert after.get(rid) == run, f"run {rid} changed"
PY
lap e2e_n1

# --- 3. remove and purge: the user's data stays ----------------------------------------
checksums() { (cd "$CH$DATA_DIR" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
checksums >"$ART/data-before-uninstall.txt"
# Both ways a user uninstalls: `apt remove`, then (installed again) `apt purge`. The package
# has no conffiles, so after `apt remove` dpkg forgets it and a later `apt purge stratagraph`
# answers "Unable to locate package": purge is checked on an installed package.
gone() {
  local path
  for path in /usr/bin/stratagraph /usr/bin/stratagraph-app /usr/share/applications/Stratagraph.desktop; do
    [[ ! -e "$CH$path" ]] || { echo "test-package: $path is still there after $1" >&2; exit 1; }
  done
  checksums >"$ART/data-after-$1.txt"
  diff -u "$ART/data-before-uninstall.txt" "$ART/data-after-$1.txt" ||
    { echo "test-package: $1 touched the user's data" >&2; exit 1; }
}
in_root "${APT[@]}" remove stratagraph >"$ART/apt-remove.log"
gone remove
in_root "${APT[@]}" install "/tmp/pkg/stratagraph_${VERSION}_${ARCH}.deb" >>"$ART/apt-remove.log"
in_root "${APT[@]}" purge stratagraph >>"$ART/apt-remove.log"
state=$(in_root dpkg-query -W -f='${db:Status-Status}' stratagraph 2>/dev/null || true)
[[ -z "$state" || "$state" == not-installed ]] ||
  { echo "test-package: stratagraph is '$state' after purge, not gone" >&2; exit 1; }
gone purge
lap uninstall

# --- figures --------------------------------------------------------------------------
secs[total]=$(($(date +%s) - t_start))
# The app's own count (STRATAGRAPH_STARTUP_LOG): process start to the UI's first call.
ui_ready=$(awk '{ for (i = 1; i < NF; i++) if ($i == "ui-ready") { print $(i + 1); exit } }' \
  "$ART/tauri-driver-$PREV.log")
{
  echo "{"
  echo "  \"package\": \"$(basename "$DEB")\","
  echo "  \"packageBytes\": $(stat -c %s "$DEB"),"
  echo "  \"installedKiB\": $(dpkg-deb -f "$DEB" Installed-Size),"
  echo "  \"dependenciesInstalled\": $((after - before - 1)),"
  echo "  \"uiReadyMsFirstInstall\": ${ui_ready:-null},"
  for k in "${!secs[@]}"; do echo "  \"seconds_$k\": ${secs[$k]},"; done
  echo "  \"e2eFirstInstall\": $(cat "$ART/e2e-$PREV/figures.json"),"
  echo "  \"e2eAfterUpgrade\": $(cat "$ART/e2e-$VERSION/figures.json")"
  echo "}"
} >"$ART/figures.json"
cat "$ART/figures.json"
echo "test-package: passed in ${secs[total]} s"
