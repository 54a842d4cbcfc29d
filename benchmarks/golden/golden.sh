#!/usr/bin/env bash
# Golden outputs: a fixed set of spinerd runs whose bytes must not change
# unless a commit changes them on purpose (and then regenerates the record
# in the same commit, saying why). Compares the SHA-256 of each output with
# benchmarks/golden/SHA256SUMS.
#
#   benchmarks/golden/golden.sh [--record] [--bin SPINERD] [SHARED]
#
# Outputs are CSV exports (trajectory headers carry the version), NeuroRD
# text files, an ensemble summary, a plasticity table and two objective
# vectors. About 2 minutes on 2 cores. Needs ../shared (or SHARED) and
# python3 (to pick parameter sets out of the JSON data).
set -euo pipefail
cd "$(dirname "$0")/../.."
record=0 bin=""
while [ $# -gt 0 ]; do
  case $1 in
    --record) record=1; shift ;;
    --bin) bin=$2; shift 2 ;;
    *) break ;;
  esac
done
shared=$(cd "${1:-${SPINERD_SHARED:-../shared}}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$bin" ]; then
  go build -o "$tmp/spinerd" ./cmd/spinerd
  bin=$tmp/spinerd
fi
out=$tmp/out
mkdir -p "$out"
mm=$shared/models/maki-marttunen-2020
diff=$shared/reference/neurord-3.3/ex_mglur_diff/inputs/Model_mglur_diff_seed1.xml

run_csv() { # name, run args...
  local name=$1; shift
  "$bin" run "$@" -q -o "$tmp/$name.traj" >/dev/null
  "$bin" export "$tmp/$name.traj" --format csv -o "$out/$name.csv"
}
for s in 1 2 3; do
  for m in adaptive exact; do
    run_csv "hfs1-$m-seed$s" "$mm/Model_HFS1.xml" --method "$m" --seed "$s"
  done
done
for w in 1 4; do
  run_csv "mglur_diff-workers$w" "$diff" --method adaptive --seed 1 --workers "$w"
done
"$bin" run "$diff" --method adaptive --seed 2 --format neurord -q -o "$out/mglur_diff-neurord" >/dev/null
"$bin" run "$mm/Model_HFS1.xml" --method adaptive --seed 4 --runtime 3000 --format neurord -q -o "$out/hfs1-neurord" >/dev/null
"$bin" ensemble "$mm/Model_HFS1.xml" --method adaptive --seeds 1-4 --runtime 2500 --jobs 2 -q -o "$tmp/ens" >/dev/null
for set in 0 1 2; do
  "$bin" export "$tmp/ens/summary.traj" --format csv --set "$set" -o "$out/ensemble-summary-set$set.csv"
done
"$bin" plasticity --protocol LFS -q > "$out/plasticity-LFS.txt"
for i in 5 12; do
  python3 - "$shared/data/fit-regression-points.json" "$i" > "$tmp/p$i.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps(d["points"][int(sys.argv[2])]["params"]))
PY
  imeas=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["points"][int(sys.argv[2])]["imeas"])' "$shared/data/fit-regression-points.json" "$i")
  "$bin" evaluate --dataset "$imeas" --params "$tmp/p$i.json" --jobs 2 > "$out/evaluate-point$i.json"
done

(cd "$out" && sha256sum -- * | sort -k2) > "$tmp/SHA256SUMS"
if [ $record = 1 ]; then
  cp "$tmp/SHA256SUMS" benchmarks/golden/SHA256SUMS
  echo "recorded $(wc -l < benchmarks/golden/SHA256SUMS) outputs in benchmarks/golden/SHA256SUMS"
  exit 0
fi
if diff -u benchmarks/golden/SHA256SUMS "$tmp/SHA256SUMS"; then
  echo "golden: all $(wc -l < "$tmp/SHA256SUMS") outputs byte-identical"
else
  echo "golden: outputs differ (lines above)"; exit 1
fi
