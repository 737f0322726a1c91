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
import { backend_util } from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { sgemm } from "./backend/openblas.ts";
import { col2imAdd, epilogue, fillRows, im2col } from "./backend/kernels/conv2d.ts";
import { maxPool2x2 } from "./backend/kernels/pool.ts";
import { fillDropoutMask, SeededDropout } from "./dropout.ts";

type ConvInfo = backend_util.Conv2DInfo;

/** A convolution (stride 1, unpadded, bias, ReLU) of a fused plan. */
interface ConvStage {
  kernel: tf.Variable;
  bias: tf.Variable;
  /** Geometry for one image (the kernels offset by image). */
  info: ConvInfo;
}

/** A dense layer of a fused plan, with the dropout that follows it, if any. */
interface DenseStage {
  kernel: tf.Variable;
  bias: tf.Variable;
  inputs: number;
  units: number;
  /** ReLU for hidden layers; the last layer is log-softmax. */
  relu: boolean;
  dropout: SeededDropout | null;
}

/** What {@link planFusedStep} found in a model. */
export interface FusedPlan {
  /** Input height, width and channels. */
  input: [number, number, number];
  /** Convolutions in order; the last one feeds the 2x2 max pool. */
  convs: ConvStage[];
  /** Pooled height and width. */
  pooled: [number, number];
  poolDropout: SeededDropout | null;
  dense: DenseStage[];
}

function same(a: unknown, b: number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
}

function weightsOf(layer: tf.layers.Layer): [tf.Variable, tf.Variable] | null {
  const w = layer.trainableWeights;
  if (!layer.trainable || w.length !== 2) return null;
  return [w[0].read() as tf.Variable, w[1].read() as tf.Variable];
}

/**
 * Matches `model` against the layers the fused step covers: Conv2D (valid, stride 1, ReLU,
 * bias) one or more, MaxPooling2D 2x2 stride 2 valid, optional SeededDropout, Flatten, then
 * Dense layers (ReLU with bias, each optionally followed by SeededDropout) ending in a Dense
 * with log-softmax; channels last throughout. Returns the plan, or why it does not match.
 */
export function planFusedStep(model: tf.LayersModel): FusedPlan | string {
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
  const dropoutAt = (k: number): SeededDropout | null | string => {
    const l = layers[k];
    if (l?.getClassName() !== "Dropout") return null;
    return l instanceof SeededDropout ? l : `${l.name}: only SeededDropout is fused`;
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

/** Loss, correct count and (for tests) the gradients of one fused step. */
export interface FusedStepResult {
  /** Mean NLL over the batch. */
  loss: number;
  correct: number;
}

/** Rows per sgemm call of the shifted convolutions (keeps the operands in cache). */
const CHUNK_ROWS = 4096;

/** Values of a variable held by a CPU backend. */
function valuesOf(backend: MathBackendCPU, v: tf.Variable): Float32Array {
  return backend.data.get(v.dataId).values as Float32Array;
}

/** Offset in rows of filter tap (ky, kx) in a grid of width w. */
function tapShift(info: ConvInfo, tap: number): number {
  return Math.floor(tap / info.filterWidth) * info.inWidth + (tap % info.filterWidth);
}

/** Images per chunk of the shifted convolution for images of `imageRows` grid rows. */
function imagesPerChunk(imageRows: number): number {
  return Math.max(1, Math.floor(CHUNK_ROWS / imageRows));
}

/** Largest tap shift: the rows a shifted convolution reads past its last output. */
function maxShift(info: ConvInfo): number {
  return tapShift(info, info.filterHeight * info.filterWidth - 1);
}

/**
 * dst = act > 0 ? grad * mask : 0 (mask optional; dst may be grad), with per-channel sums of
 * dst added to `sums` when given (channels = sums.length). Branch-free on the bits of `act`.
 */
function reluGradInto(
  dst: Float32Array,
  grad: Float32Array,
  mask: Float32Array | null,
  act: Float32Array,
  sums: Float64Array | null,
) {
  const di = new Int32Array(dst.buffer, dst.byteOffset, dst.length);
  const ai = new Int32Array(act.buffer, act.byteOffset, dst.length);
  const n = dst.length;
  if (mask) { for (let i = 0; i < n; i++) dst[i] = grad[i] * mask[i]; }
  else if (dst !== grad) dst.set(grad.subarray(0, n));
  if (sums === null) {
    for (let i = 0; i < n; i++) {
      const v = ai[i];
      di[i] &= ~(v >> 31) & ((v | -v) >> 31);
    }
    return;
  }
  const c = sums.length;
  for (let i = 0; i < n;) {
    for (let k = 0; k < c; k++, i++) {
      const v = ai[i];
      di[i] &= ~(v >> 31) & ((v | -v) >> 31);
      sums[k] += dst[i];
    }
  }
}

/**
 * Writes pooled gradients `values` (or zeros, when null) to their argmax positions in `dz`;
 * argmax offsets count from the start of chunks of `per` images (`gridImage` and
 * `pooledImage` floats per image).
 */
function scatterPooled(
  dz: Float32Array,
  values: Float32Array | null,
  argmax: Int32Array,
  n: number,
  per: number,
  gridImage: number,
  pooledImage: number,
) {
  for (let n0 = 0; n0 < n; n0 += per) {
    const base = n0 * gridImage;
    const p1 = Math.min(n, n0 + per) * pooledImage;
    for (let i = n0 * pooledImage; i < p1; i++) {
      const at = argmax[i];
      if (at >= 0) dz[base + at] = values === null ? 0 : values[i];
    }
  }
}

/** Column sums of a rows x cols matrix into `out`. */
function columnSums(m: Float32Array, rows: number, cols: number, out: Float32Array) {
  const s = new Float64Array(cols);
  for (let r = 0, i = 0; r < rows; r++) for (let k = 0; k < cols; k++, i++) s[k] += m[i];
  out.set(s);
}

/** Per-batch-capacity buffers of a fused step. */
class Buffers {
  readonly capacity: number;
  /** im2col columns and ReLU outputs of the convolutions before the last. */
  cols: Float32Array[] = [];
  acts: Float32Array[] = [];
  /** Gradient w.r.t. each convolution's input (index j: input of conv j, j >= 1). */
  dIn: Float32Array[] = [];
  grid: Float32Array;
  /** dz of the last convolution at its input's resolution, after `lead` zero rows. */
  dzGrid: Float32Array;
  /** True while dzGrid is all zeros. */
  dzClean = true;
  argmax: Int32Array;
  pooled: Float32Array;
  poolMask: Float32Array;
  poolOut: Float32Array;
  dPool: Float32Array;
  dense: { act: Float32Array; mask: Float32Array; out: Float32Array; dz: Float32Array }[];

  constructor(plan: FusedPlan, n: number) {
    this.capacity = n;
    const convs = plan.convs;
    for (let j = 0; j < convs.length - 1; j++) {
      const { info } = convs[j];
      const rows = n * info.outHeight * info.outWidth;
      this.cols.push(
        new Float32Array(rows * info.filterHeight * info.filterWidth * info.inChannels),
      );
      this.acts.push(new Float32Array(rows * info.outChannels));
    }
    for (let j = 1; j < convs.length; j++) {
      const { info } = convs[j];
      this.dIn[j] = new Float32Array(n * info.inHeight * info.inWidth * info.inChannels);
    }
    const last = convs[convs.length - 1].info;
    const gridRows = n * last.inHeight * last.inWidth;
    const imageRows = last.inHeight * last.inWidth;
    this.grid = new Float32Array(
      Math.min(n, imagesPerChunk(imageRows)) * imageRows * last.outChannels,
    );
    this.dzGrid = new Float32Array((maxShift(last) + gridRows) * last.outChannels);
    const pooledSize = n * plan.pooled[0] * plan.pooled[1] * last.outChannels;
    this.argmax = new Int32Array(pooledSize);
    this.pooled = new Float32Array(pooledSize);
    this.poolMask = new Float32Array(plan.poolDropout ? pooledSize : 0);
    this.poolOut = plan.poolDropout ? new Float32Array(pooledSize) : this.pooled;
    this.dPool = new Float32Array(pooledSize);
    this.dense = plan.dense.map((d) => {
      const act = new Float32Array(n * d.units);
      const dropout = d.dropout !== null;
      return {
        act,
        mask: new Float32Array(dropout ? n * d.units : 0),
        out: dropout ? new Float32Array(n * d.units) : act,
        dz: new Float32Array(n * d.units),
      };
    });
  }
}

/** The training step of one model on the `blas` backend. */
export class FusedStep {
  readonly plan: FusedPlan;
  /** The trainable variables in the model's order, and their gradients after a step. */
  readonly vars: tf.Variable[];
  readonly grads: Float32Array[];
  /** When set, time spent per part of the step accumulates here (ms, by label). */
  profile: Map<string, number> | null = null;
  #buffers: Buffers | null = null;

  /** Prepares the step for a plan from {@link planFusedStep}. */
  constructor(plan: FusedPlan) {
    this.plan = plan;
    this.vars = [
      ...plan.convs.flatMap((c) => [c.kernel, c.bias]),
      ...plan.dense.flatMap((d) => [d.kernel, d.bias]),
    ];
    this.grads = this.vars.map((v) => new Float32Array(v.size));
  }

  /**
   * Forward and backward pass on a batch (`images` NHWC, `labels` class indices): fills
   * {@link grads} and returns the mean NLL and correct count. Variables are not changed.
   */
  computeGradients(images: Float32Array, labels: Uint8Array): FusedStepResult {
    const backend = tf.backend();
    if (!(backend instanceof MathBackendCPU)) throw new Error("fused step: needs the blas backend");
    const { plan } = this;
    const n = labels.length;
    const [ih, iw, ic] = plan.input;
    if (n === 0 || images.length !== n * ih * iw * ic) {
      throw new Error(`fused step: expected ${n} images of ${ih}x${iw}x${ic}`);
    }
    if (!this.#buffers || this.#buffers.capacity < n) this.#buffers = new Buffers(plan, n);
    const buf = this.#buffers;
    const value = (v: tf.Variable) => valuesOf(backend, v);
    const convs = plan.convs;
    const grads = this.grads;

    const profile = this.profile;
    let t0 = profile ? performance.now() : 0;
    const mark = (label: string) => {
      if (!profile) return;
      const now = performance.now();
      profile.set(label, (profile.get(label) ?? 0) + now - t0);
      t0 = now;
    };

    // Convolutions before the last: im2col, bias first, sgemm adds, ReLU.
    let input = images;
    for (let j = 0; j < convs.length - 1; j++) {
      const { info, kernel, bias } = convs[j];
      const rows = n * info.outHeight * info.outWidth;
      const k = info.filterHeight * info.filterWidth * info.inChannels;
      const co = info.outChannels;
      const col = buf.cols[j].subarray(0, rows * k);
      const act = buf.acts[j].subarray(0, rows * co);
      im2col(input, info, 0, n, col);
      fillRows(act, value(bias));
      sgemm(false, false, rows, co, k, 1, col, k, value(kernel), co, 1, act, co);
      epilogue(act, rows, co, null, true);
      input = act;
    }

    mark("forward: convolutions before the last");
    // The last convolution as shifted GEMMs into a grid at its input's resolution, then
    // max pool with argmax, bias and ReLU on the pooled values (max commutes with both).
    const last = convs[convs.length - 1];
    const li = last.info;
    const ci = li.inChannels, co = li.outChannels;
    const taps = li.filterHeight * li.filterWidth;
    const gridRows = n * li.inHeight * li.inWidth;
    const valid = gridRows - maxShift(li);
    const lastW = value(last.kernel);
    const [ph, pw] = plan.pooled;
    const pooledSize = n * ph * pw * co;
    const pooled = buf.pooled.subarray(0, pooledSize);
    const argmax = buf.argmax.subarray(0, pooledSize);
    const imageRows = li.inHeight * li.inWidth, pooledImage = ph * pw * co;
    // A few images at a time, pooled while their grid is still in cache; the argmax offsets
    // count from the start of their chunk (the backward pass walks the same chunks).
    const per = imagesPerChunk(imageRows);
    for (let n0 = 0; n0 < n; n0 += per) {
      const count = Math.min(per, n - n0);
      const r0 = n0 * imageRows, r1 = Math.min(valid, r0 + count * imageRows);
      const grid = buf.grid.subarray(0, count * imageRows * co);
      for (let t = 0; t < taps; t++) {
        const s = tapShift(li, t);
        sgemm(
          false,
          false,
          r1 - r0,
          co,
          ci,
          1,
          input.subarray((r0 + s) * ci, (r1 + s) * ci),
          ci,
          lastW.subarray(t * ci * co, (t + 1) * ci * co),
          co,
          t === 0 ? 0 : 1,
          grid,
          co,
        );
      }
      mark("forward: last convolution (sgemm)");
      const p0 = n0 * pooledImage, p1 = p0 + count * pooledImage;
      const pooledChunk = pooled.subarray(p0, p1);
      maxPool2x2(
        grid,
        pooledChunk,
        argmax.subarray(p0, p1),
        count,
        li.inHeight,
        li.inWidth,
        co,
        ph,
        pw,
      );
      epilogue(pooledChunk, count * ph * pw, co, value(last.bias), true);
      mark("forward: max pool, bias, ReLU");
    }

    let act = pooled;
    if (plan.poolDropout) {
      const mask = buf.poolMask.subarray(0, pooledSize);
      fillDropoutMask(mask, plan.poolDropout.rate, dropoutSeed(plan.poolDropout));
      act = buf.poolOut.subarray(0, pooledSize);
      for (let i = 0; i < pooledSize; i++) act[i] = pooled[i] * mask[i];
    }

    mark("forward: dropout after the pool");
    // Dense layers.
    const dense = plan.dense;
    const denseIn: Float32Array[] = [];
    for (let j = 0; j < dense.length; j++) {
      const d = dense[j];
      const b = buf.dense[j];
      denseIn.push(act);
      const z = b.act.subarray(0, n * d.units);
      fillRows(z, value(d.bias));
      sgemm(
        false,
        false,
        n,
        d.units,
        d.inputs,
        1,
        act,
        d.inputs,
        value(d.kernel),
        d.units,
        1,
        z,
        d.units,
      );
      if (d.relu) epilogue(z, n, d.units, null, true);
      act = z;
      if (d.dropout) {
        const mask = b.mask.subarray(0, n * d.units);
        fillDropoutMask(mask, d.dropout.rate, dropoutSeed(d.dropout));
        act = b.out.subarray(0, n * d.units);
        for (let i = 0; i < act.length; i++) act[i] = z[i] * mask[i];
      }
    }

    mark("forward: dense layers");
    // Log-softmax, loss, accuracy and its gradient (softmax - one-hot) / n.
    const outLayer = dense[dense.length - 1];
    const classes = outLayer.units;
    const logits = buf.dense[dense.length - 1].act;
    const dLogits = buf.dense[dense.length - 1].dz;
    let lossSum = 0, correct = 0;
    for (let r = 0; r < n; r++) {
      const o = r * classes;
      let max = -Infinity, best = 0;
      for (let k = 0; k < classes; k++) {
        if (logits[o + k] > max) {
          max = logits[o + k];
          best = k;
        }
      }
      let sum = 0;
      for (let k = 0; k < classes; k++) sum += Math.exp(logits[o + k] - max);
      const logSum = Math.log(sum);
      const label = labels[r];
      if (label >= classes) throw new Error(`fused step: label ${label} >= ${classes} classes`);
      for (let k = 0; k < classes; k++) {
        const logp = Math.fround(logits[o + k] - max - logSum);
        logits[o + k] = logp;
        dLogits[o + k] = (Math.exp(logp) - (k === label ? 1 : 0)) / n;
      }
      lossSum -= logits[o + label];
      if (best === label) correct++;
    }

    // Dense gradients, last to first; dL/d(input) of layer j lands in layer j-1's dz buffer,
    // where the previous layer's dropout mask and ReLU mask turn it into that layer's dz.
    const gradBase = 2 * convs.length;
    for (let j = dense.length - 1; j >= 0; j--) {
      const d = dense[j];
      const dz = buf.dense[j].dz.subarray(0, n * d.units);
      const gw = grads[gradBase + 2 * j];
      sgemm(
        true,
        false,
        d.inputs,
        d.units,
        n,
        1,
        denseIn[j],
        d.inputs,
        dz,
        d.units,
        0,
        gw,
        d.units,
      );
      columnSums(dz, n, d.units, grads[gradBase + 2 * j + 1]);
      const dInput = (j > 0 ? buf.dense[j - 1].dz : buf.dPool).subarray(0, n * d.inputs);
      const w = value(d.kernel);
      sgemm(false, true, n, d.inputs, d.units, 1, dz, d.units, w, d.units, 0, dInput, d.inputs);
      if (j > 0) {
        const p = dense[j - 1], pb = buf.dense[j - 1];
        const mask = p.dropout ? pb.mask.subarray(0, dInput.length) : null;
        reluGradInto(dInput, dInput, mask, pb.act, null);
      }
    }

    mark("backward: dense layers");
    // Max pool, bias and ReLU gradient: dz of the pooled values, scattered to the argmax.
    const dPool = buf.dPool.subarray(0, pooledSize);
    const biasSums = new Float64Array(co);
    reluGradInto(
      dPool,
      dPool,
      plan.poolDropout ? buf.poolMask.subarray(0, pooledSize) : null,
      pooled,
      biasSums,
    );
    grads[2 * (convs.length - 1) + 1].set(biasSums);
    const lead = maxShift(li) * co;
    const dzAll = buf.dzGrid;
    const dz = dzAll.subarray(lead, lead + gridRows * co);
    // The grid is zero but for what the last step scattered, which it cleared after use
    // (unless that step failed half-way).
    if (!buf.dzClean) dzAll.fill(0);
    buf.dzClean = false;
    scatterPooled(dz, dPool, argmax, n, per, imageRows * co, pooledImage);

    mark("backward: pool, ReLU, bias, scatter");
    // Filter gradient of the last convolution: per tap, dz^T x shifted, then transposed.
    const dwT = new Float32Array(taps * ci * co);
    const chunk = per * imageRows;
    for (let r0 = 0; r0 < valid; r0 += chunk) {
      const r1 = Math.min(valid, r0 + chunk);
      for (let t = 0; t < taps; t++) {
        const s = tapShift(li, t);
        sgemm(
          true,
          false,
          co,
          ci,
          r1 - r0,
          1,
          dz.subarray(r0 * co, r1 * co),
          co,
          input.subarray((r0 + s) * ci, (r1 + s) * ci),
          ci,
          r0 === 0 ? 0 : 1,
          dwT.subarray(t * ci * co, (t + 1) * ci * co),
          ci,
        );
      }
    }
    const gLastW = grads[2 * (convs.length - 1)];
    for (let t = 0; t < taps; t++) {
      const base = t * ci * co;
      for (let o = 0; o < co; o++) {
        for (let c = 0; c < ci; c++) gLastW[base + c * co + o] = dwT[base + o * ci + c];
      }
    }

    mark("backward: last convolution, filter (sgemm)");
    // Input gradient of the last convolution (when another convolution feeds it): per tap,
    // dz shifted back by the tap (the lead zero rows cover the start) times W[tap]^T.
    if (convs.length > 1) {
      const dIn = buf.dIn[convs.length - 1];
      for (let r0 = 0; r0 < gridRows; r0 += CHUNK_ROWS) {
        const r1 = Math.min(gridRows, r0 + CHUNK_ROWS);
        for (let t = 0; t < taps; t++) {
          const s = tapShift(li, t) * co;
          sgemm(
            false,
            true,
            r1 - r0,
            ci,
            co,
            1,
            dzAll.subarray(lead + r0 * co - s, lead + r1 * co - s),
            co,
            lastW.subarray(t * ci * co, (t + 1) * ci * co),
            co,
            t === 0 ? 0 : 1,
            dIn.subarray(r0 * ci, r1 * ci),
            ci,
          );
        }
      }
    }

    scatterPooled(dz, null, argmax, n, per, imageRows * co, pooledImage);
    buf.dzClean = true;
    mark("backward: last convolution, input (sgemm)");
    // The convolutions before the last, last to first: ReLU mask and bias sum, filter
    // gradient from the saved columns, input gradient through col2im (not for the images).
    for (let j = convs.length - 2; j >= 0; j--) {
      const { info, kernel } = convs[j];
      const rows = n * info.outHeight * info.outWidth;
      const k = info.filterHeight * info.filterWidth * info.inChannels;
      const cco = info.outChannels;
      const dzj = buf.dIn[j + 1].subarray(0, rows * cco);
      const sums = new Float64Array(cco);
      reluGradInto(dzj, dzj, null, buf.acts[j], sums);
      grads[2 * j + 1].set(sums);
      const col = buf.cols[j].subarray(0, rows * k);
      sgemm(true, false, k, cco, rows, 1, col, k, dzj, cco, 0, grads[2 * j], cco);
      if (j > 0) {
        sgemm(false, true, rows, k, cco, 1, dzj, cco, value(kernel), cco, 0, col, k);
        const dx = buf.dIn[j].subarray(0, n * info.inHeight * info.inWidth * info.inChannels);
        dx.fill(0);
        col2imAdd(col, info, 0, n, dx);
      }
    }
    mark("backward: convolutions before the last");
    return { loss: lossSum / n, correct };
  }
}

/** The dropout seed of the next step (random when the caller set none, as in the layer). */
function dropoutSeed(layer: SeededDropout): number {
  return layer.seed ?? Math.floor(Math.random() * 4294967296);
}

const cache = new WeakMap<tf.LayersModel, FusedStep | null>();

/** The fused step for `model`, or null when {@link planFusedStep} does not cover it (cached). */
export function fusedStepFor(model: tf.LayersModel): FusedStep | null {
  if (!cache.has(model)) {
    const plan = planFusedStep(model);
    cache.set(model, typeof plan === "string" ? null : new FusedStep(plan));
  }
  return cache.get(model)!;
}
