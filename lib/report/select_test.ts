import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cellKey, readRecord, type TrialRecord } from "../record/mod.ts";
import type { LoadedRecord } from "./load.ts";
import { matchesCell, selectTrials } from "./select.ts";

const TRIALS = fileURLToPath(new URL("./testdata/trials", import.meta.url));

async function fixture(name: string): Promise<TrialRecord> {
  return await readRecord(join(TRIALS, `${name}.json`));
}

/** A full-data record of a cell, from a fixture with the subset limits removed. */
async function fullData(
  cell: { epochs: number; batchSize: number; lr: number },
  changes: Partial<TrialRecord> = {},
): Promise<TrialRecord> {
  const base = await fixture("e5_b128_lr1_g0.7_s1_n2000_t500_blas_j2");
  return {
    ...base,
    ...changes,
    args: { ...base.args, ...cell, limitTrain: null, limitTest: null },
  };
}

Deno.test("matchesCell: epochs, batch, lr, gamma 0.7, seed 1, full data unless subsets allowed", async () => {
  const cell = { epochs: 5, batchSize: 128, lr: 1 };
  const full = (await fullData(cell)).args;
  assert.ok(matchesCell(full, cell, false));
  assert.ok(!matchesCell({ ...full, gamma: 0.5 }, cell, true));
  assert.ok(!matchesCell({ ...full, seed: 2 }, cell, true));
  assert.ok(!matchesCell({ ...full, lr: 0.5 }, cell, true));
  assert.ok(!matchesCell({ ...full, epochs: 10 }, cell, true));
  assert.ok(!matchesCell({ ...full, limitTrain: 2000 }, cell, false));
  assert.ok(!matchesCell({ ...full, limitTest: 500 }, cell, false));
  assert.ok(matchesCell({ ...full, limitTrain: 2000 }, cell, true));
  // backend, threads and test batch size do not change which cell a trial fills
  assert.ok(matchesCell({ ...full, backend: "cpu", threads: 1, testBatchSize: 500 }, cell, false));
});

Deno.test("selectTrials prefers full data, then the newest endedAt, and skips records not ok", async () => {
  const cell = { epochs: 5, batchSize: 128, lr: 1 };
  const key = cellKey(cell);
  const older = await fullData(cell, { endedAt: "2026-01-01T00:00:00.000Z" });
  const newer = await fullData(cell, { endedAt: "2026-02-01T00:00:00.000Z" });
  const failedNewest = await fullData(cell, {
    status: "failed",
    endedAt: "2026-03-01T00:00:00.000Z",
  });
  const subsetNewest = await fixture("e5_b128_lr1_g0.7_s1_n2000_t500_blas_j2");
  subsetNewest.endedAt = "2026-04-01T00:00:00.000Z";
  const loaded: LoadedRecord[] = [
    { path: "a.json", record: older },
    { path: "b.json", record: newer },
    { path: "c.json", record: failedNewest },
    { path: "d.json", record: subsetNewest },
  ];
  assert.equal(selectTrials(loaded, false).get(key)?.path, "b.json");
  assert.equal(selectTrials(loaded, true).get(key)?.path, "b.json");
  assert.equal(selectTrials([loaded[0], loaded[3]], true).get(key)?.path, "a.json");
  assert.equal(selectTrials([loaded[3]], false).size, 0);
  assert.equal(selectTrials([loaded[3]], true).get(key)?.path, "d.json");
  // equal endedAt: the first path, so the choice does not depend on directory order
  assert.equal(
    selectTrials([loaded[1], { ...loaded[1], path: "a2.json" }], false).get(key)?.path,
    "a2.json",
  );
});
