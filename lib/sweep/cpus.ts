/**
 * CPU pinning for parallel trials: the CPUs this process may use, split into one disjoint
 * set per worker slot (for `--cpuset-cpus` / `taskset -c`).
 * @module
 */

import { UsageError } from "../record/mod.ts";

/** Expands a Linux CPU list (`0-3,6`) into CPU numbers. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(",")) {
    const [lo, hi] = part.split("-").map(Number);
    for (let c = lo; c <= (hi ?? lo); c++) cpus.push(c);
  }
  return cpus;
}

/** The CPUs this process may run on (from /proc/self/status), else 0 to cores - 1. */
export function usableCpus(): number[] {
  try {
    const line = Deno.readTextFileSync("/proc/self/status").split("\n")
      .find((l) => l.startsWith("Cpus_allowed_list:"));
    if (line) return parseCpuList(line.split(":")[1]);
  } catch { /* not Linux */ }
  return Array.from({ length: navigator.hardwareConcurrency }, (_, i) => i);
}

/**
 * Splits `cpus` into `jobs` disjoint, equal, contiguous sets written as CPU lists (`0,1`);
 * CPUs left over are unused. Throws {@link UsageError} when there are fewer CPUs than jobs.
 */
export function cpuSlots(jobs: number, cpus: readonly number[]): string[] {
  const per = Math.floor(cpus.length / jobs);
  if (per < 1) {
    throw new UsageError(
      `--jobs ${jobs}: only ${cpus.length} CPUs to pin trials to (accepted: 1 to ${cpus.length})`,
    );
  }
  return Array.from({ length: jobs }, (_, i) => cpus.slice(i * per, (i + 1) * per).join(","));
}
