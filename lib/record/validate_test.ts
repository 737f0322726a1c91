import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SCHEMA_VERSION, type TrialRecord } from "./record.ts";
import { DEFAULT_ARGS, trialId } from "./args.ts";
import { MAX_RECORD_BYTES, readRecord, RecordError, validateRecord } from "./validate.ts";

const FIXTURE = fileURLToPath(
  new URL(
    "../report/testdata/trials/e5_b128_lr1_g0.7_s1_n2000_t500_blas_j2.json",
    import.meta.url,
  ),
);
const good: TrialRecord = JSON.parse(Deno.readTextFileSync(FIXTURE));

/** A record as plain JSON, any field writable (for breaking it). */
// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

/** `good` with changes made by `edit` on a deep copy. */
function changed(edit: (r: Loose) => void): unknown {
  const r = structuredClone(good) as Loose;
  edit(r);
  return r;
}

/** Asserts that `value` is refused with one line matching `re`. */
function refused(value: unknown, re: RegExp, expectedId?: string): void {
  assert.throws(() => validateRecord(value, "f.json", expectedId), (e: Error) => {
    assert.ok(e instanceof RecordError, String(e));
    assert.match(e.message, re);
    assert.ok(e.message.startsWith("f.json: "), e.message);
    assert.ok(!e.message.includes("\n"), e.message);
    return true;
  });
}

Deno.test("validateRecord accepts the records the trials write", () => {
  assert.equal(validateRecord(good).id, good.id);
  // Records written before peakRssBytes was kept have none; null means unknown.
  const epoch = { ...good.epochs[0] };
  delete epoch.peakRssBytes;
  assert.equal(validateRecord({ ...good, epochs: [epoch] }).epochs.length, 1);
  assert.equal(validateRecord(changed((r) => r.epochs[0].peakRssBytes = null)).id, good.id);
  const failed = { ...good, status: "failed", epochs: [], totals: null, dataset: null };
  assert.equal(validateRecord(failed).status, "failed");
});

Deno.test("validateRecord names the file and the field", () => {
  const cases: [unknown, RegExp][] = [
    [[], /not a JSON object/],
    [{ ...good, schema: 99 }, /unknown schema version 99 \(expected 1\)/],
    [{ ...good, status: "done" }, /field 'status' is "done"/],
    [{ ...good, totals: null }, /status is 'ok' but field 'totals' is missing/],
    [changed((r) => r.epochs[0] = { epoch: 1 }), /'epochs\[0\]\.trainLoss' is not a number/],
    [{ ...good, args: { ...good.args, lr: "1" } }, /'args\.lr' is not a number/],
    [changed((r) => r.epochs[0].peakRssBytes = "1 GB"), /peakRssBytes' is not a byte/],
    [{ ...good, schema: SCHEMA_VERSION, environment: {} }, /'environment\.deno' is not a string/],
  ];
  for (const [value, re] of cases) refused(value, re);
});

Deno.test("validateRecord refuses records that would crash or lie in the report", () => {
  const cases: [unknown, RegExp][] = [
    // Crashes before: TypeError in the report.
    [changed((r) => r.totals.valAcc = "high"), /field 'totals\.valAcc' is not a number/],
    [changed((r) => r.totals.totalTime = "fast"), /field 'totals\.totalTime' is not a number/],
    [changed((r) => r.totals = {}), /field 'totals\.epochsDone' is not a number/],
    // Wrong tables before: negative, infinite, out-of-range metrics.
    [
      changed((r) => r.totals.totalTime = -3),
      /'totals\.totalTime' is -3 \(expected a number >= 0\)/,
    ],
    [changed((r) => r.totals.valLoss = -1), /'totals\.valLoss' is -1/],
    [
      changed((r) => r.totals.valAcc = 1.5),
      /'totals\.valAcc' is 1\.5 \(expected a number in \[0, 1\]\)/,
    ],
    [
      changed((r) => r.epochs[1].epochTime = Infinity),
      /'epochs\[1\]\.epochTime' is Infinity \(expected a number >= 0\)/,
    ],
    [changed((r) => r.epochs[0].epoch = 0), /'epochs\[0\]\.epoch' is 0 \(expected a whole number/],
    // More epochs than the trial asked for (250,000 crashed the report with RangeError).
    [
      changed((r) => r.epochs = Array.from({ length: 6 }, () => good.epochs[0])),
      /field 'epochs' has 6 entries for a trial of 5 epochs/,
    ],
    // Arguments the trial CLI refuses, and ids that are not the arguments' id.
    [changed((r) => r.args.epochs = 0), /'args\.epochs' is 0: not a whole number from 1 to 1000/],
    [changed((r) => r.args.backend = "x/../../tmp"), /'args\.backend' is "x\/\.\.\/\.\.\/tmp"/],
    [
      changed((r) => r.id = "e10_b128_lr1_g0.7_s1"),
      /'id' is e10_b128_lr1_g0\.7_s1 but its arguments make e5_/,
    ],
    [changed((r) => r.id = "../../x"), /field 'id' is not a trial id/],
    // Strings: capped.
    [
      changed((r) => r.environment.cpu = "x".repeat(5000)),
      /'environment\.cpu' is 5000 characters long \(at most 1000\)/,
    ],
    [changed((r) => r.environment.os = 7), /'environment\.os' is not a string/],
    [changed((r) => r.endedAt = "yesterday"), /field 'endedAt' is not a date/],
  ];
  for (const [value, re] of cases) refused(value, re);
});

Deno.test("readRecord: e1's content under e10's name, 1e999, and oversized files are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const e1 = trialId({ ...DEFAULT_ARGS, epochs: 1 });
    const e10 = trialId({ ...DEFAULT_ARGS, epochs: 10 });
    const record = {
      ...good,
      id: e1,
      args: { ...DEFAULT_ARGS, epochs: 1 },
      epochs: [good.epochs[0]],
      totals: { ...good.totals!, epochsDone: 1 },
    };
    const path = join(dir, `${e10}.json`);
    await Deno.writeTextFile(path, JSON.stringify(record));
    assert.equal((await readRecord(path)).id, e1, "without an expected id the content is read");
    await assert.rejects(
      () => readRecord(path, e10),
      new RegExp(`^RecordError: ${path}: holds trial ${e1}, not the ${e10} its file name says$`),
    );

    const inf = join(dir, "inf.json");
    await Deno.writeTextFile(
      inf,
      JSON.stringify(good).replace(/"valAcc":[0-9.]+/, '"valAcc":1e999'),
    );
    await assert.rejects(
      () => readRecord(inf),
      /inf\.json: field 'epochs\[0\]\.valAcc' is Infinity \(expected a number in \[0, 1\]\)/,
    );

    const big = join(dir, "big.json");
    await Deno.writeTextFile(
      big,
      JSON.stringify({
        ...good,
        environment: { ...good.environment, cpu: "x".repeat(MAX_RECORD_BYTES) },
      }),
    );
    await assert.rejects(
      () => readRecord(big),
      new RegExp(
        `big\\.json: \\d+ bytes, too large for a record \\(at most ${MAX_RECORD_BYTES}\\)`,
      ),
    );

    await Deno.writeTextFile(join(dir, "bad.json"), "{");
    await assert.rejects(() => readRecord(join(dir, "bad.json")), /bad\.json: not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validateRecord: a resumed trial's 'resumed' list is checked", () => {
  const at = "2026-12-04T19:00:00.000Z";
  assert.equal(validateRecord(changed((r) => r.resumed = [{ afterEpoch: 2, at }])).id, good.id);
  refused(changed((r) => r.resumed = "yes"), /field 'resumed' is not a list/);
  refused(changed((r) => r.resumed = [{ afterEpoch: 9, at }]), /resumed\[0\]\.afterEpoch/);
  refused(changed((r) => r.resumed = [{ afterEpoch: 1, at: "then" }]), /resumed\[0\]\.at/);
});
