import assert from "node:assert/strict";
import { envChoice, envFlag, envInt } from "./params.ts";

Deno.test("envInt, envFlag, envChoice: defaults, values, one-line errors naming the variable", () => {
  const name = "NB_TEST_PARAMETER";
  try {
    Deno.env.delete(name);
    assert.equal(envInt(name, 7), 7);
    assert.equal(envFlag(name, true), true);
    Deno.env.set(name, " 512 ");
    assert.equal(envInt(name, 7), 512);
    for (const bad of ["0", "-3", "1.5", "12abc", "1e3"]) {
      Deno.env.set(name, bad);
      assert.throws(() => envInt(name, 7), {
        message: `${name} must be a positive integer, got '${bad}'`,
      });
    }
    Deno.env.set(name, "yes");
    assert.equal(envFlag(name, false), true);
    Deno.env.set(name, "0");
    assert.equal(envFlag(name, true), false);
    Deno.env.set(name, "maybe");
    assert.throws(() => envFlag(name, true), /NB_TEST_PARAMETER must be one of .* got 'maybe'/);
    assert.throws(() => envChoice(name, ["a", "b"], "a"), {
      message: "NB_TEST_PARAMETER must be one of a, b; got 'maybe'",
    });
    Deno.env.set(name, "b");
    assert.equal(envChoice(name, ["a", "b"], "a"), "b");
    Deno.env.delete(name);
    assert.equal(envChoice(name, ["a", "b"], "a"), "a");
  } finally {
    Deno.env.delete(name);
  }
});
