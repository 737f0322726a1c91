/**
 * The end-of-sweep summary: one Markdown table per sweep in the reference's layout (rows:
 * elapsed time, validation loss, validation accuracy; one column per value swept).
 * @module
 */

import type { TrialRecord } from "../record/mod.ts";
import type { PlannedSweep } from "./plan.ts";

/** The three rows of a table: label and how a finished trial fills its cell. */
const ROWS: readonly [string, (r: TrialRecord) => string][] = [
  ["Elapsed time", (r) => `${r.totals!.totalTime.toFixed(2)} s`],
  ["Validation loss", (r) => r.totals!.valLoss.toFixed(4)],
  ["Validation accuracy", (r) => r.totals!.valAcc.toFixed(4)],
];

/** One Markdown table row. */
function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/**
 * The table of one sweep. A trial without a record shows `-`; one that did not end `ok`
 * shows its status in every row.
 */
export function sweepTable(
  sweep: PlannedSweep,
  records: ReadonlyMap<string, TrialRecord>,
): string {
  const lines = [
    row([sweep.heading, ...sweep.columns.map((c) => c.label)]),
    row(Array(sweep.columns.length + 1).fill("---")),
  ];
  for (const [label, cell] of ROWS) {
    const cells = sweep.columns.map((c) => {
      const r = records.get(c.id);
      if (r === undefined) return "-";
      return r.status === "ok" && r.totals !== null ? cell(r) : r.status;
    });
    lines.push(row([label, ...cells]));
  }
  return lines.join("\n");
}

/** Every sweep's title and table, separated by blank lines. */
export function summaryTables(
  sweeps: readonly PlannedSweep[],
  records: ReadonlyMap<string, TrialRecord>,
): string {
  return sweeps.map((s) => `${s.title}\n\n${sweepTable(s, records)}`).join("\n\n");
}
