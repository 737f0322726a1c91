/**
 * The "Per epoch" section: whether the time per epoch is flat, peak memory, and the accuracy
 * and epoch-time charts of every trial.
 * @module
 */

import type { TrialRecord } from "../record/mod.ts";
import { accuracyPerEpochChart, epochTimeChart, trialLabel } from "./charts.ts";
import { chartBlock, type Section, tableBlock, text } from "./document.ts";
import { DASH, seconds } from "./format.ts";

/**
 * The per-epoch section of the trials the report uses.
 * @param trials the records of the study's cells
 * @returns the section, or null when there are no trials
 */
export function perEpochSection(trials: TrialRecord[]): Section | null {
  if (trials.length === 0) return null;
  const mib = (bytes: number | null | undefined) =>
    typeof bytes === "number" ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : DASH;
  const rows = trials.filter((r) => r.epochs.length > 0).map((r) => {
    const times = r.epochs.map((e) => e.epochTime);
    const mean = times.reduce((s, t) => s + t, 0) / times.length;
    const min = Math.min(...times);
    const max = Math.max(...times);
    return [
      trialLabel(r.args),
      String(times.length),
      seconds(times[0]),
      seconds(mean),
      seconds(min),
      seconds(max),
      `${(max / min).toFixed(2)}`,
      mib(r.epochs[0].peakRssBytes),
      mib(r.epochs[r.epochs.length - 1].peakRssBytes),
    ];
  });
  return {
    heading: "Per epoch",
    level: 2,
    blocks: [
      text(
        "Is the time per epoch flat? The first epoch includes warm-up (kernel compilation, caches).",
      ),
      text(
        "Peak RSS is the trial process's peak resident memory after its first and its last epoch " +
          "(equal when memory stays flat).",
      ),
      tableBlock(
        [
          "Trial",
          "Epochs",
          "First epoch",
          "Mean",
          "Min",
          "Max",
          "Max / min",
          "Peak RSS, epoch 1",
          "Peak RSS, last epoch",
        ],
        rows,
      ),
      chartBlock(
        "accuracy_per_epoch",
        "Training and validation accuracy per epoch",
        accuracyPerEpochChart(trials),
      ),
      chartBlock("epoch_time", "Time per epoch", epochTimeChart(trials)),
    ],
  };
}
