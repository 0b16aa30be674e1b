#!/bin/sh
# Zeek TSV decode throughput: umbra's telemetry/zeek against awk and grep on
# the same generated conn.log and dns.log, interleaved, medians of RUNS
# rounds. Usage: bench/zeek-decode.sh [SIZE_MB] [RUNS]
#
# OLD=<git revision> instead times the decoder built at that revision
# against the working tree's, alternating whole-process decodes of the same
# logs (bench/zeekdecode -decode under /usr/bin/time), and prints the CPU
# seconds (user+sys, GC included) of every round and their medians. The old
# revision must have bench/zeekdecode's -decode flag (any since 26 Nov).
set -eu
cd "$(dirname "$0")/.."
if [ -z "${OLD:-}" ]; then
	exec go run ./bench/zeekdecode -mb "${1:-200}" -runs "${2:-5}"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/oldsrc"
git archive "$OLD" | tar -x -C "$work/oldsrc"
(cd "$work/oldsrc" && go build -o "$work/old" ./bench/zeekdecode)
go build -o "$work/new" ./bench/zeekdecode
"$work/new" -gen -dir "$work" -mb "${1:-200}"
echo "old: $(git rev-parse --short "$OLD"), new: working tree; CPU seconds per decode"
for log in conn dns; do
	for i in $(seq "${2:-5}"); do
		for v in old new; do
			/usr/bin/time -f "$log $v %U %S" "$work/$v" -decode "$work/$log.log" 2>&1 >/dev/null | tail -1
		done
	done
done | awk '{ print $1, $2, $3 + $4 }' | tee "$work/rounds" | sort -k1,1 -k2,2r -k3n |
	awk -v size="$(stat -c %s "$work/conn.log" "$work/dns.log" | awk '{printf "%.1f ", $1 / 1e6}')" '
	{ k = $1 " " $2; v[k] = v[k] " " $3; n[k]++; x[k, n[k]] = $3 }
	END {
		split(size, mb, " ")
		for (k in v) {
			m = x[k, int((n[k] + 1) / 2)]
			split(k, p, " ")
			printf "%s %s: median %.2f cpu-s (%.0f MB/cpu-s); rounds%s\n", p[1], p[2], m, (p[1] == "conn" ? mb[1] : mb[2]) / m, v[k]
		}
	}' | sort
