import assert from "node:assert/strict";
import { backend_util } from "@tensorflow/tfjs-core";
import { loadBlas, sgemm } from "./openblas.ts";
import { type ConvInfo, epilogue, maxPool2x2 } from "./kernels/loops.ts";
import {
  winograd,
  winogradApplies,
  winogradFilterGradient,
  winogradInputGradient,
} from "./_winograd.ts";
import { random } from "./testdata/random.ts";

loadBlas();

/** The geometry of a valid convolution of one h x w x ci image by a square filter. */
function info(h: number, w: number, ci: number, co: number, filter = 3, stride = 1): ConvInfo {
  return backend_util.computeConv2DInfo(
    [1, h, w, ci],
    [filter, filter, ci, co],
    stride,
    1,
    "valid",
  );
}

/** The direct convolution: nine shifted sgemms over the input's grid, as the fused step did. */
function direct(x: Float32Array, g: Float32Array, n: number, c: ConvInfo): Float32Array {
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = c;
  const rows = n * h * w;
  const valid = rows - (2 * w + 2);
  const grid = new Float32Array(rows * co);
  for (let k = 0; k < 9; k++) {
    const s = Math.floor(k / 3) * w + (k % 3);
    sgemm(
      false,
      false,
      valid,
      co,
      ci,
      1,
      x.subarray(s * ci, (valid + s) * ci),
      ci,
      g.subarray(k * ci * co, (k + 1) * ci * co),
      co,
      1,
      grid,
      co,
    );
  }
  return grid;
}

Deno.test("winograd: the forward matches the direct shifted-GEMM convolution on random data", () => {
  for (const [n, h, w, ci, co, chunk] of [[13, 26, 26, 32, 64, 12], [3, 8, 10, 4, 8, 2]]) {
    const c = info(h, w, ci, co);
    assert(winogradApplies(c));
    const x = random(n * h * w * ci, 1 + n), g = random(9 * ci * co, 2 + n);
    const want = direct(x, g, n, c);
    const wg = winograd(c, chunk);
    assert.equal(wg.images, chunk);
    wg.setFilter(g);
    let maxErr = 0, scale = 0, compared = 0;
    for (let c0 = 0; c0 < n; c0 += chunk) {
      const c1 = Math.min(n, c0 + chunk);
      wg.input.set(x.subarray(c0 * h * w * ci, c1 * h * w * ci));
      wg.run(c1 - c0);
      for (let im = c0; im < c1; im++) {
        for (let y = 0; y < c.outHeight; y++) {
          for (let xx = 0; xx < c.outWidth; xx++) {
            for (let o = 0; o < co; o++) {
              const at = ((im * h + y) * w + xx) * co + o;
              const got = wg.grid[at - c0 * h * w * co];
              maxErr = Math.max(maxErr, Math.abs(got - want[at]));
              scale = Math.max(scale, Math.abs(want[at]));
              compared++;
            }
          }
        }
      }
    }
    assert.equal(compared, n * c.outHeight * c.outWidth * co);
    assert(scale > 1, `scale ${scale}`);
    assert(maxErr / scale < 1e-5, `max error ${maxErr} of scale ${scale}`);
  }
});

Deno.test("winograd: the pooled forward equals maxPool2x2 and epilogue of its grid, bit for bit", () => {
  const [n, h, w, ci, co, chunk] = [5, 26, 26, 32, 64, 2];
  const c = info(h, w, ci, co);
  const x = random(n * h * w * ci, 7);
  // Image 1 is zero (ties of zeros, signed zeros); image 2 holds infinities and a NaN
  // (windows where a NaN would win beside values that are not NaN, and all-NaN windows).
  x.fill(0, h * w * ci, 2 * h * w * ci);
  for (const [at, v] of [[100, Infinity], [2000, -Infinity], [9001, NaN], [15000, Infinity]]) {
    x[2 * h * w * ci + at] = v;
  }
  const g = random(9 * ci * co, 8), b = random(co, 9);
  const wg = winograd(c, chunk);
  wg.setFilter(g);
  wg.bias.set(b);
  const [ph, pw] = [c.outHeight / 2, c.outWidth / 2];
  let mixed = 0, allNaN = 0;
  for (let c0 = 0; c0 < n; c0 += chunk) {
    const count = Math.min(n, c0 + chunk) - c0;
    wg.input.set(x.subarray(c0 * h * w * ci, (c0 + count) * h * w * ci));
    wg.run(count);
    const size = count * ph * pw * co;
    const want = new Float32Array(size), wantAt = new Int32Array(size);
    maxPool2x2(wg.grid, want, wantAt, count, h, w, co, ph, pw);
    epilogue(want, count * ph * pw, co, b, true);
    for (let i = 0; i < size; i++) {
      const o = i % co, window = (i - o) / co;
      const [oy, ox] = [Math.floor((window % (ph * pw)) / pw), window % pw];
      const top = ((Math.floor(window / (ph * pw)) * h + 2 * oy) * w + 2 * ox) * co + o;
      const nans = [0, co, w * co, (w + 1) * co].filter((d) => Number.isNaN(wg.grid[top + d]));
      if (nans.length === 4) allNaN++;
      else if (nans.length > 0) mixed++;
    }
    wg.runPooled(count);
    assert.deepEqual(wg.argmax.subarray(0, size), wantAt);
    assert.deepEqual(
      new Int32Array(wg.pooled.buffer, wg.pooled.byteOffset, size),
      new Int32Array(want.buffer, 0, size),
    );
  }
  assert(mixed > 0 && allNaN > 0, `windows with some NaN ${mixed}, all NaN ${allNaN}`);
});

/**
 * The direct input gradient: nine shifted sgemms of dz (in a grid at the input's resolution,
 * zero outside the outputs, after 2w + 2 zero rows) by the transposed filter taps.
 */
function directInputGradient(dz: Float32Array, g: Float32Array, n: number, c: ConvInfo) {
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = c;
  const rows = n * h * w, lead = (2 * w + 2) * co;
  const dx = new Float32Array(rows * ci);
  for (let k = 0; k < 9; k++) {
    const s = (Math.floor(k / 3) * w + (k % 3)) * co;
    sgemm(
      false,
      true,
      rows,
      ci,
      co,
      1,
      dz.subarray(lead - s, lead + rows * co - s),
      co,
      g.subarray(k * ci * co, (k + 1) * ci * co),
      co,
      1,
      dx,
      ci,
    );
  }
  return dx;
}

Deno.test("winograd: the input gradient matches the direct shifted-GEMM one on random data", () => {
  for (
    const [n, h, w, ci, co, chunk] of [
      [13, 26, 26, 32, 64, 2],
      [13, 26, 26, 32, 64, 6],
      [3, 8, 10, 4, 8, 2],
    ]
  ) {
    const c = info(h, w, ci, co);
    const lead = 2 * w + 2;
    // dz at the outputs only, in a grid at the input's resolution after `lead` zero rows.
    const dz = new Float32Array((lead + n * h * w) * co);
    const values = random(dz.length, 3 + n);
    for (let im = 0; im < n; im++) {
      for (let y = 0; y < c.outHeight; y++) {
        for (let x = 0; x < c.outWidth; x++) {
          const at = (lead + (im * h + y) * w + x) * co;
          dz.set(values.subarray(at, at + co), at);
        }
      }
    }
    const g = random(9 * ci * co, 4 + n);
    const want = directInputGradient(dz, g, n, c);
    const ig = winogradInputGradient(c, chunk);
    assert.equal(ig.images, chunk);
    ig.setFilter(g);
    // Garbage in dIn around what each chunk writes: every value must be overwritten.
    const got = new Float32Array(n * h * w * ci).fill(1e6);
    for (let c0 = 0; c0 < n; c0 += chunk) {
      ig.run(dz.subarray(lead * co), c0, Math.min(n, c0 + chunk) - c0, got);
    }
    let maxErr = 0, scale = 0;
    for (let i = 0; i < got.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    assert(scale > 1, `scale ${scale}`);
    assert(maxErr / scale < 1e-5, `max error ${maxErr} of scale ${scale}`);
  }
});

/**
 * The direct filter gradient, per tap [co][ci] (as the fused step keeps it): nine shifted
 * sgemms dz^T x over the grid (dz at the input's resolution, zero outside the outputs).
 */
function directFilterGradient(x: Float32Array, dz: Float32Array, n: number, c: ConvInfo) {
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = c;
  const valid = n * h * w - (2 * w + 2);
  const dwT = new Float32Array(9 * ci * co);
  for (let k = 0; k < 9; k++) {
    const s = Math.floor(k / 3) * w + (k % 3);
    sgemm(
      true,
      false,
      co,
      ci,
      valid,
      1,
      dz.subarray(0, valid * co),
      co,
      x.subarray(s * ci, (valid + s) * ci),
      ci,
      0,
      dwT.subarray(k * ci * co, (k + 1) * ci * co),
      ci,
    );
  }
  return dwT;
}

Deno.test("winograd: the filter gradient matches the direct shifted-GEMM one on random data", () => {
  for (
    const [n, h, w, ci, co, chunk] of [
      [13, 26, 26, 32, 64, 6],
      [13, 26, 26, 32, 64, 13],
      [13, 26, 26, 32, 64, 1],
      [3, 8, 10, 4, 8, 2],
    ]
  ) {
    const c = info(h, w, ci, co);
    const x = random(n * h * w * ci, 5 + n);
    // dz at the outputs; garbage past them (rows and columns the tiles must not read).
    const dz = random(n * h * w * co, 6 + n);
    const garbage = new Float32Array(dz.length).fill(1e6);
    for (let i = 0; i < dz.length; i += co) {
      const y = Math.floor(i / co / w) % h, xx = (i / co) % w;
      if (y >= c.outHeight || xx >= c.outWidth) dz.fill(0, i, i + co);
      else garbage.set(dz.subarray(i, i + co), i);
    }
    const want = directFilterGradient(x, dz, n, c);
    const fg = winogradFilterGradient(c, chunk);
    assert.equal(fg.images, chunk);
    const got = new Float32Array(9 * ci * co).fill(NaN);
    // Twice: the second sum must not carry anything of the first.
    for (let round = 0; round < 2; round++) {
      fg.reset();
      for (let c0 = 0; c0 < n; c0 += chunk) {
        const c1 = Math.min(n, c0 + chunk);
        fg.input.set(x.subarray(c0 * h * w * ci, c1 * h * w * ci));
        fg.dz.set(garbage.subarray(c0 * h * w * co, c1 * h * w * co));
        fg.add(c1 - c0);
      }
      fg.result(got);
      let maxErr = 0, scale = 0;
      for (let i = 0; i < want.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
        scale = Math.max(scale, Math.abs(want[i]));
      }
      assert(scale > 1, `scale ${scale}`);
      assert(maxErr / scale < 1e-5, `chunk ${chunk}: max error ${maxErr} of scale ${scale}`);
    }
  }
});

Deno.test("winograd: the filter gradient of nothing added is zero", () => {
  const fg = winogradFilterGradient(info(8, 10, 4, 8), 2);
  fg.reset();
  const got = new Float32Array(9 * 4 * 8).fill(NaN);
  fg.result(got);
  assert.deepEqual([...new Set(got)], [0]);
});

Deno.test("winograd: applies to 3x3, stride 1, valid, even outputs, channels by 4 only", () => {
  assert(winogradApplies(info(26, 26, 32, 64)));
  assert.equal(winogradApplies(info(27, 26, 32, 64)), false); // odd output height
  assert.equal(winogradApplies(info(26, 26, 3, 64)), false); // channels not by 4
  assert.equal(winogradApplies(info(26, 26, 32, 64, 5)), false); // 5x5
  assert.equal(winogradApplies(info(26, 26, 32, 64, 3, 2)), false); // stride 2
});

Deno.test("winograd: arrays of another memory are refused, not read", () => {
  const c = info(26, 26, 32, 64);
  const wg = winograd(c, 2);
  assert.throws(
    () => wg.runPooled(1, new Float32Array(26 * 26 * 32)),
    /^Error: wasm: an array outside the kernels' memory$/,
  );
  const fg = winogradFilterGradient(c, 2);
  assert.throws(
    () => fg.add(1, fg.input, new Float32Array(26 * 26 * 64)),
    /outside the kernels' memory/,
  );
});

Deno.test("winograd: the buffers of a shape are made once per thread", () => {
  const c = info(26, 26, 32, 64);
  assert.equal(winograd(c, 6), winograd(c, 6));
  assert.equal(winogradInputGradient(c, 2), winogradInputGradient(c, 2));
  assert.notEqual(winogradInputGradient(c, 2), winogradInputGradient(c, 3));
});
