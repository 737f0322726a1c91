/**
 * Seeded dropout whose mask comes from a fast mulberry32 loop over a Float32Array (one
 * multiply per step) instead of tfjs' alea-driven `randomUniform`. It saves as a plain
 * Keras "Dropout" layer, so saved models load with stock `tf.loadLayersModel`.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { alloc, fillDropoutMask } from "../blas/mod.ts";

/** Constructor arguments of {@link SeededDropout}. */
export interface SeededDropoutArgs {
  name?: string;
  /** Fraction of inputs dropped while training, in [0, 1). */
  rate: number;
}

/**
 * Dropout that draws its mask from the `seed` property (set per step by the caller; random
 * when unset) and is the identity at inference. Serialises as tfjs' "Dropout".
 */
export class SeededDropout extends tf.layers.Layer {
  /** The Keras class name it saves under (tfjs' own Dropout loads it). */
  static className = "Dropout";
  /** Fraction of inputs dropped while training. */
  readonly rate: number;
  /** Seed of the next training call's mask. */
  seed?: number;

  /** Creates the layer; throws when `rate` is outside [0, 1). */
  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new Error(`dropout rate must be in [0, 1), got ${args.rate}`);
    }
    this.rate = args.rate;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || this.rate === 0) return x;
    const seed = this.seed ?? Math.floor(Math.random() * 4294967296);
    const values = alloc(tf.backend() as MathBackendCPU, x.size);
    const mask = tf.tensor(fillDropoutMask(values, this.rate, seed), x.shape, "float32");
    const y = tf.mul(x, mask);
    mask.dispose(); // the gradient keeps its own reference while a tape records
    return y;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { rate: this.rate, noiseShape: null, seed: null, ...super.getConfig() };
  }
}
