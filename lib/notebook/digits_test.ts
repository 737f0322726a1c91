import assert from "node:assert/strict";
import type { Split } from "../data/mod.ts";
import { digitGridPng, digitGridSvg, digitSheet, firstOfEachClass } from "./digits.ts";

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** A split of `count` synthetic images: image i has every pixel equal to 10 * i + row. */
function syntheticSplit(count: number): Split {
  const pixels = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 784; p++) pixels[i * 784 + p] = 10 * i + Math.floor(p / 28);
  }
  return { count, pixels, labels: Uint8Array.from({ length: count }, (_, i) => i % 10) };
}

Deno.test("digitSheet places upscaled, inverted digits row by row", () => {
  const split = syntheticSplit(5);
  const sheet = digitSheet(split, [4, 1, 2], { columns: 2, scale: 2, captionHeight: 10 });
  assert.equal(sheet.columns, 2);
  assert.equal(sheet.rows, 2);
  assert.equal(sheet.width, 2 * (56 + 8));
  assert.equal(sheet.height, 2 * (56 + 4 + 10));
  const at = (x: number, y: number) => sheet.pixels[y * sheet.width + x];
  // cell 0 holds image 4: pixel (0,0) of the image at (4,4); row r is value 40 + r.
  assert.equal(at(4, 4), 255 - 40);
  assert.equal(at(5, 5), 255 - 40); // same source pixel, upscaled
  assert.equal(at(4, 6), 255 - 41);
  // cell 1 (second column) holds image 1; cell 2 (second row) holds image 2.
  assert.equal(at(64 + 4, 4 + 2 * 27), 255 - (10 + 27));
  assert.equal(at(4, 70 + 4), 255 - 20);
  // padding and the empty fourth cell stay white.
  assert.equal(at(0, 0), 255);
  assert.equal(at(64 + 30, 70 + 30), 255);
  assert.throws(() => digitSheet(split, [5]), /image index 5 is outside the split \(0\.\.4\)/);
});

Deno.test("digitGridSvg writes one escaped caption per image and checks their number", () => {
  const split = syntheticSplit(3);
  const svg = digitGridSvg(split, [0, 1], ["0", { text: "7 → <2>", color: "red" }]);
  assert.equal(svg.match(/<text /g)?.length, 2);
  assert.match(svg, /fill="red">7 → &lt;2&gt;<\/text>/);
  assert.match(svg, /data:image\/png;base64,iVBORw0KGgo/);
  assert.throws(() => digitGridSvg(split, [0, 1], ["0"]), /1 captions for 2 images/);
  const png = digitGridPng(split, [0, 1, 2], ["a", "b", "c"]);
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
});

Deno.test("firstOfEachClass takes the first images of every class, class by class", () => {
  const split = syntheticSplit(25); // labels 0..9, 0..9, 0..4
  assert.deepEqual(firstOfEachClass(split, 2), [
    0,
    10,
    1,
    11,
    2,
    12,
    3,
    13,
    4,
    14,
    5,
    15,
    6,
    16,
    7,
    17,
    8,
    18,
    9,
    19,
  ]);
});
