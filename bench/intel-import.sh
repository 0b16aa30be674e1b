#!/bin/sh
# Import throughput of umbra's CSV and plain-list readers (read + normalise
# + ToSTIX, 200,000 synthetic indicators per run) against the floor of a
# bare encoding/csv read of the same CSV bytes. Prints medians of COUNT runs,
# per wall-clock second and per CPU-second (getrusage, GC included).
# usage: bench/intel-import.sh [COUNT]
set -eu
cd "$(dirname "$0")/.."
count=${1:-5}
go test -run '^$' -bench 'BenchmarkImport|BenchmarkStdlibFloor' -benchtime=3x -count="$count" \
	./intel/csv/ ./intel/plain/ | tee /dev/stderr | awk '
/^pkg:/ { pkg = $2; sub(".*/", "", pkg) }
/^Benchmark/ {
	name = pkg "/" $1; sub("-[0-9]+$", "", name)
	for (i = 3; i < NF; i++) {
		if ($(i+1) == "indicators/s") wall[name] = wall[name] " " $i
		if ($(i+1) == "indicators/cpu-s") cpu[name] = cpu[name] " " $i
	}
}
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	printf "\n%-32s %16s %18s\n", "benchmark (median)", "indicators/s", "indicators/cpu-s"
	for (k in wall) { mw[k] = median(wall[k]); mc[k] = median(cpu[k]); printf "%-32s %16.0f %18.0f\n", k, mw[k], mc[k] }
	f = "csv/BenchmarkStdlibFloor"; u = "csv/BenchmarkImport"
	if ((f in mc) && (u in mc) && mc[u] > 0)
		printf "\nencoding/csv floor / umbra CSV import, per CPU-second: %.1fx\n", mc[f] / mc[u]
}'
