import assert from "node:assert/strict";
import { Resvg } from "@resvg/resvg-js";
import { encodePng } from "./encode_png_test.ts";
import { decodePng, PngError } from "./png.ts";

Deno.test("png: grey, RGB, grey+alpha and RGBA decode to the same greyscale", () => {
  const grey = Uint8Array.of(0, 64, 128, 255, 10, 20);
  const rgb = Uint8Array.from([...grey].flatMap((v) => [v, v, v]));
  for (const [type, samples] of [[0, grey], [2, rgb]] as const) {
    for (const filter of [0, 1] as const) {
      const img = decodePng(encodePng(3, 2, samples, type, filter));
      assert.equal(img.width, 3);
      assert.equal(img.height, 2);
      assert.deepEqual([...img.pixels].map((v) => Math.round(v)), [...grey]);
    }
  }
  // Transparent pixels are white; half-transparent black is mid grey.
  const ga = decodePng(encodePng(2, 1, Uint8Array.of(0, 0, 0, 128), 4));
  assert.deepEqual([...ga.pixels].map((v) => Math.round(v)), [255, 127]);
  const rgba = decodePng(encodePng(1, 1, Uint8Array.of(255, 0, 0, 255), 6));
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
    [encodePng(2, 2, new Uint8Array(4), 0).slice(0, 40), /truncated|no image data/],
  ];
  const interlaced = encodePng(1, 1, new Uint8Array(1), 0);
  interlaced[8 + 8 + 12] = 1; // IHDR's interlace byte
  cases.push([interlaced, /^interlaced PNGs are not supported$/]);
  for (const [bytes, re] of cases) {
    assert.throws(
      () => decodePng(bytes),
      (e: Error) => e instanceof PngError && re.test(e.message),
    );
  }
});
