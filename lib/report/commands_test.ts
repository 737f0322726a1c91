import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadResults } from "./load.ts";
import { benchCommand } from "./commands.ts";

const DIR = fileURLToPath(new URL("./testdata", import.meta.url));

Deno.test("benchCommand reproduces what the bench record holds", async () => {
  const { bench } = await loadResults(DIR);
  assert.equal(
    benchCommand(bench, "results"),
    "deno task bench -- --backends blas,cpu --vs-pytorch --steps 3 --out results/bench.json",
  );
  const committed = await loadResults(fileURLToPath(new URL("../../results", import.meta.url)));
  assert.equal(
    benchCommand(committed.bench, "results"),
    "deno task bench -- --vs-pytorch --epochs 3 --out results/bench.json",
  );
  assert.equal(benchCommand(null, "out"), "deno task bench -- --out out/bench.json");
});
