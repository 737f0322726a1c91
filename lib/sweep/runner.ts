/**
 * The runner interface: how one trial is started and stopped. The sweep knows only this;
 * each engine (a local subprocess, a Docker container, later a Kubernetes Job) is one module
 * that implements it.
 * @module
 */

import type { TrialArgs } from "../record/mod.ts";
import type { LineSink } from "./process.ts";

/** One trial to run. */
export interface TrialJob {
  id: string;
  args: TrialArgs;
  /** Absolute path of the results directory on this machine. */
  resultsDir: string;
  /** Absolute path where the trial's record must end up: `<resultsDir>/trials/<id>.json`. */
  recordPath: string;
  /** Keep the trial's model beside its record (`trials/<id>.model/`). */
  saveModel: boolean;
  /** Worker slot, 0 to jobs - 1: which share of the CPUs the trial may use. */
  slot: number;
}

/** A trial that has been started. */
export interface RunningTrial {
  /** What it runs as, for messages (a container name, a pid). */
  name: string;
  /** Resolves with the trial CLI's exit code once it has ended and its output is delivered. */
  exited: Promise<{ code: number }>;
  /**
   * Asks the trial to stop (SIGINT, so it can record itself), then forces it after a grace.
   * Once it resolves, nothing of the trial runs or can start later (a container still being
   * created is removed, never started).
   */
  stop(): Promise<void>;
}

/**
 * An engine that runs trials. Each trial must carry its results directory's key (`resultsKey`
 * in `orphans.ts`: a container label, an environment variable) so that a later sweep finds the
 * trials a killed sweep left running; `orphans.ts` knows how to list and stop them per engine.
 */
export interface TrialRunner {
  /** `local`, `docker`, ... */
  readonly name: string;
  /** The image id the trials run in (passed to them as TRIAL_IMAGE_ID); null when none. */
  readonly imageId: string | null;
  /** One line saying how trials run, printed before the first one. */
  describe(): string;
  /** Starts a trial, streaming its output lines to `sink`. */
  start(job: TrialJob, sink: LineSink): RunningTrial;
}

/** Seconds a stopped trial gets to record itself before it is killed. */
export const STOP_GRACE_MS = 10_000;
