/**
 * The record `deno task bench --out FILE` writes: per backend (and PyTorch when asked),
 * median milliseconds per training step at several batch sizes, the test-pass time and
 * the projected epoch time.
 * @module
 */

/** Version of the bench record layout. */
export const BENCH_SCHEMA_VERSION = 1;

/** Timing of one implementation at one batch size. */
export interface BenchStep {
  batchSize: number;
  /** Median wall milliseconds of one training step (forward, backward, optimizer). */
  msPerStep: number;
  /** All measured step times, milliseconds, in the order taken. */
  samplesMs: number[];
  imagesPerSecond: number;
}

/** Everything measured for one implementation (`blas`, `cpu`, `pytorch`, ...). */
export interface BenchEntry {
  /** Backend name, or `pytorch` for the reference implementation. */
  name: string;
  /** Version string of what ran (tfjs version, torch version). */
  version: string;
  threads: number;
  steps: BenchStep[];
  /** Seconds for a forward pass over the test set (10k images), or null if not measured. */
  testPassSeconds: number | null;
  /** Projected seconds for one epoch: 60k train at batch 128 plus the test pass. */
  projectedEpochSeconds: number | null;
  /** Peak resident set size in bytes during the measurement, or null if unknown. */
  peakRssBytes: number | null;
}

/** The whole bench document. */
export interface BenchRecord {
  schema: number;
  kind: "bench";
  startedAt: string;
  endedAt: string;
  machine: { cpu: string; cores: number; os: string; arch: string };
  entries: BenchEntry[];
  /** Ours over PyTorch's projected epoch time, per backend, when PyTorch ran. */
  ratioVsPytorch: Record<string, number> | null;
  /** Whole epochs side by side (`--epochs N`), when asked. */
  epochs?: EpochRuns[];
  /** Median whole epoch of blas over PyTorch's, when both ran `--epochs`. */
  epochRatioVsPytorch?: number | null;
}

/** Whole-epoch times of one implementation over the alternating runs of `--epochs N`. */
export interface EpochRuns {
  /** `blas` or `pytorch`. */
  name: string;
  /** Wall seconds of each epoch (60k train at batch 128 + 10k test), in run order. */
  seconds: number[];
  /** Test accuracy after each epoch, as a fraction. */
  valAcc: number[];
}
