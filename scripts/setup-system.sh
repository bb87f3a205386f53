#!/usr/bin/env bash
#! Installs the system packages the desktop app needs to build, run and be tested (Debian 12),
#! and tauri-driver for the end-to-end tests. Idempotent: installs only what is missing, and
#! runs `apt-get update` at most once.
set -euo pipefail

BUILD_PKGS=(build-essential pkg-config file libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev)
RUN_PKGS=(xvfb xauth webkit2gtk-driver dbus gnome-keyring imagemagick fonts-dejavu-core)
# The Debian package: its desktop entry is validated (scripts/package.sh), and its test
# (scripts/test-package.sh) installs it in a fresh root.
PACKAGE_PKGS=(desktop-file-utils debootstrap)

want=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${PACKAGE_PKGS[@]}")
if [[ "${1:-}" == "--with-chromium" ]]; then
  want+=(chromium)
fi

missing=()
for pkg in "${want[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  SUDO=(sudo)
fi

if ((${#missing[@]} > 0)); then
  echo "setup-system: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}"
else
  echo "setup-system: system packages present"
fi

if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup-system: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi
