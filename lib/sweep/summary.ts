/**
 * The end-of-sweep summary: one Markdown table per sweep in the reference's layout (rows:
 * elapsed time, validation loss, validation accuracy; one column per value swept).
 * @module
 */

import type { TrialRecord } from "../record/mod.ts";
import type { PlannedSweep } from "./plan.ts";
import { resultTable } from "../markdown.ts";

/**
 * The table of one sweep. A trial without a record shows `-`; one that did not end `ok`
 * shows its status in every row.
 */
export function sweepTable(
  sweep: PlannedSweep,
  records: ReadonlyMap<string, TrialRecord>,
): string {
  return resultTable(
    [sweep.heading, ...sweep.columns.map((c) => c.label)],
    sweep.columns.map((c) => {
      const r = records.get(c.id);
      if (r === undefined) return "-";
      return r.status === "ok" && r.totals !== null ? r.totals : r.status;
    }),
  );
}

/** Every sweep's title and table, separated by blank lines. */
export function summaryTables(
  sweeps: readonly PlannedSweep[],
  records: ReadonlyMap<string, TrialRecord>,
): string {
  return sweeps.map((s) => `${s.title}\n\n${sweepTable(s, records)}`).join("\n\n");
}
