/**
 * Flag parsing for every script: one strict parser with one-line messages ({@link parseFlags},
 * {@link UsageError}), the `--` that `deno task` passes through ({@link scriptArgs}), and the
 * common `--help`/exit-2 handling ({@link parseScriptFlags}).
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad flag or flag value; its message is one line meant for the user (exit code 2). */
export class UsageError extends Error {
  /** Always `UsageError`. */
  override name = "UsageError";
}

/**
 * The arguments without the `--` that `deno task NAME -- FLAGS` passes through (in front, or
 * after a task's own flags as in `deno task epochs -- --seed 2`). Our scripts take no
 * positional arguments, so the first `--` only ever means that.
 * @param argv the process arguments
 * @returns them without that `--`
 */
export function scriptArgs(argv: readonly string[] = Deno.args): string[] {
  const at = argv.indexOf("--");
  return at < 0 ? [...argv] : [...argv.slice(0, at), ...argv.slice(at + 1)];
}

/** The `options` of `node:util` parseArgs. */
export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/** The values {@link parseFlags} returns for `options`. */
export type FlagValues<T extends FlagOptions> = ReturnType<
  typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>
>["values"];

/**
 * Parses flags strictly (no positionals), the one way every script does.
 * @param options the flags accepted
 * @param argv the arguments
 * @returns the values
 * @throws {UsageError} with one line: an unknown flag, a positional, a missing value
 */
export function parseFlags<T extends FlagOptions>(
  options: T,
  argv: readonly string[],
): FlagValues<T> {
  try {
    return parseArgs({ args: [...argv], strict: true, allowPositionals: false, options }).values;
  } catch (err) {
    const msg = (err as Error).message;
    const unknown = msg.match(/Unknown option '([^']+)'/);
    if (unknown) throw new UsageError(`unknown flag ${unknown[1]} (see --help for the flags)`);
    const positional = msg.match(/Unexpected argument '([^']+)'/);
    if (positional) {
      throw new UsageError(`unexpected argument ${JSON.stringify(positional[1])} (flags only)`);
    }
    const missing = msg.match(/Option '(--[\w-]+)[^']*' argument (missing|is ambiguous)/);
    if (missing) throw new UsageError(`${missing[1]} needs a value (see --help)`);
    throw new UsageError(`${msg.split("\n")[0]} (see --help)`);
  }
}

/**
 * Parses a script's flags with {@link parseFlags}. Returns the values, or the exit code after
 * printing: 2 with a one-line `NAME: message` for a bad flag, 0 after printing `help` for
 * `--help` (which `options` must declare as a boolean).
 * @param name the script's name, in front of messages
 * @param help its help text
 * @param options the flags accepted
 * @param argv the arguments
 * @returns the values, or an exit code
 */
export function parseScriptFlags<T extends FlagOptions>(
  name: string,
  help: string,
  options: T,
  argv: readonly string[] = scriptArgs(),
): FlagValues<T> | number {
  let values;
  try {
    values = parseFlags(options, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${name}: ${err.message}`);
    return 2;
  }
  if ((values as Record<string, unknown>).help) {
    console.log(help);
    return 0;
  }
  return values;
}
