/**
 * Turns a greyscale picture of a digit of any size into a 28x28 MNIST image the way MNIST
 * was made: light digit on black (a picture with a light background is inverted first), the
 * digit's bounding box scaled to fit 20x20 keeping its aspect ratio (anti-aliased), then
 * placed in the 28x28 field so that its centre of mass falls on pixel (14, 14).
 * @module
 */

import type { GreyImage } from "./png.ts";

/** Side of an MNIST image. */
export const SIDE = 28;
/** Side of the box the digit is scaled to fit. */
export const BOX = 20;
/** Samples per output pixel along each axis when scaling (anti-aliasing). */
const SUPERSAMPLE = 4;

/** A picture with nothing on it to classify; the message is one line. */
export class BlankImageError extends Error {
  /** The error's class name, as printed before the message. */
  override name = "BlankImageError";
}

/** Mean of the border pixels: the background's brightness. */
function borderMean(img: GreyImage): number {
  const { width: w, height: h, pixels } = img;
  let sum = 0, n = 0;
  for (let x = 0; x < w; x++) {
    sum += pixels[x] + pixels[(h - 1) * w + x];
    n += 2;
  }
  for (let y = 1; y < h - 1; y++) {
    sum += pixels[y * w] + pixels[y * w + w - 1];
    n += 2;
  }
  return sum / n;
}

/** Bilinear sample of `ink` (w x h) at (x, y) in pixel-centre coordinates. */
function bilinear(ink: Float32Array, w: number, h: number, x: number, y: number): number {
  const cx = Math.min(Math.max(x, 0), w - 1), cy = Math.min(Math.max(y, 0), h - 1);
  const x0 = Math.floor(cx), y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
  const fx = cx - x0, fy = cy - y0;
  const top = ink[y0 * w + x0] * (1 - fx) + ink[y0 * w + x1] * fx;
  const bottom = ink[y1 * w + x0] * (1 - fx) + ink[y1 * w + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}

/**
 * Converts a picture into MNIST's form.
 * @param img greyscale, values in [0, 255]
 * @returns 784 values in [0, 255] (MNIST's raw pixel scale), light digit on black
 * @throws BlankImageError when the picture is one flat colour
 * @example
 * ```ts
 * const pixels = toMnist(decodePng(await Deno.readFile("seven.png")));
 * ```
 */
export function toMnist(img: GreyImage): Float32Array {
  const { width: w, height: h } = img;
  const invert = borderMean(img) > 127.5;
  const ink = Float32Array.from(img.pixels, (v) => (invert ? 255 - v : v));
  // The background level (darkest ink) is 0; the digit is what stands out of it.
  let lo = Infinity, hi = -Infinity;
  for (const v of ink) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (hi - lo < 1) throw new BlankImageError("the image is one flat colour: no digit to read");
  for (let i = 0; i < ink.length; i++) ink[i] = ((ink[i] - lo) / (hi - lo)) * 255;
  // Bounding box of the ink (above 10% of full scale, so noise does not stretch it).
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ink[y * w + x] > 25.5) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const ow = Math.max(1, Math.round(bw * scale)), oh = Math.max(1, Math.round(bh * scale));
  // Scale the box to ow x oh, averaging SUPERSAMPLE^2 bilinear samples per pixel.
  const small = new Float32Array(ow * oh);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let sum = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = x0 + ((ox + (sx + 0.5) / SUPERSAMPLE) * bw) / ow - 0.5;
          const y = y0 + ((oy + (sy + 0.5) / SUPERSAMPLE) * bh) / oh - 0.5;
          sum += bilinear(ink, w, h, x, y);
        }
      }
      small[oy * ow + ox] = sum / (SUPERSAMPLE * SUPERSAMPLE);
    }
  }
  // Centre of mass of the scaled digit (pixel indices), moved to pixel (14, 14) of the field
  // as in MNIST's own images.
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const v = small[y * ow + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const clamp = (v: number, size: number) => Math.min(Math.max(v, 0), SIDE - size);
  const left = clamp(Math.round(SIDE / 2 - mx / mass), ow);
  const top = clamp(Math.round(SIDE / 2 - my / mass), oh);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) out[(top + y) * SIDE + left + x] = small[y * ow + x];
  }
  return out;
}
