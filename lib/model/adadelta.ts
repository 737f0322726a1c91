/**
 * Adadelta exactly as PyTorch's `torch.optim.Adadelta` computes it (no weight decay):
 * square_avg = rho*sa + (1-rho)*g^2; delta = sqrt(acc_delta+eps)/sqrt(square_avg+eps)*g;
 * acc_delta = rho*ad + (1-rho)*delta^2; p -= lr*delta.
 * On the `blas` and `cpu` backends one fused pass per variable updates its Float32Array in
 * place; other backends use TensorFlow.js ops.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Tensor, Variable } from "./tf_types.ts";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { adadeltaUpdate } from "../blas/mod.ts";

/** The running averages of one variable, on CPU backends (in SharedArrayBuffers). */
export interface FlatState {
  /** Running average of the squared gradients, one per element of the variable. */
  squareAvg: Float32Array;
  /** Running average of the squared updates, one per element of the variable. */
  accDelta: Float32Array;
}

/** Adadelta optimizer with a mutable learning rate (for StepLR). */
export class Adadelta {
  /** Learning rate applied to the next update. */
  learningRate: number;
  /** Decay of the running averages (PyTorch's `rho`, 0.9 by default). */
  readonly rho: number;
  /** Added inside the square roots so that no update divides by zero (PyTorch's `eps`). */
  readonly eps: number;
  /** Use the fused in-place update when the backend keeps Float32Arrays (cpu, blas). */
  fused = true;
  #squareAvg = new Map<Variable, Variable>();
  #accDelta = new Map<Variable, Variable>();
  #flat = new Map<Variable, FlatState>();

  /** Creates the optimizer; defaults are PyTorch's (rho 0.9, eps 1e-6). */
  constructor(lr: number, rho = 0.9, eps = 1e-6) {
    this.learningRate = lr;
    this.rho = rho;
    this.eps = eps;
  }

  #state(map: Map<Variable, Variable>, v: Variable): Variable {
    let s = map.get(v);
    if (!s) {
      s = tf.variable(tf.zerosLike(v), false);
      map.set(v, s);
    }
    return s;
  }

  /** Applies one update to each variable from its gradient (same order). */
  applyGradients(vars: Variable[], grads: Tensor[]): void {
    const backend = tf.backend();
    if (this.fused && backend instanceof MathBackendCPU && this.#squareAvg.size === 0) {
      this.#applyFused(backend, vars, grads);
    } else {
      this.#applyOps(vars, grads);
    }
  }

  /**
   * Applies one update to each variable from its gradient given as a flat Float32Array (same
   * order); needs the variables on a CPU backend (cpu, blas) and the fused update.
   */
  applyArrays(vars: Variable[], grads: Float32Array[]): void {
    const backend = tf.backend();
    if (!(backend instanceof MathBackendCPU) || !this.fused || this.#squareAvg.size > 0) {
      throw new Error("Adadelta.applyArrays: needs the fused update on a CPU backend");
    }
    vars.forEach((v, i) => this.#updateFlat(backend, v, grads[i]));
  }

  /**
   * The fused update's state of `v` (zeros at first), in SharedArrayBuffers so that another
   * thread can update part of it (the fused training step does).
   */
  flatState(v: Variable): FlatState {
    let state = this.#flat.get(v);
    if (!state) {
      const zeros = () => new Float32Array(new SharedArrayBuffer(4 * v.size));
      state = { squareAvg: zeros(), accDelta: zeros() };
      this.#flat.set(v, state);
    }
    return state;
  }

  /**
   * Copies of the running averages of `vars` (zeros for a variable not updated yet), for a
   * checkpoint; {@link setState} puts them back.
   * @param vars the variables, in a fixed order
   * @returns one state per variable, same order
   */
  getState(vars: Variable[]): FlatState[] {
    return vars.map((v) => {
      const flat = this.#flat.get(v);
      if (flat) return { squareAvg: flat.squareAvg.slice(), accDelta: flat.accDelta.slice() };
      const sa = this.#squareAvg.get(v), ad = this.#accDelta.get(v);
      return {
        squareAvg: sa ? Float32Array.from(sa.dataSync()) : new Float32Array(v.size),
        accDelta: ad ? Float32Array.from(ad.dataSync()) : new Float32Array(v.size),
      };
    });
  }

  /**
   * Replaces the running averages of `vars` (from {@link getState}); call it before the first
   * update. On CPU backends with the fused update the state goes where that update reads it.
   * @param vars the variables, same order as `states`
   * @param states one state per variable, each array of the variable's size
   */
  setState(vars: Variable[], states: FlatState[]): void {
    const flat = this.fused && tf.backend() instanceof MathBackendCPU;
    vars.forEach((v, i) => {
      const { squareAvg, accDelta } = states[i];
      if (squareAvg.length !== v.size || accDelta.length !== v.size) {
        throw new Error(`Adadelta.setState: state of ${v.name} has the wrong size`);
      }
      if (flat) {
        const state = this.flatState(v);
        state.squareAvg.set(squareAvg);
        state.accDelta.set(accDelta);
      } else {
        this.#squareAvg.get(v)?.dispose();
        this.#accDelta.get(v)?.dispose();
        tf.tidy(() => {
          this.#squareAvg.set(v, tf.variable(tf.tensor(squareAvg, v.shape), false));
          this.#accDelta.set(v, tf.variable(tf.tensor(accDelta, v.shape), false));
        });
      }
    });
  }

  #applyFused(backend: MathBackendCPU, vars: Variable[], grads: Tensor[]): void {
    vars.forEach((v, i) => {
      const g = grads[i];
      if (g.dtype !== "float32" || g.size !== v.size) {
        throw new Error(
          `Adadelta: variable ${v.name} and its gradient must be float32 of one size`,
        );
      }
      const values = backend.data.get(g.dataId).values as Float32Array;
      this.#updateFlat(backend, v, values.subarray(0, g.size));
    });
  }

  #updateFlat(backend: MathBackendCPU, v: Variable, grad: Float32Array): void {
    const { rho, eps } = this;
    const lr = this.learningRate;
    if (v.dtype !== "float32" || grad.length !== v.size) {
      throw new Error(`Adadelta: variable ${v.name} and its gradient must be float32 of one size`);
    }
    const state = this.flatState(v);
    if (backend.refCount(v.dataId) === 1) {
      const param = backend.data.get(v.dataId).values as Float32Array;
      adadeltaUpdate(param, grad, state.squareAvg, state.accDelta, lr, rho, eps);
    } else {
      // Another tensor shares the variable's storage: update a copy and assign it.
      const param = Float32Array.from(backend.data.get(v.dataId).values as Float32Array);
      adadeltaUpdate(param, grad, state.squareAvg, state.accDelta, lr, rho, eps);
      tf.tidy(() => v.assign(tf.tensor(param, v.shape, "float32")));
    }
  }

  #applyOps(vars: Variable[], grads: Tensor[]): void {
    const { rho, eps } = this;
    const lr = this.learningRate;
    tf.tidy(() => {
      vars.forEach((v, i) => {
        const g = grads[i];
        const flat = this.#flat.get(v);
        if (flat && !this.#squareAvg.has(v)) {
          // Switched away from a CPU backend: carry the state over.
          this.#squareAvg.set(v, tf.variable(tf.tensor(flat.squareAvg, v.shape), false));
          this.#accDelta.set(v, tf.variable(tf.tensor(flat.accDelta, v.shape), false));
          this.#flat.delete(v);
        }
        const sa = this.#state(this.#squareAvg, v);
        const ad = this.#state(this.#accDelta, v);
        const newSa = tf.add(tf.mul(sa, rho), tf.mul(tf.square(g), 1 - rho));
        const delta = tf.mul(tf.div(tf.sqrt(tf.add(ad, eps)), tf.sqrt(tf.add(newSa, eps))), g);
        const newAd = tf.add(tf.mul(ad, rho), tf.mul(tf.square(delta), 1 - rho));
        sa.assign(newSa);
        ad.assign(newAd);
        v.assign(tf.sub(v, tf.mul(delta, lr)));
      });
    });
  }

  /** Frees the optimizer's state. */
  dispose(): void {
    for (const s of [...this.#squareAvg.values(), ...this.#accDelta.values()]) s.dispose();
    this.#squareAvg.clear();
    this.#accDelta.clear();
    this.#flat.clear();
  }
}
