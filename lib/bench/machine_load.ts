/**
 * How busy the machine is before a benchmark: the load average and the processes that use
 * the CPU (Linux `/proc`; elsewhere only what Deno reports). Timings taken on a busy machine
 * are slow and noisy, so the bench says so and marks its record.
 * @module
 */

import type { MachineLoad } from "../record/mod.ts";

/** Busy when the 1-minute load average exceeds this share of the cores... */
export const BUSY_LOAD_PER_CORE = 0.5;
/** ...or other processes use more than this share of the cores. */
export const BUSY_OTHER_PER_CORE = 0.25;

/** CPU ticks (user + system) of every process, from `/proc/<pid>/stat`. */
function cpuTicks(): Map<number, { command: string; ticks: number }> {
  const out = new Map<number, { command: string; ticks: number }>();
  let entries;
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const close = stat.lastIndexOf(")");
      const command = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      // After ") ": state is field 3 of stat(5), so utime (14) and stime (15) are at 11, 12.
      out.set(Number(e.name), { command, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/**
 * Whether a load, as measured, counts as busy.
 * @param loadAverage1 the 1-minute load average
 * @param otherCores CPU used by other processes, in cores
 * @param cores the machine's cores
 */
export function isBusy(loadAverage1: number, otherCores: number, cores: number): boolean {
  return loadAverage1 > BUSY_LOAD_PER_CORE * cores || otherCores > BUSY_OTHER_PER_CORE * cores;
}

/**
 * Samples the machine for `ms` milliseconds (processes other than this one).
 * @param ms how long to watch the other processes
 * @returns the load, with `busy` decided by {@link isBusy}
 */
export async function machineLoad(ms = 1000): Promise<MachineLoad> {
  const cores = navigator.hardwareConcurrency;
  const loadAverage = Deno.loadavg();
  const before = cpuTicks();
  const start = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const seconds = (performance.now() - start) / 1000;
  const after = cpuTicks();
  const ticksPerSecond = 100; // USER_HZ on Linux
  const top: MachineLoad["top"] = [];
  let otherCores = 0;
  for (const [pid, now] of after) {
    const then = before.get(pid);
    if (!then || pid === Deno.pid) continue;
    const used = (now.ticks - then.ticks) / ticksPerSecond / seconds;
    if (used <= 0) continue;
    otherCores += used;
    if (used >= 0.05) top.push({ pid, command: now.command, cores: used });
  }
  top.sort((a, b) => b.cores - a.cores);
  return {
    loadAverage,
    cores,
    otherCores,
    top: top.slice(0, 5),
    busy: isBusy(loadAverage[0], otherCores, cores),
  };
}
