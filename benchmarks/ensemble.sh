#!/usr/bin/env bash
# Parallel speed-up of spinerd ensemble: 16 seeds of the Mäki-Marttunen
# HFS1 model (adaptive, ε = 0.01) with --jobs 1 and --jobs 2, measured in
# one run of this script on one machine, plus the peak resident memory of
# each run (GNU time's maximum RSS) divided by the number of workers.
# Target on a 2-core machine: speed-up ≥ 1.8×.  Usage: benchmarks/ensemble.sh [SHARED]
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
model=$(cd "$shared" && pwd)/models/maki-marttunen-2020/Model_HFS1.xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spinerd" ./cmd/spinerd

# run JOBS: sets secs to the wall time of 16 seeds on JOBS workers.
# Called in this shell, not in $(...), so that a failed ensemble stops
# the script instead of being timed.
run() {
  local jobs=$1
  local t0 t1
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$tmp/rss$jobs" "$tmp/spinerd" ensemble "$model" --seeds 1-16 --jobs "$jobs" -q -o "$tmp/j$jobs"
  else
    "$tmp/spinerd" ensemble "$model" --seeds 1-16 --jobs "$jobs" -q -o "$tmp/j$jobs"
    echo 0 >"$tmp/rss$jobs"
  fi
  t1=$(date +%s.%N)
  secs=$(echo "$t1 - $t0" | bc -l)
}
run 1
t1=$secs
run 2
t2=$secs
rss1=$(cat "$tmp/rss1"); rss2=$(cat "$tmp/rss2")
printf '%-34s %10s %14s\n' "16 seeds of Model_HFS1.xml" "wall s" "peak RSS/worker"
printf '%-34s %10.1f %11.0f MB\n' "--jobs 1" "$t1" "$(echo "$rss1 / 1024" | bc -l)"
printf '%-34s %10.1f %11.0f MB\n' "--jobs 2" "$t2" "$(echo "$rss2 / 2048" | bc -l)"
printf 'speed-up: %.2fx (target ≥ 1.8x on 2 cores)\n' "$(echo "$t1 / $t2" | bc -l)"
if cmp -s "$tmp/j1/summary.traj" "$tmp/j2/summary.traj"; then echo "summaries identical"; else echo "SUMMARIES DIFFER"; exit 1; fi
