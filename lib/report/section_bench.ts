/**
 * The "Benchmark" section from `bench.json`: time per training step by implementation and
 * batch size, its spread, the projected and the measured whole epochs, and its chart.
 * @module
 */

import {
  type BenchRecord,
  busyWarning,
  EPOCH_BATCH_SIZE,
  epochRatio,
  MAX_TRUSTED_SPREAD,
  median,
  sampleSpread,
  tooWide,
} from "../record/mod.ts";
import { mdText } from "../markdown.ts";
import { benchChart } from "./charts.ts";
import { type Block, chartBlock, type Section, tableBlock, text } from "./document.ts";
import { compareText, seconds } from "./format.ts";

/**
 * The bench section.
 * @param bench the bench record
 * @returns the section, its chart last
 */
export function benchSection(bench: BenchRecord): Section {
  const { machine, floor } = bench;
  const features = machine.cpuFeatures?.length ? `, ${machine.cpuFeatures.join(" ")}` : "";
  const out: Block[] = [text(
    `From \`bench.json\`: median time of one training step (forward, backward, optimizer) on` +
      ` ${mdText(machine.cpu)}${mdText(features)}, ${machine.cores} cores (${
        mdText(machine.os)
      }, ` +
      `${mdText(machine.arch)}), measured ${mdText(bench.startedAt)}.` +
      (machine.blas ? ` BLAS: ${mdText(machine.blas)}.` : "") +
      (floor
        ? ` Floor: sgemm ${floor.sgemmGflops.toFixed(1)} GFLOP/s (${floor.size}^3, ` +
          `${floor.threads} threads) in the same run; the step's FLOPs by direct convolution ` +
          `over that: ${
            floor.steps.map((f) => `${f.ms.toFixed(1)} ms at ${f.batchSize}`).join(", ")
          }.`
        : ""),
  )];
  if (bench.load?.busy) out.push(text(`Measured on a busy machine: ${busyWarning(bench.load)}.`));
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
    tableBlock(
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
    text(
      "Spread: (slowest - fastest) / median of the step samples; over " +
        `${100 * MAX_TRUSTED_SPREAD} % the median is not to be trusted (marked "too wide"). ` +
        `The projected epoch is ${EPOCH_BATCH_SIZE}-image steps for 60,000 images plus the test ` +
        "pass, on the batch-128 row (records since 2026-12-05: the mean step, an epoch being a " +
        "sum; before: the median).",
    ),
  );
  if (wide) {
    out.push(text("Some samples spread too wide to trust: rerun the bench on an idle machine."));
  }
  if (bench.ratioVsPytorch) {
    const ratios = Object.entries(bench.ratioVsPytorch).sort(([a], [b]) => compareText(a, b));
    out.push(text(
      "Projected epoch time over PyTorch's: " +
        ratios.map(([name, x]) => `${mdText(name)} ${x.toFixed(2)}`).join(", ") + ".",
    ));
  }
  if (bench.epochs?.length) {
    out.push(
      text(
        "Whole epochs (60,000 training images at batch 128 plus the 10,000-image test pass; " +
          "PyTorch through reference/torch_mnist.py), run alternately:",
      ),
      tableBlock(
        ["Implementation", "Epoch times", "Median", "Validation accuracy"],
        bench.epochs.map((r) => [
          mdText(r.name),
          r.seconds.map(seconds).join(", "),
          seconds(median(r.seconds)),
          median(r.valAcc).toFixed(4),
        ]),
      ),
    );
    const ratio = epochRatio(bench.epochs);
    if (ratio !== null) {
      out.push(text(`Whole epoch time over PyTorch's: blas ${ratio.toFixed(2)}.`));
    }
  }
  out.push(
    chartBlock("bench_ms_per_step", "Time per training step by implementation", benchChart(bench)),
  );
  return { heading: "Benchmark", level: 2, blocks: out };
}
