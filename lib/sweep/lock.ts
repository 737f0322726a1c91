/**
 * The results directory's lock file (`<results>/.lock`, holding the owner's pid): one sweep
 * writes into a results directory at a time. A lock whose pid is no longer alive is stale
 * and is taken over.
 * @module
 */

import { join } from "node:path";

/** Error when another live process holds the lock; the message says which and what to do. */
export class LockError extends Error {
  override name = "LockError";
}

/** A held lock; `release()` removes the file if it is still ours. */
export interface Lock {
  path: string;
  release(): void;
}

/** Whether a process with this pid is alive on this machine. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  // No /proc entry: on Linux the process is gone; elsewhere ask `kill -0`.
  if (Deno.build.os === "linux") return false;
  const { success } = new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" })
    .outputSync();
  return success;
}

/** Reads the pid in a lock file; NaN when the file is unreadable or holds no number. */
function readPid(path: string): number {
  try {
    return Number.parseInt(Deno.readTextFileSync(path).trim(), 10);
  } catch {
    return Number.NaN;
  }
}

/**
 * Takes `<dir>/.lock` for this process (creating `dir` if needed). Throws {@link LockError}
 * when a live process holds it; removes and retakes a stale one.
 */
export function acquireLock(dir: string): Lock {
  Deno.mkdirSync(dir, { recursive: true });
  const path = join(dir, ".lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    // Write the pid beside, then hard-link it into place: link fails if the lock exists, so
    // taking it is one atomic step and the lock file is never seen without its pid.
    const tmp = `${path}.${Deno.pid}.tmp`;
    Deno.writeTextFileSync(tmp, `${Deno.pid}\n`);
    try {
      Deno.linkSync(tmp, path);
      return {
        path,
        release() {
          if (readPid(path) === Deno.pid) Deno.removeSync(path);
        },
      };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    } finally {
      Deno.removeSync(tmp);
    }
    const pid = readPid(path);
    if (pidAlive(pid)) {
      throw new LockError(
        `${dir} is in use by another sweep (pid ${pid}, lock file ${path}); ` +
          `wait for it to finish or use another --results directory (if no sweep runs, ` +
          `delete the lock file)`,
      );
    }
    // Stale (dead pid, or a half-written file from a crash): take it over.
    try {
      Deno.removeSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  throw new LockError(`${path}: could not take the lock (another sweep keeps taking it)`);
}
