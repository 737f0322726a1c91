import assert from "node:assert/strict";
import { scriptArgs } from "./cli_args.ts";

Deno.test("scriptArgs: drops the first `--` that deno task passes through", () => {
  assert.deepEqual(scriptArgs(["--", "--epochs", "1"]), ["--epochs", "1"]);
  assert.deepEqual(scriptArgs(["--preset", "lr", "--", "--seed", "2"]), [
    "--preset",
    "lr",
    "--seed",
    "2",
  ]);
  assert.deepEqual(scriptArgs(["--epochs", "1"]), ["--epochs", "1"]);
  assert.deepEqual(scriptArgs(["--", "--", "x"]), ["--", "x"]);
  assert.deepEqual(scriptArgs([]), []);
});
