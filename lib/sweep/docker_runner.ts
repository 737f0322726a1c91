/**
 * Runs each trial in a fresh container with least privilege: `docker create --rm` then
 * `docker start -a -i`, named and labelled (project, trial, results directory, sweep), no
 * network, CPU, memory (no swap beyond it) and pids limited, all capabilities dropped, no new
 * privileges, a read-only root filesystem (tmpfs /tmp), a non-root user, the results directory
 * mounted at /results. The container's stdin is a pipe this process holds and never writes
 * (through `docker start -i`): when the sweep dies, even by kill -9, the trial reads end-of-file
 * and stops after its batch, recording itself interrupted.
 * @module
 */

import { join } from "node:path";
import { docker, firstLine, PROJECT_LABEL } from "./docker.ts";
import { RESULTS_LABEL, SWEEP_LABEL } from "./orphans.ts";
import { type LineSink, settlesWithin, signalChild, spawnStreaming } from "./process.ts";
import { trialFlags } from "./child_args.ts";
import { PARENT_PIPE_ENV } from "../record/mod.ts";
import { type RunningTrial, STOP_GRACE_MS, type TrialJob, type TrialRunner } from "./runner.ts";

/** Settings of {@link DockerRunner}. */
export interface DockerRunnerOptions {
  /** Image tag to run. */
  image: string;
  /** Its id (`sha256:...`), passed to the trial as TRIAL_IMAGE_ID. */
  imageId: string;
  gitCommit: string | null;
  /** `--cpus` of each container. */
  cpus: number;
  /** `--memory` (and `--memory-swap`) of each container, e.g. `4g`. */
  memory: string;
  /** `--cpuset-cpus` per worker slot (e.g. `["0", "1"]`); null to leave unpinned. */
  cpusets: string[] | null;
  /** `--user` of each container, `uid:gid`, never root. */
  user: string;
  /**
   * The caller's `uid:gid` when it differs from `user` and this process may chown (root):
   * the trials directory is lent to `user` while trials run, and records are handed back.
   * Null to leave ownership alone.
   */
  handBackTo: string | null;
  /** Key of the results directory (label `org.mnist-deno.results`). */
  resultsKey: string;
  /** This sweep's id (label `org.mnist-deno.sweep`). */
  sweepId: string;
}

/** Where the results directory appears inside a container. */
export const CONTAINER_RESULTS = "/results";

/** `--pids-limit` of a trial: deno, its V8 and OpenBLAS threads, with room to spare. */
export const PIDS_LIMIT = 256;

/** A short random suffix so container names never collide across sweeps. */
function randomSuffix(): string {
  return crypto.randomUUID().slice(0, 6);
}

/**
 * Waits until the container `name` is gone: `--rm` removes it once it exits, which on vfs takes
 * a few seconds after `docker start -a` returns; with `force` it is removed at once (`rm -f`).
 */
async function removeContainer(name: string, force: boolean): Promise<void> {
  if (force) await docker(["rm", "-f", name], 60_000);
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    if ((await docker(["inspect", "--format", "{{.State.Status}}", name], 15_000)).code !== 0) {
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await docker(["rm", "-f", name], 60_000);
}

/** `uid:gid` as numbers. */
function ids(user: string): [number, number] {
  const [uid, gid] = user.split(":").map(Number);
  return [uid, gid ?? uid];
}

/**
 * Gives `path` and everything below it (links not followed) to `uid:gid`; with `onlyOf`,
 * only what belongs to that uid (and `path` itself). Entries gone meanwhile are skipped.
 */
function chownTree(path: string, uid: number, gid: number, onlyOf: number | null): void {
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(path)];
  } catch { /* not a directory, or gone */ }
  for (const e of entries) {
    const child = join(path, e.name);
    try {
      if (e.isDirectory) chownTree(child, uid, gid, onlyOf);
      else if (onlyOf === null || Deno.lstatSync(child).uid === onlyOf) {
        Deno.chownSync(child, uid, gid);
      }
    } catch { /* gone meanwhile */ }
  }
  try {
    Deno.chownSync(path, uid, gid);
  } catch { /* gone */ }
}

/** Runs trials in containers. */
export class DockerRunner implements TrialRunner {
  readonly name = "docker";
  readonly imageId: string;
  #lent = 0;

  constructor(readonly options: DockerRunnerOptions) {
    this.imageId = options.imageId;
  }

  describe(): string {
    const o = this.options;
    const pin = o.cpusets ? `, pinned to CPUs ${o.cpusets.join(" / ")}` : "";
    return `docker: image ${o.image} (${o.imageId.slice(0, 19)}), --cpus ${o.cpus} ` +
      `--memory ${o.memory}${pin}, --network none, --user ${o.user}, no capabilities, ` +
      `read-only root`;
  }

  /** The `docker create` arguments of one trial in a container called `name`. */
  createArgs(job: TrialJob, name: string): string[] {
    const o = this.options;
    const args = ["create", "--rm", "--init", "-i", "--name", name, "--network", "none"];
    const add = (flag: string, value: string) => args.push(flag, value);
    add("--label", PROJECT_LABEL);
    add("--label", `org.mnist-deno.trial=${job.id}`);
    add("--label", `${RESULTS_LABEL}=${o.resultsKey}`);
    add("--label", `${SWEEP_LABEL}=${o.sweepId}`);
    add("--cpus", String(o.cpus));
    add("--memory", o.memory);
    add("--memory-swap", o.memory);
    add("--pids-limit", String(PIDS_LIMIT));
    add("--cap-drop", "ALL");
    add("--security-opt", "no-new-privileges");
    args.push("--read-only");
    add("--tmpfs", "/tmp:rw,nosuid,nodev,size=64m");
    if (o.cpusets) add("--cpuset-cpus", o.cpusets[job.slot % o.cpusets.length]);
    add("--user", o.user);
    add("-v", `${job.resultsDir}:${CONTAINER_RESULTS}`);
    add("-e", `TRIAL_IMAGE_ID=${o.imageId}`);
    add("-e", `${PARENT_PIPE_ENV}=stdin`);
    if (o.gitCommit) add("-e", `TRIAL_GIT_COMMIT=${o.gitCommit}`);
    // A data directory is mounted read-only at the same path, so the trial id does not change.
    if (job.args.dataDir) add("-v", `${job.args.dataDir}:${job.args.dataDir}:ro`);
    args.push(
      o.image,
      ...trialFlags(job.args, job.id, CONTAINER_RESULTS, job.saveModel),
    );
    return args;
  }

  /**
   * Lends the trials and checkpoints directories (and the checkpoints in it, which the trial
   * overwrites when it resumes) to the container user: first trial in, when set to.
   */
  #lend(job: TrialJob): void {
    if (this.options.handBackTo === null) return;
    if (this.#lent++ === 0) {
      const [uid, gid] = ids(this.options.user);
      Deno.chownSync(join(job.resultsDir, "trials"), uid, gid);
      const checkpoints = join(job.resultsDir, "checkpoints");
      Deno.mkdirSync(checkpoints, { recursive: true });
      chownTree(checkpoints, uid, gid, null);
    }
  }

  /**
   * Hands the record, and (last trial out) the trials and checkpoints directories with what
   * the container user left in them, back to the caller.
   */
  #handBack(job: TrialJob): void {
    if (this.options.handBackTo === null) return;
    const [uid, gid] = ids(this.options.handBackTo);
    try {
      Deno.chownSync(job.recordPath, uid, gid);
    } catch { /* no record */ }
    if (--this.#lent > 0) return;
    const [lentUid] = ids(this.options.user);
    chownTree(join(job.resultsDir, "trials"), uid, gid, lentUid);
    chownTree(join(job.resultsDir, "checkpoints"), uid, gid, lentUid);
  }

  start(job: TrialJob, sink: LineSink): RunningTrial {
    const name = `mnist-${job.id}-${randomSuffix()}`;
    const createArgs = this.createArgs(job, name);
    this.#lend(job);
    let stopping = false;
    let started: ReturnType<typeof spawnStreaming> | null = null;
    // Create, then start: a stop while the daemon creates the container (15-30 s on vfs)
    // waits for the creation to end and removes the container; it never starts late.
    const created = docker(createArgs, 180_000);
    const exited = (async () => {
      try {
        const c = await created;
        if (c.code !== 0) {
          sink(`docker create: ${firstLine(c.stderr)}`, "stderr");
          return { code: c.code };
        }
        if (stopping) return { code: 130 };
        // Our end of its stdin stays open while we live (see the module's doc).
        started = spawnStreaming("docker", ["start", "-a", "-i", name], { parentPipe: true }, sink);
        return { code: (await started.exited).code };
      } finally {
        // Whatever happened (stopped, killed, failed): no container of this trial stays.
        await removeContainer(name, stopping);
        this.#handBack(job);
      }
    })();
    return {
      name,
      exited,
      async stop() {
        stopping = true;
        await created.catch(() => {});
        // SIGINT first so the trial records itself; it may not run yet, so retry.
        const deadline = Date.now() + STOP_GRACE_MS;
        let asked = false;
        while (started && !asked && Date.now() < deadline) {
          asked = (await docker(["kill", "--signal", "SIGINT", name], 10_000)).code === 0;
          if (!asked && await settlesWithin(exited, 500)) return;
        }
        if (await settlesWithin(exited, Math.max(0, deadline - Date.now()))) return;
        await docker(["kill", name], 10_000);
        if (!await settlesWithin(exited, 5_000) && started) signalChild(started.child, "SIGKILL");
        await exited;
      },
    };
  }
}
