/**
 * The helper thread of the fused training step: the main thread hands it one phase of
 * `_fused_kernels.ts` for half the batch, runs the other half itself, then waits. The arrays
 * live in a shared wasm memory and SharedArrayBuffers both threads view alike; commands pass through a shared control
 * block (Atomics wait/notify, microseconds), not messages. The thread is unref'd (it never
 * keeps a finished program alive) and ends by itself after {@link IDLE_MS} without work
 * (a notebook's models do not pile up threads); the next phase then starts a new one.
 * @module
 */

import { Worker } from "node:worker_threads";
import type { Context } from "./_fused_kernels.ts";
import { loadBlas } from "./openblas.ts";

/** Control block slots (Int32), shared with `_fused_worker.ts`. */
export const Ctl = {
  seq: 0,
  done: 1,
  error: 2,
  phase: 3,
  thread: 4,
  n: 5,
  n0: 6,
  n1: 7,
  clear: 8,
  seeds: 9,
  /** {@link State} of the thread. */
  state: 10,
  size: 16,
} as const;

/** Values of the control block's state slot. */
export const State = { idle: 0, busy: 1, retired: 2 } as const;

/** Milliseconds without work after which the helper thread ends. */
export const IDLE_MS = 5000;

/** Most dropout seeds a phase passes. */
export const MAX_SEEDS = 16;

/** What the worker receives at start. */
export interface HelperData {
  /** Path of the BLAS library the main thread loaded. */
  blas: string;
  ctl: SharedArrayBuffer;
  seeds: SharedArrayBuffer;
  layout: Context["layout"];
  weights: SharedArrayBuffer[];
  state: SharedArrayBuffer[];
  /** The context's shared wasm memory (its arrays). */
  memory: WebAssembly.Memory;
  /** Milliseconds without work after which the thread ends. */
  idleMs: number;
}

/** A helper thread running phases on a context's buffers. */
export class FusedHelper {
  #worker: Worker;
  #ctl = new Int32Array(new SharedArrayBuffer(Ctl.size * 4));
  #seeds = new Float64Array(new SharedArrayBuffer(MAX_SEEDS * 8));
  #seq = 0;
  #pending = false;

  /** Starts the thread on `ctx` (its layout, weights and shared buffers). */
  constructor(ctx: Context, idleMs = IDLE_MS) {
    const data: HelperData = {
      blas: loadBlas(),
      ctl: this.#ctl.buffer as SharedArrayBuffer,
      seeds: this.#seeds.buffer as SharedArrayBuffer,
      layout: ctx.layout,
      weights: ctx.weights.map((w) => w.buffer as SharedArrayBuffer),
      state: ctx.state.flatMap((s) => [s.squareAvg, s.accDelta])
        .map((a) => a.buffer as SharedArrayBuffer),
      memory: ctx.memory,
      idleMs,
    };
    this.#worker = new Worker(new URL("./_fused_worker.ts", import.meta.url), {
      workerData: data,
    });
    this.#worker.unref();
  }

  /**
   * Hands phase `phase` for thread `thread`, images n0..n1 of n, to the helper, with its
   * numbers (dropout seeds, or Adadelta's hyper-parameters). Returns false, handing nothing
   * over, when the thread has ended after being idle (start a new helper).
   */
  start(
    phase: number,
    thread: number,
    n: number,
    n0: number,
    n1: number,
    seeds: number[],
    clear: boolean,
  ): boolean {
    if (this.#pending) throw new Error("fused helper: a phase is already running");
    if (seeds.length > MAX_SEEDS) throw new Error(`fused helper: more than ${MAX_SEEDS} seeds`);
    const ctl = this.#ctl;
    if (Atomics.compareExchange(ctl, Ctl.state, State.idle, State.busy) !== State.idle) {
      return false; // retired
    }
    ctl[Ctl.phase] = phase;
    ctl[Ctl.thread] = thread;
    ctl[Ctl.n] = n;
    ctl[Ctl.n0] = n0;
    ctl[Ctl.n1] = n1;
    ctl[Ctl.clear] = clear ? 1 : 0;
    ctl[Ctl.seeds] = seeds.length;
    this.#seeds.set(seeds);
    this.#pending = true;
    Atomics.store(ctl, Ctl.seq, ++this.#seq);
    Atomics.notify(ctl, Ctl.seq);
    return true;
  }

  /** Waits for the phase handed over last; throws if it failed there. */
  wait(): void {
    if (!this.#pending) return;
    const ctl = this.#ctl;
    for (;;) {
      const done = Atomics.load(ctl, Ctl.done);
      if (done === this.#seq) break;
      Atomics.wait(ctl, Ctl.done, done);
    }
    this.#pending = false;
    if (Atomics.exchange(ctl, Ctl.error, 0) !== 0) {
      throw new Error("fused helper: the phase failed on the helper thread (see above)");
    }
  }

  /** Stops the thread. */
  close(): void {
    this.#worker.terminate();
  }
}
