/**
 * The results directory's lock file (`<results>/.lock`): one sweep writes into a results
 * directory at a time. The file holds the owner's pid and its start time (clock ticks since
 * boot, from /proc/PID/stat), so a lock whose pid is dead, or was reused by another process,
 * is stale and is taken over.
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
  /** Whether the lock replaced a stale one (its owner died without releasing it). */
  tookOver: boolean;
  release(): void;
}

/**
 * The start time of process `pid` (field 22 of /proc/PID/stat, clock ticks since boot), or
 * null when it has no /proc entry (gone, or not Linux).
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid is alive on this machine. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return true;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie (state Z) has exited; only its parent has not collected it yet.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  // No /proc entry: on Linux the process is gone; elsewhere ask `kill -0`.
  if (Deno.build.os === "linux") return false;
  const { success } = new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" })
    .outputSync();
  return success;
}

/** The owner written in a lock file: pid, and start time when recorded. */
interface Owner {
  pid: number;
  start: string | null;
}

/** What this process writes into its lock file. */
function ownText(): string {
  return `${Deno.pid} ${processStartTime(Deno.pid) ?? "?"}\n`;
}

/** Reads the owner of a lock file; pid NaN when the file is unreadable or holds no number. */
function readOwner(path: string): Owner {
  try {
    const [pid, start] = Deno.readTextFileSync(path).trim().split(/\s+/);
    return { pid: /^\d+$/.test(pid) ? Number(pid) : Number.NaN, start: start ?? null };
  } catch {
    return { pid: Number.NaN, start: null };
  }
}

/** Whether the owner still runs: its pid is alive and (when recorded) started when it did. */
function ownerAlive(owner: Owner): boolean {
  if (!pidAlive(owner.pid)) return false;
  if (owner.start === null || owner.start === "?") return true;
  const now = processStartTime(owner.pid);
  return now === null || now === owner.start;
}

/**
 * Takes `<dir>/.lock` for this process (creating `dir` if needed). Throws {@link LockError}
 * when a live process holds it; removes and retakes a stale one (dead pid, a reused pid, a
 * half-written file).
 */
export function acquireLock(dir: string): Lock {
  Deno.mkdirSync(dir, { recursive: true });
  const path = join(dir, ".lock");
  const text = ownText();
  let tookOver = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Write the owner beside, then hard-link it into place: link fails if the lock exists, so
    // taking it is one atomic step and the lock file is never seen without its owner.
    const tmp = `${path}.${Deno.pid}.tmp`;
    try {
      Deno.writeTextFileSync(tmp, text);
      Deno.linkSync(tmp, path);
      return {
        path,
        tookOver,
        release() {
          if (readOwner(path).pid === Deno.pid) Deno.removeSync(path);
        },
      };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        throw new LockError(`${path}: cannot write the lock file (${(err as Error).message})`);
      }
    } finally {
      // Also when writing failed half-way (a full disk): no temporary file stays behind.
      try {
        Deno.removeSync(tmp);
      } catch { /* never created */ }
    }
    const owner = readOwner(path);
    if (ownerAlive(owner)) {
      throw new LockError(
        `${dir} is in use by another sweep (pid ${owner.pid}, lock file ${path}); ` +
          `wait for it to finish or use another --results directory (if no sweep runs, ` +
          `delete the lock file)`,
      );
    }
    // Stale (dead pid, reused pid, or a half-written file from a crash): take it over.
    try {
      Deno.removeSync(path);
      tookOver = true;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  throw new LockError(`${path}: could not take the lock (another sweep keeps taking it)`);
}
