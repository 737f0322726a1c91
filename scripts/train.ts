/**
 * Train the reference CNN once: `deno task train -- --epochs 5 --batch-size 128 --lr 1.0`.
 * Prints the reference report's log lines and writes the trial's result record.
 * @module
 */

import { parseTrialArgs, TRIAL_HELP, UsageError } from "../lib/record/mod.ts";
import {
  EXIT,
  onParentGone,
  progressLine,
  terminalColumns,
  Trial,
  TrialFailure,
} from "../lib/train/mod.ts";
import { scriptArgs } from "../lib/cli.ts";
import { planArgv } from "../lib/sweep/mod.ts";

const encoder = new TextEncoder();
/** Writes to stderr; a closed stderr (reader gone) must not fail the trial. */
function write(text: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(text));
  } catch { /* nobody is reading */ }
}
const err = (line: string) => write(line + "\n");

async function main(argv: string[]): Promise<number> {
  let cli;
  try {
    // A Kubernetes Indexed Job's pod: `--plan FILE` picks entry $JOB_COMPLETION_INDEX.
    if (argv.length === 2 && argv[0] === "--plan") {
      argv = planArgv(
        await Deno.readTextFile(argv[1]),
        Deno.env.get("JOB_COMPLETION_INDEX"),
        Deno.env.get("TRIAL_RECORD_DIR") || undefined,
      );
    }
    cli = parseTrialArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  if (cli.help) {
    console.log(TRIAL_HELP);
    return EXIT.ok;
  }
  const trial = new Trial(cli);
  const abort = new AbortController();
  const onSignal = (code: number) => () => {
    if (abort.signal.aborted) {
      trial.interruptNow();
      Deno.exit(code);
    }
    err("\ninterrupt: stopping after this batch (press Ctrl-C again to stop now)");
    abort.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal(EXIT.interrupted));
  Deno.addSignalListener("SIGTERM", onSignal(EXIT.interrupted));
  // Started by a sweep that holds our stdin open: when it dies (even kill -9), stop.
  onParentGone(() => {
    if (abort.signal.aborted) return;
    err("\nthe sweep that started this trial is gone: stopping after this batch");
    abort.abort();
  });

  const bar = !cli.quiet && Deno.stderr.isTerminal();
  let lastDraw = 0;
  const clearBar = () => bar && write("\r\x1b[2K");
  try {
    return await trial.run({
      out: (line) => {
        clearBar();
        console.log(line);
      },
      info: cli.quiet ? () => {} : (line) => {
        clearBar();
        err(line);
      },
      progress: bar
        ? (p) => {
          const now = performance.now();
          if (now - lastDraw < 100 && p.batch !== p.batches) return;
          lastDraw = now;
          write(`\r\x1b[2K${progressLine(p, cli.args.epochs, terminalColumns())}`);
        }
        : undefined,
      signal: abort.signal,
    });
  } catch (e) {
    clearBar();
    if (e instanceof UsageError) {
      err(`error: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof TrialFailure) {
      err(`error: ${e.message} (record: ${trial.recordPath})`);
      return EXIT.failed;
    }
    throw e;
  }
}

Deno.exit(await main(scriptArgs()));
