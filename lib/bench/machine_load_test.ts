import assert from "node:assert/strict";
import { isBusy, machineLoad } from "./machine_load.ts";
import { busyWarning } from "../record/mod.ts";

Deno.test("isBusy: load over half the cores, or others using over a quarter of them", () => {
  assert.equal(isBusy(0.9, 0.1, 2), false);
  assert.equal(isBusy(1.1, 0.1, 2), true);
  assert.equal(isBusy(3.4, 0, 2), true);
  assert.equal(isBusy(0.2, 0.6, 2), true);
});

Deno.test("busyWarning names the load, the cores and the processes; none when idle", () => {
  const load = {
    loadAverage: [3.4, 3, 2],
    cores: 2,
    otherCores: 1.6,
    top: [{ pid: 7, command: "deno", cores: 1.2 }, { pid: 9, command: "python3", cores: 0.4 }],
    busy: true,
  };
  assert.equal(
    busyWarning(load),
    "warning: the machine is busy (load average 3.40 on 2 cores; other processes use 1.60 " +
      "cores: deno (pid 7) 1.20, python3 (pid 9) 0.40): timings will be slow and noisy; " +
      "the record says so",
  );
  assert.equal(busyWarning({ ...load, busy: false }), null);
});

Deno.test("machineLoad sees a real process spinning on a core", async () => {
  const spinner = new Deno.Command(Deno.execPath(), {
    args: ["eval", "while (true) {}"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await new Promise((r) => setTimeout(r, 500)); // let it start
    const load = await machineLoad(1000);
    const seen = load.top.find((p) => p.pid === spinner.pid);
    assert.ok(seen, JSON.stringify(load));
    // A busy machine (a parallel test run) may give it little of a core, but it shows up.
    assert.ok(seen.cores >= 0.05, JSON.stringify(seen));
    assert.ok(load.otherCores >= seen.cores);
    assert.equal(load.loadAverage.length, 3);
    assert.equal(load.cores, navigator.hardwareConcurrency);
    assert.equal(load.busy, isBusy(load.loadAverage[0], load.otherCores, load.cores));
  } finally {
    spinner.kill("SIGKILL");
    await spinner.status;
  }
});
