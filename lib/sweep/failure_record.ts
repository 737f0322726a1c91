/**
 * The record the sweep writes for a trial that ended without writing one itself (it crashed,
 * was killed, rejected a flag, or never started): status `failed` or `interrupted`, its exit
 * code and the tail of its stderr.
 * @module
 */

import {
  collectEnvironment,
  SCHEMA_VERSION,
  type TrialArgs,
  type TrialRecord,
  type TrialStatus,
} from "../record/mod.ts";

/** What the sweep knows about a trial that left no record. */
export interface FailureInfo {
  id: string;
  args: TrialArgs;
  status: Extract<TrialStatus, "failed" | "interrupted">;
  message: string;
  exitCode: number | null;
  stderrTail: string | null;
  imageId: string | null;
  gitCommit: string | null;
  startedAt: Date;
  endedAt: Date;
}

/** Builds a record for a trial that left none; the environment is the sweep's own. */
export function failureRecord(info: FailureInfo): TrialRecord {
  return {
    schema: SCHEMA_VERSION,
    id: info.id,
    status: info.status,
    args: info.args,
    epochs: [],
    totals: null,
    divergence: null,
    error: { message: info.message, exitCode: info.exitCode, stderrTail: info.stderrTail },
    dataset: null,
    environment: collectEnvironment({
      tfjs: "unknown",
      backend: info.args.backend,
      threads: info.args.threads ?? navigator.hardwareConcurrency,
      imageId: info.imageId,
      gitCommit: info.gitCommit,
    }),
    startedAt: info.startedAt.toISOString(),
    endedAt: info.endedAt.toISOString(),
  };
}
