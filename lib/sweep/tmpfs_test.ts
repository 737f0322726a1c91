/**
 * A small tmpfs for tests of a full disk (mounted with `mount -t tmpfs`, so root on Linux).
 * This module defines no tests itself.
 * @module
 */

import assert from "node:assert/strict";

/** Whether this process may mount a tmpfs (root on Linux); tests that need one say so. */
export const CAN_MOUNT = Deno.build.os === "linux" && Deno.uid() === 0;

/** Runs `fn` with a fresh tmpfs of `size` mounted on a temporary directory, unmounted after. */
export async function withTmpfs(size: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mnist-tmpfs-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
  }).output();
  assert.equal(mount.code, 0, new TextDecoder().decode(mount.stderr));
  try {
    await fn(dir);
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
    await Deno.remove(dir, { recursive: true });
  }
}
