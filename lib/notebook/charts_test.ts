import assert from "node:assert/strict";
import * as vegaLite from "vega-lite";
import { CHART_SCHEMA } from "../report/mod.ts";
import {
  confusionChart,
  epochLossPoints,
  labelDistributionChart,
  trainingLossChart,
} from "./charts.ts";
import { confusionMatrix } from "./predictions.ts";

Deno.test("the notebook charts compile with vega-lite and keep their data", () => {
  const matrix = confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2], 3);
  const specs = [
    labelDistributionChart([0, 1, 1, 9], [2, 2]),
    confusionChart(matrix, "test"),
    trainingLossChart(
      [
        { epoch: 0.5, loss: 2, series: "training (running mean)" },
        ...epochLossPoints([
          {
            epoch: 1,
            lr: 1,
            trainLoss: 1.5,
            trainAcc: 0.5,
            valLoss: 1.2,
            valAcc: 0.6,
            epochTime: 1,
            trainTime: 1,
            evalTime: 0,
          },
        ]),
      ],
      2,
    ),
  ];
  for (const spec of specs) {
    // deno-lint-ignore no-explicit-any
    assert.ok(vegaLite.compile(spec as any).spec);
    assert.equal(spec.$schema, CHART_SCHEMA, "the report's schema");
  }
  const conf = (specs[1].data as { values: { count: number }[] }).values;
  assert.equal(conf.length, 9);
  assert.equal(conf.reduce((s, v) => s + v.count, 0), 4);
  const dist = (specs[0].data as { values: { split: string; digit: string; percent: number }[] })
    .values;
  assert.equal(dist.find((v) => v.split === "train (4)" && v.digit === "1")?.percent, 50);
  assert.equal(dist.find((v) => v.split === "test (2)" && v.digit === "2")?.percent, 100);
  const loss = (specs[2].data as { values: { segment: number; series: string }[] }).values;
  assert.deepEqual(loss.map((v) => [v.series, v.segment]), [
    ["training (running mean)", 1],
    ["training (running mean)", 1],
    ["validation", 0],
  ]);
});
