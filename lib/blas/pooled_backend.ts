/**
 * The CPU backend with a pool of Float32Arrays: outputs of the `blas` kernels are recycled
 * when their tensor is disposed, so big activations reuse memory that is already mapped
 * instead of faulting in fresh zeroed pages every step. An array is recycled only if it
 * never escaped: not read out (dataSync/data), not shared by a second tensor or a view.
 * @module
 */

import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { BackendValues, DataId, DataType } from "@tensorflow/tfjs-core";

/**
 * Turns off the banner MathBackendCPU prints on its first tensor in Node-like runtimes ("Hi,
 * looks like you are running TensorFlow.js in Node.js ... install our node backend"): it
 * recommends `@tensorflow/tfjs-node`, which cannot be installed here, and is noise on every
 * entry point. The banner is printed only while the backend's private `firstUse` is true.
 * @param backend a MathBackendCPU (or subclass) not yet used
 */
export function silenceNodeBanner(backend: MathBackendCPU): void {
  (backend as unknown as { firstUse: boolean }).firstUse = false;
}

/** Most bytes kept in the pool at once. */
const MAX_POOLED_BYTES = 640 * 1024 * 1024;
/** Most arrays of one length kept. */
const MAX_PER_LENGTH = 16;

/** MathBackendCPU whose kernels may take output arrays from a recycling pool. */
export class PooledBackendCPU extends MathBackendCPU {
  /** A CPU backend that never prints tfjs' "install tfjs-node" banner (see quietCpuBackend). */
  constructor() {
    super();
    silenceNodeBanner(this);
  }

  #pool = new Map<number, Float32Array[]>();
  #pooledBytes = 0;
  /** Arrays handed out by alloc() that have not escaped. */
  #owned = new WeakSet<Float32Array>();
  /** Owned arrays currently held by a tensor. */
  #bound = new WeakSet<Float32Array>();
  #ownerOf = new WeakMap<ArrayBufferLike, Float32Array>();

  /** A Float32Array of length n, from the pool when one is free; contents undefined. */
  alloc(n: number): Float32Array {
    const list = this.#pool.get(n);
    let a = list?.pop();
    if (a) {
      this.#pooledBytes -= a.byteLength;
    } else {
      a = new Float32Array(n);
      this.#ownerOf.set(a.buffer, a);
    }
    this.#owned.add(a);
    return a;
  }

  /** Bytes currently held in the pool. */
  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  #escape(values: unknown) {
    if (values instanceof Float32Array) {
      const owner = this.#ownerOf.get(values.buffer);
      if (owner) this.#owned.delete(owner);
    }
  }

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    if (values instanceof Float32Array && this.#owned.has(values) && !this.#bound.has(values)) {
      this.#bound.add(values);
    } else {
      this.#escape(values);
    }
    return super.write(values, shape, dtype);
  }

  override move(
    dataId: DataId,
    values: BackendValues,
    shape: number[],
    dtype: DataType,
    refCount: number,
  ): void {
    this.#escape(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): BackendValues {
    if (this.data.has(dataId)) this.#escape(this.data.get(dataId).values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : null;
    const freed = super.disposeData(dataId, force);
    if (
      freed && values instanceof Float32Array && this.#owned.has(values) &&
      this.#bound.has(values) && !this.data.has(dataId)
    ) {
      this.#bound.delete(values);
      this.#owned.delete(values);
      this.#recycle(values);
    }
    return freed;
  }

  #recycle(a: Float32Array) {
    let list = this.#pool.get(a.length);
    if (list) this.#pool.delete(a.length); // re-inserted below: the map stays in LRU order
    else list = [];
    this.#pool.set(a.length, list);
    if (list.length >= MAX_PER_LENGTH) return;
    // Evict the least recently used lengths (batch sizes no longer in use) to make room.
    for (const [length, old] of this.#pool) {
      if (this.#pooledBytes + a.byteLength <= MAX_POOLED_BYTES || length === a.length) break;
      for (const x of old) this.#pooledBytes -= x.byteLength;
      this.#pool.delete(length);
    }
    if (this.#pooledBytes + a.byteLength > MAX_POOLED_BYTES) return;
    list.push(a);
    this.#pooledBytes += a.byteLength;
  }

  override dispose(): void {
    this.#pool.clear();
    this.#pooledBytes = 0;
    super.dispose();
  }
}
