import assert from "node:assert/strict";
import { formatRecord, type TrialRecord } from "./record.ts";
import { trialId } from "./args.ts";
import { findFramedRecord, FRAME_TAG, frameLines, isFrameLine } from "./frame.ts";

function record(epochs: number, tail = "x"): TrialRecord {
  const args = {
    epochs,
    batchSize: 128,
    lr: 1,
    gamma: 0.7,
    seed: 1,
    testBatchSize: 1000,
    limitTrain: null,
    limitTest: null,
    dataDir: null,
    backend: "auto" as const,
    threads: null,
  };
  const id = trialId(args);
  const at = "2026-01-01T00:00:00.000Z";
  return {
    schema: 1,
    id,
    status: "failed",
    args,
    epochs: [],
    totals: null,
    divergence: null,
    error: { message: "m", exitCode: 1, stderrTail: tail },
    dataset: null,
    environment: {
      deno: "2.9.6",
      v8: "x",
      typescript: "x",
      tfjs: "4.22.0",
      backend: "auto",
      threads: 2,
      cpu: "c",
      cores: 2,
      os: "linux",
      arch: "x86_64",
      hostname: "h",
      imageId: null,
      gitCommit: null,
    },
    startedAt: at,
    endedAt: at,
  };
}

Deno.test("record frame: round trip through log lines with prefixes and other output", () => {
  const r = record(1, "é".repeat(5000)); // multi-byte, several data lines
  const json = formatRecord(r);
  const lines = frameLines(r.id, json);
  assert.ok(lines.length > 3, "a big record spans several data lines");
  assert.ok(lines.every((l) => l.startsWith(FRAME_TAG) && l.length < 3100 && !l.includes("\n")));
  const log = [
    "Epoch 01/1 | train_loss=0.2",
    ...lines.map((l, i) => (i % 2 ? `svc.1.abc@node1    | ${l}` : l)),
    "record: /tmp/x.json",
  ];
  const found = findFramedRecord(log, r.id);
  assert.equal(found.problem, null);
  assert.equal(found.json, json);
  assert.deepEqual(found.record, r);
  assert.equal(isFrameLine(log[0]), false);
  assert.equal(isFrameLine(log[1]), true);
});

Deno.test("record frame: damaged, truncated, foreign or invalid frames are rejected", () => {
  const r = record(1);
  const lines = frameLines(r.id, formatRecord(r));
  assert.equal(findFramedRecord([], r.id).record, null);
  assert.match(findFramedRecord(lines.slice(0, -1), r.id).problem!, /no end line/);
  const tampered = [...lines];
  tampered[1] = tampered[1].replace(/.$/, (c) => (c === "A" ? "B" : "A"));
  assert.match(findFramedRecord(tampered, r.id).problem!, /SHA-256 does not match|not base64/);
  assert.equal(findFramedRecord(lines, "other_id").record, null, "another trial's frame");
  const bad = frameLines(r.id, JSON.stringify({ ...r, schema: 99 }));
  assert.match(findFramedRecord(bad, r.id).problem!, /unknown schema version 99/);
  const notJson = frameLines(r.id, "{oops");
  assert.match(findFramedRecord(notJson, r.id).problem!, /not valid JSON/);
  const wrongId = frameLines(r.id, formatRecord(record(2)));
  assert.match(findFramedRecord(wrongId, r.id).problem!, /has id e2_/);
});

Deno.test("record frame: the last intact frame wins (a retried trial printed two)", () => {
  const a = record(1, "first");
  const b = record(1, "second");
  const log = [...frameLines(a.id, formatRecord(a)), ...frameLines(b.id, formatRecord(b))];
  assert.equal(findFramedRecord(log, a.id).record!.error!.stderrTail, "second");
});
