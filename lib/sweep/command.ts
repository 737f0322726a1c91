/**
 * The sweep command behind `deno task sweep|epochs|lr|batch`: plan, pick a runner, lock the
 * results directory, run the trials not done, print the summary. Returns the exit code.
 * @module
 */

import { isAbsolute, relative, resolve } from "node:path";
import { dockerAvailable } from "./docker.ts";
import { DockerRunner } from "./docker_runner.ts";
import { cpuSlots, usableCpus } from "./cpus.ts";
import { parseGrid } from "./grid.ts";
import { ensureImage, imageId, imageTag } from "./image.ts";
import { LocalRunner } from "./local_runner.ts";
import { acquireLock, LockError } from "./lock.ts";
import { recordPath } from "./layout.ts";
import { markDone, type Plan, planSweeps } from "./plan.ts";
import { selectSweeps, withSeeds } from "./presets.ts";
import type { Stream } from "./process.ts";
import type { TrialRunner } from "./runner.ts";
import { readPlanRecords, runTrials } from "./run_trials.ts";
import { summaryTables } from "./summary.ts";
import { DEFAULT_ARGS, gitCommit, parseArgFlags, UsageError } from "../record/mod.ts";

/** Runner names accepted by `--runner`. */
export const RUNNER_NAMES = ["auto", "docker", "local"] as const;

/** The parsed flags of the sweep command. */
export interface SweepCommandOptions {
  /** Repository root. */
  root: string;
  /** Presets named by `--preset`, in order (their trials are planned together). */
  presets: string[];
  /** `--grid` values as typed, one `key=v1,v2` per flag. */
  grid: string[];
  /** `--runner`: one of {@link RUNNER_NAMES}. */
  runner: string;
  /** `--jobs`, as typed: trials run at once. */
  jobs: string;
  /** `--results`: the folder of the records. */
  results: string;
  /** Print the plan and run nothing. */
  dryRun: boolean;
  /** Run every trial again, even those with an `ok` record. */
  force: boolean;
  /** Count an `ok` record as done wherever it ran (else only one from the same runner, image). */
  reuseAny: boolean;
  /** `--seeds`, as typed: seeds per trial (1 by default). */
  seeds: string;
  /** `--retries`, as typed: times a failed trial runs again. */
  retries: string;
  /** Run only the trials whose record is there and not `ok`. */
  rerunFailed: boolean;
  /** Keep each trial's model beside its record. */
  saveModel: boolean;
  /** `--cpus` per container; null for the CPUs of its slot (all of them with one job). */
  cpus: string | null;
  /** `--memory` per container, as `docker run --memory` takes it (`4g`). */
  memory: string;
  /** `--user` of containers; null for the caller's uid:gid. */
  user: string | null;
  /** Trial flags by name (`batch-size`), as typed; undefined when not given. */
  trialFlags: Record<string, string | undefined>;
}

/** Where output goes: one line at a time. */
export type Printer = (line: string, stream: Stream) => void;

/** Parses `--jobs`: a positive integer. */
function parseJobs(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--jobs ${JSON.stringify(text)}: expected a positive integer`);
  }
  return n;
}

/** Parses `--retries`: a whole number, 0 or more. */
function parseRetries(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--retries ${JSON.stringify(text)}: expected a whole number, 0 or more`);
  }
  return n;
}

/**
 * Prints which trials run and which are already done; `unrecorded` are the trials left out
 * by `--rerun-failed` (no record yet).
 */
function printPlan(
  plan: Plan,
  resultsDir: string,
  force: boolean,
  unrecorded: Set<string>,
  print: Printer,
): void {
  const done = plan.trials.filter((t) => t.done).length;
  const runs = force ? plan.trials.length : plan.trials.length - done - unrecorded.size;
  const left = unrecorded.size > 0 ? `, ${unrecorded.size} not run yet (skipped)` : "";
  print(
    `Plan: ${plan.trials.length} unique trial(s) in ${plan.sweeps.length} sweep(s); ` +
      `${runs} to run, ${force ? 0 : done} done (skipped)${left}; records in ${resultsDir}/trials/`,
    "stdout",
  );
  for (const s of plan.sweeps) {
    print(`  ${s.title}: ${s.heading} ${s.columns.map((c) => c.label).join(" | ")}`, "stdout");
  }
  for (const t of plan.trials) {
    const state = t.done
      ? (force ? "rerun (--force)" : "done, skip")
      : unrecorded.has(t.id)
      ? "no record, skip"
      : "run";
    const why = t.ranElsewhere
      ? ` (its record ran in a ${t.ranElsewhere}; --reuse-any keeps it)`
      : "";
    print(`  ${state.padEnd(15)} ${t.id}${why}`, "stdout");
  }
}

/** Runs the sweep command; returns the process exit code (0, 1, 2 or 130). */
export async function sweepCommand(o: SweepCommandOptions, print: Printer): Promise<number> {
  const say = (line: string) => print(line, "stdout");
  const err = (line: string) => print(`sweep: ${line}`, "stderr");
  let plan: Plan;
  let jobs: number;
  let retries: number;
  let resultsDir: string;
  try {
    if (!(RUNNER_NAMES as readonly string[]).includes(o.runner)) {
      throw new UsageError(
        `--runner ${JSON.stringify(o.runner)}: unknown (accepted: ${RUNNER_NAMES.join(", ")})`,
      );
    }
    jobs = parseJobs(o.jobs);
    retries = parseRetries(o.retries);
    const seeds = Number(o.seeds);
    if (!/^\d+$/.test(o.seeds.trim()) || !Number.isSafeInteger(seeds) || seeds < 1) {
      throw new UsageError(
        `--seeds ${JSON.stringify(o.seeds)}: expected a whole number, 1 or more`,
      );
    }
    if (o.rerunFailed && o.force) {
      throw new UsageError("--rerun-failed and --force: pick one (--force reruns every trial)");
    }
    const overrides = parseArgFlags(o.trialFlags);
    const first = overrides.seed ?? DEFAULT_ARGS.seed;
    if (seeds > 1) delete overrides.seed;
    plan = planSweeps(
      withSeeds(selectSweeps(o.presets, parseGrid(o.grid)), seeds, first),
      overrides,
    );
    resultsDir = resolve(o.results);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(e.message);
    return 2;
  }
  // --rerun-failed: only trials with a record that is not ok (those without one wait).
  const unrecorded = new Set<string>();
  if (o.rerunFailed) {
    const records = await readPlanRecords(plan, resultsDir);
    for (const t of plan.trials) if (!records.has(t.id)) unrecorded.add(t.id);
  }
  const shown = relative(Deno.cwd(), resultsDir) || ".";
  const shownDir = isAbsolute(shown) || shown.startsWith("..") ? resultsDir : shown;

  // The runner: docker when asked for, or (auto) when a daemon answers.
  let kind = o.runner;
  if (kind !== "local") {
    const up = await dockerAvailable();
    if (kind === "docker" && !up) {
      err(
        "--runner docker: no Docker daemon answers (docker info failed); start one or use " +
          "--runner local",
      );
      return 1;
    }
    if (kind === "auto") {
      kind = up ? "docker" : "local";
      say(
        up
          ? "Runner: docker (a Docker daemon answers; --runner local to run here)"
          : "Runner: local (no Docker daemon answers; each trial runs as a deno subprocess)",
      );
    }
  }
  let cpusets: string[] | null = null;
  try {
    if (jobs > 1) cpusets = cpuSlots(jobs, usableCpus());
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(e.message);
    return 2;
  }
  if (cpusets) {
    say(
      `Parallel: ${jobs} trials at a time, each pinned to its own CPUs (${cpusets.join(" / ")}); ` +
        "timings are not comparable with --jobs 1 runs",
    );
  }

  // A record counts as done only when it ran the same way (same image, or a local process).
  const sameWay = async (id: string | null) => {
    await markDone(plan, resultsDir, o.reuseAny ? undefined : id);
  };
  if (o.dryRun) {
    if (kind === "docker") {
      const tag = await imageTag(o.root);
      const id = await imageId(tag);
      say(`Image: ${tag} ${id ? `(built, ${id.slice(0, 19)})` : "(not built yet: would build)"}`);
      await sameWay(id ?? "not built");
    } else {
      await sameWay(null);
    }
    printPlan(plan, shownDir, o.force, unrecorded, print);
    return 0;
  }

  let lock;
  try {
    lock = acquireLock(resultsDir);
  } catch (e) {
    err(e instanceof LockError ? e.message : `--results ${resultsDir}: ${(e as Error).message}`);
    return 1;
  }
  const controller = new AbortController();
  const onSignal = (name: string) => () => {
    if (controller.signal.aborted) {
      err(`${name} again: still stopping the running trials (they get a few seconds each)`);
      return;
    }
    err(`${name}: stopping the running trials; they will be recorded as interrupted`);
    controller.abort();
  };
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    const commit = gitCommit(o.root);
    let runner: TrialRunner;
    if (kind === "docker") {
      const cpuCount = usableCpus().length;
      const cpus = o.cpus ?? String(cpusets ? cpusets[0].split(",").length : cpuCount);
      if (!(Number(cpus) > 0)) {
        err(`--cpus ${JSON.stringify(o.cpus)}: expected a positive number`);
        return 2;
      }
      const tag = await imageTag(o.root);
      say(`Image: ${tag}`);
      const image = await ensureImage(
        o.root,
        (line) => print(`  [build] ${line}`, "stdout"),
        controller.signal,
      );
      if (image.built) say(`Image: built ${image.tag} (${image.id.slice(0, 19)})`);
      await sameWay(image.id);
      runner = new DockerRunner({
        image: image.tag,
        imageId: image.id,
        gitCommit: commit,
        cpus: Number(cpus),
        memory: o.memory,
        cpusets,
        user: o.user ?? `${Deno.uid()}:${Deno.gid()}`,
      });
    } else {
      await sameWay(null);
      runner = new LocalRunner({ root: o.root, gitCommit: commit, cpusets });
    }
    say(`Trials run with ${runner.describe()}`);
    printPlan(plan, shownDir, o.force, unrecorded, print);
    if (controller.signal.aborted) return 130;

    const result = await runTrials({
      plan: { ...plan, trials: plan.trials.filter((t) => !unrecorded.has(t.id)) },
      runner,
      resultsDir,
      jobs,
      force: o.force,
      retries,
      saveModel: o.saveModel,
      gitCommit: commit,
      signal: controller.signal,
      print,
    });

    const records = await readPlanRecords(plan, resultsDir);
    say("");
    say(summaryTables(plan.sweeps, records));
    say("");
    const ok = plan.trials.filter((t) => records.get(t.id)?.status === "ok").length;
    say(
      `Records: ${shownDir}/trials/ (${ok} of ${plan.trials.length} ok; ` +
        `${result.ran.length} ran this time)`,
    );
    for (const id of result.notOk) {
      const r = records.get(id);
      err(`${id}: ${r?.status ?? "no record"} -> ${recordPath(shownDir, id)}`);
    }
    if (result.interrupted) return 130;
    return result.notOk.length > 0 ? 1 : 0;
  } catch (e) {
    err((e as Error).message);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
    lock.release();
  }
}
