import assert from "node:assert/strict";
import { mdText, table } from "./markdown.ts";

Deno.test("mdText escapes what would make links, HTML, emphasis or cells; keeps words", () => {
  assert.equal(mdText("<b>|x|</b>"), "\\<b\\>\\|x\\|\\</b\\>");
  assert.equal(
    mdText("[a](b) ![c](d) `e` *f* ~~g~~ \\ &amp;"),
    "\\[a\\](b) !\\[c\\](d) \\`e\\` \\*f\\* \\~\\~g\\~\\~ \\\\ \\&amp;",
  );
  assert.equal(mdText("_x_ DYNAMIC_ARCH MAX_THREADS=64"), "\\_x\\_ DYNAMIC_ARCH MAX_THREADS=64");
  assert.equal(mdText("a\nb\r\tc\u2028d"), "a b  c d");
  assert.equal(mdText("AMD EPYC 7B13"), "AMD EPYC 7B13");
});

Deno.test("table: header, rule, rows", () => {
  assert.equal(table(["a", "b"], [["1", "2"]]), "| a | b |\n| --- | --- |\n| 1 | 2 |");
});
