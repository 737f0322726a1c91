import * as assert from "node:assert/strict";
import { cpuFeatures, floorMs, measureSgemm, REFERENCE_SHAPES, stepFlops } from "./floor.ts";
import { blasThreads, setThreads } from "../blas/mod.ts";
import { benchFloor, formatBenchTable, formatFloor } from "./bench.ts";
import type { BenchRecord } from "../record/mod.ts";

Deno.test("cpu features: the vector sets of the first flags line, in a fixed order", () => {
  const info = "processor : 0\nflags\t\t: fpu fma avx2 sse4_2 avx avx512f pdpe1gb\n" +
    "processor : 1\nflags\t\t: fpu amx_tile\n";
  assert.deepEqual(cpuFeatures(info), ["sse4_2", "avx", "avx2", "fma", "avx512f"]);
  assert.deepEqual(cpuFeatures("model name : x\n"), []);
  // This machine's own: whatever it has, avx2 is listed exactly when its flags say so.
  const own = Deno.readTextFileSync("/proc/cpuinfo");
  const flags = own.match(/^flags\s*:(.*)$/m)![1].trim().split(/\s+/);
  assert.equal(cpuFeatures().includes("avx2"), flags.includes("avx2"));
});

Deno.test("step FLOPs of the reference model: 9.16 GFLOP at batch 128, linear in the batch", () => {
  // conv1 forward + filter gradient, conv2 and both dense layers all three products.
  const conv1 = 26 * 26 * 9 * 32, conv2 = 24 * 24 * 9 * 32 * 64;
  const dense = 9216 * 128 + 128 * 10;
  assert.equal(stepFlops(128), 2 * 128 * (2 * conv1 + 3 * conv2 + 3 * dense));
  assert.equal(stepFlops(128), 9_160_359_936);
  assert.equal(stepFlops(32) * 4, stepFlops(128));
  const oneDense = {
    convs: REFERENCE_SHAPES.convs.slice(0, 1),
    dense: [[10, 3]] as [number, number][],
  };
  assert.equal(stepFlops(1, oneDense), 2 * (2 * conv1 + 3 * 30));
  assert.equal(floorMs(9.2e9, 46), 200);
});

Deno.test("sgemm speed: measured on the asked threads, thread count put back", () => {
  const before = setThreads(2);
  try {
    const speed = measureSgemm(1, 256, 3);
    assert.equal(speed.threads, 1);
    assert.equal(speed.size, 256);
    // Any real CPU of this decade: more than 0.5 and less than 10000 GFLOP/s on one thread.
    assert.ok(speed.gflops > 0.5 && speed.gflops < 10_000, `${speed.gflops}`);
    assert.equal(blasThreads(), before);
  } finally {
    if (before !== null) setThreads(before);
  }
});

Deno.test("bench floor: per batch size, printed with the table and x floor per implementation", () => {
  const floor = benchFloor(1, [32, 128]);
  assert.deepEqual(floor.steps.map((s) => s.batchSize), [32, 128]);
  assert.ok(Math.abs(floor.steps[1].ms - stepFlops(128) / floor.sgemmGflops / 1e6) < 1e-9);
  const fixed = {
    ...floor,
    sgemmGflops: 50,
    size: 1024,
    threads: 2,
    steps: [
      { batchSize: 32, gflop: 2.29, ms: 45.8 },
      { batchSize: 128, gflop: 9.16, ms: 183.2 },
    ],
  };
  assert.equal(
    formatFloor(fixed),
    "floor: sgemm 50.0 GFLOP/s (1024^3, 2 threads); step 2.29/9.16 GFLOP -> 45.8/183.2 ms/step @32/128",
  );
  const record: BenchRecord = {
    schema: 1,
    kind: "bench",
    startedAt: "",
    endedAt: "",
    machine: {
      cpu: "AMD EPYC",
      cores: 2,
      os: "linux",
      arch: "x86_64",
      cpuFeatures: ["avx2", "fma"],
      blas: "OpenBLAS 0.3.21 Zen",
    },
    entries: [{
      name: "blas",
      version: "v",
      threads: 2,
      steps: [{ batchSize: 128, msPerStep: 366.4, samplesMs: [366.4], imagesPerSecond: 349 }],
      testPassSeconds: 2,
      projectedEpochSeconds: 173.8,
      peakRssBytes: 2 ** 30,
    }],
    ratioVsPytorch: null,
    floor: fixed,
  };
  const table = formatBenchTable(record, [32, 128]);
  assert.match(table, /\| peak RSS \| x floor @128 \|/);
  assert.match(table, /\| 1024 MiB \| 2\.00 \|/);
  assert.match(table, /^CPU: AMD EPYC \(avx2 fma\)$/m);
  assert.match(table, /^BLAS: OpenBLAS 0\.3\.21 Zen$/m);
  assert.match(table, /^floor: sgemm 50\.0 GFLOP\/s/m);
});
