/**
 * Sum over leading or trailing axes (float32), accumulating in float64.
 * @module
 */

import { backend_util, type KernelConfig, Sum, type TensorInfo, util } from "@tensorflow/tfjs-core";
import { allFloat32, blasKernel, cpuFallback, f32, type KernelArgs, out, sizeOf } from "./util.ts";

let acc = new Float64Array(0);

/** Sums x viewed as [outer, inner] over the outer axis (leading=true) or the inner one. */
export function sumRows(x: Float32Array, outer: number, inner: number, leading: boolean) {
  const o = new Float32Array(leading ? inner : outer);
  if (leading) {
    if (acc.length < inner) acc = new Float64Array(inner);
    acc.fill(0, 0, inner);
    for (let r = 0; r < outer; r++) {
      const base = r * inner;
      for (let j = 0; j < inner; j++) acc[j] += x[base + j];
    }
    for (let j = 0; j < inner; j++) o[j] = acc[j];
  } else {
    for (let r = 0; r < outer; r++) {
      let s = 0;
      const base = r * inner;
      for (let j = 0; j < inner; j++) s += x[base + j];
      o[r] = s;
    }
  }
  return o;
}

function sum(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x } = args.inputs as { x: TensorInfo };
  const attrs = args.attrs ?? {};
  if (!allFloat32(x) || sizeOf(x.shape) === 0) return cpuFallback(Sum, args);
  const rank = x.shape.length;
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
  const k = axes.length;
  const trailing = axes.every((a, i) => a === rank - k + i);
  const leading = !trailing && axes.every((a, i) => a === i);
  if (!leading && !trailing) return cpuFallback(Sum, args);
  const split = leading ? k : rank - k;
  const outer = sizeOf(x.shape.slice(0, split)), inner = sizeOf(x.shape.slice(split));
  const values = sumRows(f32(args.backend, x), outer, inner, leading);
  let shape = backend_util.computeOutAndReduceShapes(x.shape, axes)[0];
  if (attrs.keepDims) shape = backend_util.expandShapeToKeepDim(shape, axes);
  return out(args.backend, shape, values);
}

/** The reduction kernels of the `blas` backend. */
export const reduceKernels: KernelConfig[] = [
  blasKernel(Sum, sum),
];
