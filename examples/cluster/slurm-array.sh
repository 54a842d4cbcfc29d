#!/usr/bin/env bash
# A Slurm job array that runs one shard of an ensemble per array task.
# spinerd reads SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and
# SLURM_ARRAY_TASK_COUNT itself, so every task runs the same command.
#
#   jid=$(sbatch --parsable --array=1-8 examples/cluster/slurm-array.sh)
#   sbatch --dependency=afterok:$jid examples/cluster/slurm-merge.sh
#
#SBATCH --job-name=spinerd-ensemble
#SBATCH --cpus-per-task=4
#SBATCH --mem-per-cpu=200M
#SBATCH --time=04:00:00
set -euo pipefail
: "${MODEL:=Model_HFS1.xml}"   # the model file
: "${SEEDS:=1-256}"            # the whole study's seeds
: "${OUT:=ensemble}"           # one directory per shard below it
: "${SPINERD:=spinerd}"
# SPINERD_ARGS adds flags (e.g. "--method exact" or "--runtime 500000").
# shellcheck disable=SC2086
"$SPINERD" ensemble "$MODEL" --seeds "$SEEDS" --jobs "${SLURM_CPUS_PER_TASK:-1}" -q ${SPINERD_ARGS:-} \
  -o "$OUT/shard-$SLURM_ARRAY_TASK_ID"
