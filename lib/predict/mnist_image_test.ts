import assert from "node:assert/strict";
import { loadMnist } from "../data/mod.ts";
import { BlankImageError, toMnist } from "./mnist_image.ts";

/** Bounding box and centre of mass (pixel indices) of the ink (> 25) of a 28x28 image. */
function geometry(px: Float32Array) {
  let x0 = 28, x1 = -1, y0 = 28, y1 = -1, m = 0, mx = 0, my = 0;
  px.forEach((v, i) => {
    const x = i % 28, y = Math.floor(i / 28);
    m += v;
    mx += v * x;
    my += v * y;
    if (v > 25) {
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    }
  });
  return { w: x1 - x0 + 1, h: y1 - y0 + 1, cx: mx / m, cy: my / m };
}

Deno.test("toMnist: a real digit, dark on white, 3x larger and off-centre, comes back MNIST-like", async () => {
  const data = await loadMnist({ limitTrain: 1, limitTest: 3 });
  for (let k = 0; k < 3; k++) {
    const digit = Float32Array.from(data.test.pixels.subarray(k * 784, (k + 1) * 784));
    const W = 130, H = 100;
    const pixels = new Float32Array(W * H).fill(255);
    for (let y = 0; y < 84; y++) {
      for (let x = 0; x < 84; x++) {
        pixels[(y + 10) * W + x + 40] = 255 - digit[Math.floor(y / 3) * 28 + Math.floor(x / 3)];
      }
    }
    const out = toMnist({ width: W, height: H, pixels });
    const g = geometry(out);
    assert.equal(Math.max(g.w, g.h), 20, `digit ${k}: fits 20x20 (${g.w}x${g.h})`);
    assert.ok(Math.abs(g.cx - 14) <= 0.5 && Math.abs(g.cy - 14) <= 0.5, `digit ${k}: centred`);
    // Close to MNIST's own image of it (which was made the same way).
    let diff = 0;
    out.forEach((v, i) => diff += Math.abs(v - digit[i]));
    assert.ok(diff / 784 < 5, `digit ${k}: mean difference ${diff / 784}`);
  }
});

Deno.test("toMnist: a light-on-dark picture is not inverted; aspect ratio is kept", () => {
  // A bar 10 wide, 40 tall, light on black.
  const W = 60, H = 60;
  const pixels = new Float32Array(W * H);
  for (let y = 10; y < 50; y++) for (let x = 5; x < 15; x++) pixels[y * W + x] = 200;
  const g = geometry(toMnist({ width: W, height: H, pixels }));
  assert.deepEqual([g.w, g.h], [5, 20]);
  assert.ok(Math.abs(g.cx - 14) <= 0.5 && Math.abs(g.cy - 14) <= 0.5);
});

Deno.test("toMnist: a flat picture has no digit", () => {
  assert.throws(
    () => toMnist({ width: 5, height: 5, pixels: new Float32Array(25).fill(255) }),
    BlankImageError,
  );
});
