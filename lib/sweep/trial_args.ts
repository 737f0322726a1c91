/**
 * The trial CLI's arguments as the sweep sees them: their flag names, defaults, how a flag
 * value is parsed, and how a `TrialArgs` turns back into flags for `scripts/train.ts`.
 * @module
 */

import type { TrialArgs } from "../results.ts";

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
type Kind = "int" | "number" | "string";

/** One trial argument: its `TrialArgs` key, its CLI flag (without `--`) and its kind. */
export interface ArgSpec {
  key: keyof TrialArgs;
  flag: string;
  kind: Kind;
}

/** Every trial argument the sweep passes through, in the order flags are written. */
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

/** Error for a bad sweep flag; its message is one line meant for the user. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Finds the spec of a flag name (`batch-size`) or key (`batchSize`); undefined if none. */
export function findArgSpec(name: string): ArgSpec | undefined {
  return ARG_SPECS.find((s) => s.flag === name || s.key === name);
}

/**
 * Parses one value of a trial flag. Only the type is checked (an integer, a number); ranges
 * are the trial CLI's business, so `lr=-1` reaches it and fails there as a real trial would.
 */
export function parseArgValue(spec: ArgSpec, text: string): number | string {
  const where = `--${spec.flag} value ${JSON.stringify(text)}`;
  if (spec.kind === "string") {
    if (text === "") throw new UsageError(`${where}: expected a non-empty string`);
    return text;
  }
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw new UsageError(`${where}: expected a number`);
  }
  if (spec.kind === "int" && !Number.isInteger(value)) {
    throw new UsageError(`${where}: expected an integer`);
  }
  return value;
}

/** Returns `args` with one argument replaced. */
export function withArg(args: TrialArgs, key: keyof TrialArgs, value: number | string): TrialArgs {
  return { ...args, [key]: value } as TrialArgs;
}

/**
 * The flags that make `scripts/train.ts` resolve exactly `args` (so its record id equals
 * `trialId(args)`). Values are attached with `=` so negative numbers stay values.
 */
export function argsToFlags(args: TrialArgs): string[] {
  const flags: string[] = [];
  for (const spec of ARG_SPECS) {
    const value = args[spec.key];
    if (value === null) continue;
    if (spec.key === "backend" && value === DEFAULT_ARGS.backend) continue;
    flags.push(`--${spec.flag}=${value}`);
  }
  return flags;
}
