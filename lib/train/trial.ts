/**
 * One trial from flags to record: backend, data, model, training loop, the reference log
 * lines, the result record (written atomically) and the exit code.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setupBackend } from "../blas/mod.ts";
import { IdxError, loadMnist, type Mnist } from "../data/mod.ts";
import { clearDropoutSeeds, createModel, saveModel } from "../model/mod.ts";
import {
  collectEnvironment,
  type EpochMetrics,
  formatRecord,
  FRAME_ENV,
  frameLines,
  gitCommit,
  PARENT_PIPE_ENV,
  SCHEMA_VERSION,
  type TrialCli,
  trialId,
  type TrialRecord,
  type TrialStatus,
  UsageError,
  writeFileAtomic,
  writeFileAtomicSync,
} from "../record/mod.ts";
import { type BatchProgress, train, type TrainState } from "./loop.ts";
import {
  CheckpointError,
  type CheckpointIdentity,
  checkpointPath,
  fingerprint,
  identityDifference,
  readCheckpoint,
  type Resume,
  writeCheckpoint,
} from "./checkpoint.ts";
import { epochLine, finalBlock, totalsOf } from "./log.ts";

/** The repository this code runs from (its git commit goes into the record). */
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Exit codes of a trial. */
export const EXIT = { ok: 0, failed: 1, usage: 2, diverged: 3, interrupted: 130 } as const;

/** Where a trial's output goes. */
export interface TrialIo {
  /** The reference-format lines (stdout). */
  out: (line: string) => void;
  /** Informational lines (stderr); not called when quiet. */
  info: (line: string) => void;
  /** Called after every training batch (for a progress bar), or undefined for none. */
  progress?: (p: BatchProgress) => void;
  /** Aborted on Ctrl-C: the trial stops at the next batch and records `interrupted`. */
  signal: AbortSignal;
}

/**
 * Default record path of a trial run by hand: `runs/<id>.json` under the working directory,
 * which git ignores, so that ad-hoc runs never change the committed study in `results/` (the
 * sweeps write there, always with an explicit `--out`).
 */
export function defaultRecordPath(cli: TrialCli): string {
  return `runs/${trialId(cli.args)}.json`;
}

/**
 * Prints the record framed on stdout when `TRIAL_RECORD_FRAME=1` (engines that bring records
 * back through the trial's log: Docker Swarm, Kubernetes). Synchronous, for exit paths.
 */
function printFrame(id: string, json: string): void {
  if (Deno.env.get(FRAME_ENV) !== "1") return;
  const bytes = new TextEncoder().encode(frameLines(id, json).join("\n") + "\n");
  for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
}

/** A trial in progress; `interruptNow` writes an `interrupted` record synchronously. */
export class Trial {
  /** The trial's parsed command line. */
  readonly cli: TrialCli;
  /** Where the trial's record is written. */
  readonly recordPath: string;
  /** When the trial first started (a resumed trial keeps its first start). */
  startedAt: string = new Date().toISOString();
  #resumes: Resume[] = [];
  #epochs: EpochMetrics[] = [];
  #backend = "none";
  #threads = 0;
  #library: string | null = null;
  #data: Mnist | null = null;
  #written = false;

  /** Prepares a trial for the parsed flags. */
  constructor(cli: TrialCli) {
    this.cli = cli;
    this.recordPath = cli.out ?? defaultRecordPath(cli);
  }

  #record(
    status: TrialStatus,
    extra: Partial<Pick<TrialRecord, "divergence" | "error">> = {},
  ): TrialRecord {
    const data = this.#data;
    return {
      schema: SCHEMA_VERSION,
      id: trialId(this.cli.args),
      status,
      args: this.cli.args,
      epochs: this.#epochs,
      totals: totalsOf(this.#epochs),
      divergence: extra.divergence ?? null,
      error: extra.error ?? null,
      dataset: data && {
        source: data.source,
        files: data.files,
        trainCount: data.train.count,
        testCount: data.test.count,
      },
      environment: collectEnvironment({
        tfjs: tf.version.tfjs,
        backend: this.#backend,
        threads: this.#threads,
        library: this.#library,
        imageId: Deno.env.get("TRIAL_IMAGE_ID") || null,
        gitCommit: Deno.env.get("TRIAL_GIT_COMMIT") || gitCommit(REPO_ROOT),
      }),
      startedAt: this.startedAt,
      endedAt: new Date().toISOString(),
      ...(this.#resumes.length > 0 ? { resumed: this.#resumes } : {}),
    };
  }

  async #write(record: TrialRecord): Promise<void> {
    const json = formatRecord(record);
    await Deno.mkdir(dirname(this.recordPath), { recursive: true });
    await writeFileAtomic(this.recordPath, json);
    this.#written = true;
    printFrame(record.id, json);
  }

  /**
   * Reads the checkpoint directory: a checkpoint of this trial is resumed from (its epochs'
   * lines printed again), one of another trial refused ({@link UsageError}).
   */
  async #resume(
    io: TrialIo,
    identity: CheckpointIdentity,
  ): Promise<{ identity: CheckpointIdentity; fingerprint: string; state: TrainState | null }> {
    const dir = this.cli.checkpointDir!;
    const print = await fingerprint(identity);
    let saved;
    try {
      saved = await readCheckpoint(dir);
    } catch (err) {
      if (err instanceof CheckpointError) throw new UsageError(err.message);
      throw err;
    }
    if (saved === null) return { identity, fingerprint: print, state: null };
    if (saved.header.fingerprint !== print) {
      const why = identityDifference(saved.header.identity, identity) ?? "another trial";
      throw new UsageError(
        `--checkpoint-dir ${dir} holds the checkpoint of another trial (${why}); ` +
          "use another directory or delete it",
      );
    }
    const done = saved.state.epochs.length;
    this.startedAt = saved.header.startedAt;
    this.#resumes = [...saved.header.resumes, { afterEpoch: done, at: new Date().toISOString() }];
    io.info(
      done >= this.cli.args.epochs
        ? `checkpoint ${checkpointPath(dir)} has all ${done} epochs: nothing left to train`
        : `resuming from ${checkpointPath(dir)} after epoch ${done} of ${this.cli.args.epochs}`,
    );
    for (const m of saved.state.epochs) {
      this.#epochs.push(m);
      io.out(epochLine(m, this.cli.args.epochs));
    }
    return { identity, fingerprint: print, state: saved.state };
  }

  /** Writes the checkpoint after an epoch. */
  async #checkpoint(
    c: { identity: CheckpointIdentity; fingerprint: string },
    state: TrainState,
  ): Promise<void> {
    await writeCheckpoint(this.cli.checkpointDir!, {
      version: 1,
      fingerprint: c.fingerprint,
      identity: c.identity,
      startedAt: this.startedAt,
      resumes: this.#resumes,
    }, state);
  }

  /** Writes an `interrupted` record at once (second Ctrl-C); no-op once a record exists. */
  interruptNow(): void {
    if (this.#written) return;
    const record = this.#record("interrupted", {
      error: { message: "interrupted", exitCode: EXIT.interrupted, stderrTail: null },
    });
    const json = formatRecord(record);
    Deno.mkdirSync(dirname(this.recordPath), { recursive: true });
    writeFileAtomicSync(this.recordPath, json);
    this.#written = true;
    printFrame(record.id, json);
  }

  /** Runs the trial to its end; returns the exit code. Throws UsageError for a bad limit. */
  async run(io: TrialIo): Promise<number> {
    const { args } = this.cli;
    tf.enableProdMode(); // no debug checks, no "install tfjs-node" banner
    try {
      try {
        this.#data = await loadMnist(args);
      } catch (err) {
        if (err instanceof RangeError) throw new UsageError(err.message);
        throw err;
      }
      // Where the results go must take a file before training, not after (the flags, data
      // limits included, are known good by now: no directory is made for a bad command).
      checkWritable(this.cli.out === null ? null : "--out", this.recordPath, false);
      if (this.cli.saveModel) checkWritable("--save-model", this.cli.saveModel, true);
      const backend = await setupBackend(args.backend, {
        threads: args.threads,
        log: io.info,
      });
      this.#backend = backend.name;
      this.#threads = backend.threads;
      this.#library = backend.library;
      io.info(
        `training on ${this.#data.train.count} images, testing on ${this.#data.test.count}`,
      );
      const checkpoint = this.cli.checkpointDir === null ? null : await this.#resume(io, {
        args,
        data: this.#data.files,
        backend: backend.name,
        threads: backend.threads,
      });
      const model = createModel(args.seed);
      const outcome = await train(model, this.#data, { ...args, resume: checkpoint?.state }, {
        onState: checkpoint ? (state) => this.#checkpoint(checkpoint, state) : undefined,
        signal: io.signal,
        onBatch: io.progress,
        onEpoch: (m) => {
          this.#epochs.push(m);
          io.out(epochLine(m, args.epochs));
        },
      });
      if (outcome.status === "diverged") {
        const d = outcome.divergence!;
        await this.#write(this.#record("diverged", { divergence: d }));
        io.info(
          `error: loss became ${d.loss} at epoch ${d.epoch}, batch ${d.batch}; ` +
            `try a smaller --lr (record: ${this.recordPath})`,
        );
        return EXIT.diverged;
      }
      if (outcome.status === "interrupted") {
        this.interruptNow();
        io.info(`interrupted; record: ${this.recordPath}`);
        return EXIT.interrupted;
      }
      // A model that cannot be saved does not lose the training: the record says ok, with
      // the metrics, and its error says what happened to the model; the exit code is 1.
      let modelError: string | null = null;
      if (this.cli.saveModel) {
        clearDropoutSeeds(model);
        try {
          await saveModel(model, this.cli.saveModel);
          io.info(`model saved to ${this.cli.saveModel}`);
        } catch (err) {
          modelError = `model not saved to ${this.cli.saveModel}: ${
            (err as Error).message.split("\n")[0]
          }`;
        }
      }
      const record = this.#record(
        "ok",
        modelError === null
          ? {}
          : { error: { message: modelError, exitCode: EXIT.failed, stderrTail: null } },
      );
      io.out(finalBlock(record.totals!));
      await this.#write(record);
      if (modelError !== null) {
        throw new TrialFailure(`${modelError}; the metrics are kept`);
      }
      io.info(`record: ${this.recordPath}`);
      return EXIT.ok;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const message = err instanceof IdxError || !(err instanceof Error)
        ? String((err as Error)?.message ?? err)
        : err.message.split("\n")[0];
      if (!this.#written) {
        await this.#write(this.#record("failed", {
          error: { message, exitCode: EXIT.failed, stderrTail: null },
        })).catch(() => {});
      }
      throw new TrialFailure(message);
    }
  }
}

/**
 * Checks before training that `path` can take the results: its directory (for `dir`, itself)
 * is created if needed and a probe file is written there and removed. Throws a one-line
 * {@link UsageError} naming the flag, the path and why otherwise.
 * @param flag the flag that gave the path, for the message; null for the default record path
 * @param path a file (the record) or, with `dir`, a directory (the model)
 * @param dir whether `path` is a directory
 */
export function checkWritable(flag: string | null, path: string, dir: boolean): void {
  const where = dir ? path : dirname(path);
  const probe = dir
    ? `${path}/.write-probe.${Deno.pid}.tmp`
    : `${path}.${Deno.pid}.write-probe.tmp`;
  try {
    // The nearest existing folder on the way must be one (not a file such as /etc/passwd).
    for (let p = where; p !== dirname(p); p = dirname(p)) {
      try {
        if (!Deno.statSync(p).isDirectory) throw new Error(`${p} is not a directory`);
        break;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    Deno.mkdirSync(where, { recursive: true });
    if (!dir) {
      try {
        if (Deno.statSync(path).isDirectory) throw new Error("it is a directory");
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    try {
      Deno.writeFileSync(probe, new Uint8Array(1));
    } finally {
      try {
        Deno.removeSync(probe);
      } catch { /* never created */ }
    }
  } catch (err) {
    const why = (err as Error).message.split(":")[0];
    throw new UsageError(`${flag ?? "record"} ${path}: cannot write there (${why})`);
  }
}

/** A trial that failed after it started; the record says `failed`. */
export class TrialFailure extends Error {
  /** The error's class name, as printed before the message. */
  override name = "TrialFailure";
}

/**
 * Calls `gone` once stdin reaches end-of-file, when `TRIAL_PARENT_PIPE=stdin` says stdin is
 * the pipe of the sweep that started this trial: the pipe closes when the sweep dies, even by
 * kill -9, so the trial stops instead of running on unsupervised. Does nothing otherwise.
 * @param gone called once, when the parent is gone
 */
export function onParentGone(gone: () => void): void {
  if (Deno.env.get(PARENT_PIPE_ENV) !== "stdin") return;
  (async () => {
    try {
      for await (const _ of Deno.stdin.readable) { /* never written: wait for the end */ }
    } catch { /* a read error means the same */ }
    gone();
  })();
}
