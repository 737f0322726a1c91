/**
 * The trial's flags as data: each argument's key, flag name and kind, the defaults, and the
 * error type for bad flags. Shared by the trial CLI and the sweep (which writes flags back).
 * @module
 */

import type { TrialArgs } from "./record.ts";

/** Defaults of `scripts/train.ts` (the reference's defaults). */
export const DEFAULT_ARGS: Readonly<TrialArgs> = {
  epochs: 5,
  batchSize: 128,
  lr: 1.0,
  gamma: 0.7,
  seed: 1,
  testBatchSize: 1000,
  limitTrain: null,
  limitTest: null,
  dataDir: null,
  backend: "auto",
  threads: null,
};

/** How a flag's text becomes a value. */
export type Kind = "int" | "number" | "string";

/** One trial argument: its `TrialArgs` key, its CLI flag (without `--`) and its kind. */
export interface ArgSpec {
  key: keyof TrialArgs;
  flag: string;
  kind: Kind;
}

/** Every trial argument, in the order flags are written. */
export const ARG_SPECS: readonly ArgSpec[] = [
  { key: "epochs", flag: "epochs", kind: "int" },
  { key: "batchSize", flag: "batch-size", kind: "int" },
  { key: "lr", flag: "lr", kind: "number" },
  { key: "gamma", flag: "gamma", kind: "number" },
  { key: "seed", flag: "seed", kind: "int" },
  { key: "testBatchSize", flag: "test-batch-size", kind: "int" },
  { key: "limitTrain", flag: "limit-train", kind: "int" },
  { key: "limitTest", flag: "limit-test", kind: "int" },
  { key: "dataDir", flag: "data-dir", kind: "string" },
  { key: "backend", flag: "backend", kind: "string" },
  { key: "threads", flag: "threads", kind: "int" },
];

/** A bad flag or flag value; its message is one line meant for the user (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Finds the spec of a flag name (`batch-size`) or key (`batchSize`); undefined if none. */
export function findArgSpec(name: string): ArgSpec | undefined {
  return ARG_SPECS.find((s) => s.flag === name || s.key === name);
}
