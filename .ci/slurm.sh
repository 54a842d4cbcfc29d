#!/usr/bin/env bash
# Runs the shipped Slurm array script (examples/cluster/slurm-array.sh) on
# a real single-node Slurm cluster started on this machine (munged,
# slurmctld, slurmd; linuxproc process tracking, no cgroups), merges the
# shards with `spinerd merge` and checks that the merged directory equals
# a local `spinerd ensemble` of the same seeds byte for byte. A cluster
# that does not start is a failure, with the daemons' logs printed.
#
#   .ci/slurm.sh SPINERD_BINARY MODEL.xml
set -euo pipefail
bin=$(readlink -f "$1")
model=$(readlink -f "$2")
work=$(mktemp -d /tmp/spinerd-slurm.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
conf=/etc/slurm/slurm.conf
logs() {
  echo "---- slurmctld log"; cat "$work/slurmctld.log" 2>/dev/null || true
  echo "---- slurmd log"; cat "$work/slurmd.log" 2>/dev/null || true
  echo "---- munged log"; cat /var/log/munge/munged.log 2>/dev/null || true
  echo "---- sinfo"; sinfo 2>&1 || true
  echo "---- jobs"; scontrol show job 2>&1 || true
  for f in "$work"/slurm-*.out; do [ -f "$f" ] && { echo "---- $f"; cat "$f"; }; done
}
fail() { echo "slurm check FAILED: $*"; logs; exit 1; }
stop() {
  scancel --user=root >/dev/null 2>&1 || true
  pkill -x slurmd >/dev/null 2>&1 || true
  pkill -x slurmctld >/dev/null 2>&1 || true
  pkill -x munged >/dev/null 2>&1 || true
}
trap stop EXIT

export DEBIAN_FRONTEND=noninteractive
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -q >/dev/null
  apt-get install -y -q slurm-wlm munge >/dev/null || fail "apt-get install slurm-wlm munge"
fi

# munge: a fresh key, the daemon as its user.
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 700 /etc/munge; chmod 400 /etc/munge/munge.key
pkill -x munged >/dev/null 2>&1 || true
runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
munge -n | unmunge >/dev/null || fail "munge round trip"

# Slurm: one node with this machine's CPUs and memory declared.
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
mkdir -p /etc/slurm "$work/spool/ctld" "$work/spool/d"
cat > "$conf" <<CONF
ClusterName=spinerd-ci
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
pkill -x slurmd >/dev/null 2>&1 || true
pkill -x slurmctld >/dev/null 2>&1 || true
slurmctld -i || fail "slurmctld did not start"
slurmd || fail "slurmd did not start"
for i in $(seq 1 30); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  case "$state" in idle*|mix*|alloc*) break ;; esac
  sleep 1
done
case "$state" in idle*|mix*|alloc*) echo "slurm: node $host is $state ($cpus CPUs, $mem MB)" ;; *) fail "node state '$state' after 30 s" ;; esac

# The shipped array script: 3 tasks over 6 seeds of a short run. The
# script asks 4 CPUs per task; this node has $cpus, so ask for 1.
cd "$work"
export MODEL=$model SEEDS=1-6 OUT=$work/slurm SPINERD=$bin SPINERD_ARGS="--runtime 300"
timeout 600 sbatch --wait --array=1-3 --cpus-per-task=1 --mem-per-cpu=200M --export=ALL \
  -o "$work/slurm-%A_%a.out" "$OLDPWD/examples/cluster/slurm-array.sh" || fail "sbatch --array"
echo "slurm: array job finished:"; ls "$work/slurm"
"$bin" merge "$work"/slurm/shard-* -o "$work/slurm/all" -q || fail "spinerd merge"
"$bin" ensemble "$model" --seeds 1-6 --runtime 300 --jobs 2 -q -o "$work/local" || fail "local ensemble"
if diff -r -x .lock "$work/slurm/all" "$work/local"; then
  echo "slurm: the merged array job equals the local ensemble byte for byte ($(ls "$work/local" | wc -l) files)"
else
  fail "merged directory differs from the local ensemble"
fi
cd "$OLDPWD"
rm -rf "$work"
