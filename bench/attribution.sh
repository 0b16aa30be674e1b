#!/bin/sh
# Community detection: umbra's Louvain (attribution/cluster) and gonum's
# (gonum.org/v1/gonum/graph/community.Modularize) on the same planted-
# partition graph, generated with the same seed inside each benchmark.
# Usage: bench/attribution.sh [count]   (UMBRA_BENCH_NODES / UMBRA_BENCH_EDGES
# change the size; default 100000 nodes, 1000000 edges)
set -e
cd "$(dirname "$0")/.."
count=${1:-5}
go test -run '^$' -bench 'BenchmarkLouvain$|BenchmarkGonumLouvain' -benchtime=1x -count=1 -timeout 60m ./attribution/cluster/
go test -run '^$' -bench 'BenchmarkLouvain$|BenchmarkUpdate' -benchtime=1x -count="$count" ./attribution/cluster/
