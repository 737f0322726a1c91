/**
 * The reference report's log format: one line per epoch and the "Final results" block,
 * plus the progress bar shown on a terminal.
 * @module
 */

import type { EpochMetrics, TrialTotals } from "../record/mod.ts";

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** `Epoch 01/5 | train_loss=0.2213 train_acc=93.27% | val_loss=... | epoch_time=77.43s` */
export function epochLine(m: EpochMetrics, epochs: number): string {
  return `Epoch ${String(m.epoch).padStart(2, "0")}/${epochs} | ` +
    `train_loss=${m.trainLoss.toFixed(4)} train_acc=${pct(m.trainAcc)} | ` +
    `val_loss=${m.valLoss.toFixed(4)} val_acc=${pct(m.valAcc)} | ` +
    `epoch_time=${m.epochTime.toFixed(2)}s`;
}

/** `val_loss=0.0441 val_acc=98.57%`, as in the "Final results" block. */
export function valMetrics(loss: number, acc: number): string {
  return `val_loss=${loss.toFixed(4)} val_acc=${pct(acc)}`;
}

/** The "Final results" block, preceded by an empty line, as in the reference log. */
export function finalBlock(t: TrialTotals): string {
  return [
    "",
    "Final results:",
    `train_loss=${t.trainLoss.toFixed(4)} train_acc=${pct(t.trainAcc)}`,
    valMetrics(t.valLoss, t.valAcc),
    `total_time=${t.totalTime.toFixed(2)}s for ${t.epochsDone} epochs`,
  ].join("\n");
}

/** Totals of finished epochs: the last epoch's metrics and the summed epoch times. */
export function totalsOf(epochs: EpochMetrics[]): TrialTotals | null {
  const last = epochs.at(-1);
  if (!last) return null;
  return {
    epochsDone: epochs.length,
    trainLoss: last.trainLoss,
    trainAcc: last.trainAcc,
    valLoss: last.valLoss,
    valAcc: last.valAcc,
    totalTime: epochs.reduce((s, e) => s + e.epochTime, 0),
  };
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** Widest bar drawn, in characters between the brackets. */
const MAX_BAR = 24;
/** Narrowest bar worth drawing; below this the bar is left out. */
const MIN_BAR = 5;
/** Columns assumed when the terminal's width is unknown. */
export const DEFAULT_COLUMNS = 80;

/**
 * One progress-bar line (batches done, running loss, steps/s and ETA of the epoch) that fits
 * in `columns - 1` characters, so that redrawing it with `\r` never wraps: the bar shrinks,
 * then goes, then the line is cut.
 * @param p where the epoch stands
 * @param epochs epochs of the trial
 * @param columns the terminal's width (see {@link terminalColumns})
 * @returns the line, without `\r` or newline
 */
export function progressLine(
  p: { epoch: number; batch: number; batches: number; runningLoss: number; elapsed: number },
  epochs: number,
  columns = DEFAULT_COLUMNS,
): string {
  const rate = p.batch / Math.max(p.elapsed, 1e-9);
  const eta = (p.batches - p.batch) / rate;
  const head = `epoch ${p.epoch}/${epochs}`;
  const tail = `${p.batch}/${p.batches} loss=${p.runningLoss.toFixed(4)} ${rate.toFixed(1)} ` +
    `step/s ETA ${duration(eta)}`;
  const room = columns - 1;
  const width = Math.min(MAX_BAR, room - head.length - tail.length - 4); // " [" "] "
  if (width < MIN_BAR) return `${head} ${tail}`.slice(0, Math.max(room, 0));
  const done = Math.round((width * p.batch) / p.batches);
  return `${head} [${"#".repeat(done)}${".".repeat(width - done)}] ${tail}`;
}

/**
 * The terminal's width in columns, or {@link DEFAULT_COLUMNS} when it cannot be known
 * (not a terminal, or a size of 0).
 * @param size how to ask (default `Deno.consoleSize`)
 */
export function terminalColumns(size: () => { columns: number } = Deno.consoleSize): number {
  try {
    const { columns } = size();
    return columns > 0 ? columns : DEFAULT_COLUMNS;
  } catch {
    return DEFAULT_COLUMNS;
  }
}
