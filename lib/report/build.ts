/**
 * The results report: which record fills which trial of the reference's sweeps, and the
 * Markdown (tables, chart links, comparison with the published numbers, environment, how to
 * rerun) with the list of charts to render. {@link buildReport} is pure; reading the records
 * ({@link loadResults}) and writing the files ({@link writeReport}) are kept apart.
 * @module
 */

import { join } from "node:path";
import {
  allCells,
  ARG_SPECS,
  BENCH_SCHEMA_VERSION,
  type BenchRecord,
  busyWarning,
  type Cell,
  cellKey,
  DEFAULT_ARGS,
  EPOCH_BATCH_SIZE,
  epochRatio,
  fileId,
  FIXED,
  MAX_TRUSTED_SPREAD,
  median,
  publishedFor,
  ranInSummary,
  readRecord,
  RecordError,
  sampleSpread,
  type Sweep,
  SWEEPS,
  tooWide,
  type TrialArgs,
  trialId,
  type TrialRecord,
  writeFileAtomic,
} from "../record/mod.ts";
import { findGrids, type Grid, gridChart, gridTable } from "./grids.ts";
import {
  accuracyPerEpochChart,
  benchChart,
  type ComparisonRow,
  elapsedBySweepChart,
  epochsElapsedChart,
  epochTimeChart,
  formatLr,
  publishedElapsedChart,
  publishedValidationChart,
  trialLabel,
  valLossPerEpochChart,
  type VegaLiteSpec,
} from "./charts.ts";
import { renderSvg, svgToPng } from "./render.ts";
import { mdText, resultTable, table } from "../markdown.ts";

/** A trial record and the file it came from. */
export interface LoadedRecord {
  /** Path of the record file as given (relative to the results folder when listed from it). */
  path: string;
  /** The record, validated. */
  record: TrialRecord;
}

/** What a results directory holds, after validation. */
export interface ResultsInput {
  /** Records with status `ok`, sorted by path. */
  records: LoadedRecord[];
  /** Valid records that did not end `ok` (left out of the tables). */
  notOk: LoadedRecord[];
  /** One line per file left out, naming the file and why. */
  warnings: string[];
  /** The bench record, when `bench.json` exists and is valid. */
  bench: BenchRecord | null;
}

/** How the report is made. */
export interface ReportOptions {
  /** Also match trials run on the first N images (`limitTrain`/`limitTest` set). */
  includeSubsets: boolean;
  /** The results directory as commands in the report should name it, e.g. `results`. */
  resultsDir: string;
  /** Link from the Markdown file to the charts folder, e.g. `charts`. */
  chartsHref: string;
  /** Whether PNGs are written beside the SVGs (the Markdown then links them too). */
  png: boolean;
}

/** One chart of the report: its file stem, its caption and its Vega-Lite spec. */
export interface Chart {
  /** File stem of the chart (`NAME.vl.json`, `NAME.svg`, `NAME.png`). */
  name: string;
  /** Caption, shown above the chart. */
  title: string;
  /** The chart as a Vega-Lite spec, data inline. */
  spec: VegaLiteSpec;
}

/** The report: Markdown text and the charts it links. */
export interface Report {
  /** The report's Markdown, with links to the charts. */
  markdown: string;
  /** The charts the Markdown links, in order. */
  charts: Chart[];
}

/** Reads `DIR/trials/*.json` and `DIR/bench.json`; bad files become warnings, not errors. */
export async function loadResults(dir: string): Promise<ResultsInput> {
  const trialsDir = join(dir, "trials");
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(trialsDir)) {
      if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  names.sort();
  const input: ResultsInput = { records: [], notOk: [], warnings: [], bench: null };
  for (const name of names) {
    const path = join(trialsDir, name);
    try {
      const record = await readRecord(path, fileId(path));
      if (record.status === "ok") {
        input.records.push({ path, record });
      } else {
        input.notOk.push({ path, record });
        input.warnings.push(`${path}: status '${record.status}', left out (only 'ok' is reported)`);
      }
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      input.warnings.push(`${err.message}, left out`);
    }
  }
  const benchPath = join(dir, "bench.json");
  try {
    input.bench = validateBench(JSON.parse(await Deno.readTextFile(benchPath)), benchPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return input;
    const why = err instanceof SyntaxError
      ? `${benchPath}: not valid JSON`
      : (err as Error).message;
    input.warnings.push(`${why}, left out`);
  }
  return input;
}

/** Checks the fields of a bench record the report uses; throws naming the file. */
export function validateBench(value: unknown, source: string): BenchRecord {
  const b = value as Partial<BenchRecord> | null;
  if (typeof b !== "object" || b === null || b.kind !== "bench") {
    throw new Error(`${source}: not a bench record (expected kind 'bench')`);
  }
  if (b.schema !== BENCH_SCHEMA_VERSION) {
    throw new Error(
      `${source}: unknown bench schema version ${JSON.stringify(b.schema)} ` +
        `(expected ${BENCH_SCHEMA_VERSION})`,
    );
  }
  const ok = Array.isArray(b.entries) && typeof b.machine === "object" && b.machine !== null &&
    b.entries.every((e) =>
      typeof e?.name === "string" && Array.isArray(e.steps) &&
      e.steps.every((s) => typeof s?.batchSize === "number" && typeof s.msPerStep === "number")
    );
  if (!ok) throw new Error(`${source}: field 'entries' or 'machine' is malformed`);
  return b as BenchRecord;
}

/** Whether a record ran on the first N images of the train or test set. */
export function isSubset(args: TrialArgs): boolean {
  return args.limitTrain !== null || args.limitTest !== null;
}

/**
 * Whether trial arguments fill a sweep cell: same epochs, batch size and learning rate,
 * gamma 0.7, seed 1, and the full data (any subset too when `includeSubsets`).
 */
export function matchesCell(args: TrialArgs, cell: Cell, includeSubsets: boolean): boolean {
  return args.epochs === cell.epochs && args.batchSize === cell.batchSize &&
    args.lr === cell.lr && args.gamma === FIXED.gamma && args.seed === FIXED.seed &&
    (includeSubsets || !isSubset(args));
}

/**
 * The `ok` records that fill a cell, best first: full data before subsets, then the newest
 * `endedAt`, then the first path.
 */
function candidates(
  records: LoadedRecord[],
  cell: Cell,
  includeSubsets: boolean,
): LoadedRecord[] {
  return records
    .filter((r) => r.record.status === "ok" && matchesCell(r.record.args, cell, includeSubsets))
    .sort((a, b) =>
      Number(isSubset(a.record.args)) - Number(isSubset(b.record.args)) ||
      compareText(b.record.endedAt, a.record.endedAt) || compareText(a.path, b.path)
    );
}

/**
 * Picks the record of each cell (keyed by {@link cellKey}) among `ok` records: full data
 * before subsets, then the newest `endedAt`, then the first path. Cells that more than one
 * record fills are named by {@link duplicateCells}.
 */
export function selectTrials(
  records: LoadedRecord[],
  includeSubsets: boolean,
): Map<string, LoadedRecord> {
  const chosen = new Map<string, LoadedRecord>();
  for (const cell of allCells()) {
    const matches = candidates(records, cell, includeSubsets);
    if (matches.length > 0) chosen.set(cellKey(cell), matches[0]);
  }
  return chosen;
}

/**
 * One line per cell of the study that several records fill (say a trial run on two backends,
 * or twice with other thread counts): which one the report uses and which it does not.
 * @param records the `ok` records
 * @param includeSubsets whether subsets fill cells
 * @returns plain-text lines, empty when every cell has at most one record
 */
export function duplicateCells(records: LoadedRecord[], includeSubsets: boolean): string[] {
  const lines: string[] = [];
  for (const cell of allCells()) {
    const [used, ...others] = candidates(records, cell, includeSubsets);
    if (others.length === 0) continue;
    lines.push(
      `${cell.epochs} epochs, batch ${cell.batchSize}, lr ${formatLr(cell.lr)}: ` +
        `${others.length + 1} records; used ${used.path} (${usedBecause(used, others[0])}), ` +
        `not ${others.map((r) => r.path).join(", ")}`,
    );
  }
  return lines;
}

function usedBecause(used: LoadedRecord, next: LoadedRecord): string {
  if (isSubset(used.record.args) !== isSubset(next.record.args)) return "full data";
  if (used.record.endedAt !== next.record.endedAt) return "the newest";
  return "the first by name";
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The full arguments of a reference trial with every other flag at its default. */
export function referenceArgs(cell: Cell): TrialArgs {
  return { ...DEFAULT_ARGS, ...cell, gamma: FIXED.gamma, seed: FIXED.seed };
}

/** The command that runs the trial of a cell in a fresh container, recording into `resultsDir`. */
export function sweepCommand(cell: Cell, resultsDir: string): string {
  const results = resultsDir === "results" ? "" : ` --results ${resultsDir}`;
  return `deno task sweep -- --grid epochs=${cell.epochs} --grid batch-size=${cell.batchSize} ` +
    `--grid lr=${formatLr(cell.lr)}${results}`;
}

/** The command that runs the trial of a cell in this process and writes its record. */
export function trainCommand(cell: Cell, resultsDir: string): string {
  const out = `${resultsDir}/trials/${trialId(referenceArgs(cell))}.json`;
  return `deno task train -- --epochs ${cell.epochs} --batch-size ${cell.batchSize} ` +
    `--lr ${formatLr(cell.lr)} --out ${out}`;
}

// ---- number formatting (fixed, so the same records give the same bytes) ----

const DASH = "—";

function seconds(x: number): string {
  return `${x.toFixed(2)} s`;
}

function signed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return x > 0 ? `+${s}` : s;
}

function totalTime(r: TrialRecord): number {
  return r.totals?.totalTime ?? r.epochs.reduce((s, e) => s + e.epochTime, 0);
}

function last(r: TrialRecord): { valLoss: number; valAcc: number } {
  return r.totals ?? r.epochs[r.epochs.length - 1];
}

function cellValue(sweep: Sweep, cell: Cell): string {
  if (sweep.param === "lr") return formatLr(cell.lr);
  return String(cell[sweep.param]);
}

// ---- the report ----

/** Builds the Markdown report and its chart specs from validated results; pure. */
export function buildReport(input: ResultsInput, options: ReportOptions): Report {
  const chosen = selectTrials(input.records, options.includeSubsets);
  const charts: Chart[] = [];
  const out: string[] = [];
  const addChart = (chart: Chart) => {
    charts.push(chart);
    const href = `${options.chartsHref}/${chart.name}`;
    const alt = chart.title.replace(/[[\]]/g, "");
    const links = [`[Vega-Lite spec](${href}.vl.json)`];
    if (options.png) links.push(`[PNG](${href}.png)`);
    out.push(`![${alt}](${href}.svg)`, "", `${alt} (${links.join(", ")})`, "");
  };
  const trials = [...chosen.values()].map((r) => r.record);

  out.push("# Results: the MNIST CNN study on Deno and TensorFlow.js", "");
  out.push(
    `Generated by \`deno task report\` from the trial records in \`${options.resultsDir}/trials/\`` +
      ` (${trials.length} of the ${allCells().length} distinct trials of the reference study` +
      ` found; ${input.records.length} usable record${input.records.length === 1 ? "" : "s"}` +
      ` read). Do not edit: run the command again.`,
    "",
  );
  const spanStart = trials.map((r) => r.startedAt).sort()[0];
  const spanEnd = trials.map((r) => r.endedAt).sort().at(-1);
  if (spanStart && spanEnd) out.push(`The trials ran between ${spanStart} and ${spanEnd}.`, "");
  out.push(
    "Times are wall-clock seconds of training plus evaluation; validation is the 10,000-image" +
      " MNIST test set, as in the reference. Every trial uses Adadelta with StepLR gamma 0.7" +
      " and seed 1.",
    "",
  );
  out.push(...subsetNotes(input, chosen, options));

  for (const sweep of SWEEPS) {
    out.push(...sweepSection(sweep, chosen, input, options));
    const sweepTrials = sweep.cells.flatMap((c) => {
      const r = chosen.get(cellKey(c));
      return r ? [r.record] : [];
    });
    if (sweepTrials.length === 0) {
      out.push("No charts: no trial of this sweep has a record yet.", "");
      continue;
    }
    const subtitle = sweepSubtitle(sweep);
    if (sweep.param === "epochs") {
      addChart({
        name: "epochs_elapsed",
        title: "Elapsed time over the epochs",
        spec: epochsElapsedChart(sweepTrials),
      });
    } else {
      addChart({
        name: `${sweep.name}_elapsed`,
        title: `Elapsed time by ${sweep.label.toLowerCase()}`,
        spec: elapsedBySweepChart(sweepTrials, sweep.param, subtitle),
      });
    }
    addChart({
      name: `${sweep.name}_val_loss`,
      title: `Validation loss per epoch, ${sweep.label.toLowerCase()} sweep`,
      spec: valLossPerEpochChart(sweepTrials, sweep.param, subtitle),
    });
  }

  out.push(...perEpochSection(trials));
  if (trials.length > 0) {
    addChart({
      name: "accuracy_per_epoch",
      title: "Training and validation accuracy per epoch",
      spec: accuracyPerEpochChart(trials),
    });
    addChart({ name: "epoch_time", title: "Time per epoch", spec: epochTimeChart(trials) });
  }

  const rows = comparisonRows(chosen);
  out.push(...comparisonSection(chosen));
  if (rows.length > 0) {
    const ourName = summary(
      trials.map((r) => `TensorFlow.js ${r.environment.tfjs}, ${r.environment.backend} backend`),
    );
    addChart({
      name: "published_elapsed",
      title: "Elapsed time, ours against the published",
      spec: publishedElapsedChart(rows, ourName),
    });
    addChart({
      name: "published_validation",
      title: "Validation loss and accuracy, ours against the published",
      spec: publishedValidationChart(rows),
    });
  }

  if (input.bench) {
    out.push(...benchSection(input.bench));
    addChart({
      name: "bench_ms_per_step",
      title: "Time per training step by implementation",
      spec: benchChart(input.bench),
    });
  }

  const grids = findGrids(input.records.map((r) => r.record));
  if (grids.length > 0) out.push(...allTrialsIntro());
  grids.forEach((grid, i) => {
    out.push(...gridSection(grid, i + 1));
    if (grid.groups.length < 2) return;
    addChart({
      name: `grid_${i + 1}`,
      title: `Grid ${i + 1}: validation accuracy and time by ${
        grid.varied.length > 0 ? grid.varied.map((k) => `--${flagName(k)}`).join(", ") : "seed"
      }`,
      spec: gridChart(grid, `Grid ${i + 1}`),
    });
  });

  out.push(...environmentSection(trials));
  out.push(...duplicatesSection(duplicateCells(input.records, options.includeSubsets)));
  out.push(...leftOutSection(input));
  out.push(...rerunSection(options, input.bench));
  return { markdown: out.join("\n").replace(/\n+$/, "") + "\n", charts };
}

function flagName(key: keyof TrialArgs): string {
  return ARG_SPECS.find((s) => s.key === key)!.flag;
}

/** The heading and explanation of the section with every grid the records hold. */
function allTrialsIntro(): string[] {
  return [
    "## All trials, by grid",
    "",
    "Every `ok` record, grouped by the data it ran on; the columns are the parameters that vary" +
    " within the grid. Trials that differ only in `--seed` share a row: mean ± sample standard" +
    " deviation, then each seed (`deno task sweep -- --seeds 3` runs every trial with 3" +
    " seeds). `deno task report -- --format csv` (or `json`) prints this table for other tools.",
    "",
  ];
}

/** One grid (all `ok` records on one data set): its heading and table. */
function gridSection(grid: Grid, n: number): string[] {
  const count = grid.groups.reduce((s, g) => s + g.trials.length, 0);
  return [
    `### Grid ${n}: ${grid.data} (${count} trial${count === 1 ? "" : "s"})`,
    "",
    ...gridTable(grid),
    "",
  ];
}

function sweepSubtitle(sweep: Sweep): string {
  if (sweep.param === "epochs") return "batch 128, lr 1.0";
  if (sweep.param === "lr") return "5 epochs, batch 128";
  return "5 epochs, lr 1.0";
}

function sweepSection(
  sweep: Sweep,
  chosen: Map<string, LoadedRecord>,
  input: ResultsInput,
  options: ReportOptions,
): string[] {
  const out = [`## ${sweep.title}`, ""];
  out.push(`Fixed: ${sweepSubtitle(sweep)}, gamma 0.7, seed 1.`, "");
  out.push(
    resultTable(
      [sweep.label, ...sweep.cells.map((c) => cellValue(sweep, c))],
      sweep.cells.map((c) => chosen.get(cellKey(c))?.record.totals ?? DASH),
    ),
    "",
  );
  const found = sweep.cells.flatMap((c) => chosen.get(cellKey(c))?.record ?? []);
  if (found.length > 0) out.push(`Ran in: ${ranInSummary(found)}.`, "");
  const missing = sweep.cells.filter((c) => !chosen.has(cellKey(c)));
  for (const cell of missing) {
    const failed = input.notOk
      .filter((r) => matchesCell(r.record.args, cell, options.includeSubsets))
      .map((r) => mdText(`${r.path} (${r.record.status})`));
    const tried = failed.length > 0 ? ` Left out: ${failed.join(", ")}.` : "";
    out.push(
      `Missing: ${sweep.label.toLowerCase()} ${cellValue(sweep, cell)} ` +
        `(${cell.epochs} epochs, batch ${cell.batchSize}, lr ${formatLr(cell.lr)}).${tried} ` +
        `Run: \`${sweepCommand(cell, options.resultsDir)}\` (or without a container: ` +
        `\`${trainCommand(cell, options.resultsDir)}\`).`,
      "",
    );
  }
  return out;
}

function subsetNotes(
  input: ResultsInput,
  chosen: Map<string, LoadedRecord>,
  options: ReportOptions,
): string[] {
  const used = [...chosen.values()].filter((r) => isSubset(r.record.args));
  const out: string[] = [];
  if (used.length > 0) {
    out.push(
      "**Run on subsets of the data** (reported because of `--include-subsets`; not comparable" +
        " with the published numbers):",
      "",
    );
    for (const r of used) {
      const a = r.record.args;
      const train = r.record.dataset?.trainCount ?? a.limitTrain ?? "all";
      const test = r.record.dataset?.testCount ?? a.limitTest ?? "all";
      out.push(`- \`${r.record.id}\`: ${train} training images, ${test} test images`);
    }
    out.push("");
  }
  if (!options.includeSubsets) {
    const skipped = input.records.filter((r) => isSubset(r.record.args)).length;
    if (skipped > 0) {
      const verb = skipped === 1
        ? "record ran on a subset of the data and is"
        : "records ran on a subset of the data and are";
      out.push(
        `${skipped} ${verb} not used (\`--include-subsets\` reports them).`,
        "",
      );
    }
  }
  return out;
}

function perEpochSection(trials: TrialRecord[]): string[] {
  if (trials.length === 0) return [];
  const out = ["## Per epoch", ""];
  out.push(
    "Is the time per epoch flat? The first epoch includes warm-up (kernel compilation, caches).",
    "",
  );
  const mib = (bytes: number | null | undefined) =>
    typeof bytes === "number" ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : DASH;
  const rows = trials.filter((r) => r.epochs.length > 0).map((r) => {
    const times = r.epochs.map((e) => e.epochTime);
    const mean = times.reduce((s, t) => s + t, 0) / times.length;
    const min = Math.min(...times);
    const max = Math.max(...times);
    return [
      trialLabel(r.args),
      String(times.length),
      seconds(times[0]),
      seconds(mean),
      seconds(min),
      seconds(max),
      `${(max / min).toFixed(2)}`,
      mib(r.epochs[0].peakRssBytes),
      mib(r.epochs[r.epochs.length - 1].peakRssBytes),
    ];
  });
  out.push(
    "Peak RSS is the trial process's peak resident memory after its first and its last epoch " +
      "(equal when memory stays flat).",
    "",
    table(
      [
        "Trial",
        "Epochs",
        "First epoch",
        "Mean",
        "Min",
        "Max",
        "Max / min",
        "Peak RSS, epoch 1",
        "Peak RSS, last epoch",
      ],
      rows,
    ),
    "",
  );
  return out;
}

function comparisonRows(chosen: Map<string, LoadedRecord>): ComparisonRow[] {
  return allCells().flatMap((cell) => {
    const r = chosen.get(cellKey(cell))?.record;
    const published = publishedFor(cell);
    if (!r || !published) return [];
    return [{
      trial: trialLabel(cell),
      ours: { elapsed: totalTime(r), ...last(r) },
      published,
    }];
  });
}

function comparisonSection(chosen: Map<string, LoadedRecord>): string[] {
  const out = ["## Ours against the published numbers", ""];
  out.push(
    "Published: the reference study (PyTorch, CPU, the author's laptop). Difference: ours" +
      " minus published; for time also the ratio ours / published.",
    "",
  );
  const time: string[][] = [];
  const loss: string[][] = [];
  const acc: string[][] = [];
  for (const cell of allCells()) {
    const p = publishedFor(cell);
    if (!p) continue;
    const r = chosen.get(cellKey(cell))?.record;
    const label = trialLabel(cell);
    if (!r) {
      time.push([label, DASH, seconds(p.elapsed), DASH, DASH]);
      loss.push([label, DASH, p.valLoss.toFixed(4), DASH]);
      acc.push([label, DASH, p.valAcc.toFixed(4), DASH]);
      continue;
    }
    const t = totalTime(r);
    const v = last(r);
    time.push([
      label,
      seconds(t),
      seconds(p.elapsed),
      `${signed(t - p.elapsed, 2)} s`,
      `${(t / p.elapsed).toFixed(2)}`,
    ]);
    loss.push([
      label,
      v.valLoss.toFixed(4),
      p.valLoss.toFixed(4),
      signed(v.valLoss - p.valLoss, 4),
    ]);
    acc.push([label, v.valAcc.toFixed(4), p.valAcc.toFixed(4), signed(v.valAcc - p.valAcc, 4)]);
  }
  out.push(
    "Elapsed time:",
    "",
    table(["Trial", "Ours", "Published", "Difference", "Ratio"], time),
    "",
  );
  out.push("Validation loss:", "", table(["Trial", "Ours", "Published", "Difference"], loss), "");
  out.push(
    "Validation accuracy:",
    "",
    table(["Trial", "Ours", "Published", "Difference"], acc),
    "",
  );
  return out;
}

function benchSection(bench: BenchRecord): string[] {
  const out = ["## Benchmark", ""];
  out.push(
    `From \`bench.json\`: median time of one training step (forward, backward, optimizer) on` +
      ` ${mdText(bench.machine.cpu)}, ${bench.machine.cores} cores (${mdText(bench.machine.os)}, ` +
      `${mdText(bench.machine.arch)}), measured ${mdText(bench.startedAt)}.`,
    "",
  );
  if (bench.load?.busy) out.push(`Measured on a busy machine: ${busyWarning(bench.load)}.`, "");
  const rows: string[][] = [];
  const entries = [...bench.entries].sort((a, b) => compareText(a.name, b.name));
  let wide = false;
  for (const e of entries) {
    const steps = [...e.steps].sort((a, b) => a.batchSize - b.batchSize);
    steps.forEach((s, i) => {
      const spread = sampleSpread(s.samplesMs);
      wide ||= tooWide(s.samplesMs);
      rows.push([
        i === 0 ? mdText(e.name) : "",
        i === 0 ? mdText(e.version) : "",
        i === 0 ? String(e.threads) : "",
        String(s.batchSize),
        s.msPerStep.toFixed(1),
        `${(100 * spread).toFixed(0)} %${tooWide(s.samplesMs) ? " (too wide)" : ""}`,
        s.imagesPerSecond.toFixed(0),
        // One projection per implementation, from its batch-128 steps: on that row only.
        s.batchSize === EPOCH_BATCH_SIZE && e.projectedEpochSeconds !== null
          ? seconds(e.projectedEpochSeconds)
          : "",
      ]);
    });
  }
  out.push(
    table(
      [
        "Implementation",
        "Version",
        "Threads",
        "Batch",
        "ms per step",
        "Spread",
        "Images/s",
        "Projected epoch",
      ],
      rows,
    ),
    "",
  );
  out.push(
    "Spread: (slowest - fastest) / median of the step samples; over " +
      `${100 * MAX_TRUSTED_SPREAD} % the median is not to be trusted (marked "too wide"). ` +
      `The projected epoch is ${EPOCH_BATCH_SIZE}-image steps for 60,000 images plus the test ` +
      "pass, on the batch-128 row.",
    "",
  );
  if (wide) {
    out.push("Some samples spread too wide to trust: rerun the bench on an idle machine.", "");
  }
  if (bench.ratioVsPytorch) {
    const ratios = Object.entries(bench.ratioVsPytorch).sort(([a], [b]) => compareText(a, b));
    out.push(
      "Projected epoch time over PyTorch's: " +
        ratios.map(([name, x]) => `${mdText(name)} ${x.toFixed(2)}`).join(", ") + ".",
      "",
    );
  }
  if (bench.epochs?.length) {
    out.push(
      "Whole epochs (60,000 training images at batch 128 plus the 10,000-image test pass; " +
        "PyTorch through reference/torch_mnist.py), run alternately:",
      "",
      table(
        ["Implementation", "Epoch times", "Median", "Validation accuracy"],
        bench.epochs.map((r) => [
          mdText(r.name),
          r.seconds.map(seconds).join(", "),
          seconds(median(r.seconds)),
          median(r.valAcc).toFixed(4),
        ]),
      ),
      "",
    );
    const ratio = epochRatio(bench.epochs);
    if (ratio !== null) out.push(`Whole epoch time over PyTorch's: blas ${ratio.toFixed(2)}.`, "");
  }
  return out;
}

/** One value, or the distinct values with their counts (most frequent first). */
function summary(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const entries = [...counts].sort(([a, x], [b, y]) => y - x || compareText(a, b));
  if (entries.length <= 1) return entries[0]?.[0] ?? DASH;
  return entries.map(([v, n]) => `${v} (${n} trial${n === 1 ? "" : "s"})`).join("; ");
}

function environmentSection(trials: TrialRecord[]): string[] {
  if (trials.length === 0) return [];
  const env = trials.map((r) => r.environment);
  const field = (f: (e: TrialRecord["environment"]) => string | number | null) =>
    summary(env.map((e) => {
      const v = f(e);
      return v === null ? "unknown" : mdText(String(v));
    }));
  const rows = [
    ["Machine (CPU)", field((e) => e.cpu)],
    ["Cores", field((e) => e.cores)],
    ["OS, architecture", field((e) => `${e.os}, ${e.arch}`)],
    ["Backend", field((e) => e.backend)],
    ["Threads", field((e) => e.threads)],
    ["Deno", field((e) => e.deno)],
    ["V8", field((e) => e.v8)],
    ["TypeScript", field((e) => e.typescript)],
    ["TensorFlow.js", field((e) => e.tfjs)],
    ["Container image", field((e) => e.imageId === null ? "none (not in a container)" : e.imageId)],
    ["Git commit", field((e) => e.gitCommit)],
  ];
  // Records from before the library was recorded have no such field: no row for them alone.
  if (env.some((e) => e.library)) {
    rows.splice(5, 0, [
      "Math library",
      field((e) => e.library ?? null),
    ]);
  }
  return [
    "## Environment",
    "",
    "Of the trials in the tables above.",
    "",
    table(["", ""], rows),
    "",
  ];
}

function duplicatesSection(lines: string[]): string[] {
  if (lines.length === 0) return [];
  return ["## Several records for one trial", "", ...lines.map((l) => `- ${mdText(l)}`), ""];
}

function leftOutSection(input: ResultsInput): string[] {
  if (input.warnings.length === 0) return [];
  return ["## Records left out", "", ...input.warnings.map((w) => `- ${mdText(w)}`), ""];
}

/**
 * The `deno task bench` command that measures what `bench` holds: the same backends, PyTorch
 * and whole epochs when it has them, steps, batch sizes and threads when not the defaults.
 * @param bench the bench record, or null for the plain command
 * @param resultsDir where its `--out` goes
 */
export function benchCommand(bench: BenchRecord | null, resultsDir: string): string {
  const flags: string[] = [];
  const ours = bench?.entries.filter((e) => e.name !== "pytorch") ?? [];
  const names = ours.map((e) => e.name);
  if (names.length > 0 && names.join(",") !== "blas") flags.push(`--backends ${names.join(",")}`);
  if (bench?.entries.some((e) => e.name === "pytorch")) flags.push("--vs-pytorch");
  const runs = Math.max(0, ...(bench?.epochs ?? []).map((r) => r.seconds.length));
  if (runs > 0) flags.push(`--epochs ${runs}`);
  const first = ours[0];
  const steps = first?.steps[0]?.samplesMs.length;
  if (steps !== undefined && steps !== 20) flags.push(`--steps ${steps}`);
  const sizes = first?.steps.map((s) => s.batchSize).join(",");
  if (sizes && sizes !== "32,64,128") flags.push(`--batch-sizes ${sizes}`);
  if (first && bench && first.threads !== bench.machine.cores) {
    flags.push(`--threads ${first.threads}`);
  }
  flags.push(`--out ${resultsDir}/bench.json`);
  return `deno task bench -- ${flags.join(" ")}`;
}

function rerunSection(options: ReportOptions, bench: BenchRecord | null): string[] {
  const dir = options.resultsDir;
  const report = ["deno task report", ...(dir === "results" ? [] : [`--results ${dir}`])];
  if (options.includeSubsets) report.push("--include-subsets");
  const reportCmd = report.length > 1 ? `${report[0]} -- ${report.slice(1).join(" ")}` : report[0];
  return [
    "## How to rerun",
    "",
    "```sh",
    "deno task image      # build the container image the trials run in",
    `deno task sweep${dir === "results" ? "" : ` -- --results ${dir}`}` +
    "  # all three sweeps; a trial already recorded ok is skipped",
    benchCommand(bench, dir),
    reportCmd,
    "```",
    "",
    "One sweep: `deno task epochs`, `deno task lr` or `deno task batch`.",
    "",
    "One trial alone, e.g. the shared one:",
    "",
    "```sh",
    trainCommand({ epochs: 5, batchSize: 128, lr: 1.0 }, dir),
    "```",
    "",
  ];
}

// ---- writing ----

/** Where {@link writeReport} puts the report. */
export interface ReportPaths {
  /** The Markdown file. */
  out: string;
  /** The folder of `NAME.vl.json`, `NAME.svg` and `NAME.png`. */
  chartsDir: string;
  /** Also render each chart to PNG (the SVG is always written). */
  png: boolean;
}

/** Renders every chart and writes specs, SVGs, PNGs and then the Markdown, each atomically. */
export async function writeReport(report: Report, paths: ReportPaths): Promise<string[]> {
  await Deno.mkdir(paths.chartsDir, { recursive: true });
  const written: string[] = [];
  for (const chart of report.charts) {
    const stem = join(paths.chartsDir, chart.name);
    const svg = await renderSvg(chart.spec);
    await writeFileAtomic(`${stem}.vl.json`, JSON.stringify(chart.spec, null, 2) + "\n");
    await writeFileAtomic(`${stem}.svg`, svg + "\n");
    written.push(`${stem}.vl.json`, `${stem}.svg`);
    if (paths.png) {
      await writeFileAtomic(`${stem}.png`, svgToPng(svg));
      written.push(`${stem}.png`);
    }
  }
  await writeFileAtomic(paths.out, report.markdown);
  written.push(paths.out);
  return written;
}
