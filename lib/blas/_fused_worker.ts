/**
 * The helper thread of `_fused_helper.ts`: builds the same context as the main thread on
 * the shared memory and buffers, then runs the phases it is handed (`_fused_kernels.ts`); ends after
 * `idleMs` without one.
 * @module
 */

import { workerData } from "node:worker_threads";
import { useLoadedBlas } from "./openblas.ts";
import { buildContext, Phase, rowsPhase, weightsPhase } from "./_fused_kernels.ts";
import { Ctl, type HelperData, State } from "./_fused_helper.ts";

const data = workerData as HelperData;
useLoadedBlas(data.blas);
const ctx = buildContext(data.layout, data.weights, data.state, data.memory);
const ctl = new Int32Array(data.ctl);
const seeds = new Float64Array(data.seeds);

let seen = 0;
for (;;) {
  if (Atomics.wait(ctl, Ctl.seq, seen, data.idleMs) === "timed-out") {
    // Retire unless the main thread has just claimed this thread for a phase.
    if (Atomics.compareExchange(ctl, Ctl.state, State.idle, State.retired) === State.idle) break;
    continue;
  }
  seen = Atomics.load(ctl, Ctl.seq);
  try {
    const [t, n, n0, n1] = [ctl[Ctl.thread], ctl[Ctl.n], ctl[Ctl.n0], ctl[Ctl.n1]];
    const numbers = Array.from(seeds.subarray(0, ctl[Ctl.seeds]));
    if (ctl[Ctl.phase] === Phase.rows) {
      rowsPhase(ctx, t, n, n0, n1, numbers, ctl[Ctl.clear] === 1);
    } else if (ctl[Ctl.phase] === Phase.evaluate) {
      rowsPhase(ctx, t, n, n0, n1, [], false, false);
    } else {
      weightsPhase(ctx, t, n, n0, n1, numbers.length > 0 ? numbers : null);
    }
  } catch (e) {
    console.error(`fused helper thread: ${e instanceof Error ? e.message : e}`);
    Atomics.store(ctl, Ctl.error, 1);
  }
  // Idle before done: the main thread may claim it again as soon as it sees done.
  Atomics.store(ctl, Ctl.state, State.idle);
  Atomics.store(ctl, Ctl.done, seen);
  Atomics.notify(ctl, Ctl.done);
}
