/**
 * The "Environment" section: the machine and software the reported trials ran on, one value
 * per row or the distinct values with their counts.
 * @module
 */

import type { TrialRecord } from "../record/mod.ts";
import { mdText } from "../markdown.ts";
import { type Section, tableBlock, text } from "./document.ts";
import { summary } from "./format.ts";

/**
 * The environment section of the trials in the tables.
 * @param trials the records of the study's cells
 * @returns the section, or null when there are no trials
 */
export function environmentSection(trials: TrialRecord[]): Section | null {
  if (trials.length === 0) return null;
  const env = trials.map((r) => r.environment);
  const field = (f: (e: TrialRecord["environment"]) => string | number | null) =>
    summary(env.map((e) => {
      const v = f(e);
      return v === null ? "unknown" : mdText(String(v));
    }));
  const rows = [
    ["Machine (CPU)", field((e) => e.cpu)],
    ["Cores", field((e) => e.cores)],
    ["OS, architecture", field((e) => `${e.os}, ${e.arch}`)],
    ["Backend", field((e) => e.backend)],
    ["Threads", field((e) => e.threads)],
    ["Deno", field((e) => e.deno)],
    ["V8", field((e) => e.v8)],
    ["TypeScript", field((e) => e.typescript)],
    ["TensorFlow.js", field((e) => e.tfjs)],
    ["Container image", field((e) => e.imageId === null ? "none (not in a container)" : e.imageId)],
    ["Git commit", field((e) => e.gitCommit)],
  ];
  // Records from before the library was recorded have no such field: no row for them alone.
  if (env.some((e) => e.library)) {
    rows.splice(5, 0, ["Math library", field((e) => e.library ?? null)]);
  }
  return {
    heading: "Environment",
    level: 2,
    blocks: [text("Of the trials in the tables above."), tableBlock(["", ""], rows)],
  };
}
