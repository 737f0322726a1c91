/**
 * The work of the fused training step (see `lib/train/fused_step.ts`), written so that two threads
 * can each take half: {@link rowsPhase} runs one range of images through the whole
 * forward pass, the loss, the dense layers' input gradients and the max pool's gradient;
 * {@link weightsPhase} computes that range's share of the weight gradients. Every array
 * lives in the shared wasm memory of a {@link Context}, which the main thread and its helper
 * build alike from one {@link Layout}. No TensorFlow.js import: the helper loads this cheaply.
 * @module
 */

import { sgemm } from "./openblas.ts";
import {
  CHUNK_ROWS,
  col2imAdd,
  type ConvInfo,
  epilogue,
  fillRows,
  im2col,
  imagesPerChunk,
  maxPool2x2,
} from "./kernels/loops.ts";
import { type Kernels, laidOut, type Placement } from "./_wasm.ts";
import { dropoutThreshold } from "./_dropout_mask.ts";
import { adadeltaUpdate } from "./_adadelta_update.ts";
import {
  type Winograd,
  winograd,
  WINOGRAD_IMAGES,
  winogradApplies,
  type WinogradFilterGradient,
  winogradFilterGradient,
  type WinogradInputGradient,
  winogradInputGradient,
} from "./_winograd.ts";

/** One thread's Winograd passes of the last convolution. */
export interface ThreadWinograd {
  /** The forward pass, pooled. */
  forward: Winograd;
  /** The filter gradient. */
  filterGradient: WinogradFilterGradient;
  /** The input gradient. */
  inputGradient: WinogradInputGradient;
}

/** A dense layer's shape and what follows it. */
export interface DenseLayout {
  /** Inputs of the layer (units of the layer before, or the flattened pool). */
  inputs: number;
  /** Output units of the layer. */
  units: number;
  /** ReLU for hidden layers; the last layer is log-softmax. */
  relu: boolean;
  /** Dropout rate after the layer, or null. */
  dropout: number | null;
}

/** Everything both threads need to build the same {@link Context}: shapes, no data. */
export interface Layout {
  /** Largest batch the arrays hold. */
  capacity: number;
  /** Input height, width, channels. */
  input: [number, number, number];
  /** Geometry of each convolution for one image (stride 1, unpadded). */
  convs: ConvInfo[];
  /** Pooled height and width. */
  pooled: [number, number];
  /** Dropout rate after the pool, or null. */
  poolDropout: number | null;
  /** The dense layers, input to output. */
  dense: DenseLayout[];
}

/** Images per chunk of the last convolution (Winograd's, or a shifted GEMM's over its grid). */
function lastConvImages(layout: Layout): number {
  const info = layout.convs[layout.convs.length - 1];
  return winogradApplies(info) ? WINOGRAD_IMAGES : imagesPerChunk(info.inHeight * info.inWidth);
}

/** Offset in rows of filter tap t in a grid of the convolution's input width. */
function tapShift(info: ConvInfo, t: number): number {
  return Math.floor(t / info.filterWidth) * info.inWidth + (t % info.filterWidth);
}

/** Largest tap shift: the rows a shifted convolution reads past its last output. */
export function maxShift(info: ConvInfo): number {
  return tapShift(info, info.filterHeight * info.filterWidth - 1);
}

/**
 * The last convolution of `layout` for a batch of n: its index and geometry, channels, taps,
 * grid rows per image, and the grid rows whose outputs can be valid (the rest read past the
 * batch).
 */
function lastConv(layout: Layout, n: number) {
  const lc = layout.convs.length - 1;
  const li = layout.convs[lc];
  const imageRows = li.inHeight * li.inWidth;
  return {
    lc,
    li,
    ci: li.inChannels,
    co: li.outChannels,
    taps: li.filterHeight * li.filterWidth,
    imageRows,
    valid: n * imageRows - maxShift(li),
  };
}

/** Where each thread's partial sums sit in {@link Context.sums}. */
export interface SumSlots {
  /** Per convolution: bias gradient (channels). */
  conv: number[];
  /** Per dense layer: bias gradient (units). */
  dense: number[];
  /** Loss sum, then correct count. */
  loss: number;
  /** Floats per thread. */
  size: number;
}

function sumSlots(layout: Layout): SumSlots {
  let at = 0;
  const conv = layout.convs.map((c) => (at += c.outChannels) - c.outChannels);
  const dense = layout.dense.map((d) => (at += d.units) - d.units);
  return { conv, dense, loss: at, size: at + 2 };
}

/**
 * The arrays of the fused step, in one shared wasm memory (weights and Adadelta state
 * excepted: the variables' own SharedArrayBuffers).
 */
export interface Context {
  /** The shapes every array below is sized by. */
  layout: Layout;
  /** The shared memory behind the arrays below (weights and state excepted). */
  memory: WebAssembly.Memory;
  /** This thread's instance of the wasm kernels, on {@link memory}. */
  wasm: Kernels;
  /** Per thread: the last convolution's Winograd passes on {@link memory}, or null (direct). */
  winograd: ThreadWinograd[] | null;
  /** The variables' values, kernel then bias per layer (convolutions first). */
  weights: Float32Array[];
  /** Gradients, same order as `weights`. */
  grads: Float32Array[];
  /** The batch's normalised images, NHWC, `capacity` of them at most. */
  images: Float32Array;
  /** The batch's labels, digits 0 to 9. */
  labels: Int32Array;
  /** im2col columns and ReLU outputs of the convolutions before the last. */
  cols: Float32Array[];
  /** ReLU outputs of the convolutions before the last (the next one's input), NHWC. */
  acts: Float32Array[];
  /** Gradient w.r.t. the input of convolution j (j >= 1). */
  dIn: Float32Array[];
  /** Per thread: one chunk of the last convolution's output at its input's resolution. */
  grids: Float32Array[];
  /** dz of the last convolution at its input's resolution, after maxShift zero rows. */
  dzGrid: Float32Array;
  /** Per pooled value: the offset of the maximum it took, for the pool's gradient. */
  argmax: Int32Array;
  /** The 2x2 max pool of the last convolution's ReLU output, NHWC. */
  pooled: Float32Array;
  /** The pool's dropout mask (0 or 1/(1 - rate)); empty without pool dropout. */
  poolMask: Float32Array;
  /** The pool's output after dropout (the dense layers' input); `pooled` itself without dropout. */
  poolOut: Float32Array;
  /** Gradient of the loss w.r.t. the pool's output. */
  dPool: Float32Array;
  /** Per dense layer: its ReLU output, dropout mask, output after dropout (`act` without dropout) and gradient w.r.t. its pre-activation. */
  dense: { act: Float32Array; mask: Float32Array; out: Float32Array; dz: Float32Array }[];
  /** Per thread, per convolution: partial filter gradient (the last one transposed). */
  convDw: Float32Array[][];
  /** Per thread: partial sums at {@link SumSlots} offsets. */
  sums: Float64Array;
  /** Where each partial sum sits in `sums`. */
  slots: SumSlots;
  /** Adadelta state of each dense kernel, when the weights phase updates them. */
  state: { squareAvg: Float32Array; accDelta: Float32Array }[];
}

/** Bytes at the start of a context's memory that hold no array (so no array sits at 0). */
const RESERVED_BYTES = 1024;

/**
 * Builds the context of `layout` on `weights` (SharedArrayBuffers of the variables' values,
 * kernel then bias per layer) and `state` (the dense kernels' Adadelta state, square average
 * then accumulated delta per layer, or none): its arrays in a new shared wasm memory, or in
 * `memory` from another thread's context of the same layout (the same offsets), with this
 * thread's instance of the wasm kernels on it.
 * @throws Error naming the module (`WASM_PATH`) when it was not built or is out of date
 */
export function buildContext(
  layout: Layout,
  weights: SharedArrayBuffer[],
  state: SharedArrayBuffer[],
  memory?: WebAssembly.Memory,
): Context {
  return laidOut((on) => arrays(layout, weights, state, on), RESERVED_BYTES, memory).value;
}

/** The context's arrays of `layout`, taken from `on`'s arena in a fixed order. */
function arrays(
  layout: Layout,
  weights: SharedArrayBuffer[],
  state: SharedArrayBuffer[],
  on: Placement,
): Context {
  const { arena } = on;
  const f32 = (n: number) => arena.f32(n);
  const n = layout.capacity;
  const convs = layout.convs;
  const last = convs[convs.length - 1];
  const co = last.outChannels;
  const gridRows = n * last.inHeight * last.inWidth;
  const pooledSize = n * layout.pooled[0] * layout.pooled[1] * co;
  const perImages = Math.min(n, lastConvImages(layout));
  const weightViews = weights.map((b) => new Float32Array(b));
  const slots = sumSlots(layout);
  const ctx: Context = {
    layout,
    // Null only while the arena measures (the context is then dropped).
    memory: arena.memory!,
    wasm: on.kernels!,
    winograd: winogradApplies(last)
      ? [0, 1].map(() => ({
        forward: winograd(last, perImages, on),
        filterGradient: winogradFilterGradient(last, perImages, on),
        inputGradient: winogradInputGradient(last, perImages, on),
      }))
      : null,
    weights: weightViews,
    grads: weightViews.map((w) => f32(w.length)),
    images: f32(n * layout.input[0] * layout.input[1] * layout.input[2]),
    labels: arena.i32(n),
    cols: convs.slice(0, -1).map((c) =>
      f32(n * c.outHeight * c.outWidth * c.filterHeight * c.filterWidth * c.inChannels)
    ),
    acts: convs.slice(0, -1).map((c) => f32(n * c.outHeight * c.outWidth * c.outChannels)),
    dIn: convs.map((c, j) => f32(j === 0 ? 0 : n * c.inHeight * c.inWidth * c.inChannels)),
    grids: [0, 1].map(() => f32(perImages * last.inHeight * last.inWidth * co)),
    dzGrid: f32((maxShift(last) + gridRows) * co),
    argmax: arena.i32(pooledSize),
    pooled: f32(pooledSize),
    poolMask: f32(layout.poolDropout === null ? 0 : pooledSize),
    poolOut: f32(layout.poolDropout === null ? 0 : pooledSize),
    dPool: f32(pooledSize),
    dense: layout.dense.map((d) => ({
      act: f32(n * d.units),
      mask: f32(d.dropout === null ? 0 : n * d.units),
      out: f32(d.dropout === null ? 0 : n * d.units),
      dz: f32(n * d.units),
    })),
    convDw: [0, 1].map(() =>
      convs.map((c) => f32(c.filterHeight * c.filterWidth * c.inChannels * c.outChannels))
    ),
    sums: arena.f64(2 * slots.size),
    slots,
    state: layout.dense.slice(0, state.length / 2).map((_, j) => ({
      squareAvg: new Float32Array(state[2 * j]),
      accDelta: new Float32Array(state[2 * j + 1]),
    })),
  };
  if (layout.poolDropout === null) ctx.poolOut = ctx.pooled;
  ctx.dense.forEach((d, j) => {
    if (layout.dense[j].dropout === null) d.out = d.act;
  });
  return ctx;
}

/**
 * dst = act > 0 ? grad * mask : 0 (mask optional; dst may be grad), with per-channel sums of
 * dst added to `sums` when given (channels = sums.length; dst starts at channel 0).
 * Branch-free on the bits of `act`.
 */
export function reluGradInto(
  dst: Float32Array,
  grad: Float32Array,
  mask: Float32Array | null,
  act: Float32Array,
  sums: Float64Array | null,
): void {
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

/** Column sums of a rows x cols matrix added to `sums`. */
function addColumnSums(m: Float32Array, rows: number, cols: number, sums: Float64Array) {
  for (let r = 0, i = 0; r < rows; r++) for (let k = 0; k < cols; k++, i++) sums[k] += m[i];
}

/**
 * Writes pooled gradients `values` (zeros when null) of images n0..n1 to their argmax
 * positions in `dz`; argmax offsets count from the start of chunks of `per` images from n0.
 */
function scatterPooled(
  ctx: Context,
  dz: Float32Array,
  values: Float32Array | null,
  n0: number,
  n1: number,
) {
  const last = ctx.layout.convs[ctx.layout.convs.length - 1];
  const gridImage = last.inHeight * last.inWidth * last.outChannels;
  const pooledImage = ctx.layout.pooled[0] * ctx.layout.pooled[1] * last.outChannels;
  const per = lastConvImages(ctx.layout);
  const at = ctx.argmax.byteOffset;
  const [ph, pw] = ctx.layout.pooled;
  for (let c0 = n0; c0 < n1; c0 += per) {
    const base = dz.byteOffset + 4 * c0 * gridImage;
    const i0 = c0 * pooledImage, count = Math.min(n1, c0 + per) * pooledImage - i0;
    if (windowsCover(ctx) && values !== null) {
      // Whole windows: what the step before wrote there goes too.
      const images = Math.min(n1, c0 + per) - c0;
      const { inHeight: h, inWidth: w, outChannels: co } = last;
      ctx.wasm.scatterWindows(
        base,
        values.byteOffset + 4 * i0,
        at + 4 * i0,
        images,
        h,
        w,
        co,
        ph,
        pw,
      );
    } else if (values === null) ctx.wasm.unscatter(base, at + 4 * i0, count);
    else ctx.wasm.scatter(base, values.byteOffset + 4 * i0, at + 4 * i0, count);
  }
}

/**
 * Whether the pool's windows cover the last convolution's output exactly, with channels by 4
 * (the Winograd case): then its gradient is written as whole windows.
 */
function windowsCover(ctx: Context): boolean {
  return ctx.winograd !== null;
}

/**
 * Dropout of src[from..to) into mask and dst (the same range; dst may be src): the mask of
 * `fillDropoutMask(mask, rate, seed, from)` over that range, and dst = src * mask.
 */
function dropoutRange(
  ctx: Context,
  src: Float32Array,
  mask: Float32Array,
  dst: Float32Array,
  from: number,
  to: number,
  rate: number,
  seed: number,
) {
  ctx.wasm.dropout(
    src.byteOffset + 4 * from,
    mask.byteOffset + 4 * from,
    dst.byteOffset + 4 * from,
    to - from,
    dropoutThreshold(rate),
    1 / (1 - rate),
    seed,
    from,
  );
}

/**
 * {@link reluGradInto} of rows of c with bias sums (`sums` a view of the context's), in wasm
 * SIMD when c divides by 4.
 */
function reluGradRows(
  ctx: Context,
  g: Float32Array,
  mask: Float32Array | null,
  act: Float32Array,
  sums: Float64Array,
  c: number,
) {
  if (c % 4 !== 0) return reluGradInto(g, g, mask, act, sums);
  const rows = g.length / c;
  ctx.wasm.reluGradSums(
    g.byteOffset,
    mask?.byteOffset ?? 0,
    act.byteOffset,
    sums.byteOffset,
    rows,
    c,
  );
}

/** The last convolution's dz grid of `n` images (after its leading zero rows). */
function dzOf(ctx: Context, n: number): Float32Array {
  const last = ctx.layout.convs[ctx.layout.convs.length - 1];
  const co = last.outChannels;
  const lead = maxShift(last) * co;
  return ctx.dzGrid.subarray(lead, lead + n * last.inHeight * last.inWidth * co);
}

/** Sets back to zero what the last step scattered for images n0..n1 (same n0, n1 as then). */
export function clearScatter(ctx: Context, n: number, n0: number, n1: number): void {
  // Whole windows (scatterPooled) overwrite the last step's values: nothing to clear.
  if (windowsCover(ctx)) return;
  scatterPooled(ctx, dzOf(ctx, n), null, n0, n1);
}

/**
 * Thread `t`'s share of the forward and input-gradient work for images n0..n1 of a batch
 * of `n`: convolutions, max pool, dropout (`seeds`: the pool's, then each dense layer's
 * that has dropout), dense layers, log-softmax, loss and accuracy (into its sums), the
 * dense layers' input gradients, the bias gradients' partial sums, and the max pool's
 * gradient scattered into the dz grid. With `clear`, it first zeroes what the previous step
 * (same n, n0, n1) scattered there. With `training` false: inference only (no dropout), up
 * to the loss and accuracy; the argmax of the pool is overwritten, so the next training
 * step cannot clear by it.
 */
export function rowsPhase(
  ctx: Context,
  t: number,
  n: number,
  n0: number,
  n1: number,
  seeds: number[],
  clear: boolean,
  training = true,
): void {
  const { layout, weights } = ctx;
  const sums = ctx.sums.subarray(t * ctx.slots.size, (t + 1) * ctx.slots.size).fill(0);
  if (n1 <= n0) return;
  if (clear && training) clearScatter(ctx, n, n0, n1);
  const convs = layout.convs;
  const count = n1 - n0;

  // Convolutions before the last: im2col, bias first, sgemm adds, ReLU.
  let input = ctx.images;
  for (let j = 0; j < convs.length - 1; j++) {
    const info = convs[j];
    const rows = info.outHeight * info.outWidth;
    const k = info.filterHeight * info.filterWidth * info.inChannels;
    const co = info.outChannels;
    const col = ctx.cols[j].subarray(n0 * rows * k, n1 * rows * k);
    const act = ctx.acts[j].subarray(n0 * rows * co, n1 * rows * co);
    im2col(input, info, n0, count, col);
    fillRows(act, weights[2 * j + 1]);
    sgemm(false, false, count * rows, co, k, 1, col, k, weights[2 * j], co, 1, act, co);
    ctx.wasm.relu(act.byteOffset, act.length);
    input = ctx.acts[j];
  }

  // The last convolution as shifted GEMMs into a grid at its input's resolution, a few
  // images at a time, each chunk max pooled while in cache (max commutes with bias and
  // ReLU, applied to the pooled values); argmax offsets count from the chunk's start.
  const { lc, li, ci, co, taps, imageRows, valid } = lastConv(layout, n);
  const [ph, pw] = layout.pooled;
  const pooledImage = ph * pw * co;
  const lastW = weights[2 * lc], lastB = weights[2 * lc + 1];
  const per = lastConvImages(layout);
  const pool = (grid: Float32Array, c0: number, c1: number) => {
    const p0 = c0 * pooledImage, p1 = c1 * pooledImage;
    const pooled = ctx.pooled.subarray(p0, p1);
    maxPool2x2(
      grid,
      pooled,
      ctx.argmax.subarray(p0, p1),
      c1 - c0,
      li.inHeight,
      li.inWidth,
      co,
      ph,
      pw,
    );
    epilogue(pooled, (c1 - c0) * ph * pw, co, lastB, true);
  };
  if (winogradApplies(li)) {
    // Winograd F(4x4,3x3) (4x fewer multiply-adds; F(2x2,3x3) where the output does not
    // divide by 4), SIMD transforms; a tile's outputs are whole pool windows, so its output
    // transform also pools, adds the bias, ReLU.
    // The images and the pooled values are read and written where they are.
    const wg = ctx.winograd![t].forward;
    wg.setFilter(lastW);
    wg.bias.set(lastB);
    for (let c0 = n0; c0 < n1; c0 += per) {
      const c1 = Math.min(n1, c0 + per);
      const [p0, p1] = [c0 * pooledImage, c1 * pooledImage];
      wg.runPooled(
        c1 - c0,
        input.subarray(c0 * imageRows * ci, c1 * imageRows * ci),
        ctx.pooled.subarray(p0, p1),
        ctx.argmax.subarray(p0, p1),
      );
    }
  } else {
    const grid = ctx.grids[t];
    for (let c0 = n0; c0 < n1; c0 += per) {
      const c1 = Math.min(n1, c0 + per);
      const r0 = c0 * imageRows, r1 = Math.min(valid, c1 * imageRows);
      for (let k = 0; k < taps; k++) {
        const s = tapShift(li, k);
        sgemm(
          false,
          false,
          r1 - r0,
          co,
          ci,
          1,
          input.subarray((r0 + s) * ci, (r1 + s) * ci),
          ci,
          lastW.subarray(k * ci * co, (k + 1) * ci * co),
          co,
          k === 0 ? 0 : 1,
          grid,
          co,
        );
      }
      pool(grid, c0, c1);
    }
  }
  const q0 = n0 * pooledImage, q1 = n1 * pooledImage;
  let seed = 0;
  if (training && layout.poolDropout !== null) {
    const rate = layout.poolDropout;
    dropoutRange(ctx, ctx.pooled, ctx.poolMask, ctx.poolOut, q0, q1, rate, seeds[seed++]);
  }

  // Dense layers on rows n0..n1.
  const dense = layout.dense;
  const wBase = 2 * convs.length;
  let x = training ? ctx.poolOut : ctx.pooled;
  for (let j = 0; j < dense.length; j++) {
    const d = dense[j], b = ctx.dense[j];
    const z = b.act.subarray(n0 * d.units, n1 * d.units);
    fillRows(z, weights[wBase + 2 * j + 1]);
    sgemm(
      false,
      false,
      count,
      d.units,
      d.inputs,
      1,
      x.subarray(n0 * d.inputs, n1 * d.inputs),
      d.inputs,
      weights[wBase + 2 * j],
      d.units,
      1,
      z,
      d.units,
    );
    if (d.relu) epilogue(z, count, d.units, null, true);
    if (training && d.dropout !== null) {
      const [from, to] = [n0 * d.units, n1 * d.units];
      dropoutRange(ctx, b.act, b.mask, b.out, from, to, d.dropout, seeds[seed++]);
    }
    x = training ? b.out : b.act;
  }

  // Log-softmax in place, loss, accuracy and dL/dlogits = (softmax - one-hot) / n.
  const out = ctx.dense[dense.length - 1];
  const classes = dense[dense.length - 1].units;
  let lossSum = 0, correct = 0;
  for (let r = n0; r < n1; r++) {
    const o = r * classes;
    let max = -Infinity, best = 0;
    for (let k = 0; k < classes; k++) {
      if (out.act[o + k] > max) {
        max = out.act[o + k];
        best = k;
      }
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(out.act[o + k] - max);
    const logSum = Math.log(sum);
    const label = ctx.labels[r];
    for (let k = 0; k < classes; k++) {
      const logp = Math.fround(out.act[o + k] - max - logSum);
      out.act[o + k] = logp;
      if (training) out.dz[o + k] = (Math.exp(logp) - (k === label ? 1 : 0)) / n;
    }
    lossSum -= out.act[o + label];
    if (best === label) correct++;
  }
  sums[ctx.slots.loss] = lossSum;
  sums[ctx.slots.loss + 1] = correct;
  if (!training) return;

  // Dense input gradients, last to first, on these rows; bias gradients' partial sums.
  // dL/d(input) of layer j lands in layer j-1's dz (or the pool's), where the dropout and
  // ReLU masks of layer j-1 turn it into that layer's dz.
  for (let j = dense.length - 1; j >= 0; j--) {
    const d = dense[j];
    const dz = ctx.dense[j].dz.subarray(n0 * d.units, n1 * d.units);
    const slot = ctx.slots.dense[j];
    addColumnSums(dz, count, d.units, sums.subarray(slot, slot + d.units));
    const target = j > 0 ? ctx.dense[j - 1].dz : ctx.dPool;
    const dInput = target.subarray(n0 * d.inputs, n1 * d.inputs);
    const w = weights[wBase + 2 * j];
    sgemm(false, true, count, d.inputs, d.units, 1, dz, d.units, w, d.units, 0, dInput, d.inputs);
    if (j > 0) {
      const p = dense[j - 1], pb = ctx.dense[j - 1];
      const mask = p.dropout === null ? null : pb.mask.subarray(n0 * p.units, n1 * p.units);
      reluGradInto(dInput, dInput, mask, pb.act.subarray(n0 * p.units, n1 * p.units), null);
    }
  }

  // Max pool, bias and ReLU gradient, scattered to the argmax positions.
  const dPool = ctx.dPool.subarray(q0, q1);
  const poolMask = layout.poolDropout === null ? null : ctx.poolMask.subarray(q0, q1);
  const slot = ctx.slots.conv[lc];
  reluGradRows(
    ctx,
    dPool,
    poolMask,
    ctx.pooled.subarray(q0, q1),
    sums.subarray(slot, slot + co),
    co,
  );
  scatterPooled(ctx, dzOf(ctx, n), ctx.dPool, n0, n1);
}

/**
 * Thread `t`'s share of the weight gradients for a batch of `n` (after both threads ran
 * {@link rowsPhase}): half of each dense layer's filter gradient (by input), then, given
 * Adadelta's [lr, rho, eps] in `update`, that half's update; the partial filter gradients
 * of the convolutions over images n0..n1 (into `convDw[t]`, the last one transposed), and
 * the input and bias gradients of the convolutions for those images.
 */
export function weightsPhase(
  ctx: Context,
  t: number,
  n: number,
  n0: number,
  n1: number,
  update: number[] | null,
): void {
  const { layout, weights, grads } = ctx;
  const sums = ctx.sums.subarray(t * ctx.slots.size, (t + 1) * ctx.slots.size);
  const convs = layout.convs;
  const wBase = 2 * convs.length;

  // Dense filter gradients: rows m0..m1 of x^T dz.
  layout.dense.forEach((d, j) => {
    const m0 = t === 0 ? 0 : d.inputs >> 1, m1 = t === 0 ? d.inputs >> 1 : d.inputs;
    const x = j === 0 ? ctx.poolOut : ctx.dense[j - 1].out;
    sgemm(
      true,
      false,
      m1 - m0,
      d.units,
      n,
      1,
      x.subarray(m0, (n - 1) * d.inputs + m1),
      d.inputs,
      ctx.dense[j].dz.subarray(0, n * d.units),
      d.units,
      0,
      grads[wBase + 2 * j].subarray(m0 * d.units, m1 * d.units),
      d.units,
    );
    const state = ctx.state[j];
    if (update !== null && state) {
      const [lr, rho, eps] = update;
      const a = m0 * d.units, b = m1 * d.units;
      adadeltaUpdate(
        weights[wBase + 2 * j].subarray(a, b),
        grads[wBase + 2 * j].subarray(a, b),
        state.squareAvg.subarray(a, b),
        state.accDelta.subarray(a, b),
        lr,
        rho,
        eps,
      );
    }
  });
  for (const dw of ctx.convDw[t]) dw.fill(0);
  if (n1 <= n0) return;

  // The last convolution: filter gradient per tap (dz^T x shifted, or by Winograd) over these
  // images, and the input gradient of their rows (dz shifted back by the tap, times W[tap]^T; the zero
  // rows before the grid cover the first image).
  const { lc, li, ci, co, taps, imageRows, valid } = lastConv(layout, n);
  const input = lc === 0 ? ctx.images : ctx.acts[lc - 1];
  const dz = dzOf(ctx, n);
  const dwT = ctx.convDw[t][lc];
  if (winogradApplies(li)) {
    // Winograd (the forward's tile): per tile, the input transform (as the forward) times
    // A dY A^T, summed by one sgemm per plane over the chunks, then G^T . G into the taps.
    const per = lastConvImages(layout);
    const fg = ctx.winograd![t].filterGradient;
    fg.reset();
    for (let c0 = n0; c0 < n1; c0 += per) {
      const c1 = Math.min(n1, c0 + per);
      fg.add(
        c1 - c0,
        input.subarray(c0 * imageRows * ci, c1 * imageRows * ci),
        dz.subarray(c0 * imageRows * co, c1 * imageRows * co),
      );
    }
    fg.result(dwT);
  } else {
    const chunk = lastConvImages(layout) * imageRows;
    for (let r0 = n0 * imageRows; r0 < Math.min(valid, n1 * imageRows); r0 += chunk) {
      const r1 = Math.min(valid, n1 * imageRows, r0 + chunk);
      for (let k = 0; k < taps; k++) {
        const s = tapShift(li, k);
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
          1,
          dwT.subarray(k * ci * co, (k + 1) * ci * co),
          ci,
        );
      }
    }
  }
  if (lc === 0) return;
  const lead = maxShift(li) * co;
  const dIn = ctx.dIn[lc];
  const lastW = weights[2 * lc];
  if (winogradApplies(li)) {
    // Winograd F(4x4,3x3) over each image's zero-padded dz, a chunk of images at a time.
    const per = lastConvImages(layout);
    const ig = ctx.winograd![t].inputGradient;
    ig.setFilter(lastW);
    for (let c0 = n0; c0 < n1; c0 += per) ig.run(dz, c0, Math.min(n1, c0 + per) - c0, dIn);
  } else {
    for (let r0 = n0 * imageRows; r0 < n1 * imageRows; r0 += CHUNK_ROWS) {
      const r1 = Math.min(n1 * imageRows, r0 + CHUNK_ROWS);
      for (let k = 0; k < taps; k++) {
        const s = tapShift(li, k) * co;
        sgemm(
          false,
          true,
          r1 - r0,
          ci,
          co,
          1,
          ctx.dzGrid.subarray(lead + r0 * co - s, lead + r1 * co - s),
          co,
          lastW.subarray(k * ci * co, (k + 1) * ci * co),
          co,
          k === 0 ? 0 : 1,
          dIn.subarray(r0 * ci, r1 * ci),
          ci,
        );
      }
    }
  }

  // The convolutions before the last, last to first, on these images: ReLU mask and bias
  // sum, filter gradient from the saved columns, input gradient through col2im (not for
  // the images).
  for (let j = lc - 1; j >= 0; j--) {
    const info = convs[j];
    const rows = info.outHeight * info.outWidth;
    const k = info.filterHeight * info.filterWidth * info.inChannels;
    const cco = info.outChannels;
    const dzj = ctx.dIn[j + 1].subarray(n0 * rows * cco, n1 * rows * cco);
    const slot = ctx.slots.conv[j];
    const act = ctx.acts[j].subarray(n0 * rows * cco, n1 * rows * cco);
    reluGradRows(ctx, dzj, null, act, sums.subarray(slot, slot + cco), cco);
    const col = ctx.cols[j].subarray(n0 * rows * k, n1 * rows * k);
    const count = (n1 - n0) * rows;
    sgemm(true, false, k, cco, count, 1, col, k, dzj, cco, 0, ctx.convDw[t][j], cco);
    if (j > 0) {
      sgemm(false, true, count, k, cco, 1, dzj, cco, weights[2 * j], cco, 0, col, k);
      const dx = ctx.dIn[j];
      const image = info.inHeight * info.inWidth * info.inChannels;
      dx.fill(0, n0 * image, n1 * image);
      col2imAdd(col, info, n0, n1 - n0, dx);
    }
  }
}

/** Phases by number, for the helper thread. */
export const Phase = { rows: 0, weights: 1, evaluate: 2 } as const;
