import assert from "node:assert/strict";
import { Arena, kernelsOn, laidOut, sharedMemory, WASM_PATH } from "./_wasm.ts";
import { dropoutThreshold, fillDropoutMask } from "./_dropout_mask.ts";
import { reluGradInto } from "./_fused_kernels.ts";
import { epilogue } from "./kernels/loops.ts";
import { random } from "./testdata/random.ts";

/** Float arrays of `sizes` in a new shared memory, their byte offsets and the kernels on it. */
function instantiate(sizes: number[]) {
  const { value: views, memory } = laidOut(({ arena }) => sizes.map((n) => arena.f32(n)));
  return { ex: kernelsOn(memory), offsets: views.map((v) => v.byteOffset), views };
}

/** The bits of floats, so that -0, +0 and NaNs compare exactly. */
const bits = (a: Float32Array) => new Int32Array(a.buffer, a.byteOffset, a.length);

/** Floats that ReLU and its gradient treat specially, spread through `a`. */
function withSpecials(a: Float32Array): Float32Array {
  const specials = [0, -0, NaN, -NaN, Infinity, -Infinity, 1e-45, -1e-45];
  for (let i = 0; i < a.length; i += 7) a[i] = specials[(i / 7) % specials.length];
  // A NaN with the sign bit set (JavaScript's -NaN may not set it).
  new Int32Array(a.buffer, a.byteOffset, a.length)[3] = 0xffc00000 | 0;
  return a;
}

Deno.test("wasm: dropout gives fillDropoutMask's masks and products, bit for bit", () => {
  const n = 1031; // not a multiple of 4: the scalar tail too
  const { ex, offsets, views } = instantiate([n, n, n]);
  const [src, mask, dst] = views;
  for (const rate of [0, 0.1, 0.25, 0.5, 0.7]) {
    for (const [seed, start] of [[1, 0], [4294967295, 77], [2 ** 31 + 5, 123456789]]) {
      src.set(withSpecials(random(n, seed ^ 99)));
      ex.dropout(
        offsets[0],
        offsets[1],
        offsets[2],
        n,
        dropoutThreshold(rate),
        1 / (1 - rate),
        seed,
        start,
      );
      const want = fillDropoutMask(new Float32Array(n), rate, seed, start);
      assert.deepEqual(bits(mask), bits(want), `mask, rate ${rate}, seed ${seed}`);
      const product = src.map((v, i) => v * want[i]);
      assert.deepEqual(bits(dst), bits(product), `product, rate ${rate}, seed ${seed}`);
    }
  }
  // The threshold as an integer: dropped exactly below ceil(rate * 2^32).
  assert.equal(dropoutThreshold(0.5), 2 ** 31 | 0);
  assert.equal(dropoutThreshold(0.1) >>> 0, 429496730);
});

Deno.test("wasm: the ReLU gradient with bias sums is reluGradInto's, bit for bit", () => {
  const rows = 37, c = 12;
  const { ex, offsets, views } = instantiate([rows * c, rows * c, rows * c, 2 * c]);
  const [g, mask, act] = views;
  const sums = new Float64Array(views[3].buffer, offsets[3], c);
  for (const masked of [false, true]) {
    const g0 = withSpecials(random(rows * c, 1)), a0 = withSpecials(random(rows * c, 2));
    const m0 = random(rows * c, 3).map((v) => v > 0 ? 2 : 0);
    g.set(g0);
    act.set(a0);
    mask.set(m0);
    sums.fill(0.5);
    ex.reluGradSums(offsets[0], masked ? offsets[1] : 0, offsets[2], offsets[3], rows, c);
    const want = new Float32Array(g0), wantSums = new Float64Array(c).fill(0.5);
    reluGradInto(want, want, masked ? m0 : null, a0, wantSums);
    assert.deepEqual(bits(g), bits(want), masked ? "masked" : "no mask");
    assert.deepEqual([...sums], [...wantSums]);
  }
});

Deno.test("wasm: relu is epilogue's ReLU and the scatters write where the offsets say", () => {
  const n = 1030;
  const { ex, offsets, views } = instantiate([n, 64, 8, 8]);
  const [x, dz, values] = views;
  const at = new Int32Array(views[3].buffer, offsets[3], 8);
  x.set(withSpecials(random(n, 5)));
  const want = new Float32Array(x);
  epilogue(want, n, 1, null, true);
  ex.relu(offsets[0], n);
  assert.deepEqual(bits(x), bits(want));

  at.set([3, -1, 63, 0, 17, -5, 40, 41]);
  values.set([1, 2, 3, 4, 5, 6, 7, 8]);
  dz.fill(9);
  ex.scatter(offsets[1], offsets[2], offsets[3], 8);
  const expected = new Float32Array(64).fill(9);
  [[3, 1], [63, 3], [0, 4], [17, 5], [40, 7], [41, 8]].forEach(([i, v]) => expected[i] = v);
  assert.deepEqual(dz, expected);
  ex.unscatter(offsets[1], offsets[3], 8);
  [3, 63, 0, 17, 40, 41].forEach((i) => expected[i] = 0);
  assert.deepEqual(dz, expected);
});

Deno.test("wasm: scatterWindows writes whole windows: the value at the maximum, 0 elsewhere", () => {
  const [n, h, w, c, ph, pw] = [2, 6, 6, 8, 2, 2]; // windows cover rows and columns 0-3
  const pooled = n * ph * pw * c;
  const { ex, offsets, views } = instantiate([n * h * w * c, pooled, pooled]);
  const [dz, values] = views;
  const at = new Int32Array(views[2].buffer, offsets[2], pooled);
  values.set(random(pooled, 11));
  const want = new Float32Array(n * h * w * c).fill(7); // outside the windows: untouched
  for (let i = 0; i < pooled; i++) {
    const o = i % c, win = (i - o) / c, im = Math.floor(win / (ph * pw));
    const [py, px] = [Math.floor((win % (ph * pw)) / pw), win % pw];
    const top = ((im * h + 2 * py) * w + 2 * px) * c + o;
    const places = [top, top + c, top + w * c, top + (w + 1) * c];
    for (const p of places) want[p] = 0;
    // Every place of the window by turns, and now and then no maximum (a NaN window).
    at[i] = i % 5 === 4 ? -1 : places[i % 4];
    if (at[i] >= 0) want[at[i]] = values[i];
  }
  dz.set(random(dz.length, 12).map((v, i) => (want[i] === 7 ? 7 : v))); // the step before
  ex.scatterWindows(offsets[0], offsets[1], offsets[2], n, h, w, c, ph, pw);
  assert.deepEqual(dz, want);
});

Deno.test("wasm: an arena measures what it then lays out, 64-byte aligned", () => {
  const build = (arena: Arena) => [arena.f32(3), arena.i32(17), arena.f64(1)];
  const measure = new Arena(null, 1024);
  assert.deepEqual(build(measure).map((a) => a.length), [0, 0, 0]);
  assert.equal(measure.bytes, 1024 + 64 + 128 + 64);
  const { value, memory } = laidOut(({ arena }) => build(arena), 1024);
  assert.deepEqual(value.map((a) => [a.byteOffset, a.length]), [[1024, 3], [1088, 17], [1216, 1]]);
  assert.ok(memory.buffer instanceof SharedArrayBuffer);
  assert.ok(memory.buffer.byteLength >= measure.bytes);
});

Deno.test("wasm: two instances on one shared memory see each other's writes", () => {
  const memory = sharedMemory(4096);
  const [a, b] = [kernelsOn(memory), kernelsOn(memory)];
  const view = new Float32Array(memory.buffer, 1024, 4);
  view.set([-1, 2, -3, 4]);
  a.relu(1024, 2);
  b.relu(1032, 2);
  assert.deepEqual([...view], [0, 2, 0, 4]);
});

/** What the module loader says from a copy of it beside `wasm` (null: no .wasm at all). */
async function messageWith(wasm: Uint8Array | null): Promise<string> {
  // A copy of the loader beside its own wasm/ (the real module stays where it is).
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(new URL("_wasm.ts", import.meta.url), `${dir}/_wasm.ts`);
    if (wasm !== null) {
      await Deno.mkdir(`${dir}/wasm`);
      await Deno.writeFile(`${dir}/wasm/kernels.wasm`, wasm);
    }
    const code = `import { kernelsOn, sharedMemory } from "${dir}/_wasm.ts";
      try { kernelsOn(sharedMemory(1)); }
      catch (e) { console.log(e.message); }`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("wasm: a missing module is one line naming the task that builds it", async () => {
  assert.equal(
    await messageWith(null),
    `${WASM_PATH} is missing: run deno task wasm (setup does)\n`,
  );
});

Deno.test("wasm: a module from an older source, or none at all, is one line naming the task", async () => {
  // A valid module without the kernels (the header of an empty module), and garbage.
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  for (const bytes of [empty, new Uint8Array([1, 2, 3])]) {
    assert.equal(
      await messageWith(bytes),
      `${WASM_PATH} is out of date: run deno task wasm (setup does)\n`,
    );
  }
});
