import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireLock, LockError, pidAlive, processStartTime } from "./lock.ts";

/** The pid of a process that has exited (so certainly not alive). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("the lock holds our pid, refuses a live holder, and is released", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = acquireLock(join(dir, "results"));
    const path = join(dir, "results", ".lock");
    assert.equal(lock.path, path);
    assert.equal(Deno.readTextFileSync(path), `${Deno.pid} ${processStartTime(Deno.pid)}\n`);
    assert.match(processStartTime(Deno.pid)!, /^\d+$/);
    assert.throws(() => acquireLock(join(dir, "results")), (e: Error) => {
      assert.ok(e instanceof LockError);
      assert.match(e.message, /is in use by another sweep \(pid \d+, lock file .*\.lock\)/);
      return true;
    });
    lock.release();
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
    acquireLock(join(dir, "results")).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lock held by a live other process is refused; a dead one is taken over", async () => {
  const dir = await Deno.makeTempDir();
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    Deno.writeTextFileSync(join(dir, ".lock"), `${sleeper.pid}\n`);
    assert.throws(() => acquireLock(dir), new RegExp(`pid ${sleeper.pid}`));
    const pid = await deadPid();
    assert.equal(pidAlive(pid), false);
    Deno.writeTextFileSync(join(dir, ".lock"), `${pid}\n`);
    const lock = acquireLock(dir);
    assert.equal(lock.tookOver, true);
    assert.match(Deno.readTextFileSync(join(dir, ".lock")), new RegExp(`^${Deno.pid} \\d+\n$`));
    lock.release();
    // A garbled lock file (a crash while writing) is stale too.
    Deno.writeTextFileSync(join(dir, ".lock"), "");
    acquireLock(dir).release();
  } finally {
    sleeper.kill();
    await sleeper.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("release does not remove a lock another process took over", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = acquireLock(dir);
    Deno.writeTextFileSync(join(dir, ".lock"), "1\n");
    lock.release();
    assert.equal(Deno.readTextFileSync(join(dir, ".lock")), "1\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lock whose live pid started at another time (pid reuse) is taken over", async () => {
  const dir = await Deno.makeTempDir();
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    const start = processStartTime(sleeper.pid)!;
    Deno.writeTextFileSync(join(dir, ".lock"), `${sleeper.pid} ${start}\n`);
    assert.throws(() => acquireLock(dir), new RegExp(`pid ${sleeper.pid}`));
    // The same pid with another start time: a sweep that died, its pid now the sleeper's.
    Deno.writeTextFileSync(join(dir, ".lock"), `${sleeper.pid} ${Number(start) - 1}\n`);
    const lock = acquireLock(dir);
    assert.equal(lock.tookOver, true);
    lock.release();
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    sleeper.kill();
    await sleeper.status;
    await Deno.remove(dir, { recursive: true });
  }
});
