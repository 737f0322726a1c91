import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSpec, svgToPng } from "../lib/report/mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = join(ROOT, "lib", "report", "testdata");
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Axis titles each chart must show (with units). */
const AXES: Record<string, string[]> = {
  epochs_elapsed: ["Epoch", "Elapsed time (s)"],
  epochs_val_loss: ["Epoch", "Validation loss (NLL)"],
  lr_elapsed: ["Elapsed time (s)", "Learning rate (Adadelta)"],
  lr_val_loss: ["Epoch", "Validation loss (NLL)"],
  batch_elapsed: ["Batch size (images)", "Elapsed time (s)"],
  batch_val_loss: ["Epoch", "Validation loss (NLL)"],
  accuracy_per_epoch: ["Accuracy (%)", "Epoch"],
  epoch_time: ["Epoch", "Epoch time (s)"],
  published_elapsed: ["Elapsed time (s)", "Trial"],
  published_validation: ["Trial", "Validation accuracy (%)", "Validation loss (NLL)"],
  bench_ms_per_step: ["Batch size (images)", "Time per step (ms, log scale)"],
  grid_1: ["--backend", "--batch-size", "--epochs", "--lr", "Time (s)", "Validation accuracy (%)"],
};

async function report(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(ROOT, "scripts", "report.ts"), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** A copy of the fixture results in a temporary directory. */
async function fixtureCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "report_test_" });
  await Deno.mkdir(join(dir, "trials"));
  for await (const e of Deno.readDir(join(FIXTURES, "trials"))) {
    await Deno.copyFile(join(FIXTURES, "trials", e.name), join(dir, "trials", e.name));
  }
  await Deno.copyFile(join(FIXTURES, "bench.json"), join(dir, "bench.json"));
  // not shipped as a fixture: `deno fmt` would reject it
  await Deno.writeTextFile(join(dir, "trials", "truncated.json"), '{"schema": 1, "id": "e1');
  return dir;
}

/** Every file under `dir`, path relative to it -> bytes. */
async function snapshot(dir: string, sub = ""): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(join(dir, sub))) {
    const rel = join(sub, e.name);
    if (e.isDirectory) {
      for (const [k, v] of await snapshot(dir, rel)) files.set(k, v);
    } else {
      files.set(rel, await Deno.readFile(join(dir, rel)));
    }
  }
  return files;
}

Deno.test("report CLI: fixtures give the report, valid specs, titled SVGs, PNGs, same bytes twice", async () => {
  const dir = await fixtureCopy();
  try {
    const first = await report("--results", dir, "--include-subsets");
    assert.equal(first.code, 0, first.stderr);
    const warnings = first.stderr.trim().split("\n");
    assert.deepEqual(warnings.map((w) => w.replaceAll(dir, "DIR")), [
      "warning: DIR/trials/e5_b32_lr1_g0.7_s1_n2000_t500_blas_j2.json: status 'failed', left out (only 'ok' is reported)",
      "warning: DIR/trials/malformed.json: field 'epochs' is not a list, left out",
      "warning: DIR/trials/schema2.json: unknown schema version 2 (expected 1), left out",
      "warning: DIR/trials/truncated.json: not valid JSON, left out",
      // Two records (blas and cpu) fill one cell: reported, not silently chosen.
      "warning: several records for one trial: 5 epochs, batch 128, lr 1.0: 2 records; used " +
      "DIR/trials/e5_b128_lr1_g0.7_s1_n2000_t500_blas_j2.json (the newest), not " +
      "DIR/trials/e5_b128_lr1_g0.7_s1_n2000_t500_cpu_j2.json",
    ]);
    const markdown = await Deno.readTextFile(join(dir, "REPORT.md"));
    assert.match(markdown, /\| Elapsed time \| 1\.43 s \| 6\.42 s \| 12\.66 s \|/);

    const before = await snapshot(dir);
    for (const [name, titles] of Object.entries(AXES)) {
      const stem = join(dir, "charts", name);
      assert.ok(markdown.includes(`](charts/${name}.svg)`), `${name} linked`);
      compileSpec(JSON.parse(await Deno.readTextFile(`${stem}.vl.json`)));
      const svg = await Deno.readTextFile(`${stem}.svg`);
      svgToPng(svg); // parses the SVG, throws if it is not one
      const axisTitles = [...svg.matchAll(/role-axis-title.*?<text[^>]*>([^<]*)<\/text>/g)]
        .map((m) => m[1]);
      assert.deepEqual([...new Set(axisTitles)].sort(), [...titles].sort(), name);
      const png = await Deno.readFile(`${stem}.png`);
      assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE, name);
    }
    assert.equal(before.size, 1 + 3 * Object.keys(AXES).length + 11, "no other file written");

    const second = await report("--results", dir, "--include-subsets");
    assert.equal(second.code, 0, second.stderr);
    const after = await snapshot(dir);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    for (const [path, bytes] of before) assert.deepEqual(after.get(path), bytes, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report CLI: no usable records -> exit 1, a message, nothing overwritten; subsets are a grid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "report_test_" });
  try {
    await Deno.writeTextFile(join(dir, "REPORT.md"), "previous report\n");
    const empty = await report("--results", dir);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^report: no usable trial record in /);
    assert.match(empty.stderr, /nothing written\n$/);
    assert.equal(await Deno.readTextFile(join(dir, "REPORT.md")), "previous report\n");
    assert.deepEqual([...(await snapshot(dir)).keys()], ["REPORT.md"]);

    await Deno.mkdir(join(dir, "trials"));
    const subsetOnly = join(FIXTURES, "trials", "e1_b128_lr1_g0.7_s1_n2000_t500_blas_j2.json");
    await Deno.copyFile(subsetOnly, join(dir, "trials", basename(subsetOnly)));
    // A trial on a subset only: the study's tables are empty, its grid is reported.
    const subsets = await report("--results", dir, "--no-png");
    assert.equal(subsets.code, 0, subsets.stderr);
    assert.match(subsets.stderr, /^note: no trial of the study's sweeps on all the data /);
    const markdown = await Deno.readTextFile(join(dir, "REPORT.md"));
    assert.match(markdown, /### Grid 1: 2000 train \/ 500 test images \(1 trial\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report CLI: --out and --no-png; links follow the report's place", async () => {
  const dir = await fixtureCopy();
  try {
    const out = join(dir, "docs", "results.md");
    await Deno.mkdir(join(dir, "docs"));
    const run = await report("--results", dir, "--out", out, "--include-subsets", "--no-png");
    assert.equal(run.code, 0, run.stderr);
    const markdown = await Deno.readTextFile(out);
    assert.ok(markdown.includes("](../charts/epochs_elapsed.svg)"));
    assert.ok(!markdown.includes(".png"));
    const charts = [...(await snapshot(join(dir, "charts"))).keys()];
    assert.equal(charts.filter((f) => f.endsWith(".png")).length, 0);
    assert.equal(charts.filter((f) => f.endsWith(".svg")).length, Object.keys(AXES).length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report CLI: --help, and a bad flag exits 2 with one line", async () => {
  const help = await report("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task report/);
  for (const flag of ["--results DIR", "--out FILE", "--include-subsets", "--no-png"]) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  const bad = await report("--colour");
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split("\n").length, 1);
  assert.match(bad.stderr, /^report: unknown flag --colour \(see --help for the flags\)\n$/);
});

Deno.test("report CLI: --format csv and json print every trial; a bad format exits 2", async () => {
  const csv = await report("--results", FIXTURES, "--format", "csv");
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split("\n");
  assert.equal(lines[0], "grid,id,epochs,batch-size,lr,backend,seed,val_loss,val_acc,time_s");
  assert.equal(lines.length, 1 + 6);
  assert.ok(
    lines.includes(
      "2000 train / 500 test images,e5_b128_lr1_g0.7_s1_n2000_t500_cpu_j2,5,128,1,cpu,1," +
        "0.3222,0.9046,256.969",
    ),
    csv.stdout,
  );
  const json = await report("--results", FIXTURES, "--format", "json");
  assert.equal(json.code, 0, json.stderr);
  const grids = JSON.parse(json.stdout);
  assert.equal(grids.length, 1);
  assert.deepEqual(grids[0].varied, ["epochs", "batch-size", "lr", "backend"]);
  assert.equal(grids[0].groups.length, 6);
  const bad = await report("--results", FIXTURES, "--format", "xml");
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'report: --format "xml": expected md, csv or json\n');
});
