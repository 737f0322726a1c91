/**
 * The one validation of a trial record, used wherever a record is read (the report, the
 * sweep's resume, the notebooks): types, finite values in range, arguments as the trial CLI
 * accepts them, the id equal to the arguments' id and to the file name, a size cap on the file
 * and on every string. A record that fails is refused with one line naming the file and field.
 * @module
 */

import { basename } from "node:path";
import { ARG_SPECS, argValueProblem, TRIAL_ID_PATTERN, trialId } from "./args.ts";
import { SCHEMA_VERSION, type TrialRecord, type TrialStatus } from "./record.ts";

/** Largest record file read (a 1000-epoch record is about 350 KB). */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/** Longest string field; `error.message` and `error.stderrTail` may hold {@link MAX_LOG_CHARS}. */
export const MAX_STRING_CHARS = 1000;

/** Longest `error.message` or `error.stderrTail`. */
export const MAX_LOG_CHARS = 16_000;

/** Error for a record that cannot be used; the message names the file. */
export class RecordError extends Error {
  /** Always `RecordError`. */
  override name = "RecordError";
}

const STATUSES: readonly TrialStatus[] = ["ok", "diverged", "failed", "interrupted"];

type Obj = Record<string, unknown>;

/** Checks of one record; `fail` throws with the source in front. */
class Checker {
  constructor(readonly source: string) {}

  fail(what: string): never {
    throw new RecordError(`${this.source}: ${what}`);
  }

  object(value: unknown, field: string): Obj {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(field === "" ? "not a JSON object" : `field '${field}' missing`);
    }
    return value as Obj;
  }

  /** A finite number in `[min, max]` (integer when `int`). */
  number(value: unknown, field: string, min = 0, max = Number.MAX_VALUE, int = false): number {
    if (typeof value !== "number") this.fail(`field '${field}' is not a number`);
    if (
      !Number.isFinite(value) || value < min || value > max || (int && !Number.isInteger(value))
    ) {
      const what = int ? "a whole number" : "a number";
      const range = max === Number.MAX_VALUE ? `>= ${min}` : `in [${min}, ${max}]`;
      this.fail(`field '${field}' is ${value} (expected ${what} ${range})`);
    }
    return value;
  }

  optionalNumber(value: unknown, field: string, min = 0, max = Number.MAX_VALUE, int = false) {
    if (value !== undefined && value !== null) this.number(value, field, min, max, int);
  }

  string(value: unknown, field: string, max = MAX_STRING_CHARS): string {
    if (typeof value !== "string") this.fail(`field '${field}' is not a string`);
    if (value.length > max) {
      this.fail(`field '${field}' is ${value.length} characters long (at most ${max})`);
    }
    return value;
  }

  stringOrNull(value: unknown, field: string, max = MAX_STRING_CHARS): void {
    if (value !== null) this.string(value, field, max);
  }

  time(value: unknown, field: string): void {
    const text = this.string(value, field, 40);
    if (Number.isNaN(Date.parse(text))) this.fail(`field '${field}' is not a date`);
  }
}

/**
 * Checks that `value` is a usable record of this schema version.
 * @param value the parsed JSON
 * @param source where it came from, for messages (a path, or `record`)
 * @param expectedId the id it must hold (its file name's); not checked when absent
 * @returns the record, typed
 * @throws {RecordError} with one line naming the source and the first bad field
 */
export function validateRecord(
  value: unknown,
  source = "record",
  expectedId?: string,
): TrialRecord {
  const c = new Checker(source);
  const r = c.object(value, "");
  if (r.schema !== SCHEMA_VERSION) {
    c.fail(`unknown schema version ${JSON.stringify(r.schema)} (expected ${SCHEMA_VERSION})`);
  }
  if (typeof r.id !== "string") c.fail("field 'id' missing");
  const id = c.string(r.id, "id", 200);
  if (!TRIAL_ID_PATTERN.test(id)) c.fail(`field 'id' is not a trial id (letters, digits, ., _)`);
  if (!STATUSES.includes(r.status as TrialStatus)) {
    c.fail(
      `field 'status' is ${JSON.stringify(r.status)} (expected one of ${STATUSES.join(", ")})`,
    );
  }

  const args = c.object(r.args, "args");
  for (const spec of ARG_SPECS) {
    const v = args[spec.key];
    const kindOk = v === null ||
      (spec.kind === "int" || spec.kind === "number"
        ? typeof v === "number"
        : typeof v === "string");
    if (!kindOk) {
      c.fail(
        `field 'args.${spec.key}' is not a ${
          spec.kind === "int" ? "number" : spec.kind === "number" ? "number" : "string"
        }`,
      );
    }
    if (typeof v === "string") c.string(v, `args.${spec.key}`);
    const problem = argValueProblem(spec, v);
    if (problem !== null) c.fail(`field 'args.${spec.key}' is ${JSON.stringify(v)}: ${problem}`);
  }
  const epochsAsked = args.epochs as number;

  if (!Array.isArray(r.epochs)) c.fail("field 'epochs' is not a list");
  const epochs = r.epochs as unknown[];
  if (epochs.length > epochsAsked) {
    c.fail(`field 'epochs' has ${epochs.length} entries for a trial of ${epochsAsked} epochs`);
  }
  for (const [i, e] of epochs.entries()) {
    const f = `epochs[${i}]`;
    const m = c.object(e, f);
    for (const k of ["epoch", "trainLoss", "trainAcc", "valLoss", "valAcc", "epochTime"]) {
      if (typeof m[k] !== "number") c.fail(`field '${f}.${k}' is not a number`);
    }
    c.number(m.epoch, `${f}.epoch`, 1, epochsAsked, true);
    c.number(m.trainLoss, `${f}.trainLoss`);
    c.number(m.valLoss, `${f}.valLoss`);
    c.number(m.trainAcc, `${f}.trainAcc`, 0, 1);
    c.number(m.valAcc, `${f}.valAcc`, 0, 1);
    c.number(m.epochTime, `${f}.epochTime`);
    c.optionalNumber(m.lr, `${f}.lr`);
    c.optionalNumber(m.trainTime, `${f}.trainTime`);
    c.optionalNumber(m.evalTime, `${f}.evalTime`);
    const rss = m.peakRssBytes;
    if (rss !== undefined && rss !== null && !(typeof rss === "number" && rss >= 0)) {
      c.fail(`field '${f}.peakRssBytes' is not a byte count`);
    }
    c.optionalNumber(rss, `${f}.peakRssBytes`, 0, Number.MAX_SAFE_INTEGER, true);
  }

  if (r.status === "ok" && (typeof r.totals !== "object" || r.totals === null)) {
    c.fail("status is 'ok' but field 'totals' is missing");
  }
  if (r.totals !== null && r.totals !== undefined) {
    const t = c.object(r.totals, "totals");
    c.number(t.epochsDone, "totals.epochsDone", 0, epochsAsked, true);
    c.number(t.trainLoss, "totals.trainLoss");
    c.number(t.valLoss, "totals.valLoss");
    c.number(t.trainAcc, "totals.trainAcc", 0, 1);
    c.number(t.valAcc, "totals.valAcc", 0, 1);
    c.number(t.totalTime, "totals.totalTime");
  }
  if (r.resumed !== undefined) {
    if (!Array.isArray(r.resumed)) c.fail("field 'resumed' is not a list");
    for (const [i, x] of (r.resumed as unknown[]).entries()) {
      const f = c.object(x, `resumed[${i}]`);
      c.number(f.afterEpoch, `resumed[${i}].afterEpoch`, 1, epochsAsked, true);
      c.time(f.at, `resumed[${i}].at`);
    }
  }
  if (r.divergence !== null && r.divergence !== undefined) {
    const d = c.object(r.divergence, "divergence");
    c.number(d.epoch, "divergence.epoch", 1, epochsAsked, true);
    c.number(d.batch, "divergence.batch", 0, Number.MAX_SAFE_INTEGER, true);
    if (d.loss !== null && typeof d.loss !== "number") {
      c.fail("field 'divergence.loss' is not a number");
    }
  }
  if (r.error !== null && r.error !== undefined) {
    const e = c.object(r.error, "error");
    c.string(e.message, "error.message", MAX_LOG_CHARS);
    if (e.exitCode !== null) c.number(e.exitCode, "error.exitCode", -255, 255, true);
    c.stringOrNull(e.stderrTail ?? null, "error.stderrTail", MAX_LOG_CHARS);
  }
  if (r.dataset !== null && r.dataset !== undefined) {
    const d = c.object(r.dataset, "dataset");
    c.string(d.source, "dataset.source");
    if (!Array.isArray(d.files)) c.fail("field 'dataset.files' is not a list");
    if ((d.files as unknown[]).length > 16) c.fail("field 'dataset.files' has more than 16 files");
    for (const [i, file] of (d.files as unknown[]).entries()) {
      const f = c.object(file, `dataset.files[${i}]`);
      c.string(f.name, `dataset.files[${i}].name`);
      c.number(f.bytes, `dataset.files[${i}].bytes`, 0, Number.MAX_SAFE_INTEGER, true);
      c.string(f.sha256, `dataset.files[${i}].sha256`, 64);
    }
    c.number(d.trainCount, "dataset.trainCount", 0, Number.MAX_SAFE_INTEGER, true);
    c.number(d.testCount, "dataset.testCount", 0, Number.MAX_SAFE_INTEGER, true);
  }

  const env = c.object(r.environment, "environment");
  for (
    const k of ["deno", "v8", "typescript", "tfjs", "backend", "cpu", "os", "arch", "hostname"]
  ) {
    c.string(env[k], `environment.${k}`);
  }
  c.number(env.threads, "environment.threads", 0, 1024, true); // 0: failed before it started
  c.number(env.cores, "environment.cores", 1, 1 << 20, true);
  c.stringOrNull(env.imageId, "environment.imageId");
  c.stringOrNull(env.gitCommit, "environment.gitCommit");
  if (env.library !== undefined) c.stringOrNull(env.library, "environment.library");
  if (env.runner !== undefined) c.stringOrNull(env.runner, "environment.runner");
  if (env.node !== undefined) c.stringOrNull(env.node, "environment.node");
  c.time(r.startedAt, "startedAt");
  c.time(r.endedAt, "endedAt");
  const argsId = trialId(r.args as TrialRecord["args"]);
  if (id !== argsId) c.fail(`field 'id' is ${id} but its arguments make ${argsId}`);
  if (expectedId !== undefined && expectedId !== id) {
    c.fail(`holds trial ${id}, not the ${expectedId} its file name says`);
  }
  return value as TrialRecord;
}

/**
 * Reads and validates one record file.
 * @param path the file
 * @param expectedId the id the record must hold: in a results directory, the `NAME` of its
 *   `NAME.json` (so e1's content under e10's name is refused); not checked when absent
 * @returns the record
 * @throws {RecordError} naming the file: unreadable, too large, not JSON, or invalid
 */
export async function readRecord(path: string, expectedId?: string): Promise<TrialRecord> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(path);
    if (info.size > MAX_RECORD_BYTES) {
      throw new RecordError(
        `${path}: ${info.size} bytes, too large for a record (at most ${MAX_RECORD_BYTES})`,
      );
    }
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof RecordError) throw err;
    throw new RecordError(`${path}: cannot read (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new RecordError(`${path}: not valid JSON`);
  }
  return validateRecord(value, path, expectedId);
}

/**
 * The id a record file's name says it holds: `NAME` of `DIR/NAME.json`.
 * @param path the file
 * @returns its name without `.json`
 */
export function fileId(path: string): string {
  return basename(path).replace(/\.json$/, "");
}
