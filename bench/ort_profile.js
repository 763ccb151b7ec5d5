// ONNX Runtime side of bench/compare-ort-layers.sh: per-node kernel times of one model.
//
//   node ort_profile.js ORT_MODULE MODEL.onnx THREADS RUNS OUT.json
//
// Same session options and inputs as ort_bench.js (ort_common.js) plus ORT's profiler; the first fifth of the runs are
// warm-up and left out. Writes {"nodes": [{"name", "op", "median_ms"}, ...]} in run order,
// where a name is ORT's node name (after its graph fusions: "conv1/Relu_nchwc").
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function fail(msg) {
  console.error(`ort_profile: ${msg}`);
  process.exit(2);
}

const [ortModule, modelPath, threadsArg, runsArg, outPath] = process.argv.slice(2);
if (!ortModule || !modelPath || !threadsArg || !runsArg || !outPath) {
  fail('usage: node ort_profile.js ORT_MODULE MODEL.onnx THREADS RUNS OUT.json');
}
const threads = Number(threadsArg);
const runs = Number(runsArg);
if (!(threads >= 1 && runs >= 5)) fail('THREADS must be >= 1 and RUNS >= 5');

const ort = require(ortModule);
const { createSession, makeFeeds, median } = require('./ort_common.js');

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  const session = await createSession(ort, modelPath, threads, {
    enableProfiling: true,
    profileFilePrefix: path.join(dir, 'profile'),
  });
  const feeds = makeFeeds(ort, session, fail);
  for (let i = 0; i < runs; i++) await session.run(feeds);
  session.endProfiling();
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) fail('ONNX Runtime wrote no profile');
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  const times = new Map();
  const ops = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!times.has(name)) times.set(name, []);
    times.get(name).push(e.dur / 1000);
    ops.set(name, e.args ? e.args.op_name : '');
  }
  const skip = Math.floor(runs / 5);
  const nodes = [...times].map(([name, t]) => ({
    name,
    op: ops.get(name),
    median_ms: median(t.length > skip ? t.slice(skip) : t),
  }));
  fs.writeFileSync(outPath, JSON.stringify({ threads, runs, nodes }));
}

main().catch((err) => fail(err.message || String(err)));
