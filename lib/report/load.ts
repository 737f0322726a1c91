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
  const ok = Array.isArray(b.entries) && typeof b.machine === "object" && b.machine !== null &&
    b.entries.every((e) =>
      typeof e?.name === "string" && Array.isArray(e.steps) &&
      e.steps.every((s) => typeof s?.batchSize === "number" && typeof s.msPerStep === "number")
    );
  if (!ok) throw new Error(`${source}: field 'entries' or 'machine' is malformed`);
  return b as BenchRecord;
}
