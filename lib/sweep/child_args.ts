/**
 * The trial CLI's arguments as the sweep sees them: their flag names, defaults, how a flag
 * value is parsed, and how a `TrialArgs` turns back into flags for `scripts/train.ts`.
 * @module
 */

import {
  ARG_SPECS,
  type ArgSpec,
  DEFAULT_ARGS,
  type TrialArgs,
  UsageError,
} from "../record/mod.ts";
import { checkpointDir, modelDir, recordPath } from "./layout.ts";

export { ARG_SPECS, type ArgSpec, DEFAULT_ARGS, findArgSpec, UsageError } from "../record/mod.ts";

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
 * The flags of one sweep trial, given where its results directory is as the trial sees it
 * (a container sees it mounted elsewhere): its arguments, its record, its checkpoint
 * directory and, with `saveModel`, its model directory.
 */
export function trialFlags(
  args: TrialArgs,
  id: string,
  resultsDir: string,
  saveModel: boolean,
): string[] {
  const flags = [
    ...argsToFlags(args),
    `--out=${recordPath(resultsDir, id)}`,
    `--checkpoint-dir=${checkpointDir(resultsDir, id)}`,
  ];
  if (saveModel) flags.push(`--save-model=${modelDir(resultsDir, id)}`);
  return flags;
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
