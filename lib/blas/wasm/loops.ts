// AssemblyScript (not Deno TypeScript): the fused step's element-wise loops in WebAssembly
// SIMD, on the shared memory that holds the step's arrays (lib/blas/_fused_kernels.ts). Each
// gives bit for bit what its JavaScript counterpart gives. Compiled with winograd.ts into one
// module by `deno task wasm`; deno fmt, lint and check skip this file (deno.json "exclude").

// mulberry32's increment: number i of a stream from `seed` starts from seed + (i + 1) K.
const K: i32 = 0x6d2b79f5;

// One mulberry32 output from its state s (as lib/blas/_dropout_mask.ts computes it).
@inline function mulberry(s: i32): u32 {
  let t = (s ^ (s >>> 15)) * (s | 1);
  t ^= t + (t ^ (t >>> 7)) * (t | 61);
  return <u32>(t ^ (t >>> 14));
}

// Dropout of n floats: mask[i] = scale when number start + i of the mulberry32 stream from
// `seed` is at least `threshold` (as an unsigned 32-bit integer: ceil(rate * 2^32)), else 0;
// dst[i] = src[i] * mask[i]. The same masks as fillDropoutMask(mask, rate, seed, start).
export function dropout(
  src: usize,
  mask: usize,
  dst: usize,
  n: i32,
  threshold: i32,
  scale: f32,
  seed: i32,
  start: i32,
): void {
  let s = i32x4.add(i32x4.splat(seed + start * K), i32x4.mul(i32x4(1, 2, 3, 4), i32x4.splat(K)));
  const step = i32x4.splat(4 * K);
  const bound = i32x4.splat(threshold);
  const kept = f32x4.splat(scale);
  const one = i32x4.splat(1), sixtyOne = i32x4.splat(61);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let t = i32x4.mul(v128.xor(s, i32x4.shr_u(s, 15)), v128.or(s, one));
    t = v128.xor(t, i32x4.add(t, i32x4.mul(v128.xor(t, i32x4.shr_u(t, 7)), v128.or(t, sixtyOne))));
    const u = v128.xor(t, i32x4.shr_u(t, 14));
    const m = v128.and(kept, i32x4.ge_u(u, bound));
    const at = <usize>i * 4;
    v128.store(mask + at, m);
    v128.store(dst + at, f32x4.mul(v128.load(src + at), m));
    s = i32x4.add(s, step);
  }
  for (; i < n; i++) {
    const m: f32 = mulberry(seed + (start + i + 1) * K) >= <u32>threshold ? scale : 0;
    const at = <usize>i * 4;
    store<f32>(mask + at, m);
    store<f32>(dst + at, load<f32>(src + at) * m);
  }
}

// ReLU gradient in place with bias sums: over rows of c floats (c a multiple of 4),
// g[i] = act[i] > 0 ? g[i] * mask[i] : 0 (no mask when `mask` is 0; the gate on the bits:
// +0, -0 and negative NaNs drop, as reluGradInto), and sums[k] (float64) += each row's g[k],
// row by row.
export function reluGradSums(g: usize, mask: usize, act: usize, sums: usize, rows: i32, c: i32): void {
  const zero = i32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const row = <usize>r * <usize>c * 4;
    for (let k = 0; k < c; k += 4) {
      const at = row + <usize>k * 4;
      let d = v128.load(g + at);
      if (mask != 0) d = f32x4.mul(d, v128.load(mask + at));
      d = v128.and(d, i32x4.gt_s(v128.load(act + at), zero));
      v128.store(g + at, d);
      const sp = sums + <usize>k * 8;
      v128.store(sp, f64x2.add(v128.load(sp), f64x2.promote_low_f32x4(d)));
      const high = i8x16.shuffle(d, d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
      v128.store(sp + 16, f64x2.add(v128.load(sp + 16), f64x2.promote_low_f32x4(high)));
    }
  }
}

// ReLU in place on the bits of n floats: negatives (also -0) to +0, NaN kept (as epilogue).
export function relu(p: usize, n: i32): void {
  const posInf = i32x4.splat(0x7f800000), nonSign = i32x4.splat(0x7fffffff);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = p + <usize>i * 4;
    const v = v128.load(at);
    const nan = i32x4.shr_s(i32x4.sub(posInf, v128.and(v, nonSign)), 31);
    v128.store(at, v128.and(v, v128.or(v128.not(i32x4.shr_s(v, 31)), nan)));
  }
  for (; i < n; i++) {
    const at = p + <usize>i * 4;
    const v = load<i32>(at);
    store<i32>(at, v & (~(v >> 31) | ((0x7f800000 - (v & 0x7fffffff)) >> 31)));
  }
}

// Writes values[i] (floats) to dz[at[i]] (floats from dz) for i < n, skipping at[i] < 0.
export function scatter(dz: usize, values: usize, at: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const j = load<i32>(at + <usize>i * 4);
    if (j >= 0) store<f32>(dz + <usize>j * 4, load<f32>(values + <usize>i * 4));
  }
}

// Writes 0 to dz[at[i]] for i < n, skipping at[i] < 0 (undoes scatter).
export function unscatter(dz: usize, at: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const j = load<i32>(at + <usize>i * 4);
    if (j >= 0) store<f32>(dz + <usize>j * 4, 0);
  }
}

// The pool's gradient written into whole windows of the grid: for n images of ph x pw x c
// pooled gradients (values, with the offsets `at` of their maxima in a grid of h x w x c per
// image), each window (rows 2py, 2py + 1, columns 2px, 2px + 1) gets the value at its maximum
// and 0 at its other three places (all four 0 when the offset is negative). What scatter
// writes, with unscatter's zeros for the step before included. c is a multiple of 4.
export function scatterWindows(
  dz: usize,
  values: usize,
  at: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  ph: i32,
  pw: i32,
): void {
  const row = w * c;
  const iota = i32x4(0, 1, 2, 3);
  const right = i32x4.splat(c), down = i32x4.splat(row), diagonal = i32x4.splat(row + c);
  let i: usize = 0;
  for (let im = 0; im < n; im++) {
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px++) {
        const top = ((im * h + 2 * py) * w + 2 * px) * c;
        for (let k = 0; k < c; k += 4) {
          const v = v128.load(values + i), a = v128.load(at + i);
          const rel = i32x4.sub(a, i32x4.add(i32x4.splat(top + k), iota));
          const p = dz + <usize>(top + k) * 4;
          v128.store(p, v128.and(v, i32x4.eq(rel, i32x4.splat(0))));
          v128.store(p + <usize>c * 4, v128.and(v, i32x4.eq(rel, right)));
          v128.store(p + <usize>row * 4, v128.and(v, i32x4.eq(rel, down)));
          v128.store(p + <usize>(row + c) * 4, v128.and(v, i32x4.eq(rel, diagonal)));
          i += 16;
        }
      }
    }
  }
}
