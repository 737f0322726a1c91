/**
 * Element-wise binary loops over Float32Arrays, one specialised function per operation so
 * V8 keeps each loop monomorphic (all four are written alike: change them together).
 * @module
 */

/** How the two operands line up with the output. */
export enum Mode {
  Same,
  ScalarA,
  ScalarB,
  TileA,
  TileB,
}

/** Add loops: same shape, scalar on either side, or one side tiled along the other. */
function addLoop(a: Float32Array, b: Float32Array, o: Float32Array, mode: Mode): void {
  const n = o.length;
  if (mode === Mode.Same) {
    for (let i = 0; i < n; i++) {
      const x = a[i], y = b[i];
      o[i] = x + y;
    }
  } else if (mode === Mode.ScalarB) {
    const y = b[0];
    for (let i = 0; i < n; i++) {
      const x = a[i];
      o[i] = x + y;
    }
  } else if (mode === Mode.ScalarA) {
    const x = a[0];
    for (let i = 0; i < n; i++) {
      const y = b[i];
      o[i] = x + y;
    }
  } else if (mode === Mode.TileB) {
    const m = b.length;
    for (let r = 0; r < n; r += m) {
      for (let j = 0; j < m; j++) {
        const x = a[r + j], y = b[j];
        o[r + j] = x + y;
      }
    }
  } else {
    const m = a.length;
    for (let r = 0; r < n; r += m) {
      for (let j = 0; j < m; j++) {
        const x = a[j], y = b[r + j];
        o[r + j] = x + y;
      }
    }
  }
}

/** Sub loops: same shape, scalar on either side, or one side tiled along the other. */
function subLoop(a: Float32Array, b: Float32Array, o: Float32Array, mode: Mode): void {
  const n = o.length;
  if (mode === Mode.Same) {
    for (let i = 0; i < n; i++) {
      const x = a[i], y = b[i];
      o[i] = x - y;
    }
  } else if (mode === Mode.ScalarB) {
    const y = b[0];
    for (let i = 0; i < n; i++) {
      const x = a[i];
      o[i] = x - y;
    }
  } else if (mode === Mode.ScalarA) {
    const x = a[0];
    for (let i = 0; i < n; i++) {
      const y = b[i];
      o[i] = x - y;
    }
  } else if (mode === Mode.TileB) {
    const m = b.length;
    for (let r = 0; r < n; r += m) {
      for (let j = 0; j < m; j++) {
        const x = a[r + j], y = b[j];
        o[r + j] = x - y;
      }
    }
  } else {
    const m = a.length;
    for (let r = 0; r < n; r += m) {
      for (let j = 0; j < m; j++) {
        const x = a[j], y = b[r + j];
        o[r + j] = x - y;
      }
    }
  }
}

/** Multiply loops: same shape, scalar on either side, or one side tiled along the other. */
function mulLoop(a: Float32Array, b: Float32Array, o: Float32Array, mode: Mode): void {
  const n = o.length;
  if (mode === Mode.Same) {
    for (let i = 0; i < n; i++) {
      const x = a[i], y = b[i];
      o[i] = x * y;
    }
  } else if (mode === Mode.ScalarB) {
    const y = b[0];
    for (let i = 0; i < n; i++) {
      const x = a[i];
      o[i] = x * y;
    }
  } else if (mode === Mode.ScalarA) {
    const x = a[0];
    for (let i = 0; i < n; i++) {
      const y = b[i];
      o[i] = x * y;
    }
  } else if (mode === Mode.TileB) {
    const m = b.length;
    for (let r = 0; r < n; r += m) {
      for (let j = 0; j < m; j++) {
        const x = a[r + j], y = b[j];
        o[r + j] = x * y;
      }
    }
  } else {
    const m = a.length;
    for (let r = 0; r < n; r += m) {
      for (let j = 0; j < m; j++) {
        const x = a[j], y = b[r + j];
        o[r + j] = x * y;
      }
    }
  }
}

/** RealDiv loops: same shape, scalar on either side, or one side tiled along the other. */
function divLoop(a: Float32Array, b: Float32Array, o: Float32Array, mode: Mode): void {
  const n = o.length;
  if (mode === Mode.Same) {
    for (let i = 0; i < n; i++) {
      const x = a[i], y = b[i];
      o[i] = x / y;
    }
  } else if (mode === Mode.ScalarB) {
    const y = b[0];
    for (let i = 0; i < n; i++) {
      const x = a[i];
      o[i] = x / y;
    }
  } else if (mode === Mode.ScalarA) {
    const x = a[0];
    for (let i = 0; i < n; i++) {
      const y = b[i];
      o[i] = x / y;
    }
  } else if (mode === Mode.TileB) {
    const m = b.length;
    for (let r = 0; r < n; r += m) {
      for (let j = 0; j < m; j++) {
        const x = a[r + j], y = b[j];
        o[r + j] = x / y;
      }
    }
  } else {
    const m = a.length;
    for (let r = 0; r < n; r += m) {
      for (let j = 0; j < m; j++) {
        const x = a[j], y = b[r + j];
        o[r + j] = x / y;
      }
    }
  }
}

/** Loop function per kernel name. */
export const BINARY_LOOPS: Record<
  string,
  (a: Float32Array, b: Float32Array, o: Float32Array, mode: Mode) => void
> = {
  Add: addLoop,
  Sub: subLoop,
  Multiply: mulLoop,
  RealDiv: divLoop,
};
