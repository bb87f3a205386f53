#!/usr/bin/env bash
# Makes sure a TimescaleDB server answers on 127.0.0.1:${STRATAGRAPH_TSDB_PORT:-5433} (trust
# auth), as a second PostgreSQL cluster named "timescale" beside the plain one on 5432.
#
# Uses the TimescaleDB extension when PostgreSQL already has it; otherwise builds it from the
# source tarball named by STRATAGRAPH_TIMESCALEDB_SRC (TimescaleDB's Apache-2.0 source, e.g.
# timescaledb-2.28.3-apache-only.tar.gz; about 5 minutes on 2 cores, once per machine).
# With neither, it prints one line and exits 3, so callers can skip the TimescaleDB half;
# with STRATAGRAPH_REQUIRE_TIMESCALEDB=1 (CI) that is an error (exit 1) instead.
set -euo pipefail

PORT="${STRATAGRAPH_TSDB_PORT:-5433}"
CLUSTER=timescale
SRC="${STRATAGRAPH_TIMESCALEDB_SRC:-}"

unavailable() {
    if [[ "${STRATAGRAPH_REQUIRE_TIMESCALEDB:-0}" == 1 ]]; then
        echo "error: $*" >&2
        exit 1
    fi
    echo "TimescaleDB tests skipped: $*"
    exit 3
}

ready() { (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; }

SUDO=()
[[ $(id -u) -ne 0 ]] && SUDO=(sudo)

apt_install() {
    local missing=()
    for pkg in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [[ "$status" == "installed" ]] || missing+=("$pkg")
    done
    if ((${#missing[@]} > 0)); then
        echo "timescaledb: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
        "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
}

command -v pg_lsclusters >/dev/null 2>&1 || unavailable "PostgreSQL is not installed"
VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
BIN=/usr/lib/postgresql/$VERSION/bin
SHAREDIR=/usr/share/postgresql/$VERSION

if [[ ! -f "$SHAREDIR/extension/timescaledb.control" ]]; then
    [[ -n "$SRC" ]] || unavailable "no TimescaleDB extension installed and STRATAGRAPH_TIMESCALEDB_SRC is not set"
    [[ -f "$SRC" ]] || unavailable "STRATAGRAPH_TIMESCALEDB_SRC names a missing file: $SRC"
    apt_install "postgresql-server-dev-$VERSION" cmake libssl-dev libkrb5-dev build-essential
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "timescaledb: building from $(basename "$SRC") (a few minutes, once per machine)"
    tar -xzf "$SRC" -C "$work"
    dir=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    (
        cd "$dir"
        ./bootstrap -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF \
            -DAPACHE_ONLY=ON -DPG_CONFIG="$BIN/pg_config" >/dev/null
        cd build
        make -j"$(nproc)" >/dev/null
        "${SUDO[@]}" make install >/dev/null
    )
    [[ -f "$SHAREDIR/extension/timescaledb.control" ]] || {
        echo "error: the TimescaleDB build did not install timescaledb.control" >&2
        exit 1
    }
    echo "timescaledb: installed"
fi

if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$CLUSTER"; then
    echo "timescaledb: creating cluster $VERSION/$CLUSTER on port $PORT"
    "${SUDO[@]}" pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" -- --auth-local=trust \
        --auth-host=trust >/dev/null
fi
CONF=/etc/postgresql/$VERSION/$CLUSTER
"${SUDO[@]}" mkdir -p "$CONF/conf.d"
printf '%s\n' "port = $PORT" "listen_addresses = '127.0.0.1'" \
    "shared_preload_libraries = 'timescaledb'" "timescaledb.telemetry_level = off" \
    "max_connections = 200" |
    "${SUDO[@]}" tee "$CONF/conf.d/stratagraph.conf" >/dev/null

# The tests connect as postgres to a database named test, as on the plain server.
with_test_db() {
    psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAtc \
        "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
        psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE DATABASE test"
    psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAtc \
        "SELECT 1 FROM pg_roles WHERE rolname = 'sg_scram_required'" | grep -q 1 ||
        psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc \
            "CREATE ROLE sg_scram_required NOLOGIN"
}

# Members of sg_scram_required must log in with a SCRAM password even from 127.0.0.1 (trust
# for everyone else): the tests log in that way to check provisioning and saved passwords.
HBA=$CONF/pg_hba.conf
RULE="host all +sg_scram_required 127.0.0.1/32 scram-sha-256"
if ! grep -qF "$RULE" "$HBA"; then
    { echo "$RULE"; cat "$HBA"; } | "${SUDO[@]}" tee "$HBA.new" >/dev/null
    "${SUDO[@]}" mv "$HBA.new" "$HBA"
    "${SUDO[@]}" chown postgres:postgres "$HBA"
    ready && "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" reload
fi

if ready; then
    with_test_db
    echo "TimescaleDB is running on 127.0.0.1:$PORT"
    exit 0
fi
"${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start || true
for _ in $(seq 1 60); do
    if ready; then
        with_test_db
        echo "TimescaleDB started on 127.0.0.1:$PORT"
        exit 0
    fi
    sleep 1
done
echo "error: TimescaleDB did not start on 127.0.0.1:$PORT" >&2
exit 1
