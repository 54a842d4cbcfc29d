#!/usr/bin/env bash
# Speed of spinerd against NeuroRD 3.3.0 on the same files, measured in one
# run on one machine. NeuroRD's numbers are those recorded in
# ../shared/reference/neurord-3.3/README.md (made on a 2-core machine like
# the ones these benchmarks run on). Then the multiscale method against the
# adaptive method in the same invocation.
# Usage: benchmarks/speed.sh [--full] [--multiscale-only] [SHARED]
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
full=0
only=0
for a in "$@"; do
  case "$a" in
    --full) full=1 ;;
    --multiscale-only) only=1 ;;
    *) shared=$a ;;
  esac
done
export SPINERD_SHARED=$(cd "$shared" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spinerd" ./cmd/spinerd

models=$SPINERD_SHARED/models
ref=$SPINERD_SHARED/reference/neurord-3.3
if [ "$only" = 0 ]; then
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
fi

# ---------------------------------------------------------------------------
# The multiscale method against the adaptive method, in this invocation:
# the two run alternately on the same file and seeds; ratios of the median
# wall times (process start included) are what the acceptance binds, the
# absolute times vary with the machine's load (printed). NeuroRD's times
# are those measured side by side in the reference README's last section.
# Model_spine2020_dend (adaptive about 490 s) runs only with --full.
# one timed run: prints wall seconds, user seconds; the multiscale run's
# summary goes to $tmp/last.err
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U" -o "$tmp/user" "$tmp/spinerd" run "$@" -o "$tmp/out" >/dev/null 2>"$tmp/last.err"
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc -l) $(cat "$tmp/user")"
}
median() { sort -g | awk '{a[NR]=$1} END {printf "%.2f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf '\n== multiscale vs adaptive (load average: %s)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %5s %9s %9s %8s %8s %7s %9s %10s %9s\n' "file" "runs" "adapt. s" "multi. s" "ratio" "target" "user r." "NeuroRD s" "vs NeuroRD" "absorbed"
cmp() {
  local name=$1 runs=$2 target=$3 neurord=$4; shift 4
  local wa=() wm=() ua=() um=() summary=""
  for i in $(seq 1 "$runs"); do
    read -r w u < <(timed "$@" --method adaptive --seed "$i")
    wa+=("$w"); ua+=("$u")
    read -r w u < <(timed "$@" --method multiscale --seed "$i")
    wm+=("$w"); um+=("$u")
    summary=$(grep -m1 "^partial equilibrium" "$tmp/last.err" || true)
  done
  local ma mm mua mum
  ma=$(printf '%s\n' "${wa[@]}" | median); mm=$(printf '%s\n' "${wm[@]}" | median)
  mua=$(printf '%s\n' "${ua[@]}" | median); mum=$(printf '%s\n' "${um[@]}" | median)
  local absorbed
  absorbed=$(echo "$summary" | sed -n 's/.*(\([0-9.]*%\) of all firings).*/\1/p')
  printf '%-40s %5d %9s %9s %7.2fx %7.1fx %6.2fx %9s %9.1fx %9s\n' "$name" "$runs" "$ma" "$mm" "$(echo "$ma / $mm" | bc -l)" "$target" \
    "$(echo "$mua / $mum" | bc -l)" "$neurord" "$(echo "$neurord / $mm" | bc -l)" "${absorbed:-0%}"
  echo "    multiscale, last run: $summary"
}
cmp "Model_HFS1.xml (12 s)" 3 4.7 24.75 "$models/maki-marttunen-2020/Model_HFS1.xml"
cmp "Model_mglur_spine-CaY (10 s, 36 voxels)" 3 6 24.5 "$ref/ex_mglur_spine-CaY/inputs/Model_mglur_spine-CaY_seed1.xml"
cmp "Model_LFS.xml (500 s)" 1 5.3 0 "$models/maki-marttunen-2020/Model_LFS.xml"
if [ "$full" = 1 ]; then
  cmp "Model_spine2020_dend (2 s, 108 voxels)" 1 14 170.5 "$ref/spine2020_dend/inputs/Model_spine2020_dend.xml"
else
  echo "Model_spine2020_dend: run with --full (the adaptive run takes about 490 s)"
fi
cat <<'TXT'
ratio: median wall time of adaptive over multiscale (process start included);
user r.: the same for user CPU time; NeuroRD s: NeuroRD 3.3.0's wall time
measured side by side (reference README, last section; none recorded for
LFS); absorbed: share of all firings that the fast subsystems absorbed.
TXT
