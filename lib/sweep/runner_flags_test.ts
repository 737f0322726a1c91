import assert from "node:assert/strict";
import { parseCpus, parseMemory, parseUser } from "./runner_flags.ts";

Deno.test("--memory: docker sizes of at least 6m; anything else is a one-line usage error", () => {
  assert.equal(parseMemory("4g"), "4g");
  assert.equal(parseMemory("512M"), "512M");
  assert.equal(parseMemory("6291456"), "6291456");
  for (const bad of ["", "4x", "-1g", "1m", "lots", "4 g", "1e9"]) {
    assert.throws(() => parseMemory(bad), {
      message: `--memory ${JSON.stringify(bad)}: expected a size of at least 6m, a number with ` +
        "an optional unit b, k, m or g (e.g. 512m, 4g)",
    });
  }
});

Deno.test("--cpus: above 0, at most the CPUs here", () => {
  assert.equal(parseCpus("1.5", 2), 1.5);
  assert.equal(parseCpus("2", 2), 2);
  for (const bad of ["0", "-1", "3", "abc", "", "Infinity", "1e0"]) {
    assert.throws(() => parseCpus(bad, 2), {
      message: `--cpus ${JSON.stringify(bad)}: expected a number above 0 and at most 2 ` +
        "(the CPUs here)",
    });
  }
});

Deno.test("--user: UID or UID:GID, never root", () => {
  assert.equal(parseUser("1000"), "1000:1000");
  assert.equal(parseUser("1993:100"), "1993:100");
  for (const bad of ["0", "0:0", "root", "1000:", "-1", "1000:1000:1", "a:b", "$(id -u)"]) {
    assert.throws(() => parseUser(bad), /^UsageError: --user .*: expected UID or UID:GID/);
  }
});
