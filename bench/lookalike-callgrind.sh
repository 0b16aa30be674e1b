#!/usr/bin/env bash
# Instructions per name of the first-sight look-alike check
# (BenchmarkCheckFirstSight: 50 brands, the verdict cache bypassed), counted
# by callgrind as the difference between N iterations and one, so the figure
# does not depend on what else the host runs. Give git revisions to compare
# (default: the working tree).
#
# usage: bench/lookalike-callgrind.sh [REV...]      e.g. acdea62 HEAD
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
n=${N:-20000}
tmp=$(mktemp -d)
trap 'for w in "$tmp"/wt-*; do [ -d "$w" ] && git worktree remove --force "$w"; done; rm -rf "$tmp"' EXIT
count() { # count BIN ITERATIONS: instructions of the whole run
	for _ in 1 2 3 4 5 6 7 8; do
		c=$(GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 GOGC=off valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$1" -test.run '^$' -test.bench 'CheckFirstSight$' -test.benchtime "$2"x 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
		[ -n "$c" ] && { echo "$c"; return; }
	done # valgrind now and then aborts on a Go binary; try again
	echo "valgrind failed 8 times" >&2
	exit 1
}
revs=("$@")
[ ${#revs[@]} -eq 0 ] && revs=(worktree)
for rev in "${revs[@]}"; do
	src=.
	if [ "$rev" != worktree ]; then
		src="$tmp/wt-$rev"
		git worktree add -q --detach "$src" "$rev"
	fi
	(cd "$src" && go test -c -o "$tmp/la-$rev.test" ./detect/lookalike/)
	a=$(cd "$src/detect/lookalike" && count "$tmp/la-$rev.test" 1)
	b=$(cd "$src/detect/lookalike" && count "$tmp/la-$rev.test" "$n")
	echo "$rev: $(( (b - a) / (n - 1) )) instructions per first-sight name"
done
