// Evaluates the OPA corpus through @open-policy-agent/opa-wasm and compares every result set
// with the native engine's. Usage: node npm.js <policy.wasm> <evaluations.json>
// (NODE_PATH points at the node_modules that `cargo xtask test` installs.)
"use strict";
const fs = require("fs");
const { loadPolicy } = require("@open-policy-agent/opa-wasm");

// JSON with sorted keys, so key order never counts as a difference.
function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value && typeof value === "object") {
    return "{" + Object.keys(value).sort()
      .map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }
  return JSON.stringify(value);
}

async function main() {
  const [wasmPath, corpusPath] = process.argv.slice(2);
  const corpus = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
  const policy = await loadPolicy(fs.readFileSync(wasmPath));
  let data = null;
  let identical = 0;
  const failures = [];
  for (const e of corpus.evaluations) {
    const key = canonical(e.data);
    if (key !== data) {
      policy.setData(e.data);
      data = key;
    }
    try {
      const got = policy.evaluate(e.input, e.entrypoint);
      if (canonical(got) === canonical(e.expected)) identical++;
      else failures.push(`${e.label}\n  got  ${canonical(got)}\n  want ${canonical(e.expected)}`);
    } catch (err) {
      failures.push(`${e.label}: ${err}`);
    }
  }
  const n = corpus.evaluations.length;
  console.log(`opa-wasm npm: ${identical}/${n} identical (${corpus.cases} cases)`);
  if (failures.length) {
    console.error(failures.slice(0, 5).join("\n"));
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`opa-wasm npm: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
