/**
 * The project's WebAssembly module: the Winograd transforms (`wasm/winograd.ts`) and the fused
 * step's element-wise loops (`wasm/loops.ts`), AssemblyScript compiled with SIMD on a shared
 * memory by `deno task wasm` (setup runs it) into {@link WASM_PATH}, which is not committed.
 * Instances run on memories of fixed size (never grown, so views of them stay valid); a
 * shared memory can be handed to a worker thread, whose own instance then works on the same
 * arrays. No TensorFlow.js import.
 * @module
 */

/** Where `deno task wasm` writes the module, from the repository root (for messages). */
export const WASM_PATH = "lib/blas/wasm/kernels.wasm";

const WASM_URL = new URL("./wasm/kernels.wasm", import.meta.url);
const SOURCES = ["./wasm/winograd.ts", "./wasm/loops.ts"].map((s) => new URL(s, import.meta.url));

/** Bytes of a memory page. */
const PAGE = 65536;

/** The pages the module's memory import allows at most (all of wasm32's 4 GiB). */
const MAX_PAGES = 65536;

/**
 * A transform of the module over the tiles of `n` images of `h` x `w` x `c` (`th` x `tw`
 * tiles each): from the floats at byte `src` to those at byte `dst`, the transformed planes
 * interleaved by tile ([tiles][planes][c]) on the planes' side; `scratch`: the byte offset of
 * scratch space (F(4x4,3x3) only).
 */
export type TileTransform = (
  src: number,
  dst: number,
  n: number,
  h: number,
  w: number,
  c: number,
  th: number,
  tw: number,
  scratch: number,
) => void;

/** The pooled output transform: byte offsets of M, pooled, argmax, bias, scratch; n, h, w, c, th, tw. */
export type PoolTransform = (
  m: number,
  pooled: number,
  argmax: number,
  bias: number,
  scratch: number,
  n: number,
  h: number,
  w: number,
  c: number,
  th: number,
  tw: number,
) => void;

/** The exports of the compiled module (byte offsets into its memory, counts in elements). */
export interface Kernels {
  /** Input patches (NHWC) to V = B^T d B, F(2x2,3x3). */
  inputTransform: TileTransform;
  /** M to each tile's 2x2 outputs, Y = A^T M A, into a grid (NHWC), F(2x2,3x3). */
  outputTransform: TileTransform;
  /** Each tile's 2x2 output gradient from a grid (NHWC) to dM = A dY A^T, F(2x2,3x3). */
  gradientTransform: TileTransform;
  /** M to each tile's 2x2 max pool plus bias, ReLU, with the maximum's grid offset. */
  outputTransformPool: PoolTransform;
  /** {@link inputTransform} of F(4x4,3x3): 6x6 patches at stride 4, 36 planes. */
  inputTransform4: TileTransform;
  /** {@link outputTransform} of F(4x4,3x3): 4x4 outputs per tile. */
  outputTransform4: TileTransform;
  /** {@link gradientTransform} of F(4x4,3x3): 4x4 output gradients to 36 planes. */
  gradientTransform4: TileTransform;
  /** {@link outputTransformPool} of F(4x4,3x3): four pool windows per tile. */
  outputTransformPool4: PoolTransform;
  /** Dropout mask and product, as `fillDropoutMask` (threshold: ceil(rate 2^32) as int32 bits). */
  dropout(
    src: number,
    mask: number,
    dst: number,
    n: number,
    threshold: number,
    scale: number,
    seed: number,
    start: number,
  ): void;
  /**
   * ReLU gradient in place, times `mask` unless it is 0, with float64 bias sums over rows of
   * c (a multiple of 4), as `reluGradInto`.
   */
  reluGradSums(g: number, mask: number, act: number, sums: number, rows: number, c: number): void;
  /** ReLU in place, as `epilogue`'s. */
  relu(p: number, n: number): void;
  /** dz[at[i]] = values[i] for the n offsets at `at` that are not negative. */
  scatter(dz: number, values: number, at: number, n: number): void;
  /** dz[at[i]] = 0 for the n offsets at `at` that are not negative. */
  unscatter(dz: number, at: number, n: number): void;
  /**
   * The 2x2 pool's gradient of n images (ph x pw x c) into whole windows of their grid
   * (h x w x c each): the value at the maximum's offset, 0 at the window's other places.
   */
  scatterWindows(
    dz: number,
    values: number,
    at: number,
    n: number,
    h: number,
    w: number,
    c: number,
    ph: number,
    pw: number,
  ): void;
}

/** Every export {@link Kernels} names: a module without one was built from an older source. */
const KERNEL_NAMES: (keyof Kernels)[] = [
  "inputTransform",
  "outputTransform",
  "gradientTransform",
  "outputTransformPool",
  "inputTransform4",
  "outputTransform4",
  "gradientTransform4",
  "outputTransformPool4",
  "dropout",
  "reluGradSums",
  "relu",
  "scatter",
  "unscatter",
  "scatterWindows",
];

let module: WebAssembly.Module | null = null;

/**
 * The compiled module, read once.
 * @throws Error naming {@link WASM_PATH} and `deno task wasm` when it is missing or older than
 * its sources' kernels
 */
function compiled(): WebAssembly.Module {
  if (module !== null) return module;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(WASM_URL);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error(`${WASM_PATH} is missing: run deno task wasm (setup does)`);
  }
  let built: WebAssembly.Module | null = null;
  try {
    built = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    // Not a module at all: as out of date.
  }
  // A module built from an older source lacks a kernel added since, or imports its memory
  // another way: say so, not "not a function" or a link error.
  const names = new Set(built ? WebAssembly.Module.exports(built).map((e) => e.name) : []);
  if (built === null || !KERNEL_NAMES.every((k) => names.has(k))) {
    throw new Error(`${WASM_PATH} is out of date: run deno task wasm (setup does)`);
  }
  module = built;
  return module;
}

/**
 * A shared memory of fixed size holding at least `bytes`.
 * @param bytes bytes the caller lays out in it
 */
export function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/**
 * An instance of the module on `memory` (one per thread; any number may share a memory).
 * @throws Error naming {@link WASM_PATH} when the module was not built or is out of date
 */
export function kernelsOn(memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(compiled(), {
    env: {
      memory,
      abort: () => {
        throw new Error("wasm: the module aborted");
      },
    },
  });
  return instance.exports as unknown as Kernels;
}

/**
 * Where arrays are laid out in a wasm memory: each call takes the next 64-byte-aligned array.
 * A measuring arena (no memory) hands out empty arrays and only counts the bytes.
 */
export class Arena {
  /** The memory the arrays view; null while measuring. */
  readonly memory: WebAssembly.Memory | null;
  #at: number;

  /** An arena on `memory` (null: measuring) from byte `start`. */
  constructor(memory: WebAssembly.Memory | null, start = 0) {
    this.memory = memory;
    this.#at = start;
  }

  /** Bytes laid out so far, from the memory's start. */
  get bytes(): number {
    return this.#at;
  }

  #take(bytes: number): number {
    const at = this.#at;
    this.#at += Math.ceil(bytes / 64) * 64;
    return at;
  }

  /** The next array of n float32. */
  f32(n: number): Float32Array {
    const at = this.#take(4 * n);
    return this.memory ? new Float32Array(this.memory.buffer, at, n) : new Float32Array(0);
  }

  /** The next array of n int32. */
  i32(n: number): Int32Array {
    const at = this.#take(4 * n);
    return this.memory ? new Int32Array(this.memory.buffer, at, n) : new Int32Array(0);
  }

  /** The next array of n float64. */
  f64(n: number): Float64Array {
    const at = this.#take(8 * n);
    return this.memory ? new Float64Array(this.memory.buffer, at, n) : new Float64Array(0);
  }
}

/** Where arrays go: an arena of a memory and this thread's kernels on it. */
export interface Placement {
  /** The arena the arrays are taken from. */
  arena: Arena;
  /** This thread's kernels on the arena's memory; null while the arena only measures. */
  kernels: Kernels | null;
}

/**
 * Lays out what `build` makes in `memory` from byte `start`, or (without a memory) in a new
 * shared memory of the size a first, measuring run of `build` found (its result dropped).
 * @returns what `build` made on the memory, and the memory
 */
export function laidOut<T>(
  build: (on: Placement) => T,
  start = 0,
  memory?: WebAssembly.Memory,
): { value: T; memory: WebAssembly.Memory } {
  if (!memory) {
    const arena = new Arena(null, start);
    build({ arena, kernels: null });
    memory = sharedMemory(arena.bytes);
  }
  return { value: build({ arena: new Arena(memory, start), kernels: kernelsOn(memory) }), memory };
}

/** The byte offset of `view` in `memory`, which it must view. */
export function offsetIn(memory: WebAssembly.Memory, view: ArrayBufferView): number {
  if (view.buffer !== memory.buffer) throw new Error("wasm: an array outside the kernels' memory");
  return view.byteOffset;
}

/**
 * Compiles the AssemblyScript sources to {@link WASM_PATH} (SIMD, a shared imported memory),
 * through the `assemblyscript` package pinned in deno.json.
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
    ...SOURCES.map((s) => decodeURIComponent(s.pathname)),
    "-O3",
    "--enable",
    "simd",
    "--enable",
    "threads",
    "--runtime",
    "stub",
    "--importMemory",
    "--sharedMemory",
    "--maximumMemory",
    String(MAX_PAGES),
    "--outFile",
    decodeURIComponent(WASM_URL.pathname),
  ], { stdout: sink, stderr: sink });
  if (error) throw new Error(`wasm: compiling failed: ${error.message}\n${messages}`.trim());
}
