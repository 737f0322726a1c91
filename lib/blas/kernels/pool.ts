/**
 * Max pooling (NHWC, float32, no dilation) forward and gradient in channel-contiguous loops.
 * @module
 */

import {
  backend_util,
  engine,
  type KernelConfig,
  MaxPool,
  MaxPoolGrad,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import {
  allFloat32,
  alloc,
  allocZeroed,
  blasKernel,
  cpuFallback,
  f32,
  type KernelArgs,
  out,
  sizeOf,
} from "./util.ts";
import { type ConvInfo as PoolInfo, maxPool2x2 } from "./loops.ts";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

function poolInfo(xShape: number[], attrs: Record<string, unknown>): PoolInfo | null {
  if (xShape.length !== 4) return null;
  return backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
  );
}

/** Visits every output position with its clipped window: (outOffset, inputImageRowStart...). */
function windowBounds(info: PoolInfo, oy: number, ox: number): [number, number, number, number] {
  const y0 = oy * info.strideHeight - info.padInfo.top;
  const x0 = ox * info.strideWidth - info.padInfo.left;
  return [
    Math.max(0, y0),
    Math.min(info.inHeight, y0 + info.filterHeight),
    Math.max(0, x0),
    Math.min(info.inWidth, x0 + info.filterWidth),
  ];
}

/** Max pool forward; also records the argmax offsets (first maximum in window order). */
function maxPoolValues(
  backend: MathBackendCPU,
  x: Float32Array,
  info: PoolInfo,
  argmax: Int32Array | null,
): Float32Array {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } =
    info;
  const y = alloc(backend, N * OH * OW * C);
  if (
    info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 &&
    info.strideWidth === 2 && info.padInfo.top === 0 && info.padInfo.left === 0 &&
    2 * OH <= H && 2 * OW <= W
  ) {
    maxPool2x2(x, y, argmax, N, H, W, C, OH, OW);
    return y;
  }
  let o = 0;
  for (let n = 0; n < N; n++) {
    const img = n * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, o += C) {
        const [ya, yb, xa, xb] = windowBounds(info, oy, ox);
        let first = true;
        for (let iy = ya; iy < yb; iy++) {
          for (let ix = xa; ix < xb; ix++) {
            const s = img + (iy * W + ix) * C;
            if (first) {
              for (let c = 0; c < C; c++) y[o + c] = x[s + c];
              if (argmax) { for (let c = 0; c < C; c++) argmax[o + c] = s + c; }
              first = false;
            } else if (argmax) {
              for (let c = 0; c < C; c++) {
                const v = x[s + c];
                if (v > y[o + c]) {
                  y[o + c] = v;
                  argmax[o + c] = s + c;
                }
              }
            } else {
              for (let c = 0; c < C; c++) {
                const v = x[s + c];
                if (v > y[o + c]) y[o + c] = v;
              }
            }
          }
        }
        if (first) {
          for (let c = 0; c < C; c++) y[o + c] = -Infinity;
          if (argmax) { for (let c = 0; c < C; c++) argmax[o + c] = -1; }
        }
      }
    }
  }
  return y;
}

/** Argmax offsets saved by a forward pass that ran under a gradient tape, by output array. */
const savedArgmax = new WeakMap<Float32Array, { x: Float32Array; argmax: Int32Array }>();

function maxPool(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x } = args.inputs as { x: TensorInfo };
  const info = allFloat32(x) ? poolInfo(x.shape, args.attrs ?? {}) : null;
  if (info === null) return cpuFallback(MaxPool, args);
  const xv = f32(args.backend, x);
  const recording = engine().state.gradientDepth > 0;
  const argmax = recording ? new Int32Array(sizeOf(info.outShape)) : null;
  const y = maxPoolValues(args.backend, xv, info, argmax);
  if (argmax) savedArgmax.set(y, { x: xv, argmax });
  return out(args.backend, info.outShape, y);
}

function maxPoolGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { dy, input, output } = args.inputs as {
    dy: TensorInfo;
    input: TensorInfo;
    output: TensorInfo;
  };
  const info = allFloat32(dy, input) ? poolInfo(input.shape, args.attrs ?? {}) : null;
  if (info === null) return cpuFallback(MaxPoolGrad, args);
  const outSize = sizeOf(dy.shape);
  const xv = f32(args.backend, input);
  const yv = output ? f32(args.backend, output) : null;
  const saved = yv ? savedArgmax.get(yv) : undefined;
  let argmax: Int32Array;
  if (saved && saved.x === xv && saved.argmax.length === outSize) {
    argmax = saved.argmax;
    savedArgmax.delete(yv!);
  } else {
    argmax = new Int32Array(outSize);
    const y = maxPoolValues(args.backend, xv, info, argmax);
    args.backend.disposeIntermediateTensorInfo(out(args.backend, dy.shape, y));
  }
  const dyv = f32(args.backend, dy);
  const dx = allocZeroed(args.backend, sizeOf(input.shape));
  for (let i = 0; i < outSize; i++) {
    const at = argmax[i];
    if (at >= 0) dx[at] += dyv[i];
  }
  return out(args.backend, input.shape, dx);
}

/** The pooling kernels of the `blas` backend. */
export const poolKernels: KernelConfig[] = [
  blasKernel(MaxPool, maxPool),
  blasKernel(MaxPoolGrad, maxPoolGrad),
];
