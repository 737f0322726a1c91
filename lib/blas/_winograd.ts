/**
 * Winograd convolution for the fused step's last convolution: F(4x4,3x3) for the forward pass
 * and the filter gradient where the output divides by 4 (else F(2x2,3x3)), and for the input
 * gradient over zero-padded frames. The input, output and gradient transforms run in WebAssembly SIMD
 * (`wasm/winograd.ts`, AssemblyScript, built by `deno task wasm`), the products in between
 * are sgemms (one per plane: 36 or 16) on views of the module's memory, the filter
 * transforms are small loops here. Each thread has its own module instance and a memory of
 * fixed size (never grown, so the views stay valid). No TensorFlow.js import.
 * @module
 */

import { sgemm } from "./openblas.ts";
import { type Kernels, laidOut, offsetIn, type Placement } from "./_wasm.ts";
import type { ConvInfo } from "./kernels/loops.ts";

/** Output tile edge of F(2x2,3x3): 4x4 input patches step by 2, 16 planes. */
const TILE = 2;

/**
 * Output tile edge of F(4x4,3x3): 6x6 input patches step by 4, 36 planes; 1.8x fewer
 * multiply-adds than F(2x2,3x3) (4x fewer than direct), used where the output divides by 4.
 */
const BIG_TILE = 4;

/**
 * The output tile edge Winograd uses for a convolution's forward pass and filter gradient:
 * {@link BIG_TILE} when the output's height and width divide by it, else {@link TILE}. (The
 * input gradient's output, the input, is 2 wider than the forward's: it keeps {@link TILE}.)
 */
export function winogradTile(info: ConvInfo): number {
  return info.outHeight % BIG_TILE === 0 && info.outWidth % BIG_TILE === 0 ? BIG_TILE : TILE;
}

/** G of F(2x2,3x3), 4 rows of 3 (flat): U = G g G^T. */
const G2 = Float64Array.of(1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1);

/** G of F(4x4,3x3), 6 rows of 3 (flat), for the points 0, 1, -1, 2, -2 and infinity. */
const G4 = Float64Array.of(
  ...[1 / 4, 0, 0],
  ...[-1 / 6, -1 / 6, -1 / 6],
  ...[-1 / 6, 1 / 6, -1 / 6],
  ...[1 / 24, 1 / 12, 1 / 6],
  ...[1 / 24, -1 / 12, 1 / 6],
  ...[0, 0, 1],
);

/** Scratch floats of the module's F(4x4,3x3) kernels (944 bytes; F(2x2,3x3) needs 112). */
const SCRATCH = 256;

/**
 * Images per chunk of the fused step's Winograd passes: at 2, a chunk's transformed planes
 * (V and M, about 0.9 MB at 26x26x32 in, 64 out) stay near a core's cache; 6 images (the
 * direct pass's chunk) made the step 5-7 % slower (1 and 2 threads, AVX2 EPYC).
 */
export const WINOGRAD_IMAGES = 2;

/**
 * Whether Winograd applies to `info`: a 3x3 filter, stride 1, no dilation, no
 * padding, an even output size, and channel counts that are multiples of 4 (the SIMD width).
 */
export function winogradApplies(info: ConvInfo): boolean {
  return info.filterHeight === 3 && info.filterWidth === 3 &&
    info.strideHeight === 1 && info.strideWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 &&
    info.padInfo.top === 0 && info.padInfo.left === 0 &&
    info.outHeight === info.inHeight - 2 && info.outWidth === info.inWidth - 2 &&
    info.outHeight % TILE === 0 && info.outWidth % TILE === 0 &&
    info.inChannels % 4 === 0 && info.outChannels % 4 === 0;
}

/** A pass's kernels and shape for one tile edge. */
function kernels(ex: Kernels, tile: number) {
  const big = tile === BIG_TILE;
  return {
    /** Input patch edge; the transforms' planes are its square. */
    edge: tile + 2,
    input: big ? ex.inputTransform4 : ex.inputTransform,
    output: big ? ex.outputTransform4 : ex.outputTransform,
    gradient: big ? ex.gradientTransform4 : ex.gradientTransform,
    pool: big ? ex.outputTransformPool4 : ex.outputTransformPool,
    /** U = G g G^T's G. */
    g: big ? G4 : G2,
  };
}

/** One thread's Winograd buffers for a convolution's forward pass, all views of one wasm memory. */
export interface Winograd {
  /** Images per chunk the buffers hold. */
  images: number;
  /** A chunk's input images (h x w x ci each, channels innermost), copied in. */
  input: Float32Array;
  /** Transformed filters U[planes][ci][co]. */
  u: Float32Array;
  /** The chunk's output in a grid at the input's resolution (h x w x co per image), by {@link run}. */
  grid: Float32Array;
  /**
   * The chunk's 2x2 max pool of the output plus `bias`, ReLU ((h - 2) / 2 x (w - 2) / 2 x co
   * per image), written by {@link runPooled}.
   */
  pooled: Float32Array;
  /** Per pooled value, the offset of its maximum in the chunk's {@link grid}. */
  argmax: Int32Array;
  /** The bias added after the pool (co), copied in. */
  bias: Float32Array;
  /** Sets `u` from the convolution's filter laid out [3][3][ci][co]. */
  setFilter(g: Float32Array): void;
  /** Runs the chunk's first `count` images: input transform, sgemms, output transform. */
  run(count: number): void;
  /**
   * As {@link run}, with the output transform fused with the 2x2 max pool that follows, bias
   * and ReLU, into {@link pooled} and {@link argmax} (the grid is not written). The same
   * values and offsets as `maxPool2x2` of the grid, then `epilogue`. The input, pooled values
   * and offsets may be other arrays of the same memory (read and written in place).
   */
  runPooled(count: number, input?: Float32Array, pooled?: Float32Array, argmax?: Int32Array): void;
}

/**
 * One thread's Winograd F(4x4,3x3) buffers for a convolution's input gradient: the full
 * correlation of dz, zero-padded by 2 on each side, with the filter turned by 180 degrees and
 * its channels swapped. dz goes into a zero frame of 4 ceil(h / 4) + 2 rows and columns per
 * image; the result, 4 ceil(h / 4) square per image, is cut to h x w.
 */
export interface WinogradInputGradient {
  /** Images per chunk the buffers hold. */
  images: number;
  /** Sets the transformed filters from the convolution's filter laid out [3][3][ci][co]. */
  setFilter(g: Float32Array): void;
  /**
   * Writes the input gradient of images c0 .. c0 + count - 1 into `dIn` (h x w x ci each, from
   * image 0), from `dz`: per image a grid of h x w x co holding the (h - 2) x (w - 2) outputs'
   * gradients at its top left (the rest is not read), from image 0.
   */
  run(dz: Float32Array, c0: number, count: number, dIn: Float32Array): void;
}

const cache = new Map<string, unknown>();

/**
 * The pass `make` builds for `key`: on `on`, or else this thread's own, on a memory of its
 * own, made once and then reused.
 */
function placed<T>(
  key: string,
  make: (on: Placement) => T,
  on?: Placement,
): T {
  if (on) return make(on);
  if (!cache.has(key)) cache.set(key, laidOut(make).value);
  return cache.get(key) as T;
}

/**
 * `planes` sgemms M_p = V_p U_p over `tiles` tiles: V [tiles][planes][k], U [planes][k][n],
 * M [tiles][planes][n] (the transforms' interleaved layout).
 */
function planeProducts(
  v: Float32Array,
  u: Float32Array,
  m: Float32Array,
  tiles: number,
  planes: number,
  k: number,
  n: number,
) {
  for (let p = 0; p < planes; p++) {
    sgemm(
      false,
      false,
      tiles,
      n,
      k,
      1,
      v.subarray(p * k, tiles * planes * k),
      planes * k,
      u.subarray(p * k * n, (p + 1) * k * n),
      n,
      0,
      m.subarray(p * n, tiles * planes * n),
      planes * n,
    );
  }
}

/**
 * This thread's Winograd buffers for the forward pass of the convolution `info` (see
 * {@link winogradApplies}) in chunks of `images` images: on `on`, or else on a memory of its
 * own, made once and then reused.
 * @throws Error naming the module (`WASM_PATH`) when it was not built or is out of date
 */
export function winograd(info: ConvInfo, images: number, on?: Placement): Winograd {
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  return placed(`forward,${h},${w},${ci},${co},${images}`, ({ arena, kernels: ex }) => {
    const tile = winogradTile(info);
    const th = info.outHeight / tile, tw = info.outWidth / tile;
    const planes = (tile + 2) ** 2;
    const maxTiles = images * th * tw;
    // The pooled values (2x2 per 2x2 of output), their offsets and the bias.
    const pooledSize = (images * info.outHeight * info.outWidth * co) / 4;
    const input = arena.f32(images * h * w * ci), u = arena.f32(planes * ci * co);
    const v = arena.f32(planes * maxTiles * ci), m = arena.f32(planes * maxTiles * co);
    const grid = arena.f32(images * h * w * co);
    const pooled = arena.f32(pooledSize), argmax = arena.i32(pooledSize);
    const bias = arena.f32(co), scratch = arena.f32(SCRATCH);
    const kernel = ex ? kernels(ex, tile) : null;
    const memory = arena.memory!;
    /** Input transform and the sgemms of the chunk's first `count` images into M. */
    const transformed = (count: number, from: Float32Array) => {
      const at = offsetIn(memory, from);
      kernel!.input(at, v.byteOffset, count, h, w, ci, th, tw, scratch.byteOffset);
      planeProducts(v, u, m, count * th * tw, planes, ci, co);
    };
    return {
      images,
      input,
      u,
      grid,
      pooled,
      argmax,
      bias,
      setFilter(g: Float32Array) {
        filterTransform(g, ci, co, u, kernel!.g);
      },
      run(count: number) {
        transformed(count, input);
        kernel!.output(m.byteOffset, grid.byteOffset, count, h, w, co, th, tw, scratch.byteOffset);
      },
      runPooled(count: number, from = input, to = pooled, at = argmax) {
        transformed(count, from);
        kernel!.pool(
          m.byteOffset,
          offsetIn(memory, to),
          offsetIn(memory, at),
          bias.byteOffset,
          scratch.byteOffset,
          count,
          h,
          w,
          co,
          th,
          tw,
        );
      },
    };
  }, on);
}

/**
 * This thread's Winograd F(4x4,3x3) buffers for the input gradient of the convolution `info`
 * (see {@link winogradApplies}) in chunks of `images` images: on `on`, or else on a memory of
 * its own, made once and then reused.
 * @throws Error naming the module (`WASM_PATH`) when it was not built or is out of date
 */
export function winogradInputGradient(
  info: ConvInfo,
  images: number,
  on?: Placement,
): WinogradInputGradient {
  const { inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  // Into the pass: dz (co channels); out of it: the input's gradient (ci channels).
  const ci = info.outChannels, co = info.inChannels;
  return placed(`inputGradient,${h},${w},${ci},${co},${images}`, ({ arena, kernels: ex }) => {
    const th = Math.ceil(h / BIG_TILE), tw = Math.ceil(w / BIG_TILE);
    // The frame of the zero-padded dz and the grid of the (whole-tile) result, per image.
    const fh = BIG_TILE * th + 2, fw = BIG_TILE * tw + 2;
    const gh = BIG_TILE * th, gw = BIG_TILE * tw;
    const planes = (BIG_TILE + 2) ** 2;
    const maxTiles = images * th * tw;
    const frame = arena.f32(images * fh * fw * ci), u = arena.f32(planes * ci * co);
    const v = arena.f32(planes * maxTiles * ci), m = arena.f32(planes * maxTiles * co);
    const grid = arena.f32(images * gh * gw * co), scratch = arena.f32(SCRATCH);
    const kernel = ex ? kernels(ex, BIG_TILE) : null;
    const turned = new Float32Array(9 * ci * co);
    return {
      images,
      setFilter(g: Float32Array) {
        // g'[i][j][o][c] = g[2 - i][2 - j][c][o]: turned by 180 degrees, channels swapped.
        for (let k = 0; k < 9; k++) {
          const src = (8 - k) * ci * co, dst = k * ci * co;
          for (let c = 0; c < co; c++) {
            for (let o = 0; o < ci; o++) turned[dst + o * co + c] = g[src + c * ci + o];
          }
        }
        filterTransform(turned, ci, co, u, kernel!.g);
      },
      run(dz: Float32Array, c0: number, count: number, dIn: Float32Array) {
        // dz's outputs into the frames' interiors (from row and column 2); the borders stay 0.
        for (let i = 0; i < count; i++) {
          for (let y = 0; y < oh; y++) {
            const from = (((c0 + i) * h + y) * w) * ci;
            frame.set(dz.subarray(from, from + ow * ci), ((i * fh + y + 2) * fw + 2) * ci);
          }
        }
        kernel!.input(
          frame.byteOffset,
          v.byteOffset,
          count,
          fh,
          fw,
          ci,
          th,
          tw,
          scratch.byteOffset,
        );
        planeProducts(v, u, m, count * th * tw, planes, ci, co);
        kernel!.output(
          m.byteOffset,
          grid.byteOffset,
          count,
          gh,
          gw,
          co,
          th,
          tw,
          scratch.byteOffset,
        );
        for (let i = 0; i < count; i++) {
          for (let y = 0; y < h; y++) {
            const from = ((i * gh + y) * gw) * co;
            dIn.set(grid.subarray(from, from + w * co), (((c0 + i) * h + y) * w) * co);
          }
        }
      },
    };
  }, on);
}

/**
 * One thread's buffers for the filter gradient of a convolution by Winograd (the forward's
 * tile, {@link winogradTile}), all views of one wasm memory: per tile, the transformed input
 * patch V = B^T d B (as the forward) times the transformed output gradient A dY A^T, summed
 * over the tiles of every chunk added (one sgemm per plane), then dW = G^T (that sum) G.
 */
export interface WinogradFilterGradient {
  /** Images per chunk the buffers hold. */
  images: number;
  /** A chunk's input images (the convolution's input, h x w x ci each, NHWC), copied in. */
  input: Float32Array;
  /**
   * The chunk's output gradient in a grid at the input's resolution (h x w x co per image,
   * the outputs at their top-left positions; the rest is not read), copied in.
   */
  dz: Float32Array;
  /** Starts a new sum. */
  reset(): void;
  /**
   * Adds the chunk's first `count` images to the sum; the images and their dz may be other
   * arrays of the same memory (read in place).
   */
  add(count: number, input?: Float32Array, dz?: Float32Array): void;
  /**
   * Writes the filter gradient of everything added since {@link reset} into `dwT`, laid out
   * per tap [3][3] as [co][ci] (the kernel's [ci][co] transposed per tap).
   */
  result(dwT: Float32Array): void;
}

/**
 * This thread's buffers for the filter gradient of the convolution `info` (see
 * {@link winogradApplies}) by Winograd, in chunks of `images` images: made once, then reused.
 * @throws Error naming the module (`WASM_PATH`) when it was not built or is out of date
 * @example
 * ```ts ignore
 * const fg = winogradFilterGradient(info, 6);
 * fg.reset();
 * fg.input.set(images); // 6 images of h x w x ci
 * fg.dz.set(dz); // their output gradients, h x w x co each
 * fg.add(6);
 * fg.result(dwT); // [3][3][co][ci]
 * ```
 */
export function winogradFilterGradient(
  info: ConvInfo,
  images: number,
  on?: Placement,
): WinogradFilterGradient {
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  return placed(`filterGradient,${h},${w},${ci},${co},${images}`, ({ arena, kernels: ex }) => {
    const tile = winogradTile(info);
    const th = info.outHeight / tile, tw = info.outWidth / tile;
    const maxTiles = images * th * tw;
    const planes = (tile + 2) ** 2;
    const input = arena.f32(images * h * w * ci), dz = arena.f32(images * h * w * co);
    const v = arena.f32(planes * maxTiles * ci), m = arena.f32(planes * maxTiles * co);
    const du = arena.f32(planes * ci * co), scratch = arena.f32(SCRATCH);
    const kernel = ex ? kernels(ex, tile) : null;
    const memory = arena.memory!;
    let empty = true;
    return {
      images,
      input,
      dz,
      reset() {
        empty = true;
      },
      add(count: number, images = input, grads = dz) {
        const tiles = count * th * tw;
        const [x, y, s] = [offsetIn(memory, images), offsetIn(memory, grads), scratch.byteOffset];
        kernel!.input(x, v.byteOffset, count, h, w, ci, th, tw, s);
        kernel!.gradient(y, m.byteOffset, count, h, w, co, th, tw, s);
        // dU_p (co x ci) += dM_p^T V_p over the chunk's tiles.
        for (let p = 0; p < planes; p++) {
          sgemm(
            true,
            false,
            co,
            ci,
            tiles,
            1,
            m.subarray(p * co, tiles * planes * co),
            planes * co,
            v.subarray(p * ci, tiles * planes * ci),
            planes * ci,
            empty ? 0 : 1,
            du.subarray(p * ci * co, (p + 1) * ci * co),
            ci,
          );
        }
        empty = false;
      },
      result(dwT: Float32Array) {
        if (empty) return void dwT.fill(0, 0, 9 * ci * co);
        filterGradientTransform(du, ci * co, dwT, kernel!.g);
      },
    };
  }, on);
}

/**
 * dW = G^T dU G of each of `plane` e x e sums dU laid out du[e * e][plane] (plane e a + b for
 * row a, column b; e = G's rows), into dw[9][plane] (tap 3i + j): the transpose of
 * {@link filterTransform}, summed in float64.
 * @param gf G of the tile size, e rows of 3, flat (F(2x2,3x3)'s by default)
 */
export function filterGradientTransform(
  du: Float32Array,
  plane: number,
  dw: Float32Array,
  gf: Float64Array = G2,
): void {
  const e = gf.length / 3;
  const t = new Float64Array(3 * e);
  for (let i = 0; i < plane; i++) {
    // t = G^T dU (3 x e)
    for (let b = 0; b < e; b++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let a = 0; a < e; a++) {
        const x = du[(e * a + b) * plane + i];
        s0 += gf[3 * a] * x;
        s1 += gf[3 * a + 1] * x;
        s2 += gf[3 * a + 2] * x;
      }
      t[b] = s0;
      t[e + b] = s1;
      t[2 * e + b] = s2;
    }
    // dW = t G (3 x 3)
    for (let r = 0; r < 3; r++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let b = 0; b < e; b++) {
        const x = t[e * r + b];
        s0 += x * gf[3 * b];
        s1 += x * gf[3 * b + 1];
        s2 += x * gf[3 * b + 2];
      }
      dw[3 * r * plane + i] = s0;
      dw[(3 * r + 1) * plane + i] = s1;
      dw[(3 * r + 2) * plane + i] = s2;
    }
  }
}

/**
 * U = G g G^T of a 3x3 filter g laid out [3][3][ci][co] (the convolution's kernel), into
 * u[e * e][ci][co] (plane e a + b for row a, column b of U; e = G's rows), in float64.
 * @param gf G of the tile size, e rows of 3, flat (F(2x2,3x3)'s by default)
 */
export function filterTransform(
  g: Float32Array,
  ci: number,
  co: number,
  u: Float32Array,
  gf: Float64Array = G2,
): void {
  const plane = ci * co;
  const e = gf.length / 3;
  const t = new Float64Array(3 * e);
  for (let i = 0; i < plane; i++) {
    const g0 = g[i], g1 = g[plane + i], g2 = g[2 * plane + i];
    const g3 = g[3 * plane + i], g4 = g[4 * plane + i], g5 = g[5 * plane + i];
    const g6 = g[6 * plane + i], g7 = g[7 * plane + i], g8 = g[8 * plane + i];
    // t = G g (e x 3)
    for (let a = 0; a < e; a++) {
      const c0 = gf[3 * a], c1 = gf[3 * a + 1], c2 = gf[3 * a + 2];
      t[3 * a] = c0 * g0 + c1 * g3 + c2 * g6;
      t[3 * a + 1] = c0 * g1 + c1 * g4 + c2 * g7;
      t[3 * a + 2] = c0 * g2 + c1 * g5 + c2 * g8;
    }
    // U = t G^T (e x e)
    for (let a = 0; a < e; a++) {
      const t0 = t[3 * a], t1 = t[3 * a + 1], t2 = t[3 * a + 2];
      for (let b = 0; b < e; b++) {
        u[(e * a + b) * plane + i] = t0 * gf[3 * b] + t1 * gf[3 * b + 1] + t2 * gf[3 * b + 2];
      }
    }
  }
}
