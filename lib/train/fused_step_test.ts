import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { setupBackend } from "../blas/mod.ts";
import { FusedStep, planFusedStep } from "./fused_step.ts";
import {
  Adadelta,
  createModel,
  isSeededDropout,
  seededDropout,
  trainableVariables,
} from "../model/mod.ts";
import { nllLoss, tapeTrainStep } from "./step.ts";

await setupBackend("blas", { threads: 2 });

/** Deterministic values in [-scale, scale). */
function rand(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

type Build = () => tf.Sequential;

const conv = (filters: number, kernelSize: number | [number, number], inputShape?: number[]) =>
  tf.layers.conv2d({
    filters,
    kernelSize,
    activation: "relu",
    ...(inputShape ? { inputShape } : {}),
  });
const pool = () => tf.layers.maxPooling2d({ poolSize: 2 });
const dense = (units: number, activation: "relu" | "logSoftmax") =>
  tf.layers.dense({ units, activation: activation as "relu" });

/** Odd shapes: non-square kernels and input, a pooled size that drops a row. */
const oddModel: Build = () =>
  tf.sequential({
    layers: [
      conv(4, [3, 2], [10, 11, 2]),
      conv(5, [2, 3]),
      pool(),
      seededDropout({ rate: 0.3 }),
      tf.layers.flatten(),
      dense(7, "relu"),
      seededDropout({ rate: 0.5 }),
      dense(6, "relu"),
      dense(3, "logSoftmax"),
    ],
  });

/** Three convolutions (the middle one's input gradient goes through col2im), one dense. */
const threeConvModel: Build = () =>
  tf.sequential({
    layers: [
      conv(3, 3, [12, 12, 1]),
      conv(4, 3),
      conv(6, 2),
      pool(),
      tf.layers.flatten(),
      dense(4, "logSoftmax"),
    ],
  });

/** A single convolution on a multi-channel input (no convolution before the pool's). */
const oneConvModel: Build = () =>
  tf.sequential({
    layers: [conv(2, 3, [8, 9, 3]), pool(), tf.layers.flatten(), dense(3, "logSoftmax")],
  });

/** Weights for every variable, scaled so that ReLUs are mixed and logits moderate. */
function setWeights(model: tf.LayersModel, seed: number) {
  model.setWeights(
    model.getWeights().map((w, i) =>
      tf.tensor(rand(w.size, seed + 17 * i, 1 / Math.sqrt(Math.max(1, w.shape[0] ?? 1))), w.shape)
    ),
  );
}

function seedDropout(model: tf.LayersModel, seed: number) {
  model.layers.forEach((l, i) => {
    if (isSeededDropout(l)) l.seed = seed + i;
  });
}

/** Loss and gradients by tfjs' own autodiff on the `cpu` backend (the reference). */
async function tapeOnCpu(build: Build, seed: number, images: Float32Array, labels: Uint8Array) {
  await tf.setBackend("cpu");
  const model = build();
  setWeights(model, seed);
  seedDropout(model, seed);
  const n = labels.length;
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape[1] as number;
  const x = tf.tensor(images, [n, ...inShape]);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), classes).toFloat();
  const vars = trainableVariables(model);
  const { value, grads } = tf.variableGrads(
    () => nllLoss(model.apply(x, { training: true }) as tf.Tensor, y),
    vars,
  );
  const result = {
    loss: value.dataSync()[0],
    grads: vars.map((v) => Float32Array.from(grads[v.name].dataSync())),
  };
  tf.dispose([x, y, value, ...Object.values(grads)]);
  model.dispose();
  return result;
}

async function fusedOnBlas(build: Build, seed: number, images: Float32Array, labels: Uint8Array) {
  await tf.setBackend("blas");
  const model = build();
  setWeights(model, seed);
  seedDropout(model, seed);
  const plan = planFusedStep(model);
  if (typeof plan === "string") throw new Error(plan);
  const step = new FusedStep(plan);
  const r = step.computeGradients(images, labels);
  const grads = step.grads.map((g) => Float32Array.from(g));
  model.dispose();
  return { ...r, grads };
}

async function assertSameGradients(build: Build, n: number, seed: number) {
  await tf.setBackend("cpu");
  const probe = build();
  const inSize = (probe.inputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  const classes = probe.outputs[0].shape[1] as number;
  probe.dispose();
  const images = rand(n * inSize, seed + 1);
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes);
  const ref = await tapeOnCpu(build, seed, images, labels);
  const got = await fusedOnBlas(build, seed, images, labels);
  assert.ok(
    Math.abs(got.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss) + 1e-6,
    `loss ${got.loss} vs ${ref.loss}`,
  );
  assert.equal(got.grads.length, ref.grads.length);
  ref.grads.forEach((r, i) => {
    const g = got.grads[i];
    let scale = 0, worst = 0;
    for (let k = 0; k < r.length; k++) scale = Math.max(scale, Math.abs(r[k]));
    for (let k = 0; k < r.length; k++) worst = Math.max(worst, Math.abs(g[k] - r[k]));
    assert.ok(scale > 0, `gradient ${i} is all zeros: the test would not see errors`);
    assert.ok(worst <= 1e-4 * scale, `gradient ${i}: off by ${worst} (largest ${scale})`);
  });
}

Deno.test("fused step: the reference model's loss and gradients match tfjs autodiff on cpu", async () => {
  await assertSameGradients(() => createModel(3), 5, 11);
});

Deno.test("fused step: odd kernels, input and pooled sizes, two dropouts, three dense layers", async () => {
  await assertSameGradients(oddModel, 3, 5);
});

Deno.test("fused step: three convolutions (col2im input gradient), one dense layer", async () => {
  await assertSameGradients(threeConvModel, 4, 2);
});

Deno.test("fused step: a single convolution on a multi-channel input", async () => {
  await assertSameGradients(oneConvModel, 2, 9);
});

Deno.test("fused step: batches smaller than an earlier one reuse the buffers correctly", async () => {
  await tf.setBackend("blas");
  const model = oddModel();
  setWeights(model, 4);
  const step = new FusedStep(
    planFusedStep(model) as Exclude<ReturnType<typeof planFusedStep>, string>,
  );
  const images = rand(6 * 10 * 11 * 2, 8);
  const labels = Uint8Array.from([0, 1, 2, 2, 1, 0]);
  seedDropout(model, 1);
  step.computeGradients(images, labels);
  const small = step.computeGradients(images.subarray(0, 2 * 220), labels.subarray(0, 2));
  const grads = step.grads.map((g) => Float32Array.from(g));
  const fresh = new FusedStep(
    planFusedStep(model) as Exclude<ReturnType<typeof planFusedStep>, string>,
  );
  seedDropout(model, 1); // the same masks as before, so the same result
  const again = fresh.computeGradients(images.subarray(0, 2 * 220), labels.subarray(0, 2));
  assert.equal(small.loss, again.loss);
  fresh.grads.forEach((g, i) => assert.deepEqual(grads[i], g));
  model.dispose();
});

Deno.test("fused step: models it does not cover are named with the reason", async () => {
  await tf.setBackend("blas");
  const cases: [tf.layers.Layer[], RegExp][] = [
    [[
      tf.layers.conv2d({
        filters: 2,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        inputShape: [6, 6, 1],
      }),
      pool(),
      tf.layers.flatten(),
      dense(2, "logSoftmax"),
    ], /stride 1, valid padding/],
    [[
      conv(2, 3, [6, 6, 1]),
      tf.layers.maxPooling2d({ poolSize: 3 }),
      tf.layers.flatten(),
      dense(2, "logSoftmax"),
    ], /2x2, stride 2/],
    [[
      conv(2, 3, [6, 6, 1]),
      pool(),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.flatten(),
      dense(2, "logSoftmax"),
    ], /only SeededDropout/],
    [[
      conv(2, 3, [6, 6, 1]),
      pool(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ], /needs logSoftmax/],
    [[tf.layers.flatten({ inputShape: [6, 6, 1] }), dense(2, "logSoftmax")], /start with a Conv2D/],
  ];
  for (const [layers, reason] of cases) {
    const model = tf.sequential({ layers });
    const plan = planFusedStep(model);
    assert.equal(typeof plan, "string");
    assert.match(plan as string, reason);
    model.dispose();
  }
});

Deno.test("fused step: a wrong image count is refused", async () => {
  await tf.setBackend("blas");
  const model = oneConvModel();
  const step = new FusedStep(
    planFusedStep(model) as Exclude<ReturnType<typeof planFusedStep>, string>,
  );
  assert.throws(
    () => step.computeGradients(new Float32Array(10), Uint8Array.from([1])),
    /expected 1 images of 8x9x3/,
  );
  model.dispose();
});

/** A FusedStep for `model` (which must be covered). */
function stepFor(model: tf.LayersModel, threads?: number): FusedStep {
  const plan = planFusedStep(model);
  if (typeof plan === "string") throw new Error(plan);
  return new FusedStep(plan, threads);
}

function batch(n: number, seed: number) {
  return {
    images: rand(n * 28 * 28, seed),
    labels: Uint8Array.from({ length: n }, (_, i) => (i * 3 + seed) % 10),
  };
}

Deno.test("fused step: one thread or two give bitwise the same loss and gradients", async () => {
  await tf.setBackend("blas");
  const model = createModel(5);
  const one = stepFor(model, 1), two = stepFor(model, 2);
  for (const n of [7, 7, 3]) {
    const b = batch(n, n);
    seedDropout(model, n);
    const r1 = one.computeGradients(b.images, b.labels);
    seedDropout(model, n);
    const r2 = two.computeGradients(b.images, b.labels);
    assert.equal(r1.loss, r2.loss);
    assert.equal(r1.correct, r2.correct);
    one.grads.forEach((g, i) => assert.deepEqual(g, two.grads[i], `gradient ${i}, n=${n}`));
  }
  two.close();
  model.dispose();
});

Deno.test("fused step: a second batch of the same size clears the first one's pool gradient", async () => {
  await tf.setBackend("blas");
  const model = createModel(6);
  const reused = stepFor(model);
  const a = batch(5, 1), b = batch(5, 2);
  seedDropout(model, 1);
  reused.computeGradients(a.images, a.labels);
  seedDropout(model, 2);
  const r = reused.computeGradients(b.images, b.labels);
  const fresh = stepFor(model);
  seedDropout(model, 2);
  const f = fresh.computeGradients(b.images, b.labels);
  assert.equal(r.loss, f.loss);
  fresh.grads.forEach((g, i) => assert.deepEqual(reused.grads[i], g, `gradient ${i}`));
  reused.close();
  fresh.close();
  model.dispose();
});

Deno.test("fused step: training matches the tape step and leaves the model usable", async () => {
  await tf.setBackend("blas");
  const fusedModel = createModel(8), tapeModel = createModel(8);
  const fused = stepFor(fusedModel);
  const fusedOpt = new Adadelta(1.0), tapeOpt = new Adadelta(1.0);
  const tapeVars = trainableVariables(tapeModel);
  for (let s = 0; s < 3; s++) {
    const b = batch(6, 10 + s);
    const oneHot = new Float32Array(6 * 10);
    b.labels.forEach((l, i) => oneHot[i * 10 + l] = 1);
    seedDropout(fusedModel, s);
    seedDropout(tapeModel, s);
    const rf = fused.train(b.images, b.labels, fusedOpt);
    const rt = tapeTrainStep(tapeModel, tapeVars, tapeOpt, b.images, oneHot, b.labels);
    assert.ok(Math.abs(rf.loss - rt.loss) < 1e-5 * rt.loss, `step ${s}: ${rf.loss} vs ${rt.loss}`);
    assert.equal(rf.correct, rt.correct);
  }
  // The variables now live in SharedArrayBuffers; tfjs still reads them as before. The bounds
  // leave room for one ReLU flip: conv2's Winograd forward rounds unlike the tape's direct one
  // (pooled values within 2e-7), and at batch 6 one pooled value that close to zero (step 3
  // here) moves conv2's gradient by about 1 %, which Adadelta (lr 1) makes 1e-4 in a weight
  // and in a prediction (the direct forward: 3e-8). The tests above check gradients tightly.
  const fusedWeights = fusedModel.getWeights().map((w) => w.dataSync() as Float32Array);
  const tapeWeights = tapeModel.getWeights().map((w) => w.dataSync() as Float32Array);
  fusedWeights.forEach((w, i) => {
    let worst = 0;
    for (let k = 0; k < w.length; k++) worst = Math.max(worst, Math.abs(w[k] - tapeWeights[i][k]));
    assert.ok(worst < 3e-4, `weight ${i} differs by ${worst}`);
  });
  const x = tf.tensor4d(batch(2, 99).images, [2, 28, 28, 1]);
  const a = (fusedModel.predict(x) as tf.Tensor).dataSync();
  const b = (tapeModel.predict(x) as tf.Tensor).dataSync();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-3, `prediction ${i}: ${v} vs ${b[i]}`));
  fused.close();
  tf.dispose(x);
  fusedOpt.dispose();
  tapeOpt.dispose();
  fusedModel.dispose();
  tapeModel.dispose();
});

Deno.test("fused step: evaluation matches tfjs' inference and keeps later steps right", async () => {
  await tf.setBackend("blas");
  const model = createModel(12);
  const step = stepFor(model);
  const a = batch(130, 3), b = batch(130, 4), test = batch(300, 5);
  seedDropout(model, 1);
  step.computeGradients(a.images, a.labels); // evaluation then goes in pieces of 130
  const r = step.evaluate(test.images, test.labels);
  const logp = tf.tidy(() =>
    (model.predict(tf.tensor4d(test.images, [300, 28, 28, 1])) as tf.Tensor).dataSync()
  );
  let lossSum = 0, correct = 0;
  for (let i = 0; i < 300; i++) {
    const row = Array.from(logp.subarray(i * 10, i * 10 + 10));
    lossSum -= row[test.labels[i]];
    if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
  }
  assert.ok(Math.abs(r.lossSum - lossSum) < 1e-4 * lossSum, `${r.lossSum} vs ${lossSum}`);
  assert.equal(r.correct, correct);
  // The evaluation overwrote the pool's argmax: the next step must still be exact.
  seedDropout(model, 2);
  const after = step.computeGradients(b.images, b.labels);
  const fresh = stepFor(model);
  seedDropout(model, 2);
  const f = fresh.computeGradients(b.images, b.labels);
  assert.equal(after.loss, f.loss);
  fresh.grads.forEach((g, i) => assert.deepEqual(step.grads[i], g, `gradient ${i}`));
  step.close();
  fresh.close();
  model.dispose();
});
