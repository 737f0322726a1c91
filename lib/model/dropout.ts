/**
 * Seeded dropout whose mask comes from a fast mulberry32 loop over a Float32Array (one
 * multiply per step) instead of tfjs' alea-driven `randomUniform`. It saves as a plain
 * Keras "Dropout" layer, so saved models load with stock `tf.loadLayersModel`.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { ConfigDict, Layer, Shape, Tensor } from "./tf_types.ts";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { alloc, fillDropoutMask } from "../blas/mod.ts";

/** Constructor arguments of {@link SeededDropout}. */
export interface SeededDropoutArgs {
  /** The layer's name in the model (tfjs makes one when absent). */
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

  /** The output has the input's shape. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  /**
   * Multiplies the input by a fresh mask of 0 and 1/(1 - rate) while training; the identity
   * otherwise.
   * @param inputs one tensor (or a list whose first is used)
   * @param kwargs `training: true` while a training step runs
   * @returns the masked input
   */
  override call(inputs: Tensor | Tensor[], kwargs: { training?: boolean }): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || this.rate === 0) return x;
    const seed = this.seed ?? Math.floor(Math.random() * 4294967296);
    const values = alloc(tf.backend() as MathBackendCPU, x.size);
    const mask = tf.tensor(fillDropoutMask(values, this.rate, seed), x.shape, "float32");
    const y = tf.mul(x, mask);
    mask.dispose(); // the gradient keeps its own reference while a tape records
    return y;
  }

  /** tfjs' Dropout configuration: the rate, no noise shape, no seed. */
  override getConfig(): ConfigDict {
    return { rate: this.rate, noiseShape: null, seed: null, ...super.getConfig() };
  }
}

/** What code that draws a {@link SeededDropout}'s mask itself (the fused step) reads of it. */
export interface SeededDropoutLayer {
  /** Fraction of inputs dropped while training, in [0, 1). */
  readonly rate: number;
  /** Seed of the next training call's mask; random when unset. */
  seed?: number;
}

/**
 * A new {@link SeededDropout} layer, as `tf.layers.dropout` makes tfjs' own.
 * @param args the layer's name and rate
 * @returns the layer, to add to a model
 * @example
 * ```ts
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2] }), seededDropout({ rate: 0.5 })] });
 * ```
 */
export function seededDropout(args: SeededDropoutArgs): Layer {
  return new SeededDropout(args);
}

/**
 * Whether `layer` is a {@link SeededDropout}.
 * @param layer any layer of a model
 * @returns true for a seeded dropout layer, whose rate and seed can then be read and set
 */
export function isSeededDropout(layer: unknown): layer is SeededDropoutLayer {
  return layer instanceof SeededDropout;
}
