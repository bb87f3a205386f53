#!/usr/bin/env bash
# Benchmark of sharded sweeps on this machine's Slurm (scripts/ensure-slurm.sh starts it): a
# 1,000-combination SMA-crossover sweep (fast 2..51 x slow 60..250 step 10) on 1,000,000
# synthetic minute bars, run as 1, 2 and 4 shards of one job array each, every shard writing
# its rows to a PostgreSQL server (127.0.0.1:5432 unless STRATAGRAPH_BENCH_PG_PORT says
# otherwise) under a provisioned user's own login. Prints, per shard count: the wall time from
# sbatch to the last task's end, the rows written to the server per second of writing, and the
# overhead per shard (each task's time outside the sweep itself: reading the data, planning,
# writing, starting). The merged rows of every run are checked to be the same.
#
# Usage: scripts/bench/cluster_sweep.sh [STRATAGRAPH_BINARY]
#        (default: $CARGO_TARGET_DIR/debug/stratagraph; the engine is optimised in dev builds)
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/debug/stratagraph}")
[[ -x $bin ]] || { echo "error: no stratagraph binary at $bin" >&2; exit 1; }
port=${STRATAGRAPH_BENCH_PG_PORT:-5432}
bash scripts/ensure-slurm.sh >/dev/null
cpus=$(sinfo -h -N -o '%c' | head -n 1)

work=$(mktemp -d /tmp/stratagraph-cluster-bench.XXXXXX)
chmod 0755 "$work"
db="sg_bench_$(date +%s)_$$"
role="sg_bench_$$"
cleanup() {
    psql -h 127.0.0.1 -p "$port" -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    psql -h 127.0.0.1 -p "$port" -U postgres -d test -qc "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

echo "machine: $(nproc) cores, Slurm node with $cpus CPUs; binary $bin"
"$bin" data synth --out "$work/bars.csv" --bars 1000000 --step minute --seed 16 >/dev/null
sweep=(--grid fast=2:51:1 --grid slow=60:250:10 --sort sharpe)

# The server: a fresh database with the schema, and a user with their own login role.
psql -h 127.0.0.1 -p "$port" -U postgres -d test -qc "CREATE DATABASE $db" >/dev/null
"$bin" --db "$work/owner.db" sync configure --host 127.0.0.1 --port "$port" --database "$db" \
    --user postgres --tls disable >/dev/null 2>&1 || true
"$bin" --db "$work/owner.db" sync migrate >/dev/null
psql -h 127.0.0.1 -p "$port" -U postgres -d "$db" -qAtc \
    "SELECT sg_provision_user('$role', 'pw-$role', gen_random_uuid(), '$role@example.com', '$role', ARRAY['trader']::text[])" >/dev/null
umask 077
printf 'postgres://%s:pw-%s@127.0.0.1:%s/%s\n' "$role" "$role" "$port" "$db" > "$work/server-url"
umask 022

printf '\n%-7s %10s %10s %14s %16s %18s\n' shards "wall s" "sweep s" "rows/s server" "server write s" "overhead/shard s"
reference=""
for n in 1 2 4; do
    threads=$(( cpus / n > 0 ? cpus / n : 1 ))
    id=$(cat /proc/sys/kernel/random/uuid)
    out="$work/run-$n"
    mkdir -p "$out"
    "$bin" sweep examples/sma_crossover.json --data "$work/bars.csv" "${sweep[@]}" \
        --threads "$threads" --emit slurm --shards "$n" --out-dir "$out" --to-server "$id" > "$out/job.sh"
    t0=$(now)
    job=$(cd "$out" && STRATAGRAPH=$bin STRATAGRAPH_SERVER_CREDENTIALS=$work/server-url \
        sbatch --parsable --export=ALL "$out/job.sh")
    job=${job%%;*}
    while [[ -n $(squeue -h -j "$job" 2>/dev/null) ]]; do sleep 0.05; done
    t1=$(now)
    for k in $(seq 0 $((n - 1))); do
        [[ -f $out/shard-$k-of-$n.json ]] || { cat "$out"/stratagraph-*.log >&2; echo "error: shard $k failed" >&2; exit 1; }
    done
    "$bin" sweep merge "$out"/shard-*-of-$n.json --json | sed -E 's/"cache":\{[^}]*\},//' > "$out/merged.json"
    if [[ -z $reference ]]; then reference=$out/merged.json; else
        cmp -s "$reference" "$out/merged.json" || { echo "error: $n shards give other rows" >&2; exit 1; }
    fi
    rows=$(psql -h 127.0.0.1 -p "$port" -U postgres -d "$db" -qAtc \
        "SELECT count(*) FROM cluster_sweep_rows WHERE sweep_id = '$id'")
    [[ $rows == 1000 ]] || { echo "error: $rows rows on the server" >&2; exit 1; }
    # Each task's log line: "... in T s (data D s, sweep S s); R rows on the server (...) in W s".
    grep -h '^shard ' "$out"/stratagraph-*.log \
        | sed -E 's/.* combinations in ([0-9.]+) s \(data ([0-9.]+) s, sweep ([0-9.]+) s\).* in ([0-9.]+) s$/\1 \2 \3 \4/' \
        | awk -v n="$n" -v wall="$(secs "$t0" "$t1")" '
            { tasks++; total += $1; sweep += $3; write += $4 }
            END {
                printf "%-7d %10.2f %10.2f %14.0f %16.3f %18.2f\n", n, wall, sweep, 1000 / write, write, (total - sweep) / tasks
            }'
done
echo
echo "wall s: sbatch to the last task's end; sweep s: the shards' summed sweep time; rows/s"
echo "server: 1,000 rows over the shards' summed server-write time (one transaction per batch of"
echo "up to 1,000 rows); overhead/shard: a task's time outside its sweep (reading the 1M-bar CSV,"
echo "planning, writing to the server). The merged rows of the three runs are identical (checked)."
