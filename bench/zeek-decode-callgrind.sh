#!/bin/sh
# Instructions per record, umbra's Zeek decoder against awk, counted by
# callgrind: unlike time, the count does not depend on what else the host
# is running. Usage: bench/zeek-decode-callgrind.sh [SIZE_MB]
set -eu
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/zeekdecode" ./bench/zeekdecode
"$dir/zeekdecode" -gen -dir "$dir" -mb "${1:-10}"
# valgrind now and then aborts on a Go binary; try again.
count() {
	for try in 1 2 3 4 5; do
		n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
		[ -n "$n" ] && { echo "$n"; return; }
	done
	echo "valgrind failed 5 times on: $*" >&2
	exit 1
}
for log in conn dns; do
	f="$dir/$log.log"
	records=$(grep -c -v '^#' "$f")
	case $log in
	conn) cols='$1,$2,$3,$4,$5,$6,$7,$10,$11,$22' ;;
	dns) cols='$1,$2,$3,$4,$5,$6,$7,$10,$22' ;;
	esac
	u=$(GOMAXPROCS=1 count "$dir/zeekdecode" -decode "$f")
	a=$(count awk -F'\t' "!/^#/ {print $cols}" "$f")
	g=$(count grep -c -v '^#' "$f")
	echo "$log.log $records records: umbra $((u / records)) instr/record, awk $((a / records)), grep -c $((g / records)); awk/umbra $(echo "scale=2; $a / $u" | bc)"
done
