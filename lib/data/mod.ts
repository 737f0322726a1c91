/**
 * Data: the IDX file format, the MNIST data set (loading, splits, batches) and the seeded
 * random numbers that shuffle it. The one door to `lib/data/`. No TensorFlow.js.
 * @module
 */

export { IdxError, parseImages, parseLabels } from "./idx.ts";
export {
  batchCount,
  gatherImages,
  gatherOneHot,
  IMAGE_SIZE,
  loadMnist,
  type Mnist,
  MNIST_MEAN,
  MNIST_STD,
  NUM_CLASSES,
  orderedBatches,
  packageDataDir,
  shuffledBatches,
  type Split,
} from "./mnist.ts";
export { Rng } from "./rng.ts";
export type { Batch, LoadOptions } from "./mnist.ts";
export type { IdxImages } from "./idx.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export type { DatasetFile } from "../record/mod.ts";
