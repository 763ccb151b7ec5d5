// Shared by the ONNX Runtime benchmark scripts (ort_bench.js, ort_profile.js): the session
// setup both measure with, reproducible inputs, and the median.
'use strict';

// intraOpNumThreads THREADS, interOpNumThreads 1, sequential execution, graphOptimizationLevel
// 'all': ORT's best CPU setup for one request at a time. `extra` adds options (profiling).
function createSession(ort, modelPath, threads, extra = {}) {
  return ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    ...extra,
  });
}

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

// One float tensor per graph input, uniform in [-1, 1), symbolic dims taken as 1; calls
// fail(message) when an input's shape cannot be read.
function makeFeeds(ort, session, fail) {
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const meta = session.inputMetadata ? session.inputMetadata[i] : undefined;
    const dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : null;
    if (!dims) fail(`cannot read the shape of input ${name}`);
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[name] = new ort.Tensor('float32', fill(n, 1234 + i), dims);
  });
  return feeds;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

module.exports = { createSession, makeFeeds, median };
