/**
 * Runs the planned trials that are not done, `jobs` at a time, through any runner: streams
 * their output, makes sure every trial that ran ends with a record (its own, or a `failed` /
 * `interrupted` one written here), and stops them all when asked to (Ctrl-C).
 * @module
 */

import { fullyOk, readRecord, type TrialRecord, writeRecord } from "../record/mod.ts";
import { failureRecord } from "./failure_record.ts";
import { checkpointDir, recordPath } from "./layout.ts";
import type { Plan, PlannedTrial } from "./plan.ts";
import type { Stream } from "./process.ts";
import type { RunningTrial, TrialRunner } from "./runner.ts";
import { join } from "node:path";

/** Settings of {@link runTrials}. */
export interface RunOptions {
  plan: Plan;
  runner: TrialRunner;
  /** Absolute path of the results directory. */
  resultsDir: string;
  /** Trials at a time. */
  jobs: number;
  /** Rerun trials whose record says `ok` (from epoch 1: their checkpoints are removed). */
  force: boolean;
  /** Times a `failed` trial is run again (from its checkpoint) before the sweep moves on. */
  retries: number;
  /** Keep each trial's model beside its record. */
  saveModel: boolean;
  gitCommit: string | null;
  /** Aborting it stops the running trials (recorded `interrupted`) and starts no more. */
  signal: AbortSignal;
  /** Prints one line (trial output and progress). */
  print: (line: string, stream: Stream) => void;
}

/** What a run did. */
export interface RunResult {
  /** Ids of the trials that ran (or were started), in start order. */
  ran: string[];
  /** Ids among them whose record does not say `ok`. */
  notOk: string[];
  /** Why a trial among `notOk` has no record of this run (it could not be written), by id. */
  unwritten: Map<string, string>;
  /** Ids of the planned trials never started (the sweep stopped early). */
  notRun: string[];
  /** Why the sweep stopped before the end of the plan (records cannot be written); or null. */
  stoppedEarly: string | null;
  interrupted: boolean;
}

/** Lines of stderr kept for a failure record. */
const TAIL_LINES = 20;
/** Characters of stderr kept for a failure record. */
const TAIL_CHARS = 4000;

/** Identity of a file version (inode and mtime), or null when there is none. */
async function fileVersion(path: string): Promise<string | null> {
  try {
    const s = await Deno.stat(path);
    return `${s.ino}:${s.mtime?.getTime()}`;
  } catch {
    return null;
  }
}

/**
 * Whether running a trial again may help: it failed (crashed, killed, out of memory), and not
 * by rejecting its flags or its checkpoint (exit 2), which a retry would only repeat.
 */
function retryable(record: TrialRecord): boolean {
  if (record.status === "ok") return !fullyOk(record); // a model not saved: resume, save again
  return record.status === "failed" && record.error?.exitCode !== 2;
}

/** Removes temporary files a killed trial may have left beside its record. */
async function removeLeftovers(resultsDir: string, id: string): Promise<void> {
  const dir = join(resultsDir, "trials");
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.startsWith(`${id}.json.`) && e.name.endsWith(".tmp")) {
      await Deno.remove(join(dir, e.name)).catch(() => {});
    }
  }
}

/** Runs every trial of the plan that is not done (all with `force`). */
export async function runTrials(o: RunOptions): Promise<RunResult> {
  const todo = o.plan.trials.filter((t) => o.force || !t.done);
  await Deno.mkdir(join(o.resultsDir, "trials"), { recursive: true });
  const running = new Set<RunningTrial>();
  const stops: Promise<void>[] = [];
  const onAbort = () => {
    for (const r of running) stops.push(r.stop());
  };
  o.signal.addEventListener("abort", onAbort);
  const result: RunResult = {
    ran: [],
    notOk: [],
    unwritten: new Map(),
    notRun: [],
    stoppedEarly: null,
    interrupted: false,
  };
  let next = 0;

  const runOne = async (t: PlannedTrial, slot: number, n: number): Promise<void> => {
    // Printed before any await, so parallel workers announce their trials in order.
    o.print(`==> trial ${n}/${todo.length} ${t.id} (${o.runner.name})`, "stdout");
    result.ran.push(t.id);
    const prefix = o.jobs > 1 ? `[${t.id}] ` : "";
    const checkpoint = checkpointDir(o.resultsDir, t.id);
    if (o.force) await Deno.remove(checkpoint, { recursive: true }).catch(() => {});
    let record = await attempt(t, slot, prefix);
    for (let retry = 1; retry <= o.retries && retryable(record) && !o.signal.aborted; retry++) {
      o.print(
        `${prefix}retry ${retry}/${o.retries} of ${t.id} (from its last checkpoint)`,
        "stdout",
      );
      record = await attempt(t, slot, prefix);
    }
    if (fullyOk(record)) {
      // Done: the checkpoint (15 MB for the reference model) has served its purpose.
      await Deno.remove(checkpoint, { recursive: true }).catch(() => {});
    } else {
      result.notOk.push(t.id);
    }
  };

  /** Runs a trial once; returns its record (its own, or one written here). */
  const attempt = async (t: PlannedTrial, slot: number, prefix: string): Promise<TrialRecord> => {
    const path = recordPath(o.resultsDir, t.id);
    const before = await fileVersion(path);
    const tail: string[] = [];
    const sink = (line: string, stream: Stream) => {
      if (stream === "stderr") {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
      o.print(prefix + line, stream);
    };
    const startedAt = new Date();
    let code: number | null = null;
    let startError: string | null = null;
    try {
      const job = {
        id: t.id,
        args: t.args,
        resultsDir: o.resultsDir,
        recordPath: path,
        saveModel: o.saveModel,
        slot,
      };
      const trial = o.runner.start(job, sink);
      o.print(`${prefix}running as ${trial.name}`, "stdout");
      running.add(trial);
      if (o.signal.aborted) stops.push(trial.stop());
      code = (await trial.exited).code;
      running.delete(trial);
    } catch (err) {
      startError = (err as Error).message;
    }
    const endedAt = new Date();
    await removeLeftovers(o.resultsDir, t.id);

    // Keep the trial's own record when it wrote one this time; else write one for it.
    let record: TrialRecord | null = null;
    let invalid: string | null = null;
    if (await fileVersion(path) !== before) {
      try {
        record = await readRecord(path, t.id);
      } catch (err) {
        invalid = (err as Error).message;
      }
    }
    const keep = record !== null &&
      (record.status !== "ok" || code === 0 || record.error !== null);
    if (!keep) {
      const interrupted = o.signal.aborted;
      const message = startError !== null
        ? `could not start: ${startError}`
        : interrupted
        ? `interrupted by the sweep (exit code ${code})`
        : invalid !== null
        ? `exit code ${code}; wrote an invalid record (${invalid})`
        : code === 0
        ? "exit code 0 but no record written"
        : `exit code ${code}`;
      const stderrTail = tail.length > 0 ? tail.join("\n").slice(-TAIL_CHARS) : null;
      record = failureRecord({
        id: t.id,
        args: t.args,
        status: interrupted ? "interrupted" : "failed",
        message,
        exitCode: code,
        stderrTail,
        imageId: o.runner.imageId,
        gitCommit: o.gitCommit,
        startedAt,
        endedAt,
      });
      try {
        await writeRecord(path, record);
      } catch (err) {
        // A full disk, a directory gone: no record can be kept, so start no more trials.
        const why = `record not written (${(err as Error).message}); ${message}`;
        result.unwritten.set(t.id, why);
        result.stoppedEarly ??= `cannot write records in ${o.resultsDir}/trials (` +
          `${(err as Error).message})`;
        record = { ...record, error: { ...record.error!, message: why } };
      }
    }
    const seconds = ((endedAt.getTime() - startedAt.getTime()) / 1000).toFixed(1);
    if (fullyOk(record!)) {
      o.print(`<== ${t.id}: ok (${seconds} s)`, "stdout");
    } else if (record!.status === "ok") {
      // Trained, but something after training failed (the model could not be saved).
      o.print(`<== ${t.id}: ok, but ${record!.error!.message} (${seconds} s)`, "stderr");
    } else {
      const why = record!.error?.message ?? "";
      o.print(`<== ${t.id}: ${record!.status} (${seconds} s)${why ? `: ${why}` : ""}`, "stderr");
    }
    return record!;
  };

  const worker = async (slot: number): Promise<void> => {
    while (!o.signal.aborted && result.stoppedEarly === null && next < todo.length) {
      const n = next++;
      await runOne(todo[n], slot, n + 1);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, (_, slot) => worker(slot)));
    await Promise.all(stops);
  } finally {
    o.signal.removeEventListener("abort", onAbort);
  }
  result.interrupted = o.signal.aborted;
  result.notRun = todo.slice(next).map((t) => t.id);
  return result;
}

/** Reads the records of the plan's trials that have one (invalid ones left out). */
export async function readPlanRecords(
  plan: Plan,
  resultsDir: string,
): Promise<Map<string, TrialRecord>> {
  const records = new Map<string, TrialRecord>();
  for (const t of plan.trials) {
    try {
      records.set(t.id, await readRecord(recordPath(resultsDir, t.id), t.id));
    } catch { /* no record yet */ }
  }
  return records;
}
