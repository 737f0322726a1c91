/**
 * Memory figures of this process, for the trial records and the bench.
 * @module
 */

/** Peak resident set size of this process in bytes (Linux VmHWM), or null elsewhere. */
export function peakRssBytes(): number | null {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = status.match(/^VmHWM:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
