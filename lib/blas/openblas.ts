/**
 * OpenBLAS (or any CBLAS) loaded through `Deno.dlopen`: single-precision matrix multiply on
 * Float32Array views without copies, and the BLAS thread count.
 * @module
 */

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
} as const;

type BlasLibrary = Deno.DynamicLibrary<typeof SYMBOLS>;

/** Library names tried, in order, after the `MNIST_BLAS_LIB` environment override. */
export const BLAS_LIBRARY_CANDIDATES: readonly string[] = [
  "libopenblas.so.0",
  "libopenblas.so",
  "libcblas.so.3",
  "libblas.so.3",
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/System/Library/Frameworks/Accelerate.framework/Accelerate",
  "libopenblas.dylib",
];

let library: BlasLibrary | null = null;
let loadedPath = "";
let ignoredCoretype: string | null = null;

/**
 * Runs `load` with OpenBLAS' kernel choice under our control: `MNIST_BLAS_CORETYPE` when
 * set (passed on as `OPENBLAS_CORETYPE`), else OpenBLAS' own choice for the CPU, as in the
 * trial containers, which never inherit the host's environment. An inherited
 * `OPENBLAS_CORETYPE` is set aside while the library loads (OpenBLAS reads it only then)
 * and put back for child processes.
 */
function withCoretype<T>(load: () => T): T {
  const inherited = Deno.env.get("OPENBLAS_CORETYPE");
  const chosen = Deno.env.get("MNIST_BLAS_CORETYPE");
  if (chosen) Deno.env.set("OPENBLAS_CORETYPE", chosen);
  else if (inherited !== undefined) Deno.env.delete("OPENBLAS_CORETYPE");
  try {
    return load();
  } finally {
    if (inherited !== undefined) Deno.env.set("OPENBLAS_CORETYPE", inherited);
    else Deno.env.delete("OPENBLAS_CORETYPE");
    ignoredCoretype = !chosen && inherited !== undefined ? inherited : null;
  }
}

/**
 * The `OPENBLAS_CORETYPE` that the environment held and loading set aside, or null (see
 * `MNIST_BLAS_CORETYPE`).
 */
export function ignoredBlasCoretype(): string | null {
  return ignoredCoretype;
}

function tryOpen(path: string): BlasLibrary | null {
  try {
    const lib = Deno.dlopen(path, SYMBOLS);
    return lib;
  } catch {
    return null;
  }
}

/**
 * Uses the BLAS library at `path`, which this process has already loaded (from a worker
 * thread: no environment changes while other threads run).
 */
export function useLoadedBlas(path: string): void {
  if (library) return;
  library = tryOpen(path);
  if (!library) throw new Error(`BLAS library ${path} could not be opened`);
  loadedPath = path;
}

/**
 * Loads the BLAS library once (env `MNIST_BLAS_LIB` first, then the usual names) and returns
 * its path; throws a one-line Error saying how to install OpenBLAS when none loads. OpenBLAS
 * picks its kernel for the CPU unless `MNIST_BLAS_CORETYPE` names one (an inherited
 * `OPENBLAS_CORETYPE` is set aside: see {@link ignoredBlasCoretype}).
 */
export function loadBlas(): string {
  if (library) return loadedPath;
  return withCoretype(openFirst);
}

function openFirst(): string {
  const override = Deno.env.get("MNIST_BLAS_LIB");
  if (override) {
    const lib = tryOpen(override);
    if (!lib) {
      throw new Error(
        `MNIST_BLAS_LIB=${override} could not be loaded as a CBLAS library (needs cblas_sgemm)`,
      );
    }
    library = lib;
    loadedPath = override;
    return loadedPath;
  }
  for (const name of BLAS_LIBRARY_CANDIDATES) {
    const lib = tryOpen(name);
    if (lib) {
      library = lib;
      loadedPath = name;
      return loadedPath;
    }
  }
  throw new Error(
    "no BLAS library found (tried MNIST_BLAS_LIB, libopenblas.so.0, libcblas.so.3, Accelerate): " +
      "install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread; macOS: built in) " +
      "or set MNIST_BLAS_LIB to its path",
  );
}

function lib(): BlasLibrary {
  if (!library) loadBlas();
  return library!;
}

function fits(x: Float32Array, rows: number, cols: number, ld: number): boolean {
  return ld >= cols && (rows === 0 || cols === 0 || (rows - 1) * ld + cols <= x.length);
}

/**
 * Row-major C = alpha * op(A) * op(B) + beta * C, where op(A) is m x k and op(B) is k x n.
 * A, B, C are Float32Array views (subarrays are passed without copying).
 */
export function sgemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): void {
  if (m === 0 || n === 0) return;
  // BLAS does no bounds checks: a wrong size here would corrupt memory, so refuse it.
  if (
    !fits(a, transA ? k : m, transA ? m : k, lda) ||
    !fits(b, transB ? n : k, transB ? k : n, ldb) ||
    !fits(c, m, n, ldc)
  ) {
    throw new RangeError(`sgemm: operand too small for m=${m} n=${n} k=${k}`);
  }
  lib().symbols.cblas_sgemm(
    CBLAS_ROW_MAJOR,
    transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
    transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
    m,
    n,
    k,
    alpha,
    a,
    lda,
    b,
    ldb,
    beta,
    c,
    ldc,
  );
}

/** Sets the number of BLAS threads (OpenBLAS only; a no-op elsewhere). Returns what is in effect, or null if unknown. */
export function setThreads(n: number): number | null {
  const symbols = lib().symbols;
  if (symbols.openblas_set_num_threads) symbols.openblas_set_num_threads(n);
  return symbols.openblas_get_num_threads ? symbols.openblas_get_num_threads() : null;
}

/** The number of BLAS threads in effect (OpenBLAS), or null when unknown. */
export function blasThreads(): number | null {
  const symbols = lib().symbols;
  return symbols.openblas_get_num_threads ? symbols.openblas_get_num_threads() : null;
}

/**
 * OpenBLAS' build and the CPU kernel it chose, e.g. "OpenBLAS 0.3.21 ... Cooperlake ...";
 * null for other BLAS libraries. The kernel changes speed (and the last float digits).
 */
export function blasConfig(): string | null {
  const symbols = lib().symbols;
  if (!symbols.openblas_get_config) return null;
  const pointer = symbols.openblas_get_config();
  return pointer === null ? null : new Deno.UnsafePointerView(pointer).getCString().trim();
}
