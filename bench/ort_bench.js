// ONNX Runtime side of bench/compare-ort.sh: latency of one model at batch 1.
//
//   node ort_bench.js ORT_MODULE MODEL.onnx THREADS RUNS [WARMUP]
//
// Session options (ort_common.js): intraOpNumThreads THREADS, interOpNumThreads 1, sequential
// execution, graphOptimizationLevel 'all' (ORT's best CPU setup for one request at a time).
// Inputs are uniform in [-1, 1) with a fixed seed (the timing does not depend on them). WARMUP
// untimed runs (default 5), then RUNS timed ones. Prints one JSON line:
//   {"model", "threads", "runs", "median_ms", "min_ms", "mean_ms", "cpu_ms_per_run"}
// where cpu_ms_per_run is the process CPU time (user + system) per timed run.
'use strict';

function fail(msg) {
  console.error(`ort_bench: ${msg}`);
  process.exit(2);
}

const [ortModule, modelPath, threadsArg, runsArg, warmupArg] = process.argv.slice(2);
if (!ortModule || !modelPath || !threadsArg || !runsArg) {
  fail('usage: node ort_bench.js ORT_MODULE MODEL.onnx THREADS RUNS [WARMUP]');
}
const threads = Number(threadsArg);
const runs = Number(runsArg);
const warmup = warmupArg === undefined ? 5 : Number(warmupArg);
if (!(threads >= 1 && runs >= 1 && warmup >= 0)) fail('THREADS and RUNS must be >= 1');

const ort = require(ortModule);
const { createSession, makeFeeds, median } = require('./ort_common.js');

async function main() {
  const session = await createSession(ort, modelPath, threads);
  const feeds = makeFeeds(ort, session, fail);
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  const result = {
    model: modelPath,
    threads,
    runs,
    median_ms: median(times),
    min_ms: Math.min(...times),
    mean_ms: times.reduce((a, b) => a + b, 0) / times.length,
    cpu_ms_per_run: (cpu.user + cpu.system) / 1000 / runs,
  };
  console.log(JSON.stringify(result));
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));
