/**
 * Trials of a sweep that died (kill -9, a crash) may still run: containers, or processes
 * that have not yet noticed. Every trial carries its results directory's key (a container
 * label, an environment variable of a local process), so the next sweep on that directory
 * finds them and stops them before it runs anything: one trial never runs twice at once.
 * Trials of other results directories are found the same way, to warn that they share the CPUs.
 * @module
 */

import { docker, firstLine, PROJECT_LABEL } from "./docker.ts";
import { pidAlive, processStartTime } from "./lock.ts";
import { STOP_GRACE_MS } from "./runner.ts";

/** Container label holding the results directory's key. */
export const RESULTS_LABEL = "org.mnist-deno.results";
/** Container label holding the sweep's id (`pid-starttime`). */
export const SWEEP_LABEL = "org.mnist-deno.sweep";
/** Environment variable of a local trial holding its results directory's key. */
export const RESULTS_ENV = "MNIST_SWEEP_RESULTS";

/**
 * The key of a results directory: 16 hex digits of the SHA-256 of its absolute path.
 * @param dir absolute path of the results directory
 */
export async function resultsKey(dir: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(dir));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** This sweep's id: its pid and start time, unique on this machine. */
export function sweepId(): string {
  return `${Deno.pid}-${processStartTime(Deno.pid) ?? Date.now()}`;
}

/** A trial found running: a local process or a container. */
export interface FoundTrial {
  kind: "process" | "container";
  /** Pid or container name. */
  name: string;
  /** Key of its results directory. */
  results: string;
}

/** Local trial processes (any user's we may read), by their environment. */
function localTrials(): FoundTrial[] {
  const found: FoundTrial[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync("/proc");
  } catch {
    return found; // not Linux
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    let env: string;
    try {
      env = Deno.readTextFileSync(`/proc/${e.name}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    const hit = env.split("\0").find((v) => v.startsWith(`${RESULTS_ENV}=`));
    if (hit) found.push({ kind: "process", name: e.name, results: hit.split("=")[1] });
  }
  return found;
}

/**
 * The project's containers not exited, with their results key. No `docker` or no daemon: [].
 * A daemon that answers slowly (under load) is waited for, up to 2 minutes; one that fails
 * otherwise throws, so a sweep never runs beside a trial it could not look for.
 */
async function containers(): Promise<FoundTrial[]> {
  const r = await docker([
    "ps",
    "-a",
    "--filter",
    `label=${PROJECT_LABEL}`,
    "--format",
    `{{.Names}} {{.State}} {{.Label "${RESULTS_LABEL}"}}`,
  ], 120_000).catch((err) => ({ code: -1, stdout: "", stderr: (err as Error).message }));
  if (r.code === 127 || /Cannot connect to the Docker daemon/i.test(r.stderr)) return [];
  if (r.code !== 0) {
    throw new Error(`cannot list the containers left running (docker ps: ${firstLine(r.stderr)})`);
  }
  return r.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => l.trim().split(" "))
    .filter(([, state, key]) => key && state !== "exited" && state !== "dead")
    .map(([name, , key]) => ({ kind: "container" as const, name, results: key }));
}

/**
 * Trials running on this machine, processes and containers, with their results keys.
 * @returns every one found (this sweep's own trials too, if it has started any)
 */
export async function runningTrials(): Promise<FoundTrial[]> {
  return [...localTrials(), ...await containers()];
}

/** Waits until `gone()` or `ms` passed; true when gone. */
async function waitGone(gone: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!await gone()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}

/** Whether a container no longer runs (removed, or exited). */
async function containerGone(name: string): Promise<boolean> {
  const r = await docker(["inspect", "--format", "{{.State.Running}}", name], 15_000);
  return r.code !== 0 || r.stdout.trim() !== "true";
}

/**
 * Stops trials found running: SIGINT (so each records itself `interrupted`), then SIGKILL
 * after the grace; containers are removed (`docker rm -f`) in the end.
 * @param trials what {@link runningTrials} found for one results directory
 */
export async function stopTrials(trials: readonly FoundTrial[]): Promise<void> {
  await Promise.all(trials.map(async (t) => {
    if (t.kind === "process") {
      const pid = Number(t.name);
      try {
        Deno.kill(pid, "SIGINT");
      } catch { /* gone */ }
      if (!await waitGone(() => !pidAlive(pid), STOP_GRACE_MS)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
        await waitGone(() => !pidAlive(pid), 5_000);
      }
    } else {
      await docker(["kill", "--signal", "SIGINT", t.name], 15_000);
      await waitGone(() => containerGone(t.name), STOP_GRACE_MS);
      await docker(["rm", "-f", t.name], 60_000);
    }
  }));
}

/** How a found trial is named in messages. */
export function describeTrial(t: FoundTrial): string {
  return t.kind === "process" ? `process ${t.name}` : `container ${t.name}`;
}
