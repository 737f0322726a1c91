import assert from "node:assert/strict";
import { median } from "./bench.ts";

Deno.test("median of odd and even counts, unsorted input left alone", () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});
