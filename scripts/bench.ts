/**
 * Benchmark the training step per backend (and PyTorch): `deno task bench -- --vs-pytorch`.
 * @module
 */

import { BENCH_HELP, formatBenchTable, parseBenchArgs, runBench } from "../lib/bench/mod.ts";
import { writeFileAtomic } from "../lib/record/mod.ts";
import { scriptArgs, UsageError } from "../lib/cli.ts";

async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    console.log(BENCH_HELP);
    return 0;
  }
  try {
    const record = await runBench(opts, (line) => console.error(line));
    console.log(formatBenchTable(record, opts.batchSizes));
    if (opts.out) await writeFileAtomic(opts.out, JSON.stringify(record, null, 2) + "\n");
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message.split("\n")[0]}`);
    return 1;
  }
}

Deno.exit(await main(scriptArgs()));
