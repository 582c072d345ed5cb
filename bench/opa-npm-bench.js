// Policy evaluation per AdmissionReview in the npm OPA SDK (@open-policy-agent/opa-wasm), the same
// module and input as host-tests/examples/bench_policy.rs. Prints one JSON line:
// {"figure":"policy.npm","value":<median ns per evaluation>,"unit":"ns","runs":N}.
// Usage: node opa-npm-bench.js <policy.wasm> <input.json> <runs> <iterations>
// (NODE_PATH points at the node_modules that `cargo xtask bench` installs.)
"use strict";
const fs = require("fs");
const { loadPolicy } = require("@open-policy-agent/opa-wasm");

async function main() {
  const [wasmPath, inputPath, runsText, iterationsText] = process.argv.slice(2);
  const runs = Math.max(1, Number(runsText));
  const iterations = Math.max(1, Number(iterationsText));
  const input = JSON.parse(fs.readFileSync(inputPath, "utf8"));
  const policy = await loadPolicy(fs.readFileSync(wasmPath));
  policy.setData({});
  const first = policy.evaluate(input, "telemetry/violation");
  if (!Array.isArray(first) || first.length !== 1 || !Array.isArray(first[0].result)) {
    throw new Error(`unexpected result set ${JSON.stringify(first)}`);
  }
  const samples = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) policy.evaluate(input, "telemetry/violation");
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  samples.sort((a, b) => a - b);
  const value = samples[Math.floor(samples.length / 2)];
  console.log(JSON.stringify({ figure: "policy.npm", value, unit: "ns", runs }));
}

main().catch((err) => {
  console.error(`opa-npm-bench: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
