import assert from "node:assert/strict";
import { Resvg } from "@resvg/resvg-js";
import { inflateSync } from "node:zlib";
import { decode as fastPngDecode } from "fast-png";
import { crc32, decodePng, encodePng, PngError } from "./png.ts";

Deno.test("png: grey, RGB, grey+alpha and RGBA decode to the same greyscale", () => {
  const grey = Uint8Array.of(0, 64, 128, 255, 10, 20);
  const rgb = Uint8Array.from([...grey].flatMap((v) => [v, v, v]));
  for (const [type, samples] of [[0, grey], [2, rgb]] as const) {
    for (const filter of [0, 1] as const) {
      const img = decodePng(encodePng(samples, 3, 2, type === 0 ? 1 : 3, filter));
      assert.equal(img.width, 3);
      assert.equal(img.height, 2);
      assert.deepEqual([...img.pixels].map((v) => Math.round(v)), [...grey]);
    }
  }
  // Transparent pixels are white; half-transparent black is mid grey.
  const ga = decodePng(encodePng(Uint8Array.of(0, 0, 0, 128), 2, 1, 2));
  assert.deepEqual([...ga.pixels].map((v) => Math.round(v)), [255, 127]);
  const rgba = decodePng(encodePng(Uint8Array.of(255, 0, 0, 255), 1, 1, 4));
  assert.equal(Math.round(rgba.pixels[0]), 76); // 0.299 * 255
});

Deno.test("png: a PNG rendered by resvg (filters, RGBA) reads back its drawing", () => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">
    <rect width="40" height="30" fill="white"/><rect x="10" y="5" width="20" height="10"/></svg>`;
  const png = new Resvg(svg).render().asPng();
  const img = decodePng(png);
  assert.equal(img.width, 40);
  assert.equal(img.height, 30);
  const at = (x: number, y: number) => Math.round(img.pixels[y * 40 + x]);
  assert.equal(at(0, 0), 255);
  assert.equal(at(15, 10), 0);
  assert.equal(at(35, 25), 255);
  assert.equal(img.pixels.filter((v) => v < 128).length, 200);
});

Deno.test("png: what is not a readable PNG is one line", () => {
  const cases: [Uint8Array, RegExp][] = [
    [new TextEncoder().encode("hello"), /^not a PNG file \(no PNG signature\)$/],
    [encodePng(new Uint8Array(4), 2, 2).slice(0, 40), /truncated|no image data/],
  ];
  const interlaced = encodePng(new Uint8Array(1), 1, 1);
  interlaced[8 + 8 + 12] = 1; // IHDR's interlace byte
  cases.push([interlaced, /^interlaced PNGs are not supported$/]);
  for (const [bytes, re] of cases) {
    assert.throws(
      () => decodePng(bytes),
      (e: Error) => e instanceof PngError && re.test(e.message),
    );
  }
});

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

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
    const image = fastPngDecode(encodePng(pixels, w, h, channels), { checkCrc: true });
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
