import assert from "node:assert/strict";
import { gridPoints, parseAxis, parseGrid } from "./grid.ts";
import { UsageError } from "../record/mod.ts";

Deno.test("parseAxis reads flag names and keys, keeping labels as typed", () => {
  const a = parseAxis("lr=1.0, 0.5");
  assert.equal(a.spec.key, "lr");
  assert.deepEqual(a.values, [{ label: "1.0", value: 1 }, { label: "0.5", value: 0.5 }]);
  assert.equal(parseAxis("batch-size=32").spec.key, "batchSize");
  assert.equal(parseAxis("batchSize=32").spec.key, "batchSize");
  assert.deepEqual(parseAxis("backend=blas,cpu").values.map((v) => v.value), ["blas", "cpu"]);
});

Deno.test("parseAxis makes data directories absolute", () => {
  assert.deepEqual(parseAxis("data-dir=a,/b").values.map((v) => v.value), [
    `${Deno.cwd()}/a`,
    "/b",
  ]);
});

Deno.test("parseAxis rejects bad input with one-line messages", () => {
  const cases: [string, RegExp][] = [
    ["lr", /expected KEY=V1,V2/],
    ["=1,2", /expected KEY=V1,V2/],
    ["foo=1", /unknown key "foo" \(accepted: epochs, batch-size, lr,/],
    ["lr=1,,2", /empty value/],
    ["lr=", /empty value/],
    [
      "epochs=1.5",
      /^--grid "epochs=1.5": --epochs must be a whole number from 1 to 1000, got "1.5"$/,
    ],
    ["lr=abc", /^--grid "lr=abc": --lr must be a number > 0, got "abc"$/],
    // The trial CLI's range checks, before anything runs.
    [
      "epochs=1,0",
      /^--grid "epochs=1,0": --epochs must be a whole number from 1 to 1000, got "0"$/,
    ],
    ["lr=1.0,-1", /^--grid "lr=1.0,-1": --lr must be a number > 0, got "-1"$/],
    ["lr=1e999", /--lr must be a number > 0, got "1e999"$/],
    ["gamma=1.5", /--gamma must be a number in \(0, 1\], got "1.5"$/],
    ["backend=gpu", /--backend must be one of auto, blas, tensorflow, webgpu, cpu, got "gpu"$/],
    [
      "backend=x/../../../../../../tmp/pwned",
      /--backend must be one of auto, blas, tensorflow, webgpu, cpu, got "x\/\.\.\//,
    ],
    ["lr=1,1.0", /value 1.0 given twice/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseAxis(text), (e: Error) => {
      assert.ok(e instanceof UsageError, text);
      assert.match(e.message, message, text);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("parseGrid refuses a key given in two --grid flags", () => {
  assert.throws(() => parseGrid(["lr=1", "lr=0.5"]), /key lr given twice/);
});

Deno.test("gridPoints is the product, first axis slowest", () => {
  const points = gridPoints(parseGrid(["epochs=1,2", "lr=1.0,0.5,0.25"]));
  assert.deepEqual(
    points.map((p) => p.map((v) => v.label).join(" ")),
    ["1 1.0", "1 0.5", "1 0.25", "2 1.0", "2 0.5", "2 0.25"],
  );
  assert.deepEqual(gridPoints([]), [[]]);
});
