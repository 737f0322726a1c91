import assert from "node:assert/strict";
import { parseScriptFlags, scriptArgs } from "./cli.ts";

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

Deno.test("parseScriptFlags: values, 2 for a bad flag or a positional, 0 after --help", () => {
  const options = {
    force: { type: "boolean" as const, default: false },
    help: { type: "boolean" as const, default: false },
  };
  const parsed = parseScriptFlags("x", "HELP", options, ["--force"]);
  assert.notEqual(typeof parsed, "number");
  assert.equal((parsed as { force: boolean }).force, true);
  assert.equal(parseScriptFlags("x", "HELP", options, ["--bogus"]), 2);
  assert.equal(parseScriptFlags("x", "HELP", options, ["extra"]), 2);
  assert.equal(parseScriptFlags("x", "HELP", options, ["--help"]), 0);
});
