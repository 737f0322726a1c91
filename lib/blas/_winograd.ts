/**
 * Winograd F(2x2,3x3) for the forward pass of the fused step's last convolution: the input and
 * output transforms run in WebAssembly SIMD (`wasm/winograd.ts`, AssemblyScript, built by
 * `deno task wasm`), the 16 products in between are sgemms on views of the module's memory,
 * the filter transform is a small loop here. Each thread has its own module instance and a
 * memory of fixed size (never grown, so the views stay valid). No TensorFlow.js import.
 * @module
 */

import { sgemm } from "./openblas.ts";
import type { ConvInfo } from "./kernels/loops.ts";

/** Where `deno task wasm` writes the module, from the repository root (for messages). */
export const WASM_PATH = "lib/blas/wasm/winograd.wasm";

const WASM_URL = new URL("./wasm/winograd.wasm", import.meta.url);
const SOURCE_URL = new URL("./wasm/winograd.ts", import.meta.url);

/** Output tile edge (F(2x2,3x3)): 2, so the 4x4 input patches step by 2. */
const TILE = 2;

/**
 * Floats between the ends of the 16 planes of V and M: their starts are then not 4096 bytes
 * apart (a multiple of it makes the transforms' 16 streams collide in the cache; 2.2x slower).
 */
const PLANE_PAD = 16;

/** Floats from one plane's start to the next for `rows` rows of `cols`. */
function planeStride(rows: number, cols: number): number {
  const floats = rows * cols;
  return (floats * 4) % 4096 === 0 ? floats + PLANE_PAD : floats;
}

/**
 * Whether the Winograd forward applies to `info`: a 3x3 filter, stride 1, no dilation, no
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

/** The exports of the compiled module. */
interface Exports {
  inputTransform(
    inp: number,
    v: number,
    n: number,
    h: number,
    w: number,
    c: number,
    th: number,
    tw: number,
    plane: number,
  ): void;
  outputTransform(
    m: number,
    grid: number,
    n: number,
    h: number,
    w: number,
    c: number,
    th: number,
    tw: number,
    plane: number,
  ): void;
}

/**
 * What a {@link Winograd} computes: the forward pass (input -> output of a valid convolution) or
 * the input gradient (dz, zero-padded by 2 on each side, -> the input's gradient: the full
 * correlation with the filter turned by 180 degrees and transposed).
 */
export type WinogradPass = "forward" | "inputGradient";

/** One thread's Winograd buffers for a convolution's shape, all views of one wasm memory. */
export interface Winograd {
  /** Images per chunk the buffers hold. */
  images: number;
  /**
   * A chunk's input at the convolution input's resolution (h x w per image), channels
   * innermost, copied in: for the forward pass the images; for the input gradient dz in a grid
   * of h x w per image (zero outside the output's rows and columns), after `lead` grid rows
   * (those before the chunk's first image; zero before the batch's).
   */
  input: Float32Array;
  /** Grid rows before the first image in `input`: 0 forward, 2w + 2 for the input gradient. */
  lead: number;
  /** Transformed filters U[16][k][n] (k, n: channels in and out of the pass). */
  u: Float32Array;
  /** The chunk's result at the convolution input's resolution (forward: 2x2 per tile written). */
  grid: Float32Array;
  /** Sets `u` from the convolution's filter laid out [3][3][ci][co]. */
  setFilter(g: Float32Array): void;
  /** Runs the chunk's first `count` images: input transform, 16 sgemms, output transform. */
  run(count: number): void;
}

let module: WebAssembly.Module | null = null;
const cache = new Map<string, Winograd>();

function compiled(): WebAssembly.Module {
  if (module !== null) return module;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(WASM_URL);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error(`${WASM_PATH} is missing: run deno task wasm (setup does)`);
  }
  module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  return module;
}

/**
 * This thread's Winograd buffers for `pass` of the convolution `info` (see
 * {@link winogradApplies}) in chunks of `images` images: made once, then reused.
 * @throws Error naming {@link WASM_PATH} when the module was not built
 */
export function winograd(info: ConvInfo, images: number, pass: WinogradPass = "forward"): Winograd {
  const { inHeight: h, inWidth: w } = info;
  const forward = pass === "forward";
  // Channels into and out of the pass, tiles per image, leading grid rows.
  const ci = forward ? info.inChannels : info.outChannels;
  const co = forward ? info.outChannels : info.inChannels;
  const th = forward ? info.outHeight / TILE : h / TILE,
    tw = forward ? info.outWidth / TILE : w / TILE;
  const lead = forward ? 0 : 2 * w + 2;
  const key = `${pass},${h},${w},${ci},${co},${images}`;
  const known = cache.get(key);
  if (known) return known;
  const maxTiles = images * th * tw;
  const sizes = [
    (images * h * w + lead) * ci,
    16 * ci * co,
    16 * (maxTiles * ci + PLANE_PAD),
    16 * (maxTiles * co + PLANE_PAD),
    images * h * w * co,
  ];
  const offsets: number[] = [];
  let bytes = 0;
  for (const s of sizes) {
    offsets.push(bytes);
    bytes += Math.ceil((4 * s) / 64) * 64;
  }
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const instance = new WebAssembly.Instance(compiled(), {
    env: {
      memory,
      abort: () => {
        throw new Error("winograd: the wasm module aborted");
      },
    },
  });
  const ex = instance.exports as unknown as Exports;
  const view = (j: number) => new Float32Array(memory.buffer, offsets[j], sizes[j]);
  const [input, u, v, m, grid] = [0, 1, 2, 3, 4].map(view);
  const turned = forward ? null : new Float32Array(9 * ci * co);
  const wg: Winograd = {
    images,
    input,
    lead,
    u,
    grid,
    setFilter(g: Float32Array) {
      if (turned === null) return filterTransform(g, ci, co, u);
      // g'[i][j][o][c] = g[2 - i][2 - j][c][o]: turned by 180 degrees, channels swapped.
      for (let k = 0; k < 9; k++) {
        const src = (8 - k) * ci * co, dst = k * ci * co;
        for (let c = 0; c < co; c++) {
          for (let o = 0; o < ci; o++) turned[dst + o * co + c] = g[src + c * ci + o];
        }
      }
      filterTransform(turned, ci, co, u);
    },
    run(count: number) {
      const tiles = count * th * tw;
      const vs = planeStride(tiles, ci), ms = planeStride(tiles, co);
      ex.inputTransform(offsets[0], offsets[2], count, h, w, ci, th, tw, 4 * vs);
      for (let p = 0; p < 16; p++) {
        sgemm(
          false,
          false,
          tiles,
          co,
          ci,
          1,
          v.subarray(p * vs, p * vs + tiles * ci),
          ci,
          u.subarray(p * ci * co, (p + 1) * ci * co),
          co,
          0,
          m.subarray(p * ms, p * ms + tiles * co),
          co,
        );
      }
      ex.outputTransform(offsets[3], offsets[4], count, h, w, co, th, tw, 4 * ms);
    },
  };
  cache.set(key, wg);
  return wg;
}

/**
 * U = G g G^T of a 3x3 filter g laid out [3][3][ci][co] (the convolution's kernel), into
 * u[16][ci][co] (plane 4a + b for row a, column b of U).
 */
export function filterTransform(g: Float32Array, ci: number, co: number, u: Float32Array): void {
  const plane = ci * co;
  const t = new Float64Array(12);
  for (let i = 0; i < plane; i++) {
    // t = G g: rows of G are [1,0,0], [.5,.5,.5], [.5,-.5,.5], [0,0,1].
    for (let j = 0; j < 3; j++) {
      const g0 = g[j * plane + i], g1 = g[(3 + j) * plane + i], g2 = g[(6 + j) * plane + i];
      t[j] = g0;
      t[3 + j] = 0.5 * (g0 + g1 + g2);
      t[6 + j] = 0.5 * (g0 - g1 + g2);
      t[9 + j] = g2;
    }
    // U = t G^T
    for (let a = 0; a < 4; a++) {
      const r0 = t[3 * a], r1 = t[3 * a + 1], r2 = t[3 * a + 2];
      u[(4 * a) * plane + i] = r0;
      u[(4 * a + 1) * plane + i] = 0.5 * (r0 + r1 + r2);
      u[(4 * a + 2) * plane + i] = 0.5 * (r0 - r1 + r2);
      u[(4 * a + 3) * plane + i] = r2;
    }
  }
}

/**
 * Compiles `wasm/winograd.ts` (AssemblyScript) to {@link WASM_PATH} with SIMD, through the
 * `assemblyscript` package pinned in deno.json.
 * @throws Error with the compiler's messages when it fails
 */
export async function buildWasm(): Promise<void> {
  const asc = (await import("assemblyscript/asc")).default;
  let messages = "";
  const sink = {
    write(chunk: Uint8Array | string) {
      messages += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      return true;
    },
  };
  const { error } = await asc.main([
    decodeURIComponent(SOURCE_URL.pathname),
    "-O3",
    "--enable",
    "simd",
    "--runtime",
    "stub",
    "--importMemory",
    "--outFile",
    decodeURIComponent(WASM_URL.pathname),
  ], { stdout: sink, stderr: sink });
  if (error) throw new Error(`wasm: compiling failed: ${error.message}\n${messages}`.trim());
}
