/**
 * The notebooks' own Vega-Lite charts (label distribution, loss while training, confusion
 * matrix), on the report's schema and look ({@link chartBase}).
 * @module
 */

import type { EpochMetrics } from "../record/mod.ts";
import { chartBase, type VegaLiteSpec } from "../report/mod.ts";
import { labelCounts } from "./predictions.ts";

/** Share of each digit in the training and test labels, as grouped bars (percent). */
export function labelDistributionChart(
  train: ArrayLike<number>,
  test: ArrayLike<number>,
): VegaLiteSpec {
  const splits = [
    { name: `train (${train.length.toLocaleString("en-US")})`, counts: labelCounts(train) },
    { name: `test (${test.length.toLocaleString("en-US")})`, counts: labelCounts(test) },
  ];
  const values = splits.flatMap((s, j) =>
    s.counts.map((count, digit) => ({
      digit: String(digit),
      split: s.name,
      count,
      percent: Number((100 * count / [train, test][j].length).toFixed(3)),
    }))
  );
  return {
    ...chartBase("Label distribution", "share of each digit in each split"),
    width: 420,
    height: 240,
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "digit", type: "nominal", title: "Digit", axis: { labelAngle: 0 } },
      xOffset: { field: "split", type: "nominal", sort: splits.map((s) => s.name) },
      y: { field: "percent", type: "quantitative", title: "Share of the split (%)" },
      color: {
        field: "split",
        type: "nominal",
        title: null,
        sort: splits.map((s) => s.name),
        legend: { orient: "top" },
      },
    },
  };
}

/** A point of the live training chart: loss at a fractional epoch. */
export interface LossPoint {
  /** Epoch progress, e.g. 1.5 = half way through epoch 2. */
  epoch: number;
  /** Mean negative log-likelihood at that point (nats per image). */
  loss: number;
  /** Which curve the point belongs to. */
  series: "training (running mean)" | "validation";
}

const LOSS_SERIES = ["training (running mean)", "validation"];

/**
 * Training loss (running mean within each epoch, one line segment per epoch) and validation
 * loss (after each epoch) against epochs.
 */
export function trainingLossChart(points: LossPoint[], epochs: number): VegaLiteSpec {
  const values = points.map((p) => ({
    epoch: Number(p.epoch.toFixed(4)),
    loss: round(p.loss),
    series: p.series,
    segment: p.series === "validation" ? 0 : Math.max(1, Math.ceil(p.epoch - 1e-9)),
  }));
  const x = {
    field: "epoch",
    type: "quantitative",
    title: "Epoch",
    scale: { domain: [0, epochs] },
    axis: { tickMinStep: 1, format: "d" },
  };
  const y = { field: "loss", type: "quantitative", title: "Loss (NLL)" };
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: { domain: LOSS_SERIES },
    legend: { orient: "top" },
  };
  return {
    ...chartBase("Loss while training", `${epochs} epoch${epochs === 1 ? "" : "s"}`),
    width: 420,
    height: 240,
    data: { values },
    encoding: { x, y, color },
    layer: [
      {
        transform: [{ filter: { field: "series", equal: LOSS_SERIES[0] } }],
        mark: { type: "line" },
        encoding: { detail: { field: "segment", type: "nominal" } },
      },
      {
        transform: [{ filter: { field: "series", equal: LOSS_SERIES[1] } }],
        mark: { type: "line", point: { size: 60 } },
      },
    ],
  };
}

function round(x: number): number {
  return Number(x.toFixed(6));
}

/** Loss points of finished epochs: the epoch's mean training loss and its validation loss. */
export function epochLossPoints(metrics: EpochMetrics[]): LossPoint[] {
  return metrics.flatMap((m) => [
    { epoch: m.epoch, loss: m.trainLoss, series: "training (running mean)" as const },
    { epoch: m.epoch, loss: m.valLoss, series: "validation" as const },
  ]);
}

/** The confusion matrix as a heat map with the count in each cell. */
export function confusionChart(matrix: number[][], subtitle: string): VegaLiteSpec {
  const max = Math.max(1, ...matrix.flat());
  const values = matrix.flatMap((row, t) =>
    row.map((count, p) => ({ actual: String(t), predicted: String(p), count }))
  );
  const digits = matrix.map((_, i) => String(i));
  const axis = (field: string, title: string) => ({
    field,
    type: "ordinal",
    title,
    sort: digits,
    axis: { labelAngle: 0 },
  });
  return {
    ...chartBase("Confusion matrix", subtitle),
    width: 340,
    height: 340,
    data: { values },
    encoding: { x: axis("predicted", "Predicted digit"), y: axis("actual", "True digit") },
    layer: [
      {
        mark: { type: "rect", tooltip: true },
        transform: [{ filter: "datum.count > 0" }],
        encoding: {
          color: {
            field: "count",
            type: "quantitative",
            title: "Images",
            scale: { type: "symlog", scheme: "blues" },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        transform: [{ filter: "datum.count > 0" }],
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: {
            condition: { test: `datum.count > ${Math.sqrt(max)}`, value: "white" },
            value: "black",
          },
        },
      },
    ],
  };
}
