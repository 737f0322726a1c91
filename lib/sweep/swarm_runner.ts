/**
 * Runs each trial as a Docker Swarm job: one `replicated-job` service (one replica, no
 * restart), labelled with the project, the trial and the results directory, CPU and memory
 * reserved and limited, least privilege (read-only root, all capabilities dropped, a pids
 * limit, the image's non-root user). The trial prints its record framed on stdout
 * (`TRIAL_RECORD_FRAME=1`); the runner reads it back from `docker service logs`, validates it
 * and writes it atomically into the results directory here. A node that goes down mid-trial
 * is noticed by polling; the trial is then run again on another node, up to `retries` times.
 * @module
 */

import { createHash } from "node:crypto";
import { findFramedRecord, FRAME_ENV, isFrameLine, writeFileAtomic } from "../record/mod.ts";
import { docker, firstLine, PROJECT_LABEL } from "./docker.ts";
import { type LineSink, signalChild, spawnStreaming, type Stream } from "./process.ts";
import type { RunningTrial, TrialJob, TrialRunner } from "./runner.ts";
import {
  FINAL_TASK_STATES,
  projectServices,
  removeServices,
  RESULTS_LABEL,
  serviceTask,
  swarmNodes,
  type TaskState,
  TRIAL_LABEL,
} from "./swarm.ts";
import { argsToFlags } from "../record/mod.ts";

/** Settings of {@link SwarmRunner}. */
export interface SwarmRunnerOptions {
  /** Image reference every node can run: `REGISTRY/mnist-deno@sha256:...`, or a local tag. */
  image: string;
  /** The image id (`sha256:...`), passed to the trial as TRIAL_IMAGE_ID. */
  imageId: string;
  gitCommit: string | null;
  /** CPUs reserved and allowed per trial. */
  cpus: number;
  /** Memory reserved and allowed per trial, e.g. `4g`. */
  memory: string;
  /** Reruns of a trial whose node went down. */
  retries: number;
  /** Absolute path of the results directory (its hash labels the services). */
  resultsDir: string;
  /** Milliseconds between looks at a trial's task (default 2000). */
  pollMs?: number;
}

/** Where records go inside a trial's container (a tmpfs; the image's /results volume is
 * covered by another tmpfs so that no anonymous volume is left on the node). */
const RECORD_DIR = "/tmp";
/** Processes a trial's container may hold. */
export const SWARM_PIDS_LIMIT = 512;
/** How long the final log read waits for a record frame that has not arrived yet. */
const LOG_WAIT_MS = 10_000;

/** A short hash of the results directory, for the services' label. */
export function resultsKey(resultsDir: string): string {
  return createHash("sha256").update(resultsDir).digest("hex").slice(0, 12);
}

/**
 * A service name from a trial id: `mnist-<id, [a-z0-9-] only>-<rand>`, short enough that a
 * retry's `-rN` keeps it within swarm's 63 characters.
 */
export function serviceName(id: string, suffix: string): string {
  const slug = id.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 63 - 12 - suffix.length);
  return `mnist-${slug}-${suffix}`.replace(/-+/g, "-");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs trials as swarm jobs. */
export class SwarmRunner implements TrialRunner {
  readonly name = "swarm";
  readonly imageId: string;
  /** Services left by an earlier sweep that was killed, by trial id: attached to, not rerun. */
  readonly leftovers = new Map<string, string>();
  #hostnames = new Map<string, string>();

  constructor(readonly options: SwarmRunnerOptions) {
    this.imageId = options.imageId;
  }

  describe(): string {
    const o = this.options;
    return `swarm: image ${o.image}, one replicated-job service per trial, --reserve-cpu/` +
      `--limit-cpu ${o.cpus}, --reserve-memory/--limit-memory ${o.memory}, read-only root, ` +
      `--cap-drop ALL, --limit-pids ${SWARM_PIDS_LIMIT}, records from the service logs, ` +
      `${o.retries} retry(ies) on a lost node`;
  }

  /**
   * Looks for services an earlier sweep on this results directory left (it was killed):
   * those of trials in `todo` are attached to when their trial starts (so no trial runs twice
   * at once), the others are removed. Returns one line per service found.
   */
  async adoptLeftovers(todo: ReadonlySet<string>): Promise<string[]> {
    const key = resultsKey(this.options.resultsDir);
    const lines: string[] = [];
    const remove: string[] = [];
    for (const s of await projectServices()) {
      if (s.results !== key) continue;
      if (todo.has(s.trial) && !this.leftovers.has(s.trial)) {
        this.leftovers.set(s.trial, s.name);
        lines.push(
          `service ${s.name} of trial ${s.trial} is left from an earlier sweep: attaching`,
        );
      } else {
        remove.push(s.name);
        lines.push(`service ${s.name} of trial ${s.trial} is left from an earlier sweep: removing`);
      }
    }
    await removeServices(remove);
    return lines;
  }

  /** The `docker service create` arguments of one trial as service `name`. */
  serviceArgs(job: TrialJob, name: string, avoidNodes: readonly string[] = []): string[] {
    const o = this.options;
    const args = ["service", "create", "--detach", "--quiet", "--no-resolve-image"];
    const add = (flag: string, value: string) => args.push(flag, value);
    add("--name", name);
    add("--mode", "replicated-job");
    add("--replicas", "1");
    add("--restart-condition", "none");
    add("--label", PROJECT_LABEL);
    add("--label", `${TRIAL_LABEL}=${job.id}`);
    add("--label", `${RESULTS_LABEL}=${resultsKey(this.options.resultsDir)}`);
    add("--container-label", PROJECT_LABEL);
    add("--container-label", `${TRIAL_LABEL}=${job.id}`);
    add("--reserve-cpu", String(o.cpus));
    add("--limit-cpu", String(o.cpus));
    add("--reserve-memory", o.memory);
    add("--limit-memory", o.memory);
    args.push("--read-only", "--init", "--no-healthcheck");
    add("--cap-drop", "ALL");
    add("--limit-pids", String(SWARM_PIDS_LIMIT));
    add("--stop-grace-period", "10s");
    add("--mount", "type=tmpfs,destination=/results");
    add("--mount", `type=tmpfs,destination=${RECORD_DIR},tmpfs-mode=01777`);
    add("--env", `${FRAME_ENV}=1`);
    add("--env", "TRIAL_RUNNER=swarm");
    add("--env", "TRIAL_NODE={{.Node.Hostname}}");
    add("--env", `TRIAL_IMAGE_ID=${o.imageId}`);
    if (o.gitCommit) add("--env", `TRIAL_GIT_COMMIT=${o.gitCommit}`);
    for (const node of avoidNodes) add("--constraint", `node.id!=${node}`);
    args.push(o.image, ...argsToFlags(job.args), `--out=${RECORD_DIR}/trials/${job.id}.json`);
    return args;
  }

  async #hostname(nodeId: string): Promise<string> {
    if (!this.#hostnames.has(nodeId)) {
      for (const n of await swarmNodes().catch(() => [])) this.#hostnames.set(n.id, n.hostname);
    }
    return this.#hostnames.get(nodeId) ?? nodeId.slice(0, 12);
  }

  async #nodeState(nodeId: string): Promise<string> {
    const r = await docker(["node", "inspect", "--format", "{{.Status.State}}", nodeId], 30_000);
    return r.code === 0 ? r.stdout.trim() : "unknown";
  }

  start(job: TrialJob, sink: LineSink): RunningTrial {
    const adopted = this.leftovers.get(job.id);
    this.leftovers.delete(job.id);
    const first = adopted ?? serviceName(job.id, crypto.randomUUID().slice(0, 6));
    let current = first;
    let stopped = false;
    const pollMs = this.options.pollMs ?? 2000;

    const attempt = async (
      service: string,
      create: boolean,
      avoid: string[],
    ): Promise<{ code: number } | { lostNode: string; hostname: string }> => {
      if (create) {
        const r = await docker(this.serviceArgs(job, service, avoid), 60_000);
        if (r.code !== 0) throw new Error(`docker service create: ${firstLine(r.stderr)}`);
      }
      let host = "";
      const shown: string[] = [];
      const lines: string[] = [];
      const follower = spawnStreaming(
        "docker",
        ["service", "logs", "--follow", "--raw", service],
        {},
        (line: string, stream: Stream) => {
          lines.push(line);
          if (isFrameLine(line)) return;
          shown.push(line);
          sink(host ? `(${host}) ${line}` : line, stream);
        },
      );
      try {
        let task: TaskState | null = null;
        while (!stopped) {
          task = await serviceTask(service);
          if (task && task.nodeId) host = await this.#hostname(task.nodeId);
          if (task && FINAL_TASK_STATES.includes(task.state)) break;
          if (task && task.nodeId && await this.#nodeState(task.nodeId) === "down") {
            await removeServices([service]);
            return { lostNode: task.nodeId, hostname: host };
          }
          await delay(pollMs);
        }
        if (stopped) return { code: 130 };
        // A node that went down may show first as a task the orchestrator gave up on
        // ("assigned node no longer meets constraints") rather than as a down node.
        // The node may not be marked down yet when the task is given up on: the message says.
        if (
          task!.nodeId &&
          (/no longer meets constraints/.test(task!.err) ||
            (task!.exitCode === null && await this.#nodeState(task!.nodeId) === "down"))
        ) {
          await removeServices([service]);
          return { lostNode: task!.nodeId, hostname: host };
        }
        if (task!.state === "rejected" || (task!.exitCode === null && task!.err !== "")) {
          const hint = /no such image|pull access denied|manifest unknown/i.test(task!.err)
            ? `; the image must reach every node: push it (deno task image -- --push REGISTRY) ` +
              `and run the sweep with --registry REGISTRY`
            : "";
          throw new Error(`swarm task on ${host || "no node"} ${task!.state}: ${task!.err}${hint}`);
        }
        // The record: from the followed log, else from the whole log (a node's log may lag).
        let framed = findFramedRecord(lines, job.id);
        const until = Date.now() + LOG_WAIT_MS;
        while (framed.record === null && !stopped) {
          const all = await docker(["service", "logs", "--raw", service], 60_000);
          const out = all.stdout.split("\n");
          framed = findFramedRecord(out, job.id);
          if (framed.record !== null || Date.now() > until) {
            if (shown.length === 0) {
              for (const l of out) {
                if (l !== "" && !isFrameLine(l)) sink(`(${host}) ${l}`, "stdout");
              }
              for (const l of all.stderr.split("\n")) {
                if (l !== "") sink(`(${host}) ${l}`, "stderr");
              }
            }
            break;
          }
          await delay(1000);
        }
        if (framed.record !== null) {
          await writeFileAtomic(job.recordPath, framed.json!);
        } else if (framed.problem) {
          sink(`(${host}) ${framed.problem}`, "stderr");
        }
        return { code: task!.exitCode ?? 1 };
      } finally {
        signalChild(follower.child, "SIGTERM");
        await follower.exited;
      }
    };

    const exited = (async () => {
      const lost: string[] = [];
      let create = adopted === undefined;
      try {
        for (let n = 0;; n++) {
          const result = await attempt(current, create, lost);
          if ("code" in result) return result;
          lost.push(result.lostNode);
          if (n >= this.options.retries) {
            throw new Error(
              `node ${result.hostname} went down during the trial (${n + 1} attempt(s), ` +
                `--retries ${this.options.retries})`,
            );
          }
          sink(
            `node ${result.hostname} went down: service ${current} removed; running the trial ` +
              `again on another node (attempt ${n + 2} of ${this.options.retries + 1})`,
            "stderr",
          );
          current = `${first}-r${n + 1}`;
          create = true;
        }
      } finally {
        await removeServices([current]).catch(() => {});
      }
    })();

    return {
      name: adopted ? `${first} (attached)` : first,
      exited,
      async stop() {
        stopped = true;
        await removeServices([current]).catch(() => {});
        await exited.catch(() => {});
      },
    };
  }
}
