import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadResults, validateBench } from "./load.ts";

const DIR = fileURLToPath(new URL("./testdata", import.meta.url));
const TRIALS = join(DIR, "trials");

Deno.test("loadResults keeps ok records and names every file left out", async () => {
  const input = await loadResults(DIR);
  assert.deepEqual(input.records.map((r) => r.record.id), [
    "e10_b128_lr1_g0.7_s1_n2000_t500_blas_j2",
    "e1_b128_lr1_g0.7_s1_n2000_t500_blas_j2",
    "e5_b128_lr0.5_g0.7_s1_n2000_t500_blas_j2",
    "e5_b128_lr1_g0.7_s1_n2000_t500_blas_j2",
    "e5_b128_lr1_g0.7_s1_n2000_t500_cpu_j2",
    "e5_b64_lr1_g0.7_s1_n2000_t500_blas_j2",
  ]);
  assert.deepEqual(input.warnings, [
    `${TRIALS}/e5_b32_lr1_g0.7_s1_n2000_t500_blas_j2.json: status 'failed', left out (only 'ok' is reported)`,
    `${TRIALS}/malformed.json: field 'epochs' is not a list, left out`,
    `${TRIALS}/schema2.json: unknown schema version 2 (expected 1), left out`,
  ]);
  assert.equal(input.notOk.length, 1);
  assert.equal(input.bench?.entries.length, 3);
});

Deno.test("loadResults of a missing directory finds nothing, without error", async () => {
  const input = await loadResults(join(DIR, "no-such-dir"));
  assert.deepEqual(input, { records: [], notOk: [], warnings: [], bench: null });
});

Deno.test("validateBench names the file and the problem", () => {
  assert.throws(
    () => validateBench({ kind: "bench", schema: 9, entries: [] }, "b.json"),
    { message: "b.json: unknown bench schema version 9 (expected 1)" },
  );
  assert.throws(() => validateBench([], "b.json"), {
    message: "b.json: not a bench record (expected kind 'bench')",
  });
  assert.throws(
    () =>
      validateBench({ kind: "bench", schema: 1, machine: {}, entries: [{ name: "x" }] }, "b.json"),
    { message: "b.json: field 'machine' is malformed" },
  );
});

Deno.test("validateBench refuses what would crash or lie in the report: wrong types, Infinity, huge strings", async () => {
  const good = JSON.parse(await Deno.readTextFile(join(DIR, "bench.json")));
  validateBench(good, "b.json"); // the test data passes
  // deno-lint-ignore no-explicit-any
  const cases: [(b: any) => void, string][] = [
    [(b) => b.machine.cpu = 5, "b.json: field 'machine' is malformed"],
    [(b) => delete b.entries[0].version, "b.json: field 'entries' is malformed"],
    [(b) => b.entries[0].steps[0].msPerStep = "fast", "b.json: field 'entries' is malformed"],
    [(b) => b.entries[0].steps = {}, "b.json: field 'entries' is malformed"],
    [
      (b) => b.entries[0].steps[0].msPerStep = 1e999,
      "b.json: field 'entries.0.steps.0.msPerStep' is not a finite number or too long",
    ],
    [
      (b) => b.machine.cpu = "x".repeat(50_000),
      "b.json: field 'machine.cpu' is not a finite number or too long",
    ],
  ];
  for (const [spoil, message] of cases) {
    const b = structuredClone(good);
    spoil(b);
    assert.throws(() => validateBench(b, "b.json"), { message });
  }
});
