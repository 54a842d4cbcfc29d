#!/usr/bin/env bash
# Throughput of spinerd fit on the VC-1 data set (deterministic engine):
# evaluations per second with --jobs 1 and --jobs 2 over the same 2
# generations of a population of 8 (16 evaluations each), measured in one
# run of this script; target speed-up ≥ 1.8x on a 2-core machine.
# With --zdt, then the ZDT benchmark of the optimiser (go run ./benchmarks/fitzdt).
# Usage: benchmarks/fit.sh [--zdt]   (--zdt: also the ZDT benchmark, about 2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spinerd" ./cmd/spinerd
rate() {
  local jobs=$1 t0 t1
  t0=$(date +%s.%N)
  "$tmp/spinerd" fit --dataset VC-1 --population 8 --generations 2 --seed 5 --jobs "$jobs" -q -o "$tmp/j$jobs"
  t1=$(date +%s.%N)
  echo "16 / ($t1 - $t0)" | bc -l
}
r1=$(rate 1)
r2=$(rate 2)
printf 'VC-1, 16 evaluations: --jobs 1 %.3f evaluations/s, --jobs 2 %.3f evaluations/s, speed-up %.2fx (target ≥ 1.8x)\n' "$r1" "$r2" "$(echo "$r2 / $r1" | bc -l)"
if cmp -s "$tmp/j1/population.json" "$tmp/j2/population.json"; then echo "populations identical for 1 and 2 jobs"; else echo "POPULATIONS DIFFER"; exit 1; fi
echo
[ "${1:-}" = "--zdt" ] || exit 0
go run ./benchmarks/fitzdt
