import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Adadelta } from "./adadelta.ts";
import { setupBackend } from "../blas/mod.ts";

/** Plain JS Adadelta (PyTorch's formula) over arrays of numbers, several steps. */
function reference(
  p0: number[],
  gradsPerStep: number[][],
  lrs: number[],
  rho: number,
  eps: number,
): number[] {
  const p = [...p0], sa = p0.map(() => 0), ad = p0.map(() => 0);
  gradsPerStep.forEach((g, step) => {
    for (let i = 0; i < p.length; i++) {
      sa[i] = rho * sa[i] + (1 - rho) * g[i] * g[i];
      const std = Math.sqrt(sa[i] + eps);
      const delta = Math.sqrt(ad[i] + eps) / std * g[i];
      ad[i] = rho * ad[i] + (1 - rho) * delta * delta;
      p[i] -= lrs[step] * delta;
    }
  });
  return p;
}

const P0 = [0.5, -1.25, 2, 0, 3.5, -0.01];
const GRADS = [
  [0.1, -0.2, 0.3, 0, 5, -0.001],
  [-0.3, 0.2, 0.1, 1, -5, 0.002],
  [0.05, 0.5, -0.7, -1, 2, 0.003],
];
const LRS = [1.0, 0.7, 0.49];

/** Runs the steps; `fused` says per step whether the fused path is allowed. */
async function runSteps(backend: "blas" | "cpu", fused: boolean[], rho = 0.9, eps = 1e-6) {
  await setupBackend(backend, { threads: 1 });
  const v = tf.variable(tf.tensor2d(P0, [2, 3]));
  const opt = new Adadelta(LRS[0], rho, eps);
  for (let s = 0; s < GRADS.length; s++) {
    opt.fused = fused[s];
    opt.learningRate = LRS[s];
    const g = tf.tensor2d(GRADS[s], [2, 3]);
    opt.applyGradients([v], [g]);
    g.dispose();
  }
  const out = Array.from(await v.data());
  opt.dispose();
  v.dispose();
  return out;
}

function assertClose(actual: number[], expected: number[], tol = 1e-5) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `[${i}] ${actual[i]} vs ${expected[i]}`,
    );
  }
}

Deno.test("fused Adadelta on blas matches PyTorch's formula over several steps and lrs", async () => {
  assertClose(await runSteps("blas", [true, true, true]), reference(P0, GRADS, LRS, 0.9, 1e-6));
  assertClose(
    await runSteps("blas", [true, true, true], 0.5, 1e-3),
    reference(P0, GRADS, LRS, 0.5, 1e-3),
  );
});

Deno.test("fused Adadelta on cpu matches the formula too", async () => {
  assertClose(await runSteps("cpu", [true, true, true]), reference(P0, GRADS, LRS, 0.9, 1e-6));
});

Deno.test("Adadelta with tf ops matches the formula, also after fused steps (state carried over)", async () => {
  assertClose(await runSteps("blas", [false, false, false]), reference(P0, GRADS, LRS, 0.9, 1e-6));
  assertClose(
    await runSteps("blas", [true, false, false], 0.5, 1e-3),
    reference(P0, GRADS, LRS, 0.5, 1e-3),
  );
});

Deno.test("Adadelta updates a variable whose storage another tensor shares, not the sharer", async () => {
  await setupBackend("blas", { threads: 1 });
  const v = tf.variable(tf.tensor1d([1, 2, 3]));
  const alias = tf.reshape(v, [3, 1]); // shares v's storage
  const opt = new Adadelta(1.0);
  opt.applyGradients([v], [tf.tensor1d([1, 1, 1])]);
  assert.deepEqual(Array.from(await alias.data()), [1, 2, 3]);
  assertClose(Array.from(await v.data()), reference([1, 2, 3], [[1, 1, 1]], [1], 0.9, 1e-6));
  opt.dispose();
});
