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
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAcc: number;
  valLoss: number;
  valAcc: number;
  /** Train + evaluation wall time of this epoch. */
  epochTime: number;
  trainTime: number;
  evalTime: number;
  /**
   * Peak resident set size of the trial's process so far, in bytes, at the end of this epoch
   * (null where unknown; absent from records written before it was kept).
   */
  peakRssBytes?: number | null;
}

/** Totals over the finished epochs (the last epoch's metrics, the summed time). */
export interface TrialTotals {
  epochsDone: number;
  trainLoss: number;
  trainAcc: number;
  valLoss: number;
  valAcc: number;
  totalTime: number;
}

/** One IDX file that fed the trial. */
export interface DatasetFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** Where the data came from and how much of it was used. */
export interface DatasetInfo {
  source: string;
  files: DatasetFile[];
  trainCount: number;
  testCount: number;
}

/** The machine and software a trial ran on. */
export interface Environment {
  deno: string;
  v8: string;
  typescript: string;
  tfjs: string;
  /** Backend actually used (after `auto` resolved). */
  backend: string;
  threads: number;
  cpu: string;
  cores: number;
  os: string;
  arch: string;
  hostname: string;
  /** From the environment variable `TRIAL_IMAGE_ID` when run in a container. */
  imageId: string | null;
  /** From `TRIAL_GIT_COMMIT` or `git rev-parse HEAD` when known. */
  gitCommit: string | null;
  /** The math library and the CPU kernel it chose (OpenBLAS' config); absent in older records. */
  library?: string | null;
}

/** The JSON document written for every trial. */
export interface TrialRecord {
  schema: number;
  /** Stable identifier derived from the arguments that change the result. */
  id: string;
  status: TrialStatus;
  args: TrialArgs;
  epochs: EpochMetrics[];
  totals: TrialTotals | null;
  /** Where the loss stopped being finite, when status is `diverged`. */
  divergence: { epoch: number; batch: number; loss: number } | null;
  /** What went wrong, when status is `failed` or `interrupted`. */
  error: { message: string; exitCode: number | null; stderrTail: string | null } | null;
  dataset: DatasetInfo | null;
  environment: Environment;
  startedAt: string;
  endedAt: string;
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
