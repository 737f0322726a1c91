/**
 * Digit grids: MNIST images drawn upscaled and dark on white in a sheet, with a caption under
 * each, as SVG or PNG; and which images to draw (the first of each class).
 * @module
 */

import { IMAGE_SIZE, NUM_CLASSES, type Split } from "../data/mod.ts";
import { encodePng } from "../predict/mod.ts";
import { CHART_FONT, svgToPng } from "../report/mod.ts";
import { toBase64 } from "./display.ts";

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

/**
 * The digit grid of {@link digitGridSvg} rasterised to PNG bytes.
 * @param args the arguments of {@link digitGridSvg}: split, indices, captions, options
 * @returns the PNG file's bytes
 */
export function digitGridPng(...args: Parameters<typeof digitGridSvg>): Uint8Array {
  return svgToPng(digitGridSvg(...args), 1);
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
