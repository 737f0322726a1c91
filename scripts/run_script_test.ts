/**
 * Test helper, no tests: runs one of the scripts as a user would, from the repository root.
 * @module
 */

import { join } from "node:path";

/** The repository root. */
export const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Runs `scripts/<script>` with `args` in a fresh Deno process.
 * @param script the file name, e.g. `sweep.ts`
 * @param args its flags
 * @returns its exit code and what it printed
 */
export async function runScript(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(ROOT, "scripts", script), ...args],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}
