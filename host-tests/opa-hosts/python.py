"""Evaluates the OPA corpus through opa-py-wasm (module opapywasm) and compares every result set
with the native engine's. Usage: python python.py <policy.wasm> <evaluations.json>"""

import json
import sys

from opapywasm import OpaWasmPolicy


def main() -> int:
    wasm_path, corpus_path = sys.argv[1:3]
    with open(corpus_path, encoding="utf-8") as f:
        corpus = json.load(f)
    policy = OpaWasmPolicy.from_wasm_file(wasm_path)
    data = None
    identical = 0
    failures = []
    for e in corpus["evaluations"]:
        if e["data"] != data:
            policy.set_data(e["data"])
            data = e["data"]
        try:
            got = policy.evaluate_raw(e["input"], e["entrypoint"])
        except Exception as err:  # any host error is a failure to report, not to hide
            failures.append(f"{e['label']}: {type(err).__name__}: {err}")
            continue
        if got == e["expected"]:
            identical += 1
        else:
            failures.append(f"{e['label']}\n  got  {json.dumps(got)}\n  want {json.dumps(e['expected'])}")
    n = len(corpus["evaluations"])
    print(f"opa-wasm python: {identical}/{n} identical ({corpus['cases']} cases)")
    if failures:
        print("\n".join(failures[:5]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
