/**
 * Helpers for the Jupyter notebooks in `notebooks/` (Deno kernel): notebook parameters from
 * the environment, a small PNG encoder, digit grids as images, confusion matrices, the
 * notebooks' own Vega-Lite charts, and display bundles (Vega-Lite with a PNG or SVG fallback
 * for viewers without Vega, such as GitHub's notebook view).
 * @module
 */

import { deflateSync } from "node:zlib";
import * as tf from "@tensorflow/tfjs";
import type { LayersModel, Tensor } from "../model/mod.ts";
import { IMAGE_SIZE, NUM_CLASSES, orderedBatches, type Split } from "../data/mod.ts";
import {
  CHART_CONFIG,
  CHART_FONT,
  CHART_SCHEMA,
  renderSvg,
  type Report,
  svgToPng,
  type VegaLiteSpec,
} from "../report/mod.ts";
import type { DatasetFile, EpochMetrics } from "../record/mod.ts";
import { table } from "../markdown.ts";

// ---- parameters ----

/**
 * Reads a positive integer parameter from environment variable `name`, or `fallback` when
 * it is unset or empty. Throws a one-line Error naming the variable for anything else.
 */
export function envInt(name: string, fallback: number): number {
  const raw = Deno.env.get(name)?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got '${raw}'`);
  }
  return value;
}

/** Reads a string parameter from environment variable `name`, or `fallback` when unset/empty. */
export function envString(name: string, fallback: string): string {
  const raw = Deno.env.get(name)?.trim();
  return raw === undefined || raw === "" ? fallback : raw;
}

/** Reads one of `choices` from environment variable `name`; throws naming the choices. */
export function envChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = envString(name, fallback);
  if (!(choices as readonly string[]).includes(raw)) {
    throw new Error(`${name} must be one of ${choices.join(", ")}; got '${raw}'`);
  }
  return raw as T;
}

/** Reads a yes/no parameter (`1`, `true`, `yes` / `0`, `false`, `no`); throws on others. */
export function envFlag(name: string, fallback: boolean): boolean {
  const raw = Deno.env.get(name)?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes"].includes(raw)) return true;
  if (["0", "false", "no"].includes(raw)) return false;
  throw new Error(`${name} must be one of 1, true, yes, 0, false, no; got '${raw}'`);
}

// ---- PNG ----

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (the PNG/zlib polynomial) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const COLOR_TYPES: Record<number, number> = { 1: 0, 3: 2, 4: 6 };

/**
 * Encodes 8-bit pixels (row-major; `channels` 1 = gray, 3 = RGB, 4 = RGBA) as a PNG file.
 * Throws a RangeError when the pixel count does not match the size.
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4 = 1,
): Uint8Array {
  if (!(channels in COLOR_TYPES)) {
    throw new RangeError(`channels must be 1, 3 or 4, got ${channels}`);
  }
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `${pixels.length} bytes do not make a ${width}x${height} image with ${channels} channels ` +
        `(expected ${width * height * channels})`,
    );
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, COLOR_TYPES[channels], 0, 0, 0], 8);
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1)); // filter byte 0 (none) before each row
  for (let y = 0; y < height; y++) {
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [
    Uint8Array.from(PNG_SIGNATURE),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Base64 of bytes (for `image/png` in a display bundle and for data URIs). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

// ---- digit grids ----

/** Layout of {@link digitGrid}. */
export interface GridOptions {
  /** Digits per row (default 10). */
  columns?: number;
  /** Pixels per MNIST pixel (default 2). */
  scale?: number;
  /** Height of the caption band under each digit, in output pixels (default 18). */
  captionHeight?: number;
}

/** A grid of digits as gray pixels (ink dark on white), with room for a caption per cell. */
export interface DigitSheet {
  /** `width * height` grey levels, row after row: 0 is ink, 255 is paper. */
  pixels: Uint8Array;
  /** Width of the whole sheet in pixels. */
  width: number;
  /** Height of the whole sheet in pixels. */
  height: number;
  /** Width of one cell (a digit and its margins) in pixels. */
  cellWidth: number;
  /** Height of one cell (a digit, its margins and its caption band) in pixels. */
  cellHeight: number;
  /** Cells per row. */
  columns: number;
  /** Rows of cells. */
  rows: number;
}

const PAD = 4;

/**
 * Draws the images `indices` of `split` into a gray sheet, `columns` per row, upscaled by
 * `scale` (nearest neighbour), inverted so ink is dark, with an empty caption band per cell.
 */
export function digitSheet(
  split: Split,
  indices: ArrayLike<number>,
  options: GridOptions = {},
): DigitSheet {
  const scale = options.scale ?? 2;
  const captionHeight = options.captionHeight ?? 18;
  const columns = Math.max(1, Math.min(options.columns ?? 10, indices.length));
  const rows = Math.max(1, Math.ceil(indices.length / columns));
  const side = 28 * scale;
  const cellWidth = side + 2 * PAD;
  const cellHeight = side + PAD + captionHeight;
  const width = columns * cellWidth;
  const height = rows * cellHeight;
  const pixels = new Uint8Array(width * height).fill(255);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= split.count) {
      throw new RangeError(`image index ${index} is outside the split (0..${split.count - 1})`);
    }
    const x0 = (i % columns) * cellWidth + PAD;
    const y0 = Math.floor(i / columns) * cellHeight + PAD;
    const src = index * IMAGE_SIZE;
    for (let y = 0; y < side; y++) {
      const row = (y0 + y) * width + x0;
      const srcRow = src + Math.floor(y / scale) * 28;
      for (let x = 0; x < side; x++) {
        pixels[row + x] = 255 - split.pixels[srcRow + Math.floor(x / scale)];
      }
    }
  }
  return { pixels, width, height, cellWidth, cellHeight, columns, rows };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** A caption under a digit; `color` defaults to dark gray. */
export interface Caption {
  /** The caption, one short line. */
  text: string;
  /** Its colour, any SVG colour (`#c00`, `green`); dark gray when absent. */
  color?: string;
}

/**
 * An SVG of the digits `indices` of `split` with one caption under each (text drawn with
 * the charts' font). Throws a RangeError when captions and indices differ in number.
 */
export function digitGridSvg(
  split: Split,
  indices: ArrayLike<number>,
  captions: (string | Caption)[],
  options: GridOptions = {},
): string {
  if (captions.length !== indices.length) {
    throw new RangeError(`${captions.length} captions for ${indices.length} images`);
  }
  const sheet = digitSheet(split, indices, options);
  const png = encodePng(sheet.pixels, sheet.width, sheet.height, 1);
  const side = sheet.cellWidth - 2 * PAD;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `width="${sheet.width}" height="${sheet.height}" viewBox="0 0 ${sheet.width} ${sheet.height}">`,
    `<rect width="${sheet.width}" height="${sheet.height}" fill="white"/>`,
    `<image width="${sheet.width}" height="${sheet.height}" image-rendering="optimizeSpeed" ` +
    `xlink:href="data:image/png;base64,${toBase64(png)}"/>`,
  ];
  captions.forEach((c, i) => {
    const { text, color } = typeof c === "string" ? { text: c, color: undefined } : c;
    const x = (i % sheet.columns) * sheet.cellWidth + sheet.cellWidth / 2;
    const y = Math.floor(i / sheet.columns) * sheet.cellHeight + PAD + side + 14;
    parts.push(
      `<text x="${x}" y="${y}" text-anchor="middle" font-family="${CHART_FONT}" ` +
        `font-size="12" fill="${escapeXml(color ?? "#333")}">${escapeXml(text)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** The digit grid of {@link digitGridSvg} rasterised to PNG bytes. */
export function digitGridPng(
  split: Split,
  indices: ArrayLike<number>,
  captions: (string | Caption)[],
  options: GridOptions = {},
): Uint8Array {
  return svgToPng(digitGridSvg(split, indices, captions, options), 1);
}

/** The first `perClass` images of every class 0-9 in `split`, class by class. */
export function firstOfEachClass(split: Split, perClass: number): number[] {
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (let i = 0; i < split.count; i++) {
    const list = byClass[split.labels[i]];
    if (list.length < perClass) list.push(i);
  }
  return byClass.flat();
}

// ---- predictions and confusion ----

/** The predicted class of every image of `split` (argmax of the model's output, no dropout). */
export function predictLabels(
  model: LayersModel,
  split: Split,
  batchSize = 1000,
): Uint8Array {
  const out = new Uint8Array(split.count);
  let offset = 0;
  for (const b of orderedBatches(split, batchSize)) {
    const scores = tf.tidy(() => {
      const x = tf.tensor4d(b.images, [b.size, 28, 28, 1]);
      return (model.apply(x, { training: false }) as Tensor).dataSync() as Float32Array;
    });
    for (let i = 0; i < b.size; i++) {
      let best = 0;
      for (let c = 1; c < NUM_CLASSES; c++) {
        if (scores[i * NUM_CLASSES + c] > scores[i * NUM_CLASSES + best]) best = c;
      }
      out[offset + i] = best;
    }
    offset += b.size;
  }
  return out;
}

/**
 * The confusion matrix: `m[t][p]` counts images of true class `t` predicted as `p`.
 * Throws a RangeError when the arrays differ in length or hold a class outside 0..classes-1.
 */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  classes = NUM_CLASSES,
): number[][] {
  if (labels.length !== predictions.length) {
    throw new RangeError(`${labels.length} labels but ${predictions.length} predictions`);
  }
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new RangeError(`class out of range at ${i}: label ${t}, prediction ${p}`);
    }
    m[t][p]++;
  }
  return m;
}

/** Indices where the prediction differs from the label, at most `limit` of them. */
export function misclassified(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  limit = Infinity,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < limit; i++) {
    if (labels[i] !== predictions[i]) out.push(i);
  }
  return out;
}

/** How many times each class 0-9 occurs in `labels`. */
export function labelCounts(labels: ArrayLike<number>): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

// ---- the notebooks' own charts ----

/** The schema named in the Jupyter bundle: front ends render the v5 MIME type. */
const SCHEMA_V5 = "https://vega.github.io/schema/vega-lite/v5.json";

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
    $schema: CHART_SCHEMA,
    title: { text: "Label distribution", subtitle: "share of each digit in each split" },
    config: CHART_CONFIG,
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
    $schema: CHART_SCHEMA,
    title: { text: "Loss while training", subtitle: `${epochs} epoch${epochs === 1 ? "" : "s"}` },
    config: CHART_CONFIG,
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
    $schema: CHART_SCHEMA,
    title: { text: "Confusion matrix", subtitle },
    config: CHART_CONFIG,
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

// ---- display bundles ----

/** The MIME type JupyterLab renders Vega-Lite with (its built-in renderer is Vega-Lite 5). */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** A Jupyter display bundle (MIME type to data). */
export type MediaBundle = Record<string, unknown>;

/** Options of {@link chartBundle}. */
export interface BundleOptions {
  /** Picture for viewers without Vega: `png` (default, GitHub shows it) or `svg`. */
  fallback?: "png" | "svg";
  /** PNG zoom (default 1). */
  scale?: number;
}

function titleText(spec: VegaLiteSpec): string {
  const t = spec.title as string | { text?: string } | undefined;
  return typeof t === "string" ? t : t?.text ?? "chart";
}

/**
 * A display bundle for a Vega-Lite spec: the spec under {@link VEGA_LITE_MIME} (its
 * `$schema` set to v5, which these specs conform to), a picture rendered here as fallback,
 * and the chart's title as plain text.
 */
export async function chartBundle(
  spec: VegaLiteSpec,
  options: BundleOptions = {},
): Promise<MediaBundle> {
  const svg = await renderSvg(spec);
  const picture = options.fallback === "svg"
    ? { "image/svg+xml": svg }
    : { "image/png": toBase64(svgToPng(svg, options.scale ?? 1)) };
  return {
    [VEGA_LITE_MIME]: { ...spec, $schema: SCHEMA_V5 },
    ...picture,
    "text/plain": `<chart: ${titleText(spec)}>`,
  };
}

/** A display bundle of a PNG image with a plain-text description. */
export function pngBundle(png: Uint8Array, description: string): MediaBundle {
  return { "image/png": toBase64(png), "text/plain": `<image: ${description}>` };
}

/** A display bundle of Markdown text. */
export function markdownBundle(markdown: string): MediaBundle {
  return { "text/markdown": markdown, "text/plain": markdown };
}

interface JupyterApi {
  display(
    obj: unknown,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

function jupyter(): JupyterApi {
  const api = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  if (!api) throw new Error("Deno.jupyter is not available: run this in the Deno Jupyter kernel");
  return api;
}

/**
 * Shows a bundle in the notebook. With `displayId`, a later call with the same id and
 * `update: true` replaces it in place (used for the live training chart).
 */
export async function show(
  bundle: MediaBundle,
  displayId?: string,
  update = false,
): Promise<void> {
  await jupyter().display(bundle, { raw: true, display_id: displayId, update });
  // The kernel sends the message from its event loop; on a busy machine a cell could end (and
  // the kernel report idle) before it went out, and the display was lost. Let it go out first.
  await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Renders and shows a Vega-Lite chart ({@link chartBundle}). */
export async function showChart(spec: VegaLiteSpec, options: BundleOptions = {}): Promise<void> {
  await show(await chartBundle(spec, options));
}

/** Shows Markdown text. */
export async function showMarkdown(markdown: string): Promise<void> {
  await show(markdownBundle(markdown));
}

// ---- tables and the report ----

/** The data set files as a Markdown table: name, size and SHA-256. */
export function datasetFilesTable(files: DatasetFile[]): string {
  return table(
    ["File", "Bytes", "SHA-256"],
    files.map((f) => [`\`${f.name}\``, f.bytes.toLocaleString("en-US"), `\`${f.sha256}\``]),
  );
}

/** A piece of the report: Markdown text, or one of its charts. */
export type ReportBlock =
  | { kind: "markdown"; text: string }
  | { kind: "chart"; name: string; title: string; spec: VegaLiteSpec };

/** One `## ` section of the report (the text before the first heading has heading ""). */
export interface ReportSection {
  /** The section's heading without its `## ` ("" for the text before the first heading). */
  heading: string;
  /** The section's paragraphs, tables and charts, in order. */
  blocks: ReportBlock[];
}

/**
 * Splits a report built with `chartsHref` into its `## ` sections, each a list of Markdown
 * blocks and charts in order: a chart's image line (`![..](HREF/NAME.svg)`) becomes the
 * chart, and lines linking into `HREF/` (the caption with the file links) are dropped.
 * Charts whose image line is not found go to a last section headed "Other charts".
 */
export function reportSections(report: Report, chartsHref: string): ReportSection[] {
  const byName = new Map(report.charts.map((c) => [c.name, c]));
  const placed = new Set<string>();
  const prefix = `](${chartsHref}/`;
  const sections: ReportSection[] = [];
  let current: ReportSection = { heading: "", blocks: [] };
  let text: string[] = [];
  const flush = () => {
    const joined = text.join("\n").trim();
    if (joined) current.blocks.push({ kind: "markdown", text: joined });
    text = [];
  };
  for (const line of report.markdown.split("\n")) {
    if (line.startsWith("## ")) {
      flush();
      if (current.heading || current.blocks.length > 0) sections.push(current);
      current = { heading: line.slice(3).trim(), blocks: [] };
      text.push(line);
      continue;
    }
    const m = line.startsWith("![") && line.includes(prefix)
      ? line.slice(line.indexOf(prefix) + prefix.length).match(/^([^)/]+)\.svg\)$/)
      : null;
    const chart = m ? byName.get(m[1]) : undefined;
    if (chart) {
      flush();
      current.blocks.push({
        kind: "chart",
        name: chart.name,
        title: chart.title,
        spec: chart.spec,
      });
      placed.add(chart.name);
    } else if (!line.includes(prefix)) {
      text.push(line);
    }
  }
  flush();
  if (current.heading || current.blocks.length > 0) sections.push(current);
  const rest = report.charts.filter((c) => !placed.has(c.name));
  if (rest.length > 0) {
    sections.push({
      heading: "Other charts",
      blocks: rest.map((c) => ({ kind: "chart", name: c.name, title: c.title, spec: c.spec })),
    });
  }
  return sections;
}

/** Shows report sections in the notebook: Markdown as Markdown, charts as charts. */
export async function showSections(sections: ReportSection[]): Promise<void> {
  for (const section of sections) {
    for (const block of section.blocks) {
      if (block.kind === "markdown") await showMarkdown(block.text);
      else await showChart(block.spec);
    }
  }
}

/**
 * A chart shown once and redrawn in place (Jupyter display update). Redraws are queued so
 * at most one renders at a time and the latest spec always wins; {@link LiveChart.flush}
 * waits for the last one.
 */
export class LiveChart {
  #id = `live-${crypto.randomUUID()}`;
  #shown = false;
  #pending: VegaLiteSpec | null = null;
  #drawing: Promise<void> | null = null;
  #error: unknown = null;

  /** Asks for `spec` to be drawn; returns at once (the drawing runs in the background). */
  request(spec: VegaLiteSpec): void {
    this.#pending = spec;
    if (!this.#drawing) this.#drawing = this.#drain();
  }

  /** Draws `spec` and waits until it and any queued drawing are shown. */
  async draw(spec: VegaLiteSpec): Promise<void> {
    this.request(spec);
    await this.flush();
  }

  /** Waits for queued drawings to finish; throws the error of a drawing that failed. */
  async flush(): Promise<void> {
    while (this.#drawing) await this.#drawing;
    const error = this.#error;
    this.#error = null;
    if (error) throw error;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending) {
        const spec = this.#pending;
        this.#pending = null;
        await show(await chartBundle(spec), this.#id, this.#shown);
        this.#shown = true;
      }
    } catch (err) {
      this.#error = err;
      this.#pending = null;
    } finally {
      this.#drawing = null;
    }
  }
}
