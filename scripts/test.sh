#!/usr/bin/env bash
# deno task test: the test suite in two phases (the notebooks alone, see README).
set -euo pipefail
for arg in "$@"; do
  case "$arg" in
    --) ;;
    -h | --help)
      cat <<'HELP'
Usage: deno task test [-- --help]

Runs the whole test suite: every *_test.ts in parallel, then scripts/notebooks_test.ts alone
(on a busy machine Jupyter's Deno kernel has been seen to drop a cell's output). CI=1 makes
missing parts (Docker daemon, PyTorch, Jupyter) fail instead of skip.

One file: deno test --allow-all path/to/x_test.ts
HELP
      exit 0
      ;;
    *) echo "test: unknown option '$arg' (accepted: --help; one file: deno test --allow-all FILE)" >&2; exit 2 ;;
  esac
done
deno test --allow-all --parallel --ignore=scripts/notebooks_test.ts
deno test --allow-all scripts/notebooks_test.ts
