/**
 * The model: the reference CNN, its layers (conv + bias + ReLU as one kernel, seeded dropout),
 * saving it, and the Adadelta optimizer. The one door to `lib/model/`.
 * @module
 */

export { Adadelta, type FlatState } from "./adadelta.ts";
export { conv2dBiasRelu, type ConvGeometry, FusedReluConv2D } from "./conv_relu.ts";
export { SeededDropout } from "./dropout.ts";
export { loadModel, saveModel } from "./io.ts";
export {
  clearDropoutSeeds,
  createModel,
  PARAMETER_COUNT,
  reseedDropout,
  trainableVariables,
} from "./model.ts";
