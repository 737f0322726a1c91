import assert from "node:assert/strict";
import { join } from "node:path";
import { readRecord, trialId, writeRecord } from "../record/mod.ts";
import { DEFAULT_ARGS } from "../record/mod.ts";
import { failureRecord } from "./failure_record.ts";
import { recordPath } from "./layout.ts";
import { ROOT, sweep, tempResults } from "./sweep_cases_test.ts";

const FIXTURE = join(
  ROOT,
  "lib/report/testdata/trials/e5_b128_lr1_g0.7_s1_n2000_t500_blas_j2.json",
);

Deno.test("sweep --rerun-failed plans only trials whose record is not ok", async () => {
  const dir = await tempResults();
  try {
    const common = { ...DEFAULT_ARGS, epochs: 1, limitTrain: 512, limitTest: 256 };
    const ok = { ...common, lr: 1 };
    const failed = { ...common, lr: 0.5 };
    const okRecord = await readRecord(FIXTURE);
    await Deno.mkdir(join(dir, "trials"));
    // The fixture's first epoch, as a finished 1-epoch trial.
    await writeRecord(recordPath(dir, trialId(ok)), {
      ...okRecord,
      id: trialId(ok),
      args: ok,
      epochs: okRecord.epochs.slice(0, 1),
      totals: { ...okRecord.totals!, epochsDone: 1 },
      environment: { ...okRecord.environment, imageId: null }, // ran as a local process
    });
    const now = new Date();
    await writeRecord(
      recordPath(dir, trialId(failed)),
      failureRecord({
        id: trialId(failed),
        args: failed,
        status: "failed",
        message: "exit code 137",
        exitCode: 137,
        stderrTail: null,
        imageId: null,
        gitCommit: null,
        startedAt: now,
        endedAt: now,
      }),
    );
    const flags = [
      "--runner=local",
      `--results=${dir}`,
      "--dry-run",
      "--grid=lr=1.0,0.5,0.25",
      "--epochs=1",
      "--limit-train=512",
      "--limit-test=256",
    ];
    const plan = await sweep([...flags, "--rerun-failed"]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /1 to run, 1 done \(skipped\), 1 not run yet \(skipped\)/);
    assert.match(plan.stdout, /\n {2}done, skip +e1_b128_lr1_g0\.7_s1_n512_t256\n/);
    assert.match(plan.stdout, /\n {2}run +e1_b128_lr0\.5_g0\.7_s1_n512_t256\n/);
    assert.match(plan.stdout, /\n {2}no record, skip +e1_b128_lr0\.25_g0\.7_s1_n512_t256\n/);
    // Without it, the trial never run is planned too.
    assert.match((await sweep(flags)).stdout, /2 to run, 1 done \(skipped\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweep: bad --retries, --seeds and --rerun-failed with --force are one line, exit 2", async () => {
  const cases: [string[], string][] = [
    [["--retries=-1"], 'sweep: --retries "-1": expected a whole number, 0 or more'],
    [["--seeds=0"], 'sweep: --seeds "0": expected a whole number, 1 or more'],
    [
      ["--rerun-failed", "--force"],
      "sweep: --rerun-failed and --force: pick one (--force reruns every trial)",
    ],
    [
      ["--grid=seed=1,2", "--seeds=2"],
      "sweep: --seeds: grid already varies --seed; drop one of them",
    ],
  ];
  for (const [args, message] of cases) {
    const r = await sweep(["--runner=local", "--dry-run", ...args]);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stderr, message + "\n");
  }
});
