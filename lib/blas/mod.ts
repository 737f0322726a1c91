/**
 * Choosing and starting the TensorFlow.js backend a trial runs on: `blas` (OpenBLAS through
 * FFI), `tensorflow` (tfjs-node, when installed), `webgpu`, the pure-JS `cpu`, or `auto`.
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { BLAS_BACKEND, registerBlasBackend } from "./blas.ts";
import { silenceNodeBanner } from "./pooled_backend.ts";
import { blasConfig, ignoredBlasCoretype, loadBlas, setThreads } from "./openblas.ts";

// tfjs' own `cpu` backend, registered again without its "install tfjs-node" banner: every
// entry point (train, bench, notebooks, any script importing lib/) reaches tfjs through here.
// Its kernels stay registered under "cpu"; only the factory of the instance changes.
if (tf.findBackendFactory("cpu") !== null && !tf.engine().registry["cpu"]) {
  tf.removeBackend("cpu");
  tf.registerBackend("cpu", () => {
    const backend = new MathBackendCPU();
    silenceNodeBanner(backend);
    return backend;
  }, 1);
}
export { adadeltaUpdate } from "./_adadelta_update.ts";
export { fillDropoutMask } from "./_dropout_mask.ts";
export { FusedHelper } from "./_fused_helper.ts";
export {
  buildContext,
  type Context,
  type Layout,
  Phase,
  rowsPhase,
  type ThreadWinograd,
  weightsPhase,
} from "./_fused_kernels.ts";
export {
  Arena,
  buildWasm,
  type Kernels,
  type Placement,
  type PoolTransform,
  type TileTransform,
  WASM_PATH,
} from "./_wasm.ts";
export type { Winograd, WinogradFilterGradient, WinogradInputGradient } from "./_winograd.ts";
export { BLAS_RELU_BIAS_GRAD } from "./kernels/relu_grad.ts";
export { alloc, type CpuBackend } from "./kernels/util.ts";
export type { ConvInfo } from "./kernels/loops.ts";
export { blasConfig, blasThreads, setThreads, sgemm } from "./openblas.ts";

// The backend names are a trial argument: defined with the others in lib/record/.
import { type BackendName, BACKENDS } from "../record/mod.ts";
export { type BackendName, BACKENDS };

/** Options of {@link setupBackend}. */
export interface SetupOptions {
  /** Math threads (BLAS); null or absent for the number of cores. */
  threads?: number | null;
  /** Receives one line per decision (which backend `auto` chose, warnings). */
  log?: (line: string) => void;
}

/** The backend that is now active and the threads it uses. */
export interface BackendInfo {
  /** The backend's tfjs name (`blas`, `tensorflow`, `webgpu`, `cpu`). */
  name: string;
  /** Math threads it uses (BLAS threads for `blas`). */
  threads: number;
  /** The math library in use (OpenBLAS' config string for `blas`), or null. */
  library: string | null;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0];
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** `how` follows the backend's name in its one log line: " (auto)" when auto chose it. */
async function setupBlas(
  threads: number,
  log: (line: string) => void,
  how = "",
): Promise<BackendInfo> {
  const path = loadBlas();
  registerBlasBackend();
  const inEffect = setThreads(threads);
  await activate(BLAS_BACKEND);
  const library = blasConfig();
  log(
    `backend blas${how}: ${path}${library ? ` (${library})` : ""}, ${inEffect ?? threads} threads`,
  );
  const ignored = ignoredBlasCoretype();
  if (ignored !== null) {
    log(
      `note: OPENBLAS_CORETYPE=${ignored} from the environment set aside: OpenBLAS chose the ` +
        "kernel for this CPU, as in the trial containers (MNIST_BLAS_CORETYPE forces one)",
    );
  }
  return { name: BLAS_BACKEND, threads: inEffect ?? threads, library };
}

async function setupTensorflow(threads: number, log: (line: string) => void) {
  // A bare specifier in a variable: resolves only when the project maps it (deno add), so
  // asking for this backend never downloads anything nor touches the lock file.
  const specifier = "@tensorflow/tfjs-node";
  try {
    await import(specifier);
  } catch (e) {
    throw new Error(
      `backend tensorflow needs @tensorflow/tfjs-node, which did not load (${oneLine(e)}); ` +
        "installing it (deno add npm:@tensorflow/tfjs-node, then deno approve-scripts) " +
        "downloads libtensorflow from outside; use --backend blas instead",
    );
  }
  await activate("tensorflow");
  log(`backend tensorflow: tfjs-node`);
  return { name: "tensorflow", threads, library: null };
}

/** What {@link isSoftwareAdapter} reads of a WebGPU adapter (`GPUAdapter`, old and new Deno alike). */
export interface AdapterLike {
  /** Set when the browser engine gave a fallback (software) adapter (older API). */
  isFallbackAdapter?: boolean;
  /** The adapter's description (newer API: the fallback flag moved here). */
  info?: {
    isFallbackAdapter?: boolean;
    vendor?: string;
    architecture?: string;
    description?: string;
    device?: string;
  };
}

/** True when a WebGPU adapter is a software one (fallback flag, llvmpipe, SwiftShader...). */
export function isSoftwareAdapter(adapter: AdapterLike): boolean {
  if (adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter) return true;
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.description, info.device].join(" ");
  return /llvmpipe|lavapipe|swiftshader|software|softpipe|warp/i.test(text);
}

async function setupWebgpu(
  requireHardware: boolean,
  log: (line: string) => void,
  how = "",
): Promise<BackendInfo> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } })
    .gpu;
  if (!gpu) throw new Error("backend webgpu: navigator.gpu is not available in this Deno");
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error("backend webgpu: no WebGPU adapter found");
  const software = isSoftwareAdapter(adapter);
  if (software && requireHardware) {
    throw new Error("backend webgpu: only a software (fallback) adapter is available");
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  await activate("webgpu");
  const what = [adapter.info?.vendor, adapter.info?.description].filter(Boolean).join(" ");
  log(`backend webgpu${how}: ${what || "adapter"}${software ? " (software adapter: slow)" : ""}`);
  return { name: "webgpu", threads: 1, library: null };
}

/**
 * Makes `name` the active TensorFlow.js backend (for `auto`: blas, else a hardware WebGPU
 * adapter, else cpu with a warning). Throws an Error with a one-line message if it cannot.
 */
export async function setupBackend(
  name: BackendName,
  opts: SetupOptions = {},
): Promise<BackendInfo> {
  const log = opts.log ?? (() => {});
  const threads = opts.threads ?? navigator.hardwareConcurrency ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`threads must be a positive integer, got ${threads}`);
  }
  switch (name) {
    case "blas":
      return await setupBlas(threads, log);
    case "tensorflow":
      return await setupTensorflow(threads, log);
    case "webgpu":
      return await setupWebgpu(false, log);
    case "cpu":
      await activate("cpu");
      log("backend cpu: pure JavaScript, single thread (very slow for training)");
      return { name: "cpu", threads: 1, library: null };
    case "auto": {
      const reasons: string[] = [];
      const attempts = [
        () => setupBlas(threads, log, " (auto)"),
        () => setupWebgpu(true, log, " (auto)"),
      ];
      for (const attempt of attempts) {
        try {
          return await attempt();
        } catch (e) {
          reasons.push(oneLine(e));
        }
      }
      await activate("cpu");
      log(`warning: auto fell back to the slow cpu backend (${reasons.join("; ")})`);
      return { name: "cpu", threads: 1, library: null };
    }
    default:
      throw new Error(`unknown backend "${name}": expected one of ${BACKENDS.join(", ")}`);
  }
}

/** True when WebGPU offers a hardware (not software/fallback) adapter. */
export async function hardwareWebgpuAvailable(): Promise<boolean> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } })
    .gpu;
  if (!gpu) return false;
  try {
    const adapter = await gpu.requestAdapter();
    return adapter !== null && !isSoftwareAdapter(adapter);
  } catch {
    return false;
  }
}
export type { DenseLayout, SumSlots } from "./_fused_kernels.ts";
