#!/usr/bin/env bash
# Times permutation generation for one domain: Debian's dnstwist
# (`dnstwist --format list D`) against `umbra lookalike --generate D`, the
# same number of runs each, interleaved, and prints the medians and their
# ratio. Both figures include process start-up; dnstwist's start-up alone
# (importing the module) is printed too, so the ratio without it can be read.
#
# usage: bench/lookalike-vs-dnstwist.sh [DOMAIN] [RUNS]
set -euo pipefail
domain=${1:-google.com}
runs=${2:-9}
cd "$(dirname "$0")/.."
command -v dnstwist >/dev/null || { echo "dnstwist is not installed (apt-get install dnstwist)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/umbra" ./cmd/umbra

ms() { # run a command, print its wall time in milliseconds
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$tmp/out" 2>/dev/null || true
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

: >"$tmp/dt"; : >"$tmp/um"; : >"$tmp/st"
for _ in $(seq "$runs"); do
	ms dnstwist --format list "$domain" >>"$tmp/dt"
	ms "$tmp/umbra" lookalike --generate "$domain" >>"$tmp/um"
	ms python3 -c 'import dnstwist' >>"$tmp/st"
done
dnstwist --format list "$domain" | wc -l >"$tmp/ndt"
"$tmp/umbra" lookalike --generate "$domain" | wc -l >"$tmp/num"

dt=$(median <"$tmp/dt"); um=$(median <"$tmp/um"); st=$(median <"$tmp/st")
echo "domain: $domain, runs: $runs (median wall time, including process start-up)"
echo "dnstwist --format list:         ${dt} ms  ($(cat "$tmp/ndt") names)"
echo "umbra lookalike --generate:     ${um} ms  ($(cat "$tmp/num") names)"
echo "dnstwist start-up (import only): ${st} ms"
awk -v a="$dt" -v b="$um" -v s="$st" 'BEGIN {
	u = (b < 1) ? 1 : b
	printf "ratio dnstwist/umbra:                     %.1fx\n", a / u
	printf "ratio without dnstwist start-up:          %.1fx\n", (a - s) / u
}'
