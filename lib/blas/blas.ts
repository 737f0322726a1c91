/**
 * The `blas` TensorFlow.js backend: the pure-JS `cpu` backend with every kernel inherited,
 * and the hot ones (convolutions, matrix products, max pooling, element-wise maps, sums)
 * replaced by OpenBLAS sgemm and tight Float32Array loops.
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { PooledBackendCPU } from "./pooled_backend.ts";
import { loadBlas } from "./openblas.ts";
import { convKernels } from "./kernels/conv2d.ts";
import { matMulKernels } from "./kernels/matmul.ts";
import { poolKernels } from "./kernels/pool.ts";
import { elementwiseKernels } from "./kernels/elementwise.ts";
import { reduceKernels } from "./kernels/reduce.ts";
import { registerReluGradient, reluGradKernels } from "./kernels/relu_grad.ts";

/** Name under which the backend registers. */
export const BLAS_BACKEND = "blas";

/** Every kernel the `blas` backend implements itself (the rest come from `cpu`). */
export const BLAS_KERNELS: tf.KernelConfig[] = [
  ...convKernels,
  ...matMulKernels,
  ...poolKernels,
  ...elementwiseKernels,
  ...reduceKernels,
  ...reluGradKernels,
];

let registered = false;

/**
 * Loads OpenBLAS (throws a one-line Error when missing) and registers the `blas` backend
 * and its kernels once. Does not make it the active backend.
 */
export function registerBlasBackend(): void {
  if (registered) return;
  loadBlas();
  tf.registerBackend(BLAS_BACKEND, () => new PooledBackendCPU(), 0);
  const own = new Set(BLAS_KERNELS.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!own.has(k.kernelName)) tf.registerKernel({ ...k, backendName: BLAS_BACKEND });
  }
  for (const k of BLAS_KERNELS) tf.registerKernel(k);
  registerReluGradient();
  registered = true;
}
