/**
 * Plain loops over Float32Arrays shared by the `blas` kernels and the fused training step's
 * helper thread: im2col / col2im, row fill, bias + ReLU epilogue, 2x2 max pool. No TensorFlow.js import, so a
 * worker loads it cheaply.
 * @module
 */

import type { backend_util } from "@tensorflow/tfjs-core";

/**
 * The geometry of a 2-D convolution or pool as tfjs computes it (`backend_util.Conv2DInfo`):
 * batch, input and output sizes, filter size, strides, dilations and padding, NHWC.
 */
export type ConvInfo = backend_util.Conv2DInfo;

/** Target rows (image positions) per sgemm call of a convolution: keeps the operands in cache. */
export const CHUNK_ROWS = 4096;

/**
 * Images per sgemm call of a convolution, so that their rows come near {@link CHUNK_ROWS}.
 * @param rowsPerImage rows one image contributes (its positions in the grid the GEMM runs on)
 * @returns at least 1
 */
export function imagesPerChunk(rowsPerImage: number): number {
  return Math.max(1, Math.floor(CHUNK_ROWS / Math.max(1, rowsPerImage)));
}

/** Fills every row of `o` (rows of row.length) with `row`, doubling copies. */
export function fillRows(o: Float32Array, row: Float32Array) {
  if (o.length === 0) return;
  o.set(row);
  for (let done = row.length; done < o.length; done *= 2) {
    o.copyWithin(done, 0, Math.min(done, o.length - done));
  }
}

/** In-place o[r, c] = act(o[r, c] + bias[c]); ReLU is branch-free on the bits, NaN kept. */
export function epilogue(
  o: Float32Array,
  rows: number,
  cols: number,
  bias: Float32Array | null,
  relu: boolean,
) {
  if (bias !== null) {
    let i = 0;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++, i++) o[i] += bias[c];
  }
  if (relu) {
    const ob = new Int32Array(o.buffer, o.byteOffset, rows * cols);
    for (let i = 0; i < ob.length; i++) {
      const v = ob[i];
      ob[i] = v & (~(v >> 31) | ((0x7f800000 - (v & 0x7fffffff)) >> 31));
    }
  }
}

/** Bits of a float32 (as int32) mapped so that signed integer order is the float order. */
const KEY_POS_INF = 0x7f800000;
const KEY_NEG_INF = (0xff800000 | 0) ^ 0x7fffffff;

/**
 * The common 2x2, stride 2, unpadded case in one pass; argmax only when given. Compares the
 * float bits as order-preserving integers and selects with bit masks, without branches: on
 * real data a branch on each comparison mispredicts about half the time. A window holding a NaN that would win
 * takes the float path instead (NaNs never win, like the cpu kernel). Ties keep the first
 * maximum in window order (argmax); +0 counts as larger than -0. Argmax offsets index x,
 * plus `argOffset`.
 */
export function maxPool2x2(
  x: Float32Array,
  y: Float32Array,
  argmax: Int32Array | null,
  N: number,
  H: number,
  W: number,
  C: number,
  OH: number,
  OW: number,
  argOffset = 0,
) {
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const yi = new Int32Array(y.buffer, y.byteOffset, y.length);
  let o = 0;
  const row = W * C;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const s00 = ((n * H + 2 * oy) * W + 2 * ox) * C;
        const s01 = s00 + C, s10 = s00 + row, s11 = s10 + C;
        for (let c = 0; c < C; c++, o++) {
          let a = xi[s00 + c], b = xi[s01 + c], d = xi[s10 + c], e = xi[s11 + c];
          a ^= (a >> 31) & 0x7fffffff;
          b ^= (b >> 31) & 0x7fffffff;
          d ^= (d >> 31) & 0x7fffffff;
          e ^= (e >> 31) & 0x7fffffff;
          // Masks, not `cond ? x : y`: V8 compiles those to branches here (13 ms against
          // 4 ms for conv2's output at batch 128).
          let g = -(+(b > a));
          let m = a ^ ((a ^ b) & g);
          let at = (s00 + c) ^ (((s00 + c) ^ (s01 + c)) & g);
          g = -(+(d > m));
          m ^= (m ^ d) & g;
          at ^= (at ^ (s10 + c)) & g;
          g = -(+(e > m));
          m ^= (m ^ e) & g;
          at ^= (at ^ (s11 + c)) & g;
          if (m > KEY_POS_INF || m < KEY_NEG_INF) {
            at = maxPoolWindowWithNaN(x, s00 + c, s01 + c, s10 + c, s11 + c);
            y[o] = at < 0 ? -Infinity : x[at];
          } else {
            yi[o] = m ^ ((m >> 31) & 0x7fffffff);
          }
          if (argmax !== null) argmax[o] = at < 0 ? at : at + argOffset;
        }
      }
    }
  }
}

/** First offset of the largest non-NaN value among four, or -1 when all are NaN. */
function maxPoolWindowWithNaN(x: Float32Array, p: number, q: number, r: number, s: number) {
  let m = -Infinity, at = -1;
  for (const i of [p, q, r, s]) {
    if (x[i] > m || (at < 0 && x[i] === -Infinity)) {
      m = x[i];
      at = i;
    }
  }
  return at;
}

/** Fills `col` (rows = output positions of images n0..n0+count, cols = fh*fw*C) from x. */
export function im2col(
  x: Float32Array,
  info: ConvInfo,
  n0: number,
  count: number,
  col: Float32Array,
) {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  const rowLen = FW * C;
  const K = FH * rowLen;
  let row = 0;
  for (let n = n0; n < n0 + count; n++) {
    const xImg = n * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, row++) {
        const ix0 = ox * SW - pl;
        const kx0 = ix0 < 0 ? -ix0 : 0;
        const kx1 = ix0 + FW > W ? W - ix0 : FW;
        for (let ky = 0; ky < FH; ky++) {
          const iy = oy * SH - pt + ky;
          const d0 = row * K + ky * rowLen;
          if (iy < 0 || iy >= H || kx1 <= kx0) {
            col.fill(0, d0, d0 + rowLen);
            continue;
          }
          if (kx0 > 0) col.fill(0, d0, d0 + kx0 * C);
          if (kx1 < FW) col.fill(0, d0 + kx1 * C, d0 + rowLen);
          const s0 = xImg + (iy * W + ix0 + kx0) * C;
          const len = (kx1 - kx0) * C;
          const d = d0 + kx0 * C;
          if (len >= 48) {
            col.set(x.subarray(s0, s0 + len), d);
          } else {
            for (let j = 0; j < len; j++) col[d + j] = x[s0 + j];
          }
        }
      }
    }
  }
}

/** Adds `col` (as laid out by im2col) back into dx for images n0..n0+count. */
export function col2imAdd(
  col: Float32Array,
  info: ConvInfo,
  n0: number,
  count: number,
  dx: Float32Array,
) {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  const rowLen = FW * C;
  const K = FH * rowLen;
  let row = 0;
  for (let n = n0; n < n0 + count; n++) {
    const xImg = n * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, row++) {
        const ix0 = ox * SW - pl;
        const kx0 = ix0 < 0 ? -ix0 : 0;
        const kx1 = ix0 + FW > W ? W - ix0 : FW;
        if (kx1 <= kx0) continue;
        const len = (kx1 - kx0) * C;
        for (let ky = 0; ky < FH; ky++) {
          const iy = oy * SH - pt + ky;
          if (iy < 0 || iy >= H) continue;
          const s = row * K + ky * rowLen + kx0 * C;
          const d = xImg + (iy * W + ix0 + kx0) * C;
          for (let j = 0; j < len; j++) dx[d + j] += col[s + j];
        }
      }
    }
  }
}
