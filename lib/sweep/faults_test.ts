/**
 * Sweeps under faults, with the local runner and real processes: a kill -9 of the sweep, a
 * trial of a dead sweep still running, a full disk, a huge dry run, bad runner flags.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRecord } from "../record/mod.ts";
import { pidAlive } from "./lock.ts";
import { resultsKey } from "./orphans.ts";
import { delay, recordsIn, startSweep, sweep, tempResults, TINY } from "./sweep_cases_test.ts";
import { CAN_MOUNT, withTmpfs } from "./tmpfs_test.ts";

const TRAIN = fileURLToPath(new URL("../../scripts/train.ts", import.meta.url));
const LONG = ["--limit-train", "512", "--limit-test", "256"];

/** Waits until `pid` has exited, up to `ms`; true when it has. */
async function exits(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (pidAlive(pid)) {
    if (Date.now() > until) return false;
    await delay(200);
  }
  return true;
}

Deno.test("local runner: kill -9 of the sweep stops its trial, which records interrupted", async () => {
  const dir = await tempResults();
  const id = "e1000_b128_lr1_g0.7_s1_n512_t256";
  try {
    const live = startSweep([
      "--runner",
      "local",
      "--results",
      dir,
      "--grid",
      "epochs=1000",
      ...LONG,
    ]);
    await live.waitFor(/Epoch \d+\/1000/, 180_000);
    const pid = Number(/running as pid (\d+)/.exec(live.output())![1]);
    live.child.kill("SIGKILL");
    await live.done;
    // The trial notices its sweep is gone (its stdin pipe closes) and stops by itself.
    assert.ok(await exits(pid, 30_000), `trial pid ${pid} outlived its sweep`);
    const r = await readRecord(join(dir, "trials", `${id}.json`));
    assert.equal(r.status, "interrupted");
    assert.ok(r.epochs.length >= 1);

    // The next sweep takes over the lock, finds nothing left running, and runs the trials.
    const next = await sweep(["--runner", "local", "--results", dir, "--grid", "lr=1.0", ...TINY]);
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.match(next.stdout, /Lock: took over .*\.lock from a sweep that no longer runs/);
    assert.doesNotMatch(next.stdout, /Stopping \d+ trial/);
    assert.equal((await recordsIn(dir)).get("e1_b128_lr1_g0.7_s1_n512_t256")?.status, "ok");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local runner: a trial of a dead sweep still running is stopped before anything runs; others' are only warned about", async () => {
  const dir = await tempResults();
  const other = await tempResults();
  const spawnTrial = async (results: string) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", TRAIN, "--epochs=1000", ...LONG, `--out=${results}/x.json`],
      env: { MNIST_SWEEP_RESULTS: await resultsKey(results) },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("training on")) seen += (await reader.read()).value ?? "";
    reader.releaseLock();
    child.stderr.cancel().catch(() => {});
    return child;
  };
  // An orphan of an earlier sweep on `dir` (what a sweep killed before this fix left behind),
  // and a trial of a sweep on another directory.
  const orphan = await spawnTrial(dir);
  const stranger = await spawnTrial(other);
  try {
    const run = await sweep(["--runner", "local", "--results", dir, "--grid", "lr=1.0", ...TINY]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const stopping = run.stdout.indexOf(
      `Stopping 1 trial(s) of an earlier sweep on ${dir} still running (process ${orphan.pid})`,
    );
    assert.ok(stopping >= 0, run.stdout);
    assert.ok(stopping < run.stdout.indexOf("==> trial 1/1"), "stopped before any trial ran");
    assert.equal((await orphan.status).code, 130, "stopped with SIGINT: it recorded itself");
    assert.equal((await readRecord(`${dir}/x.json`)).status, "interrupted");
    assert.match(
      run.stderr,
      // (Other tests' trials may run beside this one: at least the stranger is named.)
      new RegExp(
        `warning: \\d+ trial\\(s\\) of other sweeps run on this machine \\([^)]*process ` +
          `${stranger.pid}\\b[^)]*\\); they share the CPUs`,
      ),
    );
    assert.ok(pidAlive(stranger.pid), "another directory's trial is left alone");
  } finally {
    for (const c of [orphan, stranger]) {
      try {
        c.kill("SIGKILL");
      } catch { /* gone */ }
      await c.status;
    }
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

/** Appends to `path` until the disk is full (every free byte, down to 1). */
async function fill(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, append: true });
  try {
    for (const size of [1 << 20, 4096, 1]) {
      try {
        while (true) await file.write(new Uint8Array(size));
      } catch { /* full at this size */ }
    }
  } finally {
    file.close();
  }
}

/** Temporary files (`*.tmp`) left in the results directory or its trials/. */
function tempFiles(dir: string): string[] {
  const found: string[] = [];
  for (const d of [dir, join(dir, "trials")]) {
    for (const e of Deno.readDirSync(d)) {
      if (e.isFile && e.name.endsWith(".tmp")) found.push(join(d, e.name));
    }
  }
  return found;
}

Deno.test({
  name: "local runner: a full disk mid-sweep stops it cleanly: done, failed and why, no temp files",
  ignore: !CAN_MOUNT,
  async fn() {
    // The disk fills up (a filler file takes every free byte) once the second trial is done.
    await withTmpfs("256m", async (dir) => {
      const ids = ["1", "0.9", "0.8", "0.7"].map((lr) => `e1_b128_lr${lr}_g0.7_s1_n512_t256`);
      const live = startSweep([
        "--runner",
        "local",
        "--results",
        dir,
        "--grid",
        "lr=1.0,0.9,0.8,0.7",
        ...TINY,
      ]);
      await live.waitFor(`<== ${ids[1]}: ok`, 300_000);
      await fill(join(dir, "filler"));
      const run = await live.done;
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /Records: .* \(2 of 4 ok; 3 ran this time\)/);
      assert.match(run.stdout, /\| Elapsed time \| [\d.]+ s \| [\d.]+ s \| - \| - \|/);
      assert.match(
        run.stderr,
        new RegExp(
          `${ids[2]}: failed, record not written \\(No space left on device.*\\); exit code \\d+`,
        ),
      );
      assert.match(
        run.stderr,
        new RegExp(
          `stopped early: cannot write records in ${dir}/trials \\(No space left on ` +
            `device.*\\); 1 trial\\(s\\) not run \\(${ids[3]}\\)`,
        ),
      );
      const records = await recordsIn(dir); // fails on any temporary file
      assert.deepEqual([...records.keys()].sort(), [ids[1], ids[0]]);
      assert.deepEqual(tempFiles(dir), []);
      assert.throws(() => Deno.statSync(join(dir, ".lock")), Deno.errors.NotFound);

      // Completely full: the lock cannot be written; the sweep says so and leaves nothing.
      await fill(join(dir, "filler2"));
      const full = await sweep([
        "--runner",
        "local",
        "--results",
        dir,
        "--grid",
        "lr=0.7",
        ...TINY,
      ]);
      assert.equal(full.code, 1, full.stdout + full.stderr);
      assert.match(
        full.stderr,
        new RegExp(
          `^sweep: ${dir}/\\.lock: cannot write the lock file \\(No space left on device`,
          "m",
        ),
      );
      assert.deepEqual(tempFiles(dir), []);
    });
  },
});

Deno.test("sweep: a 10,000-trial dry run is summarised, not one huge line", async () => {
  const dir = await tempResults();
  try {
    const seeds = Array.from({ length: 10_000 }, (_, i) => i + 1).join(",");
    const run = await sweep([
      "--runner",
      "local",
      "--results",
      dir,
      "--dry-run",
      "--grid",
      `seed=${seeds}`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Plan: 10000 unique trial\(s\) in 1 sweep\(s\); 10000 to run, 0 done/);
    assert.match(run.stdout, /\| 38 \| \.\.\. \(9961 more\) \| 10000$/m);
    assert.match(run.stdout, /^ {2}\.\.\. and 9962 more trial\(s\)$/m);
    const longest = Math.max(...run.stdout.split("\n").map((l) => l.length));
    assert.ok(longest < 1000, `longest line ${longest} characters`);
    assert.ok(run.stdout.length < 8000, `${run.stdout.length} characters in all`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweep: bad --memory, --cpus, --user exit 2 with one line, before anything runs", async () => {
  const dir = await tempResults();
  try {
    const cases: [string[], RegExp][] = [
      [["--memory", "lots"], /^sweep: --memory "lots": expected a size of at least 6m/],
      [["--cpus", "0"], /^sweep: --cpus "0": expected a number above 0 and at most \d+/],
      [["--cpus", "999"], /^sweep: --cpus "999": expected a number above 0 and at most \d+/],
      [["--user", "0:0"], /^sweep: --user "0:0": expected UID or UID:GID, numbers, UID not 0/],
      [["--user", "$(id)"], /^sweep: --user "\$\(id\)": expected UID or UID:GID/],
    ];
    for (const [flags, re] of cases) {
      const run = await sweep(["--runner", "docker", "--results", dir, ...flags, ...TINY]);
      assert.equal(run.code, 2, `${flags.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.match(run.stderr, re);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "local runner: a model that cannot be saved fails the sweep (exit 1), and the next sweep saves it",
  ignore: !CAN_MOUNT,
  async fn() {
    const results = await tempResults();
    const id = "e1_b128_lr1_g0.7_s1_n512_t256";
    const model = join(results, "trials", `${id}.model`);
    await Deno.mkdir(model, { recursive: true });
    // 1 MiB: the flag's probe fits, the 4.8 MB of weights do not.
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", model],
    }).output();
    assert.equal(mount.code, 0, new TextDecoder().decode(mount.stderr));
    let mounted = true;
    try {
      const args = ["--runner", "local", "--results", results, "--grid", "lr=1.0", "--save-model"];
      const first = await sweep([...args, ...TINY]);
      // Before: the sweep printed "ok", exited 0 and counted the trial done, model or not.
      assert.equal(first.code, 1, first.stdout + first.stderr);
      assert.match(
        first.stderr,
        new RegExp(`<== ${id}: ok, but model not saved to .*${id}\\.model: .*No space left`),
      );
      const record = await readRecord(join(results, "trials", `${id}.json`), id);
      assert.equal(record.status, "ok");
      assert.equal(record.epochs.length, 1, "the metrics are kept");
      assert.deepEqual(Deno.readDirSync(model).toArray(), [], "no partial model, no temp files");

      await new Deno.Command("umount", { args: [model] }).output();
      mounted = false;
      const second = await sweep([...args, ...TINY]);
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.match(second.stdout, new RegExp(`<== ${id}: ok`));
      assert.ok(Deno.statSync(join(model, "weights.bin")).size > 4_000_000);
      assert.ok(Deno.statSync(join(model, "model.json")).isFile);
    } finally {
      if (mounted) await new Deno.Command("umount", { args: [model] }).output();
      await Deno.remove(results, { recursive: true });
    }
  },
});

Deno.test("local runner: a sweep killed (-9) mid-trial and started again resumes that trial from its last epoch", async () => {
  const dir = await tempResults();
  const id = "e3_b128_lr1_g0.7_s1_n4096_t256";
  const args = ["--runner", "local", "--results", dir, "--grid", "epochs=3"];
  const flags = ["--limit-train", "4096", "--limit-test", "256"];
  try {
    const live = startSweep([...args, ...flags]);
    await live.waitFor("Epoch 02/3", 300_000);
    const pid = Number(/running as pid (\d+)/.exec(live.output())![1]);
    live.child.kill("SIGKILL");
    await live.done;
    assert.ok(await exits(pid, 30_000), `trial pid ${pid} outlived its sweep`);
    const stopped = await readRecord(join(dir, "trials", `${id}.json`), id);
    assert.equal(stopped.status, "interrupted");
    assert.ok(stopped.epochs.length >= 2, `${stopped.epochs.length} epochs recorded`);
    const kept = stopped.epochs.length;

    const again = await sweep([...args, ...flags]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout + again.stderr, new RegExp(`after epoch ${kept} of 3`));
    const done = await readRecord(join(dir, "trials", `${id}.json`), id);
    assert.equal(done.status, "ok");
    assert.equal(done.epochs.length, 3);
    assert.deepEqual(done.resumed?.map((r) => r.afterEpoch), [kept]);
    // The epochs before the kill keep their metrics and the times they were measured with.
    assert.deepEqual(done.epochs.slice(0, kept), stopped.epochs.slice(0, kept));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
