import assert from "node:assert/strict";
import { loadBlas } from "./openblas.ts";
import { buildContext, type Layout, Phase } from "./_fused_kernels.ts";
import { FusedHelper } from "./_fused_helper.ts";
import { backend_util } from "@tensorflow/tfjs-core";

loadBlas();

/** A tiny context: one 3x3 convolution on 6x6x1 images, pool, one dense layer. */
function tinyContext() {
  const conv = backend_util.computeConv2DInfo([1, 6, 6, 1], [3, 3, 1, 2], 1, 1, "valid");
  const layout: Layout = {
    capacity: 4,
    input: [6, 6, 1],
    convs: [conv],
    pooled: [2, 2],
    poolDropout: null,
    dense: [{ inputs: 8, units: 3, relu: false, dropout: null }],
  };
  const sizes = [9 * 2, 2, 8 * 3, 3];
  const weights = sizes.map((n) => new SharedArrayBuffer(4 * n));
  const ctx = buildContext(layout, weights, []);
  ctx.weights.forEach((w) => w.forEach((_, i) => w[i] = Math.sin(i + 1) / 4));
  ctx.images.forEach((_, i) => ctx.images[i] = Math.cos(i));
  ctx.labels.set([0, 1, 2, 1]);
  return ctx;
}

Deno.test("fused helper: runs a phase on the shared buffers, then retires when idle", async () => {
  const ctx = tinyContext();
  const helper = new FusedHelper(ctx, 100);
  try {
    // Evaluation of images 2..4 on the helper (thread 1): its loss and correct count land in
    // the second half of the sums.
    assert.equal(helper.start(Phase.evaluate, 1, 4, 2, 4, [], false), true);
    helper.wait();
    const { sums, slots } = ctx;
    const loss = sums[slots.size + slots.loss];
    assert.ok(loss > 0 && Number.isFinite(loss), `loss ${loss}`);
    assert.equal(sums[slots.loss], 0); // thread 0's half untouched
    // Idle past its limit, the thread ends and says so instead of taking the next phase.
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(helper.start(Phase.evaluate, 1, 4, 2, 4, [], false), false);
    helper.wait(); // nothing pending: returns at once
  } finally {
    helper.close();
  }
});

Deno.test("fused helper: a failing phase is reported on the main thread", () => {
  const ctx = tinyContext();
  const helper = new FusedHelper(ctx);
  try {
    // Images 0..9 of a context that holds 4: the helper's sgemm refuses the short operands.
    assert.equal(helper.start(Phase.evaluate, 1, 10, 0, 10, [], false), true);
    assert.throws(() => helper.wait(), /the phase failed on the helper thread/);
  } finally {
    helper.close();
  }
});
