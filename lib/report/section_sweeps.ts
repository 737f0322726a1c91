/**
 * One section per sweep of the reference study: its table, where its trials ran, the cells
 * still missing with the commands that fill them, and its charts.
 * @module
 */

import {
  type Cell,
  cellKey,
  ranInSummary,
  type Sweep,
  SWEEPS,
  type TrialRecord,
} from "../record/mod.ts";
import { mdText, resultRows } from "../markdown.ts";
import {
  elapsedBySweepChart,
  epochsElapsedChart,
  formatLr,
  valLossPerEpochChart,
} from "./charts.ts";
import {
  type Block,
  chartBlock,
  type ReportOptions,
  type Section,
  tableBlock,
  text,
} from "./document.ts";
import { DASH } from "./format.ts";
import type { LoadedRecord, ResultsInput } from "./load.ts";
import { matchesCell } from "./select.ts";
import { sweepCommand, trainCommand } from "./commands.ts";

/**
 * The sections of the three sweeps, in the reference's order.
 * @param chosen the record of each cell of the study
 * @param input the results read (for the records that did not end `ok`)
 * @param options how the report is made
 * @returns one section per sweep
 */
export function sweepSections(
  chosen: Map<string, LoadedRecord>,
  input: ResultsInput,
  options: ReportOptions,
): Section[] {
  return SWEEPS.map((sweep) => ({
    heading: sweep.title,
    level: 2,
    blocks: [...sweepBlocks(sweep, chosen, input, options), ...sweepCharts(sweep, chosen)],
  }));
}

function sweepSubtitle(sweep: Sweep): string {
  if (sweep.param === "epochs") return "batch 128, lr 1.0";
  if (sweep.param === "lr") return "5 epochs, batch 128";
  return "5 epochs, lr 1.0";
}

function cellValue(sweep: Sweep, cell: Cell): string {
  if (sweep.param === "lr") return formatLr(cell.lr);
  return String(cell[sweep.param]);
}

function sweepBlocks(
  sweep: Sweep,
  chosen: Map<string, LoadedRecord>,
  input: ResultsInput,
  options: ReportOptions,
): Block[] {
  const out: Block[] = [
    text(`Fixed: ${sweepSubtitle(sweep)}, gamma 0.7, seed 1.`),
    tableBlock(
      [sweep.label, ...sweep.cells.map((c) => cellValue(sweep, c))],
      resultRows(sweep.cells.map((c) => chosen.get(cellKey(c))?.record.totals ?? DASH)),
    ),
  ];
  const found = sweep.cells.flatMap((c) => chosen.get(cellKey(c))?.record ?? []);
  if (found.length > 0) out.push(text(`Ran in: ${ranInSummary(found)}.`));
  const missing = sweep.cells.filter((c) => !chosen.has(cellKey(c)));
  for (const cell of missing) {
    const failed = input.notOk
      .filter((r) => matchesCell(r.record.args, cell, options.includeSubsets))
      .map((r) => mdText(`${r.path} (${r.record.status})`));
    const tried = failed.length > 0 ? ` Left out: ${failed.join(", ")}.` : "";
    out.push(text(
      `Missing: ${sweep.label.toLowerCase()} ${cellValue(sweep, cell)} ` +
        `(${cell.epochs} epochs, batch ${cell.batchSize}, lr ${formatLr(cell.lr)}).${tried} ` +
        `Run: \`${sweepCommand(cell, options.resultsDir)}\` (or without a container: ` +
        `\`${trainCommand(cell, options.resultsDir)}\`).`,
    ));
  }
  return out;
}

function sweepCharts(sweep: Sweep, chosen: Map<string, LoadedRecord>): Block[] {
  const trials: TrialRecord[] = sweep.cells.flatMap((c) => chosen.get(cellKey(c))?.record ?? []);
  if (trials.length === 0) return [text("No charts: no trial of this sweep has a record yet.")];
  const subtitle = sweepSubtitle(sweep);
  const label = sweep.label.toLowerCase();
  return [
    sweep.param === "epochs"
      ? chartBlock("epochs_elapsed", "Elapsed time over the epochs", epochsElapsedChart(trials))
      : chartBlock(
        `${sweep.name}_elapsed`,
        `Elapsed time by ${label}`,
        elapsedBySweepChart(trials, sweep.param, subtitle),
      ),
    chartBlock(
      `${sweep.name}_val_loss`,
      `Validation loss per epoch, ${label} sweep`,
      valLossPerEpochChart(trials, sweep.param, subtitle),
    ),
  ];
}
