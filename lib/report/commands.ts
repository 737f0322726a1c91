/**
 * The commands the report prints to make what it shows: one trial in a container or in this
 * process, the bench.
 * @module
 */

import {
  type BenchRecord,
  type Cell,
  DEFAULT_ARGS,
  FIXED,
  type TrialArgs,
  trialId,
} from "../record/mod.ts";
import { formatLr } from "./charts.ts";

/** The full arguments of a reference trial with every other flag at its default. */
export function referenceArgs(cell: Cell): TrialArgs {
  return { ...DEFAULT_ARGS, ...cell, gamma: FIXED.gamma, seed: FIXED.seed };
}

/** The command that runs the trial of a cell in a fresh container, recording into `resultsDir`. */
export function sweepCommand(cell: Cell, resultsDir: string): string {
  const results = resultsDir === "results" ? "" : ` --results ${resultsDir}`;
  return `deno task sweep -- --grid epochs=${cell.epochs} --grid batch-size=${cell.batchSize} ` +
    `--grid lr=${formatLr(cell.lr)}${results}`;
}

/** The command that runs the trial of a cell in this process and writes its record. */
export function trainCommand(cell: Cell, resultsDir: string): string {
  const out = `${resultsDir}/trials/${trialId(referenceArgs(cell))}.json`;
  return `deno task train -- --epochs ${cell.epochs} --batch-size ${cell.batchSize} ` +
    `--lr ${formatLr(cell.lr)} --out ${out}`;
}

/**
 * The `deno task bench` command that measures what `bench` holds: the same backends, PyTorch
 * and whole epochs when it has them, steps, batch sizes and threads when not the defaults.
 * @param bench the bench record, or null for the plain command
 * @param resultsDir where its `--out` goes
 */
export function benchCommand(bench: BenchRecord | null, resultsDir: string): string {
  const flags: string[] = [];
  const ours = bench?.entries.filter((e) => e.name !== "pytorch") ?? [];
  const names = ours.map((e) => e.name);
  if (names.length > 0 && names.join(",") !== "blas") flags.push(`--backends ${names.join(",")}`);
  if (bench?.entries.some((e) => e.name === "pytorch")) flags.push("--vs-pytorch");
  const runs = Math.max(0, ...(bench?.epochs ?? []).map((r) => r.seconds.length));
  if (runs > 0) flags.push(`--epochs ${runs}`);
  const first = ours[0];
  const steps = first?.steps[0]?.samplesMs.length;
  if (steps !== undefined && steps !== 20) flags.push(`--steps ${steps}`);
  const sizes = first?.steps.map((s) => s.batchSize).join(",");
  if (sizes && sizes !== "32,64,128") flags.push(`--batch-sizes ${sizes}`);
  if (first && bench && first.threads !== bench.machine.cores) {
    flags.push(`--threads ${first.threads}`);
  }
  flags.push(`--out ${resultsDir}/bench.json`);
  return `deno task bench -- ${flags.join(" ")}`;
}
