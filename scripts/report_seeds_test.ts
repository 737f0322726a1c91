import assert from "node:assert/strict";
import { join } from "node:path";
import { runScript } from "./run_script_test.ts";

Deno.test("a custom grid with --seeds 3 appears in the report as mean ± std with each seed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const swept = await runScript("sweep.ts", [
      "--runner=local",
      `--results=${dir}`,
      "--grid=lr=1.0,0.5",
      "--seeds=3",
      "--epochs=1",
      "--limit-train=512",
      "--limit-test=256",
    ]);
    assert.equal(swept.code, 0, swept.stdout + swept.stderr);
    assert.match(swept.stdout, /Plan: 6 unique trial\(s\) in 1 sweep\(s\); 6 to run/);

    const json = await runScript("report.ts", [`--results=${dir}`, "--format=json"]);
    assert.equal(json.code, 0, json.stderr);
    const [grid] = JSON.parse(json.stdout);
    assert.equal(grid.grid, "512 train / 256 test images");
    assert.deepEqual(grid.varied, ["lr"]);
    for (const group of grid.groups) {
      assert.deepEqual(group.trials.map((t: { seed: number }) => t.seed), [1, 2, 3]);
      assert.ok(group.std.valAcc > 0, "three seeds differ");
      const accs = group.trials.map((t: { valAcc: number }) => t.valAcc);
      const mean = accs.reduce((a: number, b: number) => a + b) / 3;
      assert.ok(Math.abs(group.mean.valAcc - mean) < 1e-12);
    }

    const md = await runScript("report.ts", [`--results=${dir}`, "--no-png"]);
    assert.equal(md.code, 0, md.stderr);
    const report = await Deno.readTextFile(join(dir, "REPORT.md"));
    assert.match(report, /### Grid 1: 512 train \/ 256 test images \(6 trials\)/);
    assert.match(report, /\| 0\.5 \| 1, 2, 3 \| \d\.\d{4} ± \d\.\d{4} \| [\d.]+ % ± [\d.]+ % \|/);
    assert.match(report, /\| {2}\| seed 3 \| \d\.\d{4} \| [\d.]+ % \|/);
    assert.ok(report.includes("(charts/grid_1.svg)"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
