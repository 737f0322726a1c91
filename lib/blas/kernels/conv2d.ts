/**
 * 2-D convolution kernels (NHWC, float32, no dilation) as im2col / col2im plus OpenBLAS
 * sgemm, processed a few images at a time so the column buffer stays in cache.
 * @module
 */

import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedConv2D,
  type KernelConfig,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { sgemm } from "../openblas.ts";
import {
  CHUNK_ROWS,
  col2imAdd,
  type ConvInfo,
  epilogue,
  fillRows,
  im2col,
  imagesPerChunk,
} from "./loops.ts";
import {
  allFloat32,
  alloc,
  allocZeroed,
  blasKernel,
  cpuFallback,
  f32,
  type KernelArgs,
  out,
  scratchBuffer,
} from "./util.ts";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

/** Fewest input channels for which the forward pass uses shifted GEMMs instead of im2col. */
const SHIFTED_MIN_CHANNELS = 8;

function dilationsAreOne(d: unknown): boolean {
  if (d === undefined || d === null) return true;
  if (typeof d === "number") return d === 1;
  return (d as number[]).every((v) => v === 1);
}

/**
 * Runs `chunk` over the batch a few images at a time (their output positions are the GEMM's
 * rows, about {@link CHUNK_ROWS} of them), with one column buffer sized for a chunk.
 */
function im2colChunks(
  info: ConvInfo,
  chunk: (n0: number, count: number, rows: number, col: Float32Array) => void,
) {
  const rowsPerImage = info.outHeight * info.outWidth;
  const per = Math.min(info.batchSize, imagesPerChunk(rowsPerImage));
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const col = scratchBuffer(0, per * rowsPerImage * K);
  for (let n0 = 0; n0 < info.batchSize; n0 += per) {
    const count = Math.min(per, info.batchSize - n0);
    chunk(n0, count, count * rowsPerImage, col);
  }
}

function convInfoFor(
  xShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
): ConvInfo | null {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
  if (dataFormat !== "NHWC" || !dilationsAreOne(attrs.dilations)) return null;
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
}

/** dy laid out at the input's height and width (zeros beyond the output), in scratch slot 1. */
function padToInputSize(dy: Float32Array, info: ConvInfo): Float32Array {
  const { batchSize: N, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = info;
  const CO = info.outChannels;
  const dyPad = scratchBuffer(1, N * H * W * CO);
  const rowLen = OW * CO;
  let d = 0, s = 0;
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < H; y++) {
      if (y < OH) {
        dyPad.set(dy.subarray(s, s + rowLen), d);
        dyPad.fill(0, d + rowLen, d + W * CO);
        s += rowLen;
      } else {
        dyPad.fill(0, d, d + W * CO);
      }
      d += W * CO;
    }
  }
  return dyPad;
}

/**
 * dx of a stride-1 unpadded convolution without col2im: with dy laid out at the input's
 * height and width (zeros beyond the output), each filter tap (ky, kx) adds
 * dyPad x W[ky,kx]^T to dx shifted by ky*W+kx rows of the flattened batch; positions that
 * would wrap into the next row or image come from the zero padding.
 */
function backpropInputShifted(dy: Float32Array, w: Float32Array, info: ConvInfo, dx: Float32Array) {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI } = info;
  const { outChannels: CO, filterHeight: FH, filterWidth: FW } = info;
  const total = N * H * W;
  const dyPad = padToInputSize(dy, info);
  for (let r0 = 0; r0 < total; r0 += CHUNK_ROWS) {
    const r1 = Math.min(total, r0 + CHUNK_ROWS);
    for (let ky = 0; ky < FH; ky++) {
      for (let kx = 0; kx < FW; kx++) {
        const shift = ky * W + kx;
        const first = ky === 0 && kx === 0;
        const a0 = Math.max(r0, shift);
        if (a0 >= r1) continue;
        const wk = (ky * FW + kx) * CI * CO;
        sgemm(
          false,
          true,
          r1 - a0,
          CI,
          CO,
          1,
          dyPad.subarray((a0 - shift) * CO, (r1 - shift) * CO),
          CO,
          w.subarray(wk, wk + CI * CO),
          CO,
          first ? 0 : 1,
          dx.subarray(a0 * CI, r1 * CI),
          CI,
        );
      }
    }
  }
}

/** True for stride 1, no padding: the case the shifted-GEMM kernels handle. */
function isUnpaddedStride1(info: ConvInfo): boolean {
  return info.strideHeight === 1 && info.strideWidth === 1 &&
    info.padInfo.top === 0 && info.padInfo.left === 0 &&
    info.outHeight === info.inHeight - info.filterHeight + 1 &&
    info.outWidth === info.inWidth - info.filterWidth + 1;
}

/**
 * Forward stride-1 unpadded convolution without im2col: with the output laid out at the
 * input's height and width, filter tap (ky, kx) adds x shifted by ky*W+kx rows times
 * W[ky,kx] (rows that wrap into the next row or image are never valid outputs). Computed a
 * few images at a time into a scratch buffer (bias first, sgemm adds), then the valid rows
 * are copied out and the ReLU applied.
 */
function convForwardShifted(
  result: Float32Array,
  x: Float32Array,
  w: Float32Array,
  info: ConvInfo,
  bias: Float32Array | null,
  relu: boolean,
) {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI } = info;
  const { outHeight: OH, outWidth: OW, outChannels: CO, filterHeight: FH, filterWidth: FW } = info;
  const total = N * H * W;
  const per = Math.min(N, imagesPerChunk(H * W));
  const full = scratchBuffer(0, per * H * W * CO);
  const rowLen = OW * CO;
  for (let n0 = 0; n0 < N; n0 += per) {
    const count = Math.min(per, N - n0);
    const r0 = n0 * H * W, r1 = r0 + count * H * W;
    const chunk = full.subarray(0, (r1 - r0) * CO);
    if (bias !== null) fillRows(chunk, bias);
    for (let ky = 0; ky < FH; ky++) {
      for (let kx = 0; kx < FW; kx++) {
        const shift = ky * W + kx;
        const end = Math.min(r1, total - shift);
        const wk = (ky * FW + kx) * CI * CO;
        const first = ky === 0 && kx === 0 && bias === null;
        sgemm(
          false,
          false,
          end - r0,
          CO,
          CI,
          1,
          x.subarray((r0 + shift) * CI, (end + shift) * CI),
          CI,
          w.subarray(wk, wk + CI * CO),
          CO,
          first ? 0 : 1,
          chunk.subarray(0, (end - r0) * CO),
          CO,
        );
      }
    }
    let o = n0 * OH * rowLen;
    const o0 = o;
    for (let n = 0; n < count; n++) {
      for (let oy = 0; oy < OH; oy++, o += rowLen) {
        const f = (n * H + oy) * W * CO;
        result.set(chunk.subarray(f, f + rowLen), o);
      }
    }
    if (relu) epilogue(result.subarray(o0, o), (o - o0) / CO, CO, null, true);
  }
}

/** Forward convolution into a new Float32Array; applies bias and ReLU per chunk when given. */
function convForward(
  backend: MathBackendCPU,
  x: Float32Array,
  w: Float32Array,
  info: ConvInfo,
  bias: Float32Array | null,
  relu: boolean,
): Float32Array {
  const { batchSize: N, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const result = alloc(backend, N * OH * OW * CO);
  // Shifted GEMMs with K = C are only efficient enough when C is not tiny.
  if (isUnpaddedStride1(info) && info.inChannels >= SHIFTED_MIN_CHANNELS) {
    convForwardShifted(result, x, w, info, bias, relu);
    return result;
  }
  im2colChunks(info, (n0, count, rows, col) => {
    im2col(x, info, n0, count, col);
    const o0 = n0 * OH * OW * CO;
    const o = result.subarray(o0, o0 + rows * CO);
    // The bias goes in first (memcpy speed) and sgemm adds the product to it (beta = 1).
    if (bias !== null) fillRows(o, bias);
    sgemm(false, false, rows, CO, K, 1, col, K, w, CO, bias !== null ? 1 : 0, o, CO);
    if (relu) epilogue(o, rows, CO, null, true);
  });
  return result;
}

function conv2D(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const info = allFloat32(x, filter) ? convInfoFor(x.shape, filter.shape, args.attrs ?? {}) : null;
  if (info === null) return cpuFallback(Conv2D, args);
  const y = convForward(
    args.backend,
    f32(args.backend, x),
    f32(args.backend, filter),
    info,
    null,
    false,
  );
  return out(args.backend, info.outShape, y);
}

/** Bias of `size` channels usable as a per-channel vector, or null. */
function channelBias(bias: TensorInfo | undefined, channels: number): boolean {
  if (!bias) return true;
  const s = bias.shape;
  const size = s.reduce((a, b) => a * b, 1);
  return size === channels && s.slice(0, -1).every((d) => d === 1) ||
    s.length === 0 && channels === 1;
}

function fusedConv2D(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x, filter, bias } = args.inputs as {
    x: TensorInfo;
    filter: TensorInfo;
    bias?: TensorInfo;
  };
  const attrs = args.attrs ?? {};
  const activation = (attrs.activation as string | undefined) ?? "linear";
  const info = allFloat32(x, filter, bias) && (activation === "linear" || activation === "relu")
    ? convInfoFor(x.shape, filter.shape, attrs)
    : null;
  if (info === null || !channelBias(bias, info.outChannels)) return cpuFallback(FusedConv2D, args);
  const b = bias ? f32(args.backend, bias) : null;
  const y = convForward(
    args.backend,
    f32(args.backend, x),
    f32(args.backend, filter),
    info,
    b,
    activation === "relu",
  );
  return out(args.backend, info.outShape, y);
}

function conv2DBackpropFilter(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const info = allFloat32(x, dy) ? convInfoFor(x.shape, filterShape, attrs) : null;
  if (info === null) return cpuFallback(Conv2DBackpropFilter, args);
  const xv = f32(args.backend, x), dyv = f32(args.backend, dy);
  const { outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const dw = alloc(args.backend, K * CO);
  im2colChunks(info, (n0, count, rows, col) => {
    im2col(xv, info, n0, count, col);
    const d0 = n0 * OH * OW * CO;
    sgemm(
      true,
      false,
      K,
      CO,
      rows,
      1,
      col,
      K,
      dyv.subarray(d0, d0 + rows * CO),
      CO,
      n0 === 0 ? 0 : 1,
      dw,
      CO,
    );
  });
  return out(args.backend, filterShape, dw);
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as number[];
  const info = allFloat32(dy, filter) ? convInfoFor(inputShape, filter.shape, attrs) : null;
  if (info === null) return cpuFallback(Conv2DBackpropInput, args);
  const dyv = f32(args.backend, dy), w = f32(args.backend, filter);
  const { outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  if (isUnpaddedStride1(info)) {
    const dxs = alloc(args.backend, inputShape.reduce((a, b) => a * b, 1));
    backpropInputShifted(dyv, w, info, dxs);
    return out(args.backend, inputShape, dxs);
  }
  const dx = allocZeroed(args.backend, inputShape.reduce((a, b) => a * b, 1));
  im2colChunks(info, (n0, count, rows, col) => {
    const d0 = n0 * OH * OW * CO;
    sgemm(false, true, rows, K, CO, 1, dyv.subarray(d0, d0 + rows * CO), CO, w, CO, 0, col, K);
    col2imAdd(col, info, n0, count, dx);
  });
  return out(args.backend, inputShape, dx);
}

/** The convolution kernels of the `blas` backend. */
export const convKernels: KernelConfig[] = [
  blasKernel(Conv2D, conv2D),
  blasKernel(FusedConv2D, fusedConv2D),
  blasKernel(Conv2DBackpropFilter, conv2DBackpropFilter),
  blasKernel(Conv2DBackpropInput, conv2DBackpropInput),
];
