/**
 * Helpers shared by the `blas` kernels: typed access to tensor values held by the CPU
 * backend, making output tensors, and falling back to the `cpu` kernel.
 * @module
 */

import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { PooledBackendCPU } from "../pooled_backend.ts";

/** tfjs' pure-JS CPU backend (`MathBackendCPU`), which the `blas` backend extends: kernels get it. */
export type CpuBackend = MathBackendCPU;

/** Arguments every kernel function receives. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: MathBackendCPU;
  attrs?: Record<string, unknown>;
}

/** A kernel function of the `blas` backend: tensors in, tensor(s) out, on the CPU backend. */
export type BlasKernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

/**
 * The registration of `kernelFunc` as the `blas` backend's kernel `kernelName`. The one place
 * where a kernel typed with {@link KernelArgs} becomes tfjs' untyped `KernelFunc`.
 * @param kernelName tfjs' name of the op (`Conv2D`, `BatchMatMul`...)
 * @param kernelFunc the kernel
 * @returns the config to pass to `registerKernel`
 */
export function blasKernel(kernelName: string, kernelFunc: BlasKernelFunc): KernelConfig {
  return { kernelName, backendName: "blas", kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** The values of a tensor held by the backend, as a Float32Array (caller checked the dtype). */
export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** A new float32 tensor of `shape` owning `values`. */
export function out(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, "float32", values);
}

/** True when every given tensor is float32. */
export function allFloat32(...ts: (TensorInfo | undefined)[]): boolean {
  for (const t of ts) if (t !== undefined && t.dtype !== "float32") return false;
  return true;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Calls the `cpu` backend's kernel `name` with the same arguments (for configurations we skip). */
export function cpuFallback(name: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  const config = getKernel(name, "cpu");
  if (!config) throw new Error(`blas backend: no cpu kernel ${name} to fall back to`);
  return (config.kernelFunc as KernelFunc)(args as unknown as Parameters<KernelFunc>[0]) as
    | TensorInfo
    | TensorInfo[];
}

const scratch: Float32Array[] = [];

/** A reusable scratch Float32Array of at least `n` elements (slot `slot`); contents undefined. */
export function scratchBuffer(slot: number, n: number): Float32Array {
  const cur = scratch[slot];
  if (cur && cur.length >= n) return cur.subarray(0, n);
  const fresh = new Float32Array(Math.max(n, cur ? cur.length * 1.5 : 0) | 0);
  scratch[slot] = fresh;
  return fresh.subarray(0, n);
}

/** An output array of n floats (recycled when the backend pools; contents undefined). */
export function alloc(backend: CpuBackend, n: number): Float32Array {
  return backend instanceof PooledBackendCPU ? backend.alloc(n) : new Float32Array(n);
}

/** An output array of n zeros. */
export function allocZeroed(backend: MathBackendCPU, n: number): Float32Array {
  return backend instanceof PooledBackendCPU ? backend.alloc(n).fill(0) : new Float32Array(n);
}
