/**
 * Where a sweep keeps each trial's files in a results directory: its record, its checkpoint
 * and its saved model (the results layout contract; a container sees the same layout under
 * its mount point).
 * @module
 */

import { join } from "node:path";

/** Path of a trial's record in a results directory (the results layout contract). */
export function recordPath(resultsDir: string, id: string): string {
  return join(resultsDir, "trials", `${id}.json`);
}

/**
 * Path of a trial's checkpoint directory in a results directory (written after every epoch,
 * resumed from when the trial runs again; removed once its record says `ok`).
 */
export function checkpointDir(resultsDir: string, id: string): string {
  return join(resultsDir, "checkpoints", id);
}

/** Path of a trial's saved model (`--save-model`): beside its record, `trials/<id>.model/`. */
export function modelDir(resultsDir: string, id: string): string {
  return join(resultsDir, "trials", `${id}.model`);
}
