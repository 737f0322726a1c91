import assert from "node:assert/strict";
import { join } from "node:path";
import {
  argsToFlags,
  DEFAULT_ARGS,
  formatRecord,
  trialId,
  type TrialRecord,
  UsageError,
} from "../record/mod.ts";
import { parseGrid } from "./grid.ts";
import { recordPath } from "./layout.ts";
import { markDone, planSweeps } from "./plan.ts";
import { PRESETS, selectSweeps } from "./presets.ts";
import { failureRecord } from "./failure_record.ts";

Deno.test("all three presets: 8 columns, 6 unique trials (e5 b128 lr1 runs once)", () => {
  const plan = planSweeps(selectSweeps([], []), {});
  assert.deepEqual(plan.sweeps.map((s) => s.name), ["epochs", "lr", "batch"]);
  assert.equal(plan.sweeps.flatMap((s) => s.columns).length, 8);
  assert.deepEqual(plan.trials.map((t) => t.id), [
    "e1_b128_lr1_g0.7_s1",
    "e5_b128_lr1_g0.7_s1",
    "e10_b128_lr1_g0.7_s1",
    "e5_b128_lr0.5_g0.7_s1",
    "e5_b32_lr1_g0.7_s1",
    "e5_b64_lr1_g0.7_s1",
  ]);
  const shared = "e5_b128_lr1_g0.7_s1";
  for (const s of plan.sweeps) assert.ok(s.columns.some((c) => c.id === shared), s.name);
  assert.deepEqual(plan.sweeps[1].columns.map((c) => c.label), ["1.0", "0.5"]);
  assert.deepEqual(plan.sweeps.map((s) => s.heading), ["Epochs", "Learning rate", "Batch size"]);
});

Deno.test("user flags override fixed arguments and reach every trial id", () => {
  const plan = planSweeps([PRESETS.lr], { limitTrain: 512, seed: 7, backend: "blas" });
  assert.deepEqual(plan.trials.map((t) => t.id), [
    "e5_b128_lr1_g0.7_s7_n512_blas",
    "e5_b128_lr0.5_g0.7_s7_n512_blas",
  ]);
  const overridden = planSweeps([PRESETS.epochs], { batchSize: 64 });
  assert.ok(overridden.trials.every((t) => t.args.batchSize === 64));
});

Deno.test("a flag that names a swept argument is refused", () => {
  assert.throws(
    () => planSweeps([PRESETS.epochs], { epochs: 3 }),
    (e: Error) => e instanceof UsageError && /--epochs is swept by epochs/.test(e.message),
  );
});

Deno.test("a grid sweep plus a preset share trials; grid labels name every axis", () => {
  const defs = selectSweeps(["epochs"], parseGrid(["epochs=1,2", "lr=1.0,0.5"]));
  const plan = planSweeps(defs, {});
  assert.equal(plan.sweeps[1].heading, "Trial");
  assert.deepEqual(plan.sweeps[1].columns.map((c) => c.label), [
    "epochs=1, lr=1.0",
    "epochs=1, lr=0.5",
    "epochs=2, lr=1.0",
    "epochs=2, lr=0.5",
  ]);
  // e1 lr1 is in both sweeps: 3 from the preset + 3 new from the grid.
  assert.equal(plan.trials.length, 6);
});

Deno.test("argsToFlags round-trips through the trial CLI's parser to the same id", async () => {
  const { parseTrialArgs } = await import("../record/mod.ts");
  const args = { ...DEFAULT_ARGS, lr: 0.25, limitTrain: 512, limitTest: 256, threads: 2 };
  const flags = argsToFlags(args);
  assert.deepEqual(parseTrialArgs(flags).args, args);
  assert.equal(trialId(parseTrialArgs(flags).args), trialId(args));
  assert.ok(flags.every((f) => f.startsWith("--") && f.includes("=")));
});

Deno.test("markDone: only a valid ok record that ran the same way (runner, image) counts as done", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const plan = planSweeps([PRESETS.lr], {});
    const [a, b] = plan.trials;
    await Deno.mkdir(join(dir, "trials"));
    const record = (status: "ok" | "failed", id: string, args: typeof a.args): TrialRecord => {
      const r = failureRecord({
        id,
        args,
        status: "failed",
        message: "x",
        exitCode: 1,
        stderrTail: null,
        imageId: null,
        gitCommit: null,
        startedAt: new Date(),
        endedAt: new Date(),
      });
      if (status === "ok") {
        r.status = "ok";
        r.error = null;
        r.totals = {
          epochsDone: 5,
          trainLoss: 0.1,
          trainAcc: 0.9,
          valLoss: 0.03,
          valAcc: 0.99,
          totalTime: 10,
        };
      }
      return r;
    };
    await Deno.writeTextFile(recordPath(dir, a.id), formatRecord(record("ok", a.id, a.args)));
    await Deno.writeTextFile(recordPath(dir, b.id), formatRecord(record("failed", b.id, b.args)));
    await markDone(plan, dir);
    assert.deepEqual(plan.trials.map((t) => t.done), [true, false]);
    // Trained, but the model was not saved: not done, it runs again.
    const unsaved = record("ok", a.id, a.args);
    unsaved.error = { message: "model not saved to X: full", exitCode: 1, stderrTail: null };
    await Deno.writeTextFile(recordPath(dir, a.id), formatRecord(unsaved));
    await markDone(plan, dir);
    assert.deepEqual(plan.trials.map((t) => t.done), [false, false]);
    await Deno.writeTextFile(recordPath(dir, a.id), "{ not json");
    await markDone(plan, dir);
    assert.deepEqual(plan.trials.map((t) => t.done), [false, false]);

    // Only a record that ran the same way counts, unless any will do (--reuse-any).
    const local = record("ok", a.id, a.args);
    await Deno.writeTextFile(recordPath(dir, a.id), formatRecord(local));
    await markDone(plan, dir, "sha256:feedfacefeedfacefeedface");
    assert.deepEqual(plan.trials.map((t) => t.done), [false, false]);
    assert.equal(plan.trials[0].ranElsewhere, "local process");
    await markDone(plan, dir, null);
    assert.deepEqual(plan.trials.map((t) => t.done), [true, false]);
    assert.equal(plan.trials[0].ranElsewhere, undefined);
    local.environment.imageId = "sha256:0123456789abcdef01234567";
    await Deno.writeTextFile(recordPath(dir, a.id), formatRecord(local));
    await markDone(plan, dir, null);
    assert.equal(plan.trials[0].done, false);
    assert.equal(plan.trials[0].ranElsewhere, "container sha256:0123456789ab");
    await markDone(plan, dir, "sha256:feedfacefeedfacefeedface");
    assert.equal(plan.trials[0].done, false);
    await markDone(plan, dir, "sha256:0123456789abcdef01234567");
    assert.equal(plan.trials[0].done, true);
    await markDone(plan, dir, undefined);
    assert.equal(plan.trials[0].done, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recordPath keeps every record inside RESULTS/trials/", () => {
  assert.equal(recordPath("/r", "e1_b128_lr1_g0.7_s1"), "/r/trials/e1_b128_lr1_g0.7_s1.json");
  for (const id of ["x/../../../tmp/pwned", "../x", "a/b", "", "e1\0"]) {
    assert.throws(
      () => recordPath("/r", id),
      (e: Error) =>
        e instanceof UsageError &&
        e.message === `trial id ${JSON.stringify(id)}: its files would lie outside /r/trials`,
      id,
    );
  }
});
