import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildReport } from "./build.ts";
import { reportCharts, type ReportOptions } from "./document.ts";
import { loadResults, type ResultsInput } from "./load.ts";
import { type MarkdownOptions, toMarkdown } from "./to_markdown.ts";
import { sweepCommand, trainCommand } from "./commands.ts";
import { mdText } from "../markdown.ts";

const DIR = fileURLToPath(new URL("./testdata", import.meta.url));
const TRIALS = join(DIR, "trials");
const OPTIONS: ReportOptions & MarkdownOptions = {
  includeSubsets: true,
  resultsDir: "fixtures",
  chartsHref: "charts",
  png: true,
};

/** The report of `input` as Markdown. */
function render(input: ResultsInput, options = OPTIONS): string {
  return toMarkdown(buildReport(input, options), options);
}

/** The rows of the first Markdown table after `heading`, as cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  assert.ok(start >= 0, `no heading ${heading}`);
  const lines = markdown.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(2, -2).split(" | "));
  }
  return rows.filter((r) => r[0] !== "---");
}

Deno.test("buildReport: the three sweep tables, cell by cell", async () => {
  const markdown = render(await loadResults(DIR));
  assert.deepEqual(tableAfter(markdown, "## Sweep a: epochs"), [
    ["Epochs", "1", "5", "10"],
    ["Elapsed time", "1.43 s", "6.42 s", "12.66 s"],
    ["Validation loss", "1.0458", "0.3222", "0.2536"],
    ["Validation accuracy", "0.6501", "0.9046", "0.9287"],
  ]);
  assert.deepEqual(tableAfter(markdown, "## Sweep b: learning rate"), [
    ["Learning rate", "1.0", "0.5"],
    ["Elapsed time", "6.42 s", "6.21 s"],
    ["Validation loss", "0.3222", "0.5785"],
    ["Validation accuracy", "0.9046", "0.8162"],
  ]);
  assert.deepEqual(tableAfter(markdown, "## Sweep c: batch size"), [
    ["Batch size", "32", "64", "128"],
    ["Elapsed time", "—", "7.14 s", "6.42 s"],
    ["Validation loss", "—", "0.2861", "0.3222"],
    ["Validation accuracy", "—", "0.9173", "0.9046"],
  ]);
});

Deno.test("buildReport: each sweep says where its trials ran", async () => {
  const input = await loadResults(DIR);
  const markdown = render(input);
  const sweepA = markdown.slice(markdown.indexOf("## Sweep a"), markdown.indexOf("## Sweep b"));
  assert.match(sweepA, /\n\nRan in: container sha256:f1x7ure00000\.\n\n/);
  const local = input.records.find((r) => r.record.args.epochs === 1)!;
  local.record = {
    ...local.record,
    environment: { ...local.record.environment, imageId: null },
  };
  const mixed = render(input);
  assert.ok(
    mixed.includes(
      "\n\nRan in: container sha256:f1x7ure00000 (2 trials); local process (1 trial).\n\n",
    ),
  );
});

Deno.test("buildReport: a missing trial says which record failed and the command that fills it", async () => {
  const markdown = render(await loadResults(DIR));
  const train = "deno task train -- --epochs 5 --batch-size 32 --lr 1.0 " +
    "--out fixtures/trials/e5_b32_lr1_g0.7_s1.json";
  const sweep = "deno task sweep -- --grid epochs=5 --grid batch-size=32 --grid lr=1.0 " +
    "--results fixtures";
  assert.equal(trainCommand({ epochs: 5, batchSize: 32, lr: 1 }, "fixtures"), train);
  assert.equal(sweepCommand({ epochs: 5, batchSize: 32, lr: 1 }, "fixtures"), sweep);
  assert.equal(
    sweepCommand({ epochs: 10, batchSize: 128, lr: 1 }, "results"),
    "deno task sweep -- --grid epochs=10 --grid batch-size=128 --grid lr=1.0",
  );
  assert.ok(
    markdown.includes(
      "Missing: batch size 32 (5 epochs, batch 32, lr 1.0). Left out: " +
        `${TRIALS}/e5_b32_lr1_g0.7_s1_n2000_t500_blas_j2.json (failed). ` +
        `Run: \`${sweep}\` (or without a container: \`${train}\`).`,
    ),
  );
});

Deno.test("buildReport: ours against the published, per trial", async () => {
  const markdown = render(await loadResults(DIR));
  const start = markdown.indexOf("## Ours against the published numbers");
  const section = markdown.slice(start);
  assert.deepEqual(tableAfter(section, "Elapsed time:"), [
    ["Trial", "Ours", "Published", "Difference", "Ratio"],
    ["1 ep, b128, lr 1.0", "1.43 s", "62.54 s", "-61.11 s", "0.02"],
    ["5 ep, b32, lr 1.0", "—", "500.73 s", "—", "—"],
    ["5 ep, b64, lr 1.0", "7.14 s", "388.76 s", "-381.62 s", "0.02"],
    ["5 ep, b128, lr 1.0", "6.42 s", "354.47 s", "-348.05 s", "0.02"],
    ["5 ep, b128, lr 0.5", "6.21 s", "322.88 s", "-316.67 s", "0.02"],
    ["10 ep, b128, lr 1.0", "12.66 s", "707.03 s", "-694.37 s", "0.02"],
  ]);
  assert.deepEqual(tableAfter(section, "Validation loss:")[1], [
    "1 ep, b128, lr 1.0",
    "1.0458",
    "0.0561",
    "+0.9897",
  ]);
  assert.deepEqual(tableAfter(section, "Validation accuracy:")[6], [
    "10 ep, b128, lr 1.0",
    "0.9287",
    "0.9919",
    "-0.0632",
  ]);
});

Deno.test("buildReport: environment, subsets, left-out files, bench and the chart list", async () => {
  const report = buildReport(await loadResults(DIR), OPTIONS);
  const markdown = toMarkdown(report, OPTIONS);
  const charts = reportCharts(report);
  const env = Object.fromEntries(tableAfter(markdown, "## Environment").slice(1));
  assert.equal(env["Backend"], "blas");
  assert.equal(env["Cores"], "2");
  assert.equal(env["Deno"], "2.9.6");
  assert.equal(env["TensorFlow.js"], "4.22.0");
  assert.match(env["Container image"], /^sha256:f1x7ure/);
  assert.ok(
    markdown.includes(
      "- `e10_b128_lr1_g0.7_s1_n2000_t500_blas_j2`: 2000 training images, 500 test images",
    ),
  );
  assert.ok(
    markdown.includes(`- ${TRIALS}/malformed.json: field 'epochs' is not a list, left out`),
  );
  // The projected epoch once per implementation (batch-128 row), the spread of every sample.
  assert.deepEqual(tableAfter(markdown, "## Benchmark").slice(1, 4), [
    ["blas", "tfjs 4.22.0", "2", "32", "41.5", "2 %", "771", ""],
    ["", "", "", "64", "74.2", "1 %", "863", ""],
    ["", "", "", "128", "139.8", "2 %", "916", "68.60 s"],
  ]);
  assert.doesNotMatch(markdown, /\(too wide\)|Measured on a busy machine|Some samples spread/);
  // The CPU's instruction sets, OpenBLAS' kernel and the floor, when the record has them.
  const withFloor = structuredClone((await loadResults(DIR)).bench!);
  withFloor.machine.cpuFeatures = ["avx", "avx2"];
  withFloor.machine.blas = "OpenBLAS 0.3.21 Zen";
  withFloor.floor = {
    sgemmGflops: 150.25,
    size: 1024,
    threads: 2,
    steps: [{ batchSize: 128, gflop: 9.16, ms: 60.96 }],
  };
  const detailed = render({ ...(await loadResults(DIR)), bench: withFloor });
  assert.match(
    detailed,
    /on [^\n]*, avx avx2, 2 cores \([^)]*\), measured [^ ]*\. BLAS: OpenBLAS 0\.3\.21 Zen\. Floor: sgemm 150\.3 GFLOP\/s \(1024\^3, 2 threads\) in the same run; the step's FLOPs by direct convolution over that: 61\.0 ms at 128\./,
  );
  assert.deepEqual(charts.map((c) => c.name), [
    "epochs_elapsed",
    "epochs_val_loss",
    "lr_elapsed",
    "lr_val_loss",
    "batch_elapsed",
    "batch_val_loss",
    "accuracy_per_epoch",
    "epoch_time",
    "published_elapsed",
    "published_validation",
    "bench_ms_per_step",
    "grid_1",
  ]);
  for (const c of charts) {
    assert.ok(markdown.includes(`(charts/${c.name}.svg)`), c.name);
    assert.ok(markdown.includes(`(charts/${c.name}.png)`), c.name);
  }
});

Deno.test("buildReport: a busy machine and samples spread too wide are flagged", async () => {
  const input = await loadResults(DIR);
  const bench = structuredClone(input.bench!);
  bench.entries[0].steps[0].samplesMs = [40, 41.5, 90];
  bench.load = {
    loadAverage: [3.4, 3.1, 2.5],
    cores: 2,
    otherCores: 1.5,
    top: [{ pid: 42, command: "deno", cores: 1.5 }],
    busy: true,
  };
  const markdown = render({ ...input, bench });
  assert.equal(tableAfter(markdown, "## Benchmark")[1][5], "120 % (too wide)");
  assert.ok(markdown.includes(
    "Measured on a busy machine: warning: the machine is busy (load average 3.40 on 2 cores; " +
      "other processes use 1.50 cores: deno (pid 42) 1.50)",
  ));
  assert.ok(markdown.includes("Some samples spread too wide to trust"));
});

Deno.test("buildReport is deterministic and leaves subsets out unless asked", async () => {
  const input = await loadResults(DIR);
  const a = buildReport(input, OPTIONS);
  assert.deepEqual(buildReport(await loadResults(DIR), OPTIONS), a);
  const strict = render(input, { ...OPTIONS, includeSubsets: false, png: false });
  assert.deepEqual(tableAfter(strict, "## Sweep a: epochs")[1], [
    "Elapsed time",
    "—",
    "—",
    "—",
  ]);
  assert.ok(strict.includes("6 records ran on a subset of the data and are not used"));
  assert.ok(!strict.includes(".png"));
  assert.ok(!strict.includes("## Environment"));
});

Deno.test("report: records that lie or would crash it are left out, one line each; duplicates named; fields escaped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "report_hostile_" });
  try {
    await Deno.mkdir(join(dir, "trials"));
    const json = async (name: string) =>
      JSON.parse(await Deno.readTextFile(join(TRIALS, `${name}.json`)));
    const put = (name: string, value: unknown) =>
      Deno.writeTextFile(join(dir, "trials", `${name}.json`), JSON.stringify(value, null, 2));
    const E1 = "e1_b128_lr1_g0.7_s1_n2000_t500_blas_j2";
    const E10 = "e10_b128_lr1_g0.7_s1_n2000_t500_blas_j2";
    const E5 = "e5_b128_lr1_g0.7_s1_n2000_t500_blas_j2";
    const E5CPU = "e5_b128_lr1_g0.7_s1_n2000_t500_cpu_j2";
    const B64 = "e5_b64_lr1_g0.7_s1_n2000_t500_blas_j2";
    const LR05 = "e5_b128_lr0.5_g0.7_s1_n2000_t500_blas_j2";

    const html = "<img src=x onerror=alert(1)> | **bold** [link](http://x) `code`\n## heading";
    const used = await json(E5); // a good record, with Markdown and HTML in a field
    used.environment.cpu = html;
    await put(E5, used);
    await put(E5CPU, await json(E5CPU)); // a good duplicate of E5's cell
    const high = await json(B64);
    high.totals.valAcc = "high";
    await put(B64, high);
    const empty = await json(LR05);
    empty.totals = {};
    await put(LR05, empty);
    await put(E10, await json(E1)); // e1's content under e10's name
    const negative = await json(E1);
    negative.totals.totalTime = -3;
    await put(E1, negative);
    const inf =
      (await Deno.readTextFile(join(TRIALS, "e5_b32_lr1_g0.7_s1_n2000_t500_blas_j2.json")))
        .replace('"status": "failed"', '"status": "ok"');
    const b32 = JSON.parse(inf);
    b32.totals = { ...(await json(E5)).totals };
    await Deno.writeTextFile(
      join(dir, "trials", "e5_b32_lr1_g0.7_s1_n2000_t500_blas_j2.json"),
      JSON.stringify(b32).replace(/"valLoss":[0-9.]+/, '"valLoss":1e999'),
    );
    const many = await json(E5);
    many.args.epochs = 1000;
    many.id = "e1000_b128_lr1_g0.7_s1_n2000_t500_blas_j2";
    many.epochs = Array.from({ length: 20_000 }, (_, i) => ({ ...many.epochs[0], epoch: i + 1 }));
    await put(many.id, many);

    const input = await loadResults(dir);
    assert.deepEqual(input.records.map((r) => r.record.id), [E5, E5CPU]);
    const t = join(dir, "trials");
    assert.deepEqual(input.warnings, [
      `${t}/${many.id}.json: ${(await Deno.stat(join(t, `${many.id}.json`))).size} bytes, ` +
      "too large for a record (at most 4194304), left out",
      `${t}/${E10}.json: holds trial ${E1}, not the ${E10} its file name says, left out`,
      `${t}/${E1}.json: field 'totals.totalTime' is -3 (expected a number >= 0), left out`,
      `${t}/${LR05}.json: field 'totals.epochsDone' is not a number, left out`,
      `${t}/e5_b32_lr1_g0.7_s1_n2000_t500_blas_j2.json: field 'epochs[0].valLoss' is Infinity ` +
      "(expected a number >= 0), left out",
      `${t}/${B64}.json: field 'totals.valAcc' is not a number, left out`,
    ]);
    for (const w of input.warnings) assert.ok(!w.includes("\n"), w);

    const md = render(input);
    assert.doesNotMatch(md, /(^|[^\\])<img/, "no raw HTML");
    assert.ok(!md.includes("\n## heading"), "no heading injected");
    assert.ok(
      md.includes(
        "\\<img src=x onerror=alert(1)\\> \\| \\*\\*bold\\*\\* \\[link\\](http://x) \\`code\\` ## heading",
      ),
    );
    // Every row of the environment table still has two cells.
    for (const row of tableAfter(md, "## Environment")) {
      assert.equal(row.length, 2, row.join(" | "));
    }
    assert.match(
      md,
      new RegExp(
        `## Several records for one trial\\n\\n- 5 epochs, batch 128, lr 1\\.0: 2 records; used ` +
          `${t}/${E5}\\.json \\(the newest\\), not ${t}/${E5CPU}\\.json\\n`,
      ),
    );
    for (const w of input.warnings) {
      assert.ok(md.includes(`- ${mdText(w)}\n`), w);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadResults leaves a hostile bench.json out with a warning, and the report still renders", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mnist-load-bench-" });
  try {
    const good = JSON.parse(await Deno.readTextFile(join(DIR, "bench.json")));
    good.machine.cpu = 5; // crashed the report with a TypeError
    await Deno.writeTextFile(join(dir, "bench.json"), JSON.stringify(good));
    const input = await loadResults(dir);
    assert.equal(input.bench, null);
    assert.deepEqual(input.warnings, [
      `${join(dir, "bench.json")}: field 'machine' is malformed, left out`,
    ]);
    const markdown = render(input);
    assert.doesNotMatch(markdown, /undefined|NaN/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
