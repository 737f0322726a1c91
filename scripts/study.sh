#!/usr/bin/env bash
# deno task study: the three sweeps of the reference study, then the report.
set -euo pipefail
sweep_flags=()
for arg in "$@"; do
  case "$arg" in
    --) ;;
    --reuse-any) sweep_flags+=(--reuse-any) ;;
    -h | --help)
      cat <<'HELP'
Usage: deno task study [-- --reuse-any | --help]

Runs the reference study: the three sweeps (deno task sweep: epochs, learning rate, batch
size; one fresh container per trial, trials already recorded the same way skipped) into
results/, then writes results/REPORT.md and results/charts/ (deno task report).

  --reuse-any   count a trial as done whatever image or runner recorded it (the committed
                records: only the report is rewritten)

For other flags run the two steps yourself: deno task sweep -- --help, deno task report -- --help.
HELP
      exit 0
      ;;
    *) echo "study: unknown option '$arg' (accepted: --reuse-any, --help; other flags go to deno task sweep or report)" >&2; exit 2 ;;
  esac
done
deno task sweep ${sweep_flags[@]+"${sweep_flags[@]}"}
deno task report
