import assert from "node:assert/strict";
import type { TrialRecord } from "../record/mod.ts";
import { planSweeps } from "./plan.ts";
import { selectSweeps } from "./presets.ts";
import { summaryTables, sweepTable } from "./summary.ts";
import { failureRecord } from "./failure_record.ts";

/** The reference's published numbers: [elapsed s, val loss, val acc] per trial. */
const PUBLISHED: Record<string, [number, number, number]> = {
  "e1_b128_lr1_g0.7_s1": [62.54, 0.0561, 0.9807],
  "e5_b128_lr1_g0.7_s1": [354.47, 0.0280, 0.9908],
  "e10_b128_lr1_g0.7_s1": [707.03, 0.0263, 0.9919],
  "e5_b128_lr0.5_g0.7_s1": [322.88, 0.0297, 0.9902],
  "e5_b32_lr1_g0.7_s1": [500.73, 0.0332, 0.9899],
  "e5_b64_lr1_g0.7_s1": [388.76, 0.0280, 0.9905],
};

function records(plan: ReturnType<typeof planSweeps>): Map<string, TrialRecord> {
  const map = new Map<string, TrialRecord>();
  for (const t of plan.trials) {
    const r = failureRecord({
      id: t.id,
      args: t.args,
      status: "failed",
      message: "",
      exitCode: null,
      stderrTail: null,
      imageId: null,
      gitCommit: null,
      startedAt: new Date(0),
      endedAt: new Date(0),
    });
    const [totalTime, valLoss, valAcc] = PUBLISHED[t.id];
    r.status = "ok";
    r.error = null;
    r.totals = { epochsDone: t.args.epochs, trainLoss: 0, trainAcc: 0, valLoss, valAcc, totalTime };
    map.set(t.id, r);
  }
  return map;
}

Deno.test("summary tables reproduce the reference README's three tables", () => {
  const plan = planSweeps(selectSweeps([], []), {});
  const text = summaryTables(plan.sweeps, records(plan));
  assert.equal(
    text,
    `Sweep a: epochs

| Epochs | 1 | 5 | 10 |
| --- | --- | --- | --- |
| Elapsed time | 62.54 s | 354.47 s | 707.03 s |
| Validation loss | 0.0561 | 0.0280 | 0.0263 |
| Validation accuracy | 0.9807 | 0.9908 | 0.9919 |

Ran in: local process

Sweep b: learning rate

| Learning rate | 1.0 | 0.5 |
| --- | --- | --- |
| Elapsed time | 354.47 s | 322.88 s |
| Validation loss | 0.0280 | 0.0297 |
| Validation accuracy | 0.9908 | 0.9902 |

Ran in: local process

Sweep c: batch size

| Batch size | 32 | 64 | 128 |
| --- | --- | --- | --- |
| Elapsed time | 500.73 s | 388.76 s | 354.47 s |
| Validation loss | 0.0332 | 0.0280 | 0.0280 |
| Validation accuracy | 0.9899 | 0.9905 | 0.9908 |

Ran in: local process`,
  );
});

Deno.test("the summary says where each sweep's trials ran, with counts when they differ", () => {
  const plan = planSweeps(selectSweeps(["epochs"], []), {});
  const map = records(plan);
  map.get("e1_b128_lr1_g0.7_s1")!.environment.imageId = "sha256:0123456789abcdef0123456789";
  map.get("e10_b128_lr1_g0.7_s1")!.environment.imageId = "sha256:0123456789abcdef0123456789";
  assert.match(
    summaryTables(plan.sweeps, map),
    /\n\nRan in: container sha256:0123456789ab \(2 trials\); local process \(1 trial\)$/,
  );
  map.delete("e5_b128_lr1_g0.7_s1");
  assert.match(summaryTables(plan.sweeps, map), /\n\nRan in: container sha256:0123456789ab$/);
});

Deno.test("a missing record shows '-', one not ok shows its status", () => {
  const plan = planSweeps(selectSweeps(["lr"], []), {});
  const map = records(plan);
  map.get("e5_b128_lr1_g0.7_s1")!.status = "diverged";
  map.delete("e5_b128_lr0.5_g0.7_s1");
  assert.equal(
    sweepTable(plan.sweeps[0], map),
    `| Learning rate | 1.0 | 0.5 |
| --- | --- | --- |
| Elapsed time | diverged | - |
| Validation loss | diverged | - |
| Validation accuracy | diverged | - |`,
  );
});
