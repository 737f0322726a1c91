#!/usr/bin/env bash
# deno task study: the three sweeps of the reference study, then the report.
set -euo pipefail
for arg in "$@"; do
  case "$arg" in
    --) ;;
    -h | --help)
      cat <<'HELP'
Usage: deno task study [-- --help]

Runs the reference study: the three sweeps (deno task sweep: epochs, learning rate, batch
size; one fresh container per trial, trials already recorded skipped) into results/, then
writes results/REPORT.md and results/charts/ (deno task report).

For other flags run the two steps yourself: deno task sweep -- --help, deno task report -- --help.
HELP
      exit 0
      ;;
    *) echo "study: unknown option '$arg' (accepted: --help; flags go to deno task sweep or report)" >&2; exit 2 ;;
  esac
done
deno task sweep
deno task report
