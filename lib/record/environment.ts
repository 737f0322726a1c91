/**
 * What a trial ran on: versions, CPU, OS, container image and git commit. One builder for the
 * records the trials write and those the sweep writes for trials that left none. No
 * TensorFlow.js: its version is passed in.
 * @module
 */

import type { Environment } from "./record.ts";

/**
 * The CPU model name.
 * @returns the `model name` of /proc/cpuinfo, or "unknown" where there is none
 */
export function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const m = info.match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch { /* not Linux */ }
  return "unknown";
}

/**
 * The commit checked out at `root`.
 * @param root a directory of the repository
 * @returns `git rev-parse HEAD` there (40 hex digits), or null when unknown
 */
export function gitCommit(root: string): string | null {
  try {
    const out = new Deno.Command("git", {
      args: ["-C", root, "rev-parse", "--verify", "-q", "HEAD"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    return out.success && /^[0-9a-f]{40}$/.test(text) ? text : null;
  } catch {
    return null;
  }
}

/** What {@link collectEnvironment} cannot find out itself. */
export interface EnvironmentOptions {
  /** TensorFlow.js version, or "unknown". */
  tfjs: string;
  /** Backend actually used (after `auto` resolved), or as asked for. */
  backend: string;
  /** Math threads in effect. */
  threads: number;
  /** The math library and its CPU kernel; null when none or unknown. */
  library?: string | null;
  /** Container image id; null outside a container. */
  imageId: string | null;
  /** Git commit of the code; null when unknown. */
  gitCommit: string | null;
}

/**
 * The environment part of a record, for this process.
 * @param o what the caller knows
 * @returns the record's `environment`
 */
export function collectEnvironment(o: EnvironmentOptions): Environment {
  let hostname = "unknown";
  try {
    hostname = Deno.hostname();
  } catch { /* not permitted */ }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    tfjs: o.tfjs,
    backend: o.backend,
    threads: o.threads,
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    arch: Deno.build.arch,
    hostname,
    imageId: o.imageId,
    gitCommit: o.gitCommit,
    library: o.library ?? null,
    runner: Deno.env.get("TRIAL_RUNNER") || null,
    node: Deno.env.get("TRIAL_NODE") || null,
  };
}
