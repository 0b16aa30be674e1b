#!/usr/bin/env bash
# Times umbra's pcap reader against tshark extracting the same fields from
# the same synthetic capture, in the same run, and prints medians and the
# ratio. Also checks that both found the same set of values.
#
#   bench/pcap-vs-tshark.sh [CONNS] [RUNS]     (defaults: 10000 connections, 3 runs)
#
# Input: `pcapbench gen` (synth.Mix): per connection a DNS lookup, then a
# TLS 1.2 session with a certificate and application data, or an HTTP
# request with a response body. 10000 connections are ~234k packets, 104 MB.
# Needs go and tshark (apt-get install -y tshark).
set -euo pipefail
conns=${1:-10000}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
for tool in go tshark; do
  command -v $tool >/dev/null || { echo "need $tool" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$repo" && go build -o "$tmp/pcapbench" ./bench/pcapbench)
"$tmp/pcapbench" gen -n "$conns" -o "$tmp/mix.pcap"

calc() { awk "BEGIN { print $1 }"; }

# run NAME CMD... : time CMD RUNS times; print "wall cpu" medians in seconds.
run() {
  local name=$1; shift
  local walls=() cpus=()
  for _ in $(seq "$runs"); do
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time "$@" > "$tmp/$name.out" 2>/dev/null; } 2>&1 )
    read -r w u s <<<"$t"
    walls+=("$w"); cpus+=("$(calc "$u + $s")")
  done
  echo "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p") $(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")"
}

umbra=$(run umbra "$tmp/pcapbench" extract "$tmp/mix.pcap")
tshark=$(run tshark tshark -n -r "$tmp/mix.pcap" -T fields -e dns.qry.name \
  -e tls.handshake.extensions_server_name -e http.host -e tls.handshake.ja3)
packets=$("$tmp/pcapbench" extract "$tmp/mix.pcap" 2>&1 >/dev/null | awk '{print $2}')

sort -u "$tmp/umbra.out" | grep -v '^[[:space:]]*$' > "$tmp/umbra.set"
sort -u "$tmp/tshark.out" | grep -v '^[[:space:]]*$' > "$tmp/tshark.set"
if cmp -s "$tmp/umbra.set" "$tmp/tshark.set"; then same="yes ($(wc -l < "$tmp/umbra.set") distinct rows)"; else same="NO"; fi

read -r uw uc <<<"$umbra"
read -r tw tc <<<"$tshark"
printf 'capture: %s connections, %s packets, %s bytes; %s runs each, medians\n' \
  "$conns" "$packets" "$(stat -c %s "$tmp/mix.pcap")" "$runs"
printf 'umbra : wall %6.2fs  cpu %6.2fs  %10.0f packets/s wall  %10.0f packets/cpu-s\n' "$uw" "$uc" \
  "$(calc "$packets / $uw")" "$(calc "$packets / $uc")"
printf 'tshark: wall %6.2fs  cpu %6.2fs  %10.0f packets/s wall  %10.0f packets/cpu-s\n' "$tw" "$tc" \
  "$(calc "$packets / $tw")" "$(calc "$packets / $tc")"
printf 'ratio (tshark/umbra): wall %.1fx  cpu %.1fx\n' "$(calc "$tw / $uw")" "$(calc "$tc / $uc")"
printf 'same values extracted: %s\n' "$same"
[ "$same" != "NO" ]
