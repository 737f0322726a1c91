/**
 * The section "Ours against the published numbers": per trial of the study, our elapsed time,
 * validation loss and accuracy beside the reference's, as tables of differences and charts.
 * @module
 */

import { allCells, cellKey, publishedFor, type TrialRecord } from "../record/mod.ts";
import {
  type ComparisonRow,
  publishedElapsedChart,
  publishedValidationChart,
  trialLabel,
} from "./charts.ts";
import { type Block, chartBlock, type Section, tableBlock, text } from "./document.ts";
import { DASH, lastValidation, seconds, signed, summary, totalTime } from "./format.ts";
import type { LoadedRecord } from "./load.ts";

/**
 * The comparison section; its charts only when some trial has a published number.
 * @param chosen the record of each cell of the study
 * @returns the section
 */
export function publishedSection(chosen: Map<string, LoadedRecord>): Section {
  return {
    heading: "Ours against the published numbers",
    level: 2,
    blocks: [
      text(
        "Published: the reference study (PyTorch, CPU, the author's laptop). Difference: ours" +
          " minus published; for time also the ratio ours / published.",
      ),
      ...comparisonTables(chosen),
      ...comparisonCharts(chosen),
    ],
  };
}

function comparisonTables(chosen: Map<string, LoadedRecord>): Block[] {
  const time: string[][] = [];
  const loss: string[][] = [];
  const acc: string[][] = [];
  for (const cell of allCells()) {
    const p = publishedFor(cell);
    if (!p) continue;
    const r = chosen.get(cellKey(cell))?.record;
    const label = trialLabel(cell);
    if (!r) {
      time.push([label, DASH, seconds(p.elapsed), DASH, DASH]);
      loss.push([label, DASH, p.valLoss.toFixed(4), DASH]);
      acc.push([label, DASH, p.valAcc.toFixed(4), DASH]);
      continue;
    }
    const t = totalTime(r);
    const v = lastValidation(r);
    time.push([
      label,
      seconds(t),
      seconds(p.elapsed),
      `${signed(t - p.elapsed, 2)} s`,
      `${(t / p.elapsed).toFixed(2)}`,
    ]);
    loss.push([
      label,
      v.valLoss.toFixed(4),
      p.valLoss.toFixed(4),
      signed(v.valLoss - p.valLoss, 4),
    ]);
    acc.push([label, v.valAcc.toFixed(4), p.valAcc.toFixed(4), signed(v.valAcc - p.valAcc, 4)]);
  }
  return [
    text("Elapsed time:"),
    tableBlock(["Trial", "Ours", "Published", "Difference", "Ratio"], time),
    text("Validation loss:"),
    tableBlock(["Trial", "Ours", "Published", "Difference"], loss),
    text("Validation accuracy:"),
    tableBlock(["Trial", "Ours", "Published", "Difference"], acc),
  ];
}

function comparisonRows(chosen: Map<string, LoadedRecord>): ComparisonRow[] {
  return allCells().flatMap((cell) => {
    const r = chosen.get(cellKey(cell))?.record;
    const published = publishedFor(cell);
    if (!r || !published) return [];
    return [{
      trial: trialLabel(cell),
      ours: { elapsed: totalTime(r), ...lastValidation(r) },
      published,
    }];
  });
}

function comparisonCharts(chosen: Map<string, LoadedRecord>): Block[] {
  const rows = comparisonRows(chosen);
  if (rows.length === 0) return [];
  const trials: TrialRecord[] = [...chosen.values()].map((r) => r.record);
  const ourName = summary(
    trials.map((r) => `TensorFlow.js ${r.environment.tfjs}, ${r.environment.backend} backend`),
  );
  return [
    chartBlock(
      "published_elapsed",
      "Elapsed time, ours against the published",
      publishedElapsedChart(rows, ourName),
    ),
    chartBlock(
      "published_validation",
      "Validation loss and accuracy, ours against the published",
      publishedValidationChart(rows),
    ),
  ];
}
