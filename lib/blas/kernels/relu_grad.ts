/**
 * ReLU's gradient in one pass (dx = x > 0 ? dy : 0) instead of tfjs' step(x) then multiply:
 * a `BlasReluGrad` kernel and a Relu gradient that uses it on the `blas` backend and defers
 * to the stock gradient everywhere else.
 * @module
 */

import {
  engine,
  getBackend,
  getGradient,
  type GradConfig,
  type KernelConfig,
  registerGradient,
  Relu,
  type Tensor,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { allFloat32, alloc, blasKernel, f32, type KernelArgs, out } from "./util.ts";

/** Name of the fused ReLU gradient kernel. */
export const BLAS_RELU_GRAD = "BlasReluGrad";

function reluGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
  if (!allFloat32(dy, x) || dy.shape.join() !== x.shape.join()) {
    throw new Error(`${BLAS_RELU_GRAD}: needs float32 dy and x of one shape`);
  }
  const dyv = f32(args.backend, dy), xv = f32(args.backend, x);
  const dx = alloc(args.backend, xv.length);
  // Branch-free on the IEEE bits: dy where x > 0 (sign clear, not zero), x itself (a NaN)
  // where x is NaN, else +0.
  const xb = new Int32Array(xv.buffer, xv.byteOffset, xv.length);
  const db = new Int32Array(dyv.buffer, dyv.byteOffset, dyv.length);
  const ob = new Int32Array(dx.buffer, dx.byteOffset, dx.length);
  for (let i = 0; i < xb.length; i++) {
    const v = xb[i];
    const nan = (0x7f800000 - (v & 0x7fffffff)) >> 31;
    ob[i] = (db[i] & ~(v >> 31) & ((v | -v) >> 31)) | (v & nan);
  }
  return out(args.backend, x.shape, dx);
}

/** Name of the kernel giving ReLU's gradient from the ReLU output and the bias gradient. */
export const BLAS_RELU_BIAS_GRAD = "BlasReluBiasGrad";

/**
 * For y = relu(z + bias) over the last axis: dz = y > 0 ? dy : 0 (NaN where y is NaN) and
 * dbias = dz summed over every axis but the last, in one pass. Outputs [dz, dbias].
 */
function reluBiasGrad(args: KernelArgs): TensorInfo[] {
  const { dy, y } = args.inputs as { dy: TensorInfo; y: TensorInfo };
  if (!allFloat32(dy, y) || dy.shape.join() !== y.shape.join() || y.shape.length === 0) {
    throw new Error(`${BLAS_RELU_BIAS_GRAD}: needs float32 dy and y of one shape, rank >= 1`);
  }
  const dyv = f32(args.backend, dy), yv = f32(args.backend, y);
  const channels = y.shape[y.shape.length - 1];
  const dz = alloc(args.backend, yv.length);
  const yb = new Int32Array(yv.buffer, yv.byteOffset, yv.length);
  const db = new Int32Array(dyv.buffer, dyv.byteOffset, dyv.length);
  const ob = new Int32Array(dz.buffer, dz.byteOffset, dz.length);
  const sums = new Float64Array(channels);
  for (let i = 0; i < yb.length;) {
    for (let c = 0; c < channels; c++, i++) {
      const v = yb[i];
      const nan = (0x7f800000 - (v & 0x7fffffff)) >> 31;
      ob[i] = (db[i] & ~(v >> 31) & ((v | -v) >> 31)) | (v & nan);
      sums[c] += dz[i];
    }
  }
  const dbias = alloc(args.backend, channels);
  dbias.set(sums);
  return [out(args.backend, y.shape, dz), out(args.backend, [channels], dbias)];
}

/** The fused ReLU gradient kernels of the `blas` backend. */
export const reluGradKernels: KernelConfig[] = [
  blasKernel(BLAS_RELU_GRAD, reluGrad),
  blasKernel(BLAS_RELU_BIAS_GRAD, reluBiasGrad),
];

/** Replaces Relu's gradient by one that runs {@link BLAS_RELU_GRAD} on the `blas` backend. */
export function registerReluGradient(): void {
  const stock = getGradient(Relu);
  if (!stock || (stock as { blas?: boolean }).blas) return;
  const config: GradConfig & { blas: boolean } = {
    kernelName: Relu,
    inputsToSave: ["x"],
    blas: true,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const single = dy as Tensor;
      if (getBackend() === "blas" && x.dtype === "float32" && single.dtype === "float32") {
        return { x: () => engine().runKernel(BLAS_RELU_GRAD, { dy: single, x }) as Tensor };
      }
      return stock.gradFunc(dy, saved, attrs);
    },
  };
  registerGradient(config);
}
