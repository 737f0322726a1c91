import assert from "node:assert/strict";
import { setupBackend } from "../blas/mod.ts";
import { loadMnist } from "../data/mod.ts";
import { createModel } from "../model/mod.ts";
import { evaluate } from "../train/mod.ts";
import { confusionMatrix, labelCounts, misclassified, predictLabels } from "./predictions.ts";

Deno.test("confusionMatrix counts true class by predicted class", () => {
  const m = confusionMatrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 0, 2], 3);
  assert.deepEqual(m, [[1, 0, 0], [0, 1, 1], [1, 0, 2]]);
  assert.throws(() => confusionMatrix([0, 1], [0], 3), /2 labels but 1 predictions/);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /class out of range at 1/);
});

Deno.test("misclassified and labelCounts", () => {
  assert.deepEqual(misclassified([1, 2, 3, 4], [1, 0, 3, 0]), [1, 3]);
  assert.deepEqual(misclassified([1, 2, 3, 4], [0, 0, 0, 0], 2), [0, 1]);
  assert.deepEqual(labelCounts([0, 9, 9, 3]), [1, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
});

Deno.test("predictLabels agrees with the training loop's evaluate()", async () => {
  await setupBackend("auto");
  const data = await loadMnist({ limitTrain: 1, limitTest: 300 });
  const model = createModel(3);
  try {
    const predictions = predictLabels(model, data.test, 128);
    const correct = predictions.filter((p, i) => p === data.test.labels[i]).length;
    assert.equal(correct / data.test.count, evaluate(model, data.test, 128).acc);
    assert.ok(new Set(predictions).size > 1, "an untrained model still predicts several classes");
  } finally {
    model.dispose();
  }
});
