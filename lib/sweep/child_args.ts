/**
 * The flags a sweep hands to one trial process (`scripts/train.ts`): its arguments, and where
 * its record, checkpoint and model go in the results directory as the trial sees it.
 * @module
 */

import { argsToFlags, type TrialArgs } from "../record/mod.ts";
import { checkpointDir, modelDir, recordPath } from "./layout.ts";

/**
 * The flags of one sweep trial, given where its results directory is as the trial sees it
 * (a container sees it mounted elsewhere): its arguments, its record, its checkpoint
 * directory and, with `saveModel`, its model directory.
 * @param args the trial's arguments
 * @param id its trial id
 * @param resultsDir the results directory as the trial sees it
 * @param saveModel whether the trial keeps its model beside its record
 * @returns flags for `scripts/train.ts`
 */
export function trialFlags(
  args: TrialArgs,
  id: string,
  resultsDir: string,
  saveModel: boolean,
): string[] {
  const flags = [
    ...argsToFlags(args),
    `--out=${recordPath(resultsDir, id)}`,
    `--checkpoint-dir=${checkpointDir(resultsDir, id)}`,
  ];
  if (saveModel) flags.push(`--save-model=${modelDir(resultsDir, id)}`);
  return flags;
}
