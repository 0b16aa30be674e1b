#!/bin/sh
# Generation throughput of `umbra simulate`: records/s, MB/s and peak RSS
# for a given studio size. Usage: bench/simulate.sh [HOSTS] [DAYS]
# Needs GNU time (/usr/bin/time). The scenario is written to a temp dir
# and removed afterwards.
set -eu
hosts=${1:-2000}
days=${2:-7}
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/umbra
go build -o "$bin" ./cmd/umbra
out=$(mktemp -d)
trap 'rm -rf "$out" "$(dirname "$bin")"' EXIT
/usr/bin/time -f 'peak RSS %M KB, wall %e s, cpu %U+%S s' \
	"$bin" simulate --out "$out" --hosts "$hosts" --days "$days" --seed 3
du -sh "$out"
