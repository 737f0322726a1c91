/**
 * Serving a saved model: loading it (into the reference model's layers when it is one, so
 * evaluation runs exactly as during training), its accuracy and loss on a test split, and
 * the digit and probabilities for single images.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { LayersModel, Tensor } from "../model/mod.ts";
import { MNIST_MEAN, MNIST_STD, NUM_CLASSES } from "../data/mod.ts";
import { createModel, loadModel } from "../model/mod.ts";

/** A model directory that cannot be loaded; the message is one line. */
export class ModelDirError extends Error {
  /** The error's class name, as printed before the message. */
  override name = "ModelDirError";
}

/**
 * Loads a model saved by `--save-model` (`model.json` + `weights.bin`). A model with the
 * reference architecture comes back as the reference model with these weights, so the
 * `blas` backend evaluates it with the same fused passes as training did.
 * @param dir the model directory
 * @returns the model, ready to evaluate
 * @throws ModelDirError when the files are missing or not a tfjs layers model
 */
export async function loadServingModel(dir: string): Promise<LayersModel> {
  let loaded: LayersModel;
  try {
    loaded = await loadModel(dir);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound
      ? "no model.json or weights.bin there"
      : (err as Error).message.split("\n")[0];
    throw new ModelDirError(`--model ${dir}: cannot load a saved model (${why})`);
  }
  const reference = createModel(0);
  const same = reference.weights.length === loaded.weights.length &&
    reference.weights.every((w, i) => w.shape.join() === loaded.weights[i].shape.join());
  if (!same) {
    reference.dispose();
    return loaded;
  }
  reference.setWeights(loaded.getWeights());
  loaded.dispose();
  return reference;
}

/** The predicted digit and the probability of each class. */
export interface Prediction {
  /** The most probable digit, 0 to 9. */
  digit: number;
  /** The probability of each digit, indexed by digit; they sum to 1. */
  probabilities: number[];
}

/**
 * Classifies MNIST-form images (784 raw values in [0, 255] each, as `toMnist` makes them).
 * @param model a model with log-softmax outputs over 10 classes
 * @param images one array per image
 * @returns one prediction per image
 */
export function classify(model: LayersModel, images: Float32Array[]): Prediction[] {
  if (images.length === 0) return [];
  const logp = tf.tidy(() => {
    const x = new Float32Array(images.length * 784);
    images.forEach((img, i) => {
      for (let j = 0; j < 784; j++) x[i * 784 + j] = (img[j] / 255 - MNIST_MEAN) / MNIST_STD;
    });
    return (model.predict(tf.tensor4d(x, [images.length, 28, 28, 1])) as Tensor).dataSync();
  });
  return images.map((_, i) => {
    const probabilities = Array.from(
      { length: NUM_CLASSES },
      (_, c) => Math.exp(logp[i * NUM_CLASSES + c]),
    );
    const digit = probabilities.indexOf(Math.max(...probabilities));
    return { digit, probabilities };
  });
}

/** One line for a prediction: `FILE: 7 | 0=0.0000 1=0.0001 ... 9=0.0002`. */
export function predictionLine(name: string, p: Prediction): string {
  return `${name}: ${p.digit} | ${p.probabilities.map((q, c) => `${c}=${q.toFixed(4)}`).join(" ")}`;
}
