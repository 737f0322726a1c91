import assert from "node:assert/strict";
import { cpuSlots, parseCpuList } from "./cpus.ts";

Deno.test("parseCpuList expands ranges", () => {
  assert.deepEqual(parseCpuList("0-3,6\n"), [0, 1, 2, 3, 6]);
  assert.deepEqual(parseCpuList("5"), [5]);
});

Deno.test("cpuSlots splits CPUs into disjoint equal sets, one per job", () => {
  assert.deepEqual(cpuSlots(2, [0, 1]), ["0", "1"]);
  assert.deepEqual(cpuSlots(2, [0, 1, 2, 3, 4]), ["0,1", "2,3"]);
  assert.deepEqual(cpuSlots(1, [2, 3]), ["2,3"]);
  assert.throws(() => cpuSlots(3, [0, 1]), /--jobs 3: only 2 CPUs/);
});
