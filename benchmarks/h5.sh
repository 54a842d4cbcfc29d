#!/usr/bin/env bash
# What NeuroRD's HDF5 layout costs: the same 500 s Model_LFS.xml run
# (adaptive, seed 1) written as a trajectory and as an .h5, alternately
# (NeuroRD's writer is the h5 one; spinerd's trajectory is its own), and
# the compressed population per frame of Model_HFS1 against NeuroRD's own
# file (../shared/reference/neurord-3.3-h5/Model_HFS1.h5, 119 B per frame).
# Needs python3-h5py for the size. Usage: benchmarks/h5.sh [SHARED] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
shared=$(cd "${1:-${SPINERD_SHARED:-../shared}}" && pwd)
runs=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spinerd" ./cmd/spinerd
mm=$shared/models/maki-marttunen-2020
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A wall cpu
for i in $(seq 1 "$runs"); do
  for f in traj h5; do
    /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$tmp/spinerd" run "$mm/Model_LFS.xml" --seed 1 --format "$f" -q -o "$tmp/lfs.$f"
    read -r w u s < "$tmp/t"
    wall[$f]="${wall[$f]:-} $w"
    cpu[$f]="${cpu[$f]:-} $(echo "$u + $s" | bc -l)"
    echo "run $i, --format $f: wall $w s, CPU $(echo "$u + $s" | bc -l) s, $(stat -c %s "$tmp/lfs.$f") bytes"
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
wt=$(echo "${wall[traj]}" | median); wh=$(echo "${wall[h5]}" | median)
ct=$(echo "${cpu[traj]}" | median); ch=$(echo "${cpu[h5]}" | median)
printf 'Model_LFS.xml 500 s: median wall traj %.2f s, h5 %.2f s (h5/traj %.3f); CPU traj %.2f s, h5 %.2f s (h5/traj %.3f)\n' \
  "$wt" "$wh" "$(echo "$wh / $wt" | bc -l)" "$ct" "$ch" "$(echo "$ch / $ct" | bc -l)"

"$tmp/spinerd" run "$mm/Model_HFS1.xml" --seed 1 --format h5 -q -o "$tmp/hfs.h5"
/usr/bin/python3 - "$tmp/hfs.h5" "$shared/reference/neurord-3.3-h5/Model_HFS1.h5" <<'PY'
import h5py, sys
def per_frame(p):
    d = h5py.File(p, "r")["trial0/output/__main__/population"]
    return d.id.get_storage_size() / d.shape[0], d.shape[0], d.chunks
a, n, c = per_frame(sys.argv[1])
b, m, d = per_frame(sys.argv[2])
print(f"Model_HFS1 population: spinerd {a:.1f} B per frame ({n} frames, chunks {c}), NeuroRD {b:.1f} B per frame ({m} frames, chunks {d}): ratio {a/b:.3f} (limit 1.5)")
PY
