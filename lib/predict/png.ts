/**
 * PNG in and out, the one PNG codec of the project. The decoder reads digit images: every
 * colour type (grey, RGB, palette, with or without alpha) at bit depths 1 to 16, not
 * interlaced, into greyscale luminance composited onto white where the image is transparent.
 * The encoder writes 8-bit grey, grey+alpha, RGB or RGBA (the notebooks' pictures, the tests').
 * @module
 */

import { deflateSync, inflateSync } from "node:zlib";

/** A greyscale image: `width * height` values in [0, 255], row by row. */
export interface GreyImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height` grey levels in [0, 255], row after row from the top left. */
  pixels: Float32Array;
}

/** A file that is not a PNG this decoder reads; the message is one line. */
export class PngError extends Error {
  /** The error's class name, as printed before the message. */
  override name = "PngError";
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Channels per colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters in place; returns the raw rows without their filter bytes. */
function unfilter(data: Uint8Array, height: number, stride: number, bpp: number): Uint8Array {
  if (data.length < height * (stride + 1)) throw new PngError("image data is truncated");
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)];
    const row = data.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      const x = row[i];
      switch (filter) {
        case 0:
          cur[i] = x;
          break;
        case 1:
          cur[i] = x + a;
          break;
        case 2:
          cur[i] = x + b;
          break;
        case 3:
          cur[i] = x + ((a + b) >> 1);
          break;
        case 4:
          cur[i] = x + paeth(a, b, c);
          break;
        default:
          throw new PngError(`unknown row filter ${filter}`);
      }
    }
  }
  return out;
}

/**
 * Decodes a PNG file's bytes into greyscale (ITU-R BT.601 luminance), transparent parts
 * composited onto white.
 * @param bytes the file's contents
 * @returns the image, values in [0, 255]
 * @throws PngError for anything but a valid, non-interlaced PNG
 */
export function decodePng(bytes: Uint8Array): GreyImage {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new PngError("not a PNG file (no PNG signature)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, depth = 0, type = -1;
  let palette: Uint8Array | null = null;
  let paletteAlpha: Uint8Array | null = null;
  let greyKey: number | null = null;
  const idat: Uint8Array[] = [];
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const name = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (body.length !== length) throw new PngError(`chunk ${name} is truncated`);
    if (name === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = body[8];
      type = body[9];
      if (body[12] !== 0) throw new PngError("interlaced PNGs are not supported");
    } else if (name === "PLTE") {
      palette = body;
    } else if (name === "tRNS") {
      if (type === 3) paletteAlpha = body;
      if (type === 0 && body.length >= 2) greyKey = (body[0] << 8) | body[1];
    } else if (name === "IDAT") {
      idat.push(body);
    } else if (name === "IEND") {
      break;
    }
    at += 12 + length;
  }
  const channels = CHANNELS[type];
  if (channels === undefined || width === 0 || height === 0) {
    throw new PngError("no valid IHDR chunk");
  }
  if (![1, 2, 4, 8, 16].includes(depth) || (channels > 1 && type !== 3 && depth < 8)) {
    throw new PngError(`bit depth ${depth} is not valid for colour type ${type}`);
  }
  if (width * height > 64_000_000) throw new PngError(`${width}x${height} is too large`);
  if (type === 3 && palette === null) throw new PngError("palette image without PLTE chunk");
  if (idat.length === 0) throw new PngError("no image data (IDAT)");
  let data: Uint8Array;
  try {
    data = new Uint8Array(inflateSync(concat(idat)));
  } catch {
    throw new PngError("image data does not inflate (corrupt)");
  }
  const bitsPerPixel = channels * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const raw = unfilter(data, height, stride, Math.max(1, bitsPerPixel >> 3));
  const sample = (row: number, index: number): number => {
    const base = row * stride;
    if (depth === 16) return (raw[base + 2 * index] << 8) | raw[base + 2 * index + 1];
    if (depth === 8) return raw[base + index];
    const bit = index * depth;
    return (raw[base + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  const max = (1 << depth) - 1;
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let grey: number, alpha = 1;
      if (type === 3) {
        const i = sample(y, x);
        if (3 * i + 2 >= palette!.length) throw new PngError(`palette index ${i} out of range`);
        grey = luminance(palette![3 * i], palette![3 * i + 1], palette![3 * i + 2]);
        if (paletteAlpha && i < paletteAlpha.length) alpha = paletteAlpha[i] / 255;
      } else {
        const s = (c: number) => (sample(y, x * channels + c) / max) * 255;
        grey = type === 0 || type === 4 ? s(0) : luminance(s(0), s(1), s(2));
        if (type === 4) alpha = s(1) / 255;
        if (type === 6) alpha = s(3) / 255;
        if (type === 0 && greyKey !== null && sample(y, x) === greyKey) alpha = 0;
      }
      pixels[y * width + x] = grey * alpha + 255 * (1 - alpha);
    }
  }
  return { width, height, pixels };
}

function luminance(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- encoding ----

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/**
 * CRC-32 (the PNG/zlib polynomial) of `bytes`.
 * @param bytes the bytes
 * @returns the checksum, an unsigned 32-bit integer
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG colour type per channel count: grey, grey+alpha, RGB, RGBA. */
const COLOR_TYPES: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/**
 * Encodes 8-bit pixels as a PNG file, not interlaced.
 * @param pixels the samples, row after row, `channels` per pixel
 * @param width width in pixels
 * @param height height in pixels
 * @param channels 1 grey, 2 grey and alpha, 3 RGB, 4 RGBA
 * @param filter the filter of every row: 0 none, 1 sub (the left neighbour's difference)
 * @returns the PNG file's bytes
 * @throws {RangeError} when the pixel count does not match the size
 * @example
 * ```ts
 * const png = encodePng(new Uint8Array([0, 255, 255, 0]), 2, 2); // a 2x2 grey checker
 * ```
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4 = 1,
  filter: 0 | 1 = 0,
): Uint8Array {
  if (!(channels in COLOR_TYPES)) {
    throw new RangeError(`channels must be 1, 2, 3 or 4, got ${channels}`);
  }
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `${pixels.length} bytes do not make a ${width}x${height} image with ${channels} channels ` +
        `(expected ${width * height * channels})`,
    );
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, COLOR_TYPES[channels], 0, 0, 0], 8);
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1)); // the filter byte, then the row
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const at = y * (stride + 1);
    raw[at] = filter;
    if (filter === 0) raw.set(row, at + 1);
    else for (let i = 0; i < stride; i++) raw[at + 1 + i] = row[i] - (row[i - channels] ?? 0);
  }
  return concat([
    Uint8Array.from(SIGNATURE),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ]);
}
