/**
 * The end-of-sweep summary: one Markdown table per sweep in the reference's layout (rows:
 * elapsed time, validation loss, validation accuracy; one column per value swept).
 * @module
 */

import { ranInSummary, type TrialRecord } from "../record/mod.ts";
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

/** Where the recorded trials of a sweep ran: `Ran in: container sha256:…` (see ranInSummary). */
export function sweepRanIn(
  sweep: PlannedSweep,
  records: ReadonlyMap<string, TrialRecord>,
): string {
  const found = sweep.columns.flatMap((c) => records.get(c.id) ?? []);
  return `Ran in: ${found.length === 0 ? "-" : ranInSummary(found)}`;
}

/** Every sweep's title, table and where its trials ran, separated by blank lines. */
export function summaryTables(
  sweeps: readonly PlannedSweep[],
  records: ReadonlyMap<string, TrialRecord>,
): string {
  return sweeps
    .map((s) => `${s.title}\n\n${sweepTable(s, records)}\n\n${sweepRanIn(s, records)}`)
    .join("\n\n");
}
