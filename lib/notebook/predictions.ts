/**
 * A model's predictions on a split and what they tell: the predicted labels, the confusion
 * matrix, the misclassified images, and how often each class occurs.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { LayersModel, Tensor } from "../model/mod.ts";
import { NUM_CLASSES, orderedBatches, type Split } from "../data/mod.ts";

/** The predicted class of every image of `split` (argmax of the model's output, no dropout). */
export function predictLabels(
  model: LayersModel,
  split: Split,
  batchSize = 1000,
): Uint8Array {
  const out = new Uint8Array(split.count);
  let offset = 0;
  for (const b of orderedBatches(split, batchSize)) {
    const scores = tf.tidy(() => {
      const x = tf.tensor4d(b.images, [b.size, 28, 28, 1]);
      return (model.apply(x, { training: false }) as Tensor).dataSync() as Float32Array;
    });
    for (let i = 0; i < b.size; i++) {
      let best = 0;
      for (let c = 1; c < NUM_CLASSES; c++) {
        if (scores[i * NUM_CLASSES + c] > scores[i * NUM_CLASSES + best]) best = c;
      }
      out[offset + i] = best;
    }
    offset += b.size;
  }
  return out;
}

/**
 * The confusion matrix: `m[t][p]` counts images of true class `t` predicted as `p`.
 * Throws a RangeError when the arrays differ in length or hold a class outside 0..classes-1.
 */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  classes = NUM_CLASSES,
): number[][] {
  if (labels.length !== predictions.length) {
    throw new RangeError(`${labels.length} labels but ${predictions.length} predictions`);
  }
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new RangeError(`class out of range at ${i}: label ${t}, prediction ${p}`);
    }
    m[t][p]++;
  }
  return m;
}

/** Indices where the prediction differs from the label, at most `limit` of them. */
export function misclassified(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  limit = Infinity,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < limit; i++) {
    if (labels[i] !== predictions[i]) out.push(i);
  }
  return out;
}

/** How many times each class 0-9 occurs in `labels`. */
export function labelCounts(labels: ArrayLike<number>): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}
