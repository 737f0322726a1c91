/**
 * The sections about records themselves: cells that several records fill, and files left
 * out with why.
 * @module
 */

import { mdText } from "../markdown.ts";
import { type Section, text } from "./document.ts";

function listSection(heading: string, lines: string[]): Section | null {
  if (lines.length === 0) return null;
  return {
    heading,
    level: 2,
    blocks: [text(lines.map((l) => `- ${mdText(l)}`).join("\n"))],
  };
}

/**
 * The section "Several records for one trial".
 * @param lines one line per such cell (from {@link duplicateCells})
 * @returns the section, or null when there are none
 */
export function duplicatesSection(lines: string[]): Section | null {
  return listSection("Several records for one trial", lines);
}

/**
 * The section "Records left out".
 * @param warnings one line per file left out, naming it and why
 * @returns the section, or null when none was left out
 */
export function leftOutSection(warnings: string[]): Section | null {
  return listSection("Records left out", warnings);
}
