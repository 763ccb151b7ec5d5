// ONNX Runtime side of bench/compare-ort.sh: latency of one model at batch 1.
//
//   node ort_bench.js ORT_MODULE MODEL.onnx THREADS RUNS [WARMUP]
//
// Session options: intraOpNumThreads THREADS, interOpNumThreads 1, sequential execution,
// graphOptimizationLevel 'all' (ORT's best CPU setup for one request at a time). Inputs are
// uniform in [-1, 1) with a fixed seed (the timing does not depend on the values). WARMUP
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

// xorshift32: reproducible inputs without a dependency.
function fill(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const meta = session.inputMetadata ? session.inputMetadata[i] : undefined;
    let dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : null;
    if (!dims) fail(`cannot read the shape of input ${name}`);
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[name] = new ort.Tensor('float32', fill(n, 1234 + i), dims);
  });
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
