/**
 * The training loop of one trial: Adadelta with StepLR, averaged train metrics per epoch,
 * evaluation on the test split after every epoch, divergence and interruption handling.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { LayersModel, Variable } from "../model/mod.ts";
import { Adadelta, type FlatState, reseedDropout, trainableVariables } from "../model/mod.ts";
import { batchCount, type Mnist, orderedBatches, Rng, shuffledBatches } from "../data/mod.ts";
import type { EpochMetrics, TrialArgs } from "../record/mod.ts";
import { peakRssBytes } from "./memory.ts";
import { evalBatch, trainStep } from "./step.ts";

/** Hyper-parameters of the loop: the trial arguments it uses (defined in `lib/record/args.ts`). */
export interface TrainOptions
  extends Pick<TrialArgs, "epochs" | "batchSize" | "lr" | "gamma" | "seed" | "testBatchSize"> {
  /** Continue from this state (a checkpoint's) instead of from epoch 1. */
  resume?: TrainState | null;
}

/**
 * Everything the loop carries from one epoch to the next: with it, training continues exactly
 * as if it had never stopped (same shuffles, dropout masks, updates, numbers).
 */
export interface TrainState {
  /** The finished epochs' metrics, as measured then. */
  epochs: EpochMetrics[];
  /** Learning rate of the next epoch (StepLR's position). */
  lr: number;
  /** State of the generator behind shuffling and every dropout mask. */
  rngState: number;
  /** Trainable variables' values, in layer order. */
  weights: Float32Array[];
  /** Adadelta's running averages, one per variable. */
  optimizer: FlatState[];
}

/** Progress within an epoch, reported after every training batch. */
export interface BatchProgress {
  /** The epoch running, from 1. */
  epoch: number;
  /** Batches finished in this epoch, from 1. */
  batch: number;
  /** Batches in the epoch. */
  batches: number;
  /** Mean training loss so far in this epoch. */
  runningLoss: number;
  /** Seconds since the epoch started. */
  elapsed: number;
}

/** Callbacks of {@link train}; all optional. */
export interface TrainCallbacks {
  /** Called after every training batch. */
  onBatch?: (p: BatchProgress) => void;
  /** Called after every epoch, once its validation pass is done. */
  onEpoch?: (m: EpochMetrics) => void;
  /** Called (and awaited) after every epoch, before `onEpoch`, with the state to continue from. */
  onState?: (state: TrainState) => Promise<void>;
  /** When aborted, the loop stops at the next batch with status `interrupted`. */
  signal?: AbortSignal;
}

/** How the loop ended and what it measured. */
export interface TrainOutcome {
  /** `ok` after the last epoch, `diverged` at a non-finite or runaway loss, `interrupted` when aborted. */
  status: "ok" | "diverged" | "interrupted";
  /** The finished epochs' metrics, including those done before a resume. */
  epochs: EpochMetrics[];
  /** Where the loss blew up (epoch from 1, batch from 1, its loss); null unless `diverged`. */
  divergence: { epoch: number; batch: number; loss: number } | null;
}

/**
 * A mean NLL above this counts as divergence, like NaN and infinity: the model then gives
 * the true class a probability below e^-10000 (it starts at 2.3 = ln 10). With `--lr 1e6`
 * the loss jumps to about 1e20 yet stays finite in float32, so a finite-only check misses it.
 */
export const DIVERGED_LOSS = 1e4;

/** True when a batch loss means training has blown up. */
export function isDiverged(loss: number): boolean {
  return !Number.isFinite(loss) || loss > DIVERGED_LOSS;
}

/**
 * Yields to the event loop so signals (Ctrl-C, SIGTERM) and timers get a turn, once per
 * training step. A timer, not `setImmediate`: with `setImmediate` a trial under load was seen
 * to miss SIGINT for over 10 s (its sweep then killed it, and its record lost its epochs); a
 * timer costs 3-6 ms per step on a loaded 2-core machine, 0.01 ms on an idle one.
 */
function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Evaluates the model on a split: mean NLL and accuracy (fraction). */
export function evaluate(
  model: LayersModel,
  split: Mnist["test"],
  batchSize: number,
): { loss: number; acc: number } {
  let lossSum = 0;
  let correct = 0;
  for (const b of orderedBatches(split, batchSize)) {
    const r = evalBatch(model, b.images, b.oneHot, b.labels);
    lossSum += r.loss;
    correct += r.correct;
  }
  return { loss: lossSum / split.count, acc: correct / split.count };
}

/** Puts a saved {@link TrainState} back into the variables, optimizer and generator. */
function restoreState(vars: Variable[], optimizer: Adadelta, rng: Rng, state: TrainState) {
  if (state.weights.length !== vars.length || state.optimizer.length !== vars.length) {
    throw new Error(
      `resume: the state holds ${state.weights.length} variables, not ${vars.length}`,
    );
  }
  vars.forEach((v, i) => {
    if (state.weights[i].length !== v.size) {
      throw new Error(
        `resume: variable ${v.name} has ${v.size} values, the state ${state.weights[i].length}`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(state.weights[i], v.shape, "float32")));
  });
  optimizer.setState(vars, state.optimizer);
  optimizer.learningRate = state.lr;
  rng.state = state.rngState;
}

/**
 * Trains `model` on `data.train`, evaluating on `data.test` after each epoch. The learning
 * rate is multiplied by `gamma` after every epoch (StepLR with step 1). With `options.resume`
 * it continues after the state's last epoch, bit for bit as if it had never stopped.
 */
export async function train(
  model: LayersModel,
  data: Mnist,
  options: TrainOptions,
  callbacks: TrainCallbacks = {},
): Promise<TrainOutcome> {
  const rng = new Rng(options.seed);
  const vars = trainableVariables(model);
  const optimizer = new Adadelta(options.lr);
  const epochs: EpochMetrics[] = [];
  const batches = batchCount(data.train.count, options.batchSize);
  const resume = options.resume;
  if (resume) {
    restoreState(vars, optimizer, rng, resume);
    epochs.push(...resume.epochs);
  }
  try {
    for (let epoch = epochs.length + 1; epoch <= options.epochs; epoch++) {
      const lr = optimizer.learningRate;
      const t0 = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let batch = 0;
      let lastBreath = t0;
      for (const b of shuffledBatches(data.train, options.batchSize, rng)) {
        batch++;
        if (callbacks.signal?.aborted) return { status: "interrupted", epochs, divergence: null };
        reseedDropout(model, rng);
        const r = trainStep(model, vars, optimizer, b.images, b.oneHot, b.labels);
        if (isDiverged(r.loss)) {
          return { status: "diverged", epochs, divergence: { epoch, batch, loss: r.loss } };
        }
        lossSum += r.loss * b.size;
        correct += r.correct;
        seen += b.size;
        const now = performance.now();
        callbacks.onBatch?.({
          epoch,
          batch,
          batches,
          runningLoss: lossSum / seen,
          elapsed: (now - t0) / 1000,
        });
        if (now - lastBreath > 100) {
          await breathe();
          lastBreath = performance.now();
        }
      }
      const t1 = performance.now();
      const val = evaluate(model, data.test, options.testBatchSize);
      const t2 = performance.now();
      optimizer.learningRate = lr * options.gamma;
      const metrics: EpochMetrics = {
        epoch,
        lr,
        trainLoss: lossSum / seen,
        trainAcc: correct / seen,
        valLoss: val.loss,
        valAcc: val.acc,
        epochTime: (t2 - t0) / 1000,
        trainTime: (t1 - t0) / 1000,
        evalTime: (t2 - t1) / 1000,
        peakRssBytes: peakRssBytes(),
      };
      epochs.push(metrics);
      // The state first: once an epoch's line is out, the epoch is saved.
      if (callbacks.onState) {
        await callbacks.onState({
          epochs: [...epochs],
          lr: optimizer.learningRate,
          rngState: rng.state,
          weights: vars.map((v) => Float32Array.from(v.dataSync() as Float32Array)),
          optimizer: optimizer.getState(vars),
        });
      }
      callbacks.onEpoch?.(metrics);
      await breathe();
      if (callbacks.signal?.aborted) return { status: "interrupted", epochs, divergence: null };
    }
    return { status: "ok", epochs, divergence: null };
  } finally {
    optimizer.dispose();
  }
}
