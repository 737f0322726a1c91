import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  FILE_NAMES,
  gatherImages,
  loadMnist,
  MNIST_MEAN,
  MNIST_STD,
  NORMALISED,
  orderedBatches,
  shuffledBatches,
} from "./mnist.ts";
import { IdxError } from "./idx.ts";
import { encodeImages, encodeLabels } from "./idx_encode_test.ts";
import { Rng } from "./rng.ts";

/** Writes a small IDX data set (n train, m test) into a temporary directory. */
async function writeSet(n: number, m: number, gz = false): Promise<string> {
  const dir = await Deno.makeTempDir();
  const put = (name: string, bytes: Uint8Array) =>
    Deno.writeFile(`${dir}/${name}${gz ? ".gz" : ""}`, gz ? gzipSync(bytes) : bytes);
  const img = (k: number, off: number) => ({
    count: k,
    rows: 28,
    cols: 28,
    pixels: Uint8Array.from({ length: k * 784 }, (_, i) => (i + off) % 256),
  });
  await put(FILE_NAMES.trainImages, encodeImages(img(n, 0)));
  await put(FILE_NAMES.trainLabels, encodeLabels(Uint8Array.from({ length: n }, (_, i) => i % 10)));
  await put(FILE_NAMES.testImages, encodeImages(img(m, 7)));
  await put(
    FILE_NAMES.testLabels,
    encodeLabels(Uint8Array.from({ length: m }, (_, i) => (i * 3) % 10)),
  );
  return dir;
}

Deno.test("data: the bundled MNIST files have the original counts and hashes", async () => {
  const d = await loadMnist();
  assert.equal(d.train.count, 60000);
  assert.equal(d.test.count, 10000);
  assert.deepEqual(d.files.map((f) => f.name), [
    FILE_NAMES.trainImages,
    FILE_NAMES.trainLabels,
    FILE_NAMES.testImages,
    FILE_NAMES.testLabels,
  ]);
  assert.deepEqual(d.files.map((f) => f.bytes), [47040016, 60008, 7840016, 10008]);
  for (const f of d.files) assert.match(f.sha256, /^[0-9a-f]{64}$/);
  // The first training label of MNIST is a 5, the first test label a 7.
  assert.equal(d.train.labels[0], 5);
  assert.equal(d.test.labels[0], 7);
  // Normalised training pixels have mean 0 and std 1 to two decimals.
  const x = gatherImages(d.train, Uint32Array.from({ length: 60000 }, (_, i) => i));
  let sum = 0;
  let sq = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / x.length;
  const std = Math.sqrt(sq / x.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.01, `std ${std}`);
});

Deno.test("data: plain and .gz directories load the same, hashes of the stored files", async () => {
  const plain = await loadMnist({ dataDir: await writeSet(20, 10) });
  const gz = await loadMnist({ dataDir: await writeSet(20, 10, true) });
  assert.deepEqual(gz.train.pixels, plain.train.pixels);
  assert.deepEqual(gz.test.labels, plain.test.labels);
  assert.equal(gz.files[0].name, `${FILE_NAMES.trainImages}.gz`);
  assert.notEqual(gz.files[0].sha256, plain.files[0].sha256);
});

Deno.test("data: limits keep the first N images; a limit beyond the data is a RangeError", async () => {
  const dir = await writeSet(20, 10);
  const d = await loadMnist({ dataDir: dir, limitTrain: 5, limitTest: 3 });
  assert.equal(d.train.count, 5);
  assert.deepEqual([...d.train.labels], [0, 1, 2, 3, 4]);
  assert.equal(d.test.pixels.length, 3 * 784);
  await assert.rejects(
    () => loadMnist({ dataDir: dir, limitTrain: 21 }),
    (e: Error) =>
      e instanceof RangeError &&
      /--limit-train 21 is larger than the data \(20 images\)/.test(e.message),
  );
});

Deno.test("data: missing, mismatched or corrupt files name the file", async () => {
  const dir = await writeSet(4, 4);
  await Deno.remove(`${dir}/${FILE_NAMES.testLabels}`);
  await assert.rejects(
    () => loadMnist({ dataDir: dir }),
    (e: Error) =>
      e instanceof IdxError && e.message.includes(`${dir}/${FILE_NAMES.testLabels}: missing`),
  );
  await Deno.writeFile(`${dir}/${FILE_NAMES.testLabels}`, encodeLabels(Uint8Array.of(1, 2)));
  await assert.rejects(() => loadMnist({ dataDir: dir }), /4 images but .* has 2 labels/);
  await Deno.writeFile(`${dir}/${FILE_NAMES.testLabels}.gz`, Uint8Array.of(1, 2, 3));
  await Deno.remove(`${dir}/${FILE_NAMES.testLabels}`);
  await assert.rejects(
    () => loadMnist({ dataDir: dir }),
    /labels-idx1-ubyte\.gz: corrupt gzip data/,
  );
});

Deno.test("data: shuffled batches cover every image once and repeat for a seed", () => {
  const split = {
    count: 10,
    pixels: Uint8Array.from({ length: 7840 }, (_, i) => Math.floor(i / 784)),
    labels: Uint8Array.from({ length: 10 }, (_, i) => i),
  };
  const run = (seed: number) => [...shuffledBatches(split, 4, new Rng(seed))];
  const a = run(1);
  assert.deepEqual(a.map((b) => b.size), [4, 4, 2]);
  const seen = a.flatMap((b) => [...b.labels]).sort((x, y) => x - y);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(run(1).map((b) => [...b.labels]), a.map((b) => [...b.labels]));
  assert.notDeepEqual(run(2).map((b) => [...b.labels]), a.map((b) => [...b.labels]));
  // Pixels and one-hot labels follow the chosen image.
  const b = a[0];
  assert.equal(b.images[784], NORMALISED[b.labels[1]]);
  assert.equal(b.oneHot[10 + b.labels[1]], 1);
  assert.equal(b.oneHot.reduce((s, v) => s + v, 0), 4);
  assert.deepEqual([...orderedBatches(split, 6)].map((x) => [...x.labels]), [[0, 1, 2, 3, 4, 5], [
    6,
    7,
    8,
    9,
  ]]);
  assert.ok(Math.abs(NORMALISED[255] - (1 - MNIST_MEAN) / MNIST_STD) < 1e-6);
});
