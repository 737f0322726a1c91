import assert from "node:assert/strict";
import { datasetFilesTable } from "./tables.ts";

Deno.test("datasetFilesTable lists every file with its size and hash", () => {
  const table = datasetFilesTable([
    { name: "a.gz", bytes: 1234567, sha256: "ab".repeat(32) },
    { name: "b", bytes: 5, sha256: "cd".repeat(32) },
  ]);
  assert.equal(
    table,
    [
      "| File | Bytes | SHA-256 |",
      "| --- | --- | --- |",
      `| \`a.gz\` | 1,234,567 | \`${"ab".repeat(32)}\` |`,
      `| \`b\` | 5 | \`${"cd".repeat(32)}\` |`,
    ].join("\n"),
  );
});
