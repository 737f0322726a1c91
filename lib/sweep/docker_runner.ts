/**
 * Runs each trial in a fresh container: `docker run --rm`, named and labelled, CPU and memory
 * limited, no network, the results directory mounted at /results, files owned by the caller.
 * @module
 */

import { docker, PROJECT_LABEL } from "./docker.ts";
import { type LineSink, settlesWithin, signalChild, spawnStreaming } from "./process.ts";
import { trialFlags } from "./child_args.ts";
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
  /** `--memory` of each container, e.g. `4g`. */
  memory: string;
  /** `--cpuset-cpus` per worker slot (e.g. `["0", "1"]`); null to leave unpinned. */
  cpusets: string[] | null;
  /** `--user` of each container, `uid:gid`. */
  user: string;
}

/** Where the results directory appears inside a container. */
export const CONTAINER_RESULTS = "/results";

/** A short random suffix so container names never collide across sweeps. */
function randomSuffix(): string {
  return crypto.randomUUID().slice(0, 6);
}

/** Runs trials with `docker run`. */
export class DockerRunner implements TrialRunner {
  readonly name = "docker";
  readonly imageId: string;

  constructor(readonly options: DockerRunnerOptions) {
    this.imageId = options.imageId;
  }

  describe(): string {
    const o = this.options;
    const pin = o.cpusets ? `, pinned to CPUs ${o.cpusets.join(" / ")}` : "";
    return `docker: image ${o.image} (${o.imageId.slice(0, 19)}), --cpus ${o.cpus} ` +
      `--memory ${o.memory}${pin}, --network none, --user ${o.user}`;
  }

  /** The `docker run` arguments of one trial in a container called `name`. */
  runArgs(job: TrialJob, name: string): string[] {
    const o = this.options;
    const args = ["run", "--rm", "--init", "--name", name, "--network", "none"];
    const add = (flag: string, value: string) => args.push(flag, value);
    add("--label", PROJECT_LABEL);
    add("--label", `org.mnist-deno.trial=${job.id}`);
    add("--cpus", String(o.cpus));
    add("--memory", o.memory);
    if (o.cpusets) add("--cpuset-cpus", o.cpusets[job.slot % o.cpusets.length]);
    add("--user", o.user);
    add("-v", `${job.resultsDir}:${CONTAINER_RESULTS}`);
    add("-e", `TRIAL_IMAGE_ID=${o.imageId}`);
    if (o.gitCommit) add("-e", `TRIAL_GIT_COMMIT=${o.gitCommit}`);
    // A data directory is mounted read-only at the same path, so the trial id does not change.
    if (job.args.dataDir) add("-v", `${job.args.dataDir}:${job.args.dataDir}:ro`);
    args.push(
      o.image,
      ...trialFlags(job.args, job.id, CONTAINER_RESULTS, job.saveModel),
    );
    return args;
  }

  start(job: TrialJob, sink: LineSink): RunningTrial {
    const name = `mnist-${job.id}-${randomSuffix()}`;
    const { child, exited } = spawnStreaming("docker", this.runArgs(job, name), {}, sink);
    return {
      name,
      exited,
      async stop() {
        // SIGINT first so the trial records itself; the container may not exist yet, so retry.
        const deadline = Date.now() + STOP_GRACE_MS;
        let asked = false;
        while (!asked && Date.now() < deadline) {
          asked = (await docker(["kill", "--signal", "SIGINT", name], 10_000)).code === 0;
          if (!asked && await settlesWithin(exited, 500)) return;
        }
        if (await settlesWithin(exited, Math.max(0, deadline - Date.now()))) return;
        await docker(["kill", name], 10_000);
        if (!await settlesWithin(exited, 5_000)) signalChild(child, "SIGKILL");
        await exited;
      },
    };
  }
}
