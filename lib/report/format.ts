/**
 * Fixed number and text formats of the report, so the same records give the same bytes.
 * @module
 */

import type { TrialRecord } from "../record/mod.ts";

/** What an empty cell shows. */
export const DASH = "—";

/** Seconds with two decimals: `6.42 s`. */
export function seconds(x: number): string {
  return `${x.toFixed(2)} s`;
}

/** A difference with its sign (`+0.0100`, `-1.20`), and no sign when it rounds to zero. */
export function signed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return x > 0 ? `+${s}` : s;
}

/** Compares two strings by code unit (not locale), for orders that never change. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A trial's total time: its totals, or the sum of its epochs when it has none. */
export function totalTime(r: TrialRecord): number {
  return r.totals?.totalTime ?? r.epochs.reduce((s, e) => s + e.epochTime, 0);
}

/** A trial's final validation loss and accuracy. */
export function lastValidation(r: TrialRecord): { valLoss: number; valAcc: number } {
  return r.totals ?? r.epochs[r.epochs.length - 1];
}

/** One value, or the distinct values with their counts (most frequent first). */
export function summary(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const entries = [...counts].sort(([a, x], [b, y]) => y - x || compareText(a, b));
  if (entries.length <= 1) return entries[0]?.[0] ?? DASH;
  return entries.map(([v, n]) => `${v} (${n} trial${n === 1 ? "" : "s"})`).join("; ");
}
