/**
 * End-to-end cases of `scripts/sweep.ts`, shared by the local and the docker runner's tests:
 * a tiny real sweep, resume, a failing trial, the lock, and Ctrl-C. Each case uses its own
 * temporary results directory. This module defines no tests itself.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_ARGS, readRecord, trialId, type TrialRecord } from "../record/mod.ts";

/** Repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Flags that make a trial take a few seconds. */
export const TINY = ["--epochs", "1", "--limit-train", "512", "--limit-test", "256"];

/** Output and exit code of one finished sweep. */
export interface SweepRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/sweep.ts` with `args` to the end. */
export async function sweep(args: string[]): Promise<SweepRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(ROOT, "scripts", "sweep.ts"), ...args],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** A started sweep whose output is collected while it runs. */
export interface LiveSweep {
  child: Deno.ChildProcess;
  output(): string;
  /** Resolves once the output contains `text` (rejects after `ms`). */
  waitFor(text: string | RegExp, ms: number): Promise<void>;
  done: Promise<SweepRun>;
}

/** Starts `scripts/sweep.ts` in the background. */
export function startSweep(args: string[]): LiveSweep {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(ROOT, "scripts", "sweep.ts"), ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  let stderr = "";
  const collect = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) add(t);
  };
  const pumps = Promise.all([
    collect(child.stdout, (t) => stdout += t),
    collect(child.stderr, (t) => stderr += t),
  ]);
  const done = (async () => {
    const { code } = await child.status;
    await pumps;
    return { code, stdout, stderr };
  })();
  const output = () => stdout + stderr;
  return {
    child,
    output,
    done,
    async waitFor(text, ms) {
      const until = Date.now() + ms;
      const found = () => typeof text === "string" ? output().includes(text) : text.test(output());
      while (!found()) {
        const exited = await Promise.race([done.then(() => true), delay(200).then(() => false)]);
        if (exited && !found()) {
          throw new Error(`sweep exited before printing ${text}:\n${output()}`);
        }
        if (Date.now() > until) throw new Error(`no ${text} within ${ms} ms:\n${output()}`);
      }
    },
  };
}

/** Waits `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The records in `<dir>/trials`, by id; fails on any leftover temporary file. */
export async function recordsIn(dir: string): Promise<Map<string, TrialRecord>> {
  const map = new Map<string, TrialRecord>();
  for await (const e of Deno.readDir(join(dir, "trials"))) {
    assert.ok(e.name.endsWith(".json"), `unexpected file ${e.name} in ${dir}/trials`);
    const r = await readRecord(join(dir, "trials", e.name));
    assert.equal(`${r.id}.json`, e.name);
    map.set(r.id, r);
  }
  return map;
}

/** Modification times of the records, by file name. */
export async function recordTimes(dir: string): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for await (const e of Deno.readDir(join(dir, "trials"))) {
    times.set(e.name, (await Deno.stat(join(dir, "trials", e.name))).mtime!.getTime());
  }
  return times;
}

/** Makes a temporary results directory (world-writable, for a container's other uid). */
export async function tempResults(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mnist-sweep-test-" });
  await Deno.chmod(dir, 0o777);
  return dir;
}

/** What the cases need to know about the runner under test. */
export interface CaseOptions {
  runner: "local" | "docker";
  /** Expected `environment.imageId` of a record; null for the local runner. */
  expectedImageId: () => Promise<string | null>;
  /** Checks no trial of this runner is still running after an interrupt. */
  assertNothingRunning?: (id: string) => Promise<void>;
}

const LR1 = "e1_b128_lr1_g0.7_s1_n512_t256";
const LR05 = "e1_b128_lr0.5_g0.7_s1_n512_t256";

/** A sweep of two tiny trials; resume; a bad grid value refused; a failing trial. One results dir, in order. */
export async function caseRunResumeFail(o: CaseOptions): Promise<void> {
  const dir = await tempResults();
  try {
    const base = ["--runner", o.runner, "--results", dir, ...TINY];
    const first = await sweep([...base, "--grid", "lr=1.0,0.5"]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /Epoch 01\/1 \| train_loss=/);
    assert.match(first.stdout, /\| Learning rate \| 1\.0 \| 0\.5 \|/);
    const records = await recordsIn(dir);
    assert.deepEqual([...records.keys()].sort(), [LR05, LR1]);
    const imageId = await o.expectedImageId();
    for (const [id, lr] of [[LR1, 1], [LR05, 0.5]] as const) {
      const r = records.get(id)!;
      assert.equal(r.status, "ok");
      assert.equal(r.args.lr, lr);
      assert.equal(r.args.epochs, 1);
      assert.equal(r.args.limitTrain, 512);
      assert.equal(r.args.limitTest, 256);
      assert.equal(r.totals?.epochsDone, 1);
      assert.equal(r.environment.imageId, imageId);
    }

    // Resume: both done, nothing runs, the records stay as they were.
    const times = await recordTimes(dir);
    const second = await sweep([...base, "--grid", "lr=1.0,0.5"]);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /0 to run, 2 done \(skipped\)/);
    assert.doesNotMatch(second.stdout, /==> trial/);
    assert.deepEqual(await recordTimes(dir), times);

    // A bad value in the grid is refused before anything runs: exit 2, no record, no lock.
    const refused = await sweep([...base, "--grid", "lr=1.0,-1"]);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.equal(
      refused.stderr,
      'sweep: --grid "lr=1.0,-1": --lr must be a number > 0, got "-1"\n',
    );
    assert.deepEqual([...(await recordsIn(dir)).keys()].sort(), [LR05, LR1]);
    assert.deepEqual(await recordTimes(dir), times);

    // A trial that fails (its data directory holds no IDX files): recorded failed with the
    // trial's exit code and stderr tail; the sweep says so and exits 1.
    const empty = await Deno.makeTempDir({ prefix: "mnist-empty-data-" });
    await Deno.chmod(empty, 0o755);
    try {
      const third = await sweep([...base, "--grid", `data-dir=${empty}`]);
      assert.equal(third.code, 1, third.stdout + third.stderr);
      assert.match(third.stdout, /1 to run, 0 done/);
      const id = trialId({
        ...DEFAULT_ARGS,
        epochs: 1,
        limitTrain: 512,
        limitTest: 256,
        dataDir: empty,
      });
      const failed = (await recordsIn(dir)).get(id)!;
      assert.equal(failed.status, "failed");
      assert.equal(failed.error?.exitCode, 1);
      assert.match(failed.error?.message ?? "", /train-images-idx3-ubyte: missing/);
      assert.match(third.stdout, new RegExp(`\\| Data directory \\| ${empty} \\|`));
      assert.match(third.stdout, /\| Elapsed time \| failed \|/);
      assert.match(third.stderr, new RegExp(`${id}: failed`));
    } finally {
      await Deno.remove(empty, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A second sweep on a locked results dir is refused; Ctrl-C records the running trial. */
export async function caseLockAndInterrupt(o: CaseOptions): Promise<void> {
  const dir = await tempResults();
  const id = "e1000_b128_lr1_g0.7_s1_n512_t256";
  try {
    const live = startSweep([
      "--runner",
      o.runner,
      "--results",
      dir,
      "--grid",
      "epochs=1000",
      "--limit-train",
      "512",
      "--limit-test",
      "256",
    ]);
    // Interrupt once the trial is training (it has printed an epoch).
    await live.waitFor(/Epoch \d+\/1000/, 180_000);
    assert.match(
      Deno.readTextFileSync(join(dir, ".lock")),
      new RegExp(`^${live.child.pid} \\d+\n$`),
    );

    const second = await sweep([
      "--runner",
      o.runner,
      "--results",
      dir,
      "--grid",
      "lr=1.0",
      ...TINY,
    ]);
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      new RegExp(`sweep: ${dir} is in use by another sweep \\(pid ${live.child.pid}, lock file `),
    );

    live.child.kill("SIGINT");
    const end = await live.done;
    assert.equal(end.code, 130, end.stdout + end.stderr);
    const r = (await recordsIn(dir)).get(id)!;
    assert.equal(r.status, "interrupted");
    assert.ok(r.epochs.length >= 1, "the trial recorded the epochs it finished");
    assert.throws(() => Deno.statSync(join(dir, ".lock")), Deno.errors.NotFound);
    await o.assertNothingRunning?.(id);

    // The interrupted trial is not done: a dry run plans it again.
    const plan = await sweep([
      "--runner",
      o.runner,
      "--results",
      dir,
      "--dry-run",
      "--grid",
      "epochs=1000",
      "--limit-train",
      "512",
      "--limit-test",
      "256",
    ]);
    assert.match(plan.stdout, new RegExp(`run +${id}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Flags of a 3-epoch trial whose epochs take several seconds each (time to stop one mid-epoch). */
const THREE = ["--epochs", "3", "--limit-train", "4096", "--limit-test", "256"];
const THREE_ID = "e3_b128_lr1_g0.7_s1_n4096_t256";

/**
 * A trial stopped (sweep Ctrl-C) in epoch 3 resumes after epoch 2 when the sweep runs again;
 * one killed (-9) in epoch 2 is retried (`--retries 1`) from epoch 1's checkpoint; the
 * checkpoints are gone once the records say ok.
 */
export async function caseStopKillResume(
  o: CaseOptions & { kill: (name: string) => Promise<void> },
): Promise<void> {
  const dir = await tempResults();
  const checkpoints = join(dir, "checkpoints");
  try {
    const base = ["--runner", o.runner, "--results", dir, ...THREE.slice(2)];
    const live = startSweep([...base, "--grid", "epochs=3"]);
    await live.waitFor("Epoch 02/3", 300_000);
    live.child.kill("SIGINT");
    const stopped = await live.done;
    assert.equal(stopped.code, 130, stopped.stdout + stopped.stderr);
    const interrupted = (await recordsIn(dir)).get(THREE_ID)!;
    assert.equal(interrupted.status, "interrupted");
    const done = interrupted.epochs.length;
    assert.ok(done === 2, `stopped after ${done} epochs`);

    const again = await sweep([...base, "--grid", "epochs=3"]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(
      again.stderr + again.stdout,
      new RegExp(`resuming from \\S+/checkpoints/${THREE_ID}/checkpoint\\.bin after epoch 2 of 3`),
    );
    const resumed = (await recordsIn(dir)).get(THREE_ID)!;
    assert.equal(resumed.status, "ok");
    assert.deepEqual(resumed.resumed?.map((r) => r.afterEpoch), [2]);
    assert.deepEqual(resumed.epochs.slice(0, 2), interrupted.epochs, "epochs 1-2 as measured");
    assert.deepEqual([...Deno.readDirSync(checkpoints)], [], "checkpoint removed once ok");

    // Killed with SIGKILL in epoch 2: failed, retried from epoch 1's checkpoint.
    const kill = startSweep([...base, "--epochs", "3", "--grid", "seed=2", "--retries", "1"]);
    await kill.waitFor("Epoch 01/3", 300_000);
    const name = kill.output().match(/running as (.+)/)![1];
    await o.kill(name);
    const end = await kill.done;
    assert.equal(end.code, 0, end.stdout + end.stderr);
    assert.match(end.stderr, /: failed \([\d.]+ s\): exit code (137|null)/);
    assert.match(end.stdout, /retry 1\/1 of e3_b128_lr1_g0\.7_s2_n4096_t256/);
    const retried = (await recordsIn(dir)).get("e3_b128_lr1_g0.7_s2_n4096_t256")!;
    assert.equal(retried.status, "ok");
    assert.equal(retried.epochs.length, 3);
    assert.deepEqual(retried.resumed?.map((r) => r.afterEpoch), [1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
