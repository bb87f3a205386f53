#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432 (trust auth), starting the local cluster if not.
set -euo pipefail
ready() { (echo >/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ready; then
    echo "PostgreSQL is running"
    exit 0
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "PostgreSQL is not installed; installing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 60); do
    ready && { echo "PostgreSQL started"; exit 0; }
    sleep 1
done
echo "error: PostgreSQL did not start on 127.0.0.1:5432" >&2
exit 1
