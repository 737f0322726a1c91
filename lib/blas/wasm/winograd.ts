// AssemblyScript (not Deno TypeScript): Winograd F(2x2,3x3) and F(4x4,3x3) transforms for the
// fused step's last convolution, channels innermost, 4 channels per v128. Built by
// `deno task wasm` into winograd.wasm beside this file (not committed); loaded by
// lib/blas/_winograd.ts. deno fmt, lint and check skip this file (deno.json "exclude").
//
// The transformed planes (V, M, dM) are interleaved by tile: [tiles][planes][c], so that a
// tile's transform reads or writes one block (36 separate plane streams were 1.8x slower) and
// plane p is a matrix of rows `planes * c` apart for the sgemms.

// Input transform V = B^T d B of every 4x4 patch (stride 2) of n images of h x w x c (NHWC,
// at `inp`), th x tw tiles per image, into V[n*th*tw][16][c] (at `v`). c is a multiple of 4.
export function inputTransform(
  inp: usize,
  v: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  th: i32,
  tw: i32,
): void {
  const plane = <usize>c * 4; // planes interleaved: [tile][16][c]
  const row = <usize>w * <usize>c * 4;
  const col = <usize>c * 4;
  let tile = 0;
  for (let im = 0; im < n; im++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const base = inp + ((<usize>(im * h + ty * 2) * <usize>w + <usize>(tx * 2)) * <usize>c) * 4;
        const out = v + <usize>tile * 16 * <usize>c * 4;
        for (let k = 0; k < c; k += 4) {
          const o = <usize>k * 4;
          const p0 = base + o, p1 = p0 + row, p2 = p1 + row, p3 = p2 + row;
          const d00 = v128.load(p0), d01 = v128.load(p0 + col);
          const d02 = v128.load(p0 + 2 * col), d03 = v128.load(p0 + 3 * col);
          const d10 = v128.load(p1), d11 = v128.load(p1 + col);
          const d12 = v128.load(p1 + 2 * col), d13 = v128.load(p1 + 3 * col);
          const d20 = v128.load(p2), d21 = v128.load(p2 + col);
          const d22 = v128.load(p2 + 2 * col), d23 = v128.load(p2 + 3 * col);
          const d30 = v128.load(p3), d31 = v128.load(p3 + col);
          const d32 = v128.load(p3 + 2 * col), d33 = v128.load(p3 + 3 * col);
          // t = B^T d (rows of the patch)
          const t00 = f32x4.sub(d00, d20), t01 = f32x4.sub(d01, d21);
          const t02 = f32x4.sub(d02, d22), t03 = f32x4.sub(d03, d23);
          const t10 = f32x4.add(d10, d20), t11 = f32x4.add(d11, d21);
          const t12 = f32x4.add(d12, d22), t13 = f32x4.add(d13, d23);
          const t20 = f32x4.sub(d20, d10), t21 = f32x4.sub(d21, d11);
          const t22 = f32x4.sub(d22, d12), t23 = f32x4.sub(d23, d13);
          const t30 = f32x4.sub(d10, d30), t31 = f32x4.sub(d11, d31);
          const t32 = f32x4.sub(d12, d32), t33 = f32x4.sub(d13, d33);
          // V = t B (columns)
          const q = out + o;
          v128.store(q, f32x4.sub(t00, t02));
          v128.store(q + plane, f32x4.add(t01, t02));
          v128.store(q + 2 * plane, f32x4.sub(t02, t01));
          v128.store(q + 3 * plane, f32x4.sub(t01, t03));
          v128.store(q + 4 * plane, f32x4.sub(t10, t12));
          v128.store(q + 5 * plane, f32x4.add(t11, t12));
          v128.store(q + 6 * plane, f32x4.sub(t12, t11));
          v128.store(q + 7 * plane, f32x4.sub(t11, t13));
          v128.store(q + 8 * plane, f32x4.sub(t20, t22));
          v128.store(q + 9 * plane, f32x4.add(t21, t22));
          v128.store(q + 10 * plane, f32x4.sub(t22, t21));
          v128.store(q + 11 * plane, f32x4.sub(t21, t23));
          v128.store(q + 12 * plane, f32x4.sub(t30, t32));
          v128.store(q + 13 * plane, f32x4.add(t31, t32));
          v128.store(q + 14 * plane, f32x4.sub(t32, t31));
          v128.store(q + 15 * plane, f32x4.sub(t31, t33));
        }
        tile++;
      }
    }
  }
}

// Output transform Y = A^T M A of M[n*th*tw][16][c] (at `m`) into
// the 2x2 outputs of each tile, written into a grid of n images of h x w x c (at `grid`; tile
// (ty, tx) at rows 2ty, 2ty+1 and columns 2tx, 2tx+1). c is a multiple of 4.
export function outputTransform(
  m: usize,
  grid: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  th: i32,
  tw: i32,
): void {
  const plane = <usize>c * 4; // planes interleaved: [tile][16][c]
  const row = <usize>w * <usize>c * 4;
  const col = <usize>c * 4;
  let tile = 0;
  for (let im = 0; im < n; im++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const base = grid + ((<usize>(im * h + ty * 2) * <usize>w + <usize>(tx * 2)) * <usize>c) * 4;
        const src = m + <usize>tile * 16 * <usize>c * 4;
        for (let k = 0; k < c; k += 4) {
          const o = <usize>k * 4;
          const q = src + o;
          const m00 = v128.load(q), m01 = v128.load(q + plane);
          const m02 = v128.load(q + 2 * plane), m03 = v128.load(q + 3 * plane);
          const m10 = v128.load(q + 4 * plane), m11 = v128.load(q + 5 * plane);
          const m12 = v128.load(q + 6 * plane), m13 = v128.load(q + 7 * plane);
          const m20 = v128.load(q + 8 * plane), m21 = v128.load(q + 9 * plane);
          const m22 = v128.load(q + 10 * plane), m23 = v128.load(q + 11 * plane);
          const m30 = v128.load(q + 12 * plane), m31 = v128.load(q + 13 * plane);
          const m32 = v128.load(q + 14 * plane), m33 = v128.load(q + 15 * plane);
          // t = A^T M (rows)
          const t00 = f32x4.add(f32x4.add(m00, m10), m20);
          const t01 = f32x4.add(f32x4.add(m01, m11), m21);
          const t02 = f32x4.add(f32x4.add(m02, m12), m22);
          const t03 = f32x4.add(f32x4.add(m03, m13), m23);
          const t10 = f32x4.sub(f32x4.sub(m10, m20), m30);
          const t11 = f32x4.sub(f32x4.sub(m11, m21), m31);
          const t12 = f32x4.sub(f32x4.sub(m12, m22), m32);
          const t13 = f32x4.sub(f32x4.sub(m13, m23), m33);
          // Y = t A (columns)
          const p = base + o;
          v128.store(p, f32x4.add(f32x4.add(t00, t01), t02));
          v128.store(p + col, f32x4.sub(f32x4.sub(t01, t02), t03));
          v128.store(p + row, f32x4.add(f32x4.add(t10, t11), t12));
          v128.store(p + row + col, f32x4.sub(f32x4.sub(t11, t12), t13));
        }
        tile++;
      }
    }
  }
}

// Gradient transform dM = A dY A^T of each tile's 2x2 output gradient dY, read from a grid of
// n images of h x w x c (at `dz`; tile (ty, tx) at rows 2ty, 2ty+1 and columns 2tx, 2tx+1),
// into dM[n*th*tw][16][c] (at `m`), for the filter gradient
// G^T (sum over tiles of V ⊙ dM) G. A's rows are [1,0], [1,1], [1,-1], [0,-1]. c is a
// multiple of 4.
export function gradientTransform(
  dz: usize,
  m: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  th: i32,
  tw: i32,
): void {
  const plane = <usize>c * 4; // planes interleaved: [tile][16][c]
  const row = <usize>w * <usize>c * 4;
  const col = <usize>c * 4;
  let tile = 0;
  for (let im = 0; im < n; im++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const base = dz + ((<usize>(im * h + ty * 2) * <usize>w + <usize>(tx * 2)) * <usize>c) * 4;
        const out = m + <usize>tile * 16 * <usize>c * 4;
        for (let k = 0; k < c; k += 4) {
          const o = <usize>k * 4;
          const p = base + o;
          const y00 = v128.load(p), y01 = v128.load(p + col);
          const y10 = v128.load(p + row), y11 = v128.load(p + row + col);
          // t = A dY (rows): y0, y0 + y1, y0 - y1, -y1
          const s0 = f32x4.add(y00, y10), s1 = f32x4.add(y01, y11);
          const d0 = f32x4.sub(y00, y10), d1 = f32x4.sub(y01, y11);
          const n0 = f32x4.neg(y10), n1 = f32x4.neg(y11);
          // dM = t A^T (columns): a, a + b, a - b, -b of each row (a, b)
          const q = out + o;
          v128.store(q, y00);
          v128.store(q + plane, f32x4.add(y00, y01));
          v128.store(q + 2 * plane, f32x4.sub(y00, y01));
          v128.store(q + 3 * plane, f32x4.neg(y01));
          v128.store(q + 4 * plane, s0);
          v128.store(q + 5 * plane, f32x4.add(s0, s1));
          v128.store(q + 6 * plane, f32x4.sub(s0, s1));
          v128.store(q + 7 * plane, f32x4.neg(s1));
          v128.store(q + 8 * plane, d0);
          v128.store(q + 9 * plane, f32x4.add(d0, d1));
          v128.store(q + 10 * plane, f32x4.sub(d0, d1));
          v128.store(q + 11 * plane, f32x4.neg(d1));
          v128.store(q + 12 * plane, n0);
          v128.store(q + 13 * plane, f32x4.add(n0, n1));
          v128.store(q + 14 * plane, f32x4.sub(n0, n1));
          v128.store(q + 15 * plane, f32x4.neg(n1));
        }
        tile++;
      }
    }
  }
}

// Order-preserving integer keys of float bits (its own inverse): signed integer order of the
// keys is the order of the floats, -0 below +0, NaNs beyond the infinities.
@inline function key(v: v128): v128 {
  return v128.xor(v, v128.and(i32x4.shr_s(v, 31), i32x4.splat(0x7fffffff)));
}

const KEY_POS_INF: i32 = 0x7f800000;
const KEY_NEG_INF: i32 = 0xff800000 ^ 0x7fffffff;

// The output transform of outputTransform fused with the 2x2 max pool that follows the
// convolution, then bias and ReLU: each tile's four outputs are one pool window. Writes
// pooled[n*th*tw][c] = relu(max of the window + bias[c]) (at `pooled`) and the offset of the
// maximum in a grid of n images of h x w x c (at `argmax`, i32), as lib/blas/kernels/loops.ts
// maxPool2x2 and epilogue do: ties keep the first in window order, a NaN never wins (a window
// whose winner would be one takes the scalar path; all NaN: -Infinity and offset -1), ReLU
// keeps NaN. `scratch` holds 112 bytes for that path. c is a multiple of 4.
export function outputTransformPool(
  m: usize,
  pooled: usize,
  argmax: usize,
  bias: usize,
  scratch: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  th: i32,
  tw: i32,
): void {
  const plane = <usize>c * 4; // planes interleaved: [tile][16][c]
  const row = w * c;
  const iota = i32x4(0, 1, 2, 3);
  let tile = 0;
  for (let im = 0; im < n; im++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const at00 = ((im * h + ty * 2) * w + tx * 2) * c;
        const src = m + <usize>tile * 16 * <usize>c * 4;
        const dst = <usize>tile * <usize>c * 4;
        for (let k = 0; k < c; k += 4) {
          const o = <usize>k * 4;
          const q = src + o;
          const m00 = v128.load(q), m01 = v128.load(q + plane);
          const m02 = v128.load(q + 2 * plane), m03 = v128.load(q + 3 * plane);
          const m10 = v128.load(q + 4 * plane), m11 = v128.load(q + 5 * plane);
          const m12 = v128.load(q + 6 * plane), m13 = v128.load(q + 7 * plane);
          const m20 = v128.load(q + 8 * plane), m21 = v128.load(q + 9 * plane);
          const m22 = v128.load(q + 10 * plane), m23 = v128.load(q + 11 * plane);
          const m30 = v128.load(q + 12 * plane), m31 = v128.load(q + 13 * plane);
          const m32 = v128.load(q + 14 * plane), m33 = v128.load(q + 15 * plane);
          const t00 = f32x4.add(f32x4.add(m00, m10), m20);
          const t01 = f32x4.add(f32x4.add(m01, m11), m21);
          const t02 = f32x4.add(f32x4.add(m02, m12), m22);
          const t03 = f32x4.add(f32x4.add(m03, m13), m23);
          const t10 = f32x4.sub(f32x4.sub(m10, m20), m30);
          const t11 = f32x4.sub(f32x4.sub(m11, m21), m31);
          const t12 = f32x4.sub(f32x4.sub(m12, m22), m32);
          const t13 = f32x4.sub(f32x4.sub(m13, m23), m33);
          const y00 = f32x4.add(f32x4.add(t00, t01), t02);
          const y01 = f32x4.sub(f32x4.sub(t01, t02), t03);
          const y10 = f32x4.add(f32x4.add(t10, t11), t12);
          const y11 = f32x4.sub(f32x4.sub(t11, t12), t13);
          const i00 = i32x4.add(i32x4.splat(at00 + k), iota);
          poolWindow(y00, y01, y10, y11, i00, c, row, v128.load(bias + o), scratch,
            pooled + dst + o, argmax + dst + o);
        }
        tile++;
      }
    }
  }
}

// The 2x2 max pool of one window's four vectors (in window order; i00: the first one's grid
// offsets), plus bias, ReLU, stored at pooledAt, the offsets at argmaxAt (see
// outputTransformPool). `scratch`: 112 bytes.
@inline function poolWindow(
  y00: v128,
  y01: v128,
  y10: v128,
  y11: v128,
  i00: v128,
  c: i32,
  row: i32,
  bias: v128,
  scratch: usize,
  pooledAt: usize,
  argmaxAt: usize,
): void {
  // Max in window order by key, strictly greater replacing (the first of ties stays).
  let best = key(y00);
  let at = i00;
  let kv = key(y01);
  let g = i32x4.gt_s(kv, best);
  best = v128.bitselect(kv, best, g);
  at = v128.bitselect(i32x4.add(i00, i32x4.splat(c)), at, g);
  kv = key(y10);
  g = i32x4.gt_s(kv, best);
  best = v128.bitselect(kv, best, g);
  at = v128.bitselect(i32x4.add(i00, i32x4.splat(row)), at, g);
  kv = key(y11);
  g = i32x4.gt_s(kv, best);
  best = v128.bitselect(kv, best, g);
  at = v128.bitselect(i32x4.add(i00, i32x4.splat(row + c)), at, g);
  let y = key(best);
  const posInf = i32x4.splat(KEY_POS_INF);
  if (v128.any_true(v128.or(i32x4.gt_s(best, posInf), i32x4.lt_s(best, i32x4.splat(KEY_NEG_INF))))) {
    // A NaN would win in some lane: those lanes take the first largest non-NaN.
    v128.store(scratch, y);
    v128.store(scratch + 16, at);
    poolLaneWithNaN(y00, y01, y10, y11, i00, c, row, scratch);
    y = v128.load(scratch);
    at = v128.load(scratch + 16);
  }
  // Bias, then ReLU on the bits: negatives (also -0) to +0, NaN kept.
  y = f32x4.add(y, bias);
  const neg = i32x4.shr_s(y, 31);
  const nan = i32x4.shr_s(i32x4.sub(posInf, v128.and(y, i32x4.splat(0x7fffffff))), 31);
  v128.store(pooledAt, v128.and(y, v128.or(v128.not(neg), nan)));
  v128.store(argmaxAt, at);
}

// The lanes of a window whose key maximum is a NaN: the first value that is larger than every
// earlier non-NaN one (or -Infinity while none was taken), else -Infinity at offset -1.
// Writes those lanes' values and offsets over the keyed results at scratch and scratch + 16.
function poolLaneWithNaN(
  y00: v128,
  y01: v128,
  y10: v128,
  y11: v128,
  i00: v128,
  c: i32,
  row: i32,
  scratch: usize,
): void {
  const values = scratch + 32;
  v128.store(values, y00);
  v128.store(values + 16, y01);
  v128.store(values + 32, y10);
  v128.store(values + 48, y11);
  v128.store(values + 64, i00);
  for (let j: usize = 0; j < 4; j++) {
    const bits = load<i32>(scratch + 4 * j);
    const k = bits ^ ((bits >> 31) & 0x7fffffff);
    if (k <= KEY_POS_INF && k >= KEY_NEG_INF) continue;
    let best: f32 = -Infinity;
    let at: i32 = -1;
    const first = load<i32>(values + 64 + 4 * j);
    for (let p: usize = 0; p < 4; p++) {
      const x = load<f32>(values + 16 * p + 4 * j);
      if (x > best || (at < 0 && x == -Infinity)) {
        best = x;
        at = first + (p == 1 ? c : p == 2 ? row : p == 3 ? row + c : 0);
      }
    }
    store<f32>(scratch + 4 * j, at < 0 ? -Infinity : best);
    store<i32>(scratch + 16 + 4 * j, at);
  }
}

// Winograd F(4x4,3x3): 6x6 input patches at stride 4, 36 planes, 4x4 outputs per tile, with
// the points 0, 1, -1, 2, -2 and infinity. Each transform runs its 1-D form over the columns
// of a tile into `scratch` (at most 36 v128, 576 bytes), then over the rows.

// B^T x of six vectors (the rows of B^T: [4,0,-5,0,1,0], [0,-4,-4,1,1,0], [0,4,-4,-1,1,0],
// [0,-2,-1,2,1,0], [0,2,-1,-2,1,0], [0,4,0,-5,0,1]), stored at out, out + step, ...
@inline function inputRows(
  x0: v128,
  x1: v128,
  x2: v128,
  x3: v128,
  x4: v128,
  x5: v128,
  out: usize,
  step: usize,
): void {
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2);
  const a = f32x4.add(x3, x4), b = f32x4.add(x1, x2);
  const c = f32x4.sub(x4, x3), d = f32x4.sub(x1, x2);
  const e = f32x4.sub(x4, x2), f = f32x4.mul(two, f32x4.sub(x3, x1));
  v128.store(out, f32x4.add(f32x4.sub(f32x4.mul(four, x0), f32x4.mul(five, x2)), x4));
  v128.store(out + step, f32x4.sub(a, f32x4.mul(four, b)));
  v128.store(out + 2 * step, f32x4.add(c, f32x4.mul(four, d)));
  v128.store(out + 3 * step, f32x4.add(e, f));
  v128.store(out + 4 * step, f32x4.sub(e, f));
  v128.store(out + 5 * step, f32x4.add(f32x4.sub(f32x4.mul(four, x1), f32x4.mul(five, x3)), x5));
}

// As inputTransform for F(4x4,3x3): V = B^T d B of every 6x6 patch (stride 4) into
// V[n*th*tw][36][c].
export function inputTransform4(
  inp: usize,
  v: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  th: i32,
  tw: i32,
  scratch: usize,
): void {
  const plane = <usize>c * 4; // planes interleaved: [tile][36][c]
  const row = <usize>w * <usize>c * 4;
  const col = <usize>c * 4;
  let tile = 0;
  for (let im = 0; im < n; im++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const base = inp + ((<usize>(im * h + ty * 4) * <usize>w + <usize>(tx * 4)) * <usize>c) * 4;
        const out = v + <usize>tile * 36 * <usize>c * 4;
        for (let k = 0; k < c; k += 4) {
          const o = <usize>k * 4;
          // t = B^T d: column j of the patch into scratch[i][j].
          for (let j: usize = 0; j < 6; j++) {
            const p = base + o + j * col;
            inputRows(
              v128.load(p),
              v128.load(p + row),
              v128.load(p + 2 * row),
              v128.load(p + 3 * row),
              v128.load(p + 4 * row),
              v128.load(p + 5 * row),
              scratch + j * 16,
              96,
            );
          }
          // V = t B: row i of t into planes 6i .. 6i + 5.
          for (let i: usize = 0; i < 6; i++) {
            const s = scratch + i * 96;
            inputRows(
              v128.load(s),
              v128.load(s + 16),
              v128.load(s + 32),
              v128.load(s + 48),
              v128.load(s + 64),
              v128.load(s + 80),
              out + o + 6 * i * plane,
              plane,
            );
          }
        }
        tile++;
      }
    }
  }
}

// A^T x of six vectors (the rows of A^T: [1,1,1,1,1,0], [0,1,-1,2,-2,0], [0,1,1,4,4,0],
// [0,1,-1,8,-8,1]), stored at out, out + step, out + 2 step, out + 3 step.
@inline function outputRows(
  x0: v128,
  x1: v128,
  x2: v128,
  x3: v128,
  x4: v128,
  x5: v128,
  out: usize,
  step: usize,
): void {
  const a = f32x4.add(x1, x2), b = f32x4.sub(x1, x2);
  const c = f32x4.add(x3, x4), d = f32x4.sub(x3, x4);
  v128.store(out, f32x4.add(f32x4.add(x0, a), c));
  v128.store(out + step, f32x4.add(b, f32x4.mul(f32x4.splat(2), d)));
  v128.store(out + 2 * step, f32x4.add(a, f32x4.mul(f32x4.splat(4), c)));
  v128.store(out + 3 * step, f32x4.add(f32x4.add(b, f32x4.mul(f32x4.splat(8), d)), x5));
}

// Y = A^T M A of one tile's 4 channels (M at q, its planes `plane` bytes apart) into
// scratch + 576: y[a][b] at (4a + b) * 16.
@inline function outputTile4(q: usize, plane: usize, scratch: usize): void {
  for (let j: usize = 0; j < 6; j++) {
    const p = q + j * plane;
    outputRows(
      v128.load(p),
      v128.load(p + 6 * plane),
      v128.load(p + 12 * plane),
      v128.load(p + 18 * plane),
      v128.load(p + 24 * plane),
      v128.load(p + 30 * plane),
      scratch + j * 16,
      96,
    );
  }
  for (let a: usize = 0; a < 4; a++) {
    const s = scratch + a * 96;
    outputRows(
      v128.load(s),
      v128.load(s + 16),
      v128.load(s + 32),
      v128.load(s + 48),
      v128.load(s + 64),
      v128.load(s + 80),
      scratch + 576 + a * 64,
      16,
    );
  }
}

// As outputTransform for F(4x4,3x3): each tile's 4x4 outputs into the grid (tile (ty, tx) at
// rows 4ty .. 4ty + 3 and columns 4tx .. 4tx + 3). `scratch`: 832 bytes.
export function outputTransform4(
  m: usize,
  grid: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  th: i32,
  tw: i32,
  scratch: usize,
): void {
  const plane = <usize>c * 4; // planes interleaved: [tile][36][c]
  const row = <usize>w * <usize>c * 4;
  const col = <usize>c * 4;
  let tile = 0;
  for (let im = 0; im < n; im++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const base = grid + ((<usize>(im * h + ty * 4) * <usize>w + <usize>(tx * 4)) * <usize>c) * 4;
        const src = m + <usize>tile * 36 * <usize>c * 4;
        for (let k = 0; k < c; k += 4) {
          const o = <usize>k * 4;
          outputTile4(src + o, plane, scratch);
          for (let a: usize = 0; a < 4; a++) {
            for (let b: usize = 0; b < 4; b++) {
              v128.store(base + o + a * row + b * col, v128.load(scratch + 576 + (4 * a + b) * 16));
            }
          }
        }
        tile++;
      }
    }
  }
}

// As outputTransformPool for F(4x4,3x3): each tile's 4x4 outputs are four pool windows, so
// pooled holds n images of 2th x 2tw x c. `scratch`: 944 bytes.
export function outputTransformPool4(
  m: usize,
  pooled: usize,
  argmax: usize,
  bias: usize,
  scratch: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  th: i32,
  tw: i32,
): void {
  const plane = <usize>c * 4; // planes interleaved: [tile][36][c]
  const row = w * c;
  const iota = i32x4(0, 1, 2, 3);
  const y = scratch + 576;
  let tile = 0;
  for (let im = 0; im < n; im++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const src = m + <usize>tile * 36 * <usize>c * 4;
        for (let k = 0; k < c; k += 4) {
          const o = <usize>k * 4;
          outputTile4(src + o, plane, scratch);
          const b = v128.load(bias + o);
          for (let a = 0; a < 2; a++) {
            for (let bb = 0; bb < 2; bb++) {
              const at00 = ((im * h + ty * 4 + 2 * a) * w + tx * 4 + 2 * bb) * c + k;
              const dst = <usize>(((im * th * 2 + ty * 2 + a) * tw * 2 + tx * 2 + bb) * c) * 4;
              const s = y + <usize>(8 * a + 2 * bb) * 16;
              poolWindow(
                v128.load(s),
                v128.load(s + 16),
                v128.load(s + 64),
                v128.load(s + 80),
                i32x4.add(i32x4.splat(at00), iota),
                c,
                row,
                b,
                scratch + 832,
                pooled + dst + o,
                argmax + dst + o,
              );
            }
          }
        }
        tile++;
      }
    }
  }
}

// A x of four vectors (the rows of A, A^T's transpose: [1,0,0,0], [1,1,1,1], [1,-1,1,-1],
// [1,2,4,8], [1,-2,4,-8], [0,0,0,1]), stored at out, out + step, ... out + 5 step.
@inline function gradientRows(x0: v128, x1: v128, x2: v128, x3: v128, out: usize, step: usize): void {
  const e = f32x4.add(x0, x2), d = f32x4.add(x1, x3);
  const e4 = f32x4.add(x0, f32x4.mul(f32x4.splat(4), x2));
  const d4 = f32x4.add(f32x4.mul(f32x4.splat(2), x1), f32x4.mul(f32x4.splat(8), x3));
  v128.store(out, x0);
  v128.store(out + step, f32x4.add(e, d));
  v128.store(out + 2 * step, f32x4.sub(e, d));
  v128.store(out + 3 * step, f32x4.add(e4, d4));
  v128.store(out + 4 * step, f32x4.sub(e4, d4));
  v128.store(out + 5 * step, x3);
}

// As gradientTransform for F(4x4,3x3): dM = A dY A^T of each tile's 4x4 output gradient (from
// the grid, tile (ty, tx) at rows 4ty .. 4ty + 3, columns 4tx .. 4tx + 3) into
// dM[n*th*tw][36][c]. `scratch`: 384 bytes.
export function gradientTransform4(
  dz: usize,
  m: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  th: i32,
  tw: i32,
  scratch: usize,
): void {
  const plane = <usize>c * 4; // planes interleaved: [tile][36][c]
  const row = <usize>w * <usize>c * 4;
  const col = <usize>c * 4;
  let tile = 0;
  for (let im = 0; im < n; im++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const base = dz + ((<usize>(im * h + ty * 4) * <usize>w + <usize>(tx * 4)) * <usize>c) * 4;
        const out = m + <usize>tile * 36 * <usize>c * 4;
        for (let k = 0; k < c; k += 4) {
          const o = <usize>k * 4;
          // t = A dY: column j (of 4) into scratch[i][j], i < 6.
          for (let j: usize = 0; j < 4; j++) {
            const p = base + o + j * col;
            gradientRows(
              v128.load(p),
              v128.load(p + row),
              v128.load(p + 2 * row),
              v128.load(p + 3 * row),
              scratch + j * 16,
              64,
            );
          }
          // dM = t A^T: row i of t into planes 6i .. 6i + 5.
          for (let i: usize = 0; i < 6; i++) {
            const s = scratch + i * 64;
            gradientRows(
              v128.load(s),
              v128.load(s + 16),
              v128.load(s + 32),
              v128.load(s + 48),
              out + o + 6 * i * plane,
              plane,
            );
          }
        }
        tile++;
      }
    }
  }
}
