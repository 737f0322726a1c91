/**
 * The dropout mask of {@link SeededDropout}: mulberry32 numbers compared with the rate, one per
 * element. No TensorFlow.js import, so the fused step's helper thread loads it cheaply.
 * @module
 */

/**
 * Fills `mask` with 0 (dropped, probability `rate`) or 1/(1-rate) (kept), drawing one
 * mulberry32 number per element from `seed`: mask[j] is dropped exactly when number
 * start + j of `new Rng(seed)` (counting from 0) is below `rate`, so a mask can be filled in
 * pieces.
 */
export function fillDropoutMask(
  mask: Float32Array,
  rate: number,
  seed: number,
  start = 0,
): Float32Array {
  const threshold = rate * 4294967296;
  const scale = 1 / (1 - rate);
  let s = (seed + Math.imul(start, 0x6d2b79f5)) | 0;
  for (let i = 0; i < mask.length; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    // Branch-free keep = u >= threshold: (u - threshold) / 2^33 lies in (-0.5, 0.5).
    const keep = (((t ^ (t >>> 14)) >>> 0) - threshold) / 8589934592 + 1;
    mask[i] = (keep | 0) * scale;
  }
  return mask;
}

/**
 * The integer form of {@link fillDropoutMask}'s test for the wasm kernel: a number u (an
 * unsigned 32-bit integer) is dropped exactly when u < ceil(rate * 2^32), returned as the
 * int32 with those bits.
 * @param rate the dropout rate, in [0, 1)
 */
export function dropoutThreshold(rate: number): number {
  return Math.ceil(rate * 4294967296) | 0;
}
