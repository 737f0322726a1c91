#!/usr/bin/env bash
# deno task test: the test suite in three phases (see --help).
set -euo pipefail
for arg in "$@"; do
  case "$arg" in
    --) ;;
    -h | --help)
      cat <<'HELP'
Usage: deno task test [-- --help]

Runs the whole test suite in three phases: every *_test.ts in parallel but the sweeps that
run real trials (Docker, Swarm, local processes), the sgemm floor and the fused step's bitwise
tests (OpenBLAS' thread count is one setting for the whole process) and the notebooks; then those one file after another (they start and stop real trials and containers, and look for the project's
running trials on this machine: beside each other they slow each other past their timeouts);
then scripts/notebooks_test.ts alone (on a busy machine Jupyter's Deno kernel has been seen to
drop a cell's output). Every phase runs; the exit code is non-zero when one failed. CI=1 makes
missing parts (Docker daemon, PyTorch, Jupyter) fail instead of skip.

One file: deno test --allow-all path/to/x_test.ts
HELP
      exit 0
      ;;
    *) echo "test: unknown option '$arg' (accepted: --help; one file: deno test --allow-all FILE)" >&2; exit 2 ;;
  esac
done
# OpenBLAS' thread count is one setting for the whole process, and --parallel runs test files
# as threads of one process: floor_test and every file that sets up the blas backend change it
# while the fused step's bitwise tests run (their gradients then differ in the last bits). Those
# two files run in the serial phase.
serial=(lib/bench/floor_test.ts lib/train/fused_step_test.ts lib/sweep/local_test.ts lib/sweep/faults_test.ts
  lib/sweep/docker_test.ts lib/sweep/docker_faults_test.ts lib/sweep/swarm_test.ts)
ignore="scripts/notebooks_test.ts$(printf ',%s' "${serial[@]}")"
status=0
deno test --allow-all --parallel --ignore="$ignore" || status=1
deno test --allow-all "${serial[@]}" || status=1
deno test --allow-all scripts/notebooks_test.ts || status=1
exit "$status"
