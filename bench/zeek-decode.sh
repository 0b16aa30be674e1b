#!/bin/sh
# Zeek TSV decode throughput: umbra's telemetry/zeek against awk and grep on
# the same generated conn.log and dns.log, interleaved, medians of RUNS
# rounds. Usage: bench/zeek-decode.sh [SIZE_MB] [RUNS]
set -eu
cd "$(dirname "$0")/.."
exec go run ./bench/zeekdecode -mb "${1:-200}" -runs "${2:-5}"
