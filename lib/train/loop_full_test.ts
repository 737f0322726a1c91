import assert from "node:assert/strict";
import { setupBackend } from "../blas/mod.ts";
import { loadMnist } from "../data/mod.ts";
import { createModel } from "../model/mod.ts";
import { train } from "./loop.ts";
import { DEFAULT_ARGS } from "../record/mod.ts";

await setupBackend("blas", { threads: 2 });

Deno.test("train: one full epoch on the real MNIST files reaches val_acc >= 98.0 %", async () => {
  const data = await loadMnist({});
  const model = createModel(DEFAULT_ARGS.seed);
  const outcome = await train(model, data, { ...DEFAULT_ARGS, epochs: 1 });
  assert.equal(outcome.status, "ok");
  const [epoch] = outcome.epochs;
  assert.ok(epoch.valAcc >= 0.98, `val_acc ${epoch.valAcc}`);
  assert.ok(epoch.trainLoss < 0.3, `train_loss ${epoch.trainLoss}`);
  model.dispose();
});

Deno.test("train: resident memory stays flat from epoch to epoch", async () => {
  const data = await loadMnist({ limitTrain: 4096, limitTest: 1000 });
  const model = createModel(3);
  const rss: number[] = [];
  const outcome = await train(model, data, { ...DEFAULT_ARGS, epochs: 4 }, {
    onEpoch: () => rss.push(Deno.memoryUsage().rss),
  });
  assert.equal(outcome.status, "ok");
  // Buffers are allocated in the first epoch; later ones reuse them.
  const growth = (rss[3] - rss[1]) / 2 ** 20;
  assert.ok(growth < 32, `RSS grew by ${growth.toFixed(1)} MiB from epoch 2 to 4: ${rss}`);
  // Each epoch's metrics carry the process's peak RSS (Linux), never decreasing.
  const peaks = outcome.epochs.map((e) => e.peakRssBytes ?? 0);
  assert.ok(peaks[0] > 2 ** 20, `${peaks}`);
  assert.ok(peaks.every((p, i) => i === 0 || p >= peaks[i - 1]), `${peaks}`);
  model.dispose();
});
