import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  accuracyPerEpochChart,
  benchChart,
  elapsedBySweepChart,
  epochsElapsedChart,
  epochTimeChart,
  formatLr,
  publishedElapsedChart,
  publishedValidationChart,
  trialLabel,
  valLossPerEpochChart,
  valueLabel,
  type VegaLiteSpec,
} from "./charts.ts";
import { compileSpec } from "./render.ts";
import { PUBLISHED, readRecord, type TrialRecord } from "../record/mod.ts";
import { validateBench } from "./load.ts";

const DIR = fileURLToPath(new URL("./testdata/", import.meta.url));

async function trial(name: string): Promise<TrialRecord> {
  return await readRecord(`${DIR}trials/${name}_g0.7_s1_n2000_t500_blas_j2.json`);
}

function values(spec: VegaLiteSpec): Record<string, unknown>[] {
  return (spec.data as { values: Record<string, unknown>[] }).values;
}

Deno.test("formatLr and labels keep one decimal and read as the reference does", () => {
  assert.equal(formatLr(1), "1.0");
  assert.equal(formatLr(0.5), "0.5");
  assert.equal(formatLr(0.25), "0.25");
  assert.equal(trialLabel({ epochs: 10, batchSize: 128, lr: 1 }), "10 ep, b128, lr 1.0");
  const args = { epochs: 1, batchSize: 64, lr: 0.5 } as TrialRecord["args"];
  assert.equal(valueLabel("epochs", args), "1 epoch");
  assert.equal(valueLabel("lr", args), "lr 0.5");
  assert.equal(valueLabel("batchSize", args), "batch 64");
});

Deno.test("epochsElapsedChart: cumulative time of the longest trial and each trial's total", async () => {
  const e1 = await trial("e1_b128_lr1");
  const e10 = await trial("e10_b128_lr1");
  const spec = epochsElapsedChart([e10, e1]);
  const rows = values(spec);
  const cumulative = rows.filter((r) => r.series === "cumulative, 10-epoch trial");
  assert.deepEqual(cumulative.map((r) => r.epoch), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  let sum = 0;
  for (const [i, e] of e10.epochs.entries()) {
    sum += e.epochTime;
    assert.ok(Math.abs((cumulative[i].seconds as number) - sum) < 1e-9);
  }
  const totals = rows.filter((r) => r.series === "total of each trial");
  assert.deepEqual(totals, [
    { epoch: 1, seconds: e1.totals!.totalTime, series: "total of each trial" },
    { epoch: 10, seconds: e10.totals!.totalTime, series: "total of each trial" },
  ]);
  compileSpec(spec);
});

Deno.test("every chart compiles with Vega-Lite and titles its axes with units", async () => {
  const lr1 = await trial("e5_b128_lr1");
  const lr05 = await trial("e5_b128_lr0.5");
  const b64 = await trial("e5_b64_lr1");
  const bench = validateBench(JSON.parse(await Deno.readTextFile(`${DIR}bench.json`)), "bench");
  const rows = [{
    trial: "5 ep, b128, lr 1.0",
    ours: { elapsed: 6.42, valLoss: 0.3, valAcc: 0.9 },
    published: PUBLISHED[1],
  }];
  const specs: [VegaLiteSpec, string[]][] = [
    [elapsedBySweepChart([lr05, lr1], "lr", "s"), ["Learning rate (Adadelta)", "Elapsed time (s)"]],
    [elapsedBySweepChart([lr1, b64], "batchSize", "s"), ["Batch size (images)"]],
    [valLossPerEpochChart([lr1, lr05], "lr", "s"), ["Epoch", "Validation loss (NLL)"]],
    [accuracyPerEpochChart([lr1, b64]), ["Epoch", "Accuracy (%)"]],
    [epochTimeChart([lr1]), ["Epoch", "Epoch time (s)"]],
    [publishedElapsedChart(rows, "x"), ["Elapsed time (s)"]],
    [publishedValidationChart(rows), ["Validation loss (NLL)", "Validation accuracy (%)"]],
    [benchChart(bench), ["Batch size (images)", "Time per step (ms, log scale)"]],
  ];
  for (const [spec, titles] of specs) {
    const text = JSON.stringify(compileSpec(spec));
    for (const title of titles) assert.ok(text.includes(JSON.stringify(title)), title);
  }
});

Deno.test("lr elapsed: separate bars, the rates ascending left to right (0.5 before 1.0)", async () => {
  const lr1 = await trial("e5_b128_lr1");
  const lr05 = await trial("e5_b128_lr0.5");
  const spec = elapsedBySweepChart([lr1, lr05], "lr", "s");
  const elapsed = values(spec);
  assert.deepEqual(elapsed.map((r) => r.value), ["0.5", "1.0"]);
  assert.deepEqual(elapsed.map((r) => r.seconds), [lr05.totals!.totalTime, lr1.totals!.totalTime]);
  const marks = (spec.layer as { mark: { type: string } }[]).map((l) => l.mark.type);
  assert.deepEqual(marks, ["bar", "text"]); // no line joining two separate settings
  const batch = elapsedBySweepChart([lr1, await trial("e5_b64_lr1")], "batchSize", "s");
  assert.deepEqual(values(batch).map((r) => r.value), ["64", "128"]);
});

Deno.test("validation loss: trials that agree epoch for epoch are set apart and dashed", async () => {
  const e1 = await trial("e1_b128_lr1");
  const e5 = await trial("e5_b128_lr1");
  const e10 = await trial("e10_b128_lr1");
  const spec = valLossPerEpochChart([e10, e1, e5], "epochs", "s");
  const loss = values(spec);
  assert.equal(loss.length, 16);
  // Same epoch, same loss in the records; no two points of different trials coincide here.
  const at = new Set(loss.map((r) => `${r.epoch}|${r.valLoss}`));
  assert.equal(at.size, loss.length);
  const firstEpoch = loss.filter((r) => Math.round(r.epoch as number) === 1);
  assert.deepEqual(firstEpoch.map((r) => r.trial), ["1 epoch", "5 epochs", "10 epochs"]);
  assert.deepEqual(firstEpoch.map((r) => r.epoch), [0.88, 1, 1.12]);
  const enc = spec.encoding as Record<string, { field: string }>;
  assert.equal(enc.strokeDash.field, "trial");
  assert.equal(enc.shape.field, "trial");
  compileSpec(spec);
});

Deno.test("epochs elapsed: the legend's shapes are the marks' (circle, diamond)", async () => {
  const spec = epochsElapsedChart([await trial("e10_b128_lr1"), await trial("e1_b128_lr1")]);
  const points = (spec.layer as { mark: { type: string }; encoding: Record<string, unknown> }[])[1];
  assert.equal(points.mark.type, "point");
  const shape = points.encoding.shape as { scale: { domain: string[]; range: string[] } };
  assert.deepEqual(shape.scale.domain, ["cumulative, 10-epoch trial", "total of each trial"]);
  assert.deepEqual(shape.scale.range, ["circle", "diamond"]);
  const line = (spec.layer as { mark: { type: string; point?: unknown } }[])[0].mark;
  assert.deepEqual(line, { type: "line" }); // no points of its own, whose shape the legend lacks
});

Deno.test("accuracy and epoch time: one panel per trial on one stated scale", async () => {
  const trials = [await trial("e1_b128_lr1"), await trial("e5_b128_lr1")];
  const acc = accuracyPerEpochChart(trials);
  assert.equal((acc.facet as { field: string }).field, "trial");
  assert.deepEqual(acc.resolve, { scale: { y: "shared", x: "independent" } });
  const low = Math.floor(
    Math.min(...trials.flatMap((r) => r.epochs.map((e) => 100 * e.trainAcc))),
  );
  const y = (acc.spec as { encoding: { y: { scale: { domain: number[] } } } }).encoding.y;
  assert.deepEqual(y.scale.domain, [low, 100]);
  assert.match(
    (acc.title as { subtitle: string }).subtitle,
    new RegExp(`same scale \\(${low}-100 %\\)`),
  );
  const time = epochTimeChart(trials);
  assert.equal((time.facet as { field: string }).field, "trial");
  assert.deepEqual(time.resolve, { scale: { y: "shared", x: "independent" } });
  compileSpec(acc);
  compileSpec(time);
});

Deno.test("accuracy chart gives percentages of both splits; comparison charts both sources", async () => {
  const lr1 = await trial("e5_b128_lr1");
  const acc = values(accuracyPerEpochChart([lr1]));
  assert.equal(acc.length, 10);
  assert.equal(acc[0].accuracy, Number((lr1.epochs[0].trainAcc * 100).toFixed(4)));
  assert.equal(acc[1].accuracy, Number((lr1.epochs[0].valAcc * 100).toFixed(4)));
  const rows = [{
    trial: "1 ep, b128, lr 1.0",
    ours: { elapsed: 61.5, valLoss: 0.05, valAcc: 0.9831 },
    published: PUBLISHED[0],
  }];
  assert.deepEqual(values(publishedElapsedChart(rows, "x")), [
    { trial: "1 ep, b128, lr 1.0", source: "ours", seconds: 61.5 },
    { trial: "1 ep, b128, lr 1.0", source: "published", seconds: 62.54 },
  ]);
  assert.deepEqual(values(publishedValidationChart(rows))[1], {
    trial: "1 ep, b128, lr 1.0",
    source: "published",
    valLoss: 0.0561,
    valAcc: 98.07,
  });
});

Deno.test("benchChart: one series per implementation, steps sorted by batch size", async () => {
  const bench = validateBench(JSON.parse(await Deno.readTextFile(`${DIR}bench.json`)), "bench");
  const rows = values(benchChart(bench));
  assert.deepEqual(rows.map((r) => `${r.name}@${r.batchSize}=${r.ms}`), [
    "blas (2 thr)@32=41.5",
    "blas (2 thr)@64=74.2",
    "blas (2 thr)@128=139.8",
    "cpu (1 thr)@128=498000",
    "pytorch (2 thr)@32=48",
    "pytorch (2 thr)@64=88.1",
    "pytorch (2 thr)@128=165.3",
  ]);
});
