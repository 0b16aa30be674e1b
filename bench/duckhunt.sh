#!/usr/bin/env bash
# Issue #5's retro-hunt put to DuckDB: 1M synthetic indicators
# (synth.Indicators(synth.Million, 1)) against every event of an N-event
# umbra memory, umbra's hunt.Run and one DuckDB SQL query over the same
# events, RUNS times each, interleaved, in one process. Prints the medians
# of wall and CPU (getrusage: user+system of every thread) and fails when
# the two sides find different numbers of hits.
#
#   bench/duckhunt.sh [N] [RUNS]      (defaults: 2000000 events, 3 runs)
#
# The store is made by BenchmarkHuntLarge (hunt/large_bench_test.go) under
# $DUCKHUNT_DIR (default /tmp/duckhunt) and reused while it holds N events;
# STORE=dir uses an existing store (a copy: the memory is locked while
# open). The events are copied into $DUCKHUNT_DIR/N.duckdb once, with
# DuckDB's Appender, and reused: on the loaded build machine that took 4
# minutes for 10M events and 33 for 100M (4.5 GB).
# Only the hunts are timed: neither loading DuckDB nor building umbra's
# snapshot.
#
# bench/duckhunt is a module of its own built with -tags duckdb (cgo,
# github.com/duckdb/duckdb-go/v2 v2.10506.0): umbra's own build stays pure
# Go and does not depend on DuckDB. Needs go and a C toolchain.
set -euo pipefail
n=${1:-2000000}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${DUCKHUNT_DIR:-/tmp/duckhunt}
mkdir -p "$dir"
store=${STORE:-$dir/store-$n}
if [ -z "${STORE:-}" ]; then
  # Fills the store unless it already holds n events (and runs umbra's
  # benchmark once, which the figures below do not use).
  (cd "$repo" && UMBRA_BENCH_HUNT_EVENTS=$n UMBRA_BENCH_HUNT_DIR=$store \
    go test -run '^$' -bench HuntLarge -benchtime 1x ./hunt/ >&2)
fi
(cd "$repo/bench/duckhunt" && CGO_ENABLED=1 go build -tags duckdb -o "$dir/duckhunt" .)
"$dir/duckhunt" -store "$store" -db "$dir/$n.duckdb" -runs "$runs" -threads 2
