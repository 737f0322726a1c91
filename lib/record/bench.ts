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
  /** Images per step. */
  batchSize: number;
  /** Median wall milliseconds of one training step (forward, backward, optimizer). */
  msPerStep: number;
  /** All measured step times, milliseconds, in the order taken. */
  samplesMs: number[];
  /** Training images per second at the median step time. */
  imagesPerSecond: number;
}

/** Everything measured for one implementation (`blas`, `cpu`, `pytorch`, ...). */
export interface BenchEntry {
  /** Backend name, or `pytorch` for the reference implementation. */
  name: string;
  /** Version string of what ran (tfjs version, torch version). */
  version: string;
  /** Math threads it ran with. */
  threads: number;
  /** One timing per batch size. */
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
  /** {@link BENCH_SCHEMA_VERSION} of the layout. */
  schema: number;
  /** Always `bench` (tells it from a trial record). */
  kind: "bench";
  /** Start time, ISO 8601. */
  startedAt: string;
  /** End time, ISO 8601. */
  endedAt: string;
  /** The machine it ran on. */
  machine: {
    cpu: string;
    cores: number;
    os: string;
    arch: string;
    /** Vector instruction sets of the CPU (avx2, avx512f, ...), when known. */
    cpuFeatures?: string[];
    /** OpenBLAS' build and the kernel it chose for this CPU, when blas ran. */
    blas?: string | null;
  };
  /** One entry per implementation timed. */
  entries: BenchEntry[];
  /** Ours over PyTorch's projected epoch time, per backend, when PyTorch ran. */
  ratioVsPytorch: Record<string, number> | null;
  /** The machine's sgemm speed in this run and the step time it allows, when blas ran. */
  floor?: BenchFloor;
  /** Whole epochs side by side (`--epochs N`), when asked. */
  epochs?: EpochRuns[];
  /** Median whole epoch of blas over PyTorch's, when both ran `--epochs`. */
  epochRatioVsPytorch?: number | null;
  /** How busy the machine was just before timing (absent in older records). */
  load?: MachineLoad;
}

/** What was seen just before timing. */
export interface MachineLoad {
  /** 1, 5 and 15 minute load averages. */
  loadAverage: number[];
  /** Logical cores of the machine. */
  cores: number;
  /** CPU used by other processes over the sample, in cores (1.0 = one core busy). */
  otherCores: number;
  /** The other processes using the most CPU, most first (at most 5, each >= 0.05 cores). */
  top: { pid: number; command: string; cores: number }[];
  /** True when the load or the other processes leave less than the whole machine. */
  busy: boolean;
}

/** Step samples spread wider than this share of their median are not to be trusted. */
export const MAX_TRUSTED_SPREAD = 0.5;

/**
 * The spread of timing samples: (slowest - fastest) / median.
 * @param samples times of the same work, any unit
 * @returns 0 for fewer than two samples
 */
export function sampleSpread(samples: readonly number[]): number {
  if (samples.length < 2) return 0;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return (s[s.length - 1] - s[0]) / median;
}

/** Whether samples spread too wide to trust their median ({@link MAX_TRUSTED_SPREAD}). */
export function tooWide(samples: readonly number[]): boolean {
  return sampleSpread(samples) > MAX_TRUSTED_SPREAD;
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

/** Measured sgemm speed and the floor it sets on a training step (see `lib/bench/floor.ts`). */
export interface BenchFloor {
  /** Median GFLOP/s of a square sgemm of `size`, on `threads` BLAS threads. */
  sgemmGflops: number;
  /** Rows (= columns = inner size) of the square matrices multiplied. */
  size: number;
  /** BLAS threads the product ran on. */
  threads: number;
  /** Per batch size: the step's GFLOP (direct convolution) and GFLOP / sgemmGflops in ms. */
  steps: { batchSize: number; gflop: number; ms: number }[];
}

/**
 * Median of a non-empty list (mean of the two middle values for an even count).
 * @param xs the values
 * @returns their median
 * @throws {RangeError} for an empty list
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Median blas epoch over median PyTorch epoch.
 * @param runs the whole-epoch runs of a bench record
 * @returns the ratio, or null unless both ran
 */
export function epochRatio(runs: EpochRuns[]): number | null {
  const ours = runs.find((r) => r.name === "blas"), torch = runs.find((r) => r.name === "pytorch");
  if (!ours?.seconds.length || !torch?.seconds.length) return null;
  return median(ours.seconds) / median(torch.seconds);
}

/** Batch size of the whole-epoch bench and of the projected epoch (the study's default). */
export const EPOCH_BATCH_SIZE = 128;

/**
 * The warning printed before timing on a busy machine, or null when it is not busy.
 * @example
 * ```ts
 * busyWarning({ loadAverage: [3.4, 3, 2], cores: 2, otherCores: 1.6, busy: true,
 *   top: [{ pid: 7, command: "deno", cores: 1.2 }] });
 * // "warning: the machine is busy (load average 3.40 on 2 cores; other processes use 1.60
 * //  cores: deno (pid 7) 1.20): timings will be slow and noisy; the record says so"
 * ```
 */
export function busyWarning(load: MachineLoad): string | null {
  if (!load.busy) return null;
  const who = load.top.map((p) => `${p.command} (pid ${p.pid}) ${p.cores.toFixed(2)}`).join(", ");
  return `warning: the machine is busy (load average ${load.loadAverage[0].toFixed(2)} on ` +
    `${load.cores} cores; other processes use ${load.otherCores.toFixed(2)} cores` +
    `${who ? `: ${who}` : ""}): timings will be slow and noisy; the record says so`;
}
