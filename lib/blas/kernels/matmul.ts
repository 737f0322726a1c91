/**
 * Matrix multiply kernels (BatchMatMul, _FusedMatMul with bias and ReLU) on OpenBLAS sgemm.
 * @module
 */

import {
  _FusedMatMul,
  BatchMatMul,
  type KernelConfig,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { sgemm } from "../openblas.ts";
import { epilogue } from "./loops.ts";
import {
  allFloat32,
  alloc,
  blasKernel,
  cpuFallback,
  f32,
  type KernelArgs,
  out,
  sizeOf,
} from "./util.ts";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

interface Plan {
  batch: number;
  strideA: number;
  strideB: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

/** Shapes of a batched product we handle: equal batch sizes, or one side a single matrix. */
function plan(a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean): Plan | null {
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const ka = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (ka !== kb) return null;
  const batchShapeA = a.shape.slice(0, -2), batchShapeB = b.shape.slice(0, -2);
  const batchA = sizeOf(batchShapeA), batchB = sizeOf(batchShapeB);
  let outBatch: number[];
  if (batchA === batchB && batchShapeA.join() === batchShapeB.join()) outBatch = batchShapeA;
  else if (batchB === 1 && batchShapeB.length <= batchShapeA.length) outBatch = batchShapeA;
  else if (batchA === 1 && batchShapeA.length <= batchShapeB.length) outBatch = batchShapeB;
  else return null;
  return {
    batch: Math.max(batchA, batchB),
    strideA: batchA === 1 ? 0 : m * ka,
    strideB: batchB === 1 ? 0 : ka * n,
    m,
    n,
    k: ka,
    outShape: [...outBatch, m, n],
  };
}

function multiply(
  backend: MathBackendCPU,
  av: Float32Array,
  bv: Float32Array,
  p: Plan,
  ta: boolean,
  tb: boolean,
) {
  const { m, n, k } = p;
  const result = alloc(backend, p.batch * m * n);
  const lda = ta ? m : k, ldb = tb ? k : n;
  for (let i = 0; i < p.batch; i++) {
    const a = p.strideA === 0 ? av : av.subarray(i * p.strideA, i * p.strideA + m * k);
    const b = p.strideB === 0 ? bv : bv.subarray(i * p.strideB, i * p.strideB + k * n);
    const c = p.batch === 1 ? result : result.subarray(i * m * n, (i + 1) * m * n);
    sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
  }
  return result;
}

function batchMatMul(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const ta = !!args.attrs?.transposeA, tb = !!args.attrs?.transposeB;
  const p = allFloat32(a, b) ? plan(a, b, ta, tb) : null;
  if (p === null) return cpuFallback(BatchMatMul, args);
  return out(
    args.backend,
    p.outShape,
    multiply(args.backend, f32(args.backend, a), f32(args.backend, b), p, ta, tb),
  );
}

function fusedMatMul(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { a, b, bias } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo };
  const attrs = args.attrs ?? {};
  const ta = !!attrs.transposeA, tb = !!attrs.transposeB;
  const activation = (attrs.activation as string | undefined) ?? "linear";
  const p = allFloat32(a, b, bias) && (activation === "linear" || activation === "relu")
    ? plan(a, b, ta, tb)
    : null;
  const biasOk = !bias ||
    (sizeOf(bias.shape) === p?.n && bias.shape.slice(0, -1).every((d) => d === 1) &&
      bias.shape.length <= (p?.outShape.length ?? 0));
  if (p === null || !biasOk) return cpuFallback(_FusedMatMul, args);
  const result = multiply(args.backend, f32(args.backend, a), f32(args.backend, b), p, ta, tb);
  epilogue(
    result,
    p.batch * p.m,
    p.n,
    bias ? f32(args.backend, bias) : null,
    activation === "relu",
  );
  return out(args.backend, p.outShape, result);
}

/** The matrix multiply kernels of the `blas` backend. */
export const matMulKernels: KernelConfig[] = [
  blasKernel(BatchMatMul, batchMatMul),
  blasKernel(_FusedMatMul, fusedMatMul),
];
