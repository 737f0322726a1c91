/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same
 * shuffles, initial weights and dropout masks on every machine.
 * @module
 */

/** Seeded generator of uniform numbers in [0, 1) and derived helpers. */
export class Rng {
  #state: number;

  /** Creates a generator; any integer seed (taken modulo 2^32). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /**
   * The generator's whole state (one unsigned 32-bit integer): a generator given it back
   * continues the same sequence (checkpoints keep it).
   */
  get state(): number {
    return this.#state;
  }

  set state(value: number) {
    this.#state = value >>> 0;
  }

  /** Next uniform float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Next unsigned 32-bit integer (used to seed other generators). */
  nextUint32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Uint32Array {
    const out = Uint32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
}
