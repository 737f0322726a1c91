import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { BLAS_BACKEND, registerBlasBackend } from "./blas.ts";

registerBlasBackend();

/** Deterministic values in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs f under `backend` on fresh tensors of the given shapes and returns all outputs' values. */
async function runOn(
  backend: string,
  shapes: number[][],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = shapes.map((s, i) => tf.tensor(rand(size(s), 7 + 31 * i), s));
  const ys = f(...xs);
  const values = await Promise.all(ys.map((y) => y.data() as Promise<Float32Array>));
  const shapesOut = ys.map((y) => y.shape.join("x"));
  tf.dispose([...xs, ...ys]);
  return values.map((v, i) => Object.assign(Float32Array.from(v), { shape: shapesOut[i] }));
}

/** Asserts blas and cpu agree on f(inputs) within float32 tolerance. */
async function sameAsCpu(
  shapes: number[][],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
  tol = 1e-4,
) {
  const expected = await runOn("cpu", shapes, f);
  const actual = await runOn(BLAS_BACKEND, shapes, f);
  assert.equal(actual.length, expected.length);
  for (let k = 0; k < expected.length; k++) {
    const e = expected[k], a = actual[k];
    assert.equal(
      (a as unknown as { shape: string }).shape,
      (e as unknown as { shape: string }).shape,
      `output ${k} shape`,
    );
    let scale = 1;
    for (const v of e) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < e.length; i++) {
      const ok = Math.abs(a[i] - e[i]) <= tol * scale || (Number.isNaN(a[i]) && Number.isNaN(e[i]));
      if (!ok) assert.fail(`output ${k}[${i}]: blas ${a[i]} vs cpu ${e[i]}`);
    }
  }
}

/** Output plus the gradients of sum(y * r) with respect to every input. */
function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor) {
  return (...xs: tf.Tensor[]): tf.Tensor[] => {
    const y = f(...xs);
    const r = tf.tensor(rand(y.size, 99), y.shape);
    const g = tf.grads((...ins: tf.Tensor[]) => tf.sum(tf.mul(f(...ins), r)))(xs);
    return [y, ...g];
  };
}

type Pad = "valid" | "same" | number;

Deno.test("conv2d forward and gradients match cpu (strides, paddings, odd shapes)", async () => {
  const cases: [number[], number[], [number, number], Pad][] = [
    [[2, 7, 6, 3], [3, 3, 3, 4], [1, 1], "valid"],
    [[2, 7, 6, 3], [3, 3, 3, 4], [1, 1], "same"],
    [[1, 9, 8, 2], [3, 2, 2, 5], [2, 1], "same"],
    [[3, 8, 7, 1], [3, 3, 1, 6], [2, 2], "valid"],
    [[2, 6, 6, 4], [1, 1, 4, 3], [1, 1], "valid"],
    [[2, 5, 7, 3], [2, 3, 3, 2], [1, 2], 1],
    [[1, 4, 4, 3], [5, 5, 3, 2], [1, 1], "same"],
    // 576 output positions per image: 7 images per im2col chunk, so two chunks, the last partial.
    [[9, 24, 24, 2], [3, 3, 2, 3], [1, 1], "same"],
  ];
  for (const [xs, ws, strides, pad] of cases) {
    await sameAsCpu(
      [xs, ws],
      withGrads((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, pad)),
    );
  }
});

Deno.test("fused conv2d with bias and relu matches cpu, forward and gradients", async () => {
  for (const activation of ["relu", "linear"] as const) {
    for (const pad of ["valid", "same"] as const) {
      await sameAsCpu(
        [[2, 6, 5, 3], [3, 3, 3, 4], [4]],
        withGrads((x, w, b) =>
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: w as tf.Tensor4D,
            strides: [1, 1],
            pad,
            bias: b,
            activation,
          })
        ),
      );
    }
  }
});

Deno.test("stride-1 valid conv2d with >= 8 channels (shifted GEMMs, chunked) matches cpu", async () => {
  // 50 images of 7x6 span two chunks of the forward pass (48 images, then 2).
  const cases: [number[], number[]][] = [
    [[2, 7, 6, 9], [3, 3, 9, 4]],
    [[50, 7, 6, 8], [2, 3, 8, 5]],
    [[3, 5, 4, 8], [1, 1, 8, 3]],
  ];
  for (const [xs, ws] of cases) {
    await sameAsCpu(
      [xs, ws],
      (x, w) => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "valid")],
    );
    await sameAsCpu(
      [xs, ws, [ws[3]]],
      withGrads((x, w, b) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: [1, 1],
          pad: "valid",
          bias: b,
          activation: "relu",
        })
      ),
    );
  }
});

Deno.test("conv2d with dilations falls back to cpu", async () => {
  await sameAsCpu(
    [[1, 7, 7, 2], [3, 3, 2, 3]],
    (x, w) => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same", "NHWC", 2)],
  );
});

Deno.test("matMul and fused matMul match cpu (transposes, batches, bias, relu)", async () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const a = ta ? [5, 3] : [3, 5], b = tb ? [4, 5] : [5, 4];
    await sameAsCpu([a, b], withGrads((x, y) => tf.matMul(x, y, ta, tb)));
    await sameAsCpu([[2, ...a], [2, ...b]], withGrads((x, y) => tf.matMul(x, y, ta, tb)));
    // tfjs' matMul gradient does not reduce a broadcast batch: forward only.
    await sameAsCpu([[2, ...a], b], (x, y) => [tf.matMul(x, y, ta, tb)]);
    await sameAsCpu([a, [3, ...b]], (x, y) => [tf.matMul(x, y, ta, tb)]);
  }
  await sameAsCpu(
    [[6, 7], [7, 3], [3]],
    withGrads((a, b, bias) => tf.fused.matMul({ a, b, bias, activation: "relu" })),
  );
  await sameAsCpu(
    [[6, 7], [3, 7], [1, 3]],
    withGrads((a, b, bias) => tf.fused.matMul({ a, b, bias, transposeB: true })),
  );
  // Broadcast of both batch dims: handled by the cpu fallback.
  await sameAsCpu([[2, 1, 3, 4], [1, 3, 4, 2]], (x, y) => [tf.matMul(x, y)]);
});

Deno.test("maxPool forward and gradient match cpu", async () => {
  const cases: [number[], number, number, "valid" | "same"][] = [
    [[2, 8, 8, 3], 2, 2, "valid"],
    [[2, 7, 9, 2], 2, 2, "valid"],
    [[1, 7, 9, 2], 3, 2, "same"],
    [[2, 5, 5, 4], 3, 1, "same"],
  ];
  for (const [xs, f, s, pad] of cases) {
    await sameAsCpu([xs], withGrads((x) => tf.maxPool(x as tf.Tensor4D, f, s, pad)));
  }
});

Deno.test("maxPool 2x2 inference (no argmax) matches cpu, NaNs and -Infinity included", async () => {
  const values = [1, NaN, 3, 2, NaN, 0, -Infinity, 5, 4, 7, NaN, NaN, 2, 9, 1, NaN];
  const f = (backend: string) =>
    runOn(backend, [], () => [tf.maxPool(tf.tensor4d(values, [1, 4, 4, 1]), 2, 2, "valid")]);
  assert.deepEqual(Array.from((await f(BLAS_BACKEND))[0]), Array.from((await f("cpu"))[0]));
  await sameAsCpu([[3, 8, 6, 5]], (x) => [tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")]);
});

Deno.test("maxPool gradient goes to the first maximum of a window, like cpu", async () => {
  const f = (backend: string) =>
    runOn(backend, [], () => {
      const x = tf.tensor4d([1, 3, 3, 2, 0, 0, 5, 5], [1, 2, 4, 1]);
      return tf.grads((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")))([x]);
    });
  assert.deepEqual(Array.from((await f(BLAS_BACKEND))[0]), Array.from((await f("cpu"))[0]));
  assert.deepEqual(Array.from((await f(BLAS_BACKEND))[0]), [0, 1, 0, 0, 0, 0, 1, 0]);
});

Deno.test("binary element-wise ops match cpu for each broadcast pattern", async () => {
  const pairs: [number[], number[]][] = [
    [[3, 4], [3, 4]],
    [[3, 4], []],
    [[], [3, 4]],
    [[2, 3, 4], [4]],
    [[4], [2, 3, 4]],
    [[2, 3, 4], [1, 3, 4]],
    [[3, 1], [1, 4]], // cpu fallback
    [[2, 3, 4], [3, 1]], // cpu fallback
  ];
  const ops = [tf.add, tf.sub, tf.mul, tf.div];
  for (const [sa, sb] of pairs) {
    for (const op of ops) {
      await sameAsCpu([sa, sb], withGrads((a, b) => op(a, b)), 1e-3);
    }
  }
});

Deno.test("element-wise ops on int32 fall back to cpu and keep int32", async () => {
  await tf.setBackend(BLAS_BACKEND);
  const y = tf.add(tf.tensor1d([1, 2], "int32"), tf.tensor1d([3, 4], "int32"));
  assert.equal(y.dtype, "int32");
  assert.deepEqual(Array.from(await y.data()), [4, 6]);
});

Deno.test("unary ops and their gradients match cpu", async () => {
  const fs: ((x: tf.Tensor) => tf.Tensor)[] = [
    tf.relu,
    (x) => tf.step(x, 0.5),
    (x) => tf.sqrt(tf.abs(x)),
    tf.square,
    tf.neg,
    tf.exp,
    (x) => tf.log(tf.add(tf.abs(x), 0.1)),
    tf.floor,
  ];
  for (const f of fs) await sameAsCpu([[3, 5, 2]], withGrads(f));
});

Deno.test("sum over leading, trailing, middle and all axes matches cpu", async () => {
  const axesList: (number | number[] | undefined)[] = [
    0,
    [0, 1, 2],
    3,
    [2, 3],
    1,
    [0, 2],
    undefined,
  ];
  for (const axis of axesList) {
    for (const keepDims of [false, true]) {
      await sameAsCpu([[2, 3, 4, 5]], withGrads((x) => tf.sum(x, axis, keepDims)));
    }
  }
});

Deno.test("addN matches cpu", async () => {
  await sameAsCpu([[3, 4], [3, 4], [3, 4]], (a, b, c) => [tf.addN([a, b, c])]);
});

Deno.test("recycled output arrays: values read out are never reused, stale NaNs never leak", async () => {
  await tf.setBackend(BLAS_BACKEND);
  const x = tf.tensor(rand(24, 3), [2, 3, 4]);
  const y = tf.relu(x);
  const seen = y.dataSync();
  const copy = Float32Array.from(seen);
  y.dispose();
  const z = tf.neg(x); // same size: would take y's array if it had been recycled
  assert.deepEqual(Array.from(seen), Array.from(copy));
  z.dispose();
  // Fill the pool with NaN arrays of every size used below, then check results.
  const nan = (n: number) => tf.tidy(() => tf.div(tf.zeros([n]), tf.zeros([n])).add(1));
  const sizes = [2 * 7 * 6 * 3, 2 * 5 * 4 * 4, 2 * 3 * 3 * 3, 6 * 3, 2 * 6 * 5 * 3];
  tf.dispose(sizes.map(nan));
  await sameAsCpu(
    [[2, 7, 6, 3], [3, 3, 3, 4]],
    withGrads((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "valid")),
  );
  tf.dispose(sizes.map(nan));
  await sameAsCpu([[2, 6, 5, 3]], withGrads((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, "same")));
  tf.dispose(sizes.map(nan));
  await sameAsCpu([[6, 5], [5, 3]], withGrads((a, b) => tf.matMul(a, b)));
});

Deno.test("MaxPoolGrad called directly (no saved argmax) matches cpu", async () => {
  const attrs = { filterSize: 2, strides: 2, pad: "valid" };
  await sameAsCpu([[2, 6, 7, 3], [2, 3, 3, 3]], (x, dy) => {
    const y = tf.maxPool(x as tf.Tensor4D, 2, 2, "valid");
    return [tf.engine().runKernel("MaxPoolGrad", { dy, input: x, output: y }, attrs) as tf.Tensor];
  });
});

Deno.test("relu gradient on blas runs the fused kernel and matches cpu", async () => {
  await tf.setBackend(BLAS_BACKEND);
  const { kernels } = await tf.profile(() =>
    tf.grads((x: tf.Tensor) => tf.sum(tf.relu(x)))([tf.tensor1d([-1, 2, 0, 3])])
  );
  const names = kernels.map((k) => k.name);
  assert.ok(names.includes("BlasReluGrad") && !names.includes("Step"), names.join(","));
  await sameAsCpu([[4, 5]], withGrads((x) => tf.relu(x)));
});

Deno.test("relu and its gradient keep NaN, zero at 0 and -0, like cpu", async () => {
  const f = (backend: string) =>
    runOn(backend, [], () => {
      const x = tf.tensor1d([NaN, -1, 0, -0, 2, -Infinity, Infinity, 1e-40]);
      const [g] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), 3)))([x]);
      return [tf.relu(x), g];
    });
  const [cpu, blas] = [await f("cpu"), await f(BLAS_BACKEND)];
  for (let k = 0; k < 2; k++) {
    assert.deepEqual(
      Array.from(blas[k]).map(String),
      Array.from(cpu[k]).map(String),
      `output ${k}`,
    );
  }
});

Deno.test("the array pool drops lengths no longer used to make room for new ones", async () => {
  await tf.setBackend(BLAS_BACKEND);
  const backend = tf.backend() as unknown as { pooledBytes: number };
  const big = (n: number) => tf.tidy(() => tf.relu(tf.fill([n], 1)));
  // Fill the pool with arrays of one length, then use another: the pool must stay bounded
  // and hold the new length (allocation from it leaves pooledBytes lower).
  const n1 = 8 * 1024 * 1024, n2 = 9 * 1024 * 1024;
  tf.dispose(Array.from({ length: 16 }, () => big(n1)));
  const before = backend.pooledBytes;
  assert.ok(before <= 640 * 2 ** 20 && before > 0, `${before}`);
  tf.dispose(Array.from({ length: 16 }, () => big(n2)));
  assert.equal(backend.pooledBytes, 16 * n2 * 4); // all of n2 kept, the stale n1 arrays dropped
  const t = big(n2); // must come from the pool
  assert.ok(backend.pooledBytes < 640 * 2 ** 20);
  const after = backend.pooledBytes;
  t.dispose();
  assert.equal(backend.pooledBytes, after + n2 * 4);
});
