#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the cluster test (test/cluster/slurm.test.ts) and for
# trying `sweep --emit slurm` by hand. Idempotent: installs Debian's slurm-wlm and munge if missing
# (root and apt-get only), writes its own slurm.conf under $MEMREPLAY_SLURM_DIR (default
# /tmp/memreplay-slurm; /etc/slurm is left alone), starts munged, slurmctld and slurmd unless they
# already answer, and waits until the node is idle. No systemd and no cgroups (containers have
# neither): daemons are started by hand, processes tracked through /proc.
#
# Prints `export SLURM_CONF=...` last: clients (sinfo, sbatch, squeue) need it.
#   eval "$(test/cluster/slurm-up.sh)" && sinfo
# Exit status: 0 up; 3 Slurm is not installed and cannot be (no apt-get or not root); 1 any other failure.
set -euo pipefail

DIR=${MEMREPLAY_SLURM_DIR:-/tmp/memreplay-slurm}
CONF=$DIR/slurm.conf
log() { echo "slurm-up: $*" >&2; }

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 || ! command -v sbatch >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "Slurm is not installed, and installing it needs root and apt-get (Debian's slurm-wlm and munge)"
    exit 3
  fi
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  log "starting the daemons needs root (SlurmUser=root, munged as munge)"
  exit 3
fi

mkdir -p "$DIR/spool" "$DIR/state" "$DIR/log"
chmod 0755 "$DIR"

# munge: a key (0400, owned by munge), its socket folder, the daemon unless a credential round-trips.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile=/etc/munge/munge.key --force
  else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
fi
chown -R munge:munge /etc/munge && chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge && chmod 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || { log "munged does not answer"; exit 1; }
fi

# The node as slurmd sees it (CPUs, sockets, cores), memory a little under the machine's so the
# controller never drains the node for "Low RealMemory".
HOST=$(hostname -s)
NODE=$(slurmd -C | head -1 | awk '{ for (i = 1; i <= NF; i++) { if ($i ~ /^RealMemory=/) { split($i, a, "="); $i = "RealMemory=" int(a[2] * 0.9) } } print }')
CONTENT="# Written by memreplay's test/cluster/slurm-up.sh: a one-node cluster on $HOST, no cgroups.
ClusterName=memreplay
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
# sbatch --wait sleeps 2 s, then x4 while below MinJobAge / 3 (to 32 s): a small MinJobAge keeps it
# polling every 2 s, so a test waits seconds, not half a minute, past the job's end.
MinJobAge=6
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
$NODE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP"
CHANGED=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$CONTENT" ]; then
  printf '%s\n' "$CONTENT" >"$CONF"
  CHANGED=1
fi
export SLURM_CONF=$CONF

# A daemon is alive if its pid file names a live process of that name (a pid left from before a
# reboot may since belong to another program).
alive() { [ "$(cat "/proc/$(cat "$DIR/$1.pid" 2>/dev/null)/comm" 2>/dev/null)" = "$1" ]; }
# A changed slurm.conf (another hostname, memory): the daemons this script started restart with it.
if [ "$CHANGED" = 1 ]; then
  for d in slurmd slurmctld; do
    if alive "$d"; then
      log "restarting $d (slurm.conf changed)"
      kill "$(cat "$DIR/$d.pid")"
      for _ in $(seq 50); do alive "$d" || break; sleep 0.1; done
    fi
  done
fi
if ! alive slurmctld; then
  log "starting slurmctld"
  /usr/sbin/slurmctld -f "$CONF" </dev/null >/dev/null 2>&1
fi
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
scontrol ping | grep -q UP || { log "slurmctld does not answer (see $DIR/log/slurmctld.log)"; exit 1; }
if ! alive slurmd; then
  log "starting slurmd"
  /usr/sbin/slurmd -f "$CONF" </dev/null >/dev/null 2>&1
fi

# Idle (or mixed/allocated: already running jobs) within 60 s; a node left down by an earlier run is resumed.
for i in $(seq 300); do
  STATE=$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -1 || true)
  case "$STATE" in
    idle|mixed|allocated|completing) break ;;
    down*|drain*|fail*) [ $((i % 25)) = 1 ] && scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.2
done
case "$STATE" in
  idle|mixed|allocated|completing) ;;
  *) log "node $HOST is \"$STATE\", not idle (see $DIR/log/slurmd.log and slurmctld.log)"; exit 1 ;;
esac
log "node $HOST is $STATE"
echo "export SLURM_CONF=$CONF"
