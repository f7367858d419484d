// Runs ONNX files with onnxruntime (CPU) for tests/storage/tst_onnx_export.cpp.
//   node run_onnx.js MODEL.onnx INPUTS.json OUTPUTS.json [MODEL INPUTS OUTPUTS ...]
// INPUTS.json:  {"NAME": {"dims": [2, 64], "data": [...]}, ...}  (float32, or "type": "int32")
// OUTPUTS.json: the same form, one entry per graph output.
// Exits 1 with the error on stderr when a model does not load or run.
'use strict';
const fs = require('fs');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('onnxruntime-node is not installed in ' + __dirname + ' (run "npm ci" there, or ' +
                'installer/setup.sh test): ' + e.message);
  process.exit(3);
}

async function runOne(model, inputsFile, outputsFile) {
  const session = await ort.InferenceSession.create(model, {graphOptimizationLevel: 'disabled'});
  const given = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
  const feeds = {};
  for (const [name, t] of Object.entries(given)) {
    const data = t.type === 'int32' ? Int32Array.from(t.data) : Float32Array.from(t.data);
    feeds[name] = new ort.Tensor(t.type === 'int32' ? 'int32' : 'float32', data, t.dims);
  }
  const results = await session.run(feeds);
  const out = {};
  for (const name of session.outputNames) out[name] = {dims: results[name].dims, data: Array.from(results[name].data)};
  fs.writeFileSync(outputsFile, JSON.stringify({inputs: session.inputNames, outputs: out}));
}

(async () => {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.length % 3 !== 0) {
    console.error('usage: node run_onnx.js MODEL.onnx INPUTS.json OUTPUTS.json [...]');
    process.exit(2);
  }
  for (let i = 0; i < args.length; i += 3) {
    try {
      await runOne(args[i], args[i + 1], args[i + 2]);
    } catch (e) {
      console.error(args[i] + ': ' + (e && e.message ? e.message : e));
      process.exit(1);
    }
  }
})();
