/**
 * Command-line arguments as a script should see them.
 * @module
 */

/**
 * The arguments without the `--` that `deno task NAME -- FLAGS` passes through (in front, or
 * after a task's own flags as in `deno task epochs -- --seed 2`). Our scripts take no
 * positional arguments, so the first `--` only ever means that.
 */
export function scriptArgs(argv: readonly string[] = Deno.args): string[] {
  const at = argv.indexOf("--");
  return at < 0 ? [...argv] : [...argv.slice(0, at), ...argv.slice(at + 1)];
}
