/**
 * Serving saved models: load one, evaluate it on an IDX test set, or read PNG pictures of
 * digits (any size, converted the way MNIST was made) and predict them.
 * @module
 */

export { BlankImageError, toMnist } from "./mnist_image.ts";
export { crc32, decodePng, encodePng, type GreyImage, PngError } from "./png.ts";
export {
  classify,
  loadServingModel,
  ModelDirError,
  type Prediction,
  predictionLine,
} from "./predict.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export type { LayersModel } from "../model/mod.ts";
