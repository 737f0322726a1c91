/**
 * Vega-Lite specs of the report's charts. Each function takes trial records (or a bench
 * record) and returns a self-contained spec with its data inline, so a spec can be opened,
 * restyled or rendered on its own. The notebooks reuse these functions.
 * @module
 */

import {
  type BenchRecord,
  compareCells,
  type PublishedResult,
  type SweepParam,
  type TrialRecord,
} from "../record/mod.ts";

/** A Vega-Lite top-level spec, as plain JSON. */
export type VegaLiteSpec = Record<string, unknown>;

/** The font every chart uses; `fonts-dejavu-core` provides it on Debian. */
export const CHART_FONT = "DejaVu Sans";

/** The Vega-Lite schema every chart of the project is written to (report and notebooks). */
export const CHART_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const WIDTH = 420;
const HEIGHT = 260;

/** Shared look of every chart (report and notebooks): one font, white background, legends never truncated. */
export const CHART_CONFIG = {
  font: CHART_FONT,
  background: "white",
  padding: 8,
  title: { fontSize: 14, anchor: "start", offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titlePadding: 8 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0, titleLimit: 0 },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

const EPOCH_X = {
  field: "epoch",
  type: "quantitative",
  title: "Epoch",
  axis: { tickMinStep: 1, format: "d" },
  scale: { domainMin: 1, nice: false },
};

/** Rounds for inline data so specs stay short and stable. */
function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

/** Formats a learning rate with at least one decimal: `1.0`, `0.5`, `0.25`. */
export function formatLr(lr: number): string {
  return Number.isInteger(lr) ? lr.toFixed(1) : String(lr);
}

/** A short, readable label of a trial, e.g. `10 ep, b128, lr 1.0`. */
export function trialLabel(args: { epochs: number; batchSize: number; lr: number }): string {
  return `${args.epochs} ep, b${args.batchSize}, lr ${formatLr(args.lr)}`;
}

/** Label of the swept value of a trial, e.g. `5 epochs`, `lr 0.5`, `batch 64`. */
export function valueLabel(param: SweepParam, args: TrialRecord["args"]): string {
  if (param === "epochs") return `${args.epochs} epoch${args.epochs === 1 ? "" : "s"}`;
  if (param === "lr") return `lr ${formatLr(args.lr)}`;
  return `batch ${args.batchSize}`;
}

/** Axis title of a swept parameter, with its unit. */
function paramTitle(param: SweepParam): string {
  if (param === "epochs") return "Epochs";
  if (param === "lr") return "Learning rate (Adadelta)";
  return "Batch size (images)";
}

/** The records in table order: epochs, batch size ascending, learning rate descending. */
function sorted(records: TrialRecord[]): TrialRecord[] {
  return [...records].sort((a, b) => compareCells(a.args, b.args));
}

/**
 * The start of every chart of the project (report and notebooks): the schema
 * ({@link CHART_SCHEMA}), the title and the shared look ({@link CHART_CONFIG}).
 * @param title the chart's title
 * @param subtitle a line under the title, if any
 * @returns the spec's first fields, to spread into a chart's spec
 * @example
 * ```ts
 * const spec = { ...chartBase("Loss", "5 epochs"), mark: "line", data: { values: [] } };
 * ```
 */
export function chartBase(title: string, subtitle?: string): VegaLiteSpec {
  return {
    $schema: CHART_SCHEMA,
    title: subtitle ? { text: title, subtitle } : title,
    config: CHART_CONFIG,
  };
}

/**
 * Elapsed time over the epochs: the cumulative time of the longest trial of the epochs
 * sweep, epoch by epoch, with the total time of every trial of the sweep as points.
 */
export function epochsElapsedChart(records: TrialRecord[]): VegaLiteSpec {
  const trials = sorted(records);
  const longest = trials.reduce<TrialRecord | undefined>(
    (best, r) => (!best || r.epochs.length > best.epochs.length ? r : best),
    undefined,
  );
  const cumulative = `cumulative, ${longest ? longest.args.epochs : 0}-epoch trial`;
  const totals = "total of each trial";
  const values: Record<string, unknown>[] = [];
  let sum = 0;
  for (const e of longest?.epochs ?? []) {
    sum += e.epochTime;
    values.push({ epoch: e.epoch, seconds: round(sum, 3), series: cumulative });
  }
  for (const r of trials) {
    values.push({ epoch: r.args.epochs, seconds: round(totalTime(r), 3), series: totals });
  }
  const domain = [cumulative, totals];
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: { domain },
    legend: { orient: "top-left" },
  };
  // The legend comes from the point layer, whose shapes are the marks': circle, diamond.
  const shape = {
    field: "series",
    type: "nominal",
    title: null,
    scale: { domain, range: ["circle", "diamond"] },
    legend: { orient: "top-left" },
  };
  const y = { field: "seconds", type: "quantitative", title: "Elapsed time (s)" };
  return {
    ...chartBase("Elapsed time over the epochs", "epochs sweep, batch 128, lr 1.0"),
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      {
        transform: [{ filter: { field: "series", equal: cumulative } }],
        mark: { type: "line" },
        encoding: { x: EPOCH_X, y, color },
      },
      {
        mark: { type: "point", filled: true, opacity: 1, size: 90 },
        encoding: {
          x: EPOCH_X,
          y,
          color,
          shape,
        },
      },
    ],
  };
}

/** Total time of a trial: its totals, or the sum of its epoch times. */
function totalTime(r: TrialRecord): number {
  return r.totals?.totalTime ?? r.epochs.reduce((s, e) => s + e.epochTime, 0);
}

/** Elapsed time of each trial of a sweep against the swept value (line with labels). */
export function elapsedBySweepChart(
  records: TrialRecord[],
  param: SweepParam,
  subtitle: string,
): VegaLiteSpec {
  // Ascending by the swept value, left to right (0.5 before 1.0).
  const trials = [...records].sort((a, b) => a.args[param] - b.args[param]);
  const values = trials.map((r) => ({
    value: param === "lr" ? formatLr(r.args.lr) : String(r.args[param]),
    seconds: round(totalTime(r), 3),
  }));
  const order = values.map((v) => v.value);
  const x = { field: "value", type: "ordinal", title: paramTitle(param), sort: order };
  const y = { field: "seconds", type: "quantitative", title: "Elapsed time (s)" };
  // A few learning rates are separate settings, not points on a scale: bars, not a line.
  const marks = param === "lr"
    ? { mark: { type: "bar", width: { band: 0.5 } } }
    : { mark: { type: "line", point: { size: 60 } } };
  return {
    ...chartBase(
      `Elapsed time by ${paramTitle(param).replace(/ \(.*\)$/, "").toLowerCase()}`,
      subtitle,
    ),
    width: Math.max(200, 110 * values.length),
    height: HEIGHT,
    data: { values },
    encoding: { x: { ...x, axis: { labelAngle: 0 } }, y },
    layer: [
      marks,
      {
        mark: { type: "text", dy: -12, fontSize: 11 },
        encoding: { text: { field: "seconds", type: "quantitative", format: ".1f" } },
      },
    ],
  };
}

/** Validation loss per epoch, one line per trial of a sweep, coloured by the swept value. */
export function valLossPerEpochChart(
  records: TrialRecord[],
  param: SweepParam,
  subtitle: string,
): VegaLiteSpec {
  const trials = sorted(records);
  const order = trials.map((r) => valueLabel(param, r.args));
  // Trials that agree epoch for epoch (the same seed: 1, 5 and 10 epochs) would hide each
  // other: each is moved sideways a little, and drawn with its own dash and point shape.
  const values = trials.flatMap((r, i) =>
    r.epochs.map((e) => ({
      epoch: round(e.epoch + dodge(i, trials.length), 3),
      valLoss: round(e.valLoss, 6),
      trial: valueLabel(param, r.args),
    }))
  );
  const lastEpochs = trials.map((r) => r.epochs.length);
  return {
    ...chartBase(
      "Validation loss per epoch",
      `${subtitle}; trials set slightly apart to show each`,
    ),
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: "line", point: { size: 60 } },
    encoding: {
      x: { ...EPOCH_X, scale: { domain: [0.6, Math.max(1, ...lastEpochs) + 0.4], nice: false } },
      y: {
        field: "valLoss",
        type: "quantitative",
        title: "Validation loss (NLL)",
        scale: { zero: false },
      },
      color: {
        field: "trial",
        type: "nominal",
        title: null,
        sort: order,
        scale: { domain: order },
      },
      shape: { field: "trial", type: "nominal", title: null, sort: order },
      strokeDash: { field: "trial", type: "nominal", title: null, sort: order },
    },
  };
}

/** Sideways offset (in epochs) of trial `i` of `n`, so that equal values stay visible. */
function dodge(i: number, n: number): number {
  return (i - (n - 1) / 2) * 0.12;
}

/**
 * Training and validation accuracy per epoch, one panel per trial (so no trial hides under
 * another), every panel on the same y scale.
 */
export function accuracyPerEpochChart(records: TrialRecord[]): VegaLiteSpec {
  const trials = sorted(records);
  const order = trials.map((r) => trialLabel(r.args));
  const values = trials.flatMap((r) =>
    r.epochs.flatMap((e) => [
      {
        epoch: e.epoch,
        split: "Training",
        accuracy: round(e.trainAcc * 100, 4),
        trial: trialLabel(r.args),
      },
      {
        epoch: e.epoch,
        split: "Validation",
        accuracy: round(e.valAcc * 100, 4),
        trial: trialLabel(r.args),
      },
    ])
  );
  const low = Math.floor(Math.min(100, ...values.map((v) => v.accuracy)));
  return perTrialPanels(
    chartBase(
      "Accuracy per epoch",
      `one panel per trial, all on the same scale (${low}-100 %); training accuracy is ` +
        "measured during the epoch, with dropout",
    ),
    values,
    order,
    {
      y: {
        field: "accuracy",
        type: "quantitative",
        title: "Accuracy (%)",
        scale: { domain: [low, 100] },
      },
      color: {
        field: "split",
        type: "nominal",
        title: null,
        sort: ["Training", "Validation"],
        legend: { orient: "top" },
      },
      shape: { field: "split", type: "nominal", title: null, sort: ["Training", "Validation"] },
    },
    { labelFontSize: 12 },
  );
}

/** Wall time of each epoch of every trial (train + evaluation), to see whether it is flat. */
export function epochTimeChart(records: TrialRecord[]): VegaLiteSpec {
  const trials = sorted(records);
  const order = trials.map((r) => trialLabel(r.args));
  const values = trials.flatMap((r) =>
    r.epochs.map((e) => ({
      epoch: e.epoch,
      seconds: round(e.epochTime, 3),
      trial: trialLabel(r.args),
    }))
  );
  return perTrialPanels(
    chartBase(
      "Time per epoch",
      "training plus evaluation; one panel per trial, all on the same scale",
    ),
    values,
    order,
    { y: { field: "seconds", type: "quantitative", title: "Epoch time (s)" } },
  );
}

/**
 * Small multiples, one line chart per trial (epochs on x), three to a row, on a shared y
 * scale.
 */
function perTrialPanels(
  start: VegaLiteSpec,
  values: unknown[],
  order: string[],
  encoding: Record<string, unknown>,
  header?: Record<string, unknown>,
): VegaLiteSpec {
  return {
    ...start,
    data: { values },
    facet: { field: "trial", type: "nominal", title: null, sort: order, ...(header && { header }) },
    columns: 3,
    spec: {
      width: 200,
      height: 150,
      mark: { type: "line", point: true },
      encoding: { x: EPOCH_X, ...encoding },
    },
    resolve: { scale: { y: "shared", x: "independent" } },
  };
}

/** One trial's numbers beside the published ones, as the comparison charts take them. */
export interface ComparisonRow {
  trial: string;
  ours: { elapsed: number; valLoss: number; valAcc: number };
  published: PublishedResult;
}

const SOURCES = ["ours", "published"];

/** Elapsed time of each trial, ours beside the published, as grouped horizontal bars. */
export function publishedElapsedChart(rows: ComparisonRow[], ourName: string): VegaLiteSpec {
  const order = rows.map((r) => r.trial);
  const values = rows.flatMap((r) => [
    { trial: r.trial, source: "ours", seconds: round(r.ours.elapsed, 3) },
    { trial: r.trial, source: "published", seconds: r.published.elapsed },
  ]);
  return {
    ...chartBase(
      "Elapsed time: ours against the published",
      `ours: ${ourName}; published: PyTorch, CPU`,
    ),
    width: WIDTH,
    height: { step: 14 },
    data: { values },
    mark: { type: "bar" },
    encoding: {
      y: { field: "trial", type: "nominal", title: "Trial", sort: order },
      yOffset: { field: "source", type: "nominal", sort: SOURCES },
      x: { field: "seconds", type: "quantitative", title: "Elapsed time (s)" },
      color: { field: "source", type: "nominal", title: null, scale: { domain: SOURCES } },
    },
  };
}

/** Validation loss and accuracy of each trial, ours beside the published, as dot plots. */
export function publishedValidationChart(rows: ComparisonRow[]): VegaLiteSpec {
  const order = rows.map((r) => r.trial);
  const values = rows.flatMap((r) => [
    {
      trial: r.trial,
      source: "ours",
      valLoss: round(r.ours.valLoss, 6),
      valAcc: round(r.ours.valAcc * 100, 4),
    },
    {
      trial: r.trial,
      source: "published",
      valLoss: r.published.valLoss,
      valAcc: round(r.published.valAcc * 100, 4),
    },
  ]);
  const panel = (field: string, title: string, showTrials: boolean) => ({
    width: 260,
    height: { step: 28 },
    mark: { type: "point", filled: true, size: 80 },
    encoding: {
      y: {
        field: "trial",
        type: "nominal",
        title: showTrials ? "Trial" : null,
        sort: order,
        axis: showTrials ? {} : { labels: false, ticks: false },
      },
      x: { field, type: "quantitative", title, scale: { zero: false } },
      color: { field: "source", type: "nominal", title: null, scale: { domain: SOURCES } },
      shape: { field: "source", type: "nominal", title: null, scale: { domain: SOURCES } },
    },
  });
  return {
    ...chartBase("Validation: ours against the published"),
    data: { values },
    hconcat: [
      panel("valLoss", "Validation loss (NLL)", true),
      panel("valAcc", "Validation accuracy (%)", false),
    ],
  };
}

/** Milliseconds per training step per implementation and batch size (log scale). */
export function benchChart(bench: BenchRecord): VegaLiteSpec {
  const entries = [...bench.entries].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const names = entries.map((e) => `${e.name} (${e.threads} thr)`);
  const values = entries.flatMap((e, i) =>
    [...e.steps].sort((a, b) => a.batchSize - b.batchSize).map((s) => ({
      name: names[i],
      batchSize: s.batchSize,
      ms: round(s.msPerStep, 3),
    }))
  );
  return {
    ...chartBase(
      "Time per training step",
      `${bench.machine.cpu}, ${bench.machine.cores} cores; median`,
    ),
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: "line", point: { size: 60 } },
    encoding: {
      x: {
        field: "batchSize",
        type: "quantitative",
        title: "Batch size (images)",
        scale: { type: "log", base: 2 },
        axis: { values: [...new Set(values.map((v) => v.batchSize))].sort((a, b) => a - b) },
      },
      y: {
        field: "ms",
        type: "quantitative",
        title: "Time per step (ms, log scale)",
        scale: { type: "log" },
      },
      color: {
        field: "name",
        type: "nominal",
        title: "Implementation",
        sort: names,
        scale: { domain: names },
      },
    },
  };
}
