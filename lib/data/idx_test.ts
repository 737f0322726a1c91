import assert from "node:assert/strict";
import { IdxError, parseImages, parseLabels } from "./idx.ts";
import { encodeImages, encodeLabels, IMAGES_MAGIC, LABELS_MAGIC } from "./idx_encode_test.ts";

const images = {
  count: 3,
  rows: 28,
  cols: 28,
  pixels: Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 256),
};

Deno.test("idx: labels and images round-trip through encode and parse", () => {
  const labels = Uint8Array.of(7, 0, 9);
  assert.deepEqual(parseLabels(encodeLabels(labels)), labels);
  const parsed = parseImages(encodeImages(images));
  assert.equal(parsed.count, 3);
  assert.deepEqual(parsed.pixels, images.pixels);
});

Deno.test("idx: header is big-endian with the standard magic numbers", () => {
  const bytes = encodeImages(images);
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 8, 3, 0, 0, 0, 3]);
  assert.equal(new DataView(encodeLabels(Uint8Array.of(1)).buffer).getUint32(0), LABELS_MAGIC);
  assert.equal(IMAGES_MAGIC, 2051);
});

Deno.test("idx: each kind of corruption is an IdxError naming the file", () => {
  const labels = encodeLabels(Uint8Array.of(1, 2, 3));
  const cases: [() => unknown, RegExp][] = [
    [() => parseLabels(labels.subarray(0, 6), "L"), /^L: truncated header/],
    [
      () => parseLabels(labels.subarray(0, 10), "L"),
      /^L: 10 bytes, expected 11 for 3 labels \(truncated\)/,
    ],
    [() => parseLabels(Uint8Array.of(...labels, 0), "L"), /trailing data/],
    [() => parseLabels(encodeImages(images), "L"), /^L: bad magic number 2051 \(expected 2049\)/],
    [
      () => parseLabels(encodeLabels(Uint8Array.of(1, 10)), "L"),
      /^L: label 10 at index 1 \(expected 0\.\.9\)/,
    ],
    [
      () => parseImages(encodeLabels(new Uint8Array(20)), "I"),
      /^I: bad magic number 2049 \(expected 2051\)/,
    ],
    [() => parseImages(encodeImages(images).subarray(0, 100), "I"), /^I: 100 bytes, expected 2368/],
    [
      () =>
        parseImages(
          encodeImages({ count: 1, rows: 27, cols: 29, pixels: new Uint8Array(783) }),
          "I",
        ),
      /^I: images are 27x29 \(expected 28x28\)/,
    ],
  ];
  for (const [fn, re] of cases) {
    assert.throws(fn, (e: Error) => e instanceof IdxError && re.test(e.message));
  }
});
