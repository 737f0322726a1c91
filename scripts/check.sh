#!/usr/bin/env bash
# deno task check: formatting, lint and types.
set -euo pipefail
for arg in "$@"; do
  case "$arg" in
    --) ;;
    -h | --help)
      cat <<'HELP'
Usage: deno task check [-- --help]

Checks formatting (deno fmt --check), lint (deno lint) and types (deno check lib/ scripts/);
exits non-zero at the first that fails. deno fmt fixes the formatting.
HELP
      exit 0
      ;;
    *) echo "check: unknown option '$arg' (accepted: --help)" >&2; exit 2 ;;
  esac
done
deno fmt --check
deno lint
deno check lib/ scripts/
