import assert from "node:assert/strict";
import {
  CheckpointError,
  type CheckpointIdentity,
  checkpointPath,
  fingerprint,
  identityDifference,
  readCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import { DEFAULT_ARGS } from "../record/mod.ts";
import type { TrainState } from "./loop.ts";

const IDENTITY: CheckpointIdentity = {
  args: { ...DEFAULT_ARGS, epochs: 3, limitTrain: 1024 },
  data: [{ name: "train-images-idx3-ubyte", bytes: 47040016, sha256: "ab".repeat(32) }],
  backend: "blas",
  threads: 2,
};

function state(): TrainState {
  return {
    epochs: [{
      epoch: 1,
      lr: 1,
      trainLoss: 2.0923,
      trainAcc: 0.3037,
      valLoss: 1.6022,
      valAcc: 0.6055,
      epochTime: 3.13,
      trainTime: 3,
      evalTime: 0.13,
      peakRssBytes: 1,
    }],
    lr: 0.7,
    rngState: 0xdeadbeef,
    weights: [Float32Array.of(1.5, -2, Math.PI), Float32Array.of(0.1)],
    optimizer: [
      { squareAvg: Float32Array.of(1, 2, 3), accDelta: Float32Array.of(-1, -2, -3) },
      { squareAvg: Float32Array.of(1e-30), accDelta: Float32Array.of(NaN) },
    ],
  };
}

Deno.test("checkpoint: what is written reads back bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const print = await fingerprint(IDENTITY);
  const header = {
    version: 1 as const,
    fingerprint: print,
    identity: IDENTITY,
    startedAt: "2026-01-01T00:00:00.000Z",
    resumes: [{ afterEpoch: 1, at: "2026-01-01T00:01:00.000Z" }],
  };
  await writeCheckpoint(dir, header, state());
  const back = await readCheckpoint(dir);
  assert.ok(back);
  assert.deepEqual(back.state, state());
  assert.equal(back.header.fingerprint, print);
  assert.deepEqual(back.header.resumes, header.resumes);
  // Only the checkpoint is left: no temporary file.
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["checkpoint.bin"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: none in an empty directory; a damaged one is one line", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(await readCheckpoint(dir), null);
  await Deno.writeTextFile(checkpointPath(dir), "not a checkpoint");
  await assert.rejects(
    () => readCheckpoint(dir),
    (e: Error) =>
      e instanceof CheckpointError &&
      e.message === `${checkpointPath(dir)}: not a checkpoint of this version; ` +
          "delete it to start from epoch 1",
  );
  await writeCheckpoint(dir, {
    version: 1,
    fingerprint: "x",
    identity: IDENTITY,
    startedAt: "",
    resumes: [],
  }, state());
  const bytes = await Deno.readFile(checkpointPath(dir));
  await Deno.writeFile(checkpointPath(dir), bytes.subarray(0, bytes.length - 4));
  await assert.rejects(() => readCheckpoint(dir), /bytes, expected/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: the fingerprint changes with any argument, the data or the threads", async () => {
  const base = await fingerprint(IDENTITY);
  assert.equal(await fingerprint({ ...IDENTITY, args: { ...IDENTITY.args } }), base);
  const seed = { ...IDENTITY, args: { ...IDENTITY.args, seed: 2 } };
  assert.notEqual(await fingerprint(seed), base);
  assert.equal(identityDifference(IDENTITY, seed), "seed 1 (now 2)");
  const data = { ...IDENTITY, data: [{ ...IDENTITY.data[0], sha256: "cd".repeat(32) }] };
  assert.notEqual(await fingerprint(data), base);
  assert.equal(identityDifference(IDENTITY, data), "the data files");
  const threads = { ...IDENTITY, threads: 1 };
  assert.notEqual(await fingerprint(threads), base);
  assert.equal(identityDifference(IDENTITY, threads), "threads 2 (now 1)");
  assert.equal(identityDifference(IDENTITY, IDENTITY), null);
});
