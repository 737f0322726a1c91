import assert from "node:assert/strict";
import {
  readRecord,
  RecordError,
  SCHEMA_VERSION,
  type TrialArgs,
  trialId,
  validateRecord,
  writeFileAtomic,
} from "./record.ts";
import { DEFAULT_ARGS } from "./flags.ts";

const args: TrialArgs = { ...DEFAULT_ARGS };

Deno.test("results: trial ids name the parameters that change the result", () => {
  assert.equal(trialId(args), "e5_b128_lr1_g0.7_s1");
  assert.equal(
    trialId({ ...args, lr: 0.5, limitTrain: 2048, threads: 2 }),
    "e5_b128_lr0.5_g0.7_s1_n2048_j2",
  );
  assert.equal(trialId({ ...args, lr: 1e-7 }), "e5_b128_lr1em7_g0.7_s1");
  assert.notEqual(trialId({ ...args, dataDir: "/a" }), trialId({ ...args, dataDir: "/b" }));
  assert.equal(trialId({ ...args, backend: "blas" }), "e5_b128_lr1_g0.7_s1_blas");
});

Deno.test("results: writeFileAtomic replaces the file and leaves no temporary", async () => {
  const dir = await Deno.makeTempDir();
  await writeFileAtomic(`${dir}/r.json`, "one");
  await writeFileAtomic(`${dir}/r.json`, "two");
  assert.equal(await Deno.readTextFile(`${dir}/r.json`), "two");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["r.json"]);
  await assert.rejects(() => writeFileAtomic(`${dir}/missing/r.json`, "x"));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["r.json"]);
});

Deno.test("results: validation names the file and the field", async () => {
  const dir = await Deno.makeTempDir();
  const good = {
    schema: SCHEMA_VERSION,
    id: "x",
    status: "failed",
    args,
    epochs: [],
    totals: null,
    environment: {},
  };
  assert.equal(validateRecord(good).id, "x");
  const epoch = { epoch: 1, trainLoss: 1, trainAcc: 0.5, valLoss: 1, valAcc: 0.5, epochTime: 2 };
  const cases: [unknown, RegExp][] = [
    [[], /not a JSON object/],
    [{ ...good, schema: 99 }, /unknown schema version 99 \(expected 1\)/],
    [{ ...good, status: "done" }, /field 'status' is "done"/],
    [{ ...good, status: "ok" }, /'totals' is missing/],
    [{ ...good, epochs: [{ epoch: 1 }] }, /'epochs\[0\]\.trainLoss' is not a number/],
    [{ ...good, args: { ...args, lr: "1" } }, /'args\.lr' is not a number/],
    [{ ...good, epochs: [{ ...epoch, peakRssBytes: "1 GB" }] }, /peakRssBytes' is not a byte/],
  ];
  // Records written before peakRssBytes was kept have none; null means unknown.
  assert.equal(validateRecord({ ...good, epochs: [epoch] }).epochs.length, 1);
  assert.equal(validateRecord({ ...good, epochs: [{ ...epoch, peakRssBytes: null }] }).id, "x");
  for (const [value, re] of cases) {
    assert.throws(
      () => validateRecord(value, "f.json"),
      (e: Error) => e instanceof RecordError && re.test(e.message),
    );
  }
  await Deno.writeTextFile(`${dir}/bad.json`, "{");
  await assert.rejects(
    () => readRecord(`${dir}/bad.json`),
    new RegExp(`${dir}/bad.json: not valid JSON`),
  );
});
