#!/usr/bin/env bash
# Speed of spinerd against NeuroRD 3.3.0 on the same files, measured in one
# run on one machine. NeuroRD's numbers are the side-by-side anchors of
# ../shared/reference/neurord-3.3/README.md (last section: NeuroRD and
# spinerd alternated on one 2-core machine), not absolute truths: only
# ratios within one invocation mean anything on a shared machine.
#
#   benchmarks/speed.sh [--base REV] [--full] [--multiscale-only] [SHARED]
#
# --base REV also builds git revision REV and runs it alternately with the
# working tree's build on every row (3 runs each, medians), printing both
# and their ratio: the check that a change did not slow anything down.
# Then the multiscale method against the adaptive method in the same
# invocation (--full adds spine2020_dend, whose adaptive run takes ~490 s;
# --multiscale-only skips the first part).
set -euo pipefail
cd "$(dirname "$0")/.."
base="" full=0 only=0
shared=${SPINERD_SHARED:-../shared}
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --full) full=1; shift ;;
    --multiscale-only) only=1; shift ;;
    *) shared=$1; shift ;;
  esac
done
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
models=$SPINERD_SHARED/models
ref=$SPINERD_SHARED/reference/neurord-3.3
median() { sort -g | awk '{a[NR]=$1} END {printf "%.2f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
if [ "$only" = 0 ]; then
echo "== exact SSA, Mäki-Marttunen model at rest (go test -bench, ns per event; target ≤ 100)"
go test -run XXX -bench BenchmarkExactMMRest -benchtime 5x ./gillespie | grep -E "ns/event"

# sets once_out to "wall cpu": seconds of one whole process (start
# included), wall clock and CPU (user + system; steadier than wall on a
# busy machine). Called in this shell, not in $(...), so that a failed
# run stops the script instead of being timed.
once() {
  local bin=$1 seed=$2; shift 2
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$bin" run "$@" -q -o "$tmp/out" --seed "$seed" >/dev/null ||
    { echo "speed.sh: $bin run $* --seed $seed failed" >&2; exit 1; }
  once_out=$(awk '{printf "%s %.2f\n", $1, $2 + $3}' "$tmp/time")
}

if [ -n "$base" ]; then
  printf '\n%-44s %10s %10s %8s %8s %8s %8s %10s %8s\n' "run (the file's method and ε, whole process)" "spinerd s" "base s" "new/base" "cpu s" "base cpu" "new/base" "NeuroRD s" "speedup"
else
  printf '\n%-44s %10s %10s %8s\n' "run (the file's method and ε, whole process)" "spinerd s" "NeuroRD s" "speedup"
fi
row() {
  local name=$1 neurord=$2; shift 2
  local new=() old=()
  for i in 1 2 3; do
    once "$tmp/spinerd" "$i" "$@"
    new+=("$once_out")
    if [ -n "$base" ]; then
      once "$tmp/spinerd-base" "$i" "$@"
      old+=("$once_out")
    fi
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
fi

# ---------------------------------------------------------------------------
# The multiscale method against the adaptive method, in this invocation:
# the two run alternately on the same file and seeds; ratios of the median
# wall times (process start included) are what the acceptance binds, the
# absolute times vary with the machine's load (printed). NeuroRD's times
# are those measured side by side in the reference README's last section.
# Model_spine2020_dend (adaptive about 490 s) runs only with --full.
# one timed run: sets timed_out to "wall seconds, user seconds" (a
# failed run stops the script); the multiscale run's summary goes to
# $tmp/last.err
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U" -o "$tmp/user" "$tmp/spinerd" run "$@" -o "$tmp/out" >/dev/null 2>"$tmp/last.err" ||
    { cat "$tmp/last.err" >&2; echo "speed.sh: spinerd run $* failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  timed_out="$(echo "$t1 - $t0" | bc -l) $(cat "$tmp/user")"
}
printf '\n== multiscale vs adaptive (load average: %s)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %5s %9s %9s %8s %8s %7s %9s %10s %9s\n' "file" "runs" "adapt. s" "multi. s" "ratio" "target" "user r." "NeuroRD s" "vs NeuroRD" "absorbed"
cmp() {
  local name=$1 runs=$2 target=$3 neurord=$4; shift 4
  local wa=() wm=() ua=() um=() summary=""
  for i in $(seq 1 "$runs"); do
    timed "$@" --method adaptive --seed "$i"
    read -r w u <<<"$timed_out"
    wa+=("$w"); ua+=("$u")
    timed "$@" --method multiscale --seed "$i"
    read -r w u <<<"$timed_out"
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
