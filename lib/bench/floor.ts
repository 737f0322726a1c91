/**
 * The floor of `deno task bench`: how fast this machine's BLAS multiplies (sgemm GFLOP/s,
 * measured in the same run), how many floating-point operations one training step of the
 * reference model needs, and the quotient, the step time no implementation doing that work
 * on that BLAS can beat. Also the CPU's vector instruction sets, which decide the kernel
 * OpenBLAS picks.
 * @module
 */

import { blasThreads, setThreads, sgemm } from "../blas/mod.ts";

/** Vector instruction sets looked for in /proc/cpuinfo's flags, in order. */
export const VECTOR_FLAGS: readonly string[] = [
  "sse4_2",
  "avx",
  "avx2",
  "fma",
  "avx512f",
  "avx512bw",
  "avx512vl",
  "avx512_vnni",
  "avx512_bf16",
  "amx_tile",
];

/**
 * The vector instruction sets among {@link VECTOR_FLAGS} that `cpuinfo` (the text of
 * /proc/cpuinfo; read when not given) lists for its first CPU; empty when unknown.
 * @example cpuFeatures("flags : fpu sse4_2 avx avx2 fma\n") // ["sse4_2", "avx", "avx2", "fma"]
 */
export function cpuFeatures(cpuinfo?: string): string[] {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = Deno.readTextFileSync("/proc/cpuinfo");
    } catch {
      return [];
    }
  }
  const line = text.match(/^flags\s*:(.*)$/m);
  if (!line) return [];
  const flags = new Set(line[1].trim().split(/\s+/));
  return VECTOR_FLAGS.filter((f) => flags.has(f));
}

/** A convolution's shape as the FLOP count needs it (one image, stride 1, unpadded). */
export interface ConvShape {
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  inChannels: number;
  outChannels: number;
}

/** The reference model of the study (conv 3x3x32, conv 3x3x64, pool, dense 9216-128-10). */
export const REFERENCE_SHAPES: { convs: ConvShape[]; dense: [number, number][] } = {
  convs: [
    {
      outHeight: 26,
      outWidth: 26,
      filterHeight: 3,
      filterWidth: 3,
      inChannels: 1,
      outChannels: 32,
    },
    {
      outHeight: 24,
      outWidth: 24,
      filterHeight: 3,
      filterWidth: 3,
      inChannels: 32,
      outChannels: 64,
    },
  ],
  dense: [[9216, 128], [128, 10]],
};

/**
 * Floating-point operations (a multiply-add counts 2) of one training step at `batchSize` by
 * direct convolution: every layer's forward product, its filter gradient, and its input
 * gradient except the first layer's (the images need none). Element-wise work (bias, ReLU,
 * pooling, dropout, softmax, the optimizer) is left out: it is under 1 % of the step.
 * @example stepFlops(128) // about 9.2e9 for the reference model
 */
export function stepFlops(batchSize: number, shapes = REFERENCE_SHAPES): number {
  const products = [
    ...shapes.convs.map((c) =>
      c.outHeight * c.outWidth * c.filterHeight * c.filterWidth * c.inChannels * c.outChannels
    ),
    ...shapes.dense.map(([inputs, units]) => inputs * units),
  ];
  // Forward and filter gradient for every layer, input gradient for all but the first.
  const macs = products.reduce((sum, p, i) => sum + p * (i === 0 ? 2 : 3), 0);
  return 2 * batchSize * macs;
}

/** What {@link measureSgemm} found. */
export interface SgemmSpeed {
  /** Median GFLOP/s of a square single-precision product. */
  gflops: number;
  /** Its side. */
  size: number;
  /** BLAS threads it ran on. */
  threads: number;
}

/**
 * Times `reps` square sgemms of `size` on `threads` BLAS threads (after two warm-ups) and
 * returns the median speed; the BLAS thread count is put back afterwards.
 */
export function measureSgemm(threads: number, size = 1024, reps = 9): SgemmSpeed {
  const a = new Float32Array(size * size), b = new Float32Array(size * size);
  const c = new Float32Array(size * size);
  for (let i = 0; i < a.length; i++) {
    a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    b[i] = ((i * 104729) % 1000) / 1000 - 0.5;
  }
  const before = blasThreads();
  setThreads(threads);
  const ms: number[] = [];
  try {
    for (let i = 0; i < reps + 2; i++) {
      const t0 = performance.now();
      sgemm(false, false, size, size, size, 1, a, size, b, size, 0, c, size);
      if (i >= 2) ms.push(performance.now() - t0);
    }
  } finally {
    if (before !== null) setThreads(before);
  }
  ms.sort((x, y) => x - y);
  const median = ms[ms.length >> 1];
  return { gflops: 2 * size ** 3 / median / 1e6, size, threads };
}

/** The floor in milliseconds per step: `flops` at `gflops` GFLOP/s. */
export function floorMs(flops: number, gflops: number): number {
  return flops / gflops / 1e6;
}
