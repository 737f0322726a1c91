/**
 * deno task wasm: compiles the AssemblyScript sources of the WebAssembly kernels
 * (lib/blas/wasm/winograd.ts and loops.ts) to lib/blas/wasm/kernels.wasm with SIMD.
 * scripts/setup.sh runs it.
 * @module
 */

import { buildWasm, WASM_PATH } from "../lib/blas/mod.ts";

if (Deno.args.some((a) => a === "-h" || a === "--help")) {
  console.log(`Usage: deno task wasm [-- --help]

Compiles lib/blas/wasm/winograd.ts and loops.ts (AssemblyScript) to ${WASM_PATH}
(WebAssembly SIMD, shared memory).`);
  Deno.exit(0);
}
const unknown = Deno.args.find((a) => a !== "--");
if (unknown !== undefined) {
  console.error(`wasm: unknown option '${unknown}' (accepted: --help)`);
  Deno.exit(2);
}
try {
  await buildWasm();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  Deno.exit(1);
}
console.log(`wasm: wrote ${WASM_PATH}`);
