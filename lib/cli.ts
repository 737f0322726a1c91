/**
 * Command-line arguments as a script should see them.
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * The arguments without the `--` that `deno task NAME -- FLAGS` passes through (in front, or
 * after a task's own flags as in `deno task epochs -- --seed 2`). Our scripts take no
 * positional arguments, so the first `--` only ever means that.
 */
export function scriptArgs(argv: readonly string[] = Deno.args): string[] {
  const at = argv.indexOf("--");
  return at < 0 ? [...argv] : [...argv.slice(0, at), ...argv.slice(at + 1)];
}

type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a script's flags strictly (no positionals). Returns the values, or the exit code
 * after printing: 2 with a one-line `NAME: message (see --help)` for a bad flag, 0 after
 * printing `help` for `--help` (which `options` must declare as a boolean).
 */
export function parseScriptFlags<T extends FlagOptions>(
  name: string,
  help: string,
  options: T,
  argv: readonly string[] = scriptArgs(),
):
  | ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>["values"]
  | number {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options }));
  } catch (err) {
    console.error(`${name}: ${(err as Error).message.split("\n")[0]} (see --help)`);
    return 2;
  }
  if ((values as Record<string, unknown>).help) {
    console.log(help);
    return 0;
  }
  return values;
}
