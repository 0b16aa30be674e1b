#!/bin/sh
# `umbra ingest` end to end (Zeek decode, network memory, matching,
# look-alike detection, sightings) on a simulated studio's Zeek logs, into
# an empty data directory each run. With OLD=<git revision> (and
# optionally BASE=<git revision>) the binaries built at those revisions
# run alternately with this tree's, on the same logs, so all see the same
# load. Each figure is the median of RUNS runs: wall seconds, CPU seconds
# (user+sys, which the other processes on a shared machine inflate much
# less than the wall clock), events per wall second and per CPU second.
# Every build must store the same number of events and print the same
# alerts, or the script fails; the bytes an event takes may differ.
#
# Usage: bench/ingest.sh [HOSTS] [DAYS] [RUNS]     (defaults 200 7 3)
# NEW=<git revision> builds "new" from that revision instead of the
# working tree (which may hold other people's unfinished edits).
# PEER=duckdb also loads the same logs into a new DuckDB database in each
# round (bench/duckhunt -load-zeek: DuckDB's CSV reader, one table per log,
# 2 threads, CHECKPOINT) and prints its medians in the same table; that
# needs a C toolchain for the cgo build of bench/duckhunt.
# Needs GNU time (/usr/bin/time). Work files go to a temp dir, removed
# afterwards (set KEEP=1 to keep them).
set -eu
hosts=${1:-200}
days=${2:-7}
runs=${3:-3}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
go build -o "$work/umbra-new" ./cmd/umbra
builds=new
for v in NEW OLD BASE; do
	eval rev=\${$v:-}
	[ -n "$rev" ] || continue
	name=$(echo "$v" | tr A-Z a-z)
	mkdir "$work/$name-src"
	git archive "$rev" | tar -x -C "$work/$name-src"
	(cd "$work/$name-src" && go build -o "$work/umbra-$name" ./cmd/umbra)
	echo "$name: $(git rev-parse --short "$rev")"
	[ "$name" = new ] || builds="$name $builds"
done
if [ "${PEER:-}" = duckdb ]; then
	(cd bench/duckhunt && CGO_ENABLED=1 go build -tags duckdb -o "$work/duckhunt" .)
fi
sc=$work/sc
"$work/umbra-new" simulate --out "$sc" --hosts "$hosts" --days "$days" --seed 1 >/dev/null
echo "zeek logs: $(du -sh "$sc/zeek" | cut -f1), $(cat "$sc"/zeek/*.log | grep -vc '^#') records"

# median FILE: median of the numbers in FILE
median() { sort -g "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

for i in $(seq "$runs"); do
	for b in $builds; do
		rm -rf "$work/data"
		/usr/bin/time -f '%e %U %S %M' -o "$work/time" \
			"$work/umbra-$b" --data "$work/data" ingest "$sc/zeek" >"$work/$b.alerts" 2>"$work/$b.err" ||
			{ cat "$work/$b.err"; exit 1; }
		read -r wall user sys rss <"$work/time"
		events=$(sed -n 's/^stored \([0-9]*\) events.*/\1/p' "$work/$b.err")
		echo "$wall" >>"$work/$b.wall"
		echo "$user $sys" | awk '{print $1+$2}' >>"$work/$b.cpu"
		echo "$rss" >>"$work/$b.rss"
		echo "$events" >"$work/$b.events"
		sed -n 's/.*holds \([0-9]*\) events in \([0-9]*\) segments, \(.*\) bytes\/event/\1 events, \2 segments/p' "$work/$b.err" >"$work/$b.stored"
		sed -n 's/.*segments, \(.*\) bytes\/event/\1/p' "$work/$b.err" >"$work/$b.bpe"
		echo "run $i $b: wall $wall s, cpu $user+$sys s, load $(cut -d' ' -f1 /proc/loadavg)"
	done
	if [ "${PEER:-}" = duckdb ]; then
		line=$("$work/duckhunt" -load-zeek "$sc/zeek" -db "$work/peer.duckdb" -threads 2)
		echo "run $i duckdb: $line"
		echo "$line" | awk '{print $6}' >>"$work/duckdb.wall"
		echo "$line" | awk '{print $9}' >>"$work/duckdb.cpu"
		echo "$line" | awk '{print $3}' >"$work/duckdb.events"
		echo "$line" | awk -v n="$(echo "$line" | awk '{print $3}')" '{printf "%.1f\n", $11 / n}' >"$work/duckdb.bpe"
		rm -f "$work/peer.duckdb" "$work/peer.duckdb.wal"
	fi
done
for b in $builds; do
	if ! cmp -s "$work/$b.alerts" "$work/new.alerts" || ! cmp -s "$work/$b.stored" "$work/new.stored"; then
		echo "$b and new differ: $(cat "$work/$b.stored") vs $(cat "$work/new.stored")"
		exit 1
	fi
done
echo "stored: $(cat "$work/new.stored")"
printf '%-5s %8s %8s %14s %14s %10s %8s\n' build wall-s cpu-s events/s events/cpu-s peak-RSS-MB B/event
for b in $builds; do
	w=$(median "$work/$b.wall")
	c=$(median "$work/$b.cpu")
	r=$(median "$work/$b.rss")
	n=$(cat "$work/$b.events")
	printf '%-5s %8s %8s %14.0f %14.0f %10.0f %8s\n' "$b" "$w" "$c" "$(echo "$n / $w" | bc -l)" "$(echo "$n / $c" | bc -l)" "$(echo "$r / 1024" | bc -l)" "$(cat "$work/$b.bpe")"
done
if [ "${PEER:-}" = duckdb ]; then
	w=$(median "$work/duckdb.wall")
	c=$(median "$work/duckdb.cpu")
	n=$(cat "$work/duckdb.events")
	printf '%-6s %7s %8s %14.0f %14.0f %10s %8s\n' duckdb "$w" "$c" "$(echo "$n / $w" | bc -l)" "$(echo "$n / $c" | bc -l)" - "$(cat "$work/duckdb.bpe")"
	echo "umbra (new) is $(echo "$w / $(median "$work/new.wall")" | bc -l | cut -c1-4)x faster than DuckDB's load by the wall clock, $(echo "$c / $(median "$work/new.cpu")" | bc -l | cut -c1-4)x by CPU"
fi
