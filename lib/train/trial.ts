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
  gitCommit,
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
    await Deno.mkdir(dirname(this.recordPath), { recursive: true });
    await writeFileAtomic(this.recordPath, formatRecord(record));
    this.#written = true;
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
    Deno.mkdirSync(dirname(this.recordPath), { recursive: true });
    writeFileAtomicSync(this.recordPath, formatRecord(record));
    this.#written = true;
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
      if (this.cli.saveModel) {
        clearDropoutSeeds(model);
        await saveModel(model, this.cli.saveModel);
        io.info(`model saved to ${this.cli.saveModel}`);
      }
      const record = this.#record("ok");
      io.out(finalBlock(record.totals!));
      await this.#write(record);
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

/** A trial that failed after it started; the record says `failed`. */
export class TrialFailure extends Error {
  /** The error's class name, as printed before the message. */
  override name = "TrialFailure";
}
