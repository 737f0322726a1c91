/**
 * The docker runner's flags (`--cpus`, `--memory`, `--user`) checked before anything runs:
 * one-line {@link UsageError}s naming the value and what is accepted.
 * @module
 */

import { UsageError } from "../record/mod.ts";

/** Docker's smallest `--memory`: 6 MiB. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses `--memory` as docker does (`512m`, `4g`, a byte count); returns it unchanged.
 * @param text the flag's value
 * @returns the value, for `docker run --memory` and `--memory-swap`
 * @example parseMemory("4g") // "4g"
 */
export function parseMemory(text: string): string {
  const m = /^(\d+)([bkmg]?)$/i.exec(text.trim());
  const bytes = m ? Number(m[1]) * UNITS[m[2].toLowerCase()] : NaN;
  if (!(bytes >= MIN_MEMORY_BYTES) || !Number.isSafeInteger(bytes)) {
    throw new UsageError(
      `--memory ${JSON.stringify(text)}: expected a size of at least 6m, a number with an ` +
        `optional unit b, k, m or g (e.g. 512m, 4g)`,
    );
  }
  return text.trim();
}

/**
 * Parses `--cpus`: a positive number no larger than the CPUs this process may use.
 * @param text the flag's value
 * @param available CPUs this process may use
 * @returns the number of CPUs
 */
export function parseCpus(text: string, available: number): number {
  const n = text.trim() === "" ? NaN : Number(text);
  if (!(n > 0) || n > available || !/^\d*\.?\d+$/.test(text.trim())) {
    throw new UsageError(
      `--cpus ${JSON.stringify(text)}: expected a number above 0 and at most ${available} ` +
        `(the CPUs here)`,
    );
  }
  return n;
}

/**
 * Parses `--user`: `UID` or `UID:GID`, numbers, not root (trials never run as root).
 * @param text the flag's value
 * @returns `uid:gid` (gid defaults to uid)
 * @example parseUser("1000") // "1000:1000"
 */
export function parseUser(text: string): string {
  const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(text.trim());
  const uid = m ? Number(m[1]) : NaN;
  const gid = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(uid > 0 && uid < 2 ** 31 && gid >= 0 && gid < 2 ** 31)) {
    throw new UsageError(
      `--user ${JSON.stringify(text)}: expected UID or UID:GID, numbers, UID not 0 ` +
        `(trials never run as root)`,
    );
  }
  return `${uid}:${gid}`;
}
