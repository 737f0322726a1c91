/**
 * A trial's record framed in its log, for engines without a shared filesystem (Docker Swarm
 * services, Kubernetes pods): the trial prints the record's JSON, base64-encoded, on stdout
 * between a begin and an end line; the sweep finds it again in the service's or pod's log,
 * checks its length and SHA-256, validates it like any record and writes it atomically.
 *
 * Every frame line starts with {@link FRAME_TAG} (found anywhere in a line, so a log prefix
 * such as `name.1.abc@node | ` does no harm); base64 never contains a space, and no log line
 * of a trial starts with the tag, so frames are never confused with log lines.
 *
 * ```text
 * @@mnist-deno-record/1 begin <trial id> <bytes> <sha256 hex> <lines>
 * @@mnist-deno-record/1 data <index> <base64 chunk of at most 3000 characters>
 * @@mnist-deno-record/1 end <trial id>
 * ```
 * @module
 */

import { createHash } from "node:crypto";
import type { TrialRecord } from "./record.ts";
import { validateRecord } from "./validate.ts";

/** What starts every frame line. */
export const FRAME_TAG = "@@mnist-deno-record/1";

/** Base64 characters per data line (well under Docker's 16 KiB log line split). */
const CHUNK = 3000;

/** Environment variable that makes a trial print its record framed on stdout. */
export const FRAME_ENV = "TRIAL_RECORD_FRAME";

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/**
 * The frame lines of a record's JSON text (no newlines inside).
 * @param id the trial id (repeated in the begin and end lines)
 * @param json the record as written to its file
 * @returns the lines to print, in order
 * @example
 * ```ts
 * for (const line of frameLines(record.id, formatRecord(record))) console.log(line);
 * ```
 */
export function frameLines(id: string, json: string): string[] {
  const bytes = new TextEncoder().encode(json);
  const b64 = toBase64(bytes);
  const chunks: string[] = [];
  for (let i = 0; i < b64.length; i += CHUNK) chunks.push(b64.slice(i, i + CHUNK));
  return [
    `${FRAME_TAG} begin ${id} ${bytes.length} ${sha256Hex(bytes)} ${chunks.length}`,
    ...chunks.map((c, i) => `${FRAME_TAG} data ${i} ${c}`),
    `${FRAME_TAG} end ${id}`,
  ];
}

/** Whether a log line belongs to a frame (and should not be shown as output). */
export function isFrameLine(line: string): boolean {
  return line.includes(FRAME_TAG);
}

/** A record found in a log, or why none could be used. */
export interface FramedRecord {
  /** The last complete, intact and valid frame's record; null when there is none. */
  record: TrialRecord | null;
  /** Its JSON text exactly as the trial wrote it. */
  json: string | null;
  /** Why a frame was rejected (the last problem seen), or null. */
  problem: string | null;
}

/**
 * Finds the trial's record in its log lines: the last frame that is complete (begin, every
 * data line, end), whose length and SHA-256 match and whose JSON is a valid record of `id`.
 * @param lines the log, one line per entry, in order; other lines are skipped
 * @param id the trial id the record must carry
 */
export function findFramedRecord(lines: Iterable<string>, id: string): FramedRecord {
  const found: FramedRecord = { record: null, json: null, problem: null };
  let open: { bytes: number; sha: string; count: number; chunks: string[] } | null = null;
  for (const raw of lines) {
    const at = raw.indexOf(FRAME_TAG);
    if (at < 0) continue;
    const parts = raw.slice(at + FRAME_TAG.length).trim().split(" ");
    if (parts[0] === "begin" && parts.length === 5 && parts[1] === id) {
      open = { bytes: Number(parts[2]), sha: parts[3], count: Number(parts[4]), chunks: [] };
    } else if (parts[0] === "data" && parts.length === 3 && open) {
      if (Number(parts[1]) !== open.chunks.length) {
        found.problem = `frame of ${id}: data line ${parts[1]} out of order`;
        open = null;
        continue;
      }
      open.chunks.push(parts[2]);
    } else if (parts[0] === "end" && parts[1] === id && open) {
      const frame = open;
      open = null;
      if (frame.chunks.length !== frame.count) {
        found.problem = `frame of ${id}: ${frame.chunks.length} of ${frame.count} data lines`;
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = fromBase64(frame.chunks.join(""));
      } catch {
        found.problem = `frame of ${id}: not base64`;
        continue;
      }
      if (bytes.length !== frame.bytes || sha256Hex(bytes) !== frame.sha) {
        found.problem = `frame of ${id}: length or SHA-256 does not match`;
        continue;
      }
      const json = new TextDecoder().decode(bytes);
      try {
        const record = validateRecord(JSON.parse(json), `record of ${id} in its log`);
        if (record.id !== id) throw new Error(`record of ${id} in its log has id ${record.id}`);
        found.record = record;
        found.json = json;
        found.problem = null;
      } catch (err) {
        found.problem = err instanceof SyntaxError
          ? `record of ${id} in its log: not valid JSON`
          : (err as Error).message;
      }
    }
  }
  if (open && found.record === null) found.problem = `frame of ${id}: no end line`;
  return found;
}
