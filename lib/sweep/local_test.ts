import assert from "node:assert/strict";
import { join } from "node:path";
import { formatRecord } from "../record/mod.ts";
import { failureRecord } from "./failure_record.ts";
import { parseGrid } from "./grid.ts";
import { recordPath } from "./layout.ts";
import { planSweeps } from "./plan.ts";
import { selectSweeps } from "./presets.ts";
import {
  caseLockAndInterrupt,
  caseRunResumeFail,
  caseStopKillResume,
  sweep,
  TINY,
} from "./sweep_cases_test.ts";

const local = { runner: "local" as const, expectedImageId: () => Promise.resolve(null) };

Deno.test("local runner: two trials, resume, a failing trial", async () => {
  await caseRunResumeFail(local);
});

Deno.test("local runner: the lock refuses a second sweep; Ctrl-C records interrupted", async () => {
  await caseLockAndInterrupt(local);
});

Deno.test("local runner: a record from a container is not done here unless --reuse-any", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const flags = ["--grid", "epochs=1", ...TINY.slice(2)];
    const plan = planSweeps(selectSweeps([], parseGrid(["epochs=1"])), {
      limitTrain: 512,
      limitTest: 256,
    });
    const [trial] = plan.trials;
    const record = failureRecord({
      id: trial.id,
      args: trial.args,
      status: "failed",
      message: "",
      exitCode: null,
      stderrTail: null,
      imageId: "sha256:0123456789abcdef0123456789abcdef",
      gitCommit: null,
      startedAt: new Date(0),
      endedAt: new Date(0),
    });
    record.status = "ok";
    record.error = null;
    record.totals = {
      epochsDone: 1,
      trainLoss: 0.5,
      trainAcc: 0.8,
      valLoss: 0.4,
      valAcc: 0.9,
      totalTime: 3,
    };
    await Deno.mkdir(join(dir, "trials"));
    await Deno.writeTextFile(recordPath(dir, trial.id), formatRecord(record));
    const strict = await sweep(["--runner", "local", "--results", dir, "--dry-run", ...flags]);
    assert.equal(strict.code, 0, strict.stderr);
    assert.match(strict.stdout, /1 to run, 0 done \(skipped\)/);
    assert.ok(
      strict.stdout.includes(
        `  run             ${trial.id} (its record ran in a container sha256:0123456789ab; ` +
          "--reuse-any keeps it)\n",
      ),
      strict.stdout,
    );
    const any = await sweep([
      "--runner",
      "local",
      "--results",
      dir,
      "--dry-run",
      "--reuse-any",
      ...flags,
    ]);
    assert.equal(any.code, 0, any.stderr);
    assert.match(any.stdout, /0 to run, 1 done \(skipped\)/);
    assert.ok(any.stdout.includes(`  done, skip      ${trial.id}\n`), any.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local runner: a stopped trial resumes from its last epoch; a killed one is retried", async () => {
  await caseStopKillResume({
    ...local,
    kill: (name) => Promise.resolve(Deno.kill(Number(name.replace("pid ", "")), "SIGKILL")),
  });
});
