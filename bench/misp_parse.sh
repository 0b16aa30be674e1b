#!/usr/bin/env bash
# Compares umbra's MISP event reader (intel/misp.Parse: JSON decode into the
# lossless event model, per-element error recovery) with python3's C json
# module merely loading the same file into dicts. Prints both medians and
# the ratio. Needs ../shared/data/misp-pymisp and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
f=../shared/data/misp-pymisp/tests/mispevent_testfiles/existing_event.json
[ -f "$f" ] || { echo "skip: $f not present"; exit 0; }
umbra_ns=$(go test -run='^$' -bench=BenchmarkParseCIRCL -count=5 ./intel/misp | awk '/^BenchmarkParseCIRCL/ {print $3}' | sort -n | sed -n 3p)
py_ns=$(python3 - "$f" <<'PY'
import json, sys, timeit, statistics
data = open(sys.argv[1], 'rb').read()
runs = [timeit.timeit(lambda: json.loads(data), number=50) / 50 * 1e9 for _ in range(5)]
print(int(statistics.median(runs)))
PY
)
echo "existing_event.json ($(wc -c <"$f") bytes)"
echo "umbra misp.Parse      median ${umbra_ns} ns/op"
echo "python3 json.loads    median ${py_ns} ns/op"
awk -v a="$umbra_ns" -v b="$py_ns" 'BEGIN { printf "ratio umbra/python   %.2f\n", a/b }'
