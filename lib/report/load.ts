/**
 * Reading a results folder: the trial records (valid and `ok`, valid and not, and the files
 * left out with why) and the bench record.
 * @module
 */

import { join } from "node:path";
import {
  BENCH_SCHEMA_VERSION,
  type BenchRecord,
  fileId,
  readRecord,
  RecordError,
  type TrialRecord,
} from "../record/mod.ts";

/** A trial record and the file it came from. */
export interface LoadedRecord {
  /** Path of the record file as given (relative to the results folder when listed from it). */
  path: string;
  /** The record, validated. */
  record: TrialRecord;
}

/** What a results directory holds, after validation. */
export interface ResultsInput {
  /** Records with status `ok`, sorted by path. */
  records: LoadedRecord[];
  /** Valid records that did not end `ok` (left out of the tables). */
  notOk: LoadedRecord[];
  /** One line per file left out, naming the file and why. */
  warnings: string[];
  /** The bench record, when `bench.json` exists and is valid. */
  bench: BenchRecord | null;
}

/** Reads `DIR/trials/*.json` and `DIR/bench.json`; bad files become warnings, not errors. */
export async function loadResults(dir: string): Promise<ResultsInput> {
  const trialsDir = join(dir, "trials");
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(trialsDir)) {
      if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  names.sort();
  const input: ResultsInput = { records: [], notOk: [], warnings: [], bench: null };
  for (const name of names) {
    const path = join(trialsDir, name);
    try {
      const record = await readRecord(path, fileId(path));
      if (record.status === "ok") {
        input.records.push({ path, record });
      } else {
        input.notOk.push({ path, record });
        input.warnings.push(`${path}: status '${record.status}', left out (only 'ok' is reported)`);
      }
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      input.warnings.push(`${err.message}, left out`);
    }
  }
  const benchPath = join(dir, "bench.json");
  try {
    input.bench = validateBench(JSON.parse(await Deno.readTextFile(benchPath)), benchPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return input;
    const why = err instanceof SyntaxError
      ? `${benchPath}: not valid JSON`
      : (err as Error).message;
    input.warnings.push(`${why}, left out`);
  }
  return input;
}

/** Checks the fields of a bench record the report uses; throws naming the file. */
export function validateBench(value: unknown, source: string): BenchRecord {
  const b = value as Partial<BenchRecord> | null;
  if (typeof b !== "object" || b === null || b.kind !== "bench") {
    throw new Error(`${source}: not a bench record (expected kind 'bench')`);
  }
  if (b.schema !== BENCH_SCHEMA_VERSION) {
    throw new Error(
      `${source}: unknown bench schema version ${JSON.stringify(b.schema)} ` +
        `(expected ${BENCH_SCHEMA_VERSION})`,
    );
  }
  const str = (v: unknown) => typeof v === "string";
  const num = (v: unknown) => typeof v === "number";
  const numOrNull = (v: unknown) => v === null || num(v);
  const m = b.machine;
  const machineOk = typeof m === "object" && m !== null && str(m.cpu) && num(m.cores) &&
    str(m.os) && str(m.arch);
  if (!machineOk) throw new Error(`${source}: field 'machine' is malformed`);
  const entriesOk = Array.isArray(b.entries) &&
    b.entries.every((e) =>
      typeof e === "object" && e !== null && str(e.name) && str(e.version) && num(e.threads) &&
      numOrNull(e.testPassSeconds) && numOrNull(e.projectedEpochSeconds) &&
      numOrNull(e.peakRssBytes) && Array.isArray(e.steps) &&
      e.steps.every((s) =>
        typeof s === "object" && s !== null && num(s.batchSize) && num(s.msPerStep) &&
        num(s.imagesPerSecond) && Array.isArray(s.samplesMs) && s.samplesMs.every(num)
      )
    );
  if (!entriesOk) throw new Error(`${source}: field 'entries' is malformed`);
  const bad = insane(b, "");
  if (bad !== null) throw new Error(`${source}: field '${bad}' is not a finite number or too long`);
  return b as BenchRecord;
}

/** The path of the first value that is a non-finite number, a string over 1,000 characters, or
 * nested too deep; null when there is none. */
function insane(value: unknown, path: string, depth = 0): string | null {
  if (depth > 8) return path;
  if (typeof value === "number") return Number.isFinite(value) ? null : path;
  if (typeof value === "string") return value.length <= 1000 ? null : path;
  if (typeof value !== "object" || value === null) return null;
  for (const [k, v] of Object.entries(value)) {
    const bad = insane(v, path === "" ? k : `${path}.${k}`, depth + 1);
    if (bad !== null) return bad;
  }
  return null;
}
