import assert from "node:assert/strict";
import { readRecord, type TrialRecord } from "../lib/record/mod.ts";
import { readCheckpoint } from "../lib/train/mod.ts";

const SCRIPT = new URL("./train.ts", import.meta.url).pathname;
const decoder = new TextDecoder();
const FLAGS = ["--epochs", "3", "--limit-train", "4096", "--limit-test", "256", "--quiet"];

function trainCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SCRIPT, ...FLAGS, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

async function train(args: string[]) {
  const out = await trainCommand(args).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Epoch metrics without the times and memory, which are measured, not computed. */
function computed(r: TrialRecord) {
  return r.epochs.map(({ epoch, lr, trainLoss, trainAcc, valLoss, valAcc }) => ({
    epoch,
    lr,
    trainLoss,
    trainAcc,
    valLoss,
    valAcc,
  }));
}

Deno.test("train CLI: killed (-9) in epoch 3 and resumed, it ends bit-identical", async () => {
  const dir = await Deno.makeTempDir();
  const whole = await train([`--out=${dir}/whole.json`, `--save-model=${dir}/whole`]);
  assert.equal(whole.code, 0, whole.stderr);

  // Kill -9 once epoch 2's checkpoint is there, i.e. during epoch 3.
  const ck = `${dir}/ck`;
  const args = [
    `--out=${dir}/resumed.json`,
    `--save-model=${dir}/resumed`,
    `--checkpoint-dir=${ck}`,
  ];
  const child = trainCommand(args).spawn();
  let saved = null;
  while ((saved = await readCheckpoint(ck).catch(() => null))?.state.epochs.length !== 2) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  child.kill("SIGKILL");
  const killed = await child.output();
  assert.equal(killed.signal, "SIGKILL");
  assert.equal((await readCheckpoint(ck))!.state.epochs.length, 2, "killed after epoch 3 ended");
  await assert.rejects(() => Deno.stat(`${dir}/resumed.json`), Deno.errors.NotFound);

  const resumed = await train(args);
  assert.equal(resumed.code, 0, resumed.stderr);
  const a = await readRecord(`${dir}/whole.json`);
  const b = await readRecord(`${dir}/resumed.json`);
  assert.deepEqual(computed(b), computed(a));
  assert.deepEqual(b.epochs.slice(0, 2), saved!.state.epochs, "epochs 1-2 keep their times");
  assert.deepEqual(b.resumed?.map((r) => r.afterEpoch), [2]);
  assert.equal(a.resumed, undefined);
  assert.deepEqual(
    await Deno.readFile(`${dir}/resumed/weights.bin`),
    await Deno.readFile(`${dir}/whole/weights.bin`),
  );
  // The log lines are the reference's, epochs 1-2 repeated from the checkpoint.
  assert.deepEqual(
    resumed.stdout.split("\n").filter((l) => l.startsWith("Epoch")).map((l) => l.split(" | ")[1]),
    whole.stdout.split("\n").filter((l) => l.startsWith("Epoch")).map((l) => l.split(" | ")[1]),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train CLI: a checkpoint of other arguments is refused in one line, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const ck = `${dir}/ck`;
  const first = await train(["--epochs=1", `--out=${dir}/a.json`, `--checkpoint-dir=${ck}`]);
  assert.equal(first.code, 0, first.stderr);
  const before = await Deno.readFile(`${ck}/checkpoint.bin`);
  const r = await train([
    "--epochs=1",
    "--seed=2",
    `--out=${dir}/b.json`,
    `--checkpoint-dir=${ck}`,
  ]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    `error: --checkpoint-dir ${ck} holds the checkpoint of another trial (seed 1 (now 2)); ` +
      "use another directory or delete it\n",
  );
  await assert.rejects(() => Deno.stat(`${dir}/b.json`), Deno.errors.NotFound);
  assert.deepEqual(await Deno.readFile(`${ck}/checkpoint.bin`), before);
  // The same command again: nothing left to train, the same numbers.
  const again = await train(["--epochs=1", `--out=${dir}/c.json`, `--checkpoint-dir=${ck}`]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(
    (await readRecord(`${dir}/c.json`)).epochs,
    (await readRecord(`${dir}/a.json`)).epochs,
  );
  await Deno.remove(dir, { recursive: true });
});
