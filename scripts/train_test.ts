import assert from "node:assert/strict";
import { readRecord } from "../lib/record/mod.ts";
import { CAN_MOUNT, withTmpfs } from "../lib/sweep/tmpfs_test.ts";

const SCRIPT = new URL("./train.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** Runs the trial CLI as a subprocess and returns its exit code and output. */
async function train(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

const EPOCH_LINE =
  /^Epoch \d{2}\/\d+ \| train_loss=\d+\.\d{4} train_acc=\d+\.\d{2}% \| val_loss=\d+\.\d{4} val_acc=\d+\.\d{2}% \| epoch_time=\d+\.\d{2}s$/;

Deno.test("train CLI: every bad flag is one line naming the flag and range, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--epochs", "0"], /^error: --epochs must be a whole number from 1 to 1000, got "0"$/],
    [["--epochs", "2.5"], /^error: --epochs must be a whole number/],
    [
      ["--batch-size", "-4"],
      /^error: --batch-size must be a whole number from 1 to 60000, got "-4"$/,
    ],
    [["--lr", "abc"], /^error: --lr must be a number > 0, got "abc"$/],
    [["--lr", "Infinity"], /^error: --lr must be a number > 0, got "Infinity"$/],
    [["--lr", "0"], /^error: --lr must be a number > 0/],
    [["--gamma", "1.5"], /^error: --gamma must be a number in \(0, 1\], got "1.5"$/],
    [["--gamma", "0"], /^error: --gamma must be a number in \(0, 1\]/],
    [
      ["--backend", "gpu"],
      /^error: --backend must be one of auto, blas, tensorflow, webgpu, cpu, got "gpu"$/,
    ],
    [["--threads", "0"], /^error: --threads must be a whole number from 1 to 1024/],
    [["--bogus"], /^error: unknown flag --bogus \(see --help for the flags\)$/],
    [["extra"], /^error: unexpected argument "extra" \(flags only\)$/],
    [["--epochs"], /^error: --epochs needs a value/],
    [
      ["--limit-train", "70000", "--limit-test", "10"],
      /^error: --limit-train 70000 is larger than the data \(60000 images\)$/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await train([...args, "--out", "/nonexistent/never-written.json"]);
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}, stderr ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(lines[0], re);
  }
});

Deno.test("train CLI: --help lists every flag and exits 0", async () => {
  const r = await train(["--help"]);
  assert.equal(r.code, 0);
  for (
    const flag of [
      "--epochs",
      "--batch-size",
      "--lr",
      "--gamma",
      "--seed",
      "--test-batch-size",
      "--limit-train",
      "--limit-test",
      "--data-dir",
      "--backend",
      "--threads",
      "--out",
      "--save-model",
      "--quiet",
    ]
  ) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});

Deno.test("train CLI: a missing IDX file is named; exit 1 and a failed record", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/r.json`;
  const r = await train(["--data-dir", dir, "--out", out, "--quiet"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), new RegExp(`^error: ${dir}/train-images-idx3-ubyte: missing`));
  assert.ok(!r.stderr.includes("    at "), "no stack trace");
  const record = await readRecord(out);
  assert.equal(record.status, "failed");
  assert.match(record.error!.message, /train-images-idx3-ubyte: missing/);
});

Deno.test("train CLI: a subset trains, prints the reference lines and writes the record", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/trial.json`;
  const r = await train([
    "--epochs",
    "2",
    "--limit-train",
    "2048",
    "--limit-test",
    "500",
    "--batch-size",
    "64",
    "--out",
    out,
    "--save-model",
    `${dir}/model`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], EPOCH_LINE);
  assert.match(lines[1], EPOCH_LINE);
  assert.deepEqual(lines.slice(2, 4), ["", "Final results:"]);
  assert.match(lines[4], /^train_loss=\d+\.\d{4} train_acc=\d+\.\d{2}%$/);
  assert.match(lines[5], /^val_loss=\d+\.\d{4} val_acc=\d+\.\d{2}%$/);
  assert.match(lines[6], /^total_time=\d+\.\d{2}s for 2 epochs$/);

  const record = await readRecord(out);
  assert.equal(record.status, "ok");
  assert.equal(record.id, "e2_b64_lr1_g0.7_s1_n2048_t500");
  assert.equal(record.args.batchSize, 64);
  assert.equal(record.epochs.length, 2);
  const [e1, e2] = record.epochs;
  assert.ok(e2.trainLoss < e1.trainLoss, `loss falls: ${e1.trainLoss} -> ${e2.trainLoss}`);
  assert.ok(e2.valAcc > 0.7, `accuracy far above chance: ${e2.valAcc}`);
  assert.equal(e2.lr, 0.7);
  assert.equal(record.totals!.totalTime, e1.epochTime + e2.epochTime);
  assert.equal(record.dataset!.trainCount, 2048);
  assert.equal(record.dataset!.files.length, 4);
  assert.equal(record.environment.backend, "blas");
  assert.match(record.environment.library!, /^OpenBLAS \d+\.\d+\.\d+ /);
  assert.equal(record.environment.tfjs, "4.22.0");
  assert.equal(record.environment.deno, Deno.version.deno);
  for (const k of ["v8", "typescript", "cpu", "os", "arch"] as const) {
    assert.ok(record.environment[k]);
  }
  assert.ok(record.environment.cores >= 1 && record.environment.threads >= 1);
  assert.ok(Date.parse(record.startedAt) <= Date.parse(record.endedAt));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["model", "trial.json"]);
  assert.deepEqual([...Deno.readDirSync(`${dir}/model`)].map((e) => e.name).sort(), [
    "model.json",
    "weights.bin",
  ]);
});

Deno.test("train CLI: the same seed gives identical metrics; another seed does not", async () => {
  const dir = await Deno.makeTempDir();
  const run = async (seed: string, name: string) => {
    const r = await train([
      "--epochs",
      "1",
      "--limit-train",
      "512",
      "--limit-test",
      "200",
      "--seed",
      seed,
      "--out",
      `${dir}/${name}.json`,
      "--quiet",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { epochTime: _a, trainTime: _b, evalTime: _c, peakRssBytes: _d, ...metrics } =
      (await readRecord(`${dir}/${name}.json`)).epochs[0];
    return metrics;
  };
  const a = await run("7", "a");
  assert.deepEqual(await run("7", "b"), a);
  assert.notDeepEqual(await run("8", "c"), a);
});

Deno.test("train CLI: a diverging loss stops with exit 3 and a diverged record", async () => {
  const out = `${await Deno.makeTempDir()}/r.json`;
  const r = await train([
    "--lr",
    "1e6",
    "--epochs",
    "1",
    "--limit-train",
    "2048",
    "--limit-test",
    "100",
    "--out",
    out,
  ]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /error: loss became \S+ at epoch 1, batch \d+; try a smaller --lr/);
  const record = await readRecord(out);
  assert.equal(record.status, "diverged");
  assert.equal(record.divergence!.epoch, 1);
  assert.ok(record.divergence!.batch >= 1);
  assert.equal(record.totals, null);
});

Deno.test("train CLI: Ctrl-C exits 130 with an interrupted record, never ok", async () => {
  const out = `${await Deno.makeTempDir()}/r.json`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SCRIPT, "--epochs", "3", "--limit-test", "100", "--out", out],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("training on")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGINT");
  while (!(await reader.read()).done) { /* drain until the child exits */ }
  const [status] = await Promise.all([child.status, child.stdout.cancel()]);
  assert.equal(status.code, 130);
  const record = await readRecord(out);
  assert.equal(record.status, "interrupted");
  assert.equal(record.totals, null);
});

Deno.test("train CLI: with defaults the record goes to the ignored runs/, never results/", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        SCRIPT,
        "--epochs",
        "1",
        "--limit-train",
        "256",
        "--limit-test",
        "128",
      ],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    const written = [...Deno.readDirSync(cwd)].map((e) => e.name);
    assert.deepEqual(written, ["runs"]);
    const [name] = [...Deno.readDirSync(`${cwd}/runs`)].map((e) => e.name);
    assert.equal(name, "e1_b128_lr1_g0.7_s1_n256_t128.json");
    assert.equal((await readRecord(`${cwd}/runs/${name}`)).status, "ok");
    // One line says which backend was chosen; no tfjs banner.
    const err = decoder.decode(out.stderr);
    const about = err.split("\n").filter((l) => /backend|auto chose/.test(l));
    assert.equal(about.length, 1, err);
    assert.match(about[0], /^backend blas \(auto\): /);
    assert.ok(!err.includes("looks like you are running TensorFlow.js"), err);
    assert.match(err, /^training on 256 images, testing on 128$/m);
    assert.match(err, /^record: runs\/e1_b128_lr1_g0\.7_s1_n256_t128\.json$/m);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("train CLI: git ignores runs/, so a run by hand leaves `git status` clean", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const out = await new Deno.Command("git", {
    args: ["check-ignore", "--no-index", "runs/e1_b128_lr1_g0.7_s1.json"],
    cwd: root,
    stdout: "piped",
  }).output();
  assert.equal(out.code, 0, "runs/ is not in .gitignore");
  assert.equal(decoder.decode(out.stdout), "runs/e1_b128_lr1_g0.7_s1.json\n");
});

Deno.test("train CLI: `deno task train -- FLAGS` reaches the flags past the `--`", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "train", "--", "--epochs", "0"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    decoder.decode(out.stderr),
    /error: --epochs must be a whole number from 1 to 1000, got "0"/,
  );
});

Deno.test("train CLI: an unwritable --out or --save-model is refused before training, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tiny = ["--epochs", "1", "--limit-train", "64", "--limit-test", "64"];
    const cases: [string[], RegExp][] = [
      [["--out", "/sys/x.json"], /^error: --out \/sys\/x\.json: cannot write there \(.+\)$/],
      [
        ["--out", "/etc/passwd/x.json"],
        /^error: --out \/etc\/passwd\/x\.json: cannot write there \(\/etc\/passwd is not a directory\)$/,
      ],
      [
        ["--out", `${dir}/r.json`, "--save-model", "/etc/passwd/x.json"],
        /^error: --save-model \/etc\/passwd\/x\.json: cannot write there \(Not a directory.*\)$/,
      ],
      [
        ["--out", dir],
        new RegExp(`^error: --out ${dir}: cannot write there \\(it is a directory\\)$`),
      ],
    ];
    for (const [args, re] of cases) {
      const r = await train([...tiny, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}, stderr ${r.stderr}`);
      const errors = r.stderr.trim().split("\n").filter((l) => l.startsWith("error"));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0], re);
      assert.doesNotMatch(r.stdout, /Epoch 01/, "refused before training");
    }
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "train CLI: a model that cannot be saved (full disk) keeps the metrics, no temp files",
  ignore: !CAN_MOUNT,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      // 1 MiB takes the write probe but not the 4.8 MB weights.
      await withTmpfs("1m", async (models) => {
        const out = `${dir}/r.json`;
        const model = `${models}/m`;
        const r = await train([
          "--epochs=1",
          "--limit-train=64",
          "--limit-test=64",
          "--quiet",
          "--out",
          out,
          "--save-model",
          model,
        ]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(
          r.stderr.trim(),
          new RegExp(
            `^error: model not saved to ${model}: No space left on device.*; the ` +
              `metrics are kept \\(record: ${out}\\)$`,
          ),
        );
        const record = await readRecord(out);
        assert.equal(record.status, "ok");
        assert.equal(record.totals?.epochsDone, 1);
        assert.equal(record.epochs.length, 1);
        assert.match(record.error!.message, /^model not saved to .*: No space left on device/);
        assert.deepEqual([...Deno.readDirSync(model)], [], "neither file, no temporary file");
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("train CLI: with TRIAL_PARENT_PIPE=stdin, a closed stdin (parent gone) stops it, 130", async () => {
  const out = `${await Deno.makeTempDir()}/r.json`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      SCRIPT,
      "--epochs=1000",
      "--limit-train=256",
      "--limit-test=64",
      "--out",
      out,
    ],
    env: { TRIAL_PARENT_PIPE: "stdin" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("Epoch 01/1000")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  await child.stdin.close(); // what a kill -9 of the sweep does to the pipe
  while (!(await reader.read()).done) { /* until the trial exits */ }
  const [status, err] = await Promise.all([child.status, new Response(child.stderr).text()]);
  assert.equal(status.code, 130, err);
  assert.match(err, /the sweep that started this trial is gone: stopping after this batch/);
  const record = await readRecord(out);
  assert.equal(record.status, "interrupted");
  assert.ok(record.epochs.length >= 1);
});
