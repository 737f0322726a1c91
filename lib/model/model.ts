/**
 * The reference CNN (PyTorch's MNIST example) in TensorFlow.js layers, initialised as
 * PyTorch initialises Conv2d and Linear (uniform in +-1/sqrt(fan_in)), with seeded dropout.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { LayersModel, Sequential, Variable } from "./tf_types.ts";
import { Rng } from "../data/mod.ts";
import { SeededDropout } from "./dropout.ts";
import { FusedReluConv2D } from "./conv_relu.ts";

/** Trainable parameters of the reference model. */
export const PARAMETER_COUNT = 1_199_882;

// tfjs registers the "logSoftmax" activation but leaves it out of its type union.
const LOG_SOFTMAX = "logSoftmax" as unknown as "linear";

function pytorchUniform(fanIn: number, rng: Rng) {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: rng.nextUint32() });
}

/**
 * Builds the reference model: Conv(32,3x3)+ReLU, Conv(64,3x3)+ReLU, MaxPool 2x2,
 * Dropout .25, Flatten, Dense 128+ReLU, Dropout .5, Dense 10, log-softmax. NHWC input.
 */
export function createModel(seed: number): Sequential {
  const rng = new Rng(seed);
  const init = (fanIn: number) => ({
    kernelInitializer: pytorchUniform(fanIn, rng),
    biasInitializer: pytorchUniform(fanIn, rng),
  });
  return tf.sequential({
    name: "mnist_cnn",
    layers: [
      new FusedReluConv2D({
        name: "conv1",
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        activation: "relu",
        ...init(1 * 3 * 3),
        inputGradient: false, // the images: nothing trains them
      }),
      new FusedReluConv2D({
        name: "conv2",
        filters: 64,
        kernelSize: 3,
        activation: "relu",
        ...init(32 * 3 * 3),
      }),
      tf.layers.maxPooling2d({ name: "pool", poolSize: 2 }),
      new SeededDropout({ name: "dropout1", rate: 0.25 }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dense({ name: "fc1", units: 128, activation: "relu", ...init(9216) }),
      new SeededDropout({ name: "dropout2", rate: 0.5 }),
      tf.layers.dense({ name: "fc2", units: 10, activation: LOG_SOFTMAX, ...init(128) }),
    ],
  });
}

/** The dropout layers of a model, whose seeds {@link reseedDropout} sets before each step. */
function dropoutLayers(model: LayersModel): { seed?: number }[] {
  return model.layers.filter((l) => l.getClassName() === "Dropout") as unknown as {
    seed?: number;
  }[];
}

/**
 * Gives every dropout layer a fresh seed drawn from `rng`, so masks differ from step to step
 * yet repeat exactly for the same trial seed.
 */
export function reseedDropout(model: LayersModel, rng: Rng): void {
  for (const layer of dropoutLayers(model)) layer.seed = rng.nextUint32();
}

/** Removes the per-step dropout seeds (before saving, so the saved config is clean). */
export function clearDropoutSeeds(model: LayersModel): void {
  for (const layer of dropoutLayers(model)) layer.seed = undefined;
}

/** The model's trainable variables, in layer order. */
export function trainableVariables(model: LayersModel): Variable[] {
  return model.trainableWeights.map((w) => w.read() as Variable);
}
