#!/usr/bin/env bash
# TAXII 2.1 server throughput on loopback: Go benchmarks (one client) and,
# when wrk is installed (apt-get install -y wrk), wrk with 2 threads and 16
# connections for 10 s against the same server and data.
# Usage: bench/taxii.sh [count]   (count = Go benchmark repetitions, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
go test -run='^$' -bench='BenchmarkObjects|BenchmarkAuthenticate' -benchtime=2s -count="$count" ./server/taxii/ ./server/auth/ | grep -E '^Benchmark'
if command -v wrk >/dev/null; then
	UMBRA_BENCH_WRK=1 go test -count=1 -run '^TestWrkObjects$' -v ./server/taxii/ | grep -E 'req/s|Latency'
else
	echo "wrk not installed: skipping the wrk run" >&2
fi
