import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { setupBackend } from "../blas/mod.ts";
import { createModel, PARAMETER_COUNT, reseedDropout, trainableVariables } from "./model.ts";
import { loadModel, saveModel } from "./io.ts";
import { Rng } from "../data/mod.ts";

await setupBackend("blas", { threads: 1 });

Deno.test("model: the reference architecture, 1,199,882 parameters, log-probabilities out", () => {
  const model = createModel(1);
  assert.equal(model.countParams(), PARAMETER_COUNT);
  assert.deepEqual(
    model.layers.map((l) => l.getClassName()),
    ["Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Dropout", "Dense"],
  );
  assert.deepEqual(trainableVariables(model).map((v) => v.shape), [
    [3, 3, 1, 32],
    [32],
    [3, 3, 32, 64],
    [64],
    [9216, 128],
    [128],
    [128, 10],
    [10],
  ]);
  const out = model.predict(tf.randomNormal([3, 28, 28, 1], 0, 1, "float32", 7)) as tf.Tensor;
  assert.deepEqual(out.shape, [3, 10]);
  // log-softmax: each row's probabilities sum to one.
  for (const s of tf.sum(tf.exp(out), 1).dataSync() as Float32Array) {
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
  model.dispose();
});

Deno.test("model: PyTorch initialisation, uniform in +-1/sqrt(fan_in), seeded", () => {
  const a = createModel(1);
  const b = createModel(1);
  const c = createModel(2);
  const fanIns = [9, 9, 288, 288, 9216, 9216, 128, 128];
  trainableVariables(a).forEach((v, i) => {
    const values = v.dataSync() as Float32Array;
    const bound = 1 / Math.sqrt(fanIns[i]);
    const max = values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert.ok(
      max <= Math.fround(bound) && max > 0.9 * bound,
      `${v.name}: max ${max}, bound ${bound}`,
    );
    assert.deepEqual(values, trainableVariables(b)[i].dataSync());
    assert.notDeepEqual(values, trainableVariables(c)[i].dataSync());
  });
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("model: dropout masks change per step and repeat per seed; off at inference", () => {
  const model = createModel(3);
  const x = tf.ones([2, 28, 28, 1]);
  const run = (rng: Rng) => {
    reseedDropout(model, rng);
    return (model.apply(x, { training: true }) as tf.Tensor).dataSync();
  };
  const r1 = new Rng(5);
  const first = run(r1);
  const second = run(r1);
  assert.notDeepEqual(first, second);
  assert.deepEqual(run(new Rng(5)), first);
  const p1 = (model.apply(x, { training: false }) as tf.Tensor).dataSync();
  const p2 = (model.apply(x, { training: false }) as tf.Tensor).dataSync();
  assert.deepEqual(p1, p2);
  model.dispose();
});

Deno.test("model: saved model.json + weights.bin load back with the same predictions", async () => {
  const dir = await Deno.makeTempDir();
  const model = createModel(4);
  await saveModel(model, dir);
  const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  assert.equal(json.format, "layers-model");
  assert.deepEqual(json.weightsManifest[0].paths, ["weights.bin"]);
  assert.equal((await Deno.stat(`${dir}/weights.bin`)).size, PARAMETER_COUNT * 4);
  const loaded = await loadModel(dir);
  const x = tf.randomNormal([2, 28, 28, 1], 0, 1, "float32", 3);
  assert.deepEqual(
    (loaded.predict(x) as tf.Tensor).dataSync(),
    (model.predict(x) as tf.Tensor).dataSync(),
  );
  model.dispose();
  loaded.dispose();
});
