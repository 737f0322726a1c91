import assert from "node:assert/strict";
import type { EpochMetrics } from "../record/mod.ts";
import { epochLine, finalBlock, progressLine, terminalColumns, totalsOf } from "./log.ts";

const epoch = (n: number, t: number): EpochMetrics => ({
  epoch: n,
  lr: 1,
  trainLoss: 0.22134,
  trainAcc: 0.93271,
  valLoss: 0.05614,
  valAcc: 0.9807,
  epochTime: t,
  trainTime: t - 1,
  evalTime: 1,
});

Deno.test("trial log: the epoch line matches the reference byte for byte", () => {
  assert.equal(
    epochLine(epoch(1, 77.4349), 5),
    "Epoch 01/5 | train_loss=0.2213 train_acc=93.27% | val_loss=0.0561 val_acc=98.07% | epoch_time=77.43s",
  );
  assert.match(epochLine(epoch(10, 1), 10), /^Epoch 10\/10 \|/);
});

Deno.test("trial log: totals sum the times and keep the last epoch; the final block", () => {
  assert.equal(totalsOf([]), null);
  const totals = totalsOf([epoch(1, 10.5), { ...epoch(2, 20.25), valAcc: 0.9908 }])!;
  assert.equal(totals.totalTime, 30.75);
  assert.equal(totals.epochsDone, 2);
  assert.equal(
    finalBlock(totals),
    "\nFinal results:\ntrain_loss=0.2213 train_acc=93.27%\nval_loss=0.0561 val_acc=99.08%\ntotal_time=30.75s for 2 epochs",
  );
});

Deno.test("trial log: the progress line shows batches, loss, rate and ETA", () => {
  const line = progressLine(
    { epoch: 2, batch: 100, batches: 469, runningLoss: 0.5, elapsed: 10 },
    5,
    63,
  );
  assert.equal(line, "epoch 2/5 [##........] 100/469 loss=0.5000 10.0 step/s ETA 37s");
  assert.match(
    progressLine({ epoch: 1, batch: 1, batches: 469, runningLoss: 1, elapsed: 1 }, 1),
    /ETA 7m48s$/,
  );
});

Deno.test("progress line fits the terminal: the bar shrinks, then goes, then the line is cut", () => {
  const p = { epoch: 3, batch: 234, batches: 469, runningLoss: 0.1234, elapsed: 20 };
  const wide = progressLine(p, 10, 200);
  assert.equal(
    wide,
    `epoch 3/10 [${"#".repeat(12)}${".".repeat(12)}] 234/469 loss=0.1234 11.7 step/s ETA 20s`,
  );
  for (const columns of [80, 70, 60, 50, 40, 20, 5, 1]) {
    const line = progressLine(p, 10, columns);
    assert.ok(line.length <= columns - 1, `${columns}: ${line.length} ${line}`);
  }
  assert.equal(
    progressLine(p, 10, 60),
    "epoch 3/10 [###...] 234/469 loss=0.1234 11.7 step/s ETA 20s",
  );
  assert.equal(
    progressLine(p, 10, 50),
    "epoch 3/10 234/469 loss=0.1234 11.7 step/s ETA 20s".slice(0, 49),
  );
  assert.equal(progressLine(p, 10, 20), "epoch 3/10 234/469 ");
});

Deno.test("terminalColumns: the console's width, 80 when unknown", () => {
  assert.equal(terminalColumns(() => ({ columns: 50 })), 50);
  assert.equal(terminalColumns(() => ({ columns: 0 })), 80);
  assert.equal(
    terminalColumns(() => {
      throw new Deno.errors.BadResource("not a terminal");
    }),
    80,
  );
});
