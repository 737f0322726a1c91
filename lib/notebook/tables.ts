/**
 * The notebooks' own Markdown tables.
 * @module
 */

import type { DatasetFile } from "../record/mod.ts";
import { table } from "../markdown.ts";

/** The data set files as a Markdown table: name, size and SHA-256. */
export function datasetFilesTable(files: DatasetFile[]): string {
  return table(
    ["File", "Bytes", "SHA-256"],
    files.map((f) => [`\`${f.name}\``, f.bytes.toLocaleString("en-US"), `\`${f.sha256}\``]),
  );
}
