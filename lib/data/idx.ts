/**
 * Parsing of IDX files, the format of the original MNIST distribution: a big-endian magic
 * number (2049 for labels, 2051 for 3-d images), one big-endian uint32 per dimension, then
 * unsigned bytes.
 * @module
 */

/** Magic number of an IDX file of unsigned bytes with one dimension (labels). */
const LABELS_MAGIC = 2049;
/** Magic number of an IDX file of unsigned bytes with three dimensions (images). */
const IMAGES_MAGIC = 2051;

/** Error for a file that is not the IDX file it should be; the message names the file. */
export class IdxError extends Error {
  /** The error's class name, as printed before the message. */
  override name = "IdxError";
}

/** Images parsed from an IDX file: `count` images of `rows` x `cols` bytes, row-major. */
export interface IdxImages {
  /** Number of images. */
  count: number;
  /** Rows per image (pixels down). */
  rows: number;
  /** Columns per image (pixels across). */
  cols: number;
  /** `count * rows * cols` grey levels, 0 (background) to 255, image after image. */
  pixels: Uint8Array;
}

function header(bytes: Uint8Array, name: string, magic: number, dims: number): number[] {
  const need = 4 + 4 * dims;
  if (bytes.length < need) {
    throw new IdxError(
      `${name}: truncated header (${bytes.length} bytes, expected at least ${need})`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    throw new IdxError(`${name}: bad magic number ${found} (expected ${magic})`);
  }
  return Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i, false));
}

/** Parses an IDX label file; checks magic, size and that every label is 0..9. */
export function parseLabels(bytes: Uint8Array, name = "labels"): Uint8Array {
  const [count] = header(bytes, name, LABELS_MAGIC, 1);
  const expected = 8 + count;
  if (bytes.length !== expected) {
    throw new IdxError(
      `${name}: ${bytes.length} bytes, expected ${expected} for ${count} labels` +
        (bytes.length < expected ? " (truncated)" : " (trailing data)"),
    );
  }
  const labels = bytes.subarray(8);
  for (let i = 0; i < count; i++) {
    if (labels[i] > 9) {
      throw new IdxError(`${name}: label ${labels[i]} at index ${i} (expected 0..9)`);
    }
  }
  return labels;
}

/** Parses an IDX image file; checks magic, dimensions and size. */
export function parseImages(
  bytes: Uint8Array,
  name = "images",
  shape: { rows: number; cols: number } = { rows: 28, cols: 28 },
): IdxImages {
  const [count, rows, cols] = header(bytes, name, IMAGES_MAGIC, 3);
  if (rows !== shape.rows || cols !== shape.cols) {
    throw new IdxError(
      `${name}: images are ${rows}x${cols} (expected ${shape.rows}x${shape.cols})`,
    );
  }
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new IdxError(
      `${name}: ${bytes.length} bytes, expected ${expected} for ${count} images of ${rows}x${cols}` +
        (bytes.length < expected ? " (truncated)" : " (trailing data)"),
    );
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}
