#!/usr/bin/env bash
# Makes sure a single-node Slurm cluster runs on this machine (controller and one node with the
# machine's CPUs), for the sharded-sweep test and bench: installs Debian's slurm-wlm and munge
# when missing, writes /etc/slurm/slurm.conf for this host, starts munged, slurmctld and slurmd,
# and waits until the node is idle. Idempotent: a running cluster whose node is idle is left
# alone. Needs root (it installs packages and starts daemons); no systemd needed.
set -euo pipefail

host=$(hostname -s)
conf=/etc/slurm/slurm.conf
log() { echo "ensure-slurm: $*"; }

node_idle() {
    local state
    state=$(sinfo -h -N -n "$host" -o '%t' 2>/dev/null | head -n 1) || return 1
    [[ $state == idle || $state == mix || $state == alloc ]]
}

if command -v sinfo >/dev/null 2>&1 && scontrol ping 2>/dev/null | grep -q UP && node_idle; then
    log "Slurm is running, node $host is up"
    exit 0
fi

if [[ $(id -u) != 0 ]]; then
    echo "error: Slurm is not running and starting it needs root" >&2
    exit 1
fi

missing=()
for pkg in slurm-wlm munge; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) == installed ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

# munge: its own user, its own run directory; as root it refuses ("Logfile is insecure").
install -d -o munge -g munge -m 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    /usr/sbin/mungekey --create --force 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "starting munged"
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 1 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1
    done
fi

# The node's CPU line as slurmd sees this machine (CPUs, sockets, cores, threads, memory).
node_line=$(/usr/sbin/slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //; s/ UpTime=.*//')
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm
want=$(cat <<EOF
# Written by scripts/ensure-slurm.sh: one node, this machine.
ClusterName=stratagraph
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
AuthInfo=cred_expire=10
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=1
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
NodeName=$host NodeAddr=127.0.0.1 $node_line State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
)
restart=0
if [[ ! -f $conf ]] || [[ $(cat "$conf") != "$want" ]]; then
    log "writing $conf"
    printf '%s\n' "$want" > "$conf"
    restart=1
fi

# A daemon is running when its pid file names a live process of that name (slurmctld leaves
# its pid file behind when it stops).
running() {
    local pidfile=/run/$1.pid pid
    [[ -f $pidfile ]] || return 1
    pid=$(cat "$pidfile")
    [[ -n $pid && -r /proc/$pid/comm && $(cat "/proc/$pid/comm") == "$1" ]]
}
stop() {
    running "$1" || return 0
    kill "$(cat "/run/$1.pid")"
    for _ in $(seq 1 50); do running "$1" || return 0; sleep 0.1; done
}
if ((restart)); then
    stop slurmd
    stop slurmctld
fi
if ! running slurmctld; then
    log "starting slurmctld"
    /usr/sbin/slurmctld
fi
for _ in $(seq 1 100); do
    scontrol ping 2>/dev/null | grep -q UP && break
    sleep 0.1
done
if ! running slurmd; then
    log "starting slurmd"
    /usr/sbin/slurmd
fi
for _ in $(seq 1 100); do
    if node_idle; then
        log "node $host is up"
        exit 0
    fi
    # A node that was down (an earlier stop) comes back on request.
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 0.2
done
echo "error: the Slurm node $host did not come up; see /var/log/slurm/" >&2
sinfo -N >&2 || true
exit 1
