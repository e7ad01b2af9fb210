#!/usr/bin/env bash
# A one-node Slurm cluster on localhost (root; Debian's slurm-wlm and munge): `start` writes /etc/slurm/slurm.conf
# from slurm.conf.in beside this script (this host's name, CPUs and memory), creates a munge key when there is none
# (owner munge, mode 0400), starts munged, slurmctld and slurmd, and waits (bounded) until sinfo shows the node idle;
# `stop` stops the three daemons it started. State and logs go to $QB_SLURM_STATE (default /var/lib/quantbench-slurm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${QB_SLURM_STATE:-/var/lib/quantbench-slurm}
conf=/etc/slurm/slurm.conf

stop() {
  for pidfile in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munged.pid"; do
    if [ -f "$pidfile" ] && pid=$(cat "$pidfile") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
}

start() {
  [ "$(id -u)" = 0 ] || { echo "local-cluster.sh: must run as root"; exit 1; }
  for tool in munged slurmctld slurmd sinfo sbatch; do
    command -v "$tool" >/dev/null || { echo "local-cluster.sh: $tool not found (apt-get install slurm-wlm munge)"; exit 1; }
  done
  host=$(hostname -s)
  cpus=$(nproc)
  memory=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 - 256 ))
  mkdir -p "$state/slurmctld" "$state/slurmd" /etc/slurm
  sed -e "s|@HOST@|$host|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEMORY_MB@|$memory|g" -e "s|@STATE@|$state|g" \
    "$here/slurm.conf.in" > "$conf.tmp"
  mv "$conf.tmp" "$conf"

  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  if ! munge -n >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
    for _ in $(seq 50); do [ -f /run/munge/munged.pid ] && break; sleep 0.1; done
    cp /run/munge/munged.pid "$state/munged.pid"
  fi
  munge -n | unmunge >/dev/null

  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 60); do
    node=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$node" in idle*|mixed*|allocated*) echo "local Slurm cluster up: node $host ($cpus CPUs) $node"; return 0 ;; esac
    sleep 1
  done
  echo "local-cluster.sh: the node did not become idle within 60 s (sinfo: ${node:-nothing}); logs in $state"
  tail -n 20 "$state/slurmctld.log" "$state/slurmd.log" 2>/dev/null || true
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop"; exit 64 ;;
esac
