import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { setupBackend } from "../blas/mod.ts";
import { conv2dBiasRelu, FusedReluConv2D } from "./conv_relu.ts";

await setupBackend("blas", { threads: 1 });

const X: [number, number, number, number] = [3, 9, 8, 4];
const W: [number, number, number, number] = [3, 3, 4, 6];

/** Values and gradients (x, filter, bias) of sum(relu(conv + bias) * weights) on `backend`. */
async function convAndGrads(
  backend: string,
  conv: (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D,
) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomNormal(X, 0, 1, "float32", 1) as tf.Tensor4D;
    const w = tf.randomNormal(W, 0, 0.5, "float32", 2) as tf.Tensor4D;
    const b = tf.randomNormal([6], 0, 0.5, "float32", 3) as tf.Tensor1D;
    const mix = tf.randomNormal([3, 7, 6, 6], 0, 1, "float32", 4);
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(conv(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D), mix));
    const grads = tf.grads(f)([x, w, b]);
    return [conv(x, w, b), ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  assert.equal(actual.length, expected.length, what);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= 1e-4 * scale)) {
      assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
    }
  }
}

Deno.test("conv2dBiasRelu: forward and x/filter/bias gradients match the cpu backend", async () => {
  const stock = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) =>
    tf.relu(tf.add(tf.conv2d(x, w, 1, "valid"), b)) as tf.Tensor4D;
  const expected = await convAndGrads("cpu", stock);
  const geometry = { strides: [1, 1] as [number, number], pad: "valid" as const };
  const actual = await convAndGrads("blas", (x, w, b) => conv2dBiasRelu(x, w, b, geometry));
  ["y", "dx", "dw", "db"].forEach((n, i) => assertClose(actual[i], expected[i], n));
  // Some outputs are clipped by the ReLU, so the mask matters.
  assert.ok(expected[0].some((v) => v === 0) && expected[0].some((v) => v > 0));
});

Deno.test("conv2dBiasRelu: without input gradient, filter/bias gradients unchanged", async () => {
  await tf.setBackend("blas");
  const geometry = { strides: [1, 1] as [number, number], pad: "valid" as const };
  const x = tf.randomNormal(X, 0, 1, "float32", 1) as tf.Tensor4D;
  const w = tf.randomNormal(W, 0, 0.5, "float32", 2) as tf.Tensor4D;
  const b = tf.randomNormal([6], 0, 0.5, "float32", 3) as tf.Tensor1D;
  const loss = (inputGradient: boolean) => (w: tf.Tensor, b: tf.Tensor) =>
    tf.sum(
      tf.square(conv2dBiasRelu(x, w as tf.Tensor4D, b as tf.Tensor1D, geometry, inputGradient)),
    );
  const [dw1, db1] = tf.grads(loss(true))([w, b]);
  const viaX = (x: tf.Tensor) => tf.sum(conv2dBiasRelu(x as tf.Tensor4D, w, b, geometry, false));
  assert.throws(() => tf.grad(viaX)(x), /Cannot compute gradient/);
  const [dw2, db2] = tf.grads(loss(false))([w, b]);
  assert.deepEqual(dw2.dataSync(), dw1.dataSync());
  assert.deepEqual(db2.dataSync(), db1.dataSync());
  const profile = await tf.profile(() => tf.grads(loss(false))([w, b]));
  const names = profile.kernels.map((k) => k.name);
  assert.ok(!names.includes("Conv2DBackpropInput"), names.join(","));
  assert.ok(names.includes("FusedConv2D") && names.includes("BlasReluBiasGrad"), names.join(","));
  assert.ok(!names.includes("Relu") && !names.includes("Add"), names.join(","));
});

Deno.test("FusedReluConv2D: a Conv2D layer with stock config and stock gradients", async () => {
  await tf.setBackend("blas");
  const args = { filters: 6, kernelSize: 3, activation: "relu" as const, inputShape: [9, 8, 4] };
  const fused = new FusedReluConv2D({ ...args, name: "c", inputGradient: false });
  const plain = tf.layers.conv2d({ ...args, name: "c" });
  fused.apply(tf.zeros([1, 9, 8, 4]));
  plain.apply(tf.zeros([1, 9, 8, 4]));
  plain.setWeights(fused.getWeights());
  assert.equal(fused.getClassName(), "Conv2D");
  assert.deepEqual(fused.getConfig(), plain.getConfig());
  const x = tf.randomNormal([2, 9, 8, 4], 0, 1, "float32", 5);
  const run = (layer: tf.layers.Layer) => {
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor)),
      vars,
    );
    return [value, ...vars.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
  };
  const a = run(fused), e = run(plain);
  const names = (await tf.profile(() => run(fused))).kernels.map((k) => k.name);
  assert.ok(names.includes("FusedConv2D") && !names.includes("Relu"), names.join(","));
  ["loss", "dw", "db"].forEach((n, i) => assertClose(a[i], e[i], n));
  assert.deepEqual(
    (fused.apply(x) as tf.Tensor).dataSync(),
    (plain.apply(x) as tf.Tensor).dataSync(),
  );
});
