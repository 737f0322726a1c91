/**
 * The benchmark: timing training steps per backend and batch size, whole epochs against
 * PyTorch, and the tables printed from a bench record. The one door to `lib/bench/`.
 * @module
 */

export { BENCH_HELP, formatBenchTable, parseBenchArgs, runBench } from "./bench.ts";
export type { BenchOptions } from "./bench.ts";
export { isBusy, machineLoad } from "./machine_load.ts";
export { TORCH_SCRIPT } from "./epoch.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export { BACKENDS } from "../record/mod.ts";
export type {
  BackendName,
  BenchEntry,
  BenchFloor,
  BenchRecord,
  BenchStep,
  EpochRuns,
  MachineLoad,
} from "../record/mod.ts";
