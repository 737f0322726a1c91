/**
 * Test data for the blas kernels' tests.
 * @module
 */

/**
 * Deterministic pseudo-random floats in [-1, 1) (a linear congruential generator).
 * @param n how many
 * @param seed the generator's start
 * @returns n floats
 */
export function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}
