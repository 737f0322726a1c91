/**
 * Which record fills which trial (cell) of the reference's sweeps: full data before subsets,
 * then the newest, then the first by path; and which cells several records fill.
 * @module
 */

import { allCells, type Cell, cellKey, FIXED, type TrialArgs } from "../record/mod.ts";
import { formatLr } from "./charts.ts";
import { compareText } from "./format.ts";
import type { LoadedRecord } from "./load.ts";

/** Whether a record ran on the first N images of the train or test set. */
export function isSubset(args: TrialArgs): boolean {
  return args.limitTrain !== null || args.limitTest !== null;
}

/**
 * Whether trial arguments fill a sweep cell: same epochs, batch size and learning rate,
 * gamma 0.7, seed 1, and the full data (any subset too when `includeSubsets`).
 */
export function matchesCell(args: TrialArgs, cell: Cell, includeSubsets: boolean): boolean {
  return args.epochs === cell.epochs && args.batchSize === cell.batchSize &&
    args.lr === cell.lr && args.gamma === FIXED.gamma && args.seed === FIXED.seed &&
    (includeSubsets || !isSubset(args));
}

/**
 * The `ok` records that fill a cell, best first: full data before subsets, then the newest
 * `endedAt`, then the first path.
 */
function candidates(
  records: LoadedRecord[],
  cell: Cell,
  includeSubsets: boolean,
): LoadedRecord[] {
  return records
    .filter((r) => r.record.status === "ok" && matchesCell(r.record.args, cell, includeSubsets))
    .sort((a, b) =>
      Number(isSubset(a.record.args)) - Number(isSubset(b.record.args)) ||
      compareText(b.record.endedAt, a.record.endedAt) || compareText(a.path, b.path)
    );
}

/**
 * Picks the record of each cell (keyed by {@link cellKey}) among `ok` records: full data
 * before subsets, then the newest `endedAt`, then the first path. Cells that more than one
 * record fills are named by {@link duplicateCells}.
 */
export function selectTrials(
  records: LoadedRecord[],
  includeSubsets: boolean,
): Map<string, LoadedRecord> {
  const chosen = new Map<string, LoadedRecord>();
  for (const cell of allCells()) {
    const matches = candidates(records, cell, includeSubsets);
    if (matches.length > 0) chosen.set(cellKey(cell), matches[0]);
  }
  return chosen;
}

/**
 * One line per cell of the study that several records fill (say a trial run on two backends,
 * or twice with other thread counts): which one the report uses and which it does not.
 * @param records the `ok` records
 * @param includeSubsets whether subsets fill cells
 * @returns plain-text lines, empty when every cell has at most one record
 */
export function duplicateCells(records: LoadedRecord[], includeSubsets: boolean): string[] {
  const lines: string[] = [];
  for (const cell of allCells()) {
    const [used, ...others] = candidates(records, cell, includeSubsets);
    if (others.length === 0) continue;
    lines.push(
      `${cell.epochs} epochs, batch ${cell.batchSize}, lr ${formatLr(cell.lr)}: ` +
        `${others.length + 1} records; used ${used.path} (${usedBecause(used, others[0])}), ` +
        `not ${others.map((r) => r.path).join(", ")}`,
    );
  }
  return lines;
}

function usedBecause(used: LoadedRecord, next: LoadedRecord): string {
  if (isSubset(used.record.args) !== isSubset(next.record.args)) return "full data";
  if (used.record.endedAt !== next.record.endedAt) return "the newest";
  return "the first by name";
}
