import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runScript } from "./run_script_test.ts";
import { setupBackend } from "../lib/blas/mod.ts";
import { loadMnist } from "../lib/data/mod.ts";
import { classify, encodePng, loadServingModel } from "../lib/predict/mod.ts";
import { readRecord } from "../lib/record/mod.ts";
import { valMetrics } from "../lib/train/mod.ts";

const ID = "e1_b128_lr1_g0.7_s1_n512_t256";

Deno.test("predict: a sweep's saved model reproduces its record; PNGs; bad files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const swept = await runScript("sweep.ts", [
      "--runner=local",
      `--results=${dir}`,
      "--save-model",
      "--grid=epochs=1",
      "--limit-train=512",
      "--limit-test=256",
    ]);
    assert.equal(swept.code, 0, swept.stdout + swept.stderr);
    const model = join(dir, "trials", `${ID}.model`);
    const record = await readRecord(join(dir, "trials", `${ID}.json`));
    const r = await runScript("predict.ts", [`--model=${model}`, "--limit=256"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, valMetrics(record.totals!.valLoss, record.totals!.valAcc) + "\n");

    // Test digits as PNGs, dark on white and twice as large; one not a PNG, one missing.
    const data = await loadMnist({ limitTrain: 1, limitTest: 8 });
    const files: string[] = [];
    for (let k = 0; k < 8; k++) {
      const digit = data.test.pixels.subarray(k * 784, (k + 1) * 784);
      const samples = new Uint8Array(56 * 56);
      samples.forEach((_, i) => {
        samples[i] = 255 - digit[Math.floor(i / 112) * 28 + Math.floor((i % 56) / 2)];
      });
      files.push(join(dir, `digit${k}.png`));
      await Deno.writeFile(files[k], encodePng(samples, 56, 56));
    }
    await Deno.writeTextFile(join(dir, "notes.png"), "not an image");
    const p = await runScript("predict.ts", [
      `--model=${model}`,
      "--images",
      ...files,
      join(dir, "notes.png"),
      join(dir, "missing.png"),
    ]);
    assert.equal(p.code, 2);
    assert.equal(
      p.stderr,
      `predict: ${join(dir, "notes.png")}: not a PNG file (no PNG signature)\n` +
        `predict: ${join(dir, "missing.png")}: no such file\n`,
    );
    const lines = p.stdout.trim().split("\n");
    assert.equal(lines.length, 8);
    // The model's own predictions for the original 28x28 digits.
    tf.enableProdMode();
    await setupBackend("blas", { threads: 1, log: () => {} });
    const served = await loadServingModel(model);
    const expected = classify(
      served,
      Array.from(
        { length: 8 },
        (_, k) => Float32Array.from(data.test.pixels.subarray(k * 784, (k + 1) * 784)),
      ),
    );
    let agree = 0;
    lines.forEach((line, k) => {
      const m = line.match(/^(.+): (\d) \| ((?:\d=\d\.\d{4} ?){10})$/);
      assert.ok(m, line);
      assert.equal(m[1], files[k]);
      const probs = m[3].trim().split(" ").map((s) => Number(s.slice(2)));
      assert.ok(Math.abs(probs.reduce((a, b) => a + b) - 1) < 0.002, line);
      assert.equal(Number(m[2]), probs.indexOf(Math.max(...probs)));
      if (Number(m[2]) === expected[k].digit) agree++;
    });
    assert.ok(agree >= 7, `${agree} of 8 PNG predictions agree with the 28x28 originals`);
    served.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict: a missing model or a bad flag is one line, exit 2", async () => {
  const none = await runScript("predict.ts", ["--model=/nonexistent/model", "--limit=5"]);
  assert.equal(none.code, 2);
  assert.equal(
    none.stderr,
    "predict: --model /nonexistent/model: cannot load a saved model " +
      "(no model.json or weights.bin there)\n",
  );
  const limit = await runScript("predict.ts", ["--model=/x", "--limit=0"]);
  assert.equal(limit.code, 2);
  assert.equal(limit.stderr, 'predict: --limit "0": expected a whole number, 1 or more\n');
  const missing = await runScript("predict.ts", ["--limit=5"]);
  assert.equal(missing.stderr, "predict: --model DIR is required (see --help)\n");
});
