/**
 * The training loop of one trial: Adadelta with StepLR, averaged train metrics per epoch,
 * evaluation on the test split after every epoch, divergence and interruption handling.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { Adadelta, reseedDropout, trainableVariables } from "../model/mod.ts";
import { batchCount, type Mnist, orderedBatches, Rng, shuffledBatches } from "../data/mod.ts";
import type { EpochMetrics } from "../record/mod.ts";
import { peakRssBytes } from "./memory.ts";
import { evalBatch, trainStep } from "./step.ts";

/** Hyper-parameters of the loop. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  gamma: number;
  seed: number;
  testBatchSize: number;
}

/** Progress within an epoch, reported after every training batch. */
export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  /** Mean training loss so far in this epoch. */
  runningLoss: number;
  /** Seconds since the epoch started. */
  elapsed: number;
}

/** Callbacks of {@link train}; all optional. */
export interface TrainCallbacks {
  onBatch?: (p: BatchProgress) => void;
  onEpoch?: (m: EpochMetrics) => void;
  /** When aborted, the loop stops at the next batch with status `interrupted`. */
  signal?: AbortSignal;
}

/** How the loop ended and what it measured. */
export interface TrainOutcome {
  status: "ok" | "diverged" | "interrupted";
  epochs: EpochMetrics[];
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

/** Yields to the event loop so signals (Ctrl-C) and timers get a turn. */
function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Evaluates the model on a split: mean NLL and accuracy (fraction). */
export function evaluate(
  model: tf.LayersModel,
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

/**
 * Trains `model` on `data.train`, evaluating on `data.test` after each epoch. The learning
 * rate is multiplied by `gamma` after every epoch (StepLR with step 1).
 */
export async function train(
  model: tf.LayersModel,
  data: Mnist,
  options: TrainOptions,
  callbacks: TrainCallbacks = {},
): Promise<TrainOutcome> {
  const rng = new Rng(options.seed);
  const vars = trainableVariables(model);
  const optimizer = new Adadelta(options.lr);
  const epochs: EpochMetrics[] = [];
  const batches = batchCount(data.train.count, options.batchSize);
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
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
      callbacks.onEpoch?.(metrics);
      await breathe();
      if (callbacks.signal?.aborted) return { status: "interrupted", epochs, divergence: null };
    }
    return { status: "ok", epochs, divergence: null };
  } finally {
    optimizer.dispose();
  }
}
