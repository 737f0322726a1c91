import assert from "node:assert/strict";
import {
  BenchUsageError,
  formatBenchTable,
  median,
  parseBenchArgs,
  projectEpochSeconds,
  ratiosVsPytorch,
} from "./bench.ts";
import type { BenchEntry, BenchRecord } from "./bench_record.ts";

Deno.test("median of odd and even counts, unsorted input left alone", () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});

Deno.test("epoch projection: ceil(60000/128) = 469 steps plus the test pass", () => {
  const close = (a: number | null, b: number) =>
    assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a}`);
  close(projectEpochSeconds(100, 2), 48.9);
  close(projectEpochSeconds(50, 1, 64), 47.9);
  assert.equal(projectEpochSeconds(null, 2), null);
  assert.equal(projectEpochSeconds(100, null), null);
});

Deno.test("bench flags: defaults and parsed values", () => {
  const d = parseBenchArgs([]);
  assert.deepEqual(d.batchSizes, [32, 64, 128]);
  assert.equal(d.steps, 20);
  assert.equal(d.backends, null);
  assert.equal(d.threads, null);
  assert.equal(d.vsPytorch, false);
  const o = parseBenchArgs([
    "--backends",
    "blas,cpu",
    "--steps",
    "5",
    "--threads",
    "2",
    "--batch-sizes",
    "16, 128",
    "--vs-pytorch",
    "--out",
    "x.json",
  ]);
  assert.deepEqual(o.backends, ["blas", "cpu"]);
  assert.deepEqual(o.batchSizes, [16, 128]);
  assert.equal(o.steps, 5);
  assert.equal(o.threads, 2);
  assert.equal(o.vsPytorch, true);
  assert.equal(o.out, "x.json");
});

Deno.test("bench flags: bad values give one-line usage errors naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--steps", "0"], /--steps must be a positive integer, got "0"/],
    [["--steps", "2.5"], /--steps/],
    [["--threads", "x"], /--threads/],
    [["--batch-sizes", "32,,64"], /--batch-sizes/],
    [["--backends", "blas,tpu"], /unknown backend "tpu".*blas, tensorflow, webgpu, cpu/],
    [["--backends", "auto"], /unknown backend "auto"/],
    [["--frobnicate"], /frobnicate/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseBenchArgs(argv), (e: Error) => {
      assert.ok(e instanceof BenchUsageError, argv.join(" "));
      assert.match(e.message, re);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

function entry(name: string, ms128: number, test: number): BenchEntry {
  return {
    name,
    version: "v",
    threads: 2,
    steps: [{ batchSize: 128, msPerStep: ms128, samplesMs: [ms128], imagesPerSecond: 1280 }],
    testPassSeconds: test,
    projectedEpochSeconds: projectEpochSeconds(ms128, test),
    peakRssBytes: 2 ** 30,
  };
}

Deno.test("ratio vs PyTorch and the printed table", () => {
  const entries = [entry("blas", 100, 2), entry("pytorch", 200, 4)];
  const ratios = ratiosVsPytorch(entries)!;
  assert.ok(Math.abs(ratios.blas - (46.9 + 2) / (93.8 + 4)) < 1e-12);
  assert.equal(ratiosVsPytorch([entry("blas", 100, 2)]), null);
  const record: BenchRecord = {
    schema: 1,
    kind: "bench",
    startedAt: "",
    endedAt: "",
    machine: { cpu: "x", cores: 2, os: "linux", arch: "x86_64" },
    entries,
    ratioVsPytorch: ratios,
  };
  const table = formatBenchTable(record, [32, 128]);
  assert.match(
    table,
    /\| blas \(v\) \| 2 \| - \| 100\.0 \| - \| 1280 \| 2\.00 s \| 48\.9 s \| 1024 MiB \|/,
  );
  assert.match(table, /blas \/ pytorch projected epoch: 0\.50/);
});

Deno.test("scripts/bench.ts: --help exits 0, a bad flag exits 2 with one line", async () => {
  const script = new URL("../scripts/bench.ts", import.meta.url).pathname;
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "--allow-all", script, ...args] }).output();
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /--vs-pytorch/);
  const bad = await run(["--steps", "-1"]);
  assert.equal(bad.code, 2);
  const err = new TextDecoder().decode(bad.stderr).trim();
  assert.match(err, /^error: /);
  assert.equal(err.split("\n").length, 1);
});
