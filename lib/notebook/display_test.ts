import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { decode as decodePng } from "fast-png";
import * as vegaLite from "vega-lite";
import { setupBackend } from "../blas/mod.ts";
import { loadMnist, type Split } from "../data/mod.ts";
import { createModel } from "../model/mod.ts";
import { CHART_SCHEMA } from "../report/mod.ts";
import {
  chartBundle,
  confusionChart,
  confusionMatrix,
  crc32,
  datasetFilesTable,
  digitGridPng,
  digitGridSvg,
  digitSheet,
  encodePng,
  envChoice,
  envFlag,
  envInt,
  epochLossPoints,
  firstOfEachClass,
  labelCounts,
  labelDistributionChart,
  misclassified,
  predictLabels,
  reportSections,
  trainingLossChart,
  VEGA_LITE_MIME,
} from "./display.ts";
import { evaluate } from "../train/mod.ts";

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** The PNG chunks as [type, data], checking each CRC. */
function chunks(png: Uint8Array): [string, Uint8Array][] {
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: [string, Uint8Array][] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    assert.equal(view.getUint32(at + 8 + length), crc32(png.subarray(at + 4, at + 8 + length)));
    out.push([type, data]);
    at += 12 + length;
  }
  return out;
}

Deno.test("crc32 gives the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

Deno.test("encodePng writes IHDR, IDAT and IEND whose rows inflate back to the pixels", () => {
  const pixels = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
  const png = encodePng(pixels, 5, 3, 3);
  const parts = chunks(png);
  assert.deepEqual(parts.map(([t]) => t), ["IHDR", "IDAT", "IEND"]);
  const ihdr = new DataView(parts[0][1].buffer, parts[0][1].byteOffset);
  assert.deepEqual([ihdr.getUint32(0), ihdr.getUint32(4)], [5, 3]);
  assert.deepEqual([...parts[0][1].subarray(8)], [8, 2, 0, 0, 0]);
  const raw = inflateSync(parts[1][1]);
  assert.equal(raw.length, 3 * (1 + 15));
  for (let y = 0; y < 3; y++) {
    assert.equal(raw[y * 16], 0);
    assert.deepEqual([...raw.subarray(y * 16 + 1, y * 16 + 16)], [
      ...pixels.subarray(y * 15, y * 15 + 15),
    ]);
  }
});

Deno.test("encodePng output decodes with fast-png (an independent decoder) to the same pixels", () => {
  const gray = Uint8Array.from({ length: 7 * 4 }, (_, i) => (i * 53 + 11) % 256);
  const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
  const rgba = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 29 + 3) % 256);
  for (
    const [pixels, w, h, channels] of [
      [gray, 7, 4, 1],
      [rgb, 5, 3, 3],
      [rgba, 3, 2, 4],
    ] as const
  ) {
    const image = decodePng(encodePng(pixels, w, h, channels), { checkCrc: true });
    assert.deepEqual(
      [image.width, image.height, image.channels, image.depth],
      [w, h, channels, 8],
    );
    assert.deepEqual([...image.data], [...pixels]);
  }
});

Deno.test("encodePng rejects a pixel count that does not match the size", () => {
  assert.throws(
    () => encodePng(new Uint8Array(10), 3, 3, 1),
    {
      name: "RangeError",
      message: "10 bytes do not make a 3x3 image with 1 channels (expected 9)",
    },
  );
});

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

Deno.test("confusionMatrix counts true class by predicted class", () => {
  const m = confusionMatrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 0, 2], 3);
  assert.deepEqual(m, [[1, 0, 0], [0, 1, 1], [1, 0, 2]]);
  assert.throws(() => confusionMatrix([0, 1], [0], 3), /2 labels but 1 predictions/);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /class out of range at 1/);
});

Deno.test("misclassified, labelCounts and firstOfEachClass", () => {
  assert.deepEqual(misclassified([1, 2, 3, 4], [1, 0, 3, 0]), [1, 3]);
  assert.deepEqual(misclassified([1, 2, 3, 4], [0, 0, 0, 0], 2), [0, 1]);
  assert.deepEqual(labelCounts([0, 9, 9, 3]), [1, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
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

Deno.test("envInt, envFlag, envChoice: defaults, values, one-line errors naming the variable", () => {
  const name = "NB_TEST_PARAMETER";
  try {
    Deno.env.delete(name);
    assert.equal(envInt(name, 7), 7);
    assert.equal(envFlag(name, true), true);
    Deno.env.set(name, " 512 ");
    assert.equal(envInt(name, 7), 512);
    for (const bad of ["0", "-3", "1.5", "12abc", "1e3"]) {
      Deno.env.set(name, bad);
      assert.throws(() => envInt(name, 7), {
        message: `${name} must be a positive integer, got '${bad}'`,
      });
    }
    Deno.env.set(name, "yes");
    assert.equal(envFlag(name, false), true);
    Deno.env.set(name, "0");
    assert.equal(envFlag(name, true), false);
    Deno.env.set(name, "maybe");
    assert.throws(() => envFlag(name, true), /NB_TEST_PARAMETER must be one of .* got 'maybe'/);
    assert.throws(() => envChoice(name, ["a", "b"], "a"), {
      message: "NB_TEST_PARAMETER must be one of a, b; got 'maybe'",
    });
    Deno.env.set(name, "b");
    assert.equal(envChoice(name, ["a", "b"], "a"), "b");
    Deno.env.delete(name);
    assert.equal(envChoice(name, ["a", "b"], "a"), "a");
  } finally {
    Deno.env.delete(name);
  }
});

Deno.test("the notebook charts compile with vega-lite and keep their data", () => {
  const matrix = confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2], 3);
  const specs = [
    labelDistributionChart([0, 1, 1, 9], [2, 2]),
    confusionChart(matrix, "test"),
    trainingLossChart(
      [
        { epoch: 0.5, loss: 2, series: "training (running mean)" },
        ...epochLossPoints([
          {
            epoch: 1,
            lr: 1,
            trainLoss: 1.5,
            trainAcc: 0.5,
            valLoss: 1.2,
            valAcc: 0.6,
            epochTime: 1,
            trainTime: 1,
            evalTime: 0,
          },
        ]),
      ],
      2,
    ),
  ];
  for (const spec of specs) {
    // deno-lint-ignore no-explicit-any
    assert.ok(vegaLite.compile(spec as any).spec);
    assert.equal(spec.$schema, CHART_SCHEMA, "the report's schema");
  }
  const conf = (specs[1].data as { values: { count: number }[] }).values;
  assert.equal(conf.length, 9);
  assert.equal(conf.reduce((s, v) => s + v.count, 0), 4);
  const dist = (specs[0].data as { values: { split: string; digit: string; percent: number }[] })
    .values;
  assert.equal(dist.find((v) => v.split === "train (4)" && v.digit === "1")?.percent, 50);
  assert.equal(dist.find((v) => v.split === "test (2)" && v.digit === "2")?.percent, 100);
  const loss = (specs[2].data as { values: { segment: number; series: string }[] }).values;
  assert.deepEqual(loss.map((v) => [v.series, v.segment]), [
    ["training (running mean)", 1],
    ["training (running mean)", 1],
    ["validation", 0],
  ]);
});

Deno.test("chartBundle holds the spec under the v5 MIME type with a PNG or SVG fallback", async () => {
  const spec = labelDistributionChart([0, 1], [1]);
  const bundle = await chartBundle(spec);
  const vl = bundle[VEGA_LITE_MIME] as Record<string, unknown>;
  assert.equal(vl.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  assert.deepEqual(vl.data, spec.data);
  const png = fromBase64(bundle["image/png"] as string);
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  assert.equal(bundle["text/plain"], "<chart: Label distribution>");
  const svg = await chartBundle(spec, { fallback: "svg" });
  assert.match(svg["image/svg+xml"] as string, /^<svg /);
  assert.equal(svg["image/png"], undefined);
});

Deno.test("datasetFilesTable lists every file with its size and hash", () => {
  const table = datasetFilesTable([
    { name: "a.gz", bytes: 1234567, sha256: "ab".repeat(32) },
    { name: "b", bytes: 5, sha256: "cd".repeat(32) },
  ]);
  assert.equal(
    table,
    [
      "| File | Bytes | SHA-256 |",
      "| --- | --- | --- |",
      `| \`a.gz\` | 1,234,567 | \`${"ab".repeat(32)}\` |`,
      `| \`b\` | 5 | \`${"cd".repeat(32)}\` |`,
    ].join("\n"),
  );
});

Deno.test("reportSections splits at headings and turns chart lines into charts", () => {
  const spec = { mark: "point" };
  const markdown = [
    "# Title",
    "",
    "Intro.",
    "",
    "## Sweep a: epochs",
    "",
    "| a | b |",
    "",
    "![Elapsed](charts/epochs_elapsed.svg)",
    "",
    "Elapsed ([Vega-Lite spec](charts/epochs_elapsed.vl.json))",
    "",
    "After.",
    "",
    "## Environment",
    "",
    "Text.",
  ].join("\n");
  const sections = reportSections({
    markdown,
    charts: [
      { name: "epochs_elapsed", title: "Elapsed", spec },
      { name: "orphan", title: "Orphan", spec },
    ],
  }, "charts");
  assert.deepEqual(sections.map((s) => s.heading), [
    "",
    "Sweep a: epochs",
    "Environment",
    "Other charts",
  ]);
  assert.deepEqual(sections[0].blocks, [{ kind: "markdown", text: "# Title\n\nIntro." }]);
  assert.deepEqual(sections[1].blocks, [
    { kind: "markdown", text: "## Sweep a: epochs\n\n| a | b |" },
    { kind: "chart", name: "epochs_elapsed", title: "Elapsed", spec },
    { kind: "markdown", text: "After." },
  ]);
  assert.deepEqual(sections[3].blocks, [{ kind: "chart", name: "orphan", title: "Orphan", spec }]);
});

Deno.test("predictLabels agrees with the training loop's evaluate()", async () => {
  await setupBackend("auto");
  const data = await loadMnist({ limitTrain: 1, limitTest: 300 });
  const model = createModel(3);
  try {
    const predictions = predictLabels(model, data.test, 128);
    const correct = predictions.filter((p, i) => p === data.test.labels[i]).length;
    assert.equal(correct / data.test.count, evaluate(model, data.test, 128).acc);
    assert.ok(new Set(predictions).size > 1, "an untrained model still predicts several classes");
  } finally {
    model.dispose();
  }
});
