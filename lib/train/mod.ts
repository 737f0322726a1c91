/**
 * Training: the epoch loop, one training step (fused or through the gradient tape), one whole
 * trial from arguments to record, its log lines, the environment and memory figures it records.
 * The one door to `lib/train/`.
 * @module
 */

export { fusedStepFor } from "./fused_step.ts";
export {
  type Checkpoint,
  CheckpointError,
  type CheckpointHeader,
  type CheckpointIdentity,
  checkpointPath,
  fingerprint,
  identityDifference,
  readCheckpoint,
  type Resume,
  writeCheckpoint,
} from "./checkpoint.ts";
export {
  epochLine,
  finalBlock,
  progressLine,
  terminalColumns,
  totalsOf,
  valMetrics,
} from "./log.ts";
export { type BatchProgress, evaluate, train, type TrainState } from "./loop.ts";
export { peakRssBytes } from "./memory.ts";
export { countCorrect, evalBatch, nllLoss, tapeTrainStep, trainStep } from "./step.ts";
export { checkWritable, EXIT, onParentGone, Trial, TrialFailure } from "./trial.ts";
export type { BatchResult } from "./step.ts";
export type { TrainCallbacks, TrainOptions, TrainOutcome } from "./loop.ts";
export type { TrialIo } from "./trial.ts";
export type { ConvStage, DenseStage, FusedPlan, FusedStep, FusedStepResult } from "./fused_step.ts";

// Types from other folders that appear in this folder's signatures, so its docs are complete.
export { BACKENDS } from "../record/mod.ts";
export type {
  BackendName,
  DatasetFile,
  EpochMetrics,
  TrialArgs,
  TrialCli,
  TrialTotals,
} from "../record/mod.ts";
export type { ConvInfo } from "../blas/mod.ts";
export type {
  Adadelta,
  FlatState,
  LayersModel,
  Scalar,
  SeededDropoutLayer,
  Tensor,
  Variable,
} from "../model/mod.ts";
export type { Mnist, Split } from "../data/mod.ts";
