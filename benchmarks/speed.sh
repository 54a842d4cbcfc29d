#!/usr/bin/env bash
# Speed of spinerd against NeuroRD 3.3.0 on the same files, measured in one
# run on one machine. NeuroRD's numbers are those recorded in
# ../shared/reference/neurord-3.3/README.md (made on a 2-core machine like
# the ones these benchmarks run on). Usage: benchmarks/speed.sh [SHARED]
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
export SPINERD_SHARED=$(cd "$shared" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spinerd" ./cmd/spinerd

echo "== exact SSA, Mäki-Marttunen model at rest (go test -bench, ns per event; target ≤ 100)"
go test -run XXX -bench BenchmarkExactMMRest -benchtime 5x ./gillespie | grep -E "ns/event"

# wall seconds of a whole process (start included), median of n runs
wall() {
  local n=$1; shift
  local times=()
  for i in $(seq 1 "$n"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$tmp/spinerd" run "$@" -q -o "$tmp/out" --seed "$i" >/dev/null
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.2f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

models=$SPINERD_SHARED/models
ref=$SPINERD_SHARED/reference/neurord-3.3
printf '\n%-44s %12s %14s %8s\n' "run (adaptive, the file's ε, whole process)" "spinerd s" "NeuroRD s" "speedup"
row() {
  local name=$1 neurord=$2; shift 2
  local s
  s=$(wall 3 "$@")
  printf '%-44s %12s %14s %8.1fx\n' "$name" "$s" "$neurord" "$(echo "$neurord / $s" | bc -l)"
}
row "Model_HFS1.xml (12 s, one HFS train)" 38.6 "$models/maki-marttunen-2020/Model_HFS1.xml"
row "Model_rest.xml (20 s at rest)" 7.2 "$models/maki-marttunen-2020/Model_rest.xml"
row "Model_mglur_diff (10 s, 9 voxels)" 4.8 "$ref/ex_mglur_diff/inputs/Model_mglur_diff_seed1.xml"
row "Model_mglur_spine-CaY (10 s, 36 voxels)" 33.1 "$ref/ex_mglur_spine-CaY/inputs/Model_mglur_spine-CaY_seed1.xml"
cat <<'TXT'

NeuroRD columns: median wall time with JVM start for HFS (38.6 s) and rest
(7.2 s); for the two examples the README gives loop times (4.8 s when the
machine was quiet, 33.1 s), which exclude the JVM's start-up of ~2 s.
Target for HFS: at least 10x NeuroRD (≤ 3.9 s).
TXT
