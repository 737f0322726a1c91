/**
 * What a trial ran on: versions, CPU, OS, container image and git commit.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Environment } from "../record/mod.ts";

/** The CPU model name from /proc/cpuinfo, or "unknown". */
export function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const m = info.match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch { /* not Linux */ }
  return "unknown";
}

/** The git commit of the project: `TRIAL_GIT_COMMIT`, else `git rev-parse HEAD`, else null. */
export function gitCommit(): string | null {
  const fromEnv = Deno.env.get("TRIAL_GIT_COMMIT");
  if (fromEnv) return fromEnv;
  try {
    const out = new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    return out.success && /^[0-9a-f]{40}$/.test(text) ? text : null;
  } catch {
    return null;
  }
}

/** Collects the environment record for a trial that ran on `backend` with `threads`. */
export function collectEnvironment(
  backend: string,
  threads: number,
  library: string | null = null,
): Environment {
  let hostname = "unknown";
  try {
    hostname = Deno.hostname();
  } catch { /* not permitted */ }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    tfjs: tf.version.tfjs,
    backend,
    threads,
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    arch: Deno.build.arch,
    hostname,
    imageId: Deno.env.get("TRIAL_IMAGE_ID") || null,
    gitCommit: gitCommit(),
    library,
    runner: Deno.env.get("TRIAL_RUNNER") || null,
    node: Deno.env.get("TRIAL_NODE") || null,
  };
}
