/**
 * The training step of a Sequential conv -> max pool -> dense classifier written out by hand
 * for the `blas` backend: no gradient tape, activations in buffers reused from step to step,
 * and ReLU, bias, pooling and dropout folded into the passes around OpenBLAS sgemm. The last
 * convolution runs as nine shifted GEMMs at its input's resolution and the max pool reads
 * that grid directly; its gradient is scattered back into a zero-padded grid so the filter
 * and input gradients are shifted GEMMs too (no im2col). Models it does not cover (see
 * {@link planFusedStep}) train through the tape.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { LayersModel, Variable } from "../model/mod.ts";
import { backend_util } from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import {
  blasThreads,
  buildContext,
  type Context,
  type ConvInfo,
  FusedHelper,
  type Layout,
  Phase,
  rowsPhase,
  setThreads,
  weightsPhase,
} from "../blas/mod.ts";
import { type Adadelta, isSeededDropout, type SeededDropoutLayer } from "../model/mod.ts";

/** A convolution (stride 1, unpadded, bias, ReLU) of a fused plan. */
export interface ConvStage {
  /** The filter, HWIO (height, width, input channels, output channels). */
  kernel: Variable;
  /** One bias per output channel. */
  bias: Variable;
  /** Geometry for one image (the kernels offset by image). */
  info: ConvInfo;
}

/** A dense layer of a fused plan, with the dropout that follows it, if any. */
export interface DenseStage {
  /** The weights, `inputs` x `units`, row-major. */
  kernel: Variable;
  /** One bias per unit. */
  bias: Variable;
  /** Inputs of the layer (units of the layer before, or the flattened pool). */
  inputs: number;
  /** Output units of the layer. */
  units: number;
  /** ReLU for hidden layers; the last layer is log-softmax. */
  relu: boolean;
  /** The dropout layer right after this one, or null. */
  dropout: SeededDropoutLayer | null;
}

/** What {@link planFusedStep} found in a model. */
export interface FusedPlan {
  /** Input height, width and channels. */
  input: [number, number, number];
  /** Convolutions in order; the last one feeds the 2x2 max pool. */
  convs: ConvStage[];
  /** Pooled height and width. */
  pooled: [number, number];
  /** The dropout layer right after the pool, or null. */
  poolDropout: SeededDropoutLayer | null;
  /** The dense layers, input to output. */
  dense: DenseStage[];
}

function same(a: unknown, b: number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
}

function weightsOf(layer: tf.layers.Layer): [Variable, Variable] | null {
  const w = layer.trainableWeights;
  if (!layer.trainable || w.length !== 2) return null;
  return [w[0].read() as Variable, w[1].read() as Variable];
}

/**
 * Matches `model` against the layers the fused step covers: Conv2D (valid, stride 1, ReLU,
 * bias) one or more, MaxPooling2D 2x2 stride 2 valid, optional SeededDropout, Flatten, then
 * Dense layers (ReLU with bias, each optionally followed by SeededDropout) ending in a Dense
 * with log-softmax; channels last throughout. Returns the plan, or why it does not match.
 */
export function planFusedStep(model: LayersModel): FusedPlan | string {
  if (!(model instanceof tf.Sequential)) return "not a Sequential model";
  const layers = model.layers;
  const inShape = model.inputs[0].shape;
  if (inShape.length !== 4) return "input is not [batch, height, width, channels]";
  let [h, w, c] = inShape.slice(1) as number[];
  const convs: ConvStage[] = [];
  let i = 0;
  for (; i < layers.length && layers[i].getClassName() === "Conv2D"; i++) {
    const cfg = layers[i].getConfig();
    const weights = weightsOf(layers[i]);
    if (
      !same(cfg.strides, [1, 1]) || cfg.padding !== "valid" || !same(cfg.dilationRate, [1, 1]) ||
      cfg.dataFormat !== "channelsLast" || cfg.activation !== "relu" || weights === null
    ) {
      return `${layers[i].name}: needs stride 1, valid padding, ReLU, bias, channels last`;
    }
    const [kernel, bias] = weights;
    const [kh, kw, ci, co] = kernel.shape;
    if (ci !== c || kh > h || kw > w) return `${layers[i].name}: kernel does not fit its input`;
    const info = backend_util.computeConv2DInfo(
      [1, h, w, c],
      [kh, kw, ci, co],
      1,
      1,
      "valid",
    );
    convs.push({ kernel, bias, info });
    [h, w, c] = [info.outHeight, info.outWidth, co];
  }
  if (convs.length === 0) return "does not start with a Conv2D layer";
  const pool = layers[i++];
  const poolCfg = pool?.getConfig();
  if (
    pool?.getClassName() !== "MaxPooling2D" || !same(poolCfg!.poolSize, [2, 2]) ||
    !same(poolCfg!.strides, [2, 2]) || poolCfg!.padding !== "valid" || h < 2 || w < 2
  ) {
    return "the convolutions must feed a 2x2, stride 2, valid MaxPooling2D";
  }
  const pooled: [number, number] = [Math.floor(h / 2), Math.floor(w / 2)];
  const dropoutAt = (k: number): SeededDropoutLayer | null | string => {
    const l = layers[k];
    if (l?.getClassName() !== "Dropout") return null;
    return isSeededDropout(l) ? l : `${l.name}: only SeededDropout is fused`;
  };
  const poolDropout = dropoutAt(i);
  if (typeof poolDropout === "string") return poolDropout;
  if (poolDropout) i++;
  if (layers[i++]?.getClassName() !== "Flatten") return "the pool must feed a Flatten layer";
  let inputs = pooled[0] * pooled[1] * c;
  const dense: DenseStage[] = [];
  while (i < layers.length) {
    const layer = layers[i++];
    const cfg = layer.getConfig();
    const weights = weightsOf(layer);
    if (layer.getClassName() !== "Dense" || weights === null) {
      return `${layer.name}: expected a Dense layer with bias`;
    }
    const [kernel, bias] = weights;
    const last = i === layers.length;
    const activation = last ? "logSoftmax" : "relu";
    if (cfg.activation !== activation) return `${layer.name}: needs ${activation}`;
    const dropout = dropoutAt(i);
    if (typeof dropout === "string") return dropout;
    if (dropout) {
      if (i === layers.length - 1) return `${layers[i].name}: dropout after the output layer`;
      i++;
    }
    const [kin, units] = kernel.shape as number[];
    if (kin !== inputs) return `${layer.name}: expects ${kin} inputs, gets ${inputs}`;
    dense.push({ kernel, bias, inputs, units, relu: !last, dropout });
    inputs = units;
  }
  if (dense.length === 0) return "no Dense output layer";
  return { input: inShape.slice(1) as [number, number, number], convs, pooled, poolDropout, dense };
}

/** Mean loss and correct count of one fused step. */
export interface FusedStepResult {
  /** Mean NLL over the batch. */
  loss: number;
  /** Images of the batch whose most probable class is their label. */
  correct: number;
}

/** The layout (shapes only) of a plan for batches of up to `capacity`. */
function layoutOf(plan: FusedPlan, capacity: number): Layout {
  return {
    capacity,
    input: plan.input,
    convs: plan.convs.map((c) => c.info),
    pooled: plan.pooled,
    poolDropout: plan.poolDropout?.rate ?? null,
    dense: plan.dense.map((d) => ({
      inputs: d.inputs,
      units: d.units,
      relu: d.relu,
      dropout: d.dropout?.rate ?? null,
    })),
  };
}

/** Images per piece of {@link FusedStep.evaluate} when no training batch set the size. */
const EVAL_PIECE = 128;

/** The dropout seed of the next step (random when the caller set none, as in the layer). */
function dropoutSeed(layer: SeededDropoutLayer): number {
  return layer.seed ?? Math.floor(Math.random() * 4294967296);
}

/**
 * The training step of one model on the `blas` backend. Each step splits the batch in two
 * halves, one per thread (this one and a helper), in two phases: forward pass, loss and
 * input gradients ({@link rowsPhase}), then weight gradients ({@link weightsPhase}); BLAS
 * runs single-threaded inside each. The variables' values move into SharedArrayBuffers.
 */
export class FusedStep {
  /** The model's layers as the fused kernels run them. */
  readonly plan: FusedPlan;
  /** The trainable variables, kernel then bias per layer (convolutions first). */
  readonly vars: Variable[];
  /** Threads for a step: 2 uses a helper thread, 1 runs both halves here (same results). */
  threads: number;
  /** When set, time spent per phase accumulates here (ms, by label). */
  profile: Map<string, number> | null = null;
  #ctx: Context | null = null;
  #helper: FusedHelper | null = null;
  /**
   * What the dz grid holds: null when all zeros, else the batch size of the step that
   * scattered into it (which the next step of that size clears), or "unknown" after a step
   * that failed half-way.
   */
  #scattered: number | "unknown" | null = null;

  /**
   * Prepares the step for a plan from {@link planFusedStep}; `threads` defaults to 2 when
   * BLAS was given at least 2 threads.
   */
  constructor(plan: FusedPlan, threads?: number) {
    this.plan = plan;
    this.threads = threads ?? Math.min(2, blasThreads() ?? 1);
    this.vars = [
      ...plan.convs.flatMap((c) => [c.kernel, c.bias]),
      ...plan.dense.flatMap((d) => [d.kernel, d.bias]),
    ];
  }

  /** Gradients of the last {@link computeGradients}, same order as {@link vars}. */
  get grads(): Float32Array[] {
    if (!this.#ctx) throw new Error("fused step: no step computed yet");
    return this.#ctx.grads;
  }

  /** Stops the helper thread (a later step starts a new one). */
  close(): void {
    this.#helper?.close();
    this.#helper = null;
  }

  /**
   * The context for a batch of n: rebuilt when the batch outgrows it, a variable's values
   * are not the shared arrays it views (moving them into SharedArrayBuffers), or the
   * optimizer's state is not the one it updates.
   */
  #context(backend: MathBackendCPU, n: number, optimizer: Adadelta | null): Context {
    let moved = false;
    const values = this.vars.map((v) => {
      const data = backend.data.get(v.dataId);
      const current = data.values as Float32Array;
      if (current.buffer instanceof SharedArrayBuffer && current.length === v.size) {
        return current;
      }
      const shared = new Float32Array(new SharedArrayBuffer(4 * v.size));
      shared.set(current.subarray(0, v.size));
      data.values = shared;
      moved = true;
      return shared;
    });
    // Without an optimizer (gradients only, evaluation) any state will do.
    const ctx = this.#ctx;
    const state = optimizer
      ? this.plan.dense.map((d) => optimizer.flatState(d.kernel))
      : ctx?.state ?? [];
    if (
      !moved && ctx !== null && ctx.layout.capacity >= n &&
      ctx.weights.every((w, i) => w === values[i]) &&
      ctx.state.length === state.length &&
      ctx.state.every((s, j) => s.squareAvg.buffer === state[j].squareAvg.buffer)
    ) {
      return ctx;
    }
    this.close();
    const fresh = buildContext(
      layoutOf(this.plan, Math.max(n, ctx?.layout.capacity ?? 0)),
      values.map((v) => v.buffer as SharedArrayBuffer),
      state.flatMap((s) => [s.squareAvg.buffer, s.accDelta.buffer] as SharedArrayBuffer[]),
    );
    // buildContext made its own views of the weights; use the variables' arrays themselves.
    fresh.weights = values;
    this.#ctx = fresh;
    this.#scattered = null;
    return fresh;
  }

  /**
   * Runs a phase for both halves, here and on the helper or both here, with BLAS on one
   * thread either way (so that results do not depend on the thread count).
   */
  #run(phase: number, n: number, h: number, numbers: number[], clear: boolean) {
    const ctx = this.#ctx!;
    const here = (t: number, n0: number, n1: number) => {
      if (phase === Phase.rows) rowsPhase(ctx, t, n, n0, n1, numbers, clear);
      else if (phase === Phase.evaluate) rowsPhase(ctx, t, n, n0, n1, [], false, false);
      else weightsPhase(ctx, t, n, n0, n1, numbers.length > 0 ? numbers : null);
    };
    const before = blasThreads();
    setThreads(1);
    try {
      if (this.threads < 2) {
        here(0, 0, h);
        here(1, h, n);
        return;
      }
      this.#helper ??= new FusedHelper(ctx);
      if (!this.#helper.start(phase, 1, n, h, n, numbers, clear)) {
        // It ended after being idle: start another.
        this.#helper = new FusedHelper(ctx);
        if (!this.#helper.start(phase, 1, n, h, n, numbers, clear)) {
          throw new Error("fused step: the helper thread did not take the phase");
        }
      }
      try {
        here(0, 0, h);
      } finally {
        this.#helper.wait();
      }
    } finally {
      if (before !== null) setThreads(before);
    }
  }

  /**
   * Forward and backward pass on a batch (`images` NHWC, `labels` class indices): fills
   * {@link grads} and returns the mean NLL and correct count. Variables are not changed.
   */
  computeGradients(images: Float32Array, labels: Uint8Array): FusedStepResult {
    return this.#step(images, labels, null);
  }

  /**
   * Inference on `images` (no dropout), in pieces of the training batch size, both
   * threads: the summed NLL against `labels` and the correct count.
   */
  evaluate(images: Float32Array, labels: Uint8Array): { lossSum: number; correct: number } {
    const backend = tf.backend();
    if (!(backend instanceof MathBackendCPU)) throw new Error("fused step: needs the blas backend");
    const [ih, iw, ic] = this.plan.input;
    const size = ih * iw * ic;
    if (images.length !== labels.length * size) {
      throw new Error(`fused step: expected ${labels.length} images of ${ih}x${iw}x${ic}`);
    }
    this.#checkLabels(labels);
    const piece = Math.max(this.#ctx?.layout.capacity ?? 0, EVAL_PIECE);
    let lossSum = 0, correct = 0;
    for (let i = 0; i < labels.length; i += piece) {
      const n = Math.min(piece, labels.length - i);
      const ctx = this.#context(backend, n, null);
      ctx.images.set(images.subarray(i * size, (i + n) * size));
      ctx.labels.set(labels.subarray(i, i + n));
      // The pool's argmax gets overwritten: the next step cannot clear by it.
      if (this.#scattered !== null) this.#scattered = "unknown";
      this.#run(Phase.evaluate, n, n >> 1, [], false);
      const { sums, slots } = ctx;
      lossSum += sums[slots.loss] + sums[slots.size + slots.loss];
      correct += sums[slots.loss + 1] + sums[slots.size + slots.loss + 1];
    }
    return { lossSum, correct };
  }

  #checkLabels(labels: Uint8Array) {
    const classes = this.plan.dense[this.plan.dense.length - 1].units;
    for (const label of labels) {
      if (label >= classes) throw new Error(`fused step: label ${label} >= ${classes} classes`);
    }
  }

  /**
   * One training step: {@link computeGradients}, then `optimizer`'s update of every
   * variable (the dense kernels' on both threads, within the weight-gradient phase).
   */
  train(images: Float32Array, labels: Uint8Array, optimizer: Adadelta): FusedStepResult {
    return this.#step(images, labels, optimizer);
  }

  #step(images: Float32Array, labels: Uint8Array, optimizer: Adadelta | null): FusedStepResult {
    const backend = tf.backend();
    if (!(backend instanceof MathBackendCPU)) throw new Error("fused step: needs the blas backend");
    const { plan } = this;
    const n = labels.length;
    const [ih, iw, ic] = plan.input;
    if (n === 0 || images.length !== n * ih * iw * ic) {
      throw new Error(`fused step: expected ${n} images of ${ih}x${iw}x${ic}`);
    }
    this.#checkLabels(labels);
    const profile = this.profile;
    let t0 = profile ? performance.now() : 0;
    const mark = (label: string) => {
      if (!profile) return;
      const now = performance.now();
      profile.set(label, (profile.get(label) ?? 0) + now - t0);
      t0 = now;
    };

    const ctx = this.#context(backend, n, optimizer);
    ctx.images.set(images);
    ctx.labels.set(labels);
    const seeds = [plan.poolDropout, ...plan.dense.map((d) => d.dropout)]
      .filter((d): d is SeededDropoutLayer => d !== null)
      .map(dropoutSeed);
    // The dz grid holds the last step's scatter: the threads clear their own images when
    // the halves are the same as then, else it is cleared here.
    const clear = this.#scattered === n;
    if (this.#scattered !== null && !clear) ctx.dzGrid.fill(0);
    this.#scattered = "unknown"; // until the phase below completes
    const h = n >> 1;
    mark("setup");
    this.#run(Phase.rows, n, h, seeds, clear);
    this.#scattered = n;
    mark("forward, loss, input gradients (2 halves)");
    const update = optimizer ? [optimizer.learningRate, optimizer.rho, optimizer.eps] : [];
    this.#run(Phase.weights, n, h, update, false);
    mark("weight gradients (2 halves)");

    // Add up the two halves' partial results.
    const { slots, sums, convDw, grads } = ctx;
    const other = slots.size;
    const convs = ctx.layout.convs;
    convs.forEach((info, j) => {
      const g = grads[2 * j], a = convDw[0][j], b = convDw[1][j];
      if (j < convs.length - 1) {
        for (let i = 0; i < g.length; i++) g[i] = a[i] + b[i];
      } else {
        // Stored per tap as [out][in]; the kernel is [in][out].
        const ci = info.inChannels, co = info.outChannels;
        for (let base = 0; base < g.length; base += ci * co) {
          for (let o = 0; o < co; o++) {
            for (let c = 0; c < ci; c++) {
              const at = base + o * ci + c;
              g[base + c * co + o] = a[at] + b[at];
            }
          }
        }
      }
      const bias = grads[2 * j + 1], s = slots.conv[j];
      for (let k = 0; k < bias.length; k++) bias[k] = sums[s + k] + sums[other + s + k];
    });
    ctx.layout.dense.forEach((_, j) => {
      const bias = grads[2 * convs.length + 2 * j + 1], s = slots.dense[j];
      for (let k = 0; k < bias.length; k++) bias[k] = sums[s + k] + sums[other + s + k];
    });
    const lossSum = sums[slots.loss] + sums[other + slots.loss];
    const correct = sums[slots.loss + 1] + sums[other + slots.loss + 1];
    mark("add up the halves");
    if (optimizer) {
      // The dense kernels were updated in the weights phase; the rest here.
      const rest = this.vars.map((_, i) => i).filter((i) =>
        i < 2 * convs.length || (i - 2 * convs.length) % 2 === 1
      );
      optimizer.applyArrays(rest.map((i) => this.vars[i]), rest.map((i) => grads[i]));
      mark("Adadelta (convolutions, biases)");
    }
    return { loss: lossSum / n, correct };
  }
}

const cache = new WeakMap<LayersModel, FusedStep | null>();

/** The fused step for `model`, or null when {@link planFusedStep} does not cover it (cached). */
export function fusedStepFor(model: LayersModel): FusedStep | null {
  if (!cache.has(model)) {
    const plan = planFusedStep(model);
    cache.set(model, typeof plan === "string" ? null : new FusedStep(plan));
  }
  return cache.get(model)!;
}
