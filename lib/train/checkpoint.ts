/**
 * A trial's checkpoint: after every epoch, one file `checkpoint.bin` in the checkpoint
 * directory holds what training needs to continue bit for bit ({@link TrainState}: weights,
 * Adadelta's averages, StepLR's learning rate, the generator behind shuffling and dropout),
 * the finished epochs' metrics, and a fingerprint of the arguments and data it belongs to.
 * It is replaced atomically (a temporary file, flushed, then renamed), so a trial killed at
 * any moment leaves the previous epoch's checkpoint or the new one, never half of one.
 *
 * Layout: the 4 bytes `MCK1`, the header's length (uint32, little-endian), the header (JSON),
 * zero padding to a multiple of 4, then the float32 arrays (little-endian) the header lists.
 * @module
 */

import { join } from "node:path";
import type { DatasetFile, TrialArgs } from "../record/mod.ts";
import type { TrainState } from "./loop.ts";

/** Name of the checkpoint file inside a checkpoint directory. */
export const CHECKPOINT_FILE = "checkpoint.bin";

const MAGIC = "MCK1";

/** What a checkpoint belongs to: a trial's arguments, data and math setup. */
export interface CheckpointIdentity {
  /** The trial's arguments (a checkpoint resumes only the same trial). */
  args: TrialArgs;
  /** SHA-256 of each IDX file read. */
  data: DatasetFile[];
  /** Backend actually used and its threads (they change the numbers' last bits). */
  backend: string;
  /** Math threads the backend used. */
  threads: number;
}

/** How a trial has been resumed: after which epoch, and when. */
export interface Resume {
  /** Epochs already done when it resumed. */
  afterEpoch: number;
  /** When it resumed, ISO 8601 UTC. */
  at: string;
}

/** The header of a checkpoint, beside the arrays. */
export interface CheckpointHeader {
  /** Version of the checkpoint format; a reader refuses any other. */
  version: 1;
  /** SHA-256 (hex) of the identity's canonical JSON. */
  fingerprint: string;
  /** What the checkpoint belongs to, as hashed into `fingerprint`. */
  identity: CheckpointIdentity;
  /** When the trial first started. */
  startedAt: string;
  /** Earlier resumes of this trial, oldest first. */
  resumes: Resume[];
  /** The finished epochs' metrics, as measured then. */
  epochs: TrainState["epochs"];
  /** Learning rate of the next epoch (StepLR's position). */
  lr: number;
  /** State of the generator behind shuffling and every dropout mask. */
  rngState: number;
  /** Length of each array that follows: weights, then squareAvg and accDelta per variable. */
  arrays: number[];
}

/** A checkpoint read back. */
export interface Checkpoint {
  /** The header as written (identity, resumes, layout of the arrays). */
  header: CheckpointHeader;
  /** The training state to resume from: weights, optimizer averages, rng, learning rate. */
  state: TrainState;
}

/** A checkpoint that cannot be used; the message is one line naming the file. */
export class CheckpointError extends Error {
  /** The error's class name, as printed before the message. */
  override name = "CheckpointError";
}

/**
 * The fingerprint of an identity: SHA-256 of its JSON with the arguments in a fixed order.
 * @param id the trial's arguments, data files and backend
 * @returns 64 hex digits
 */
export async function fingerprint(id: CheckpointIdentity): Promise<string> {
  const keys = Object.keys(id.args).sort() as (keyof TrialArgs)[];
  const canonical = JSON.stringify({
    args: keys.map((k) => [k, id.args[k]]),
    data: id.data.map((f) => [f.name, f.bytes, f.sha256]),
    backend: id.backend,
    threads: id.threads,
  });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Why a checkpoint's identity differs from a trial's, as a short phrase (`--seed 2 vs 1`,
 * `the data`), or null when they are the same.
 */
export function identityDifference(
  saved: CheckpointIdentity,
  now: CheckpointIdentity,
): string | null {
  const diffs: string[] = [];
  const keys = new Set([...Object.keys(saved.args), ...Object.keys(now.args)]);
  for (const k of keys) {
    const a = (saved.args as unknown as Record<string, unknown>)[k];
    const b = (now.args as unknown as Record<string, unknown>)[k];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      diffs.push(`${k} ${JSON.stringify(a ?? null)} (now ${JSON.stringify(b ?? null)})`);
    }
  }
  if (JSON.stringify(saved.data) !== JSON.stringify(now.data)) diffs.push("the data files");
  if (saved.backend !== now.backend) diffs.push(`backend ${saved.backend} (now ${now.backend})`);
  if (saved.threads !== now.threads) diffs.push(`threads ${saved.threads} (now ${now.threads})`);
  return diffs.length > 0 ? diffs.join(", ") : null;
}

/** Path of the checkpoint file in `dir`. */
export function checkpointPath(dir: string): string {
  return join(dir, CHECKPOINT_FILE);
}

/**
 * Writes a checkpoint into `dir` (created if needed), replacing the previous one atomically.
 * @param dir the checkpoint directory
 * @param header everything but the arrays (its `arrays` field is filled in here)
 * @param state the state to continue from
 */
export async function writeCheckpoint(
  dir: string,
  header: Omit<CheckpointHeader, "arrays" | "epochs" | "lr" | "rngState">,
  state: TrainState,
): Promise<void> {
  const arrays = [
    ...state.weights,
    ...state.optimizer.flatMap((s) => [s.squareAvg, s.accDelta]),
  ];
  const full: CheckpointHeader = {
    ...header,
    epochs: state.epochs,
    lr: state.lr,
    rngState: state.rngState,
    arrays: arrays.map((a) => a.length),
  };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const start = 8 + json.length + ((4 - (json.length % 4)) % 4);
  const bytes = new Uint8Array(start + 4 * arrays.reduce((s, a) => s + a.length, 0));
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  const floats = new Float32Array(bytes.buffer, start);
  let at = 0;
  for (const a of arrays) {
    floats.set(a, at);
    at += a.length;
  }
  await Deno.mkdir(dir, { recursive: true });
  const path = checkpointPath(dir);
  const tmp = `${path}.${Deno.pid}.tmp`;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  // A process killed while writing leaves its temporary file: remove such leftovers.
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(`${CHECKPOINT_FILE}.`) && e.name.endsWith(".tmp")) {
      await Deno.remove(join(dir, e.name)).catch(() => {});
    }
  }
}

/**
 * Reads the checkpoint in `dir`.
 * @param dir the checkpoint directory
 * @returns the checkpoint, or null when `dir` holds none
 * @throws CheckpointError when the file is there but damaged or of another version
 */
export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const path = checkpointPath(dir);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new CheckpointError(`${path}: cannot read (${(err as Error).message})`);
  }
  const bad = (what: string): never => {
    throw new CheckpointError(`${path}: ${what}; delete it to start from epoch 1`);
  };
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    bad("not a checkpoint of this version");
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  } catch {
    return bad("damaged header");
  }
  if (header?.version !== 1 || !Array.isArray(header.arrays) || header.arrays.length % 3 !== 0) {
    bad("unknown header");
  }
  const start = 8 + length + ((4 - (length % 4)) % 4);
  const total = header.arrays.reduce((s, n) => s + n, 0);
  if (bytes.length !== start + 4 * total) {
    bad(`${bytes.length} bytes, expected ${start + 4 * total}`);
  }
  const floats = new Float32Array(bytes.slice(start).buffer);
  const arrays: Float32Array[] = [];
  let at = 0;
  for (const n of header.arrays) {
    arrays.push(floats.slice(at, at + n));
    at += n;
  }
  const count = header.arrays.length / 3;
  const optimizer = Array.from({ length: count }, (_, i) => ({
    squareAvg: arrays[count + 2 * i],
    accDelta: arrays[count + 2 * i + 1],
  }));
  return {
    header,
    state: {
      epochs: header.epochs,
      lr: header.lr,
      rngState: header.rngState,
      weights: arrays.slice(0, count),
      optimizer,
    },
  };
}
