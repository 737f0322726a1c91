/**
 * The result record of one trial: its schema, how it is identified, and how it is written
 * (atomically) and read back (validated).
 * @module
 */

import type { TrialArgs } from "./args.ts";

/** Version of the record layout; bump it when a field changes meaning or disappears. */
export const SCHEMA_VERSION = 1;

/** How a trial ended. */
export type TrialStatus = "ok" | "diverged" | "failed" | "interrupted";

/** Metrics of one epoch; accuracies are fractions in [0, 1], times in seconds. */
export interface EpochMetrics {
  /** Epoch number, from 1. */
  epoch: number;
  /** Learning rate used in this epoch. */
  lr: number;
  /** Mean NLL loss over the training batches. */
  trainLoss: number;
  /** Training accuracy. */
  trainAcc: number;
  /** Mean NLL loss on the test set. */
  valLoss: number;
  /** Test-set accuracy. */
  valAcc: number;
  /** Train + evaluation wall time of this epoch. */
  epochTime: number;
  /** Training wall time of this epoch. */
  trainTime: number;
  /** Evaluation wall time of this epoch. */
  evalTime: number;
  /**
   * Peak resident set size of the trial's process so far, in bytes, at the end of this epoch
   * (null where unknown; absent from records written before it was kept).
   */
  peakRssBytes?: number | null;
}

/** Totals over the finished epochs (the last epoch's metrics, the summed time). */
export interface TrialTotals {
  /** Epochs finished. */
  epochsDone: number;
  /** Training loss of the last epoch. */
  trainLoss: number;
  /** Training accuracy of the last epoch. */
  trainAcc: number;
  /** Validation loss of the last epoch. */
  valLoss: number;
  /** Validation accuracy of the last epoch. */
  valAcc: number;
  /** Summed epoch times, in seconds. */
  totalTime: number;
}

/** One IDX file that fed the trial. */
export interface DatasetFile {
  /** File name. */
  name: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of its content, in hex. */
  sha256: string;
}

/** Where the data came from and how much of it was used. */
export interface DatasetInfo {
  /** Directory (or package) the files came from. */
  source: string;
  /** The four IDX files. */
  files: DatasetFile[];
  /** Training images used. */
  trainCount: number;
  /** Test images used. */
  testCount: number;
}

/** The machine and software a trial ran on. */
export interface Environment {
  /** Deno version. */
  deno: string;
  /** V8 version. */
  v8: string;
  /** TypeScript version. */
  typescript: string;
  /** TensorFlow.js version ("unknown" where the trial never loaded it). */
  tfjs: string;
  /** Backend actually used (after `auto` resolved). */
  backend: string;
  /** Math threads in effect. */
  threads: number;
  /** CPU model name. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Operating system and kernel release. */
  os: string;
  /** CPU architecture. */
  arch: string;
  /** Host (or container) name. */
  hostname: string;
  /** From the environment variable `TRIAL_IMAGE_ID` when run in a container. */
  imageId: string | null;
  /** From `TRIAL_GIT_COMMIT` or `git rev-parse HEAD` when known. */
  gitCommit: string | null;
  /** The math library and the CPU kernel it chose (OpenBLAS' config); absent in older records. */
  library?: string | null;
  /** The engine that ran the trial (`docker`, `swarm`, ...), from `TRIAL_RUNNER`; absent in older records. */
  runner?: string | null;
  /** The cluster node it ran on (a swarm node's hostname, a pod's node), from `TRIAL_NODE`. */
  node?: string | null;
}

/**
 * Whether a trial did all it was asked: it trained (`ok`) and nothing after training failed
 * (with `--save-model`, an `ok` record whose model could not be saved carries an error).
 * @param record a validated record
 * @returns true when the trial needs no further run
 */
export function fullyOk(record: TrialRecord): boolean {
  return record.status === "ok" && record.error === null;
}

/**
 * Where a trial ran, in words: `container sha256:<12 hex>` (its image) or `local process`.
 * @param imageId the record's `environment.imageId`
 * @returns a short label for tables and plans
 * @example
 * ```ts
 * ranIn("sha256:0123456789abcdef0123"); // "container sha256:0123456789ab"
 * ranIn(null); // "local process"
 * ```
 */
export function ranIn(imageId: string | null): string {
  return imageId === null ? "local process" : `container ${imageId.slice(0, 19)}`;
}

/**
 * Where a set of trials ran: one label when they all ran the same way, else each label with
 * its count, most first (`container sha256:… (5 trials); local process (1 trial)`).
 */
export function ranInSummary(records: readonly TrialRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) {
    const where = ranIn(r.environment.imageId);
    counts.set(where, (counts.get(where) ?? 0) + 1);
  }
  const entries = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length <= 1) return entries[0]?.[0] ?? "-";
  return entries.map(([w, n]) => `${w} (${n} trial${n === 1 ? "" : "s"})`).join("; ");
}

/** The JSON document written for every trial. */
export interface TrialRecord {
  /** {@link SCHEMA_VERSION} of the layout. */
  schema: number;
  /** Stable identifier derived from the arguments that change the result. */
  id: string;
  /** How the trial ended. */
  status: TrialStatus;
  /** Every argument, as resolved. */
  args: TrialArgs;
  /** Metrics of each finished epoch. */
  epochs: EpochMetrics[];
  /** Totals over the finished epochs; null when none finished. */
  totals: TrialTotals | null;
  /** Where the loss stopped being finite, when status is `diverged`. */
  divergence: { epoch: number; batch: number; loss: number } | null;
  /** What went wrong, when status is `failed` or `interrupted`. */
  error: { message: string; exitCode: number | null; stderrTail: string | null } | null;
  /** The data used; null when it was never loaded. */
  dataset: DatasetInfo | null;
  /** The machine and software it ran on. */
  environment: Environment;
  /** When the trial first started (before any resume), ISO 8601. */
  startedAt: string;
  /** End time, ISO 8601. */
  endedAt: string;
  /**
   * Present when the trial continued from a checkpoint: after which epoch and when, once per
   * resume. The epochs' times are the ones measured when each epoch ran.
   */
  resumed?: { afterEpoch: number; at: string }[];
}

/**
 * Writes `data` to `path` atomically: a temporary file beside it, then a rename; the
 * temporary file is removed when anything fails.
 * @param path the file
 * @param data its new content, text or bytes
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Synchronous twin of {@link writeFileAtomic}, for signal handlers and exit paths. */
export function writeFileAtomicSync(path: string, text: string): void {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    Deno.writeTextFileSync(tmp, text);
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch { /* already gone */ }
    throw err;
  }
}

/** Serialises a record the same way every time (two-space JSON, trailing newline). */
export function formatRecord(record: TrialRecord): string {
  return JSON.stringify(record, null, 2) + "\n";
}

/** Writes a record atomically to `path`. */
export async function writeRecord(path: string, record: TrialRecord): Promise<void> {
  await writeFileAtomic(path, formatRecord(record));
}
