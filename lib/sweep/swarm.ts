/**
 * What the sweep asks a Docker Swarm: whether this daemon is a manager, its nodes and their
 * CPUs, the project's services (found by label), a service's task and the node it runs on.
 * Everything goes through the `docker` CLI against the manager.
 * @module
 */

import { docker, firstLine, PROJECT_LABEL } from "./docker.ts";

/** Label carrying a service's trial id. */
export const TRIAL_LABEL = "org.mnist-deno.trial";
/** Label carrying a hash of the results directory a service's record goes to. */
export const RESULTS_LABEL = "org.mnist-deno.results";

/** One node of the swarm. */
export interface SwarmNode {
  id: string;
  hostname: string;
  /** `ready`, `down`, `unknown`, `disconnected`. */
  state: string;
  /** `active`, `pause`, `drain`. */
  availability: string;
  cpus: number;
  memoryBytes: number;
}

/**
 * Checks that the daemon is a swarm manager; returns null when it is, else a one-line error
 * naming what to do.
 */
export async function swarmProblem(): Promise<string | null> {
  const r = await docker(
    ["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"],
    15_000,
  ).catch(() => null);
  if (r === null || r.code !== 0) {
    return "--runner swarm: no Docker daemon answers (docker info failed); start one, or set " +
      "DOCKER_HOST to a swarm manager";
  }
  const [state, manager] = r.stdout.trim().split(" ");
  if (state !== "active") {
    return `--runner swarm: this Docker daemon is not in a swarm (state: ${state}); run ` +
      "'docker swarm init' (one node) or set DOCKER_HOST to a swarm manager";
  }
  if (manager !== "true") {
    return "--runner swarm: this Docker daemon is a swarm worker; run the sweep on a manager " +
      "(or set DOCKER_HOST to one)";
  }
  return null;
}

/** The swarm's nodes (from `docker node inspect` of every node). */
export async function swarmNodes(): Promise<SwarmNode[]> {
  const ls = await docker(["node", "ls", "-q"], 30_000);
  if (ls.code !== 0) throw new Error(`docker node ls: ${firstLine(ls.stderr)}`);
  const ids = ls.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (ids.length === 0) return [];
  const format = "{{.ID}}\t{{.Description.Hostname}}\t{{.Status.State}}\t" +
    "{{.Spec.Availability}}\t{{.Description.Resources.NanoCPUs}}\t" +
    "{{.Description.Resources.MemoryBytes}}";
  const r = await docker(["node", "inspect", "--format", format, ...ids], 30_000);
  if (r.code !== 0) throw new Error(`docker node inspect: ${firstLine(r.stderr)}`);
  return r.stdout.split("\n").filter((l) => l.trim() !== "").map((line) => {
    const [id, hostname, state, availability, nano, mem] = line.split("\t");
    return {
      id,
      hostname,
      state,
      availability,
      cpus: Number(nano) / 1e9,
      memoryBytes: Number(mem),
    };
  });
}

/** Nodes that take new tasks: ready and active. */
export function usableNodes(nodes: readonly SwarmNode[]): SwarmNode[] {
  return nodes.filter((n) => n.state === "ready" && n.availability === "active");
}

/**
 * Trials that fit at once: for each usable node, how many `cpus`-sized reservations its CPUs
 * hold, summed (at least 1).
 */
export function swarmCapacity(nodes: readonly SwarmNode[], cpus: number): number {
  const n = usableNodes(nodes).reduce((s, node) => s + Math.floor(node.cpus / cpus + 1e-9), 0);
  return Math.max(1, n);
}

/** A service of the project, as found by its labels. */
export interface ProjectService {
  name: string;
  trial: string;
  results: string;
}

/** The project's services (label `org.mnist-deno.project=1`). */
export async function projectServices(): Promise<ProjectService[]> {
  const r = await docker([
    "service",
    "ls",
    "--filter",
    `label=${PROJECT_LABEL}`,
    "--format",
    "{{.Name}}",
  ], 30_000);
  if (r.code !== 0) throw new Error(`docker service ls: ${firstLine(r.stderr)}`);
  const names = r.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (names.length === 0) return [];
  const format = `{{.Spec.Name}}\t{{index .Spec.Labels "${TRIAL_LABEL}"}}\t` +
    `{{index .Spec.Labels "${RESULTS_LABEL}"}}`;
  const i = await docker(["service", "inspect", "--format", format, ...names], 30_000);
  if (i.code !== 0) throw new Error(`docker service inspect: ${firstLine(i.stderr)}`);
  return i.stdout.split("\n").filter((l) => l.trim() !== "").map((line) => {
    const [name, trial, results] = line.split("\t");
    return { name, trial, results };
  });
}

/** Removes services by name (missing ones are fine). */
export async function removeServices(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const r = await docker(["service", "rm", ...names], 60_000);
  if (r.code !== 0 && !/not found/i.test(r.stderr)) {
    throw new Error(`docker service rm: ${firstLine(r.stderr)}`);
  }
}

/** The state of a service's (one) task. */
export interface TaskState {
  id: string;
  /** `new`, `pending`, `assigned`, ..., `running`, `complete`, `failed`, `rejected`, ... */
  state: string;
  nodeId: string;
  /** Swarm's error text (e.g. `No such image: ...`), or "". */
  err: string;
  /** The container's exit code once it has one, else null. */
  exitCode: number | null;
}

/** Task states after which the task never runs again. */
export const FINAL_TASK_STATES = [
  "complete",
  "failed",
  "rejected",
  "shutdown",
  "orphaned",
  "remove",
];

/** The newest task of a service, or null when it has none yet (or the service is gone). */
export async function serviceTask(service: string): Promise<TaskState | null> {
  const ps = await docker(["service", "ps", "-q", "--no-trunc", service], 30_000);
  if (ps.code !== 0) return null;
  const ids = ps.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (ids.length === 0) return null;
  const format = "{{.ID}}\t{{.Status.State}}\t{{.NodeID}}\t{{.Status.Err}}\t" +
    "{{if .Status.ContainerStatus}}{{.Status.ContainerStatus.ExitCode}}{{end}}";
  const r = await docker(["inspect", "--type", "task", "--format", format, ids[0]], 30_000);
  if (r.code !== 0) return null;
  const [id, state, nodeId, err, exit] = r.stdout.trim().split("\t");
  const final = FINAL_TASK_STATES.includes(state);
  return {
    id,
    state,
    nodeId,
    err: err ?? "",
    exitCode: final && exit !== undefined && exit !== "" ? Number(exit) : null,
  };
}
