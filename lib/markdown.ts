/**
 * Markdown pieces: text from records made safe to place in a table or a line, and tables.
 * @module
 */

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

/**
 * A Markdown table.
 * @param header the column headings
 * @param rows the cells, already Markdown
 * @returns the table's lines joined with newlines
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
