/**
 * Markdown pieces: text from records made safe to place in a table or a line, tables, and
 * the reference's result table.
 * @module
 */

import type { TrialTotals } from "./record/mod.ts";
export type { TrialTotals };

/**
 * Makes text from a record safe inside Markdown: control characters and line breaks become
 * spaces; `\`, `` ` ``, `*`, `[`, `]`, `<`, `>`, `&`, `|`, `~` and `_` (except between two
 * letters or digits, as in `DYNAMIC_ARCH`) are escaped with a backslash, so no link, image,
 * HTML, emphasis or table cell can come out of it.
 * @param text any string
 * @returns the text, escaped
 * @example
 * ```ts
 * mdText("<b>|x|</b>"); // "\\<b\\>\\|x\\|\\</b\\>"
 * ```
 */
export function mdText(text: string): string {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, " ");
  let out = "";
  for (let i = 0; i < plain.length; i++) {
    const ch = plain[i];
    if (ch === "_") {
      const inWord = /[A-Za-z0-9]/.test(plain[i - 1] ?? "") &&
        /[A-Za-z0-9]/.test(plain[i + 1] ?? "");
      out += inWord ? ch : "\\_";
    } else if ("\\`*[]<>&|~".includes(ch)) {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** How a table column is aligned: `null` (or absent) leaves it to the viewer. */
export type Align = "left" | "center" | "right" | null;

const DELIMITERS: Record<string, string> = {
  left: ":---",
  center: ":---:",
  right: "---:",
};

/**
 * A Markdown table: the one table writer of the project (sweep summary, report, notebooks).
 * @param header the column headings
 * @param rows the cells, already Markdown
 * @param align per column, how it is aligned (absent: `---`, the viewer's default)
 * @returns the table's lines joined with newlines
 * @example
 * ```ts
 * table(["a", "b"], [["1", "2"]], [null, "right"]); // "| a | b |\n| --- | ---: |\n| 1 | 2 |"
 * ```
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const delimiters = header.map((_, i) => DELIMITERS[align[i] ?? ""] ?? "---");
  return [line(header), line(delimiters), ...rows.map(line)].join("\n");
}

/** The reference's result rows: a label, and how a trial's totals fill its cell. */
const RESULT_ROWS: readonly [string, (t: TrialTotals) => string][] = [
  ["Elapsed time", (t) => `${t.totalTime.toFixed(2)} s`],
  ["Validation loss", (t) => t.valLoss.toFixed(4)],
  ["Validation accuracy", (t) => t.valAcc.toFixed(4)],
];

/**
 * The rows of a sweep's table in the reference's layout: elapsed time, validation loss and
 * validation accuracy, one cell per value swept. The one builder for the sweep's summary and
 * the report.
 * @param columns per column: the trial's totals, or the text for every row of it (`-`, a status)
 * @returns the rows, each its label then one cell per column
 */
export function resultRows(columns: readonly (TrialTotals | string)[]): string[][] {
  return RESULT_ROWS.map(([label, cell]) => [
    label,
    ...columns.map((c) => (typeof c === "string" ? c : cell(c))),
  ]);
}

/**
 * A sweep's table in the reference's layout ({@link resultRows}) as Markdown.
 * @param header the first column's heading, then one heading per column
 * @param columns per column: the trial's totals, or the text for every row of it (`-`, a status)
 * @returns the Markdown table
 */
export function resultTable(
  header: readonly string[],
  columns: readonly (TrialTotals | string)[],
): string {
  return table(header, resultRows(columns));
}
