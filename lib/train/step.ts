/**
 * One training step (forward, negative log-likelihood, backward, Adadelta update) and one
 * evaluation batch, on whichever TensorFlow.js backend is active.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { LayersModel, Scalar, Tensor, Variable } from "../model/mod.ts";
import type { Adadelta } from "../model/mod.ts";
import { NUM_CLASSES } from "../data/mod.ts";
import { fusedStepFor } from "./fused_step.ts";

/** Loss and number of correct predictions of one batch. */
export interface BatchResult {
  /** Mean NLL over the batch (train) or summed NLL (evaluation). */
  loss: number;
  /** Images of the batch whose most probable class is their label. */
  correct: number;
}

/** Mean negative log-likelihood of log-probabilities `logp` against one-hot `target`. */
export function nllLoss(logp: Tensor, target: Tensor): Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, target), 1)));
}

/** Counts rows of `logp` (batch x 10, row-major) whose argmax equals the label. */
export function countCorrect(logp: Float32Array | ArrayLike<number>, labels: Uint8Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    let bestValue = logp[i * NUM_CLASSES];
    for (let c = 1; c < NUM_CLASSES; c++) {
      const v = logp[i * NUM_CLASSES + c];
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    if (best === labels[i]) correct++;
  }
  return correct;
}

function inputs(images: Float32Array, oneHot: Float32Array, size: number) {
  return {
    x: tf.tensor4d(images, [size, 28, 28, 1]),
    y: tf.tensor2d(oneHot, [size, NUM_CLASSES]),
  };
}

/**
 * Runs one training step on a batch and updates the model's variables in place: the fused
 * step of `fused_step.ts` on the `blas` backend when it covers the model, else
 * {@link tapeTrainStep}.
 */
export function trainStep(
  model: LayersModel,
  vars: Variable[],
  optimizer: Adadelta,
  images: Float32Array,
  oneHot: Float32Array,
  labels: Uint8Array,
): BatchResult {
  const fused = tf.getBackend() === "blas" && optimizer.fused ? fusedStepFor(model) : null;
  if (fused === null) return tapeTrainStep(model, vars, optimizer, images, oneHot, labels);
  return fused.train(images, labels, optimizer);
}

/** One training step through TensorFlow.js' gradient tape (any backend). */
export function tapeTrainStep(
  model: LayersModel,
  vars: Variable[],
  optimizer: Adadelta,
  images: Float32Array,
  oneHot: Float32Array,
  labels: Uint8Array,
): BatchResult {
  const size = labels.length;
  return tf.tidy(() => {
    const { x, y } = inputs(images, oneHot, size);
    let out: Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      out = tf.keep(model.apply(x, { training: true }) as Tensor);
      return nllLoss(out, y);
    }, vars);
    optimizer.applyGradients(vars, vars.map((v) => grads[v.name]));
    const loss = value.dataSync()[0];
    const kept = out as Tensor | null;
    const correct = countCorrect(kept!.dataSync() as Float32Array, labels);
    kept!.dispose(); // kept out of the gradient's scope, so not freed by this tidy
    return { loss, correct };
  });
}

/**
 * Evaluates one batch without dropout; returns the summed NLL and the correct count. On
 * `blas`, through the fused step's forward pass when it covers the model.
 */
export function evalBatch(
  model: LayersModel,
  images: Float32Array,
  oneHot: Float32Array,
  labels: Uint8Array,
): BatchResult {
  const fused = tf.getBackend() === "blas" ? fusedStepFor(model) : null;
  if (fused !== null) {
    const r = fused.evaluate(images, labels);
    return { loss: r.lossSum, correct: r.correct };
  }
  const size = labels.length;
  return tf.tidy(() => {
    const { x, y } = inputs(images, oneHot, size);
    const out = model.apply(x, { training: false }) as Tensor;
    const lossSum = tf.neg(tf.sum(tf.mul(out, y)));
    return {
      loss: lossSum.dataSync()[0],
      correct: countCorrect(out.dataSync() as Float32Array, labels),
    };
  });
}
