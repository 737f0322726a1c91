/**
 * A minimal PNG encoder for the tests (8-bit samples, filters none or sub). This module
 * defines no tests itself.
 * @module
 */

import { deflateSync } from "node:zlib";

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(name: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(new TextEncoder().encode(name), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/**
 * Encodes 8-bit samples as a PNG (each row with filter `filter`, 0 = none, 1 = sub) of
 * colour type `type` (0 grey, 2 RGB, 4 grey+alpha, 6 RGBA).
 */
export function encodePng(
  width: number,
  height: number,
  samples: Uint8Array,
  type: 0 | 2 | 4 | 6,
  filter: 0 | 1 = 0,
): Uint8Array {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const v = samples[y * stride + i];
      const left = filter === 1 && i >= channels ? samples[y * stride + i - channels] : 0;
      raw[y * (stride + 1) + 1 + i] = (v - left) & 255;
    }
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, type, 0, 0, 0], 8);
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
