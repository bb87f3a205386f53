#!/usr/bin/env bash
# The sharded sweep on a real Slurm (scripts/ensure-slurm.sh starts one on this machine): a
# sweep of generated minute bars is submitted as the 4-task job array `sweep --emit slurm`
# prints; one task is killed with scancel while it runs and requeued; the shards merged must
# equal the same sweep run locally, byte for byte (all but the node-cache counters, which
# count each shard's own work). A shard given twice to merge changes nothing. Prints its time.
#
# Usage: scripts/test-slurm.sh [STRATAGRAPH_BINARY]  (default: $CARGO_TARGET_DIR/debug/stratagraph)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s%N)

bin=${1:-${CARGO_TARGET_DIR:-target}/debug/stratagraph}
bin=$(realpath "$bin")
[[ -x $bin ]] || { echo "error: no stratagraph binary at $bin (cargo build -p stratagraph-cli)" >&2; exit 1; }
work=$(mktemp -d /tmp/stratagraph-slurm-test.XXXXXX)
chmod 0755 "$work"
job=""
cleanup() {
    [[ -n $job ]] && scancel "$job" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
say() {
    local ms=$((($(date +%s%N) - started) / 1000000))
    printf '[%d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*"
}

graph=examples/sma_crossover.json
"$bin" data synth --out "$work/bars.csv" --bars 200000 --step minute --seed 16 >/dev/null
sweep=(--grid fast=2:60:2 --grid slow=20:300:10 --where 'fast<slow' --sort sharpe)

say "local run"
"$bin" sweep "$graph" --data "$work/bars.csv" "${sweep[@]}" --threads 2 --json > "$work/local.json"

say "submit 4 shards"
"$bin" sweep "$graph" --data "$work/bars.csv" "${sweep[@]}" --threads 1 \
    --emit slurm --shards 4 --out-dir "$work/shards" > "$work/job.sh"
grep -q 'SBATCH --array=0-3' "$work/job.sh" || fail "no job array in the script"
job=$(STRATAGRAPH=$bin sbatch --parsable --chdir="$work" "$work/job.sh")
job=${job%%;*}

# Kill shard 2 while it runs, then requeue it (or, if Slurm will not requeue a cancelled task,
# submit that index again).
victim="${job}_2"
for _ in $(seq 1 600); do
    state=$(squeue -h -r -j "$job" -o '%i %T' 2>/dev/null | awk -v t="$victim" '$1 == t {print $2}')
    [[ $state == RUNNING ]] && break
    [[ -f $work/shards/shard-2-of-4.json ]] && fail "shard 2 finished before it could be killed"
    sleep 0.05
done
[[ $state == RUNNING ]] || fail "shard 2 never ran"
scancel "$victim"
say "shard 2 killed with scancel"
for _ in $(seq 1 100); do
    squeue -h -r -j "$job" -o '%i' | grep -qx "$victim" || break
    sleep 0.1
done
[[ -f $work/shards/shard-2-of-4.json ]] && fail "the killed shard left a shard file"
if scontrol requeue "$victim" 2>/dev/null; then
    say "shard 2 requeued (scontrol requeue)"
    # A requeued task waits out its begin time; let it start now.
    sleep 2
    scontrol update jobid="$victim" StartTime=now 2>/dev/null || true
    waitfor=("$job")
else
    again=$(STRATAGRAPH=$bin sbatch --parsable --chdir="$work" --array=2 "$work/job.sh")
    again=${again%%;*}
    say "shard 2 submitted again (job $again)"
    waitfor=("$job" "$again")
fi
for j in "${waitfor[@]}"; do
    for _ in $(seq 1 1800); do
        [[ -z $(squeue -h -j "$j" 2>/dev/null) ]] && break
        sleep 0.1
    done
    [[ -z $(squeue -h -j "$j" 2>/dev/null) ]] || fail "job $j did not finish"
done
job=""
say "all shards done"
for k in 0 1 2 3; do
    if [[ ! -f $work/shards/shard-$k-of-4.json ]]; then
        cat "$work"/stratagraph-*.log >&2 2>/dev/null || true
        fail "shard $k wrote no file"
    fi
done

# A shard run twice (given twice) changes nothing; the order does not matter.
"$bin" sweep merge $(ls "$work"/shards/shard-*-of-4.json | sort -r) "$work/shards/shard-1-of-4.json" \
    --json > "$work/merged.json"
strip() { sed -E 's/"cache":\{[^}]*\},//' "$1"; }
if ! cmp -s <(strip "$work/local.json") <(strip "$work/merged.json"); then
    fail "merged rows differ from the local run"
fi
rows=$(grep -o '"index":' "$work/merged.json" | wc -l)
[[ $rows -gt 300 ]] || fail "only $rows rows"
# Missing shard: a clear error naming it.
if out=$("$bin" sweep merge "$work"/shards/shard-{0,1,3}-of-4.json --json 2>&1); then
    fail "merge without shard 2 succeeded"
fi
grep -q "2/4" <<<"$out" || fail "the missing-shard error does not name shard 2: $out"
say "PASS: $rows rows merged from 4 Slurm shards (one killed and requeued) equal the local run"
