import assert from "node:assert/strict";
import { UsageError } from "../cli.ts";
import {
  formatBenchTable,
  meanMsAt,
  parseBenchArgs,
  projectEpochSeconds,
  ratiosVsPytorch,
} from "./bench.ts";
import {
  type BenchEntry,
  type BenchRecord,
  epochRatio,
  sampleSpread,
  tooWide,
} from "../record/mod.ts";
import { benchEpochs, pytorchOneEpoch, TORCH_SCRIPT } from "./epoch.ts";
import { loadMnist, packageDataDir } from "../data/mod.ts";

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
  assert.equal(d.epochs, 0);
  assert.equal(parseBenchArgs(["--epochs", "3"]).epochs, 3);
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
    [["--epochs", "0"], /--epochs must be a positive integer, got "0"/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseBenchArgs(argv), (e: Error) => {
      assert.ok(e instanceof UsageError, argv.join(" "));
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

/** A bench record on a made-up machine, with no entries unless given. */
function benchRecord(fields: Partial<BenchRecord>): BenchRecord {
  return {
    schema: 1,
    kind: "bench",
    startedAt: "",
    endedAt: "",
    machine: { cpu: "x", cores: 2, os: "linux", arch: "x86_64" },
    entries: [],
    ratioVsPytorch: null,
    ...fields,
  };
}

Deno.test("ratio vs PyTorch and the printed table", () => {
  const entries = [entry("blas", 100, 2), entry("pytorch", 200, 4)];
  const ratios = ratiosVsPytorch(entries)!;
  assert.ok(Math.abs(ratios.blas - (46.9 + 2) / (93.8 + 4)) < 1e-12);
  assert.equal(ratiosVsPytorch([entry("blas", 100, 2)]), null);
  const record = benchRecord({ entries, ratioVsPytorch: ratios });
  const table = formatBenchTable(record, [32, 128]);
  assert.match(
    table,
    /\| blas \(v\) \| 2 \| - \| 100\.0 \| - \| 1280 \| 2\.00 s \| 48\.9 s \| 1024 MiB \|/,
  );
  assert.match(table, /blas \/ pytorch projected epoch: 0\.50/);
});

Deno.test("the epoch projection takes the mean step, not the median", () => {
  const skewed = entry("blas", 60, 2);
  skewed.steps[0].samplesMs = [50, 60, 190];
  assert.equal(meanMsAt(skewed, 128), 100);
  assert.equal(meanMsAt(skewed, 64), null);
});

Deno.test("the printed table flags samples spread too wide and a busy machine", () => {
  const wide = entry("blas", 100, 2);
  wide.steps[0].samplesMs = [60, 100, 140]; // (140 - 60) / 100 = 80 %
  const calm = benchRecord({ entries: [entry("blas", 100, 2)] });
  assert.doesNotMatch(formatBenchTable(calm, [128]), /\*|busy/);
  assert.equal(sampleSpread([60, 100, 140]), 0.8);
  assert.equal(sampleSpread([100]), 0);
  assert.equal(tooWide([99, 100, 149]), false);
  assert.equal(tooWide([99, 100, 151]), true);
  const table = formatBenchTable(
    benchRecord({
      entries: [wide],
      load: { loadAverage: [3.4, 3, 2], cores: 2, otherCores: 1.5, top: [], busy: true },
    }),
    [128],
  );
  assert.match(table, /\| blas \(v\) \| 2 \| 100\.0 \* \|/);
  assert.match(table, /^\* samples spread more than 50 % of their median .*not to be trusted$/m);
  assert.match(table, /^warning: the machine is busy \(load average 3\.40 on 2 cores; /m);
});

Deno.test("scripts/bench.ts: --help exits 0, a bad flag exits 2 with one line", async () => {
  const script = new URL("../../scripts/bench.ts", import.meta.url).pathname;
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

Deno.test("whole epochs: medians, ratio and the printed table", () => {
  const epochs = [
    { name: "blas", seconds: [30, 20, 25], valAcc: [0.985, 0.985, 0.985] },
    { name: "pytorch", seconds: [40, 50], valAcc: [0.98, 0.98] },
  ];
  assert.equal(epochRatio(epochs), 25 / 45);
  assert.equal(epochRatio(epochs.slice(0, 1)), null);
  const record = benchRecord({ epochs, epochRatioVsPytorch: epochRatio(epochs) });
  const table = formatBenchTable(record, [128]);
  assert.match(table, /\| blas \| 30\.00, 20\.00, 25\.00 \| 25\.00 s \| 98\.50 % \|/);
  assert.match(table, /\| pytorch \| 40\.00, 50\.00 \| 45\.00 s \| 98\.00 % \|/);
  assert.match(table, /blas \/ pytorch whole epoch: 0\.56/);
  // Without step entries there is no projection to set the epochs against.
  assert.doesNotMatch(table, /projected epoch:/);
  const withSteps = benchRecord({
    entries: [entry("blas", 100, 2), entry("pytorch", 200, 4)],
    epochs,
    epochRatioVsPytorch: epochRatio(epochs),
  });
  const both = formatBenchTable(withSteps, [128]);
  // Projected: 469 steps x 100 ms + 2 s = 48.9 s; 469 x 200 ms + 4 s = 97.8 s.
  assert.match(both, /^blas whole epoch \/ projected epoch: 0\.51$/m);
  assert.match(both, /^pytorch whole epoch \/ projected epoch: 0\.46$/m);
});

Deno.test("whole epochs: a missing PyTorch script is named, not fatal", async () => {
  const r = await pytorchOneEpoch(packageDataDir(), 1, "/usr/bin/python3", "/nonexistent/a.py");
  assert.equal(r, "no PyTorch script at /nonexistent/a.py");
});

/** Whether /usr/bin/python3 imports torch (setup.sh --full installs it; CI must have it). */
function hasTorch(): boolean {
  const ok = new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"], stderr: "null" })
    .outputSync().success;
  if (!ok && Deno.env.get("CI")) {
    throw new Error("CI needs python3-torch (scripts/setup.sh --full)");
  }
  return ok;
}

Deno.test("the PyTorch script is inside the repository, beside nothing outside it", async () => {
  const root = new URL("../..", import.meta.url).pathname;
  assert.ok(TORCH_SCRIPT.startsWith(root), TORCH_SCRIPT);
  assert.equal(TORCH_SCRIPT.slice(root.length), "reference/torch_mnist.py");
  assert.ok((await Deno.stat(TORCH_SCRIPT)).isFile);
});

Deno.test("the PyTorch script names its modes and exits 2 on bad arguments", async () => {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [TORCH_SCRIPT, "bogus"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  const err = new TextDecoder().decode(out.stderr);
  assert.match(err, /^torch_mnist\.py: bad arguments 'bogus'\n/);
  for (const mode of ["train", "steps", "parity"]) assert.match(err, new RegExp(`py ${mode} `));
});

Deno.test("whole epochs: ours and PyTorch on a subset, alternating", async () => {
  // The PyTorch script reads LIMIT_TRAIN / LIMIT_TEST; ours gets the same subset.
  Deno.env.set("LIMIT_TRAIN", "512");
  Deno.env.set("LIMIT_TEST", "256");
  try {
    const data = await loadMnist({ limitTrain: 512, limitTest: 256 });
    const notes: string[] = [];
    const runs = await benchEpochs(data, packageDataDir(), 2, 2, (l) => notes.push(l));
    const ours = runs[0];
    assert.equal(ours.name, "blas");
    assert.equal(ours.seconds.length, 2);
    assert.ok(ours.seconds.every((s) => s > 0 && s < 60), `${ours.seconds}`);
    assert.ok(ours.valAcc.every((a) => a > 0.2 && a <= 1), `${ours.valAcc}`);
    if (!hasTorch()) {
      // No python3 with torch here: blas alone, and the note says why.
      assert.equal(runs.length, 1);
      assert.ok(notes.some((n) => n.startsWith("note: PyTorch epochs skipped")), `${notes}`);
    } else {
      assert.equal(runs[1].name, "pytorch");
      assert.equal(runs[1].seconds.length, 2);
      assert.ok(runs[1].valAcc.every((a) => a > 0.2 && a <= 1), `${runs[1].valAcc}`);
      assert.ok(epochRatio(runs)! > 0);
    }
  } finally {
    Deno.env.delete("LIMIT_TRAIN");
    Deno.env.delete("LIMIT_TEST");
  }
});
