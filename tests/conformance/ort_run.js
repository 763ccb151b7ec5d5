// ONNX Runtime side of the cross-check (tests/conformance/test_ort_crosscheck.sh).
//
//   node ort_run.js random SEED DxDx... OUT.npy        seeded uniform [-1, 1) float32 input
//   node ort_run.js run ORT_MODULE MODEL.onnx IN.npy OUT.npy
//                                                      one inference with onnxruntime-node (CPU,
//                                                      1 thread), first input and first output
//   node ort_run.js compare REF.npy GOT.npy            max |diff| <= 1e-4 * max |ref| and the
//                                                      same argmax in every row (last axis)
// Exit status 0 on success, 1 on a failed comparison, 2 on bad use or files.
'use strict';
const fs = require('fs');

function fail(code, msg) {
  console.error(msg);
  process.exit(code);
}

// Float32 .npy (format 1.0, '<f4', C order): {shape, data}.
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(2, `${path}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  if (!/'descr':\s*'<f4'/.test(header)) fail(2, `${path}: not float32 ('<f4')`);
  if (/'fortran_order':\s*True/.test(header)) fail(2, `${path}: Fortran order`);
  const m = header.match(/'shape':\s*\(([^)]*)\)/);
  if (!m) fail(2, `${path}: no shape in the header`);
  const shape = m[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  if (buf.length - off < 4 * n) fail(2, `${path}: data shorter than the shape`);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(off + 4 * i);
  return { shape, data };
}

function writeNpy(path, shape, data) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(4 * data.length);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], 4 * i);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

// splitmix64, the same stream as `edgeprof run` without --input.
function randomInput(seed, shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const mask = (1n << 64n) - 1n;
  let state = BigInt(seed) & mask;
  for (let i = 0; i < n; i++) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    out[i] = (Number(z >> 40n) / 16777216) * 2 - 1;
  }
  return out;
}

async function runOrt(modulePath, model, input, output) {
  const ort = require(modulePath);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const x = readNpy(input);
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', x.data, x.shape);
  const results = await session.run(feeds);
  const y = results[session.outputNames[0]];
  writeNpy(output, y.dims.map(Number), y.data);
}

function compare(refPath, gotPath) {
  const ref = readNpy(refPath);
  const got = readNpy(gotPath);
  if (ref.shape.join('x') !== got.shape.join('x')) {
    fail(1, `shapes differ: ${ref.shape.join('x')} (ONNX Runtime) vs ${got.shape.join('x')}`);
  }
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs(ref.data[i] - got.data[i]);
    if (!(d <= maxDiff)) maxDiff = d; // NaN counts as a difference
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
  }
  const cols = ref.shape[ref.shape.length - 1] || 1;
  const rows = ref.data.length / cols;
  let topDiffer = 0;
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let c = 1; c < cols; c++) {
      if (ref.data[r * cols + c] > ref.data[r * cols + a]) a = c;
      if (got.data[r * cols + c] > got.data[r * cols + b]) b = c;
    }
    if (a !== b) topDiffer++;
  }
  const ok = maxDiff <= 1e-4 * maxRef && topDiffer === 0;
  console.log(`max|diff| ${maxDiff.toExponential(3)}, max|y| ${maxRef.toExponential(3)}, ` +
              `ratio ${(maxDiff / (maxRef || 1)).toExponential(3)}, top-1 differs in ${topDiffer}/${rows} rows`);
  process.exit(ok ? 0 : 1);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'random' && args.length === 3) {
  const shape = args[1].split('x').map(Number);
  writeNpy(args[2], shape, randomInput(args[0], shape));
} else if (mode === 'run' && args.length === 4) {
  runOrt(args[0], args[1], args[2], args[3]).catch((e) => fail(1, `onnxruntime: ${e.message}`));
} else if (mode === 'compare' && args.length === 2) {
  compare(args[0], args[1]);
} else {
  fail(2, 'usage: node ort_run.js random SEED DxD OUT.npy | run ORT MODEL IN OUT | compare REF GOT');
}
