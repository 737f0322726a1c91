/**
 * Records: what a trial is (its arguments, their flags and defaults, its id) and what it
 * leaves behind (the JSON record, read, validated and written atomically), plus the bench
 * record and the published reference numbers. The one door to `lib/record/`. No TensorFlow.js.
 * @module
 */

export {
  ARG_SPECS,
  type ArgSpec,
  argsToFlags,
  argValueProblem,
  type BackendName,
  BACKENDS,
  DEFAULT_ARGS,
  findArgSpec,
  type IdPart,
  type Kind,
  PARENT_PIPE_ENV,
  parseArgFlags,
  parseArgValue,
  parseTrialArgs,
  TRIAL_HELP,
  TRIAL_ID_PATTERN,
  type TrialArgs,
  type TrialCli,
  trialId,
  UsageError,
  withArg,
} from "./args.ts";
export { collectEnvironment, cpuModel, type EnvironmentOptions, gitCommit } from "./environment.ts";
export {
  findFramedRecord,
  FRAME_ENV,
  FRAME_TAG,
  type FramedRecord,
  frameLines,
  isFrameLine,
} from "./frame.ts";
export {
  BENCH_SCHEMA_VERSION,
  type BenchEntry,
  type BenchFloor,
  type BenchRecord,
  type BenchStep,
  busyWarning,
  EPOCH_BATCH_SIZE,
  epochRatio,
  type EpochRuns,
  type MachineLoad,
  MAX_TRUSTED_SPREAD,
  median,
  sampleSpread,
  tooWide,
} from "./bench.ts";
export {
  allCells,
  type Cell,
  cellKey,
  compareCells,
  FIXED,
  PUBLISHED,
  publishedFor,
  type PublishedResult,
  type Sweep,
  type SweepParam,
  SWEEPS,
} from "./published.ts";
export {
  type DatasetFile,
  type DatasetInfo,
  type Environment,
  type EpochMetrics,
  formatRecord,
  fullyOk,
  ranIn,
  ranInSummary,
  SCHEMA_VERSION,
  type TrialRecord,
  type TrialStatus,
  type TrialTotals,
  writeFileAtomic,
  writeFileAtomicSync,
  writeRecord,
} from "./record.ts";
export {
  fileId,
  MAX_LOG_CHARS,
  MAX_RECORD_BYTES,
  MAX_STRING_CHARS,
  readRecord,
  RecordError,
  validateRecord,
} from "./validate.ts";
