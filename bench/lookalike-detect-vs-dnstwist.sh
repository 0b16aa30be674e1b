#!/usr/bin/env bash
# Look-alike detection over a stream of distinct observed names: umbra's
# normalising detector (`umbra lookalike`, the 15 default Microsoft/Google
# login brands) against what a dnstwist user does without it, listing every
# brand's permutations with `dnstwist --format list` and matching names
# exactly against the list (`grep -F -x -f`). Both read the same file; the
# script prints median wall and CPU seconds of RUNS interleaved runs, the
# names per CPU-second, and how many names each flagged.
#
# The names: popular sites under a unique host label (so no two names are
# equal and umbra's per-name verdict cache never answers), 4 % permutations
# that dnstwist lists, 1 % that umbra generates and dnstwist's default run
# does not (brand plus a dictionary word, plural, another suffix).
#
# usage: bench/lookalike-detect-vs-dnstwist.sh [NAMES] [RUNS]
set -euo pipefail
names=${1:-1000000}
runs=${2:-5}
cd "$(dirname "$0")/.."
command -v dnstwist >/dev/null || { echo "dnstwist is not installed (apt-get install dnstwist)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/umbra" ./cmd/umbra
brands=$("$tmp/umbra" --data "$tmp/data" lookalike brands | awk '$2 == "default" {print $1}')

t0=$(date +%s%N)
for b in $brands; do dnstwist --format list "$b" | grep -v -x -F "$b" >>"$tmp/perms"; done
t1=$(date +%s%N)
sort -u -o "$tmp/perms" "$tmp/perms"
for b in microsoftonline.com google.com gmail.com outlook.com office.com; do
	"$tmp/umbra" lookalike --generate "$b" | tail -n +2 >>"$tmp/umbra-perms"
done
grep -v -x -F -f "$tmp/perms" "$tmp/umbra-perms" >"$tmp/unlisted" || true
grep -v '^#' detect/lookalike/testdata/popular.txt | grep . >"$tmp/popular"
awk -v n="$names" -v seed=7 '
	FILENAME == ARGV[1] { pop[np++] = $0; next }
	FILENAME == ARGV[2] { per[nl++] = $0; next }
	FILENAME == ARGV[3] { unl[nu++] = $0; next }
	END {
		srand(seed)
		split("www api cdn mail static img edge login s3 m", host, " ")
		for (i = 0; i < n; i++) {
			r = rand()
			if (r < 0.04) print per[int(rand() * nl)]
			else if (r < 0.05) print unl[int(rand() * nu)]
			else printf "%s-%d.%s\n", host[1 + int(rand() * 10)], i, pop[int(rand() * np)]
		}
	}' "$tmp/popular" "$tmp/perms" "$tmp/unlisted" >"$tmp/names"

measure() { # prints "wall cpu" seconds of a command, its stdout to $tmp/out
	/usr/bin/time -f "%e %U %S" -o "$tmp/t" "$@" >"$tmp/out" 2>/dev/null || true
	awk '{printf "%s %.2f\n", $1, $2 + $3}' "$tmp/t"
}
: >"$tmp/g"; : >"$tmp/u"
for _ in $(seq "$runs"); do
	measure grep -F -x -f "$tmp/perms" "$tmp/names" >>"$tmp/g"
	gfound=$(wc -l <"$tmp/out")
	measure "$tmp/umbra" lookalike --no-record "$tmp/names" >>"$tmp/u"
	ufound=$(wc -l <"$tmp/out")
done
med() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
gw=$(cut -d' ' -f1 "$tmp/g" | med); gc=$(cut -d' ' -f2 "$tmp/g" | med)
uw=$(cut -d' ' -f1 "$tmp/u" | med); uc=$(cut -d' ' -f2 "$tmp/u" | med)
echo "names: $names distinct ($(wc -l <"$tmp/perms") dnstwist permutations of $(echo $brands | wc -w) brands, listed in $(( (t1 - t0) / 1000000 )) ms)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "grep -F -x -f dnstwist-list: %6.2f s wall %6.2f s CPU  %9.0f names/CPU-s  %7d flagged\n" "$gw" "$gc" "$(echo "$names / ($gc + 0.001)" | bc -l)" "$gfound"
printf "umbra lookalike:              %6.2f s wall %6.2f s CPU  %9.0f names/CPU-s  %7d flagged\n" "$uw" "$uc" "$(echo "$names / ($uc + 0.001)" | bc -l)" "$ufound"
