import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRecord, trialId, type TrialRecord } from "../record/mod.ts";
import { compileSpec } from "./render.ts";
import { table } from "../markdown.ts";
import { findGrids, gridChart, gridTable, tableCsv, tableJson } from "./grids.ts";

const FIXTURE = join(
  fileURLToPath(new URL(".", import.meta.url)),
  "testdata/trials/e5_b128_lr1_g0.7_s1_n2000_t500_blas_j2.json",
);

/** The fixture record with other arguments and final numbers. */
function variant(
  base: TrialRecord,
  args: Partial<TrialRecord["args"]>,
  valAcc: number,
  valLoss: number,
  totalTime: number,
): TrialRecord {
  const a = { ...base.args, ...args };
  return {
    ...base,
    id: trialId(a),
    args: a,
    totals: { ...base.totals!, valAcc, valLoss, totalTime },
  };
}

Deno.test("grids: seeds become mean and sample std, each seed listed; data splits grids", async () => {
  const base = await readRecord(FIXTURE);
  const records = [
    variant(base, { lr: 0.5, seed: 2 }, 0.8, 0.6, 7),
    variant(base, { lr: 0.5, seed: 1 }, 0.9, 0.4, 5),
    variant(base, { lr: 0.5, seed: 3 }, 0.7, 0.5, 6),
    variant(base, { lr: 1 }, 0.95, 0.3, 4),
    variant(base, { limitTrain: null, limitTest: null }, 0.99, 0.03, 100),
    { ...variant(base, { lr: 2 }, 0.1, 9, 1), status: "failed" as const },
  ];
  const grids = findGrids(records);
  assert.deepEqual(grids.map((g) => g.data), ["all images", "2000 train / 500 test images"]);
  const g = grids[1];
  assert.deepEqual(g.varied, ["lr"]);
  assert.equal(g.seeds, true);
  assert.deepEqual(g.groups.map((x) => x.params.lr), [0.5, 1]);
  const three = g.groups[0];
  assert.deepEqual(three.trials.map((t) => t.seed), [1, 2, 3]);
  assert.ok(Math.abs(three.mean.valAcc - 0.8) < 1e-12);
  assert.ok(Math.abs(three.std!.valAcc - 0.1) < 1e-12);
  assert.ok(Math.abs(three.std!.time - 1) < 1e-12);
  assert.equal(g.groups[1].std, null);
  const block = gridTable(g);
  assert.deepEqual(block.header, ["`--lr`", "Seeds", "Val loss", "Val accuracy", "Time"]);
  assert.deepEqual(table(block.header, block.rows).split("\n"), [
    "| `--lr` | Seeds | Val loss | Val accuracy | Time |",
    "| --- | --- | --- | --- | --- |",
    "| 0.5 | 1, 2, 3 | 0.5000 ± 0.1000 | 80.00 % ± 10.00 % | 6.00 s ± 1.00 s |",
    "|  | seed 1 | 0.4000 | 90.00 % | 5.00 s |",
    "|  | seed 2 | 0.6000 | 80.00 % | 7.00 s |",
    "|  | seed 3 | 0.5000 | 70.00 % | 6.00 s |",
    "| 1 | 1 | 0.3000 | 95.00 % | 4.00 s |",
  ]);
  const csv = tableCsv(grids).trim().split("\n");
  assert.equal(csv[0], "grid,id,lr,seed,val_loss,val_acc,time_s");
  assert.equal(csv[1], "all images,e5_b128_lr1_g0.7_s1_blas_j2,,1,0.03,0.99,100");
  assert.equal(
    csv[2],
    "2000 train / 500 test images,e5_b128_lr0.5_g0.7_s1_n2000_t500_blas_j2,0.5,1,0.4,0.9,5",
  );
  assert.equal(csv.length, 1 + 5);
  const json = JSON.parse(tableJson(grids));
  assert.equal(json[1].groups[0].trials.length, 3);
  assert.deepEqual(json[1].varied, ["lr"]);
  // The chart compiles, and the same records give the same bytes in any order.
  compileSpec(gridChart(g, "Grid 2"));
  assert.equal(tableJson(findGrids([...records].reverse())), tableJson(grids));
  assert.deepEqual(gridChart(findGrids([...records].reverse())[1], "t"), gridChart(g, "t"));
});
