/**
 * Runs each trial as a fresh `deno run` subprocess of scripts/train.ts on this machine.
 * @module
 */

import { join } from "node:path";
import { PARENT_PIPE_ENV } from "../record/mod.ts";
import { RESULTS_ENV } from "./orphans.ts";
import { type LineSink, settlesWithin, signalChild, spawnStreaming } from "./process.ts";
import { trialFlags } from "./child_args.ts";
import { type RunningTrial, STOP_GRACE_MS, type TrialJob, type TrialRunner } from "./runner.ts";

/** Settings of {@link LocalRunner}. */
export interface LocalRunnerOptions {
  /** Repository root (holds deno.json and scripts/train.ts). */
  root: string;
  gitCommit: string | null;
  /** CPU list per worker slot for `taskset -c` (e.g. `["0", "1"]`); null to leave unpinned. */
  cpusets: string[] | null;
  /** Key of the results directory, in each trial's environment (`MNIST_SWEEP_RESULTS`). */
  resultsKey: string;
}

/** Runs trials as local subprocesses. */
export class LocalRunner implements TrialRunner {
  readonly name = "local";
  readonly imageId = null;

  constructor(readonly options: LocalRunnerOptions) {}

  describe(): string {
    const pin = this.options.cpusets ? `, pinned to CPUs ${this.options.cpusets.join(" / ")}` : "";
    return `local: ${Deno.execPath()} run scripts/train.ts in a fresh process per trial${pin}`;
  }

  /** The command line of one trial: `[program, ...args]`. */
  commandLine(job: TrialJob): string[] {
    const deno = [
      Deno.execPath(),
      "run",
      "--allow-all",
      join(this.options.root, "scripts", "train.ts"),
      ...trialFlags(job.args, job.id, job.resultsDir, job.saveModel),
    ];
    const cpusets = this.options.cpusets;
    return cpusets ? ["taskset", "-c", cpusets[job.slot % cpusets.length], ...deno] : deno;
  }

  start(job: TrialJob, sink: LineSink): RunningTrial {
    const [cmd, ...args] = this.commandLine(job);
    const env: Record<string, string> = {
      [RESULTS_ENV]: this.options.resultsKey,
      [PARENT_PIPE_ENV]: "stdin",
    };
    if (this.options.gitCommit) env.TRIAL_GIT_COMMIT = this.options.gitCommit;
    const { child, exited, parentPipe } = spawnStreaming(
      cmd,
      args,
      { cwd: this.options.root, env, parentPipe: true },
      sink,
    );
    // Closed once the trial has ended (a kill -9 of the sweep closes it for the trial).
    exited.finally(() => parentPipe?.close().catch(() => {}));
    return {
      name: `pid ${child.pid}`,
      exited,
      async stop() {
        signalChild(child, "SIGINT");
        if (await settlesWithin(exited, STOP_GRACE_MS)) return;
        signalChild(child, "SIGKILL");
        await exited;
      },
    };
  }
}
