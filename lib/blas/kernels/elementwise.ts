/**
 * Element-wise kernels of the `blas` backend: Add, Sub, Multiply, RealDiv (same shapes,
 * scalars, or one side tiled along the trailing axes), AddN, and unary float32 maps.
 * @module
 */

import {
  Add,
  AddN,
  backend_util,
  Exp,
  Floor,
  type KernelConfig,
  Log,
  Multiply,
  Neg,
  RealDiv,
  Relu,
  Sqrt,
  Square,
  Step,
  Sub,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { BINARY_LOOPS, Mode } from "./binary_loops.ts";
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

function stripLeadingOnes(shape: readonly number[]): number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

function isSuffix(suffix: readonly number[], shape: readonly number[]): boolean {
  if (suffix.length > shape.length) return false;
  const off = shape.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (suffix[i] !== shape[off + i]) return false;
  return true;
}

/** How operands of shapes a and b line up with the broadcast output, or null if not handled. */
export function broadcastMode(
  a: readonly number[],
  b: readonly number[],
  outShape: readonly number[],
): Mode | null {
  const sa = sizeOf(a), sb = sizeOf(b), so = sizeOf(outShape);
  if (so === 0) return null;
  const a1 = stripLeadingOnes(a), b1 = stripLeadingOnes(b);
  if (sa === so && sb === so && a1.join() === b1.join()) return Mode.Same;
  if (sb === 1 && sa === so) return Mode.ScalarB;
  if (sa === 1 && sb === so) return Mode.ScalarA;
  if (sa === so && isSuffix(b1, outShape)) return Mode.TileB;
  if (sb === so && isSuffix(a1, outShape)) return Mode.TileA;
  return null;
}

function binaryKernel(name: string): KernelConfig {
  const loop = BINARY_LOOPS[name];
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (!allFloat32(a, b)) return cpuFallback(name, args);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const mode = broadcastMode(a.shape, b.shape, outShape);
    if (mode === null) return cpuFallback(name, args);
    const o = alloc(args.backend, sizeOf(outShape));
    loop(f32(args.backend, a), f32(args.backend, b), o, mode);
    return out(args.backend, outShape, o);
  };
  return blasKernel(name, kernelFunc);
}

function addN(args: KernelArgs): TensorInfo | TensorInfo[] {
  const tensors = Object.values(args.inputs) as TensorInfo[];
  const shape = tensors[0].shape;
  if (!allFloat32(...tensors) || tensors.some((t) => t.shape.join() !== shape.join())) {
    return cpuFallback(AddN, args);
  }
  const first = f32(args.backend, tensors[0]);
  const o = alloc(args.backend, first.length);
  o.set(first);
  for (let t = 1; t < tensors.length; t++) {
    const v = f32(args.backend, tensors[t]);
    for (let i = 0; i < o.length; i++) o[i] += v[i];
  }
  return out(args.backend, shape, o);
}

type UnaryLoop = (x: Float32Array, o: Float32Array, attrs: Record<string, unknown>) => void;

const UNARY_LOOPS: Record<string, UnaryLoop> = {
  [Relu]: (x, o) => {
    // Branch-free on the IEEE bits (signs are random, so a branch mispredicts half the
    // time): keep x when its sign bit is clear or it is a NaN, else write +0.
    const xb = new Int32Array(x.buffer, x.byteOffset, x.length);
    const ob = new Int32Array(o.buffer, o.byteOffset, o.length);
    for (let i = 0; i < xb.length; i++) {
      const v = xb[i];
      ob[i] = v & (~(v >> 31) | ((0x7f800000 - (v & 0x7fffffff)) >> 31));
    }
  },
  [Step]: (x, o, attrs) => {
    const alpha = (attrs.alpha as number | undefined) ?? 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      o[i] = v > 0 ? 1 : (v !== v ? NaN : alpha);
    }
  },
  [Sqrt]: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.sqrt(x[i]);
  },
  [Square]: (x, o) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      o[i] = v * v;
    }
  },
  [Neg]: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = -x[i];
  },
  [Exp]: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.exp(x[i]);
  },
  [Log]: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.log(x[i]);
  },
  [Floor]: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.floor(x[i]);
  },
};

function unaryKernel(name: string): KernelConfig {
  const loop = UNARY_LOOPS[name];
  const kernelFunc = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!allFloat32(x)) return cpuFallback(name, args);
    const xv = f32(args.backend, x);
    const o = alloc(args.backend, xv.length);
    loop(xv, o, args.attrs ?? {});
    return out(args.backend, x.shape, o);
  };
  return blasKernel(name, kernelFunc);
}

/** The element-wise kernels of the `blas` backend. */
export const elementwiseKernels: KernelConfig[] = [
  ...[Add, Sub, Multiply, RealDiv].map(binaryKernel),
  ...Object.keys(UNARY_LOOPS).map(unaryKernel),
  blasKernel(AddN, addN),
];
