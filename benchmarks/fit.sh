#!/usr/bin/env bash
# Throughput of `spinerd fit` (deterministic engine): evaluations per second
# of the same small fit (default N 16, C 32, 3 generations = 48
# evaluations, seed 5, --jobs 2) on each data set, for the working tree and,
# with --base REV, for a build of git revision REV made in the same
# invocation. Runs alternate between the two builds (base, new, base, new,
# ... for --rounds rounds) so that a shared machine's load falls on both;
# the speed-up is the ratio of their summed times. The two builds' final
# populations are compared (they agree only where their objectives do).
# With --scaling the working tree also runs with --jobs 1, to show the
# --jobs speed-up and that the population does not depend on --jobs.
# Every line gives wall and CPU (user + system) time: on a shared machine
# the CPU ratio is the steadier one.
# With --zdt, then the ZDT benchmark of the optimiser (go run ./benchmarks/fitzdt).
#
# Usage: benchmarks/fit.sh [--base REV] [--datasets "VC-1 EC-2"] [--population 16]
#        [--capacity 32] [--generations 3] [--jobs 2] [--rounds 1] [--scaling] [--zdt]
# e.g.   benchmarks/fit.sh --base 447d5c4 --scaling
set -euo pipefail
cd "$(dirname "$0")/.."
base="" datasets="VC-1 EC-2" n=16 c=32 gens=3 jobs=2 rounds=1 scaling=0 zdt=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --datasets) datasets=$2; shift 2 ;;
    --population) n=$2; shift 2 ;;
    --capacity) c=$2; shift 2 ;;
    --generations) gens=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --scaling) scaling=1; shift ;;
    --zdt) zdt=1; shift ;;
    *) echo "fit.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/new" ./cmd/spinerd
echo "new:  $(git describe --always --dirty) (working tree)"
if [ -n "$base" ]; then
  mkdir "$tmp/src"
  git archive "$base" | tar -x -C "$tmp/src"
  (cd "$tmp/src" && go build -o "$tmp/base" ./cmd/spinerd)
  echo "base: $(git rev-parse --short "$base")"
fi
evals=$((n + (gens - 1) * (c - n)))
echo "fit: N $n, C $c, $gens generations ($evals evaluations), seed 5, --jobs $jobs; $rounds round(s), builds alternating"
echo

# run BUILD DATASET JOBS OUT: sets run_out to the wall time and the CPU
# time (user + system) in seconds. On a shared machine the CPU time is
# the steadier measure of the work; the wall time also holds the waits
# for a core. Called in this shell, not in $(...), so that a failed fit
# stops the script instead of being timed.
run() {
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$tmp/$1" fit --dataset "$2" --population "$n" --capacity "$c" --generations "$gens" --seed 5 --jobs "$3" -q -o "$4" >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; echo "fit.sh: $1 fit --dataset $2 failed" >&2; exit 1; }
  run_out=$(awk '{print $1, $2 + $3}' "$tmp/time")
}

status=0
for ds in $datasets; do
  tnew=0 tbase=0 cnew=0 cbase=0
  for r in $(seq 1 "$rounds"); do
    if [ -n "$base" ]; then
      run base "$ds" "$jobs" "$tmp/base-$ds-$r"
      read -r w cpu <<<"$run_out"
      tbase=$(echo "$tbase + $w" | bc -l); cbase=$(echo "$cbase + $cpu" | bc -l)
    fi
    run new "$ds" "$jobs" "$tmp/new-$ds-$r"
    read -r w cpu <<<"$run_out"
    tnew=$(echo "$tnew + $w" | bc -l); cnew=$(echo "$cnew + $cpu" | bc -l)
  done
  printf '%-5s new:  %6.3f evaluations/s (%.1f s per fit, %.1f CPU-s)\n' "$ds" "$(echo "$evals * $rounds / $tnew" | bc -l)" "$(echo "$tnew / $rounds" | bc -l)" "$(echo "$cnew / $rounds" | bc -l)"
  if [ -n "$base" ]; then
    printf '%-5s base: %6.3f evaluations/s (%.1f s per fit, %.1f CPU-s)\n' "$ds" "$(echo "$evals * $rounds / $tbase" | bc -l)" "$(echo "$tbase / $rounds" | bc -l)" "$(echo "$cbase / $rounds" | bc -l)"
    printf '%-5s speed-up new/base: %.2fx wall, %.2fx CPU\n' "$ds" "$(echo "$tbase / $tnew" | bc -l)" "$(echo "$cbase / $cnew" | bc -l)"
    if cmp -s "$tmp/base-$ds-1/population.json" "$tmp/new-$ds-1/population.json"; then
      echo "$ds   populations of base and new identical"
    else
      echo "$ds   populations of base and new differ (expected where objectives changed)"
    fi
  fi
  if [ "$scaling" = 1 ]; then
    run new "$ds" 1 "$tmp/new1-$ds"
    read -r w1 c1 <<<"$run_out"
    printf '%-5s new --jobs 1: %6.3f evaluations/s (%.1f CPU-s); --jobs %d is %.2fx faster\n' "$ds" "$(echo "$evals / $w1" | bc -l)" "$c1" "$jobs" "$(echo "$w1 * $rounds / $tnew" | bc -l)"
    if cmp -s "$tmp/new1-$ds/population.json" "$tmp/new-$ds-1/population.json"; then
      echo "$ds   populations identical for --jobs 1 and --jobs $jobs"
    else
      echo "$ds   POPULATIONS DIFFER between --jobs 1 and --jobs $jobs"; status=1
    fi
  fi
  echo
done
if [ "$zdt" = 1 ]; then
  go run ./benchmarks/fitzdt
fi
exit $status
