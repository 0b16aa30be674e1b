#!/usr/bin/env bash
# Compares umbra's matcher with `grep -F -f indicators.txt` over the same
# Zeek conn.log and dns.log in the same run, and prints medians and ratios.
#
#   bench/match-vs-grep.sh [EVENTS] [SCALE] [RUNS]   (defaults: 1000000 events, 1M indicators, 5 runs)
#
# SCALE divides the 1M-indicator mix (400k addresses + 50k CIDR blocks, 400k
# domains, 100k hashes, 50k URLs and others). Both tools write their matches
# to a file (GNU grep stops at the first match when stdout is /dev/null).
# Times are wall and CPU (user+system) seconds of the whole run, including
# loading the indicators: grep compiles its patterns, umbra builds its
# snapshot. Needs go and GNU grep.
set -euo pipefail
events=${1:-1000000}
scale=${2:-1}
runs=${3:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
for tool in go grep python3; do
  command -v $tool >/dev/null || { echo "need $tool" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$repo" && go build -o "$tmp/matchgen" ./bench/matchgen && go build -o "$tmp/matchzeek" ./bench/matchzeek)
"$tmp/matchgen" -out "$tmp" -events "$events" -scale "$scale"
cd "$tmp"
echo "input: $(wc -l < indicators.txt) indicators, $(($(wc -l < conn.log) + $(wc -l < dns.log))) log lines, $(du -ch conn.log dns.log | tail -1 | cut -f1)"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
TIMEFORMAT='%R %U %S'
# run prints "wall cpu" for one run of its arguments.
run() {
  local t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || true
  echo "$t" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
}
umbra_wall=(); umbra_cpu=(); grep_wall=(); grep_cpu=()
for r in $(seq 1 "$runs"); do
  # Alternate the tools so that load from other processes falls on both.
  read -r w c < <(run ./matchzeek -i indicators.txt -o alerts.jsonl conn.log dns.log)
  umbra_wall+=("$w"); umbra_cpu+=("$c")
  read -r w c < <(run sh -c 'grep -F -f indicators.txt conn.log dns.log > grep.out')
  grep_wall+=("$w"); grep_cpu+=("$c")
  echo "run $r: umbra ${umbra_wall[-1]}s wall ${umbra_cpu[-1]}s cpu; grep ${grep_wall[-1]}s wall ${grep_cpu[-1]}s cpu"
done
uw=$(printf '%s\n' "${umbra_wall[@]}" | median); uc=$(printf '%s\n' "${umbra_cpu[@]}" | median)
gw=$(printf '%s\n' "${grep_wall[@]}" | median); gc=$(printf '%s\n' "${grep_cpu[@]}" | median)
echo
echo "median wall: umbra ${uw}s, grep ${gw}s, grep/umbra $(echo "$gw / $uw" | bc -l | xargs printf '%.2f')x"
echo "median cpu:  umbra ${uc}s, grep ${gc}s, grep/umbra $(echo "$gc / $uc" | bc -l | xargs printf '%.2f')x"
echo
# What each found: umbra alerts by type, grep lines, and which log records
# (by uid) only one of them reported.
python3 - <<'PY'
import json, collections
kinds = collections.Counter()
umbra = set()
for line in open("alerts.jsonl"):
    a = json.loads(line)
    kinds[a["indicator_type"]] += 1
    umbra.add(a["uid"])
grep = set()
lines = 0
for line in open("grep.out"):
    lines += 1
    grep.add(line.split(":", 1)[1].split("\t")[1])
print("umbra alerts by type:", dict(kinds), f"({len(umbra)} records)")
print(f"grep: {lines} matching lines ({len(grep)} records)")
print(f"records only grep reported (substring false positives, e.g. xgo.com in bsoixgo.com): {len(grep - umbra)}")
print(f"records only umbra reported (addresses inside CIDR blocks, which grep cannot see): {len(umbra - grep)}")
PY
