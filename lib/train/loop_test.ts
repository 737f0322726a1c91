import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { setupBackend } from "../blas/mod.ts";
import { loadMnist } from "../data/mod.ts";
import { createModel } from "../model/mod.ts";
import { DIVERGED_LOSS, evaluate, isDiverged, train } from "./loop.ts";

await setupBackend("blas", { threads: 1 });

Deno.test("train: tensors stay flat across epochs; StepLR multiplies lr by gamma", async () => {
  const data = await loadMnist({ limitTrain: 256, limitTest: 64 });
  const model = createModel(1);
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const outcome = await train(model, data, {
    epochs: 3,
    batchSize: 64,
    lr: 1,
    gamma: 0.5,
    seed: 1,
    testBatchSize: 32,
  }, { onEpoch: () => counts.push(tf.memory().numTensors) });
  assert.equal(outcome.status, "ok");
  assert.deepEqual(outcome.epochs.map((e) => e.lr), [1, 0.5, 0.25]);
  // The optimizer holds two state tensors per variable while training, none afterwards.
  assert.equal(counts[1], counts[0]);
  assert.equal(counts[2], counts[0]);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("train: evaluation matches a hand count of the model's predictions", async () => {
  const data = await loadMnist({ limitTrain: 1, limitTest: 50 });
  const model = createModel(2);
  const { loss, acc } = evaluate(model, data.test, 16);
  const x = tf.tensor4d(
    Float32Array.from(data.test.pixels, (v) => (v / 255 - 0.1307) / 0.3081),
    [50, 28, 28, 1],
  );
  const logp = (model.predict(x) as tf.Tensor).arraySync() as number[][];
  let nll = 0;
  let correct = 0;
  logp.forEach((row, i) => {
    nll -= row[data.test.labels[i]];
    if (row.indexOf(Math.max(...row)) === data.test.labels[i]) correct++;
  });
  assert.ok(Math.abs(loss - nll / 50) < 1e-5, `${loss} vs ${nll / 50}`);
  assert.equal(acc, correct / 50);
  model.dispose();
});

Deno.test("train: an aborted signal stops with status interrupted", async () => {
  const data = await loadMnist({ limitTrain: 128, limitTest: 16 });
  const abort = new AbortController();
  abort.abort();
  const outcome = await train(createModel(1), data, {
    epochs: 1,
    batchSize: 64,
    lr: 1,
    gamma: 0.7,
    seed: 1,
    testBatchSize: 16,
  }, { signal: abort.signal });
  assert.equal(outcome.status, "interrupted");
  assert.deepEqual(outcome.epochs, []);
});

Deno.test("train: divergence means not finite or above the ceiling", () => {
  assert.ok(isDiverged(NaN) && isDiverged(Infinity) && isDiverged(DIVERGED_LOSS * 2));
  assert.ok(!isDiverged(2.3) && !isDiverged(0));
});
