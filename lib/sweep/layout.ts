/**
 * Where a sweep keeps each trial's files in a results directory: its record, its checkpoint
 * and its saved model (the results layout contract; a container sees the same layout under
 * its mount point). Every path is checked to lie where it should: a trial id is a safe id,
 * so no path can name a file elsewhere.
 * @module
 */

import { dirname, join } from "node:path";
import { TRIAL_ID_PATTERN, UsageError } from "../record/mod.ts";

/** `dir/name`, refused unless `id` is a safe trial id and the path lies directly in `dir`. */
function inside(dir: string, name: string, id: string): string {
  const path = join(dir, name);
  if (!TRIAL_ID_PATTERN.test(id) || dirname(path) !== dir) {
    throw new UsageError(`trial id ${JSON.stringify(id)}: its files would lie outside ${dir}`);
  }
  return path;
}

/**
 * Path of a trial's record in a results directory (the results layout contract).
 * @param resultsDir the results directory
 * @param id a trial id
 * @returns `RESULTS/trials/<id>.json`
 * @throws {UsageError} for an id that could name a file elsewhere
 */
export function recordPath(resultsDir: string, id: string): string {
  return inside(join(resultsDir, "trials"), `${id}.json`, id);
}

/**
 * Path of a trial's checkpoint directory in a results directory (written after every epoch,
 * resumed from when the trial runs again; removed once its record says `ok`).
 * @param resultsDir the results directory
 * @param id a trial id
 * @returns `RESULTS/checkpoints/<id>`
 * @throws {UsageError} for an id that could name a file elsewhere
 */
export function checkpointDir(resultsDir: string, id: string): string {
  return inside(join(resultsDir, "checkpoints"), id, id);
}

/**
 * Path of a trial's saved model (`--save-model`): beside its record.
 * @param resultsDir the results directory
 * @param id a trial id
 * @returns `RESULTS/trials/<id>.model`
 * @throws {UsageError} for an id that could name a file elsewhere
 */
export function modelDir(resultsDir: string, id: string): string {
  return inside(join(resultsDir, "trials"), `${id}.model`, id);
}
