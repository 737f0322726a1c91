#!/usr/bin/env bash
# deno task notebooks [-- NAME.ipynb...]: executes the notebooks in notebooks/ in place on the
# Deno Jupyter kernel (all three when no name is given). Parameters come from the environment:
# NB_LIMIT_TRAIN, NB_LIMIT_TEST, NB_EPOCHS, NB_BATCH_SIZE, NB_BACKEND (02), NB_RESULTS_DIR,
# NB_INCLUDE_SUBSETS (03); NB_TIMEOUT is the limit per cell in seconds (default 1800).
set -euo pipefail

usage() {
  cat <<'HELP'
Usage: deno task notebooks [-- [--help] [NOTEBOOK...]]

Executes notebooks/01_data.ipynb, 02_train.ipynb and 03_results.ipynb (or the ones named)
in place with jupyter nbconvert on the Deno kernel, top to bottom on a fresh kernel.

Environment:
  NB_LIMIT_TRAIN   02: first N training images (default 10000)
  NB_LIMIT_TEST    02: first N test images (default 10000)
  NB_EPOCHS        02: epochs (default 2)
  NB_BATCH_SIZE    02: batch size (default 128)
  NB_BACKEND       02: auto, blas, webgpu or cpu (default auto)
  NB_RESULTS_DIR   03: results directory (default: results/)
  NB_INCLUDE_SUBSETS  03: 1 to also report trials run on a subset of the data
  NB_TIMEOUT       seconds a cell may run (default 1800)

Needs jupyter (Debian: jupyter-nbconvert python3-nbclient python3-ipykernel); registers the
Deno kernel (deno jupyter --install) when it is missing.
HELP
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
notebooks=()
for arg in "$@"; do
  case "$arg" in
    --) ;; # deno task notebooks -- NAME passes the "--" through
    -h | --help) usage; exit 0 ;;
    -*) echo "notebooks: unknown option '$arg' (accepted: --help, notebook names)" >&2; exit 2 ;;
    *)
      path="$arg"
      [[ -f "$path" ]] || path="$root/notebooks/$(basename "$arg")"
      [[ -f "$path" ]] || { echo "notebooks: no notebook '$arg' (expected a file in notebooks/)" >&2; exit 2; }
      notebooks+=("$path")
      ;;
  esac
done
if [[ ${#notebooks[@]} -eq 0 ]]; then
  notebooks=("$root"/notebooks/0*.ipynb)
fi

if ! command -v jupyter >/dev/null; then
  echo "notebooks: jupyter not found (Debian: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel)" >&2
  exit 1
fi
has_kernel=0
for dir in $(jupyter --paths --json | sed -n 's/.*"data": \[\([^]]*\)\].*/\1/p' | tr -d '",'); do
  [[ -f "$dir/kernels/deno/kernel.json" ]] && has_kernel=1
done
if [[ $has_kernel -eq 0 ]]; then
  echo "notebooks: registering the Deno kernel (deno jupyter --install)" >&2
  deno jupyter --install >/dev/null 2>&1
fi

# The kernel runs in notebooks/: make a relative results directory absolute.
if [[ -n "${NB_RESULTS_DIR:-}" && "${NB_RESULTS_DIR}" != /* ]]; then
  export NB_RESULTS_DIR="$PWD/$NB_RESULTS_DIR"
fi

for nb in "${notebooks[@]}"; do
  echo "notebooks: executing ${nb#"$root"/}" >&2
  start=$SECONDS
  jupyter nbconvert --to notebook --execute --inplace \
    --ExecutePreprocessor.kernel_name=deno \
    --ExecutePreprocessor.timeout="${NB_TIMEOUT:-1800}" \
    --ExecutePreprocessor.iopub_timeout=60 \
    --ExecutePreprocessor.record_timing=False \
    "$nb" 2> >(grep -v -e '"deno jupyter" is unstable' -e '^\[NbConvertApp\]' >&2)
  echo "notebooks: ${nb#"$root"/} done in $((SECONDS - start)) s ($(wc -c <"$nb") bytes)" >&2
done
