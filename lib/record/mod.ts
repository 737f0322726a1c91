/**
 * Records: what a trial is (its arguments, their flags and defaults, its id) and what it
 * leaves behind (the JSON record, read, validated and written atomically), plus the bench
 * record and the published reference numbers. The one door to `lib/record/`.
 * @module
 */

export { parseTrialArgs, TRIAL_HELP, type TrialCli } from "./args.ts";
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
  type BenchRecord,
  type BenchStep,
  type EpochRuns,
} from "./bench.ts";
export {
  ARG_SPECS,
  type ArgSpec,
  DEFAULT_ARGS,
  findArgSpec,
  type Kind,
  UsageError,
} from "./flags.ts";
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
  readRecord,
  RecordError,
  SCHEMA_VERSION,
  type TrialArgs,
  trialId,
  type TrialRecord,
  type TrialStatus,
  type TrialTotals,
  validateRecord,
  writeFileAtomic,
  writeFileAtomicSync,
  writeRecord,
} from "./record.ts";
