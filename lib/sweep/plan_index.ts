/**
 * The plan a Kubernetes Indexed Job carries in its ConfigMap, and how a pod turns its
 * completion index into trial flags: `scripts/train.ts --plan FILE` reads entry
 * `$JOB_COMPLETION_INDEX` of FILE.
 * @module
 */

import type { TrialArgs } from "../record/mod.ts";
import { argsToFlags, UsageError } from "../record/mod.ts";

/** One entry of the plan file: a trial and the flags that run it. */
export interface PlanEntry {
  id: string;
  flags: string[];
}

/** Where a pod writes its record (a writable emptyDir; the record comes back framed). */
export const POD_RECORD_DIR = "/tmp/trials";

/** The plan file's entries for `trials`, in index order. */
export function planEntries(trials: readonly { id: string; args: TrialArgs }[]): PlanEntry[] {
  return trials.map((t) => ({ id: t.id, flags: argsToFlags(t.args) }));
}

/**
 * The trial CLI's flags for entry `index` of a plan file's text.
 * @param planText the plan file (JSON list of {@link PlanEntry})
 * @param index the completion index as a string (from `JOB_COMPLETION_INDEX`)
 * @param recordDir where the record goes (default {@link POD_RECORD_DIR})
 * @returns the flags, with `--out` into `recordDir`
 * @throws UsageError naming what is wrong with the index or the file
 */
export function planArgv(
  planText: string,
  index: string | undefined,
  recordDir = POD_RECORD_DIR,
): string[] {
  let entries: PlanEntry[];
  try {
    entries = JSON.parse(planText);
    if (!Array.isArray(entries)) throw new Error();
  } catch {
    throw new UsageError("--plan: the plan file is not a JSON list of trials");
  }
  const i = Number(index);
  if (index === undefined || !Number.isInteger(i) || i < 0 || i >= entries.length) {
    throw new UsageError(
      `--plan: JOB_COMPLETION_INDEX ${JSON.stringify(index ?? null)}: expected 0..${
        entries.length - 1
      }`,
    );
  }
  const e = entries[i];
  return [...e.flags, `--out=${recordDir}/${e.id}.json`];
}
