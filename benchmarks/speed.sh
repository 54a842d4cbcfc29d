#!/usr/bin/env bash
# Speed of spinerd against NeuroRD 3.3.0 on the same files, measured in one
# run on one machine. NeuroRD's numbers are the side-by-side anchors of
# ../shared/reference/neurord-3.3/README.md (last section: NeuroRD and
# spinerd alternated on one 2-core machine), not absolute truths: only
# ratios within one invocation mean anything on a shared machine.
#
#   benchmarks/speed.sh [--base REV] [SHARED]
#
# --base REV also builds git revision REV and runs it alternately with the
# working tree's build on every row (3 runs each, medians), printing both
# and their ratio: the check that a change did not slow anything down.
set -euo pipefail
cd "$(dirname "$0")/.."
base=""
if [ "${1:-}" = "--base" ]; then base=$2; shift 2; fi
shared=${1:-${SPINERD_SHARED:-../shared}}
export SPINERD_SHARED=$(cd "$shared" && pwd)
tmp=$(mktemp -d)
cleanup() {
  [ -n "$base" ] && git worktree remove --force "$tmp/base-src" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/spinerd" ./cmd/spinerd
if [ -n "$base" ]; then
  git worktree add -q --detach "$tmp/base-src" "$base"
  (cd "$tmp/base-src" && go build -o "$tmp/spinerd-base" ./cmd/spinerd)
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== exact SSA, Mäki-Marttunen model at rest (go test -bench, ns per event; target ≤ 100)"
go test -run XXX -bench BenchmarkExactMMRest -benchtime 5x ./gillespie | grep -E "ns/event"

# "wall cpu": seconds of one whole process (start included), wall clock
# and CPU (user + system; steadier than wall on a busy machine)
once() {
  local bin=$1 seed=$2; shift 2
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$bin" run "$@" -q -o "$tmp/out" --seed "$seed" >/dev/null
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$tmp/time"
}
median() { sort -g | awk '{a[NR]=$1} END {printf "%.2f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

models=$SPINERD_SHARED/models
ref=$SPINERD_SHARED/reference/neurord-3.3
if [ -n "$base" ]; then
  printf '\n%-44s %10s %10s %8s %8s %8s %8s %10s %8s\n' "run (the file's method and ε, whole process)" "spinerd s" "base s" "new/base" "cpu s" "base cpu" "new/base" "NeuroRD s" "speedup"
else
  printf '\n%-44s %10s %10s %8s\n' "run (the file's method and ε, whole process)" "spinerd s" "NeuroRD s" "speedup"
fi
row() {
  local name=$1 neurord=$2; shift 2
  local new=() old=()
  for i in 1 2 3; do
    new+=("$(once "$tmp/spinerd" "$i" "$@")")
    [ -n "$base" ] && old+=("$(once "$tmp/spinerd-base" "$i" "$@")")
  done
  local s b sc bc
  s=$(printf '%s\n' "${new[@]}" | cut -d' ' -f1 | median)
  if [ -n "$base" ]; then
    b=$(printf '%s\n' "${old[@]}" | cut -d' ' -f1 | median)
    sc=$(printf '%s\n' "${new[@]}" | cut -d' ' -f2 | median)
    bc=$(printf '%s\n' "${old[@]}" | cut -d' ' -f2 | median)
    printf '%-44s %10s %10s %8.3f %8s %8s %8.3f %10s %7.1fx\n' "$name" "$s" "$b" "$(echo "$s / $b" | bc -l)" "$sc" "$bc" "$(echo "$sc / $bc" | bc -l)" "$neurord" "$(echo "$neurord / $s" | bc -l)"
  else
    printf '%-44s %10s %10s %7.1fx\n' "$name" "$s" "$neurord" "$(echo "$neurord / $s" | bc -l)"
  fi
}
row "Model_HFS1.xml (12 s, one HFS train)" 24.75 "$models/maki-marttunen-2020/Model_HFS1.xml"
row "Model_rest.xml (20 s at rest)" 7.1 "$models/maki-marttunen-2020/Model_rest.xml"
row "Model_mglur_diff (10 s, 9 voxels)" 4.8 "$ref/ex_mglur_diff/inputs/Model_mglur_diff_seed1.xml"
row "Model_mglur_spine-CaY (10 s, 36 voxels)" 24.5 "$ref/ex_mglur_spine-CaY/inputs/Model_mglur_spine-CaY_seed1.xml"
cat <<'TXT'

NeuroRD column: wall time with JVM start measured side by side with
spinerd (../shared/reference/neurord-3.3/README.md, last section): HFS1
24.75 s (mean of 24.5 and 25.0), rest 7.1 s, spine-CaY 24.5 s; for
Model_mglur_diff the README gives 4.8 s wall on a quiet machine.
TXT
