/**
 * Test helpers (no tests here): IDX encoders, the inverse of `idx.ts`, for writing small
 * data sets in tests.
 * @module
 */

import type { IdxImages } from "./idx.ts";

/** Magic number of an IDX labels file. */
export const LABELS_MAGIC = 2049;
/** Magic number of an IDX images file. */
export const IMAGES_MAGIC = 2051;

/** Encodes labels as an IDX file. */
export function encodeLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, LABELS_MAGIC, false);
  view.setUint32(4, labels.length, false);
  out.set(labels, 8);
  return out;
}

/** Encodes images (row-major bytes) as an IDX file. */
export function encodeImages(images: IdxImages): Uint8Array {
  const out = new Uint8Array(16 + images.pixels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, IMAGES_MAGIC, false);
  view.setUint32(4, images.count, false);
  view.setUint32(8, images.rows, false);
  view.setUint32(12, images.cols, false);
  out.set(images.pixels, 16);
  return out;
}
