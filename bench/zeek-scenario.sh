#!/usr/bin/env bash
# Zeek TSV decode + match at scale, on the simulated studio's own logs:
# `umbra simulate` writes the scenario, bench/matchgen the 1M-indicator
# mix, and bench/matchzeek decodes conn.log and dns.log and matches every
# event against the 1M indicators, writing JSON alerts (its decode+match
# phase is timed apart from building the snapshot). The peer, in the same
# run on the same files, is awk printing the columns umbra converts
# (decoding only: it neither parses nor matches). Runs alternate; medians.
#
#   bench/zeek-scenario.sh [HOSTS] [DAYS] [RUNS]   (defaults: 2000 hosts, 7 days, 3 runs)
#
# 5000 hosts x 30 days is ~130M events and ~28 GB of logs. Needs go,
# GNU awk or mawk, and /usr/bin/time.
set -euo pipefail
hosts=${1:-2000}
days=${2:-7}
runs=${3:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$repo" && go build -o "$tmp/umbra" ./cmd/umbra && go build -o "$tmp/matchgen" ./bench/matchgen && go build -o "$tmp/matchzeek" ./bench/matchzeek)
/usr/bin/time -f 'simulate: peak RSS %M KB, wall %e s, cpu %U+%S s' \
	"$tmp/umbra" simulate --out "$tmp/sim" --hosts "$hosts" --days "$days" --seed 3 | tail -2
mkdir -p "$tmp/ind"
"$tmp/matchgen" -out "$tmp/ind" -events 1 -scale 1 >/dev/null
logs=("$tmp/sim/zeek/conn.log" "$tmp/sim/zeek/dns.log")
mb=$(du -cb "${logs[@]}" | tail -1 | awk '{printf "%.1f", $1 / 1e6}')
echo "input: $(wc -l < "$tmp/ind/indicators.txt") indicators; conn.log + dns.log, $mb MB"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
umbra=(); peer=()
for r in $(seq 1 "$runs"); do
	line=$("$tmp/matchzeek" -i "$tmp/ind/indicators.txt" -o "$tmp/alerts.jsonl" "${logs[@]}" 2>&1 | grep 'decode+match')
	echo "run $r umbra: $line"
	umbra+=("$(echo "$line" | sed 's/.*cpu-s: \([0-9.]*\) MB\/cpu-s.*/\1/')")
	# awk: the ts, uid, 5-tuple, proto, bytes or query and answers columns.
	t=$( { /usr/bin/time -f '%U %S' awk -F'\t' '!/^#/ {print $1,$2,$3,$4,$5,$6,$7,$10,$11,$22}' "${logs[@]}" >"$tmp/awk.out"; } 2>&1 | tail -1)
	cpu=$(echo "$t" | awk '{print $1 + $2}')
	echo "run $r awk: $cpu cpu-s"
	peer+=("$(awk -v mb="$mb" -v c="$cpu" 'BEGIN {printf "%.1f", mb / c}')")
done
u=$(printf '%s\n' "${umbra[@]}" | median)
p=$(printf '%s\n' "${peer[@]}" | median)
echo "median: umbra decode+match $u MB/cpu-s, awk (columns only) $p MB/cpu-s, umbra/awk $(awk -v u="$u" -v p="$p" 'BEGIN {printf "%.2f", u / p}')x"
echo "alerts of the last run: $(wc -l < "$tmp/alerts.jsonl")"
