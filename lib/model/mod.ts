/**
 * The model: the reference CNN, its layers (conv + bias + ReLU as one kernel, seeded dropout),
 * saving it, and the Adadelta optimizer. The one door to `lib/model/`.
 * @module
 */

export { Adadelta, type FlatState } from "./adadelta.ts";
export { conv2dBiasRelu, type ConvGeometry } from "./conv_relu.ts";
export {
  isSeededDropout,
  seededDropout,
  type SeededDropoutArgs,
  type SeededDropoutLayer,
} from "./dropout.ts";
export { loadModel, saveModel } from "./io.ts";
export {
  clearDropoutSeeds,
  createModel,
  PARAMETER_COUNT,
  reseedDropout,
  trainableVariables,
} from "./model.ts";
export type {
  ConfigDict,
  Layer,
  LayersModel,
  Scalar,
  Sequential,
  Shape,
  Tensor,
  Tensor1D,
  Tensor4D,
  Variable,
} from "./tf_types.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export type { Rng } from "../data/mod.ts";
