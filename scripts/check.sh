#!/usr/bin/env bash
# deno task check: formatting, lint and types.
set -euo pipefail
for arg in "$@"; do
  case "$arg" in
    --) ;;
    -h | --help)
      cat <<'HELP'
Usage: deno task check [-- --help]

Checks formatting (deno fmt --check), lint (deno lint), types (deno check lib/ scripts/) and
the docs of every door of lib/ (deno doc --lint on each lib/*/mod.ts, lib/cli.ts, lib/markdown.ts);
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
# Each door on its own: a type its API names must be exported from that door.
for door in lib/*/mod.ts lib/cli.ts lib/markdown.ts; do
  deno doc --lint "$door" >/dev/null
done
