#!/usr/bin/env bash
# Merges the shards written by slurm-array.sh into $OUT/all: the per-seed
# trajectories and the summary a single run would have written.
#SBATCH --job-name=spinerd-merge
#SBATCH --time=00:30:00
set -euo pipefail
: "${OUT:=ensemble}"
: "${SPINERD:=spinerd}"
"$SPINERD" merge "$OUT"/shard-* -o "$OUT/all"
