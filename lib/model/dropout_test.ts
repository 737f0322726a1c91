import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fillDropoutMask, setupBackend } from "../blas/mod.ts";
import { SeededDropout } from "./dropout.ts";
import { Rng } from "../data/mod.ts";

await setupBackend("blas", { threads: 1 });

Deno.test("fillDropoutMask: drops where Rng(seed).next() < rate, scales the rest", () => {
  for (const rate of [0.25, 0.5, 0.1, 0]) {
    const mask = fillDropoutMask(new Float32Array(10_000), rate, 1234);
    const rng = new Rng(1234);
    let dropped = 0;
    for (let i = 0; i < mask.length; i++) {
      const expected = rng.next() < rate ? 0 : Math.fround(1 / (1 - rate));
      assert.equal(mask[i], expected, `rate ${rate}, element ${i}`);
      if (mask[i] === 0) dropped++;
    }
    const mean = rate * mask.length;
    assert.ok(Math.abs(dropped - mean) < 300, `rate ${rate}: ${dropped} dropped of 10000`);
  }
});

Deno.test("SeededDropout: x * mask when training, gradient = mask, identity at inference", () => {
  const layer = new SeededDropout({ name: "d", rate: 0.5 });
  const x = tf.randomNormal([4, 6, 5], 0, 1, "float32", 9);
  layer.seed = 77;
  const mask = fillDropoutMask(new Float32Array(x.size), 0.5, 77);
  const xs = x.dataSync();
  const y = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
  assert.deepEqual(Array.from(y), Array.from(xs, (v, i) => Math.fround(v * mask[i])));
  const grad = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t, { training: true }) as tf.Tensor));
  assert.deepEqual(grad(x).dataSync(), mask);
  assert.deepEqual((layer.apply(x, { training: false }) as tf.Tensor).dataSync(), xs);
  assert.deepEqual((layer.apply(x) as tf.Tensor).dataSync(), xs);
});

Deno.test("SeededDropout: saves as a plain Dropout config; rejects a bad rate", () => {
  const layer = new SeededDropout({ name: "d", rate: 0.25 });
  assert.equal(layer.getClassName(), "Dropout");
  const config = layer.getConfig();
  assert.equal(config.rate, 0.25);
  assert.equal(config.noiseShape, null);
  assert.equal(config.seed, null);
  assert.equal(config.name, "d");
  assert.throws(
    () => new SeededDropout({ rate: 1 }),
    /dropout rate must be in \[0, 1\), got 1/,
  );
});
