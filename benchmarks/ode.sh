#!/usr/bin/env bash
# Speed of spinerd's deterministic solver (spinerd run --method ode) on the
# paper's 500 s protocols, whole process, at the reference tolerances
# (rtol 1e-6, atol 1e-6 nM), median of 3 runs, next to the times SUNDIALS
# CVODE (BDF, dense direct solver, analytic Jacobian) needs for the same
# files at those tolerances on this kind of 2-core machine (31 s and
# 120 s, recorded in issue 5). Also the steady state with Pip2 clamped.
# Usage: benchmarks/ode.sh [SHARED]
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
models=$(cd "$shared" && pwd)/models/maki-marttunen-2020
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spinerd" ./cmd/spinerd

# median3 CMD...: runs CMD three times and sets med to the median wall
# time (s). Called in this shell, not in $(...), so that a failed run
# stops the script instead of being timed.
median3() {
  local times=()
  for i in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; echo "ode.sh: $* failed" >&2; exit 1; }
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk 'NR==2 {printf "%.2f", $1}')
}

printf '%-40s %10s %10s %8s %8s\n' "run (ode, rtol 1e-6, atol 1e-6 nM)" "spinerd s" "CVODE s" "speedup" "target"
row() {
  local name=$1 cvode=$2 target=$3 file=$4
  local s
  median3 "$tmp/spinerd" run --method ode -q -o "$tmp/out.traj" "$models/$file"
  s=$med
  printf '%-40s %10s %10s %7.1fx %7ss\n' "$name" "$s" "$cvode" "$(echo "$cvode / $s" | bc -l)" "$target"
}
row "Model_4xHFS.xml (500 s, 4 trains)" 31 3 Model_4xHFS.xml
row "Model_LFS.xml (500 s, 900 pulses)" 120 12 Model_LFS.xml
median3 "$tmp/spinerd" steady -q --clamp Pip2 "$models/Model_rest.xml"
printf '%-40s %10s\n' "steady --clamp Pip2 (Model_rest.xml)" "$med"
echo
echo "== solver statistics"
for f in Model_4xHFS.xml Model_LFS.xml; do
  printf '%s: ' "$f"
  "$tmp/spinerd" run --method ode -o "$tmp/out.traj" "$models/$f" 2>&1 | grep '^simulated'
done
