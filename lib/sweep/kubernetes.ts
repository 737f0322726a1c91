/**
 * Kubernetes: a sweep's pending trials as one Indexed Job (`completionMode: Indexed`,
 * `completions` = trials, `parallelism` = `--jobs`, `backoffLimitPerIndex` = `--retries`),
 * a ConfigMap holding the plan (each pod runs entry `$JOB_COMPLETION_INDEX` with
 * `scripts/train.ts --plan /plan/plan.json`), and a NetworkPolicy that gives the pods no
 * network. Pods run the same image with the least privilege of the other runners and print
 * their records framed on stdout; {@link collectKubernetes} reads them back from the pods'
 * logs with the swarm runner's code (lib/record/frame.ts).
 *
 * Never run against a live cluster on our machines (none can be started there): the manifests
 * are tested field by field, the log-to-record path through the swarm runner.
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  findFramedRecord,
  FRAME_ENV,
  type TrialArgs,
  type TrialRecord,
  writeFileAtomic,
  writeRecord,
} from "../record/mod.ts";
import { LABEL_KEY } from "./docker.ts";
import { failureRecord } from "./failure_record.ts";
import { planEntries } from "./plan_index.ts";
import { recordPath } from "./layout.ts";
import { RESULTS_LABEL } from "./swarm.ts";

/** Settings of the manifests. */
export interface KubernetesOptions {
  /** Image every node pulls: `REGISTRY/mnist-deno@sha256:...`. */
  image: string;
  /** The image id (`sha256:...`) for the records; null when not known here. */
  imageId: string | null;
  gitCommit: string | null;
  /** CPUs requested and allowed per pod. */
  cpus: number;
  /** Memory per pod in Docker's notation (`4g`, `512m`). */
  memory: string;
  /** Pods at once. */
  parallelism: number;
  /** Retries per index (`backoffLimitPerIndex`). */
  retries: number;
  /** Absolute path of the results directory here (its hash labels the objects). */
  resultsDir: string;
}

/** The objects of one sweep, in the order they are applied. */
export interface KubernetesManifests {
  name: string;
  configMap: Record<string, unknown>;
  networkPolicy: Record<string, unknown>;
  job: Record<string, unknown>;
}

/** The plan's size limit: a ConfigMap holds 1 MiB, and the object needs some of it. */
const MAX_PLAN_BYTES = 1000 * 1024;

/** User id of the image's `deno` user. */
const IMAGE_UID = 1993;

/** Docker's memory notation (`4g`, `512m`, `1024k`, bytes) as a Kubernetes quantity. */
export function kubernetesMemory(docker: string): string {
  const m = /^([0-9]+)([bkmg]?)$/i.exec(docker.trim());
  if (!m) throw new Error(`--memory ${JSON.stringify(docker)}: expected N, Nk, Nm or Ng`);
  const unit = { "": "", b: "", k: "Ki", m: "Mi", g: "Gi" }[m[2].toLowerCase()]!;
  return `${m[1]}${unit}`;
}

/** The name of a sweep's objects: `mnist-sweep-<hash of the results dir and the trials>`. */
export function manifestName(resultsDir: string, ids: readonly string[]): string {
  const h = createHash("sha256").update(`${resultsDir}\n${ids.join("\n")}`).digest("hex");
  return `mnist-sweep-${h.slice(0, 12)}`;
}

/**
 * The manifests for `trials` (index i runs trials[i]); the same input gives the same JSON.
 * @example
 * ```ts
 * const m = kubernetesManifests(plan.trials.filter((t) => !t.done), options);
 * await writeManifests(dir, m);
 * ```
 */
export function kubernetesManifests(
  trials: readonly { id: string; args: TrialArgs }[],
  o: KubernetesOptions,
): KubernetesManifests {
  if (trials.length === 0) throw new Error("no trial to run");
  const name = manifestName(o.resultsDir, trials.map((t) => t.id));
  const labels = {
    [LABEL_KEY]: "1",
    [RESULTS_LABEL]: createHash("sha256").update(o.resultsDir).digest("hex").slice(0, 12),
    "org.mnist-deno.sweep": name,
  };
  const memory = kubernetesMemory(o.memory);
  const cpu = String(o.cpus);
  const planText = JSON.stringify(planEntries(trials)) + "\n";
  if (planText.length > MAX_PLAN_BYTES) {
    throw new Error(
      `${trials.length} trials make a plan of ${Math.ceil(planText.length / 1024)} KiB, over ` +
        `what a ConfigMap holds (1 MiB); run the sweep in parts (fewer --grid values each)`,
    );
  }
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels },
    data: { "plan.json": planText },
  };
  const networkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, labels },
    spec: {
      podSelector: { matchLabels: { "org.mnist-deno.sweep": name } },
      policyTypes: ["Ingress", "Egress"],
    },
  };
  const env = [
    { name: FRAME_ENV, value: "1" },
    { name: "TRIAL_RUNNER", value: "kubernetes" },
    { name: "TRIAL_NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    ...(o.imageId ? [{ name: "TRIAL_IMAGE_ID", value: o.imageId }] : []),
    ...(o.gitCommit ? [{ name: "TRIAL_GIT_COMMIT", value: o.gitCommit }] : []),
  ];
  const job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels },
    spec: {
      completionMode: "Indexed",
      completions: trials.length,
      parallelism: Math.min(o.parallelism, trials.length),
      backoffLimitPerIndex: o.retries,
      maxFailedIndexes: trials.length,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: IMAGE_UID,
            runAsGroup: IMAGE_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: "trial",
            image: o.image,
            args: ["--plan", "/plan/plan.json"],
            env,
            resources: { requests: { cpu, memory }, limits: { cpu, memory } },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              privileged: false,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: [
              { name: "plan", mountPath: "/plan", readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
              { name: "results", mountPath: "/results" },
            ],
          }],
          volumes: [
            { name: "plan", configMap: { name } },
            { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
            { name: "results", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
          ],
        },
      },
    },
  };
  return { name, configMap, networkPolicy, job };
}

/** File names of the manifests in a directory, in apply order. */
export const MANIFEST_FILES = ["10-configmap.json", "20-networkpolicy.json", "30-job.json"];

/** Writes the manifests into `dir` (created), one JSON file per object; returns the paths. */
export async function writeManifests(dir: string, m: KubernetesManifests): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const objects = [m.configMap, m.networkPolicy, m.job];
  const paths = MANIFEST_FILES.map((f) => join(dir, f));
  for (const [i, path] of paths.entries()) {
    await writeFileAtomic(path, JSON.stringify(objects[i], null, 2) + "\n");
  }
  return paths;
}

/** Runs `kubectl args...`; a missing kubectl is a one-line error. */
async function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command("kubectl", { args, stdin: "null" }).output();
    const t = new TextDecoder();
    return { code: out.code, stdout: t.decode(out.stdout), stderr: t.decode(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("--runner kubernetes: kubectl not found; install it, or use --emit DIR");
    }
    throw err;
  }
}

/** What {@link collectKubernetes} needs. */
export interface CollectOptions {
  manifests: KubernetesManifests;
  /** The trials in index order. */
  trials: readonly { id: string; args: TrialArgs }[];
  /** Directory holding the manifest files (applied with `kubectl apply -f`). */
  dir: string;
  resultsDir: string;
  imageId: string | null;
  gitCommit: string | null;
  signal: AbortSignal;
  print: (line: string) => void;
  /** Milliseconds between looks at the pods (default 5000). */
  pollMs?: number;
}

/**
 * Applies the manifests with kubectl, then collects each index's record from its pod's log
 * (the last pod of that index) as pods finish, writing it atomically; indexes the Job gave up
 * on are recorded `failed`, and on abort the Job is deleted and the rest recorded
 * `interrupted`. Returns the ids whose record is not `ok`.
 *
 * Not run against a live cluster on our machines.
 */
export async function collectKubernetes(o: CollectOptions): Promise<string[]> {
  const name = o.manifests.name;
  const applied = await kubectl(["apply", "-f", o.dir]);
  if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr.trim().split("\n")[0]}`);
  o.print(`kubernetes: applied ${name} (${o.trials.length} trial(s)); collecting records`);
  const startedAt = new Date();
  const records = new Map<number, TrialRecord>();
  const write = async (i: number, r: TrialRecord) => {
    await writeRecord(recordPath(o.resultsDir, o.trials[i].id), r);
    records.set(i, r);
  };
  const fail = (i: number, status: "failed" | "interrupted", message: string) =>
    write(
      i,
      failureRecord({
        id: o.trials[i].id,
        args: o.trials[i].args,
        status,
        message,
        exitCode: null,
        stderrTail: null,
        imageId: o.imageId,
        gitCommit: o.gitCommit,
        startedAt,
        endedAt: new Date(),
      }),
    );
  while (records.size < o.trials.length && !o.signal.aborted) {
    const pods = await kubectl(["get", "pods", "-l", `job-name=${name}`, "-o", "json"]);
    const job = await kubectl(["get", "job", name, "-o", "json"]);
    const failedIndexes = new Set<number>();
    if (job.code === 0) {
      const text = JSON.parse(job.stdout).status?.failedIndexes as string | undefined;
      for (const part of (text ?? "").split(",").filter((p) => p !== "")) {
        const [a, b] = part.split("-").map(Number);
        for (let i = a; i <= (b ?? a); i++) failedIndexes.add(i);
      }
    }
    for (const pod of pods.code === 0 ? JSON.parse(pods.stdout).items ?? [] : []) {
      const i = Number(pod.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"]);
      if (!Number.isInteger(i) || records.has(i) || pod.status?.phase !== "Succeeded") continue;
      const logs = await kubectl(["logs", pod.metadata.name]);
      const found = findFramedRecord(logs.stdout.split("\n"), o.trials[i].id);
      if (found.record) {
        await writeFileAtomic(recordPath(o.resultsDir, o.trials[i].id), found.json!);
        records.set(i, found.record);
        o.print(`<== ${o.trials[i].id}: ${found.record.status} (pod ${pod.metadata.name})`);
      } else {
        await fail(
          i,
          "failed",
          `pod ${pod.metadata.name}: ${found.problem ?? "no record in its log"}`,
        );
      }
    }
    for (const i of failedIndexes) {
      if (!records.has(i)) {
        await fail(i, "failed", `the Job gave up on index ${i} (backoffLimitPerIndex reached)`);
      }
    }
    if (records.size < o.trials.length) await new Promise((r) => setTimeout(r, o.pollMs ?? 5000));
  }
  if (o.signal.aborted) {
    await kubectl(["delete", "job,configmap,networkpolicy", "-l", `org.mnist-deno.sweep=${name}`]);
    for (let i = 0; i < o.trials.length; i++) {
      if (!records.has(i)) await fail(i, "interrupted", "interrupted by the sweep (Job deleted)");
    }
  }
  return o.trials.filter((_, i) => records.get(i)?.status !== "ok").map((t) => t.id);
}
